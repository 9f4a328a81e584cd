//! The app: runtime handles, the folded views of the log, one frame of UI,
//! and the commands applied after it.

use crate::command::{Command, View};
use crate::diff::DiffWorker;
use crate::feed::Feed;
use crate::live::Tracker;
use crate::state::{Edit, SuggestionEdit, UiState};
use crate::{UiError, UiOptions, attachment, panels};
use lantern_actors::handle::Handle;
use lantern_actors::pipeline::Ask;
use lantern_events::ReadLog;
use lantern_events::schema::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Envelopes folded per frame at most, so that catching up on a long log
/// never freezes the window.
const FOLD_PER_FRAME: usize = 4_000;

/// The window.
pub struct LanternApp {
    /// What the user sees and types.
    pub state: UiState,
    backend: Box<dyn Handle>,
    log: Arc<dyn ReadLog>,
    feed: Feed,
    /// The refinement diffs, computed off the UI thread.
    pub diffs: DiffWorker,
    /// The live session, the session browser and the stats, folded from the log.
    pub tracked: Tracker,
}

impl LanternApp {
    /// Opens a desktop session on `backend` and starts following `log`
    /// (from its first event, so that history and stats are complete).
    pub fn new(
        backend: Box<dyn Handle>,
        log: Arc<dyn ReadLog>,
        options: UiOptions,
        ctx: &egui::Context,
    ) -> Result<Self, UiError> {
        let news_from = log.last_seq().map_or(0, |s| s + 1);
        let session = backend.open_session(FrontendKind::Desktop, options.workspace.clone());
        let wake = ctx.clone();
        let sub = log.follow(1).map_err(|e| UiError::Log(e.to_string()))?;
        let feed = Feed::start(sub, move || wake.request_repaint()).map_err(UiError::Thread)?;
        let wake = ctx.clone();
        let diffs = DiffWorker::start(move || wake.request_repaint()).map_err(UiError::Thread)?;
        let mut tracked = Tracker::new(session, options.proxy_approvals.then_some(news_from));
        tracked.history.refresh(&*log);
        Ok(Self { state: UiState { model: options.model, ..UiState::default() }, backend, log, feed, diffs, tracked })
    }

    /// Seq of the last envelope folded.
    pub fn last_seq(&self) -> u64 {
        self.tracked.last_seq()
    }

    /// Folds what the feed has delivered (at most [`FOLD_PER_FRAME`]);
    /// returns whether more is waiting.
    pub fn pump(&mut self) -> bool {
        for _ in 0..FOLD_PER_FRAME {
            match self.feed.try_next() {
                Some(fed) => self.tracked.fold(fed),
                None => return false,
            }
        }
        true
    }

    /// Blocks until `done` holds after folding, or `limit` passes (for tests
    /// and scripts that drive the window).
    pub fn pump_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            self.pump();
            if done(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if let Some(fed) = self.feed.next_within(left.min(Duration::from_millis(50))) {
                self.tracked.fold(fed);
            }
        }
    }

    /// One frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.pump() {
            ui.ctx().request_repaint();
        }
        if self.state.view == View::Sessions && self.tracked.take_sessions_dirty() {
            self.tracked.history.refresh(&*self.log);
        }
        let mut commands = Vec::new();
        let t = &self.tracked;
        panels::shortcuts::read(ui.ctx(), &self.state, &t.live, &mut commands);
        panels::top_bar::show(ui, &self.state, t.feed_error(), &mut commands);
        match self.state.view {
            View::Live => panels::live::show(ui, &mut self.state, &t.live, &mut self.diffs, &mut commands),
            View::Sessions => {
                panels::sessions::show(ui, &mut self.state, &t.history, &t.stats, &mut self.diffs, &mut commands)
            }
            View::Stats => panels::stats_view::show(ui, &t.stats, &t.history),
        }
        if self.state.help {
            panels::help::show(ui.ctx(), &mut commands);
        }
        for c in commands {
            if c == Command::Quit {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                self.apply(c);
            }
        }
    }

    /// Applies one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Submit => self.submit(),
            Command::Decide { request, decision } => {
                self.state.edit = None;
                self.backend.decide(request, decision);
            }
            Command::DecideOffer { request, use_cached } => self.backend.decide_offer(request, use_cached),
            Command::BeginEdit { request, text } => self.state.edit = Some(Edit { request, text }),
            Command::CancelEdit => self.state.edit = None,
            Command::Suggestion { offered_seq, index, action } => {
                self.state.suggestion_edit = None;
                let template = self.ask(String::new(), PromptContext::default());
                if !matches!(action, SuggestionAction::Dismissed) {
                    self.tracked.live.pending.push(template.request);
                }
                self.backend.act_on_suggestion(offered_seq, index, action, template);
            }
            Command::BeginSuggestionEdit { offered_seq, index, text } => {
                self.state.suggestion_edit = Some(SuggestionEdit { offered_seq, index, text });
            }
            Command::CancelSuggestionEdit => self.state.suggestion_edit = None,
            Command::FlagWrong { session, response_seq, entry } => {
                self.backend.give_feedback(session, response_seq, FeedbackVerdict::WrongAnswer, entry);
            }
            Command::Show(view) => {
                self.state.view = view;
                if view == View::Sessions {
                    self.tracked.history.refresh(&*self.log);
                }
            }
            Command::ToggleHelp => self.state.help = !self.state.help,
            Command::OpenSession(session) => self.tracked.history.open(&*self.log, session),
            Command::CloseSession => self.tracked.history.close(),
            Command::OpenRequest(request) => self.tracked.history.request = Some(request),
            Command::RefreshSessions => self.tracked.history.refresh(&*self.log),
            // Needs the frame's context: handled in `ui`.
            Command::Quit => {}
        }
    }

    fn ask(&self, prompt: String, context: PromptContext) -> Ask {
        self.tracked.live.ask(FrontendKind::Desktop, &self.state.model, prompt, context)
    }

    fn submit(&mut self) {
        let composer = &mut self.state.composer;
        if composer.prompt.trim().is_empty() {
            composer.error = Some("Write a prompt first.".into());
            return;
        }
        match attachment::context(&composer.file, &composer.lines) {
            Ok(context) => {
                let prompt = std::mem::take(&mut composer.prompt);
                composer.error = None;
                let ask = self.ask(prompt, context);
                self.tracked.live.pending.push(ask.request);
                self.backend.submit(ask);
            }
            Err(e) => composer.error = Some(e.to_string()),
        }
    }

    /// Closes the live session (the window is going away).
    pub fn close(&self) {
        self.backend.close_session(self.tracked.live.session, EndReason::UserExit);
    }
}

impl eframe::App for LanternApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        LanternApp::ui(self, ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.close();
    }
}

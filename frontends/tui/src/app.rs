//! The terminal app: the handle, the feed, the folded views of the log, the
//! terminal's own state, and the commands applied after each key.

use crate::keys::{self, Step};
use crate::state::{Editing, TuiState};
use crate::theme::Theme;
use crate::{TuiError, TuiOptions, view};
use crossterm::event::KeyEvent;
use lantern_actors::handle::Handle;
use lantern_events::ReadLog;
use lantern_events::schema::{EndReason, FeedbackVerdict, FrontendKind, PromptContext, SuggestionAction};
use lantern_frontend::attachment;
use lantern_frontend::diff::DiffWorker;
use lantern_frontend::feed::Feed;
use lantern_frontend::live::Tracker;
use lantern_frontend::{Command, View};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Envelopes folded per pump at most, so that catching up on a long log
/// never stalls the keys.
const FOLD_PER_PUMP: usize = 4_000;

/// The terminal frontend, without the terminal (drawn into any ratatui backend).
pub struct TuiApp {
    /// What the user sees and types.
    pub state: TuiState,
    /// The live session, the session browser and the stats, folded from the log.
    pub tracked: Tracker,
    /// The refinement diffs, computed off the key-reading thread.
    pub diffs: DiffWorker,
    /// Colours or monochrome.
    pub theme: Theme,
    /// Who the pipeline belongs to, for the top bar.
    pub attached: Option<String>,
    handle: Box<dyn Handle>,
    log: Arc<dyn ReadLog>,
    feed: Feed,
}

impl TuiApp {
    /// Opens a terminal session on `handle` and follows `log` from its first
    /// event (so that history and stats are complete).
    pub fn new(handle: Box<dyn Handle>, log: Arc<dyn ReadLog>, options: TuiOptions) -> Result<Self, TuiError> {
        let news_from = log.last_seq().map_or(0, |s| s + 1);
        let session = handle.open_session(FrontendKind::Cli, options.workspace.clone());
        let sub = log.follow(1).map_err(|e| TuiError::Log(e.to_string()))?;
        let feed = Feed::start(sub, || {}).map_err(TuiError::Thread)?;
        let diffs = DiffWorker::start(|| {}).map_err(TuiError::Thread)?;
        let mut tracked = Tracker::new(session, options.attached.is_some().then_some(news_from));
        tracked.history.refresh(&*log);
        let mut state = TuiState { model: options.model, ..TuiState::default() };
        state.composer.file = options.file;
        state.composer.lines = options.lines;
        Ok(Self {
            state,
            tracked,
            diffs,
            theme: Theme::from_env(options.monochrome),
            attached: options.attached,
            handle,
            log,
            feed,
        })
    }

    /// Folds what the feed has delivered (at most [`FOLD_PER_PUMP`]);
    /// returns whether anything was folded.
    pub fn pump(&mut self) -> bool {
        let mut any = false;
        for _ in 0..FOLD_PER_PUMP {
            match self.feed.try_next() {
                Some(fed) => {
                    self.tracked.fold(fed);
                    any = true;
                }
                None => break,
            }
        }
        if any && self.state.view == View::Sessions && self.tracked.take_sessions_dirty() {
            self.tracked.history.refresh(&*self.log);
        }
        if any {
            self.settle_state();
        }
        any
    }

    /// Keeps the terminal's state in step with what the log now says: an
    /// editor whose request was decided elsewhere (a timeout, another
    /// frontend) closes; a new request in the panel starts unscrolled.
    fn settle_state(&mut self) {
        let live = &self.tracked.live;
        let awaiting = live.awaiting().map(|c| c.request);
        let stale = match &self.state.editing {
            Some(Editing::Refined { request, .. }) => awaiting != Some(*request),
            Some(Editing::Suggestion { offered_seq, index, .. }) => {
                awaiting.is_some()
                    || !live.current().is_some_and(|c| {
                        keys::open_suggestions(c, &self.state.acted)
                            .iter()
                            .any(|(s, i, _)| s == offered_seq && i == index)
                    })
            }
            None => false,
        };
        if stale {
            self.state.editing = None;
            self.state.status = Some("The request was decided elsewhere; the edit was dropped.".into());
        }
        if awaiting.is_some() && awaiting != self.state.shown {
            self.state.scroll = 0;
        }
        self.state.shown = awaiting;
        // What the log now records needs no local note any more.
        let chains = &live.chains;
        self.state.acted.retain(|(seq, index)| {
            !chains.iter().any(|c| c.acted.iter().any(|a| a.event.offered_seq == *seq && a.event.index == *index))
        });
        self.state.flagged.retain(|seq| {
            !chains.iter().any(|c| c.response.as_ref().is_some_and(|r| r.seq == *seq) && c.flagged_wrong())
        });
    }

    /// Text pasted into the terminal: typed into the field or editor that
    /// takes typing (line breaks kept where a line break can be typed).
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if self.state.view != View::Live {
            return;
        }
        if let Some(editing) = &mut self.state.editing {
            editing.text_mut().push_str(&text);
        } else if self.tracked.live.awaiting().is_none() || !self.state.composer.prompt.is_empty() {
            let multi = self.state.composer.field == crate::state::Field::Prompt;
            let text = if multi { text } else { text.replace('\n', " ") };
            self.state.composer.text_mut().push_str(&text);
        }
    }

    /// Folds until `done` holds or `limit` passes (for tests and benchmarks).
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
                self.settle_state();
            }
        }
    }

    /// Reads one key.
    pub fn key(&mut self, key: KeyEvent) -> Vec<Step> {
        keys::read(&mut self.state, &self.tracked, key)
    }

    /// Draws one frame.
    pub fn draw(&mut self, frame: &mut ratatui::Frame<'_>) {
        view::draw(frame, self);
    }

    /// Applies one command (`Quit` is the caller's to act on).
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Submit => self.submit(),
            Command::Decide { request, decision } => {
                self.state.editing = None;
                self.state.scroll = 0;
                self.handle.decide(request, decision);
            }
            Command::DecideOffer { request, use_cached } => self.handle.decide_offer(request, use_cached),
            Command::BeginEdit { request, text } => self.state.editing = Some(Editing::Refined { request, text }),
            Command::CancelEdit | Command::CancelSuggestionEdit => self.state.editing = None,
            Command::Suggestion { offered_seq, index, action } => {
                self.state.editing = None;
                self.state.acted.push((offered_seq, index));
                self.state.suggestion = 0;
                let template = self.tracked.live.ask(
                    FrontendKind::Cli,
                    &self.state.model,
                    String::new(),
                    PromptContext::default(),
                );
                if !matches!(action, SuggestionAction::Dismissed) {
                    self.tracked.live.pending.push(template.request);
                    self.state.scroll = 0;
                }
                self.handle.act_on_suggestion(offered_seq, index, action, template);
            }
            Command::BeginSuggestionEdit { offered_seq, index, text } => {
                self.state.editing = Some(Editing::Suggestion { offered_seq, index, text });
            }
            Command::FlagWrong { session, response_seq, entry } => {
                self.state.flagged.push(response_seq);
                self.handle.give_feedback(session, response_seq, FeedbackVerdict::WrongAnswer, entry);
            }
            Command::Show(view) => {
                self.state.view = view;
                self.state.scroll = 0;
                if view == View::Sessions {
                    self.tracked.history.refresh(&*self.log);
                }
            }
            Command::ToggleHelp => self.state.help = !self.state.help,
            Command::OpenSession(session) => self.tracked.history.open(&*self.log, session),
            Command::CloseSession => self.tracked.history.close(),
            Command::OpenRequest(request) => self.tracked.history.request = Some(request),
            Command::RefreshSessions => self.tracked.history.refresh(&*self.log),
            Command::Quit => {}
        }
    }

    /// Runs one step; returns false on `Quit`. `editor` edits a text outside
    /// the app (the terminal suspends around `$EDITOR`); `None` means it was not changed.
    pub fn run_step(&mut self, step: Step, editor: &mut dyn FnMut(&str) -> Result<Option<String>, String>) -> bool {
        match step {
            Step::Do(Command::Quit) => return false,
            Step::Do(c) => self.apply(c),
            Step::OpenEditor(mut editing) => match editor(editing.text()) {
                Ok(Some(text)) if text.trim().is_empty() => {
                    self.state.status = Some("The editor saved an empty prompt: nothing was sent.".into());
                }
                Ok(Some(text)) => {
                    *editing.text_mut() = text;
                    let command = keys::send_edit(&editing, &self.tracked);
                    self.apply(command);
                }
                Ok(None) => self.state.status = Some("The editor exited without saving: nothing was sent.".into()),
                Err(e) => self.state.status = Some(format!("{e}; nothing was sent.")),
            },
        }
        true
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
                let ask = self.tracked.live.ask(FrontendKind::Cli, &self.state.model, prompt, context);
                self.tracked.live.pending.push(ask.request);
                self.state.scroll = 0;
                self.state.suggestion = 0;
                self.handle.submit(ask);
            }
            Err(e) => composer.error = Some(e.to_string()),
        }
    }

    /// Closes the terminal's session (the app is going away).
    pub fn close(&self) {
        self.handle.close_session(self.tracked.live.session, EndReason::UserExit);
    }
}

//! Shared by the terminal's tests: a log in a temp dir, a handle that
//! records the ops the app sends, the pipeline's events written as it writes
//! them (the real Refiner's proposals), and the app drawn into a TestBackend.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lantern_actors::pipeline::Ask;
use lantern_actors::refiner::{RefineInput, RefinerConfig, refine};
use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, RequestId, SessionId, Timestamp};
use lantern_tui::{Handle, TuiApp, TuiOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An op the app sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Submit(Ask),
    Decide(RequestId, Decision),
    DecideOffer(RequestId, bool),
    Act { offered_seq: u64, index: u8, action: SuggestionAction, request: RequestId },
    Feedback { session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId> },
    Close(SessionId),
}

/// Records ops; the test plays the pipeline.
pub struct Recorder {
    ops: Arc<Mutex<Vec<Op>>>,
    session: SessionId,
}

impl Handle for Recorder {
    fn open_session(&self, _frontend: FrontendKind, _workspace: Option<String>) -> SessionId {
        self.session
    }
    fn close_session(&self, session: SessionId, _reason: EndReason) {
        self.ops.lock().unwrap().push(Op::Close(session));
    }
    fn submit(&self, ask: Ask) {
        self.ops.lock().unwrap().push(Op::Submit(ask));
    }
    fn decide(&self, request: RequestId, decision: Decision) {
        self.ops.lock().unwrap().push(Op::Decide(request, decision));
    }
    fn decide_offer(&self, request: RequestId, use_cached: bool) {
        self.ops.lock().unwrap().push(Op::DecideOffer(request, use_cached));
    }
    fn act_on_suggestion(&self, offered_seq: u64, index: u8, action: SuggestionAction, template: Ask) {
        self.ops.lock().unwrap().push(Op::Act { offered_seq, index, action, request: template.request });
    }
    fn give_feedback(&self, session: SessionId, response_seq: u64, verdict: FeedbackVerdict, entry: Option<EntryId>) {
        self.ops.lock().unwrap().push(Op::Feedback { session, response_seq, verdict, entry });
    }
}

/// A temp log, the live session's id, and the ops recorded.
pub struct Rig {
    pub log: Arc<EventLog>,
    pub session: SessionId,
    pub ops: Arc<Mutex<Vec<Op>>>,
    clock: Mutex<i64>,
    _dir: tempfile::TempDir,
}

/// 2026-01-15T09:30:00Z: fixed times keep snapshots stable.
const T0: i64 = 1_768_469_400_000_000;

/// A fixed id, so that snapshots are stable.
pub fn request(n: u128) -> RequestId {
    RequestId(uuid::Uuid::from_u128(n))
}

impl Rig {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
        let session = SessionId(uuid::Uuid::from_u128(0xabc));
        Rig { log, session, ops: Arc::default(), clock: Mutex::new(T0), _dir: dir }
    }

    pub fn ops(&self) -> Vec<Op> {
        self.ops.lock().unwrap().clone()
    }

    /// Journals `event` (1.5 s after the previous one); returns its seq.
    pub fn write(&self, session: SessionId, request: Option<RequestId>, event: Event) -> u64 {
        let at = {
            let mut c = self.clock.lock().unwrap();
            *c += 1_500_000;
            Timestamp(*c)
        };
        let e = NewEvent { at, session, request, actor: Actor::Telemetry, cause: None, event };
        self.log.append(e).unwrap()
    }

    pub fn start_session(&self, session: SessionId, frontend: FrontendKind) {
        let started =
            SessionStarted { frontend, lantern_version: "0.1.0".into(), privacy: PrivacyLevel::Full, workspace: None };
        self.write(session, None, Event::SessionStarted(started));
    }

    /// `PromptSubmitted` and the real Refiner's proposal for `prompt`.
    pub fn propose(&self, session: SessionId, request: RequestId, prompt: &str, context: PromptContext) -> u64 {
        self.propose_from(PromptOrigin::Typed, session, request, prompt, context)
    }

    pub fn propose_from(
        &self,
        origin: PromptOrigin,
        session: SessionId,
        request: RequestId,
        prompt: &str,
        context: PromptContext,
    ) -> u64 {
        let submitted = PromptSubmitted {
            text: prompt.into(),
            model: "claude-sonnet-4-5".into(),
            context: context.clone(),
            origin,
        };
        self.write(session, Some(request), Event::PromptSubmitted(submitted));
        let proposal = refine(&RefineInput::new(prompt, "claude-sonnet-4-5", &context), &RefinerConfig::default());
        let miss = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
        let outlook = CacheOutlook { original: miss.clone(), refined: miss };
        self.write(session, Some(request), Event::RefinementProposed(proposal.into_event(outlook)))
    }

    /// The decision, the lookup and the answer; returns the answer's seq.
    pub fn answer(&self, session: SessionId, request: RequestId, outcome: CacheOutcome, text: &str) -> u64 {
        let d = ApprovalDecided { decision: Decision::Accepted, by: Decider::User, waited_ms: 2_300 };
        self.write(session, Some(request), Event::ApprovalDecided(d));
        let hit = !matches!(outcome, CacheOutcome::Miss { .. });
        let c = CacheChecked { outcome, namespace: "default".into(), latency_us: 850 };
        self.write(session, Some(request), Event::CacheChecked(c));
        let source = if hit { ResponseSource::Cache } else { ResponseSource::Offline };
        let r = ResponseDelivered { source, text: text.into(), latency_ms: if hit { 3 } else { 420 } };
        self.write(session, Some(request), Event::ResponseDelivered(r))
    }

    /// The decision and a lookup that offers a cached answer (semantic mode `offer`).
    pub fn offer(&self, session: SessionId, request: RequestId, accepted: bool) -> u64 {
        let d = ApprovalDecided { decision: Decision::Rejected, by: Decider::User, waited_ms: 1_100 };
        self.write(session, Some(request), Event::ApprovalDecided(d));
        let outcome = CacheOutcome::SemanticOffered {
            similarity: 0.912,
            entry: EntryId("e42".into()),
            matched_prompt: Some("How do I reverse a list in Python?".into()),
            verdict: GuardVerdict {
                accepted,
                reason: (!accepted).then(|| "unmatched_term: 'string' (closest 'list' 0.36)".to_owned()),
            },
            preview: "Use reversed(xs), or xs[::-1] for a reversed copy.\nBoth leave xs as it is.".into(),
        };
        let c = CacheChecked { outcome, namespace: "default".into(), latency_us: 900 };
        self.write(session, Some(request), Event::CacheChecked(c))
    }

    /// Suggestions after the answer; returns their seq.
    pub fn suggest(
        &self,
        session: SessionId,
        request: RequestId,
        origin: SuggestionOrigin,
        context: SuggestionContext,
        texts: &[&str],
    ) -> u64 {
        let s = SuggestionsOffered {
            suggestions: texts.iter().map(|t| Suggestion { text: (*t).into() }).collect(),
            origin: Some(origin),
            context: Some(context),
        };
        self.write(session, Some(request), Event::SuggestionsOffered(s))
    }

    /// The app over this rig (attached: also approving proxied requests), with everything so far folded.
    pub fn app(&self, attached: bool) -> TuiApp {
        let handle = Recorder { ops: self.ops.clone(), session: self.session };
        let options = TuiOptions {
            model: "claude-sonnet-4-5".into(),
            attached: attached.then(|| "attached to serve (pid 4242)".to_owned()),
            monochrome: true,
            ..TuiOptions::default()
        };
        let mut app = TuiApp::new(Box::new(handle), self.log.clone(), options).unwrap();
        self.settle(&mut app);
        app
    }

    /// Folds everything journalled so far and lets the diff worker finish.
    pub fn settle(&self, app: &mut TuiApp) {
        let last = self.log.last_seq().unwrap();
        assert!(app.pump_until(Duration::from_secs(10), |a| a.tracked.last_seq() >= last), "feed stalled");
        // A first frame asks for the diffs; the worker computes them.
        draw(app, 120, 40);
        assert!(app.diffs.wait_idle(Duration::from_secs(10)), "diff worker stalled");
    }
}

/// Presses `code` (with `mods`), applying what it returns; returns false on quit.
pub fn press(app: &mut TuiApp, code: KeyCode, mods: KeyModifiers) -> bool {
    for step in app.key(KeyEvent::new(code, mods)) {
        if !app.run_step(step, &mut |_| Err("no editor in tests".into())) {
            return false;
        }
    }
    true
}

pub fn key(app: &mut TuiApp, code: KeyCode) -> bool {
    press(app, code, KeyModifiers::NONE)
}

pub fn type_text(app: &mut TuiApp, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// One frame of `app`, `w` × `h`.
pub fn draw(app: &mut TuiApp, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    terminal
}

/// The frame as text, one line per row, trailing spaces cut.
pub fn screen(app: &mut TuiApp, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

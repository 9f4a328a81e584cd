//! Shared by the window's tests: a log in a temp dir, a backend that records
//! the ops the window sends, the pipeline's events written as it would write
//! them, and the one harness helper.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use egui_kittest::Harness;
use lantern_actors::pipeline::Ask;
use lantern_actors::refiner::{RefineInput, RefinerConfig, refine};
use lantern_egui::{Handle, LanternApp, UiOptions};
use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, RequestId, SessionId, Timestamp};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An op the window sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `submit`.
    Submit(Ask),
    /// `decide`.
    Decide(RequestId, Decision),
    DecideOffer(RequestId, bool),
    /// `act_on_suggestion`.
    Act {
        offered_seq: u64,
        index: u8,
        action: SuggestionAction,
        request: RequestId,
    },
    /// `give_feedback`.
    Feedback {
        session: SessionId,
        response_seq: u64,
        verdict: FeedbackVerdict,
        entry: Option<EntryId>,
    },
    /// `close_session`.
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

impl Rig {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
        Rig { log, session: SessionId::new(), ops: Arc::default(), clock: Mutex::new(T0), _dir: dir }
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

    /// A session start.
    pub fn start_session(&self, session: SessionId, frontend: FrontendKind) {
        let started =
            SessionStarted { frontend, lantern_version: "0.1.0".into(), privacy: PrivacyLevel::Full, workspace: None };
        self.write(session, None, Event::SessionStarted(started));
    }

    /// `PromptSubmitted` and the real Refiner's proposal for `prompt`.
    pub fn propose(&self, session: SessionId, request: RequestId, prompt: &str, context: PromptContext) -> u64 {
        self.propose_from(PromptOrigin::Typed, session, request, prompt, context)
    }

    /// [`Rig::propose`] for a prompt of the given origin (a proxy client's, say).
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
    pub fn answer(
        &self,
        session: SessionId,
        request: RequestId,
        decision: Decision,
        outcome: CacheOutcome,
        text: &str,
    ) -> u64 {
        let d = ApprovalDecided { decision, by: Decider::User, waited_ms: 2_300 };
        self.write(session, Some(request), Event::ApprovalDecided(d));
        let hit = !matches!(outcome, CacheOutcome::Miss { .. });
        let c = CacheChecked { outcome, namespace: "default".into(), latency_us: 850 };
        self.write(session, Some(request), Event::CacheChecked(c));
        let source = if hit { ResponseSource::Cache } else { ResponseSource::Offline };
        let r = ResponseDelivered { source, text: text.into(), latency_ms: if hit { 3 } else { 420 } };
        self.write(session, Some(request), Event::ResponseDelivered(r))
    }

    /// Heuristic suggestions after the answer; returns their seq.
    pub fn suggest(&self, session: SessionId, request: RequestId, texts: &[&str]) -> u64 {
        let s = SuggestionsOffered {
            suggestions: texts.iter().map(|t| Suggestion { text: (*t).into() }).collect(),
            origin: Some(SuggestionOrigin::Heuristic),
            context: Some(SuggestionContext::LastAssistant),
        };
        self.write(session, Some(request), Event::SuggestionsOffered(s))
    }
}

/// The one harness helper: the window over `rig`, at a fixed size, with
/// everything journaled so far folded in.
pub fn harness(rig: &Rig, size: [f32; 2]) -> Harness<'static, LanternApp> {
    harness_with(rig, size, false)
}

/// [`harness`], choosing whether the window also approves proxied requests (`serve --ui`).
pub fn harness_with(rig: &Rig, size: [f32; 2], proxy_approvals: bool) -> Harness<'static, LanternApp> {
    let backend = Recorder { ops: rig.ops.clone(), session: rig.session };
    let options = UiOptions { model: "claude-sonnet-4-5".into(), workspace: None, proxy_approvals };
    let app = LanternApp::new(Box::new(backend), rig.log.clone(), options, &egui::Context::default()).unwrap();
    let mut harness = Harness::builder().with_size(size).build_ui_state(|ui, app: &mut LanternApp| app.ui(ui), app);
    settle(&mut harness, rig);
    harness
}

/// Folds everything journaled so far, lets the diff worker finish, and runs frames.
pub fn settle(harness: &mut Harness<'static, LanternApp>, rig: &Rig) {
    let last = rig.log.last_seq().unwrap();
    assert!(harness.state_mut().pump_until(Duration::from_secs(10), |a| a.last_seq() >= last), "feed stalled");
    harness.run_steps(2);
    assert!(harness.state_mut().diffs.wait_idle(Duration::from_secs(10)), "diff worker stalled");
    harness.run_steps(2);
}

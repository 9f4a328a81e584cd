//! The pipeline actor: runs each request's [`Chain`], doing the I/O its steps ask for.

use super::chain::{Ask, Chain, Input, Step};
use super::ops::{ActOnSuggestion, CloseSession, Decide, GiveFeedback, OpenSession, SubmitPrompt, SubmitProxied};
use super::proxied::{Delivery, Proxied};
use super::shape::Shape;
use crate::cache_bridge::Bridge;
use crate::cache_bridge::contract::{WireMiss, WireOutcome, parse_process};
use crate::journal::Journal;
use crate::refiner::{RefineInput, RefinerConfig, llm as refiner_llm, refine};
use crate::suggester::{SuggestInput, Suggestions, heuristic, llm};
use actix::prelude::*;
use lantern_events::schema::*;
use lantern_events::{Actor as Who, NewEvent, RequestId, SessionId, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// The user turns a session remembers for suggestions (a proxy's session
/// lives as long as the server: it must not grow without end).
const REMEMBERED_TURNS: usize = 32;
/// The suggestion offers a session remembers, for `ActOnSuggestion`.
const REMEMBERED_OFFERS: usize = 64;

/// How the pipeline behaves. Its `Debug` never shows the API key.
#[derive(Clone)]
pub struct Settings {
    /// Refiner configuration.
    pub refiner: RefinerConfig,
    /// How long an `ask` policy waits for a user before sending the original.
    pub decision_timeout: Duration,
    /// Cache namespace.
    pub namespace: String,
    /// `max_tokens` of requests the pipeline builds.
    pub max_tokens: u32,
    /// Suggestions per response (0 turns the Suggester off; at most 3).
    pub suggestions: usize,
    /// Where suggestions come from.
    pub suggest_with: SuggestWith,
    /// Whether the model rewrites the rules' proposal (off by default).
    pub refine_with_llm: bool,
    /// Upstream API key to pass to Widget-Log. Normally `None`: Widget-Log
    /// reads it from its configured environment variable. Never journaled.
    pub api_key: Option<String>,
}

/// Where suggestions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestWith {
    /// Local rules (offline).
    Heuristic,
    /// The upstream model, from this input; the heuristic answers when the
    /// model gives nothing usable (and is labelled as such).
    Llm(llm::Source),
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("refiner", &self.refiner)
            .field("decision_timeout", &self.decision_timeout)
            .field("namespace", &self.namespace)
            .field("max_tokens", &self.max_tokens)
            .field("suggestions", &self.suggestions)
            .field("suggest_with", &self.suggest_with)
            .field("refine_with_llm", &self.refine_with_llm)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            refiner: RefinerConfig::default(),
            decision_timeout: Duration::from_secs(120),
            namespace: "default".into(),
            max_tokens: 1024,
            suggestions: 3,
            suggest_with: SuggestWith::Heuristic,
            refine_with_llm: false,
            api_key: None,
        }
    }
}

#[derive(Default)]
struct SessionState {
    /// The frontend that opened the session (events it causes name it).
    frontend: Option<FrontendKind>,
    user_turns: Vec<String>,
    /// `SuggestionsOffered` seq → the suggested prompts.
    offers: HashMap<u64, Vec<String>>,
}

struct Running {
    chain: Chain,
    last_seq: Option<u64>,
    submitted: Instant,
    proposed: Option<Instant>,
    timeout: Option<SpawnHandle>,
    /// A whole request handed over by a frontend, and where its answer goes.
    proxied: Option<(Arc<Proxied>, UnboundedSender<Delivery>)>,
}

/// The actor. Frontends reach it through [`crate::runtime::Client`].
pub struct Pipeline {
    journal: Journal,
    pub(super) bridge: Arc<Bridge>,
    settings: Settings,
    sessions: HashMap<SessionId, SessionState>,
    running: HashMap<RequestId, Running>,
}

impl Pipeline {
    /// A pipeline over a journal and a started bridge.
    pub fn new(journal: Journal, bridge: Arc<Bridge>, settings: Settings) -> Self {
        Pipeline { journal, bridge, settings, sessions: HashMap::new(), running: HashMap::new() }
    }

    fn record(
        &self,
        session: SessionId,
        request: Option<RequestId>,
        actor: Who,
        cause: Option<u64>,
        event: Event,
    ) -> Option<u64> {
        let e = NewEvent { at: Timestamp::now(), session, request, actor, cause, event };
        match self.journal.record(e) {
            Ok(seq) => seq,
            Err(err) => {
                tracing::error!(error = %err, "event not journaled");
                None
            }
        }
    }

    pub(super) fn shape(&self) -> Shape {
        Shape {
            max_tokens: self.settings.max_tokens,
            namespace: self.settings.namespace.clone(),
            api_key: self.settings.api_key.clone(),
        }
    }

    fn bridge_request(&self, model: &str, prompt: &str) -> String {
        self.shape().body(model, prompt, None, self.settings.max_tokens)
    }

    fn start(&mut self, ask: Ask, proxied: Option<(Arc<Proxied>, UnboundedSender<Delivery>)>, ctx: &mut Context<Self>) {
        let request = ask.request;
        let (chain, steps) = Chain::start(ask);
        let run = Running { chain, last_seq: None, submitted: Instant::now(), proposed: None, timeout: None, proxied };
        self.running.insert(request, run);
        self.run(request, steps, ctx);
    }

    pub(super) fn feed(&mut self, request: RequestId, input: Input, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get_mut(&request) else { return };
        if matches!(input, Input::Decided { .. })
            && let Some(h) = run.timeout.take()
        {
            ctx.cancel_future(h);
        }
        let steps = run.chain.on(input);
        self.run(request, steps, ctx);
    }

    fn run(&mut self, request: RequestId, steps: Vec<Step>, ctx: &mut Context<Self>) {
        for step in steps {
            let Some(run) = self.running.get(&request) else { return };
            let ask = run.chain.ask().clone();
            match step {
                Step::Record(actor, event) => {
                    let event = *event;
                    let offered = match &event {
                        Event::SuggestionsOffered(s) => {
                            Some(s.suggestions.iter().map(|x| x.text.display()).collect::<Vec<_>>())
                        }
                        _ => None,
                    };
                    let seq = self.record(ask.session, Some(request), actor, run.last_seq, event);
                    if let Some(r) = self.running.get_mut(&request) {
                        r.last_seq = seq.or(r.last_seq);
                    }
                    if let (Some(seq), Some(prompts)) = (seq, offered) {
                        let offers = &mut self.sessions.entry(ask.session).or_default().offers;
                        offers.insert(seq, prompts);
                        if offers.len() > REMEMBERED_OFFERS
                            && let Some(oldest) = offers.keys().min().copied()
                        {
                            offers.remove(&oldest);
                        }
                    }
                }
                Step::Refine => {
                    let proxied = run.proxied.as_ref().map(|(p, _)| p.clone());
                    self.refine(request, &ask, proxied, ctx)
                }
                Step::AwaitDecision => {
                    let timeout = self.settings.decision_timeout;
                    let handle = ctx.run_later(timeout, move |act, ctx| {
                        let waited_ms = timeout.as_millis() as u64;
                        let by = Decider::Policy(ApprovalPolicy::Ask);
                        act.feed(request, Input::Decided { decision: Decision::TimedOut, by, waited_ms }, ctx);
                    });
                    if let Some(r) = self.running.get_mut(&request) {
                        r.proposed = Some(Instant::now());
                        r.timeout = Some(handle);
                    }
                }
                Step::Send(prompt) => {
                    // The user's own words, not Lantern's additions, are their turn.
                    let turns = &mut self.sessions.entry(ask.session).or_default().user_turns;
                    turns.push(ask.prompt.clone());
                    if turns.len() > REMEMBERED_TURNS {
                        turns.remove(0);
                    }
                    let submitted = run.submitted;
                    if let Some((proxied, reply)) = run.proxied.clone() {
                        self.send_proxied(request, &proxied, reply, &prompt, submitted, ctx);
                        continue;
                    }
                    let call = self.bridge.call("process", Some(self.bridge_request(&ask.model, &prompt)));
                    ctx.spawn(call.into_actor(self).map(move |answer, act, ctx| {
                        let since_submit_ms = submitted.elapsed().as_millis() as u64;
                        let input = match answer.and_then(|json| parse_process(&json)) {
                            Ok(result) => Input::Answered { result: result.map(Box::new), since_submit_ms },
                            Err(e) => Input::BridgeFailed(e.to_string()),
                        };
                        act.feed(request, input, ctx);
                    }));
                }
                Step::Suggest(reply) => self.suggest(request, ask.session, &ask.model, reply, ctx),
                Step::Finish => {
                    self.running.remove(&request);
                }
            }
        }
    }

    fn heuristic(&self, session: SessionId, reply: &str) -> Option<Suggestions> {
        if self.settings.suggestions == 0 {
            return None;
        }
        let turns = self.sessions.get(&session).map(|s| s.user_turns.clone()).unwrap_or_default();
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        heuristic(&SuggestInput { last_assistant: Some(reply), user_turns: &turns, max: self.settings.suggestions })
    }

    /// Suggests next prompts, from the upstream in LLM mode, else (or when
    /// the model gives nothing usable) from the heuristic.
    fn suggest(&mut self, request: RequestId, session: SessionId, model: &str, reply: String, ctx: &mut Context<Self>) {
        let SuggestWith::Llm(source) = self.settings.suggest_with else {
            let s = self.heuristic(session, &reply);
            return self.feed(request, Input::Suggested(s), ctx);
        };
        let turns = self.sessions.get(&session).map(|s| s.user_turns.clone()).unwrap_or_default();
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        let max = self.settings.suggestions;
        let Some(ask) = llm::request(source, Some(&reply), &turns, max).filter(|_| max > 0) else {
            let s = self.heuristic(session, &reply);
            return self.feed(request, Input::Suggested(s), ctx);
        };
        let body = self.shape().body(model, &ask.user, Some(&ask.system), 300);
        let call = self.bridge.call("process", Some(body));
        let context = ask.context;
        ctx.spawn(call.into_actor(self).map(move |answer, act, ctx| {
            let from_llm = answer
                .ok()
                .and_then(|json| parse_process(&json).ok())
                .and_then(Result::ok)
                .and_then(|p| llm::parse(&p.text(), max, context));
            let s = from_llm.or_else(|| act.heuristic(session, &reply));
            act.feed(request, Input::Suggested(s), ctx);
        }));
    }

    /// Runs the Refiner (and, when enabled, lets the model rewrite its
    /// proposal), then asks the cache what it would do with the original and
    /// with the refined prompt.
    fn refine(&mut self, request: RequestId, ask: &Ask, proxied: Option<Arc<Proxied>>, ctx: &mut Context<Self>) {
        let config = self.settings.refiner.clone();
        let rules = refine(&RefineInput::new(&ask.prompt, &ask.model, &ask.context), &config);
        let (bridge, shape, ask, llm_on) =
            (self.bridge.clone(), self.shape(), ask.clone(), self.settings.refine_with_llm);
        let work = async move {
            let mut proposal = rules;
            if llm_on {
                let body = shape.body(&ask.model, &proposal.refined, Some(refiner_llm::SYSTEM), shape.max_tokens);
                let reply = bridge
                    .call("process", Some(body))
                    .await
                    .ok()
                    .and_then(|j| parse_process(&j).ok())
                    .and_then(Result::ok);
                if let Some(reply) = reply {
                    let input = RefineInput::new(&ask.prompt, &ask.model, &ask.context);
                    match refiner_llm::revise(&proposal, &input, &config, &ask.model, &reply.text()) {
                        Ok(revised) => proposal = revised,
                        Err(why) => tracing::info!(?why, "LLM rewrite not taken; the rules' proposal stands"),
                    }
                }
            }
            // The lookups a send would make: the whole request when a frontend handed one over.
            let peek = |prompt: &str| match &proxied {
                Some(p) => shape.proxied(p, prompt, false),
                None => shape.body(&ask.model, prompt, None, shape.max_tokens),
            };
            let original = outlook(bridge.call("peek", Some(peek(&ask.prompt))).await);
            // Often nothing was changed: the same text needs no second lookup.
            let refined = if proposal.refined == ask.prompt {
                original.clone()
            } else {
                outlook(bridge.call("peek", Some(peek(&proposal.refined))).await)
            };
            (proposal, original, refined)
        };
        ctx.spawn(work.into_actor(self).map(move |(proposal, original, refined), act, ctx| {
            let outlook = CacheOutlook { original, refined };
            act.feed(request, Input::Refined(Box::new((proposal, outlook))), ctx);
        }));
    }
}

/// The cache's answer to a peek, as a prompt outlook.
fn outlook(answer: Result<String, crate::cache_bridge::BridgeError>) -> PromptOutlook {
    #[derive(serde::Deserialize)]
    struct Peek {
        cache: WireOutcome,
    }
    let peek = answer.ok().and_then(|json| serde_json::from_str::<Peek>(&json).ok());
    let Some(Peek { cache }) = peek else {
        // The cache could not be asked; the chain's own lookup will report why.
        return PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
    };
    let (nearest_similarity, verdict) = match cache {
        WireOutcome::ExactHit { .. } => (Some(1.0), OutlookVerdict::ExactHit),
        WireOutcome::SemanticHit { similarity, .. } => (Some(similarity), OutlookVerdict::SemanticHit),
        WireOutcome::Miss { reason } => match reason {
            WireMiss::BelowThreshold { best } => (Some(best), OutlookVerdict::BelowThreshold),
            WireMiss::GuardRejected { best, reason } => (Some(best), OutlookVerdict::GuardRejected { reason }),
            WireMiss::Empty | WireMiss::Disabled | WireMiss::Bypassed => (None, OutlookVerdict::NoCandidate),
        },
    };
    PromptOutlook { nearest_similarity, verdict }
}

impl Actor for Pipeline {
    type Context = Context<Self>;
}

impl Handler<OpenSession> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: OpenSession, _: &mut Context<Self>) {
        self.sessions.entry(op.session).or_default().frontend = Some(op.frontend);
        let started = Event::SessionStarted(SessionStarted {
            frontend: op.frontend,
            lantern_version: env!("CARGO_PKG_VERSION").into(),
            privacy: self.journal_privacy(),
            workspace: op.workspace,
        });
        self.record(op.session, None, Who::Frontend(op.frontend), None, started);
    }
}

impl Pipeline {
    fn journal_privacy(&self) -> PrivacyLevel {
        self.journal.privacy()
    }
}

impl Handler<CloseSession> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: CloseSession, _: &mut Context<Self>) {
        let frontend = self.sessions.remove(&op.session).and_then(|s| s.frontend).unwrap_or(FrontendKind::Cli);
        self.record(
            op.session,
            None,
            Who::Frontend(frontend),
            None,
            Event::SessionEnded(SessionEnded { reason: op.reason }),
        );
    }
}

impl Handler<SubmitPrompt> for Pipeline {
    type Result = ();
    fn handle(&mut self, SubmitPrompt(ask): SubmitPrompt, ctx: &mut Context<Self>) {
        self.start(ask, None, ctx);
    }
}

impl Handler<SubmitProxied> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: SubmitProxied, ctx: &mut Context<Self>) {
        self.start(op.ask, Some((op.proxied, op.reply)), ctx);
    }
}

impl Handler<Decide> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: Decide, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get(&op.request) else { return };
        if !run.chain.awaits_decision() {
            return;
        }
        let waited_ms = run.proposed.map_or(0, |t| t.elapsed().as_millis() as u64);
        self.feed(op.request, Input::Decided { decision: op.decision, by: Decider::User, waited_ms }, ctx);
    }
}

impl Handler<ActOnSuggestion> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: ActOnSuggestion, ctx: &mut Context<Self>) {
        let acted = Event::SuggestionActed(SuggestionActed {
            offered_seq: op.offered_seq,
            index: op.index,
            action: op.action.clone(),
        });
        let frontend = op.template.frontend;
        self.record(op.session, None, Who::Frontend(frontend), Some(op.offered_seq), acted);
        let offered = self.sessions.get(&op.session).and_then(|s| s.offers.get(&op.offered_seq));
        let text = match &op.action {
            SuggestionAction::Sent => offered.and_then(|o| o.get(usize::from(op.index))).cloned(),
            SuggestionAction::Edited { text } => text.as_str().map(str::to_owned),
            SuggestionAction::Dismissed => None,
        };
        if let Some(prompt) = text {
            let ask = Ask {
                session: op.session,
                request: op.request,
                prompt,
                origin: PromptOrigin::Suggestion { offered_seq: op.offered_seq, index: op.index },
                ..op.template
            };
            self.start(ask, None, ctx);
        }
    }
}

impl Handler<GiveFeedback> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: GiveFeedback, ctx: &mut Context<Self>) {
        let invalidate = match (&op.verdict, &op.entry) {
            (FeedbackVerdict::WrongAnswer, Some(entry)) => Some(self.bridge.call("invalidate", Some(entry.0.clone()))),
            _ => None,
        };
        let done = async move {
            match invalidate {
                Some(call) => call
                    .await
                    .ok()
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
                    .is_some_and(|v| v["invalidated"] == true),
                None => false,
            }
        };
        let frontend = self.sessions.get(&op.session).and_then(|s| s.frontend).unwrap_or(FrontendKind::Cli);
        ctx.spawn(done.into_actor(self).map(move |invalidated, act, _| {
            let event = Event::FeedbackGiven(FeedbackGiven {
                response_seq: op.response_seq,
                verdict: op.verdict,
                entry: op.entry,
                invalidated,
                note: None,
            });
            act.record(op.session, None, Who::Frontend(frontend), Some(op.response_seq), event);
        }));
    }
}

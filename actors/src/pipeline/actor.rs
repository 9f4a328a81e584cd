//! The pipeline actor: runs each request's [`Chain`] and routes the work its
//! steps ask for. The work itself (refining, sending, suggesting) runs on the
//! upstream runtime; the actor only journals and routes.

use super::answer::{Looked, Sent};
use super::chain::{Ask, Chain, Input, Step};
use super::ops::{
    ActOnSuggestion, CloseSession, Decide, DecideOffer, GiveFeedback, OpenSession, SubmitPrompt, SubmitProxied,
};
use super::proxied::{Delivery, Proxied};
use super::route::{Route, Target};
use super::send::{self, Job, Offer, Sending};
use crate::cache_bridge::{Cache, CacheMode, SemanticMode};
use crate::journal::Journal;
use crate::refiner::{RefineInput, RefinerConfig, refine, shell as refiner};
use crate::suggester::shell::{self as suggester, SuggestWith, Suggesting, Turns};
use crate::upstream::{Failure, Upstream};
use actix::prelude::*;
use lantern_events::schema::*;
use lantern_events::{Actor as Who, NewEvent, RequestId, SessionId, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;

/// The suggestion offers a session remembers, for `ActOnSuggestion`.
const REMEMBERED_OFFERS: usize = 64;

/// How the pipeline behaves.
#[derive(Debug, Clone)]
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
    /// Whether a paraphrase may be served from the cache, offered to the
    /// user (only where a user decides: approval policy `ask`), or not used.
    pub semantic: SemanticMode,
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
            semantic: SemanticMode::Offer,
        }
    }
}

#[derive(Default)]
struct SessionState {
    /// The frontend that opened the session (events it causes name it).
    frontend: Option<FrontendKind>,
    turns: Turns,
    /// `SuggestionsOffered` seq → the suggested prompts.
    offers: HashMap<u64, Vec<String>>,
}

struct Running {
    chain: Chain,
    route: Route,
    last_seq: Option<u64>,
    submitted: Instant,
    /// Since when the chain waits for a person (on a refinement or an
    /// offer: never both at once), and the timeout that ends the wait.
    waiting: Option<(Instant, SpawnHandle)>,
    /// Where a frontend that handed the request over whole wants its answer.
    reply: Option<Sender<Delivery>>,
    /// The paraphrase offered, while the user chooses.
    offer: Option<Offer>,
}

impl Running {
    /// Milliseconds the chain has waited for its person.
    fn waited_ms(&self) -> u64 {
        self.waiting.as_ref().map_or(0, |(since, _)| since.elapsed().as_millis() as u64)
    }
}

/// The actor. Frontends reach it through [`crate::runtime::Client`].
pub struct Pipeline {
    journal: Journal,
    cache: Arc<Cache>,
    upstream: Upstream,
    settings: Settings,
    sessions: HashMap<SessionId, SessionState>,
    running: HashMap<RequestId, Running>,
}

impl Pipeline {
    /// A pipeline over a journal, a started cache and an upstream client.
    pub fn new(journal: Journal, cache: Arc<Cache>, upstream: Upstream, settings: Settings) -> Self {
        Pipeline { journal, cache, upstream, settings, sessions: HashMap::new(), running: HashMap::new() }
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

    /// The namespace answers are cached in: offline answers apart
    /// (`<ns>@offline`), so that none is ever served once a model is configured.
    fn namespace(&self, asked: Option<&str>) -> String {
        let ns = asked.unwrap_or(&self.settings.namespace);
        if self.upstream.is_offline() { format!("{ns}@offline") } else { ns.to_owned() }
    }

    fn start(&mut self, ask: Ask, proxied: Option<(Arc<Proxied>, Sender<Delivery>)>, ctx: &mut Context<Self>) {
        let request = ask.request;
        let (route, skip, reply) = match proxied {
            Some((p, reply)) => {
                let skip = p.refinable().err();
                let route = Route {
                    namespace: self.namespace(p.namespace.as_deref()),
                    mode: p.cache,
                    target: Target::Proxied(p),
                };
                (route, skip, Some(reply))
            }
            None => {
                let target = Target::Prompt { model: ask.model.clone(), max_tokens: self.settings.max_tokens };
                (Route { target, namespace: self.namespace(None), mode: CacheMode::Default }, None, None)
            }
        };
        let (chain, steps) = Chain::start(ask, skip);
        let run =
            Running { chain, route, last_seq: None, submitted: Instant::now(), waiting: None, reply, offer: None };
        self.running.insert(request, run);
        self.run(request, steps, ctx);
    }

    pub(super) fn feed(&mut self, request: RequestId, input: Input, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get_mut(&request) else { return };
        if matches!(input, Input::Decided { .. } | Input::OfferDecided { .. })
            && let Some((_, h)) = run.waiting.take()
        {
            ctx.cancel_future(h);
        }
        let steps = run.chain.on(input);
        self.run(request, steps, ctx);
    }

    fn run(&mut self, request: RequestId, steps: Vec<Step>, ctx: &mut Context<Self>) {
        for step in steps {
            let Some(run) = self.running.get(&request) else { return };
            let session = run.chain.ask().session;
            match step {
                Step::Record(actor, event) => self.journal_step(request, session, actor, *event),
                Step::Refine => self.refine(request, ctx),
                Step::AwaitDecision => self.wait_for_person(request, ctx, |by, waited_ms| Input::Decided {
                    decision: Decision::TimedOut,
                    by,
                    waited_ms,
                }),
                Step::Send(prompt) => self.send(request, &prompt, None, ctx),
                Step::AwaitOffer => self.wait_for_person(request, ctx, |by, waited_ms| Input::OfferDecided {
                    choice: OfferChoice::TimedOut,
                    by,
                    waited_ms,
                }),
                Step::ServeOffered => self.serve_offered(request, ctx),
                Step::AskModel(prompt) => {
                    let looked = self.running.get_mut(&request).and_then(|r| r.offer.take()).map(|o| o.looked);
                    self.send(request, &prompt, looked, ctx);
                }
                Step::Suggest(reply) => self.suggest(request, session, reply, ctx),
                Step::Finish => {
                    self.running.remove(&request);
                }
            }
        }
    }

    /// Waits for a person's choice; past the decision timeout, the `ask`
    /// policy makes the choice `timed_out` gives.
    fn wait_for_person(&mut self, request: RequestId, ctx: &mut Context<Self>, timed_out: fn(Decider, u64) -> Input) {
        let timeout = self.settings.decision_timeout;
        let handle = ctx.run_later(timeout, move |act, ctx| {
            let input = timed_out(Decider::Policy(ApprovalPolicy::Ask), timeout.as_millis() as u64);
            act.feed(request, input, ctx);
        });
        if let Some(r) = self.running.get_mut(&request) {
            r.waiting = Some((Instant::now(), handle));
        }
    }

    fn journal_step(&mut self, request: RequestId, session: SessionId, actor: Who, event: Event) {
        let cause = self.running.get(&request).and_then(|r| r.last_seq);
        let offered = match &event {
            Event::SuggestionsOffered(s) => Some(s.suggestions.iter().map(|x| x.text.display()).collect::<Vec<_>>()),
            _ => None,
        };
        let delivered = matches!(event, Event::ResponseDelivered(_));
        let seq = self.record(session, Some(request), actor, cause, event);
        if let Some(r) = self.running.get_mut(&request) {
            r.last_seq = seq.or(r.last_seq);
            if delivered && let Some(reply) = r.reply.take() {
                // The frontend finishes its answer once the chain so far is
                // durable; if the journal failed, it says so instead.
                self.journal.when_durable(move |journalled| {
                    if !journalled {
                        let why = "the journal could not record this answer, so it is not sent whole";
                        let _ = reply.try_send(Delivery::Broken(Failure::new("journal_failed", why, true)));
                    }
                });
            }
        }
        if let (Some(seq), Some(prompts)) = (seq, offered) {
            let offers = &mut self.sessions.entry(session).or_default().offers;
            offers.insert(seq, prompts);
            if offers.len() > REMEMBERED_OFFERS
                && let Some(oldest) = offers.keys().min().copied()
            {
                offers.remove(&oldest);
            }
        }
    }

    /// Proposes a refinement with the cache's outlook, off the actor.
    fn refine(&mut self, request: RequestId, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get(&request) else { return };
        let (ask, route, config) = (run.chain.ask().clone(), run.route.clone(), self.settings.refiner.clone());
        let outside = refiner::Outside {
            cache: self.cache.clone(),
            upstream: self.upstream.clone(),
            llm: self.settings.refine_with_llm,
            max_tokens: self.settings.max_tokens,
            mode: route.mode,
            semantic: self.settings.semantic,
        };
        let fallback = (ask.clone(), config.clone());
        let work = self.upstream.spawn(refiner::propose(outside, ask, config, move |p| route.key(p)));
        ctx.spawn(work.into_actor(self).map(move |proposed, act, ctx| {
            let (proposal, outlook) = proposed.unwrap_or_else(|| {
                // The upstream runtime is stopping: the rules' proposal, without an outlook.
                let (ask, config) = fallback;
                let none = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
                let p = refine(&RefineInput::new(&ask.prompt, &ask.model, &ask.context), &config);
                (p, CacheOutlook { original: none.clone(), refined: none })
            });
            act.feed(request, Input::Refined(Box::new((proposal, outlook))), ctx);
        }));
    }

    /// Sends `prompt` through the cache and, on a miss, upstream, off the
    /// actor. With `looked` (an offer the user refused) the cache is not
    /// asked again.
    fn send(&mut self, request: RequestId, prompt: &str, looked: Option<Looked>, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get_mut(&request) else { return };
        let ask = run.chain.ask();
        // The user's own words, not Lantern's additions, are their turn.
        let turn = (looked.is_none()).then(|| ask.prompt.clone());
        let session = ask.session;
        // Only a person can take an offer: without one, paraphrases are not used.
        let semantic = match self.settings.semantic {
            SemanticMode::Offer if ask.policy != ApprovalPolicy::Ask => SemanticMode::Off,
            mode => mode,
        };
        let (outbound, key, mode) = run.route.request(prompt);
        let namespace = key.namespace.clone();
        let job = Job {
            cache: self.cache.clone(),
            upstream: self.upstream.clone(),
            key,
            mode,
            semantic,
            outbound,
            reply: run.reply.take(),
            looked,
        };
        let submitted = run.submitted;
        if let Some(turn) = turn {
            self.sessions.entry(session).or_default().turns.push(turn);
        }
        let work = self.upstream.spawn(send::run(job));
        ctx.spawn(work.into_actor(self).map(move |sending, act, ctx| {
            let (sending, reply) = sending.unwrap_or_else(|| (Sending::Done(stopping(namespace)), None));
            let Some(run) = act.running.get_mut(&request) else { return };
            run.reply = reply;
            match sending {
                Sending::Done(sent) => {
                    let since_submit_ms = submitted.elapsed().as_millis() as u64;
                    act.feed(request, Input::Answered { sent: Box::new(sent), since_submit_ms }, ctx);
                }
                Sending::Offered(offer) => {
                    let looked = offer.looked.clone();
                    run.offer = Some(offer);
                    act.feed(request, Input::Offered(Box::new(looked)), ctx);
                }
            }
        }));
    }

    /// Answers with the offered paraphrase the user took, off the actor.
    fn serve_offered(&mut self, request: RequestId, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get_mut(&request) else { return };
        let Some(offer) = run.offer.take() else { return };
        let (namespace, submitted) = (offer.looked.namespace.clone(), run.submitted);
        let work = self.upstream.spawn(send::serve_offered(run.reply.take(), offer));
        ctx.spawn(work.into_actor(self).map(move |served, act, ctx| {
            let (sent, reply) = served.unwrap_or_else(|| (stopping(namespace), None));
            if let Some(run) = act.running.get_mut(&request) {
                run.reply = reply;
            }
            let since_submit_ms = submitted.elapsed().as_millis() as u64;
            act.feed(request, Input::Answered { sent: Box::new(sent), since_submit_ms }, ctx);
        }));
    }

    /// Proposes next prompts after `reply`, off the actor.
    fn suggest(&mut self, request: RequestId, session: SessionId, reply: String, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get(&request) else { return };
        let how = Suggesting {
            with: self.settings.suggest_with,
            max: self.settings.suggestions,
            upstream: self.upstream.clone(),
            model: run.chain.ask().model.clone(),
        };
        let turns = self.sessions.get(&session).map(|s| s.turns.to_vec()).unwrap_or_default();
        let work = self.upstream.spawn(suggester::suggest(how, reply, turns));
        ctx.spawn(work.into_actor(self).map(move |s, act, ctx| act.feed(request, Input::Suggested(s.flatten()), ctx)));
    }

    fn frontend(&self, session: SessionId) -> FrontendKind {
        self.sessions.get(&session).and_then(|s| s.frontend).unwrap_or(FrontendKind::Cli)
    }
}

/// What a send that never ran (the runtime is stopping) reports.
fn stopping(namespace: String) -> Sent {
    let reason = MissReason::Unavailable { message: "Lantern is stopping".into() };
    Sent {
        looked: Looked { outcome: CacheOutcome::Miss { reason }, namespace, latency_us: 0 },
        result: Err(Failure::new("stopping", "Lantern stopped before the answer came", true)),
    }
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
            privacy: self.journal.privacy(),
            workspace: op.workspace,
        });
        self.record(op.session, None, Who::Frontend(op.frontend), None, started);
    }
}

impl Handler<CloseSession> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: CloseSession, _: &mut Context<Self>) {
        let frontend = self.sessions.remove(&op.session).and_then(|s| s.frontend).unwrap_or(FrontendKind::Cli);
        let ended = Event::SessionEnded(SessionEnded { reason: op.reason });
        self.record(op.session, None, Who::Frontend(frontend), None, ended);
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
        let waited_ms = run.waited_ms();
        self.feed(op.request, Input::Decided { decision: op.decision, by: Decider::User, waited_ms }, ctx);
    }
}

impl Handler<DecideOffer> for Pipeline {
    type Result = ();
    fn handle(&mut self, op: DecideOffer, ctx: &mut Context<Self>) {
        let Some(run) = self.running.get(&op.request) else { return };
        if !run.chain.awaits_offer() {
            return;
        }
        let choice = if op.use_cached { OfferChoice::UsedCached } else { OfferChoice::AskedModel };
        let waited_ms = run.waited_ms();
        self.feed(op.request, Input::OfferDecided { choice, by: Decider::User, waited_ms }, ctx);
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
            (FeedbackVerdict::WrongAnswer, Some(entry)) => Some(self.cache.invalidate(entry)),
            _ => None,
        };
        let done = async move {
            match invalidate {
                Some(call) => call.await.unwrap_or(false),
                None => false,
            }
        };
        let frontend = self.frontend(op.session);
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

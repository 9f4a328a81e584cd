//! The pure core of one request's chain:
//! PromptSubmitted → RefinementProposed → ApprovalDecided → CacheChecked →
//! UpstreamCompleted | UpstreamFailed → ResponseDelivered → SuggestionsOffered.
//!
//! [`Chain::on`] takes what happened and returns the [`Step`]s the shell must
//! take: events to journal and work to start. It does no I/O and reads no
//! clock; times come in with the inputs.

use crate::cache_bridge::contract::{Failure, Processed, WireSource};
use crate::refiner::Proposal;
use crate::suggester::Suggestions;
use lantern_events::schema::*;
use lantern_events::{Actor, RequestId, SessionId};

/// What a frontend asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    /// The session it belongs to.
    pub session: SessionId,
    /// The request id (chosen by the frontend, so it can follow the chain).
    pub request: RequestId,
    /// The prompt as written.
    pub prompt: String,
    /// Target model.
    pub model: String,
    /// Editor context.
    pub context: PromptContext,
    /// Where the prompt came from.
    pub origin: PromptOrigin,
    /// Who decides between original and refined.
    pub policy: ApprovalPolicy,
    /// Which frontend sent it.
    pub frontend: FrontendKind,
}

/// What happened, fed back into the chain by the shell.
#[derive(Debug, Clone)]
pub enum Input {
    /// The Refiner proposed, and the cache gave its outlook.
    Refined(Box<(Proposal, CacheOutlook)>),
    /// A user or a policy decided.
    Decided {
        /// The decision.
        decision: Decision,
        /// Who decided.
        by: Decider,
        /// Milliseconds from proposal to decision.
        waited_ms: u64,
    },
    /// Widget-Log answered (from the cache or upstream), or reported a failure.
    Answered {
        /// The answer or the failure.
        result: Result<Box<Processed>, Failure>,
        /// Milliseconds from submission to now.
        since_submit_ms: u64,
    },
    /// The bridge itself failed (Python missing, crashed, stopped).
    BridgeFailed(String),
    /// The Suggester finished (with nothing to offer, or suggestions).
    Suggested(Option<Suggestions>),
}

/// What the shell must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Journal this event, caused by the chain's previous one.
    Record(Actor, Box<Event>),
    /// Run the Refiner and ask the cache for its outlook on both prompts.
    Refine,
    /// Wait for a user's decision (or the timeout).
    AwaitDecision,
    /// Send this prompt through the cache and, on a miss, upstream.
    Send(String),
    /// Propose next prompts after this reply.
    Suggest(String),
    /// The chain is complete.
    Finish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Refining,
    Deciding,
    Answering,
    Suggesting,
    Done,
}

/// One request's chain.
#[derive(Debug, Clone)]
pub struct Chain {
    ask: Ask,
    stage: Stage,
    refined: Option<String>,
}

impl Chain {
    /// Starts a chain: the prompt is journaled and the Refiner asked.
    pub fn start(ask: Ask) -> (Self, Vec<Step>) {
        let submitted = Event::PromptSubmitted(PromptSubmitted {
            text: ask.prompt.clone().into(),
            model: ask.model.clone(),
            context: ask.context.clone(),
            origin: ask.origin,
        });
        let steps = vec![Step::Record(Actor::Frontend(ask.frontend), Box::new(submitted)), Step::Refine];
        (Chain { ask, stage: Stage::Refining, refined: None }, steps)
    }

    /// The request this chain serves.
    pub fn ask(&self) -> &Ask {
        &self.ask
    }

    /// Whether the chain waits for a user's decision.
    pub fn awaits_decision(&self) -> bool {
        self.stage == Stage::Deciding
    }

    /// Advances the chain. Inputs that do not fit the current stage (a late
    /// decision after a timeout, say) are ignored: they change nothing.
    pub fn on(&mut self, input: Input) -> Vec<Step> {
        match (self.stage, input) {
            (Stage::Refining, Input::Refined(boxed)) => {
                let (proposal, outlook) = *boxed;
                self.refined = Some(proposal.refined.clone());
                let mut steps = vec![Step::Record(
                    Actor::Refiner,
                    Box::new(Event::RefinementProposed(proposal.into_event(outlook))),
                )];
                self.stage = Stage::Deciding;
                match self.ask.policy {
                    ApprovalPolicy::Ask => steps.push(Step::AwaitDecision),
                    ApprovalPolicy::Accept => {
                        steps.extend(self.decide(Decision::Accepted, Decider::Policy(ApprovalPolicy::Accept), 0))
                    }
                    ApprovalPolicy::Original => {
                        steps.extend(self.decide(Decision::Rejected, Decider::Policy(ApprovalPolicy::Original), 0))
                    }
                }
                steps
            }
            (Stage::Deciding, Input::Decided { decision, by, waited_ms }) => self.decide(decision, by, waited_ms),
            (Stage::Answering, Input::Answered { result: Ok(p), since_submit_ms }) => {
                self.stage = Stage::Suggesting;
                let text = p.text();
                let mut steps = vec![Step::Record(
                    Actor::CacheBridge,
                    Box::new(Event::CacheChecked(CacheChecked {
                        outcome: p.cache.clone().into(),
                        namespace: p.namespace.clone().unwrap_or_else(|| "default".into()),
                        latency_us: p.lookup_us(),
                    })),
                )];
                if p.source != WireSource::Cache {
                    steps.push(Step::Record(
                        Actor::CacheBridge,
                        Box::new(Event::UpstreamCompleted(UpstreamCompleted {
                            provider: p.provider.clone().unwrap_or_else(|| "unknown".into()),
                            model: p.response["model"].as_str().unwrap_or(&self.ask.model).to_owned(),
                            usage: p.usage.into(),
                            attempts: p.attempts,
                            latency_ms: p.latency_ms.round() as u64,
                            stop_reason: p.stop_reason(),
                        })),
                    ));
                }
                steps.push(Step::Record(
                    Actor::CacheBridge,
                    Box::new(Event::ResponseDelivered(ResponseDelivered {
                        source: p.source.into(),
                        text: text.clone().into(),
                        latency_ms: since_submit_ms,
                    })),
                ));
                steps.push(Step::Suggest(text));
                steps
            }
            (Stage::Answering, Input::Answered { result: Err(f), .. }) => {
                self.stage = Stage::Done;
                vec![
                    Step::Record(
                        Actor::CacheBridge,
                        Box::new(Event::UpstreamFailed(UpstreamFailed {
                            provider: f.provider.clone().unwrap_or_else(|| "widget-log".into()),
                            kind: f.kind,
                            status: f.status,
                            message: f.message,
                            retryable: f.retryable,
                            attempts: f.attempts.unwrap_or(0),
                        })),
                    ),
                    Step::Finish,
                ]
            }
            (Stage::Refining | Stage::Answering, Input::BridgeFailed(message)) => {
                self.stage = Stage::Done;
                vec![
                    Step::Record(
                        Actor::CacheBridge,
                        Box::new(Event::UpstreamFailed(UpstreamFailed {
                            provider: "bridge".into(),
                            kind: "bridge".into(),
                            status: None,
                            message,
                            retryable: false,
                            attempts: 0,
                        })),
                    ),
                    Step::Finish,
                ]
            }
            (Stage::Suggesting, Input::Suggested(s)) => {
                self.stage = Stage::Done;
                let mut steps = Vec::new();
                if let Some(s) = s.filter(|s| !s.prompts.is_empty()) {
                    steps.push(Step::Record(
                        Actor::Suggester,
                        Box::new(Event::SuggestionsOffered(SuggestionsOffered {
                            suggestions: s.prompts.into_iter().map(|p| Suggestion { text: p.into() }).collect(),
                            origin: Some(s.origin),
                            context: Some(s.context),
                        })),
                    ));
                }
                steps.push(Step::Finish);
                steps
            }
            _ => Vec::new(),
        }
    }

    fn decide(&mut self, decision: Decision, by: Decider, waited_ms: u64) -> Vec<Step> {
        let refined = self.refined.clone().unwrap_or_else(|| self.ask.prompt.clone());
        let send = match &decision {
            Decision::Accepted => refined,
            Decision::Modified { text } => text.as_str().map_or(refined, str::to_owned),
            Decision::Rejected | Decision::TimedOut => self.ask.prompt.clone(),
        };
        self.stage = Stage::Answering;
        vec![
            Step::Record(
                if by == Decider::User { Actor::Frontend(self.ask.frontend) } else { Actor::Policy },
                Box::new(Event::ApprovalDecided(ApprovalDecided { decision, by, waited_ms })),
            ),
            Step::Send(send),
        ]
    }
}

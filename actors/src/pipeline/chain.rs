//! The pure core of one request's chain:
//! PromptSubmitted → (RefinementProposed → ApprovalDecided | RefinementSkipped)
//! → CacheChecked → (OfferDecided →) UpstreamCompleted | UpstreamFailed →
//! ResponseDelivered → SuggestionsOffered.
//!
//! [`Chain::on`] takes what happened and returns the [`Step`]s the shell must
//! take: events to journal and work to start. It does no I/O and reads no
//! clock; times come in with the inputs.

use super::answer::{Looked, Sent};
use crate::refiner::Proposal;
use crate::suggester::Suggestions;
use lantern_events::schema::*;
use lantern_events::{Actor, RequestId, SessionId};

/// The longest prompt the Refiner rewrites (256 KiB); longer ones go out
/// as sent, with `RefinementSkipped { TooLarge }`.
pub const MAX_REFINED_BYTES: usize = 256 * 1024;
/// What a frontend asked for.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// The request was sent: the cache's outcome, then the answer or the failure.
    Answered {
        /// What the send produced.
        sent: Box<Sent>,
        /// Milliseconds from submission to now.
        since_submit_ms: u64,
    },
    /// The Suggester finished (with nothing to offer, or suggestions).
    Suggested(Option<Suggestions>),
    /// The cache found a paraphrase to offer (its outcome is `SemanticOffered`).
    Offered(Box<Looked>),
    /// A user or the timeout decided on the offer.
    OfferDecided {
        /// What was chosen.
        choice: OfferChoice,
        /// Who chose.
        by: Decider,
        /// Milliseconds from offer to choice.
        waited_ms: u64,
    },
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
    /// Wait for the user's choice on the offered paraphrase (or the timeout).
    AwaitOffer,
    /// Answer with the offered paraphrase's cached answer.
    ServeOffered,
    /// Send this prompt upstream without asking the cache again.
    AskModel(String),
    /// The chain is complete.
    Finish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Refining,
    Deciding,
    Answering,
    Offering,
    Suggesting,
    Done,
}

/// One request's chain.
#[derive(Debug, Clone)]
pub struct Chain {
    ask: Ask,
    stage: Stage,
    refined: Option<String>,
    /// The prompt that went to the cache.
    sent: Option<String>,
    /// The entry offered, once the cache offered one (its check is journalled).
    offered: Option<EntryId>,
}

impl Chain {
    /// Starts a chain: the prompt is journaled and the Refiner asked, or,
    /// when the request may not be refined (`skip` says why), the request
    /// is sent as it came.
    pub fn start(ask: Ask, skip: Option<SkipReason>) -> (Self, Vec<Step>) {
        let skip = skip.or_else(|| {
            (ask.prompt.len() > MAX_REFINED_BYTES)
                .then_some(SkipReason::TooLarge { bytes: ask.prompt.len() as u64, limit: MAX_REFINED_BYTES as u64 })
        });
        let submitted = Event::PromptSubmitted(PromptSubmitted {
            text: ask.prompt.clone().into(),
            model: ask.model.clone(),
            context: ask.context.clone(),
            origin: ask.origin,
        });
        let mut steps = vec![Step::Record(Actor::Frontend(ask.frontend), Box::new(submitted))];
        let stage = match skip {
            None => {
                steps.push(Step::Refine);
                Stage::Refining
            }
            Some(reason) => {
                steps.push(Step::Record(
                    Actor::Refiner,
                    Box::new(Event::RefinementSkipped(RefinementSkipped { reason })),
                ));
                steps.push(Step::Send(ask.prompt.clone()));
                Stage::Answering
            }
        };
        let sent = (stage == Stage::Answering).then(|| ask.prompt.clone());
        (Chain { ask, stage, refined: None, sent, offered: None }, steps)
    }

    /// The request this chain serves.
    pub fn ask(&self) -> &Ask {
        &self.ask
    }

    /// Whether the chain waits for a user's decision.
    pub fn awaits_decision(&self) -> bool {
        self.stage == Stage::Deciding
    }

    /// Whether the chain waits for a user's choice on a semantic offer.
    pub fn awaits_offer(&self) -> bool {
        self.stage == Stage::Offering
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
            (Stage::Answering, Input::Offered(looked)) if self.offered.is_none() => {
                let CacheOutcome::SemanticOffered { entry, .. } = &looked.outcome else { return Vec::new() };
                self.offered = Some(entry.clone());
                self.stage = Stage::Offering;
                vec![Step::Record(Actor::CacheBridge, Box::new(checked(*looked))), Step::AwaitOffer]
            }
            (Stage::Offering, Input::OfferDecided { choice, by, waited_ms }) => {
                let entry = self.offered.clone().unwrap_or_else(|| EntryId(String::new()));
                let who = if by == Decider::User { Actor::Frontend(self.ask.frontend) } else { Actor::Policy };
                let decided = Event::OfferDecided(OfferDecided { entry, choice, by, waited_ms });
                self.stage = Stage::Answering;
                let next = match choice {
                    OfferChoice::UsedCached => Step::ServeOffered,
                    OfferChoice::AskedModel | OfferChoice::TimedOut => {
                        Step::AskModel(self.sent.clone().unwrap_or_else(|| self.ask.prompt.clone()))
                    }
                };
                vec![Step::Record(who, Box::new(decided)), next]
            }
            (Stage::Answering, Input::Answered { sent, since_submit_ms }) => {
                let Sent { looked, result } = *sent;
                let mut steps = Vec::new();
                // After an offer, the check that found it is already journalled.
                if self.offered.is_none() {
                    steps.push(Step::Record(Actor::CacheBridge, Box::new(checked(looked))));
                }
                let answer = match result {
                    Ok(a) => a,
                    Err(f) => {
                        self.stage = Stage::Done;
                        steps.push(Step::Record(
                            Actor::CacheBridge,
                            Box::new(Event::UpstreamFailed(UpstreamFailed {
                                provider: if f.provider.is_empty() { "unknown".into() } else { f.provider },
                                kind: f.kind,
                                status: f.status,
                                message: f.message,
                                retryable: f.retryable,
                                attempts: f.attempts,
                            })),
                        ));
                        steps.push(Step::Finish);
                        return steps;
                    }
                };
                self.stage = Stage::Suggesting;
                let text = answer.text();
                if let Some(call) = &answer.upstream {
                    steps.push(Step::Record(
                        Actor::CacheBridge,
                        Box::new(Event::UpstreamCompleted(UpstreamCompleted {
                            provider: call.provider.clone(),
                            model: answer.message["model"].as_str().unwrap_or(&self.ask.model).to_owned(),
                            usage: answer.usage(),
                            attempts: call.attempts,
                            latency_ms: call.latency_ms,
                            stop_reason: answer.stop_reason(),
                        })),
                    ));
                }
                steps.push(Step::Record(
                    Actor::CacheBridge,
                    Box::new(Event::ResponseDelivered(ResponseDelivered {
                        source: answer.source,
                        text: text.clone().into(),
                        latency_ms: since_submit_ms,
                    })),
                ));
                steps.push(Step::Suggest(text));
                steps
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
        self.sent = Some(send.clone());
        vec![
            Step::Record(
                if by == Decider::User { Actor::Frontend(self.ask.frontend) } else { Actor::Policy },
                Box::new(Event::ApprovalDecided(ApprovalDecided { decision, by, waited_ms })),
            ),
            Step::Send(send),
        ]
    }
}

/// The journal's record of a lookup.
fn checked(looked: Looked) -> Event {
    Event::CacheChecked(CacheChecked {
        outcome: looked.outcome,
        namespace: looked.namespace,
        latency_us: looked.latency_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::answer::{Answer, Looked, UpstreamCall};
    use crate::refiner::{RefineInput, RefinerConfig, refine};
    use crate::upstream::Failure;

    fn ask(policy: ApprovalPolicy) -> Ask {
        Ask {
            session: SessionId::new(),
            request: RequestId::new(),
            prompt: "fix the bug in parse()".into(),
            model: "claude-sonnet-4-5".into(),
            context: PromptContext::default(),
            origin: PromptOrigin::Typed,
            policy,
            frontend: FrontendKind::Cli,
        }
    }

    fn refined(chain: &mut Chain, refined_text: &str) -> Vec<Step> {
        let a = chain.ask().clone();
        let mut p = refine(&RefineInput::new(&a.prompt, &a.model, &a.context), &RefinerConfig::default());
        p.refined = refined_text.into();
        let none = PromptOutlook { nearest_similarity: None, verdict: OutlookVerdict::NoCandidate };
        chain.on(Input::Refined(Box::new((p, CacheOutlook { original: none.clone(), refined: none }))))
    }

    fn sent(source: ResponseSource, outcome: CacheOutcome) -> Box<Sent> {
        let upstream = (source != ResponseSource::Cache).then(|| UpstreamCall {
            provider: "anthropic".into(),
            attempts: 1,
            latency_ms: 12,
        });
        let message = serde_json::json!({"content": [{"type": "text", "text": "answer"}], "stop_reason": "end_turn",
            "model": "m", "usage": {"input_tokens": 5, "output_tokens": 7}});
        let looked = Looked { outcome, namespace: "default".into(), latency_us: 3500 };
        Box::new(Sent { looked, result: Ok(Answer { source, message, upstream }) })
    }

    fn failed(f: Failure) -> Box<Sent> {
        let miss = CacheOutcome::Miss { reason: MissReason::Empty };
        Box::new(Sent { looked: Looked { outcome: miss, namespace: "default".into(), latency_us: 1 }, result: Err(f) })
    }

    fn kinds(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::Record(_, e) => e.kind().to_owned(),
                other => format!("{other:?}").split('(').next().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    #[test]
    fn given_a_new_ask_then_the_prompt_is_journaled_and_the_refiner_asked() {
        let (_, steps) = Chain::start(ask(ApprovalPolicy::Ask), None);
        assert_eq!(kinds(&steps), ["PromptSubmitted", "Refine"]);
    }

    #[test]
    fn given_policy_ask_when_refined_then_it_waits_and_a_user_edit_is_sent() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Ask), None);
        assert_eq!(kinds(&refined(&mut c, "REFINED")), ["RefinementProposed", "AwaitDecision"]);
        assert!(c.awaits_decision());
        let steps = c.on(Input::Decided {
            decision: Decision::Modified { text: "EDITED".into() },
            by: Decider::User,
            waited_ms: 900,
        });
        assert_eq!(steps[1], Step::Send("EDITED".into()));
        let Step::Record(who, e) = &steps[0] else { panic!() };
        assert_eq!(*who, Actor::Frontend(FrontendKind::Cli));
        assert!(matches!(&**e, Event::ApprovalDecided(d) if d.waited_ms == 900 && d.by == Decider::User));
    }

    #[test]
    fn given_policy_accept_or_original_then_the_policy_decides_at_once() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        let steps = refined(&mut c, "REFINED");
        assert_eq!(kinds(&steps), ["RefinementProposed", "ApprovalDecided", "Send"]);
        assert_eq!(steps[2], Step::Send("REFINED".into()));
        assert!(matches!(&steps[1], Step::Record(Actor::Policy, _)));

        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Original), None);
        let steps = refined(&mut c, "REFINED");
        assert_eq!(steps[2], Step::Send("fix the bug in parse()".into()));
    }

    #[test]
    fn given_a_timeout_then_the_original_is_sent_and_a_late_decision_changes_nothing() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Ask), None);
        refined(&mut c, "REFINED");
        let by = Decider::Policy(ApprovalPolicy::Ask);
        let steps = c.on(Input::Decided { decision: Decision::TimedOut, by, waited_ms: 120_000 });
        assert_eq!(steps[1], Step::Send("fix the bug in parse()".into()));
        assert!(c.on(Input::Decided { decision: Decision::Accepted, by: Decider::User, waited_ms: 1 }).is_empty());
    }

    #[test]
    fn given_an_upstream_answer_then_cache_upstream_and_delivery_are_journaled() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        refined(&mut c, "REFINED");
        let miss = CacheOutcome::Miss { reason: MissReason::BelowThreshold { best: 0.5 } };
        let steps = c.on(Input::Answered { sent: sent(ResponseSource::Upstream, miss), since_submit_ms: 40 });
        assert_eq!(kinds(&steps), ["CacheChecked", "UpstreamCompleted", "ResponseDelivered", "Suggest"]);
        let Step::Record(_, e) = &steps[0] else { panic!() };
        assert!(matches!(&**e, Event::CacheChecked(c) if c.latency_us == 3500));
        let Step::Record(_, e) = &steps[2] else { panic!() };
        assert!(
            matches!(&**e, Event::ResponseDelivered(r) if r.latency_ms == 40 && r.source == ResponseSource::Upstream)
        );
        assert_eq!(steps[3], Step::Suggest("answer".into()));
    }

    #[test]
    fn given_a_cache_hit_then_nothing_is_said_about_upstream() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        refined(&mut c, "REFINED");
        let hit = CacheOutcome::ExactHit { entry: EntryId("e1".into()) };
        let steps = c.on(Input::Answered { sent: sent(ResponseSource::Cache, hit), since_submit_ms: 2 });
        assert_eq!(kinds(&steps), ["CacheChecked", "ResponseDelivered", "Suggest"]);
    }

    #[test]
    fn given_a_failure_then_it_is_journaled_and_the_chain_ends() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        refined(&mut c, "REFINED");
        let f = Failure { status: Some(529), attempts: 4, ..Failure::new("overloaded", "busy", true) };
        let steps = c.on(Input::Answered { sent: failed(f), since_submit_ms: 9 });
        assert_eq!(kinds(&steps), ["CacheChecked", "UpstreamFailed", "Finish"]);
        let Step::Record(_, e) = &steps[1] else { panic!() };
        assert!(matches!(&**e, Event::UpstreamFailed(u) if u.status == Some(529) && u.attempts == 4 && u.retryable));
    }

    #[test]
    fn given_a_request_that_may_not_be_refined_then_it_is_sent_as_it_came_and_the_journal_says_why() {
        let reason = SkipReason::LastTurnNotUser { role: "system".into() };
        let (c, steps) = Chain::start(ask(ApprovalPolicy::Ask), Some(reason.clone()));
        assert_eq!(kinds(&steps), ["PromptSubmitted", "RefinementSkipped", "Send"]);
        assert!(
            matches!(&steps[1], Step::Record(Actor::Refiner, e) if **e == Event::RefinementSkipped(RefinementSkipped { reason }))
        );
        assert_eq!(steps[2], Step::Send("fix the bug in parse()".into()));
        assert!(!c.awaits_decision());
    }

    #[test]
    fn given_a_prompt_longer_than_the_refiner_takes_then_it_goes_as_sent() {
        let mut long = ask(ApprovalPolicy::Ask);
        long.prompt = "x".repeat(MAX_REFINED_BYTES + 1);
        let (_, steps) = Chain::start(long, None);
        assert_eq!(kinds(&steps), ["PromptSubmitted", "RefinementSkipped", "Send"]);
        let want = SkipReason::TooLarge { bytes: MAX_REFINED_BYTES as u64 + 1, limit: MAX_REFINED_BYTES as u64 };
        assert!(
            matches!(&steps[1], Step::Record(_, e) if **e == Event::RefinementSkipped(RefinementSkipped { reason: want }))
        );
        let mut at_limit = ask(ApprovalPolicy::Ask);
        at_limit.prompt = "x".repeat(MAX_REFINED_BYTES);
        assert_eq!(kinds(&Chain::start(at_limit, None).1), ["PromptSubmitted", "Refine"]);
    }

    fn offered() -> Box<Looked> {
        let outcome = CacheOutcome::SemanticOffered {
            similarity: 0.91,
            entry: EntryId("e7".into()),
            matched_prompt: Some("how to reverse a list in python".into()),
            verdict: GuardVerdict { accepted: false, reason: Some("unmatched_term: pythonic".into()) },
            preview: "Use reversed()".into(),
        };
        Box::new(Looked { outcome, namespace: "default".into(), latency_us: 900 })
    }

    #[test]
    fn given_an_offer_when_the_user_takes_it_then_the_cached_answer_is_delivered_after_one_check() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        refined(&mut c, "REFINED");
        let steps = c.on(Input::Offered(offered()));
        assert_eq!(kinds(&steps), ["CacheChecked", "AwaitOffer"]);
        assert!(c.awaits_offer());
        let steps = c.on(Input::OfferDecided { choice: OfferChoice::UsedCached, by: Decider::User, waited_ms: 700 });
        assert_eq!(kinds(&steps), ["OfferDecided", "ServeOffered"]);
        let Step::Record(who, e) = &steps[0] else { panic!() };
        assert_eq!(*who, Actor::Frontend(FrontendKind::Cli));
        assert!(matches!(&**e, Event::OfferDecided(d) if d.entry.0 == "e7" && d.waited_ms == 700));
        let hit = CacheOutcome::SemanticHit { similarity: 0.91, entry: EntryId("e7".into()), matched_prompt: None };
        let steps = c.on(Input::Answered { sent: sent(ResponseSource::Cache, hit), since_submit_ms: 800 });
        // The check that found the offer is the request's only CacheChecked.
        assert_eq!(kinds(&steps), ["ResponseDelivered", "Suggest"]);
    }

    #[test]
    fn given_an_offer_when_refused_or_timed_out_then_the_sent_prompt_goes_upstream() {
        for (choice, by, who) in [
            (OfferChoice::AskedModel, Decider::User, Actor::Frontend(FrontendKind::Cli)),
            (OfferChoice::TimedOut, Decider::Policy(ApprovalPolicy::Ask), Actor::Policy),
        ] {
            let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
            refined(&mut c, "REFINED");
            c.on(Input::Offered(offered()));
            let steps = c.on(Input::OfferDecided { choice, by, waited_ms: 5 });
            assert_eq!(steps[1], Step::AskModel("REFINED".into()));
            assert!(matches!(&steps[0], Step::Record(w, _) if *w == who));
            let miss = CacheOutcome::Miss { reason: MissReason::Empty };
            let steps = c.on(Input::Answered { sent: sent(ResponseSource::Upstream, miss), since_submit_ms: 9 });
            assert_eq!(kinds(&steps), ["UpstreamCompleted", "ResponseDelivered", "Suggest"]);
            // A late second choice changes nothing.
            assert!(c.on(Input::OfferDecided { choice: OfferChoice::UsedCached, by, waited_ms: 1 }).is_empty());
        }
    }

    #[test]
    fn given_no_suggestions_then_the_chain_just_ends() {
        let (mut c, _) = Chain::start(ask(ApprovalPolicy::Accept), None);
        refined(&mut c, "R");
        c.on(Input::Answered {
            sent: sent(ResponseSource::Cache, CacheOutcome::ExactHit { entry: EntryId("e".into()) }),
            since_submit_ms: 1,
        });
        assert_eq!(kinds(&c.on(Input::Suggested(None))), ["Finish"]);
    }
}

//! `replay verify`: re-run today's Refiner and heuristic Suggester on every
//! logged prompt and compare with what was logged.
//!
//! A proposal logged by the same refiner version and config hash as today's
//! must come out identical: the Refiner is pure. A difference there is a
//! determinism bug. A difference under another version or config is the
//! expected effect of a change, and is reported as such.

use crate::chain::{Chains, RequestChain, Turns};
use crate::parallel;
use crate::rerun::{Skip, refine_again, suggest_again};
use lantern_actors::refiner::{Proposal, RefinerConfig, stamp};
use lantern_events::schema::{PromptOrigin, RefinementProposed, RefinerStamp};
use lantern_events::{RequestId, SessionId};
use serde::Serialize;
use std::collections::BTreeMap;

/// One field that differs between the logged and today's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Which field (`refined`, `changes`, `quality`, `anchors`, `tokens`, `suggestions`, `context`).
    pub field: &'static str,
    /// The logged value, rendered.
    pub logged: String,
    /// Today's value, rendered.
    pub now: String,
}

/// The outcome of re-running one part of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Today's output equals the logged one.
    Identical,
    /// Today's output differs.
    Changed {
        /// Whether the logged output was made by today's refiner version and
        /// config (then the change is a determinism bug).
        same_refiner: bool,
        /// The fields that differ.
        differences: Vec<Difference>,
    },
    /// Not re-run.
    Skipped {
        /// Why.
        reason: &'static str,
        #[serde(skip)]
        /// Why, as a value.
        skip: Skip,
    },
}

/// The verification of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestResult {
    /// The request.
    pub request: RequestId,
    /// Its session.
    pub session: SessionId,
    /// The prompt, when kept in full.
    pub prompt: Option<String>,
    /// The refiner that made the logged proposal.
    pub logged_refiner: Option<RefinerStamp>,
    /// The Refiner's verdict.
    pub refiner: Outcome,
    /// The Suggester's verdict.
    pub suggestions: Outcome,
}

/// Counts of outcomes for one component.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Identical outputs.
    pub identical: u64,
    /// Changed under another version or configuration.
    pub changed: u64,
    /// Changed under the same version and configuration: determinism bugs.
    pub divergent: u64,
    /// Not re-run, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Identical => self.identical += 1,
            Outcome::Changed { same_refiner: true, .. } => self.divergent += 1,
            Outcome::Changed { same_refiner: false, .. } => self.changed += 1,
            Outcome::Skipped { reason, .. } => *self.skipped.entry(reason).or_default() += 1,
        }
    }
}

/// The result of `replay verify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Today's refiner version and config hash.
    pub current: RefinerStamp,
    /// Requests looked at.
    pub requests: u64,
    /// Refiner outcomes.
    pub refiner: Tally,
    /// Suggester outcomes (the Suggester has no version stamp, so a change
    /// there is reported but never counted as a determinism bug).
    pub suggestions: Tally,
    /// Every request whose refiner or suggestions changed.
    pub changed: Vec<RequestResult>,
}

impl VerifyReport {
    /// Proposals that changed although version and config hash did not.
    pub fn determinism_bugs(&self) -> u64 {
        self.refiner.divergent
    }
}

/// Verifies every chain accepted by `keep` against `config`, on all cores.
pub fn verify(chains: &Chains, config: &RefinerConfig, keep: impl Fn(&RequestChain) -> bool + Sync) -> VerifyReport {
    let turns = Turns::new(chains);
    let current = stamp(config);
    let selected: Vec<&RequestChain> = chains.iter().filter(|c| keep(c)).collect();
    let results = parallel::map(&selected, |c| verify_one(c, config, &current, &turns));
    let mut report = VerifyReport {
        current,
        requests: results.len() as u64,
        refiner: Tally::default(),
        suggestions: Tally::default(),
        changed: Vec::new(),
    };
    for r in results {
        report.refiner.count(&r.refiner);
        report.suggestions.count(&r.suggestions);
        if matches!(r.refiner, Outcome::Changed { .. }) || matches!(r.suggestions, Outcome::Changed { .. }) {
            report.changed.push(r);
        }
    }
    report
}

fn verify_one(chain: &RequestChain, config: &RefinerConfig, current: &RefinerStamp, turns: &Turns) -> RequestResult {
    let logged_refiner = chain.proposal.as_ref().map(|p| p.event.refiner.clone());
    let refiner = match refine_again(chain, config) {
        Ok((now, logged)) => {
            let proxy = chain.submitted.as_ref().is_some_and(|s| s.event.origin == PromptOrigin::Proxy);
            let differences = compare(&now, logged, proxy);
            if differences.is_empty() {
                Outcome::Identical
            } else {
                Outcome::Changed { same_refiner: &logged.refiner == current, differences }
            }
        }
        Err(skip) => Outcome::Skipped { reason: skip.label(), skip },
    };
    let suggestions = match suggest_again(chain, turns) {
        Ok(again) if again.identical() => Outcome::Identical,
        Ok(again) => {
            let mut differences = Vec::new();
            if again.logged != again.now {
                differences.push(Difference {
                    field: "suggestions",
                    logged: again.logged.join("\n"),
                    now: again.now.join("\n"),
                });
            }
            if again.logged_context != again.now_context {
                differences.push(Difference {
                    field: "context",
                    logged: format!("{:?}", again.logged_context),
                    now: format!("{:?}", again.now_context),
                });
            }
            Outcome::Changed { same_refiner: false, differences }
        }
        Err(skip) => Outcome::Skipped { reason: skip.label(), skip },
    };
    RequestResult {
        request: chain.request,
        session: chain.session,
        prompt: chain.prompt().map(str::to_owned),
        logged_refiner,
        refiner,
        suggestions,
    }
}

/// The fields of a re-computed proposal that differ from the logged one.
///
/// Anchors are skipped for proxy requests: they depend on the request's
/// system prompt and tools, which the journal does not keep.
pub fn compare(now: &Proposal, logged: &RefinementProposed, skip_anchors: bool) -> Vec<Difference> {
    let mut out = Vec::new();
    let logged_refined = logged.refined.as_str().unwrap_or_default();
    if now.refined != logged_refined {
        out.push(Difference { field: "refined", logged: logged_refined.to_owned(), now: now.refined.clone() });
    }
    push_if_differs(&mut out, "changes", &logged.changes, &now.changes);
    push_if_differs(&mut out, "quality", &logged.quality, &now.quality);
    if !skip_anchors {
        push_if_differs(&mut out, "anchors", &logged.anchors, &now.anchors);
    }
    push_if_differs(
        &mut out,
        "tokens",
        &(logged.tokens_before, logged.tokens_after),
        &(now.tokens_before, now.tokens_after),
    );
    out
}

fn push_if_differs<T: PartialEq + Serialize>(out: &mut Vec<Difference>, field: &'static str, logged: &T, now: &T) {
    if logged != now {
        let render = |v: &T| serde_json::to_string(v).unwrap_or_else(|e| format!("<unrenderable: {e}>"));
        out.push(Difference { field, logged: render(logged), now: render(now) });
    }
}

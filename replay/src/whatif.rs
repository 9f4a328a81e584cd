//! `replay what-if`: how the logged decisions would change under another
//! Refiner configuration.
//!
//! The baseline is what users actually saw: the logged proposals. Each
//! re-runnable prompt is refined again under the alternative configuration,
//! and its logged decision is set against the new proposal.

use crate::ReplayError;
use crate::chain::{Chains, RequestChain};
use crate::parallel;
use crate::rerun::refine_again;
use lantern_actors::refiner::{Proposal, RefinerConfig, stamp};
use lantern_events::RequestId;
use lantern_events::schema::{Decision, RefinementProposed, RefinerStamp};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a Refiner configuration from a TOML or JSON file (by extension;
/// TOML otherwise). Missing fields take their defaults.
pub fn load_config(path: &Path) -> Result<RefinerConfig, ReplayError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReplayError::io(path, e))?;
    let parsed = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|message| ReplayError::Config { path: path.to_owned(), message })
}

/// How the alternative proposal relates to the logged one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Proposed {
    /// The same refined text.
    Same,
    /// A different refined text.
    Different,
    /// No change at all: the original would go out without a decision.
    NoChange,
}

/// A prompt whose refinement would change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedProposal {
    /// The request.
    pub request: RequestId,
    /// The prompt.
    pub prompt: String,
    /// The logged decision, by name.
    pub decision: &'static str,
    /// The logged refinement.
    pub logged: String,
    /// The alternative refinement.
    pub alternative: String,
}

/// Mean of a figure under the logged and the alternative proposals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Means {
    /// Under the logged proposals.
    pub logged: f64,
    /// Under the alternative.
    pub alternative: f64,
}

/// The result of `replay what-if`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfReport {
    /// The alternative configuration's stamp.
    pub alternative: RefinerStamp,
    /// Requests looked at.
    pub requests: u64,
    /// Requests re-run.
    pub compared: u64,
    /// Requests not re-run, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Rows: the logged decision; columns: how the alternative proposal relates.
    pub decisions: BTreeMap<&'static str, BTreeMap<Proposed, u64>>,
    /// Rubric score of the refined prompt (points).
    pub quality_after: Means,
    /// Rubric gain, refined minus original (points).
    pub quality_gain: Means,
    /// Estimated tokens of the refined prompt.
    pub tokens_after: Means,
    /// Cache anchors proposed, in total.
    pub anchors: (u64, u64),
    /// Changes proposed, by kind: (logged, alternative).
    pub change_kinds: BTreeMap<String, (u64, u64)>,
    /// Every prompt whose refined text would change.
    pub changed: Vec<ChangedProposal>,
}

struct Compared {
    decision: &'static str,
    proposed: Proposed,
    logged: RefinementProposed,
    now: Proposal,
    request: RequestId,
    prompt: String,
}

/// Name of a logged decision (or `undecided`).
pub fn decision_name(chain: &RequestChain) -> &'static str {
    match chain.decision.as_ref().map(|d| &d.event.decision) {
        Some(Decision::Accepted) => "accepted",
        Some(Decision::Modified { .. }) => "modified",
        Some(Decision::Rejected) => "rejected",
        Some(Decision::TimedOut) => "timed_out",
        None => "undecided",
    }
}

/// Runs the alternative configuration over every chain accepted by `keep`.
pub fn what_if(chains: &Chains, config: &RefinerConfig, keep: impl Fn(&RequestChain) -> bool + Sync) -> WhatIfReport {
    let selected: Vec<&RequestChain> = chains.iter().filter(|c| keep(c)).collect();
    let runs = parallel::map(&selected, |c| {
        refine_again(c, config).map(|(now, logged)| {
            let proposed = if now.refined == now.original {
                Proposed::NoChange
            } else if logged.refined.as_str() == Some(now.refined.as_str()) {
                Proposed::Same
            } else {
                Proposed::Different
            };
            Compared {
                decision: decision_name(c),
                proposed,
                logged: logged.clone(),
                now,
                request: c.request,
                prompt: c.prompt().unwrap_or_default().to_owned(),
            }
        })
    });
    let mut report = WhatIfReport {
        alternative: stamp(config),
        requests: selected.len() as u64,
        compared: 0,
        skipped: BTreeMap::new(),
        decisions: BTreeMap::new(),
        quality_after: Means::default(),
        quality_gain: Means::default(),
        tokens_after: Means::default(),
        anchors: (0, 0),
        change_kinds: BTreeMap::new(),
        changed: Vec::new(),
    };
    let mut sums = [0f64; 6];
    for run in runs {
        let c = match run {
            Ok(c) => c,
            Err(skip) => {
                *report.skipped.entry(skip.label()).or_default() += 1;
                continue;
            }
        };
        report.compared += 1;
        *report.decisions.entry(c.decision).or_default().entry(c.proposed).or_default() += 1;
        let (lq, nq) = (&c.logged.quality, &c.now.quality);
        sums[0] += f64::from(lq.after.total);
        sums[1] += f64::from(nq.after.total);
        sums[2] += f64::from(lq.after.total) - f64::from(lq.before.total);
        sums[3] += f64::from(nq.after.total) - f64::from(nq.before.total);
        sums[4] += f64::from(c.logged.tokens_after);
        sums[5] += f64::from(c.now.tokens_after);
        report.anchors.0 += c.logged.anchors.len() as u64;
        report.anchors.1 += c.now.anchors.len() as u64;
        for ch in &c.logged.changes {
            report.change_kinds.entry(format!("{:?}", ch.kind)).or_default().0 += 1;
        }
        for ch in &c.now.changes {
            report.change_kinds.entry(format!("{:?}", ch.kind)).or_default().1 += 1;
        }
        if c.proposed != Proposed::Same && c.logged.refined.as_str() != Some(c.now.refined.as_str()) {
            report.changed.push(ChangedProposal {
                request: c.request,
                prompt: c.prompt,
                decision: c.decision,
                logged: c.logged.refined.display(),
                alternative: c.now.refined,
            });
        }
    }
    if report.compared > 0 {
        let n = report.compared as f64;
        report.quality_after = Means { logged: sums[0] / n, alternative: sums[1] / n };
        report.quality_gain = Means { logged: sums[2] / n, alternative: sums[3] / n };
        report.tokens_after = Means { logged: sums[4] / n, alternative: sums[5] / n };
    }
    report
}

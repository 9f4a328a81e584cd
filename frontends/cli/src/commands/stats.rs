//! `lantern stats`: what the cache and the pipeline did, from the journal.

use crate::gateway::{self, GatewayArgs};
use lantern_actors::cache_bridge::{Cache, CacheStats};
use lantern_events::schema::*;
use lantern_events::{Envelope, SessionId};
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

/// Options of `lantern stats`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this session (full id).
    #[arg(long)]
    session: Option<SessionId>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Skip Widget-Log's own figures (tokens and cost saved), which start Python.
    #[arg(long)]
    no_cache_stats: bool,
    #[command(flatten)]
    gateway: GatewayArgs,
}

/// Figures gathered from events.
#[derive(Debug, Default, serde::Serialize)]
pub struct Stats {
    sessions: u64,
    prompts: u64,
    cache_checks: u64,
    exact_hits: u64,
    semantic_hits: u64,
    misses: BTreeMap<&'static str, u64>,
    decisions: BTreeMap<&'static str, u64>,
    responses: BTreeMap<&'static str, u64>,
    upstream_failures: u64,
    upstream_input_tokens: u64,
    upstream_output_tokens: u64,
    prompt_cache_read_tokens: u64,
    suggestions_offered: u64,
    suggestions_acted: u64,
    wrong_answer_flags: u64,
    #[serde(skip)]
    latency: BTreeMap<&'static str, Vec<u64>>,
    latency_ms_p50: BTreeMap<&'static str, u64>,
    latency_ms_p95: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Counts one event.
    pub fn add(&mut self, e: &Envelope) {
        match &e.event {
            Event::SessionStarted(_) => self.sessions += 1,
            Event::PromptSubmitted(_) => self.prompts += 1,
            Event::ApprovalDecided(d) => {
                let k = match d.decision {
                    Decision::Accepted => "accepted",
                    Decision::Modified { .. } => "modified",
                    Decision::Rejected => "original",
                    Decision::TimedOut => "timed_out",
                };
                *self.decisions.entry(k).or_default() += 1;
            }
            Event::CacheChecked(c) => {
                self.cache_checks += 1;
                match &c.outcome {
                    CacheOutcome::ExactHit { .. } => self.exact_hits += 1,
                    CacheOutcome::SemanticHit { .. } => self.semantic_hits += 1,
                    CacheOutcome::Miss { reason } => {
                        let k = match reason {
                            MissReason::Empty => "empty",
                            MissReason::BelowThreshold { .. } => "below_threshold",
                            MissReason::GuardRejected { .. } => "guard_rejected",
                            MissReason::Disabled => "disabled",
                            MissReason::Bypassed => "bypassed",
                            MissReason::ExactOnly => "exact_only",
                            MissReason::NoWords => "no_words",
                            MissReason::Unavailable { .. } => "unavailable",
                        };
                        *self.misses.entry(k).or_default() += 1;
                    }
                }
            }
            Event::UpstreamCompleted(u) => {
                self.upstream_input_tokens += u64::from(u.usage.input_tokens);
                self.upstream_output_tokens += u64::from(u.usage.output_tokens);
                self.prompt_cache_read_tokens += u64::from(u.usage.cache_read_input_tokens);
            }
            Event::UpstreamFailed(_) => self.upstream_failures += 1,
            Event::ResponseDelivered(r) => {
                let k = match r.source {
                    ResponseSource::Cache => "cache",
                    ResponseSource::Upstream => "upstream",
                    ResponseSource::Offline => "offline",
                };
                *self.responses.entry(k).or_default() += 1;
                self.latency.entry(k).or_default().push(r.latency_ms);
            }
            Event::SuggestionsOffered(_) => self.suggestions_offered += 1,
            Event::SuggestionActed(_) => self.suggestions_acted += 1,
            Event::FeedbackGiven(f) => {
                if f.verdict == FeedbackVerdict::WrongAnswer {
                    self.wrong_answer_flags += 1;
                }
            }
            Event::RefinementProposed(_) | Event::RefinementSkipped(_) | Event::SessionEnded(_) => {}
        }
    }

    fn finish(&mut self) {
        for (k, v) in &mut self.latency {
            v.sort_unstable();
            let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            self.latency_ms_p50.insert(k, at(0.5));
            self.latency_ms_p95.insert(k, at(0.95));
        }
    }

    /// Share of cache checks that served an answer.
    pub fn hit_rate(&self) -> f64 {
        if self.cache_checks == 0 {
            0.0
        } else {
            (self.exact_hits + self.semantic_hits) as f64 / self.cache_checks as f64
        }
    }

    /// Prints the table.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "sessions {} · prompts {} · decisions {:?}", self.sessions, self.prompts, self.decisions)?;
        writeln!(
            out,
            "cache: {} checks, {} exact + {} semantic hits ({:.0}% hit rate), misses {:?}",
            self.cache_checks,
            self.exact_hits,
            self.semantic_hits,
            self.hit_rate() * 100.0,
            self.misses
        )?;
        for (k, n) in &self.responses {
            writeln!(
                out,
                "answers from {k}: {n} · latency p50 {} ms, p95 {} ms",
                self.latency_ms_p50.get(k).copied().unwrap_or(0),
                self.latency_ms_p95.get(k).copied().unwrap_or(0)
            )?;
        }
        writeln!(
            out,
            "upstream: {} in / {} out tokens, {} read from Anthropic's prompt cache, {} failure(s)",
            self.upstream_input_tokens,
            self.upstream_output_tokens,
            self.prompt_cache_read_tokens,
            self.upstream_failures
        )?;
        writeln!(
            out,
            "suggestions: {} offered, {} acted on · wrong-answer flags: {}",
            self.suggestions_offered, self.suggestions_acted, self.wrong_answer_flags
        )
    }
}

/// Gathers stats over the log, or one session of it.
pub fn gather(log: &dyn lantern_events::ReadLog, session: Option<SessionId>) -> anyhow::Result<Stats> {
    let mut stats = Stats::default();
    match session {
        Some(s) => log.read_session(s)?.iter().for_each(|e| stats.add(e)),
        None => log.visit(1, u64::MAX, &mut |e| {
            stats.add(&e);
            ControlFlow::Continue(())
        })?,
    }
    stats.finish();
    Ok(stats)
}

/// Widget-Log's own counters (entries, tokens and cost saved) from a running cache.
pub fn cache_stats(cache: &Cache) -> Result<CacheStats, String> {
    cache.stats_blocking().map_err(|e| e.to_string())
}

/// Starts Widget-Log over `dir` just for its counters.
fn start_and_read_cache_stats(dir: &Path, args: &GatewayArgs) -> Result<CacheStats, String> {
    let cache = Cache::start(&gateway::bridge_config(dir, args, 1)).map_err(|e| e.to_string())?;
    cache_stats(&cache)
}

/// Prints Widget-Log's savings line.
pub fn print_cache_stats(c: &CacheStats, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "cache store: {} entries · saved {} input + {} output tokens (≈ ${:.4})",
        c.entries, c.tokens_saved.input, c.tokens_saved.output, c.cost_saved_usd
    )
}

/// Runs `lantern stats`.
pub fn run(dir: &Path, args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    let log = crate::data_dir::open_for_reading(dir)?;
    let stats = gather(&*log, args.session)?;
    let holder = log.holder.clone();
    drop(log);
    let cache = match (args.no_cache_stats, holder) {
        (true, _) => None,
        // The holder's Widget-Log owns the cache: ask it.
        (false, Some(holder)) => Some(holder.cache_stats()?),
        (false, None) => Some(start_and_read_cache_stats(dir, &args.gateway)),
    };
    if args.json {
        let cache = cache.map(|c| match c {
            Ok(stats) => serde_json::json!({ "entries": stats.entries, "stats": stats }),
            Err(e) => serde_json::json!({ "error": e }),
        });
        writeln!(out, "{}", serde_json::json!({ "log": stats, "cache": cache }))?;
        return Ok(());
    }
    stats.print(out)?;
    match cache {
        Some(Ok(c)) => print_cache_stats(&c, out)?,
        Some(Err(e)) => writeln!(out, "cache store: not available ({e})")?,
        None => {}
    }
    Ok(())
}

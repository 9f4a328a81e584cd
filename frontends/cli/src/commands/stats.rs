//! `lantern stats`: what the cache and the pipeline did, from the journal.

use crate::gateway::{self, GatewayArgs};
use lantern_actors::cache_bridge::{Cache, CacheStats};
use lantern_events::SessionId;
use lantern_replay::stats::Stats;
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

/// Prints the table of `stats`.
pub fn print(stats: &Stats, out: &mut impl Write) -> std::io::Result<()> {
    for line in stats.summary().lines() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Folds the log, or one session of it, into the stats projection.
pub fn gather(log: &dyn lantern_events::ReadLog, session: Option<SessionId>) -> anyhow::Result<Stats> {
    let mut stats = Stats::default();
    match session {
        Some(s) => log.read_session(s)?.iter().for_each(|e| stats.apply(e)),
        None => log.visit(1, u64::MAX, &mut |e| {
            stats.apply(&e);
            ControlFlow::Continue(())
        })?,
    }
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
        (false, Some(holder)) => Some(holder.cache_stats().unwrap_or_else(|e| Err(e.to_string()))),
        (false, None) => Some(start_and_read_cache_stats(dir, &args.gateway)),
    };
    if args.json {
        let cache = cache.map(|c| match c {
            Ok(stats) => serde_json::json!({ "entries": stats.entries, "stats": stats }),
            Err(e) => serde_json::json!({ "error": e }),
        });
        writeln!(out, "{}", serde_json::json!({ "log": stats.summary(), "cache": cache }))?;
        return Ok(());
    }
    print(&stats, out)?;
    match cache {
        Some(Ok(c)) => print_cache_stats(&c, out)?,
        Some(Err(e)) => writeln!(out, "cache store: not available ({e})")?,
        None => {}
    }
    Ok(())
}

//! `lantern sessions`: one line per session.

use crate::render;
use std::io::Write;
use std::path::Path;

/// Options of `lantern sessions`.
#[derive(clap::Args, Default)]
pub struct Args {
    /// Print one JSON object per session instead of a table.
    #[arg(long)]
    json: bool,
}

/// Lists sessions, oldest first.
pub fn run(dir: &Path, args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    let log = crate::data_dir::open_for_reading(dir)?;
    let sessions = log.sessions()?;
    if args.json {
        for s in &sessions {
            writeln!(out, "{}", serde_json::to_string(s)?)?;
        }
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(out, "No sessions in {}.", log.path().display())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<36}  {:<19}  {:<8}  {:>6}  {:>7}  {:>4}  {:>8}",
        "SESSION", "STARTED (UTC)", "FRONTEND", "EVENTS", "PROMPTS", "HITS", "STATE"
    )?;
    for s in &sessions {
        writeln!(
            out,
            "{:<36}  {:<19}  {:<8}  {:>6}  {:>7}  {:>4}  {:>8}",
            s.session.to_string(),
            render::minute(s.started_at),
            s.frontend.map_or("?", render::frontend),
            s.events,
            s.prompts,
            s.cache_hits,
            if s.ended { "ended" } else { "open" },
        )?;
    }
    Ok(())
}

//! `lantern replay`: rebuild past sessions from the log alone.

use crate::render;
use anyhow::{Context, bail};
use lantern_events::{EventLog, SessionId, SessionSummary};
use std::io::Write;
use std::path::Path;

/// Subcommands of `lantern replay`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// List sessions (same as `lantern sessions`).
    Sessions(super::sessions::Args),
    /// Print a session's timeline, request by request.
    Show {
        /// Session id, or a unique prefix of one.
        session: String,
        /// Print the session's events as JSON Lines.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a replay subcommand.
pub fn run(dir: &Path, cmd: Command, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        Command::Sessions(args) => super::sessions::run(dir, &args, out),
        Command::Show { session, json } => {
            let log = crate::data_dir::open_for_reading(dir)?;
            let summary = find_session(&log, &session)?;
            show(&log, &summary, json, out)
        }
    }
}

/// Resolves a full id or a unique prefix.
fn find_session(log: &EventLog, wanted: &str) -> anyhow::Result<SessionSummary> {
    if let Ok(id) = wanted.parse::<SessionId>() {
        return log.session_summary(id)?.with_context(|| format!("no session {id} in {}", log.path().display()));
    }
    let wanted = wanted.to_ascii_lowercase();
    let mut matches: Vec<_> =
        log.sessions()?.into_iter().filter(|s| s.session.to_string().starts_with(&wanted)).collect();
    match matches.len() {
        0 => bail!("no session starts with {wanted:?}; `lantern sessions` lists them"),
        1 => Ok(matches.remove(0)),
        n => bail!("{n} sessions start with {wanted:?}; give more characters"),
    }
}

/// Prints a session, grouping events by request.
pub fn show(log: &EventLog, s: &SessionSummary, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let events = log.read_session(s.session)?;
    if json {
        for e in &events {
            writeln!(out, "{}", serde_json::to_string(e)?)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "Session {}  ({}, started {}, {} events, {} prompts, {} cache hits{})",
        s.session,
        s.frontend.map_or("unknown frontend", render::frontend),
        render::minute(s.started_at),
        s.events,
        s.prompts,
        s.cache_hits,
        if s.ended { "" } else { ", still open" },
    )?;
    let mut current = None;
    for e in &events {
        if e.request != current {
            current = e.request;
            if let Some(r) = current {
                writeln!(out, "  request {r}")?;
            }
        }
        let indent = if e.request.is_some() { "    " } else { "  " };
        writeln!(out, "{indent}#{:<5} {}  {}", e.seq, render::clock(e.at), render::describe(&e.event))?;
    }
    Ok(())
}

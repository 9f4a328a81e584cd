//! `lantern replay`: rebuild past sessions from the log alone, verify
//! today's Refiner against them, and ask what another configuration would do.

use crate::present::{Style, word_diff};
use crate::progress::Bars;
use crate::render;
use anyhow::{Context, bail};
use lantern_actors::refiner::RefinerConfig;
use lantern_events::schema::Event;
use lantern_events::{Envelope, ReadLog, SessionId, SessionSummary};
use lantern_replay::chain::{Chains, RequestChain};
use lantern_replay::source::{self, Selection};
use lantern_replay::verify::{self, Outcome, Tally, VerifyReport};
use lantern_replay::whatif::{self, Proposed, WhatIfReport};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code of `replay verify` when a proposal changed under the same
/// refiner version and config hash.
pub const EXIT_DETERMINISM_BUG: u8 = 4;

/// Subcommands of `lantern replay`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// List sessions (same as `lantern sessions`).
    Sessions(super::sessions::Args),
    /// Print a session's decision chains, request by request.
    Show {
        /// Session id, or a unique prefix of one.
        session: String,
        /// Print the session's events as JSON Lines.
        #[arg(long, conflicts_with = "events")]
        json: bool,
        /// Print every event on its own line instead of grouping by request.
        #[arg(long)]
        events: bool,
    },
    /// Re-run today's Refiner and heuristic Suggester on logged prompts and compare.
    Verify {
        /// Only this session (full id or unique prefix).
        #[arg(long)]
        session: Option<String>,
        /// Refiner configuration (TOML or JSON) [default: the built-in one].
        #[arg(long, value_name = "FILE")]
        refiner_config: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Show at most this many changed requests.
        #[arg(long, default_value_t = 20)]
        show: usize,
    },
    /// How decisions would change under another Refiner configuration.
    WhatIf {
        /// The alternative configuration (TOML or JSON; missing fields take defaults).
        #[arg(long, value_name = "FILE")]
        refiner_config: PathBuf,
        /// Only this session (full id or unique prefix).
        #[arg(long)]
        session: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Show at most this many changed proposals.
        #[arg(long, default_value_t = 10)]
        show: usize,
    },
}

/// Runs a replay subcommand.
pub fn run(dir: &Path, cmd: Command, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let style = Style::detect(std::io::stdout().is_terminal());
    match cmd {
        Command::Sessions(args) => super::sessions::run(dir, &args, out)?,
        Command::Show { session, json, events } => {
            let log = crate::data_dir::open_for_reading(dir)?;
            let summary = find_session(&*log, &session)?;
            show(&*log, &summary, json, events, style, out)?;
        }
        Command::Verify { session, refiner_config, json, show } => {
            let config = match &refiner_config {
                Some(path) => whatif::load_config(path)?,
                None => RefinerConfig::default(),
            };
            let chains = load(dir, session.as_deref())?;
            let report = verify::verify(&chains, &config, |_| true);
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                print_verify(&report, show, style, out)?;
            }
            if report.determinism_bugs() > 0 {
                return Ok(ExitCode::from(EXIT_DETERMINISM_BUG));
            }
        }
        Command::WhatIf { refiner_config, session, json, show } => {
            let config = whatif::load_config(&refiner_config)?;
            let chains = load(dir, session.as_deref())?;
            let report = whatif::what_if(&chains, &config, |_| true);
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                print_what_if(&report, &refiner_config, show, style, out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn load(dir: &Path, session: Option<&str>) -> anyhow::Result<Chains> {
    let log = crate::data_dir::open_for_reading(dir)?;
    let session = match session {
        Some(s) => Some(find_session(&*log, s)?.session),
        None => None,
    };
    let selection = Selection { session, ..Selection::default() };
    Ok(source::load(&*log, &selection, &mut Bars::on_stderr())?.chains)
}

/// Resolves a full id or a unique prefix.
pub fn find_session(log: &dyn ReadLog, wanted: &str) -> anyhow::Result<SessionSummary> {
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

/// Prints a session: its decision chains, or every event, or JSON Lines.
pub fn show(
    log: &dyn ReadLog,
    s: &SessionSummary,
    json: bool,
    events: bool,
    style: Style,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let all = log.read_session(s.session)?;
    if json {
        for e in &all {
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
    if events {
        return timeline(&all, out);
    }
    for e in all.iter().filter(|e| e.request.is_none() && is_session_level(&e.event)) {
        writeln!(out, "  #{:<5} {}  {}", e.seq, render::clock(e.at), render::describe(&e.event))?;
    }
    for chain in Chains::from_events(&all).iter() {
        print_chain(chain, style, out)?;
    }
    Ok(())
}

fn is_session_level(e: &Event) -> bool {
    matches!(e, Event::SessionStarted(_) | Event::SessionEnded(_))
}

fn timeline(events: &[Envelope], out: &mut impl Write) -> anyhow::Result<()> {
    let mut current = None;
    for e in events {
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

/// One request's chain: original → refined → decision → cache → response → suggestions → what the user did.
fn print_chain(c: &RequestChain, style: Style, out: &mut impl Write) -> anyhow::Result<()> {
    let at = c.started_at().map(render::clock).unwrap_or_default();
    writeln!(out, "\n  request {}  {at}", c.request)?;
    let line = |out: &mut dyn Write, label: &str, text: String| writeln!(out, "    {:<12} {text}", style.bold(label));
    if let Some(s) = &c.submitted {
        line(out, "original", render::describe(&Event::PromptSubmitted(s.event.clone())))?;
    }
    if let Some(p) = &c.proposal {
        line(out, "refined", render::describe(&Event::RefinementProposed(p.event.clone())))?;
        if let (Some(a), Some(b)) = (p.event.original.as_str(), p.event.refined.as_str())
            && a != b
        {
            for l in word_diff(a, b, style).lines() {
                writeln!(out, "                 {l}")?;
            }
        }
    }
    let stages = [
        ("decision", c.decision.as_ref().map(|d| Event::ApprovalDecided(d.event.clone()))),
        ("cache", c.cache.as_ref().map(|x| Event::CacheChecked(x.event.clone()))),
        ("upstream", c.upstream.as_ref().map(|x| Event::UpstreamCompleted(x.event.clone()))),
        ("failure", c.failure.as_ref().map(|x| Event::UpstreamFailed(x.event.clone()))),
        ("response", c.response.as_ref().map(|x| Event::ResponseDelivered(x.event.clone()))),
        ("suggestions", c.suggestions.as_ref().map(|x| Event::SuggestionsOffered(x.event.clone()))),
    ];
    for (label, event) in stages {
        if let Some(e) = event {
            line(out, label, render::describe(&e))?;
        }
    }
    if let Some(s) = &c.suggestions {
        for (i, sug) in s.event.suggestions.iter().enumerate() {
            writeln!(out, "                 {}. {}", i + 1, render::excerpt(&sug.text, 70))?;
        }
    }
    for a in &c.acted {
        line(out, "user", render::describe(&Event::SuggestionActed(a.event.clone())))?;
    }
    for f in &c.feedback {
        line(out, "feedback", render::describe(&Event::FeedbackGiven(f.event.clone())))?;
    }
    if !c.is_complete() {
        line(out, "", style.dim("(no answer in the log: still running, or interrupted)"))?;
    }
    Ok(())
}

fn tally_line(name: &str, t: &Tally, bugs: bool) -> String {
    let skipped: u64 = t.skipped.values().sum();
    let mut s = format!("{name:<12} {} identical, {} changed", t.identical, t.changed);
    if bugs {
        s.push_str(&format!(", {} determinism bug(s)", t.divergent));
    }
    if skipped > 0 {
        let why: Vec<String> = t.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
        s.push_str(&format!("; skipped {skipped} ({})", why.join(", ")));
    }
    s
}

fn print_verify(r: &VerifyReport, show: usize, style: Style, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "Refiner {} (config {}) and the heuristic Suggester against {} logged request(s)",
        r.current.version, r.current.config_hash, r.requests
    )?;
    writeln!(out, "  {}", tally_line("refiner", &r.refiner, true))?;
    writeln!(out, "  {}", tally_line("suggestions", &r.suggestions, false))?;
    for res in r.changed.iter().take(show) {
        let prompt = res.prompt.as_deref().map(|p| render::excerpt(&p.into(), 60)).unwrap_or_default();
        writeln!(out, "\n  request {}  {prompt}", res.request)?;
        for (what, outcome) in [("refiner", &res.refiner), ("suggestions", &res.suggestions)] {
            let Outcome::Changed { same_refiner, differences } = outcome else { continue };
            let tag = match (what, same_refiner) {
                ("refiner", true) => style.bold("DETERMINISM BUG (same version and config)"),
                ("refiner", false) => {
                    let logged = res
                        .logged_refiner
                        .as_ref()
                        .map_or("?".to_owned(), |s| format!("{} [{}]", s.version, s.config_hash));
                    format!("expected: logged by {logged}")
                }
                _ => "heuristic changed".to_owned(),
            };
            writeln!(out, "    {what}: {tag}")?;
            for d in differences {
                if d.field == "refined" {
                    writeln!(out, "      refined:")?;
                    for l in word_diff(&d.logged, &d.now, style).lines() {
                        writeln!(out, "        {l}")?;
                    }
                } else {
                    writeln!(out, "      {}: logged {}", d.field, d.logged)?;
                    writeln!(out, "      {:width$}  now    {}", "", d.now, width = d.field.len())?;
                }
            }
        }
    }
    if r.changed.len() > show {
        writeln!(out, "\n  … {} more changed request(s); --show N or --json for all", r.changed.len() - show)?;
    }
    if r.determinism_bugs() > 0 {
        writeln!(
            out,
            "\n{} proposal(s) changed under the same refiner version and config hash: the Refiner is not deterministic (exit {EXIT_DETERMINISM_BUG}).",
            r.determinism_bugs()
        )?;
    }
    Ok(())
}

fn print_what_if(r: &WhatIfReport, path: &Path, show: usize, style: Style, out: &mut impl Write) -> anyhow::Result<()> {
    let skipped: u64 = r.skipped.values().sum();
    writeln!(
        out,
        "What if the Refiner ran with {} (config {})? {} request(s), {} re-run, {} skipped",
        path.display(),
        r.alternative.config_hash,
        r.requests,
        r.compared,
        skipped
    )?;
    for (why, n) in &r.skipped {
        writeln!(out, "  skipped {n}: {why}")?;
    }
    writeln!(out, "\n  logged decision   same proposal   different proposal   no change proposed")?;
    for (decision, row) in &r.decisions {
        let n = |p| row.get(&p).copied().unwrap_or(0);
        writeln!(
            out,
            "  {decision:<17} {:>13}   {:>18}   {:>18}",
            n(Proposed::Same),
            n(Proposed::Different),
            n(Proposed::NoChange)
        )?;
    }
    writeln!(out, "\n  {:<26} {:>8} {:>12}", "", "logged", "alternative")?;
    let row = |out: &mut dyn Write, name: &str, a: f64, b: f64| writeln!(out, "  {name:<26} {a:>8.1} {b:>12.1}");
    row(out, "quality of refined (mean)", r.quality_after.logged, r.quality_after.alternative)?;
    row(out, "quality gain (mean)", r.quality_gain.logged, r.quality_gain.alternative)?;
    row(out, "tokens of refined (mean)", r.tokens_after.logged, r.tokens_after.alternative)?;
    row(out, "cache anchors (total)", r.anchors.0 as f64, r.anchors.1 as f64)?;
    for (kind, (a, b)) in &r.change_kinds {
        row(out, &format!("changes: {kind}"), *a as f64, *b as f64)?;
    }
    for c in r.changed.iter().take(show) {
        writeln!(
            out,
            "\n  request {} ({}): {}",
            c.request,
            c.decision,
            render::excerpt(&c.prompt.as_str().into(), 60)
        )?;
        for l in word_diff(&c.logged, &c.alternative, style).lines() {
            writeln!(out, "      {l}")?;
        }
    }
    if r.changed.len() > show {
        writeln!(out, "\n  … {} more changed proposal(s); --show N or --json for all", r.changed.len() - show)?;
    }
    Ok(())
}

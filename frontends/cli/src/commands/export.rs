//! `lantern export`: training datasets from the journal.

use super::replay::find_session;
use crate::progress::Bars;
use anyhow::{Context, bail};
use lantern_events::Timestamp;
use lantern_replay::anonymize::{Anonymizer, SALT_BYTES};
use lantern_replay::export::{self, Format, Kind, Options, Split};
use lantern_replay::source::{self, Selection};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code when the selection gave no row (the card is still written).
pub const EXIT_NO_ROWS: u8 = 5;

/// Options of `lantern export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to export.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// File format of the data files.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Output directory (created; must be empty if it exists).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only prompts submitted at or after this time (YYYY-MM-DD or RFC 3339, UTC).
    #[arg(long, value_parser = parse_time)]
    since: Option<Timestamp>,
    /// Only prompts submitted before this time (YYYY-MM-DD or RFC 3339, UTC).
    #[arg(long, value_parser = parse_time)]
    until: Option<Timestamp>,
    /// Only this session (full id or a unique prefix).
    #[arg(long)]
    session: Option<String>,
    /// Scrub secrets, e-mails, IPs, home paths and host names; pseudonymise ids.
    #[arg(long)]
    anonymize: bool,
    /// Salt for pseudonyms [default: a random salt kept in DATA_DIR/export-salt].
    #[arg(long, requires = "anonymize", env = "LANTERN_EXPORT_SALT", hide_env_values = true)]
    salt: Option<String>,
    /// Seed of the train/validation split by session.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Share of sessions held out for validation (0 to 1).
    #[arg(long, default_value_t = 0.1, value_parser = parse_fraction)]
    validation: f64,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum KindArg {
    Preferences,
    Sft,
    Routing,
    Suggestions,
    CachePairs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Jsonl,
    Parquet,
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or the full `…SS.ffffffZ` form.
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    let full = match s.len() {
        10 => format!("{s}T00:00:00.000000Z"),
        20 if s.ends_with('Z') => format!("{}.000000Z", &s[..19]),
        _ => s.to_owned(),
    };
    Timestamp::parse_rfc3339(&full).ok_or_else(|| format!("{s:?} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff]Z"))
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a number from 0 to 1")),
    }
}

/// The salt in `DATA_DIR/export-salt`, created (mode 0600) on first use.
fn stored_salt(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("export-salt");
    if let Ok(salt) = std::fs::read(&path) {
        if salt.len() == SALT_BYTES {
            return Ok(salt);
        }
        bail!(
            "{} is damaged ({} bytes, expected {SALT_BYTES}); delete it to start new pseudonyms",
            path.display(),
            salt.len()
        );
    }
    let mut salt = vec![0u8; SALT_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut salt))
        .context("reading random bytes for the export salt")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path).and_then(|mut f| f.write_all(&salt)).with_context(|| format!("writing {}", path.display()))?;
    Ok(salt)
}

/// Runs the export.
pub fn run(dir: &Path, args: &Args, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let log = crate::data_dir::open_for_reading(dir)?;
    let session = match &args.session {
        Some(s) => Some(find_session(&*log, s)?.session),
        None => None,
    };
    if let (Some(a), Some(b)) = (args.since, args.until)
        && a >= b
    {
        bail!("--since {a} is not before --until {b}");
    }
    let anonymize = match (args.anonymize, &args.salt) {
        (false, _) => None,
        (true, Some(salt)) => Some(Anonymizer::for_this_machine(salt.as_bytes())),
        (true, None) => Some(Anonymizer::for_this_machine(&stored_salt(dir)?)),
    };
    let opts = Options {
        kind: match args.kind {
            KindArg::Preferences => Kind::Preferences,
            KindArg::Sft => Kind::Sft,
            KindArg::Routing => Kind::Routing,
            KindArg::Suggestions => Kind::Suggestions,
            KindArg::CachePairs => Kind::CachePairs,
        },
        format: match args.format {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Parquet => Format::Parquet,
        },
        out: args.out.clone(),
        selection: Selection { session, since: args.since, until: args.until },
        anonymize,
        seed: args.seed,
        validation_fraction: args.validation,
        command: command_line(),
    };
    let mut bars = Bars::on_stderr();
    let loaded = source::load(&*log, &opts.selection, &mut bars)?;
    let summary = export::export(&loaded, &opts, &mut bars)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        let n = |s| summary.rows.get(&s).copied().unwrap_or(0);
        writeln!(
            out,
            "{} {} rows ({} train, {} validation) in {}",
            summary.total(),
            opts.kind.name(),
            n(Split::Train),
            n(Split::Validation),
            opts.out.display()
        )?;
        for (why, count) in &summary.skipped {
            writeln!(out, "  {count} request(s) without a row: {why}")?;
        }
        writeln!(out, "  dataset card: {}", summary.card.display())?;
    }
    if summary.total() == 0 {
        eprintln!("lantern: nothing to export for this selection (exit {EXIT_NO_ROWS})");
        return Ok(ExitCode::from(EXIT_NO_ROWS));
    }
    Ok(ExitCode::SUCCESS)
}

/// The command line, with the salt's value left out.
fn command_line() -> String {
    let mut words = Vec::new();
    let mut hide_next = false;
    for a in std::env::args() {
        if hide_next {
            words.push("<salt>".to_owned());
            hide_next = false;
        } else if a == "--salt" {
            hide_next = true;
            words.push(a);
        } else if a.starts_with("--salt=") {
            words.push("--salt=<salt>".to_owned());
        } else {
            words.push(a);
        }
    }
    words.join(" ")
}

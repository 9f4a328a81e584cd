//! `lantern export`: training datasets from the journal.
//!
//! Five kinds (see [`Kind`]), written as JSONL or Parquet, split by session
//! into train and validation with a fixed seed, with a dataset card
//! (`README.md`) beside the data files.

mod card;
pub mod rows;
pub mod schema;
mod sink;

use crate::ReplayError;
use crate::anonymize::Anonymizer;
use crate::chain::{RequestChain, Turns};
use crate::progress::Progress;
use crate::source::{Loaded, Selection};
use lantern_events::{SessionId, Timestamp};
use rows::{NoRow, Scrub};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sink::Sink;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `{prompt, chosen, rejected, meta}` pairs from approval decisions.
    Preferences,
    /// Refinement pairs as chat messages.
    Sft,
    /// One row per cache decision: features, label, latency, tokens saved.
    Routing,
    /// Suggestions with their context, metadata and what the user did.
    Suggestions,
    /// Semantic cache pairs (query, matched prompt) served or offered, with
    /// the verifier's verdict and the label the user gave.
    CachePairs,
}

impl Kind {
    /// The kind's name, as on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Preferences => "preferences",
            Kind::Sft => "sft",
            Kind::Routing => "routing",
            Kind::Suggestions => "suggestions",
            Kind::CachePairs => "cache-pairs",
        }
    }
}

/// File format of the data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON Lines, one row per line.
    Jsonl,
    /// Apache Parquet (Snappy), with the schema of [`schema::schema`].
    Parquet,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

/// Which split a session falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Training data.
    Train,
    /// Held-out sessions.
    Validation,
}

impl Split {
    fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
        }
    }
}

/// The split of a session: a seeded hash of its id, so a session never
/// straddles the two and the same seed always gives the same split.
pub fn split_of(session: SessionId, seed: u64, validation_fraction: f64) -> Split {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(session.0.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let unit = u64::from_le_bytes(first) as f64 / u64::MAX as f64;
    if unit < validation_fraction { Split::Validation } else { Split::Train }
}

/// Everything an export needs besides the log.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to export.
    pub kind: Kind,
    /// How to write it.
    pub format: Format,
    /// Output directory (created; must be empty if it exists).
    pub out: PathBuf,
    /// Which chains.
    pub selection: Selection,
    /// Scrub texts and pseudonymise ids.
    pub anonymize: Option<Anonymizer>,
    /// Seed of the session split.
    pub seed: u64,
    /// Share of sessions held out for validation, 0..=1.
    pub validation_fraction: f64,
    /// The command line that made it, for the dataset card.
    pub command: String,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Rows written per split.
    pub rows: BTreeMap<Split, u64>,
    /// Chains that gave no row, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Earliest and latest submission among the rows.
    pub first: Option<Timestamp>,
    /// Latest submission among the rows.
    pub last: Option<Timestamp>,
    /// Data files written.
    pub files: Vec<PathBuf>,
    /// The dataset card.
    pub card: PathBuf,
}

impl Summary {
    /// Rows written in all splits.
    pub fn total(&self) -> u64 {
        self.rows.values().sum()
    }
}

fn skip_label(r: NoRow) -> &'static str {
    match r {
        NoRow::NotApplicable => "not applicable to this kind",
        NoRow::Withheld => "text withheld by the privacy level",
        NoRow::NoContrast => "both sides identical",
    }
}

/// Writes the dataset described by `opts` from what was loaded.
///
/// The output directory must be new or empty; if the export fails, the
/// files it wrote are removed again, so a directory never holds half a dataset.
pub fn export(loaded: &Loaded, opts: &Options, progress: &mut dyn Progress) -> Result<Summary, ReplayError> {
    prepare_dir(&opts.out)?;
    let result = write_all(loaded, opts, progress);
    if result.is_err()
        && let Ok(entries) = std::fs::read_dir(&opts.out)
    {
        for entry in entries.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    result
}

fn write_all(loaded: &Loaded, opts: &Options, progress: &mut dyn Progress) -> Result<Summary, ReplayError> {
    let turns = Turns::new(&loaded.chains);
    let scrub = Scrub(opts.anonymize.as_ref());
    let kind = opts.kind;
    let mut summary = Summary::default();
    macro_rules! run {
        ($row:expr) => {{
            let mut sinks = Sinks::open(opts)?;
            progress.stage("writing rows", loaded.chains.len() as u64);
            let mut done = 0u64;
            for c in loaded.chains.iter() {
                done += 1;
                if done % 4096 == 0 {
                    progress.advance(4096);
                }
                if !opts.selection.admits(c.started_at()) {
                    continue;
                }
                match $row(c) {
                    Ok(row) => sinks.push(c, row, &mut summary)?,
                    Err(why) => *summary.skipped.entry(skip_label(why)).or_default() += 1,
                }
            }
            progress.advance(done % 4096);
            progress.finish();
            summary.files = sinks.finish()?;
        }};
    }
    match kind {
        Kind::Preferences => run!(|c| rows::preference(c, scrub)),
        Kind::Sft => run!(|c| rows::sft(c, scrub)),
        Kind::Routing => run!(|c| rows::routing(c, scrub)),
        Kind::Suggestions => run!(|c: &RequestChain| rows::suggestions(c, &turns, scrub)),
        Kind::CachePairs => run!(|c| rows::cache_pair(c, scrub)),
    }
    summary.card = card::write(opts, loaded, &summary)?;
    Ok(summary)
}

/// Creates the output directory, refusing one that already holds files.
fn prepare_dir(out: &Path) -> Result<(), ReplayError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| ReplayError::io(out, e))?;
        if entries.next().is_some() {
            return Err(ReplayError::OutputNotEmpty(out.to_owned()));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| ReplayError::io(out, e))
}

/// One sink per split, opened on first use.
struct Sinks<'a, R: Serialize> {
    opts: &'a Options,
    train: Option<Sink<R>>,
    validation: Option<Sink<R>>,
}

impl<'a, R: Serialize> Sinks<'a, R> {
    fn open(opts: &'a Options) -> Result<Self, ReplayError> {
        Ok(Self { opts, train: None, validation: None })
    }

    fn push(&mut self, c: &RequestChain, row: R, summary: &mut Summary) -> Result<(), ReplayError> {
        let split = split_of(c.session, self.opts.seed, self.opts.validation_fraction);
        let slot = match split {
            Split::Train => &mut self.train,
            Split::Validation => &mut self.validation,
        };
        let sink = match slot {
            Some(s) => s,
            None => {
                let file = format!("{}.{}.{}", self.opts.kind.name(), split.name(), self.opts.format.extension());
                slot.insert(Sink::create(&self.opts.out.join(file), self.opts.format, self.opts.kind)?)
            }
        };
        sink.push(row)?;
        *summary.rows.entry(split).or_default() += 1;
        if let Some(at) = c.started_at() {
            summary.first = Some(summary.first.map_or(at, |f| f.min(at)));
            summary.last = Some(summary.last.map_or(at, |l| l.max(at)));
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<PathBuf>, ReplayError> {
        let mut files = Vec::new();
        for sink in [self.train, self.validation].into_iter().flatten() {
            files.push(sink.finish()?);
        }
        Ok(files)
    }
}

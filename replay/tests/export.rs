#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Exports from fixed synthetic journals: golden JSONL, Parquet read back by
//! pyarrow, splits, filters, anonymisation, and refusals.

mod support;

use lantern_events::Timestamp;
use lantern_replay::ReplayError;
use lantern_replay::anonymize::Anonymizer;
use lantern_replay::export::{Format, Kind, Options, Split, export, split_of};
use lantern_replay::progress::Silent;
use lantern_replay::source::{Loaded, Selection};
use lantern_replay::synthetic::Plan;
use std::path::Path;
use support::{load_all, log_of};

const KINDS: [Kind; 5] = [Kind::Preferences, Kind::Sft, Kind::Routing, Kind::Suggestions, Kind::CachePairs];

fn options(kind: Kind, format: Format, out: &Path) -> Options {
    Options {
        kind,
        format,
        out: out.to_owned(),
        selection: Selection::default(),
        anonymize: None,
        seed: 7,
        validation_fraction: 0.25,
        command: "lantern export (test)".into(),
    }
}

fn read_all(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("==> {} <==\n", f.file_name().unwrap().to_string_lossy()));
        out.push_str(&std::fs::read_to_string(&f).unwrap());
    }
    out
}

fn golden_loaded() -> (tempfile::TempDir, Loaded) {
    // 7 sessions so that one (the 7th) is journalled at privacy `metadata`.
    let (dir, log) = log_of(&Plan::new(7, 4, 11));
    let loaded = load_all(&log);
    (dir, loaded)
}

#[test]
fn golden_jsonl_exports_of_a_fixed_log() {
    let (_log_dir, loaded) = golden_loaded();
    for kind in KINDS {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join(kind.name());
        let summary = export(&loaded, &options(kind, Format::Jsonl, &dir), &mut Silent).unwrap();
        assert!(summary.total() > 0, "{kind:?} exported nothing");
        insta::assert_snapshot!(format!("golden_{}", kind.name()), read_all(&dir));
    }
}

#[test]
fn parquet_reads_back_in_pyarrow_with_the_declared_schema_and_the_jsonl_rows() {
    let (_log_dir, loaded) = golden_loaded();
    let out = tempfile::tempdir().unwrap();
    for kind in KINDS {
        export(&loaded, &options(kind, Format::Parquet, &out.path().join(kind.name())), &mut Silent).unwrap();
        let jsonl = out.path().join(format!("{}-jsonl", kind.name()));
        export(&loaded, &options(kind, Format::Jsonl, &jsonl), &mut Silent).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_parquet.py");
    let run = std::process::Command::new(venv_python()).arg(script).arg(out.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    for kind in KINDS {
        assert!(stdout.contains(kind.name()), "{stdout}");
    }
}

#[test]
fn splits_keep_sessions_whole_and_follow_the_seed() {
    let (_log_dir, log) = log_of(&Plan::new(40, 3, 2));
    let loaded = load_all(&log);
    let out = tempfile::tempdir().unwrap();
    let summary = export(&loaded, &options(Kind::Routing, Format::Jsonl, out.path()), &mut Silent).unwrap();
    let (train, validation) = (summary.rows[&Split::Train], summary.rows[&Split::Validation]);
    assert_eq!(train + validation, 120);
    assert!((6..=60).contains(&validation), "{validation} of 120 rows in validation at 0.25");
    let sessions = |file: &str| -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(out.path().join(file))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["session"].as_str().unwrap().to_owned())
            .collect()
    };
    let (t, v) = (sessions("routing.train.jsonl"), sessions("routing.validation.jsonl"));
    assert!(t.is_disjoint(&v), "a session straddles the split");
    for s in loaded.chains.iter().map(|c| c.session) {
        assert_eq!(split_of(s, 7, 0.25), split_of(s, 7, 0.25));
    }
    let moved = loaded.chains.iter().filter(|c| split_of(c.session, 7, 0.25) != split_of(c.session, 8, 0.25)).count();
    assert!(moved > 0, "another seed must give another split");
}

#[test]
fn time_window_and_session_select_rows() {
    let (_log_dir, loaded) = golden_loaded();
    let times: Vec<Timestamp> = loaded.chains.iter().filter_map(|c| c.started_at()).collect();
    let middle = times[times.len() / 2];
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(Kind::Routing, Format::Jsonl, &out.path().join("late"));
    opts.selection.since = Some(middle);
    let late = export(&loaded, &opts, &mut Silent).unwrap();
    assert_eq!(late.total(), times.iter().filter(|t| **t >= middle).count() as u64);
    assert!(late.first.unwrap() >= middle);
    let mut opts = options(Kind::Routing, Format::Jsonl, &out.path().join("early"));
    opts.selection.until = Some(middle);
    let early = export(&loaded, &opts, &mut Silent).unwrap();
    assert_eq!(early.total() + late.total(), times.len() as u64);
}

#[test]
fn withheld_texts_are_skipped_and_counted_not_exported_as_digests() {
    let (_log_dir, loaded) = golden_loaded();
    let out = tempfile::tempdir().unwrap();
    let summary = export(&loaded, &options(Kind::Suggestions, Format::Jsonl, out.path()), &mut Silent).unwrap();
    assert!(summary.skipped.get("text withheld by the privacy level").copied().unwrap_or(0) > 0, "{summary:?}");
    let all = read_all(out.path());
    assert!(!all.contains("Withheld") && !all.contains("sha256"), "digests leaked into the export");
    assert!(all.contains("Privacy level the sessions were journalled at: full, metadata"), "{all}");
}

#[test]
fn anonymize_removes_planted_identifiers_and_pseudonymises_ids() {
    let (_log_dir, loaded) = golden_loaded();
    let planted = ["jane@example.com", "/home/jane", "corp.example.com"];
    let out = tempfile::tempdir().unwrap();
    let raw = out.path().join("raw");
    export(&loaded, &options(Kind::Suggestions, Format::Jsonl, &raw), &mut Silent).unwrap();
    let raw = read_all(&raw);
    assert!(planted.iter().all(|p| raw.contains(p)), "the fixture must carry the planted identifiers");
    let anonymized = out.path().join("anonymized");
    for kind in KINDS {
        for format in [Format::Jsonl, Format::Parquet] {
            let dir = anonymized.join(format!("{}-{format:?}", kind.name()));
            let mut opts = options(kind, format, &dir);
            opts.anonymize = Some(Anonymizer::new(b"fixed salt", Some("devbox-7".into())));
            export(&loaded, &opts, &mut Silent).unwrap();
        }
    }
    let mut seen = 0;
    for entry in walk(&anonymized) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for p in planted {
            assert!(!text.contains(p), "{p} in {}", entry.display());
        }
        for chain in loaded.chains.iter() {
            assert!(!text.contains(&chain.session.to_string()), "a raw session id in {}", entry.display());
            assert!(!text.contains(&chain.request.to_string()), "a raw request id in {}", entry.display());
        }
        seen += 1;
    }
    assert!(seen >= 12, "{seen} files");
    let routing = std::fs::read_to_string(anonymized.join("routing-Jsonl/routing.train.jsonl")).unwrap();
    assert!(routing.contains("\"session\":\"s-") && routing.contains("\"request\":\"r-"), "{routing}");
    // The planted prompt survives with its identifiers replaced.
    let suggestions = read_all(&anonymized.join("suggestions-Jsonl"));
    assert!(suggestions.contains("/home/<user>/deploy.log") && suggestions.contains("<email>"), "{suggestions}");
    assert!(suggestions.contains("The deploy to <host> fails"), "{suggestions}");
}

/// The project's Python (with pyarrow), from `make setup`.
fn venv_python() -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(p.exists(), "{} is missing: run `make setup` first", p.display());
    p
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn an_output_directory_with_files_is_refused_and_left_alone() {
    let (_log_dir, loaded) = golden_loaded();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("keep.txt"), "mine").unwrap();
    let err = export(&loaded, &options(Kind::Sft, Format::Jsonl, out.path()), &mut Silent).unwrap_err();
    assert!(matches!(err, ReplayError::OutputNotEmpty(_)), "{err}");
    assert_eq!(std::fs::read_to_string(out.path().join("keep.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}

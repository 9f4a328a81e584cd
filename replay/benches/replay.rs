//! Replay and export at scale: a 1M-event journal exported to JSONL and to
//! Parquet (each kind, reading the log included), and `verify` over 100k
//! requests (reading the log included).
//!
//! The journal is synthetic (see `lantern_replay::synthetic`) and is written
//! once to `target/bench-replay/`, then reused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use lantern_actors::refiner::RefinerConfig;
use lantern_events::{EventLog, LOG_FILE};
use lantern_replay::export::{Format, Kind, Options, export};
use lantern_replay::progress::Silent;
use lantern_replay::source::{Selection, load};
use lantern_replay::synthetic::{Plan, events};
use lantern_replay::verify::verify;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// 1,400 sessions of 100 prompts: about 1.02M events.
const PLAN: Plan = Plan {
    sessions: 1400,
    requests_per_session: 100,
    seed: 42,
    start: lantern_events::Timestamp(1_767_603_600_000_000),
};

fn journal() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-replay");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(LOG_FILE);
    if let Ok(log) = EventLog::open_read_only(&path)
        && log.last_seq().unwrap() >= 1_000_000
    {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    let log = EventLog::open(&path).unwrap();
    let all = events(&PLAN);
    for chunk in all.chunks(50_000) {
        log.append_batch(chunk.to_vec()).unwrap();
    }
    eprintln!("wrote {} events to {}", log.last_seq().unwrap(), path.display());
    path
}

fn bench(c: &mut Criterion) {
    let path = journal();
    let log = EventLog::open_read_only(&path).unwrap();
    eprintln!("journal: {} events", log.last_seq().unwrap());
    let mut g = c.benchmark_group("replay_1m_events");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    let scratch = tempfile::tempdir().unwrap();
    let run = AtomicUsize::new(0);
    for format in [Format::Jsonl, Format::Parquet] {
        for kind in [Kind::Preferences, Kind::Sft, Kind::Routing, Kind::Suggestions] {
            g.bench_function(format!("export_{}_{format:?}", kind.name()), |b| {
                b.iter(|| {
                    let out = scratch.path().join(run.fetch_add(1, Ordering::Relaxed).to_string());
                    let opts = Options {
                        kind,
                        format,
                        out: out.clone(),
                        selection: Selection::default(),
                        anonymize: None,
                        seed: 7,
                        validation_fraction: 0.1,
                        command: "bench".into(),
                    };
                    let loaded = load(&log, &Selection::default(), &mut Silent).unwrap();
                    let summary = export(&loaded, &opts, &mut Silent).unwrap();
                    assert!(summary.total() > 0);
                    std::fs::remove_dir_all(out).unwrap();
                })
            });
        }
    }
    g.bench_function("verify_100k_requests", |b| {
        b.iter(|| {
            let loaded = load(&log, &Selection::default(), &mut Silent).unwrap();
            let taken = AtomicUsize::new(0);
            let report =
                verify(&loaded.chains, &RefinerConfig::default(), |_| taken.fetch_add(1, Ordering::Relaxed) < 100_000);
            assert_eq!(report.requests, 100_000);
            assert_eq!(report.determinism_bugs(), 0);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

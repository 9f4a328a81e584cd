//! Bytes flipped anywhere past the file header: every run either reads the
//! original data or names what is damaged. Nothing altered is returned as
//! data, nothing panics, and a log that fails verification is never written.
//!
//! `LANTERN_FLIP_SEEDS` seeds (default 200; `scripts/byte-flips.sh` runs
//! 2,000), each flipping 1–4 bytes of a copy of one log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::{Envelope, EventLog, SessionId, check_log};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// redb's page size: page 0 holds the file header, which redb checks itself.
const PAGE: u64 = 4096;

fn build(path: &Path) -> Vec<Envelope> {
    let log = EventLog::open(path).unwrap();
    let mut rng = support::Rng::new(7);
    let mut all = Vec::new();
    for s in 0..12 {
        let session = SessionId::new();
        for c in 0..6 {
            let chain = support::request_chain(&mut rng, session, s * 1000 + c * 10);
            log.append_batch(chain.clone()).unwrap();
            all.extend(chain);
        }
    }
    all.into_iter().zip(1..).map(|(e, seq)| e.committed(seq)).collect()
}

/// What a reader may see: everything exactly as written, or an error.
fn reads_correctly_or_fails(
    log: &EventLog,
    want: &[Envelope],
    sessions: &BTreeMap<SessionId, usize>,
) -> Result<(), String> {
    if let Ok(got) = log.read_range(..)
        && got != want
    {
        return Err(format!("read_range returned altered data ({} events)", got.len()));
    }
    if let Ok(list) = log.sessions() {
        let counts: BTreeMap<SessionId, usize> = list.iter().map(|s| (s.session, s.events as usize)).collect();
        if &counts != sessions {
            return Err("sessions() returned altered summaries".into());
        }
    }
    for (session, n) in sessions {
        if let Ok(got) = log.read_session(*session)
            && (got.len() != *n || got.iter().any(|e| want.get((e.seq - 1) as usize) != Some(e)))
        {
            return Err(format!("read_session returned altered data for {session:?}"));
        }
    }
    Ok(())
}

#[test]
fn flipped_bytes_are_never_served_as_data() {
    // redb's panics on damaged files are caught (and counted here); don't print each one.
    let caught = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = caught.clone();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if lantern_events::panic_is_guarded() {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else {
            default(info);
        }
    }));
    let seeds: u64 = std::env::var("LANTERN_FLIP_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.redb");
    let want = build(&original);
    let mut sessions = BTreeMap::new();
    for e in &want {
        *sessions.entry(e.session).or_insert(0) += 1;
    }
    let bytes = std::fs::read(&original).unwrap();
    let (mut served, mut refused, mut unchanged) = (0, 0, 0);
    for seed in 0..seeds {
        let mut rng = support::Rng::new(seed + 1);
        let mut damaged = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = PAGE + rng.below(bytes.len() as u64 - PAGE);
            damaged[at as usize] ^= 1 << rng.below(8);
        }
        let path = dir.path().join(format!("flip-{seed}.redb"));
        std::fs::write(&path, &damaged).unwrap();
        let run = catch_unwind(AssertUnwindSafe(|| -> Result<&'static str, String> {
            // Read-only, as `replay show` and `sessions` open it.
            if let Ok(log) = EventLog::open_read_only(&path) {
                reads_correctly_or_fails(&log, &want, &sessions)?;
            }
            let _ = check_log(&path);
            // For writing, as `ask` and `serve` open it.
            let before = std::fs::read(&path).unwrap();
            match EventLog::open(&path) {
                Ok(log) => {
                    // It verified, so everything in it must be the original.
                    let got = log.read_range(..).map_err(|e| format!("verified log fails to read: {e}"))?;
                    if got != want {
                        return Err("a log that passed verification holds altered data".into());
                    }
                    Ok("served")
                }
                Err(_) => {
                    if std::fs::read(&path).unwrap() != before {
                        return Err("a log that failed verification was written to".into());
                    }
                    Ok("refused")
                }
            }
        }));
        match run {
            Ok(Ok("served")) => served += 1,
            Ok(Ok(_)) => refused += 1,
            Ok(Err(e)) => panic!("seed {seed}: {e}"),
            Err(_) => panic!("seed {seed}: a panic reached the caller"),
        }
        if damaged == bytes {
            unchanged += 1;
        }
        std::fs::remove_file(&path).unwrap();
    }
    eprintln!(
        "{seeds} seeds over a log of {} events ({} bytes): {served} opened and read the original data, \
         {refused} refused, {unchanged} flips cancelled out; {} panics inside redb caught",
        want.len(),
        bytes.len(),
        caught.load(std::sync::atomic::Ordering::Relaxed)
    );
}

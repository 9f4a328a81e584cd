//! Crash safety: SIGKILL a process while it appends, reopen, and check that
//! every acknowledged event is there, seqs are dense and the file opens.
//!
//! A plain `main` (harness = false) so that the child's entry point is not
//! disguised as a test. `LANTERN_CRASH_TRIALS` sets the trial count (20 by
//! default; `scripts/crash-trials.sh` runs 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use lantern_events::{EventLog, SessionId};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "LANTERN_CRASH_CHILD_LOG";

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(std::path::Path::new(&path));
    }
    let trials: u64 = std::env::var("LANTERN_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let (mut failed, mut checked) = (0, 0);
    for trial in 0..trials {
        match run_trial(trial) {
            Ok(n) => checked += n,
            Err(e) => {
                eprintln!("trial {trial}: {e}");
                failed += 1;
            }
        }
    }
    eprintln!("{trials} SIGKILL trials, {checked} acknowledged events checked after reopen");
    println!("crash: {} passed, {failed} failed", trials - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}

/// Appends forever from two threads, printing each acknowledged range.
/// Within a session, event i carries `cause = Some(i)`, so the parent can
/// check that each session's events are an unbroken prefix.
fn child(path: &std::path::Path) -> ! {
    let log = std::sync::Arc::new(EventLog::open(path).unwrap());
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut rng = support::Rng::new(t + 1);
                let session = SessionId::new();
                let mut i = 0u64;
                loop {
                    let n = 1 + rng.below(4);
                    let events = (0..n)
                        .map(|k| {
                            let mut e = support::request_chain(&mut rng, session, 0).remove(0);
                            e.cause = Some(i + k);
                            e
                        })
                        .collect::<Vec<_>>();
                    let range = log.append_batch(events).unwrap();
                    i += n;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{} {} {}", session, range.start(), range.end()).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::process::exit(0)
}

fn run_trial(trial: u64) -> Result<u64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("events.redb");
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Kill at a random point once appends are under way.
    let mut acked = Vec::new();
    acked.push(rx.recv_timeout(Duration::from_secs(20)).map_err(|_| "child never acknowledged")?);
    let kill_at = Instant::now() + Duration::from_millis(support::Rng::new(trial + 11).below(40));
    while Instant::now() < kill_at {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(1)) {
            acked.push(l);
        }
    }
    child.kill().map_err(|e| e.to_string())?; // SIGKILL on Unix
    child.wait().map_err(|e| e.to_string())?;
    let _ = reader.join();
    acked.extend(rx.try_iter());

    let log = EventLog::open(&path).map_err(|e| format!("reopen failed: {e}"))?;
    let events = log.read_range(..).map_err(|e| format!("read failed: {e}"))?;
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    if seqs != (1..=seqs.len() as u64).collect::<Vec<_>>() {
        return Err("seqs are not dense".into());
    }
    for line in &acked {
        let last: u64 = line.split(' ').nth(2).and_then(|v| v.parse().ok()).ok_or("bad ack line")?;
        if last > seqs.len() as u64 {
            return Err(format!("acknowledged seq {last} is missing (log ends at {})", seqs.len()));
        }
    }
    let acknowledged = acked.iter().filter_map(|l| l.split(' ').nth(2)?.parse::<u64>().ok()).max().unwrap_or(0);
    let mut next_cause: HashMap<SessionId, u64> = HashMap::new();
    for e in &events {
        let want = next_cause.entry(e.session).or_insert(0);
        if e.cause != Some(*want) {
            return Err(format!("seq {}: cause {:?}, expected {want}", e.seq, e.cause));
        }
        *want += 1;
    }
    // The reopened log accepts new appends after the crash.
    log.append(events[0].clone().into_new()).map_err(|e| format!("append after crash failed: {e}"))?;
    Ok(acknowledged)
}

trait IntoNew {
    fn into_new(self) -> lantern_events::NewEvent;
}
impl IntoNew for lantern_events::Envelope {
    fn into_new(self) -> lantern_events::NewEvent {
        lantern_events::NewEvent {
            at: self.at,
            session: self.session,
            request: self.request,
            actor: self.actor,
            cause: self.cause,
            event: self.event,
        }
    }
}

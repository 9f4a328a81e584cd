//! Commit-to-delivery latency over the control endpoint.
//!
//! One writer appends events one at a time (each durable before the next).
//! Two followers receive them: the log's own in-process subscription, which
//! wakes within microseconds of the commit being published, and a follower
//! over `control.sock`. Per event, the figure is when the endpoint's
//! follower got it minus when the in-process one did: what the endpoint
//! adds to a commit's delivery. The append-to-delivery time (the commit's
//! fsync included) is printed beside it.
//!
//! `cargo bench -p lantern-control --bench delivery` (LANTERN_BENCH_EVENTS, default 2000).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../events/tests/support/mod.rs"]
mod support;

use lantern_control::{ControlServer, Found, Holder};
use lantern_events::{EventLog, Follow, Recv, SessionId};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn receive(mut sub: Box<dyn Follow>, n: usize) -> std::thread::JoinHandle<Vec<Instant>> {
    std::thread::spawn(move || {
        let mut at = Vec::with_capacity(n);
        while at.len() < n {
            match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
                Recv::Event(_) => at.push(Instant::now()),
                other => panic!("follower stalled: {other:?}"),
            }
        }
        at
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(name: &str, mut d: Vec<Duration>) {
    d.sort();
    println!(
        "{name:<44} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        percentile(&d, 0.5).as_secs_f64() * 1e3,
        percentile(&d, 0.99).as_secs_f64() * 1e3,
        d[d.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` runs benches once as tests; this one only measures.
    }
    let n: usize = std::env::var("LANTERN_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let Found::Holder(holder) = Holder::find(dir.path()).unwrap() else { panic!("no holder") };
    let local = receive(Box::new(log.subscribe(1)), n);
    let remote = receive(Box::new(holder.follow(1).unwrap()), n);
    std::thread::sleep(Duration::from_millis(200));

    let mut rng = support::Rng::new(1);
    let session = SessionId::new();
    let mut sent = Vec::with_capacity(n);
    for i in 0..n {
        let event = support::request_chain(&mut rng, session, i as i64).remove(0);
        sent.push(Instant::now());
        log.append(event).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    let (local, remote) = (local.join().unwrap(), remote.join().unwrap());
    println!("{n} events, appended one at a time (2-core machine figures in BENCHMARKS.md)");
    report(
        "endpoint delivery − in-process delivery",
        remote.iter().zip(&local).map(|(r, l)| r.saturating_duration_since(*l)).collect(),
    );
    report("append → in-process delivery (commit incl.)", local.iter().zip(&sent).map(|(l, s)| *l - *s).collect());
    report("append → endpoint delivery (commit incl.)", remote.iter().zip(&sent).map(|(r, s)| *r - *s).collect());
}

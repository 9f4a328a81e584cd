//! Commit-to-delivery latency over the control endpoint.
//!
//! A writer appends events one at a time (each durable before the next).
//! Two followers stamp each event as it reaches them: the log's own
//! in-process subscription, which wakes within microseconds of the commit
//! being published, and a follower over `control.sock`. Per event the
//! figure is the endpoint follower's stamp minus the in-process one: what
//! the endpoint adds to a commit's delivery. Criterion reports its mean;
//! p50/p99 over every sample are printed at the end, with the
//! append-to-delivery time (the commit's fsync included) beside them.
//!
//! Beside it, reading a whole 100k-event log from the file and through the
//! endpoint.
//!
//! `cargo bench -p lantern-control --bench delivery`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../events/tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam_channel::{Receiver, unbounded};
use lantern_control::{ControlServer, Found, Holder};
use lantern_events::{EventLog, Follow, ReadLog, Recv, SessionId};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Stamps each event as it arrives.
fn stamped(mut sub: Box<dyn Follow>) -> Receiver<Instant> {
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        loop {
            match sub.recv_timeout(Duration::from_secs(1)) {
                Ok(Recv::Event(_)) if tx.send(Instant::now()).is_ok() => {}
                Ok(Recv::Timeout) => {}
                _ => return,
            }
        }
    });
    rx
}

fn percentiles(name: &str, mut d: Vec<Duration>) {
    if d.is_empty() {
        return; // filtered out
    }
    d.sort();
    let at = |p: f64| d[((d.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!("{name:<46} n {:>6}  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms", d.len(), at(0.5), at(0.99), at(1.0));
}

fn delivery(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let Found::Holder(holder) = Holder::find(dir.path()).unwrap() else { panic!("no holder") };
    let local = stamped(Box::new(log.subscribe(1)));
    let remote = stamped(Box::new(holder.follow(1).unwrap()));
    let (mut rng, session) = (support::Rng::new(1), SessionId::new());
    let (mut added, mut total) = (Vec::new(), Vec::new());
    c.bench_function("control/commit_to_endpoint_delivery_minus_in_process", |b| {
        b.iter_custom(|iters| {
            let mut sum = Duration::ZERO;
            for i in 0..iters {
                let event = support::request_chain(&mut rng, session, i as i64).remove(0);
                let sent = Instant::now();
                log.append(event).unwrap();
                let l = local.recv_timeout(Duration::from_secs(10)).unwrap();
                let r = remote.recv_timeout(Duration::from_secs(10)).unwrap();
                let d = r.saturating_duration_since(l);
                sum += d;
                added.push(d);
                total.push(r - sent);
            }
            sum
        });
    });
    percentiles("endpoint delivery − in-process delivery", added);
    percentiles("append → endpoint delivery (commit incl.)", total);
}

/// Reading a whole log of 100k events: from the file, and through the endpoint.
fn read_all(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let (mut rng, session) = (support::Rng::new(2), SessionId::new());
    for batch in 0..100 {
        let events = (0..1000).map(|i| support::request_chain(&mut rng, session, batch * 1000 + i).remove(0)).collect();
        log.append_batch(events).unwrap();
    }
    let _server = ControlServer::start(dir.path(), log.clone(), None).unwrap();
    let Found::Holder(holder) = Holder::find(dir.path()).unwrap() else { panic!("no holder") };
    let remote = holder.log();
    let mut group = c.benchmark_group("control/read_100k");
    group.throughput(criterion::Throughput::Elements(100_000));
    for (name, reader) in [("file", &*log as &dyn ReadLog), ("endpoint", &remote as &dyn ReadLog)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0u64;
                reader
                    .visit(1, u64::MAX, &mut |_| {
                        n += 1;
                        std::ops::ControlFlow::Continue(())
                    })
                    .unwrap();
                assert_eq!(n, 100_000);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(8));
    targets = delivery, read_all
}
criterion_main!(benches);

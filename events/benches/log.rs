//! Log benchmarks on realistic events (prompts with code, 0.5–2 KB).
//!
//! `cargo bench -p lantern-events --bench log`. Latency benches also print
//! p50/p99 over every sample they took, since criterion reports means.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lantern_events::{EventLog, NewEvent, Recv, SessionId, codec};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn events(n: usize, seed: u64) -> Vec<NewEvent> {
    let mut rng = support::Rng::new(seed);
    let s = SessionId::new();
    // Whole request chains (5 events per request), as the pipeline writes them.
    let mut out = Vec::with_capacity(n + 5);
    while out.len() < n {
        out.extend(support::request_chain(&mut rng, s, out.len() as i64));
    }
    out.truncate(n);
    out
}

fn fresh() -> (tempfile::TempDir, EventLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&dir.path().join("events.redb")).unwrap();
    (dir, log)
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        return; // the bench was filtered out
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    eprintln!(
        "{name}: n={} p50={:.1}µs p99={:.1}µs max={:.1}µs",
        samples.len(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples[samples.len() - 1].as_secs_f64() * 1e6
    );
}

fn append(c: &mut Criterion) {
    let sample = events(1000, 1);
    let bytes: usize = sample.iter().map(|e| codec::encode(e).unwrap().len()).sum();
    eprintln!("realistic events: mean record size {} bytes", bytes / sample.len());

    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1000));
    // A fresh log per sample, so the figure is not tied to one file size.
    g.bench_function("batch_of_1000_durable", |b| {
        b.iter_custom(|iters| {
            let (_dir, log) = fresh();
            let batches: Vec<_> = (0..iters).map(|_| sample.clone()).collect();
            let start = Instant::now();
            for batch in batches {
                log.append_batch(batch).unwrap();
            }
            start.elapsed()
        })
    });
    // The same on a log that already holds 300k events (~200 MB).
    let (_dir, big) = fresh();
    for _ in 0..300 {
        big.append_batch(sample.clone()).unwrap();
    }
    g.bench_function("batch_of_1000_durable_log_at_300k", |b| {
        b.iter_batched(|| sample.clone(), |batch| big.append_batch(batch).unwrap(), BatchSize::LargeInput)
    });

    // Group commit: 8 threads each appending one event at a time.
    let (_dir2, log2) = fresh();
    let log2 = Arc::new(log2);
    g.throughput(Throughput::Elements(800));
    g.bench_function("group_commit_8_threads_x100_single_appends", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..8 {
                        let log = log2.clone();
                        let mine = sample[t * 100..(t + 1) * 100].to_vec();
                        s.spawn(move || {
                            mine.into_iter().for_each(|e| {
                                log.append(e).unwrap();
                            })
                        });
                    }
                });
                total += start.elapsed();
            }
            total
        })
    });

    g.throughput(Throughput::Elements(1));
    let (_dir3, log3) = fresh();
    let mut lat = Vec::new();
    g.bench_function("single_durable_commit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let e = sample[i as usize % sample.len()].clone();
                let start = Instant::now();
                log3.append(e).unwrap();
                let d = start.elapsed();
                lat.push(d);
                total += d;
            }
            total
        })
    });
    g.finish();
    percentiles("single durable commit", lat);
}

fn read(c: &mut Criterion) {
    let (_dir, log) = fresh();
    for chunk in 0..10 {
        log.append_batch(events(10_000, chunk)).unwrap();
    }
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("range_read_and_decode_100k", |b| {
        b.iter(|| {
            let mut n = 0u64;
            log.visit_range(.., |_| {
                n += 1;
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(n, 100_000);
        })
    });
    // Every open verifies the whole log (checksums, continuity, indexes, summaries).
    let path = log.path().to_owned();
    drop(log);
    g.bench_function("open_read_only_and_verify_100k", |b| {
        b.iter(|| assert_eq!(EventLog::open_read_only(&path).unwrap().last_seq().unwrap(), 100_000))
    });
    g.bench_function("open_for_writing_and_verify_100k", |b| {
        b.iter(|| assert_eq!(EventLog::open(&path).unwrap().last_seq().unwrap(), 100_000))
    });
    g.finish();
}

fn subscribe(c: &mut Criterion) {
    // Commit → delivery: from the moment the appender holds its durable
    // acknowledgement to the moment a live subscriber holds the envelope.
    let (_dir, log) = fresh();
    let log = Arc::new(log);
    let sample = events(1000, 3);
    let (tx, rx) = crossbeam_channel::unbounded::<(u64, Instant)>();
    let mut sub = log.subscribe(1);
    let follower = std::thread::spawn(move || {
        while let Ok(Recv::Event(e)) = sub.recv_timeout(Duration::from_secs(30)) {
            if tx.send((e.seq, Instant::now())).is_err() {
                break;
            }
        }
    });
    let mut lat = Vec::new();
    let mut g = c.benchmark_group("subscribe");
    g.bench_function("commit_to_delivery", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let seq = log.append(sample[i as usize % sample.len()].clone()).unwrap();
                let acked = Instant::now();
                let (got, at) = rx.recv().unwrap();
                assert_eq!(got, seq);
                let d = at.saturating_duration_since(acked);
                lat.push(d);
                total += d;
            }
            total
        })
    });
    g.finish();
    percentiles("commit to delivery", lat);
    drop(log);
    follower.join().unwrap();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = append, read, subscribe
}
criterion_main!(benches);

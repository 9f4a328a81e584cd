//! Pipeline benchmarks: `cargo bench -p lantern-actors --bench pipeline`
//! (needs `.venv`, i.e. `make setup`). Latency benches also print p50/p99
//! over every sample, since criterion reports means.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use lantern_actors::cache_bridge::{BridgeConfig, Cache};
use lantern_actors::journal::Journal;
use lantern_actors::pipeline::{Ask, Settings};
use lantern_actors::runtime::{Client, Runtime, RuntimeConfig};
use lantern_actors::upstream::{Provider, UpstreamConfig};
use lantern_events::schema::*;
use lantern_events::{Actor, EventLog, NewEvent, Recv, RequestId, SessionId, Subscription};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv")
}

fn percentiles(name: &str, mut v: Vec<Duration>) {
    if v.is_empty() {
        return; // the bench was filtered out
    }
    v.sort_unstable();
    let at = |p: f64| v[((v.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
    eprintln!("{name}: n={} p50={:.1}µs p99={:.1}µs", v.len(), at(0.5), at(0.99));
}

fn bridge_round_trip(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({ "data_dir": dir.path() }).to_string();
    let cache = Cache::start(&BridgeConfig { venv: venv(), config_json: config, threads: 1 }).unwrap();
    let mut lat = Vec::new();
    c.bench_function("bridge/round_trip_health", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let t = Instant::now();
                cache.health_blocking().unwrap();
                lat.push(t.elapsed());
            }
            start.elapsed()
        })
    });
    percentiles("bridge round trip (health)", lat);
}

fn prompt_event(session: SessionId, i: usize) -> NewEvent {
    let text = format!(
        "Why does parse_header panic on a {i}-byte buffer?\n\n```rust\nfn parse_header(buf: &[u8]) -> Header {{\n    let version = u16::from_le_bytes([buf[6], buf[7]]);\n    Header {{ version }}\n}}\n```\nMy token is sk-ant-api03-NOTREALbutLONGenough0123456789abc"
    );
    NewEvent::now(
        session,
        Actor::Frontend(FrontendKind::Cli),
        Event::PromptSubmitted(PromptSubmitted {
            text: text.into(),
            model: "claude-sonnet-4-5".into(),
            context: PromptContext::default(),
            origin: PromptOrigin::Typed,
        }),
    )
    .in_request(RequestId::new())
}

fn journal_overhead(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(EventLog::open(&dir.path().join("events.redb")).unwrap());
    let journal = Journal::new(log, PrivacyLevel::Full).unwrap();
    let session = SessionId::new();
    let mut lat = Vec::new();
    let mut i = 0;
    c.bench_function("journal/record_hot_path", |b| {
        b.iter_custom(|iters| {
            let events: Vec<_> = (0..iters).map(|_| prompt_event(session, i)).collect();
            i += 1;
            let start = Instant::now();
            for e in events {
                let t = Instant::now();
                journal.record(e).unwrap();
                lat.push(t.elapsed());
            }
            start.elapsed()
        })
    });
    journal.sync();
    percentiles("journal record (scrub + encode + queue), per event", lat);
}

fn runtime(dir: &Path) -> Runtime {
    let log = Arc::new(EventLog::open(&dir.join("events.redb")).unwrap());
    let widget_log = serde_json::json!({ "data_dir": dir.join("widget-log") });
    let config = RuntimeConfig {
        bridge: BridgeConfig { venv: venv(), config_json: widget_log.to_string(), threads: 2 },
        upstream: UpstreamConfig::new(Provider::Offline),
        privacy: PrivacyLevel::Full,
        settings: Settings::default(),
    };
    Runtime::start(log, config).unwrap()
}

/// Submit → the `ResponseDelivered` event in a subscriber's hands (so after
/// its durable commit). Also returns the pipeline's own time: from the
/// `PromptSubmitted` to the `ResponseDelivered` event, as timestamped when
/// each was journaled (no fsync wait in it).
fn submit_to_delivered(
    client: &Client,
    sub: &mut Subscription,
    session: SessionId,
    prompt: &str,
) -> (Duration, CacheOutcome, Duration) {
    let request = RequestId::new();
    let ask = Ask {
        session,
        request,
        prompt: prompt.into(),
        model: "claude-sonnet-4-5".into(),
        context: PromptContext::default(),
        origin: PromptOrigin::Typed,
        policy: ApprovalPolicy::Original,
        frontend: FrontendKind::Cli,
    };
    let start = Instant::now();
    client.submit(ask);
    let (mut outcome, mut submitted_at) = (None, None);
    loop {
        let Recv::Event(e) = sub.recv_timeout(Duration::from_secs(30)).unwrap() else { panic!("stalled") };
        if e.request != Some(request) {
            continue;
        }
        match &e.event {
            Event::PromptSubmitted(_) => submitted_at = Some(e.at),
            Event::CacheChecked(c) => outcome = Some(c.outcome.clone()),
            Event::ResponseDelivered(_) => {
                let own = Duration::from_micros(u64::try_from(e.at.0 - submitted_at.unwrap().0).unwrap_or(0));
                return (start.elapsed(), outcome.unwrap(), own);
            }
            _ => {}
        }
    }
}

const OPENERS: [&str; 8] = ["", "Quick question: ", "Hey, ", "Hi! ", "Hello, ", "Question: ", "Hi there, ", "So, "];
const CLOSERS: [&str; 4] = ["", " Thanks!", " Thanks in advance.", " Cheers."];
const ASKS: [&str; 6] = [
    "how do I reverse a list in Python?",
    "how can I reverse a list in Python?",
    "what's the way to reverse a list in Python?",
    "in Python, how do I reverse a list?",
    "how to reverse a list in python",
    "how do i reverse a python list?",
];

fn end_to_end(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let client = rt.client();
    let mut sub = client.subscribe(client.next_seq());
    let session = client.open_session(FrontendKind::Cli, None);
    // Seed the cache (offline answers are cached in the offline namespace).
    submit_to_delivered(&client, &mut sub, session, "How do I reverse a list in Python?");

    let (mut exact, mut own) = (Vec::new(), Vec::new());
    c.bench_function("pipeline/submit_to_delivered_exact_hit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (d, o, p) = submit_to_delivered(&client, &mut sub, session, "How do I reverse a list in Python?");
                assert!(matches!(o, CacheOutcome::ExactHit { .. }), "{o:?}");
                exact.push(d);
                own.push(p);
                total += d;
            }
            total
        })
    });
    percentiles("submit → ResponseDelivered, exact hit", exact);
    percentiles("pipeline's own time, exact hit (PromptSubmitted → ResponseDelivered timestamps)", own);

    // Paraphrases never seen before, so each one is embedded and verified.
    let mut semantic = Vec::new();
    let (mut n, mut other) = (0usize, 0usize);
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(200));
    g.bench_function("submit_to_delivered_semantic_hit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (o, a) = (n % OPENERS.len(), (n / OPENERS.len()) % ASKS.len());
                let cl = (n / (OPENERS.len() * ASKS.len())) % CLOSERS.len();
                let prompt = format!("{}{}{}", OPENERS[o], ASKS[a], CLOSERS[cl]);
                n += 1;
                let (d, o, _) = submit_to_delivered(&client, &mut sub, session, &prompt);
                if matches!(o, CacheOutcome::SemanticHit { .. }) {
                    semantic.push(d);
                } else {
                    other += 1;
                }
                total += d;
            }
            total
        })
    });
    g.finish();
    eprintln!("semantic bench: {} semantic hits, {other} other outcomes (not counted below)", semantic.len());
    if !semantic.is_empty() {
        percentiles("submit → ResponseDelivered, semantic hit", semantic);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bridge_round_trip, journal_overhead, end_to_end
}
criterion_main!(benches);

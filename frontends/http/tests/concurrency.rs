//! The gateway under load: hundreds of requests in flight at once, a cache
//! hit that never waits behind them, and back-pressure instead of collapse.
//! (Bounds here are generous behaviour checks; the figures are measured by
//! `make bench-proxy`, see BENCHMARKS.md.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_actors::pipeline::{SemanticMode, Settings};
use lantern_actors::upstream::Limits;
use lantern_http::{ServeConfig, Server, Token};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{Reply, raw, request};

const TOKEN: &str = "lantern-test-token-0123456789abcdef";
const IN_FLIGHT: usize = 220;

fn post(addr: SocketAddr, prompt: &str, fault: Option<&str>) -> Reply {
    let body =
        json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": prompt}]});
    let mut headers = vec![("x-api-key", TOKEN), ("content-type", "application/json")];
    if let Some(f) = fault {
        headers.push(("x-fake-fault", f));
    }
    raw(addr, &request("POST", "/v1/messages", &headers, body.to_string().as_bytes()))
}

fn burst(addr: SocketAddr, n: usize, tag: &str, fault: &'static str) -> Vec<std::thread::JoinHandle<Reply>> {
    (0..n)
        .map(|i| {
            let prompt = format!("{tag} {i}");
            std::thread::spawn(move || post(addr, &prompt, Some(fault)))
        })
        .collect()
}

#[test]
fn hundreds_in_flight_a_hit_that_never_waits_and_a_clear_limit() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake();
    let limits = Limits { max_in_flight: IN_FLIGHT, max_queued: 0, queue_wait: Duration::from_millis(100) };
    // As `lantern serve` runs by default: exact matches only.
    let settings = Settings { semantic: SemanticMode::Off, ..Settings::default() };
    let (_log, runtime) = support::runtime_with(dir.path(), &fake, settings, limits);
    let mut config = ServeConfig::new(Token::new(TOKEN));
    config.listen = "127.0.0.1:0".parse().unwrap();
    let server = Server::start(config, runtime.client()).unwrap();
    let addr = server.addrs()[0];
    let cached = "a question answered before the rush";
    assert_eq!(post(addr, cached, None).header("x-lantern-cache"), Some("miss"));

    // 200 misses whose upstream takes 2 s each: all in flight at once.
    let delay = Duration::from_secs(2);
    let started = Instant::now();
    let misses = burst(addr, 200, "a slow question", "delay=2");
    // Once they all wait on the upstream (and their first events are on disk),
    // a hit waits for none of them.
    let settle = Instant::now() + Duration::from_millis(1500);
    while runtime.client().upstream().stats().in_flight < 200 && Instant::now() < settle {
        std::thread::sleep(Duration::from_millis(20));
    }
    runtime.client().sync();
    // Five of them, one after another; the median is judged (one sample on
    // two shared cores in a debug build is mostly scheduling noise).
    let mut hits: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let hit = post(addr, cached, None);
            assert_eq!(hit.header("x-lantern-cache"), Some("hit-exact"));
            t.elapsed()
        })
        .collect();
    hits.sort();
    let hit_took = hits[2];
    let in_flight = runtime.client().upstream().stats().in_flight;
    for m in misses {
        let r = m.join().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let wall = started.elapsed();
    eprintln!("200 misses of {delay:?}: {wall:?} wall; hits meanwhile: {hits:?}; {in_flight} in flight");
    assert!(in_flight >= 150, "only {in_flight} upstream calls were in flight");
    assert!(wall < delay.mul_f64(1.5), "200 concurrent misses took {wall:?}");
    assert!(hit_took < Duration::from_millis(20), "hits took {hits:?} behind the misses");

    // Past the limit: a 529 in Anthropic's shape with retry-after, never a hang...
    let rush = burst(addr, IN_FLIGHT + 30, "a rush", "delay=1");
    let replies: Vec<Reply> = rush.into_iter().map(|h| h.join().unwrap()).collect();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status != 200).collect();
    assert!(!refused.is_empty(), "nothing was refused past the limit");
    for r in &refused {
        r.assert_error(529, "overloaded_error");
        assert_eq!(r.header("retry-after"), Some("1"));
    }
    assert!(runtime.client().upstream().stats().rejected >= refused.len() as u64);
    // ...and after the burst, everything works again.
    assert_eq!(post(addr, "after the rush", None).status, 200);
    server.stop().unwrap();
}

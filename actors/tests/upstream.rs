//! The upstream client against the local fake of the Anthropic API:
//! requests pass byte for byte, answers come back as sent, retries honour
//! `retry-after`, silence times out, and the in-flight limit refuses
//! clearly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bytes::Bytes;
use lantern_actors::upstream::{
    Failure, Header, Limits, Outbound, Provider, RetryPolicy, Upstream, UpstreamConfig, UpstreamRuntime, sse,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{anthropic, fake, fake_received};

const KEY: &str = "sk-ant-api03-UPSTREAMtestKEY0123456789abcdef";

struct Answer {
    status: u16,
    headers: Vec<Header>,
    body: Vec<u8>,
    attempts: u32,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        lantern_actors::upstream::headers::get(&self.headers, name)
    }
}

fn start(config: UpstreamConfig) -> (Upstream, UpstreamRuntime) {
    Upstream::start(config).unwrap()
}

fn outbound(body: &Value, headers: &[(&str, &str)]) -> Outbound {
    Outbound {
        path: "/v1/messages?beta=true".into(),
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())).collect(),
        body: Bytes::from(body.to_string()),
        json: Arc::new(body.clone()),
    }
}

fn send(up: &Upstream, out: Outbound) -> Result<Answer, Failure> {
    let u = up.clone();
    let work = up.spawn(async move {
        let mut r = u.send(&out).await?;
        let body = r.rest(1 << 24).await?;
        Ok::<_, Failure>(Answer { status: r.status, headers: r.headers.clone(), body, attempts: r.attempts })
    });
    futures_block(work).unwrap()
}

fn futures_block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn body(text: &str, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": text}]})
}

fn fault(f: &str) -> Vec<(&str, &str)> {
    vec![("x-fake-fault", f)]
}

#[test]
fn the_upstream_client_against_the_fake() {
    let fake = fake();
    let (up, _rt) = start(anthropic(&fake.url, KEY));

    // A whole answer: the Message as the upstream sent it, with Lantern's key upstream.
    let a = send(&up, outbound(&body("hello there", false), &[("anthropic-beta", "b1,b2")])).unwrap();
    assert_eq!((a.status, a.attempts), (200, 1));
    let m: Value = serde_json::from_slice(&a.body).unwrap();
    assert_eq!(m["content"][0]["text"], "Fake reply to: hello there");
    assert!(a.header("request-id").is_some_and(|r| r.starts_with("req_fake_")), "upstream headers pass back");
    let seen = fake_received(&fake);
    assert!(seen.contains(KEY) && seen.contains("2023-06-01") && seen.contains("b1,b2"), "{seen}");

    // A stream: Anthropic's events, which fold into the same Message shape.
    let s = send(&up, outbound(&body("stream it please", true), &[])).unwrap();
    assert_eq!(s.header("content-type").map(|c| c.starts_with("text/event-stream")), Some(true));
    let (mut p, mut acc) = (sse::Parser::default(), sse::Accumulator::default());
    p.feed(&s.body).iter().for_each(|e| acc.feed(e));
    assert_eq!(acc.finish().unwrap()["content"][0]["text"], "Fake reply to: stream it please");

    // An error status is an answer: status, headers and body as the upstream sent them.
    let limited = send(&up, outbound(&body("x", false), &fault("status=429;retry_after=7"))).unwrap();
    assert_eq!((limited.status, limited.header("retry-after"), limited.attempts), (429, Some("7"), 1));
    let err: Value = serde_json::from_slice(&limited.body).unwrap();
    assert_eq!(err["error"]["type"], "rate_limit_error");

    // Nothing to connect to: a typed failure, not a hang.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (gone, _rt2) = start(anthropic(&format!("http://{dead}"), KEY));
    let f = send(&gone, outbound(&body("anyone?", false), &[])).err().unwrap();
    assert_eq!((f.kind.as_str(), f.provider.as_str(), f.attempts), ("connection", "anthropic", 1), "{f:?}");

    // A connection dropped before any answer.
    let f = send(&up, outbound(&body("drop me", false), &fault("disconnect"))).err().unwrap();
    assert!(matches!(f.kind.as_str(), "connection" | "stream_aborted"), "{f:?}");
}

#[test]
fn retries_come_only_before_an_answer_is_passed_on_and_honour_retry_after() {
    let fake = fake();
    let retrying = UpstreamConfig {
        retry: RetryPolicy { max_retries: 2, initial: Duration::from_millis(10), ..RetryPolicy::PATIENT },
        ..anthropic(&fake.url, KEY)
    };
    let (up, _rt) = start(retrying);
    let once = |f: &str, id: &str| vec![("x-fake-fault", f.to_owned()), ("x-fake-fault-id", id.to_owned())];
    let with = |h: &[(&str, String)], text: &str| {
        let pairs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        send(&up, outbound(&body(text, false), &pairs))
    };

    // A 529 then success: two attempts, one answer.
    let a = with(&once("status=529;times=1", "a"), "retry me").unwrap();
    assert_eq!((a.status, a.attempts), (200, 2));
    // retry-after is waited for.
    let t = Instant::now();
    let b = with(&once("status=429;retry_after=1;times=1", "b"), "wait for me").unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!((b.status, b.attempts), (200, 2));
    // Exhausted: the last answer goes back as the upstream sent it.
    let c = with(&once("status=529", "c"), "never").unwrap();
    assert_eq!((c.status, c.attempts), (529, 3));
    // A client error is never retried.
    let d = with(&once("status=400", "d"), "bad").unwrap();
    assert_eq!((d.status, d.attempts), (400, 1));
}

#[test]
fn silence_times_out_and_the_limit_refuses_clearly() {
    let fake = fake();
    let patient = UpstreamConfig {
        idle_timeout: Duration::from_millis(700),
        limits: Limits { max_in_flight: 1, max_queued: 0, queue_wait: Duration::from_millis(100) },
        ..anthropic(&fake.url, KEY)
    };
    let (up, _rt) = start(patient);
    let f = send(&up, outbound(&body("slow", false), &fault("delay=3"))).err().unwrap();
    assert_eq!(f.kind, "timeout", "{f:?}");
    assert!(f.retryable);

    // One call holds the only slot; the next is refused at once with a 529 and retry-after.
    let (busy, _rt2) = start(UpstreamConfig {
        limits: Limits { max_in_flight: 1, max_queued: 0, queue_wait: Duration::from_millis(100) },
        ..anthropic(&fake.url, KEY)
    });
    let holder = {
        let b = busy.clone();
        std::thread::spawn(move || send(&b, outbound(&body("hold", false), &fault("delay=1"))))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(busy.stats().in_flight, 1);
    let refused = send(&busy, outbound(&body("one more", false), &[])).err().unwrap();
    assert_eq!((refused.kind.as_str(), refused.status), ("in_flight_limit", Some(529)), "{refused:?}");
    assert!(refused.retry_after.is_some() && refused.provider == "lantern");
    assert_eq!(holder.join().unwrap().unwrap().status, 200);
    assert_eq!(busy.stats().rejected, 1);
    assert_eq!(send(&busy, outbound(&body("after the burst", false), &[])).unwrap().status, 200);
}

#[test]
fn the_offline_provider_answers_whole_or_streamed_and_says_so() {
    let (up, _rt) = start(UpstreamConfig::new(Provider::Offline));
    let a = send(&up, outbound(&body("How do I reverse a list?", false), &[])).unwrap();
    let m: Value = serde_json::from_slice(&a.body).unwrap();
    assert!(m["content"][0]["text"].as_str().unwrap().starts_with("[offline]"));
    let s = send(&up, outbound(&body("How do I reverse a list?", true), &[])).unwrap();
    let (mut p, mut acc) = (sse::Parser::default(), sse::Accumulator::default());
    p.feed(&s.body).iter().for_each(|e| acc.feed(e));
    assert_eq!(acc.finish().unwrap()["content"], m["content"]);
}

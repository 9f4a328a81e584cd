//! The proxy end to end: raw HTTP against `Server` over a real runtime and
//! the fake upstream. Python is process-global, so every scenario runs in
//! one test, in order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_events::schema::{ApprovalPolicy, Decision, Event, SkipReason};
use lantern_events::{EventLog, Recv, RequestId};
use lantern_http::{ServeConfig, Server, TlsFiles, Token};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::{Fake, Reply, UPSTREAM_KEY, raw, request};

const TOKEN: &str = "lantern-test-token-0123456789abcdef";

struct Ctx {
    addr: SocketAddr,
    fake: Fake,
    log: Arc<EventLog>,
}

impl Ctx {
    fn post(&self, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut headers = vec![("x-api-key", TOKEN), ("content-type", "application/json")];
        headers.extend_from_slice(extra);
        raw(self.addr, &request("POST", path, &headers, body))
    }

    fn messages(&self, extra: &[(&str, &str)], body: &Value) -> Reply {
        self.post("/v1/messages", extra, body.to_string().as_bytes())
    }

    /// The kinds of the events journaled for the request a reply names.
    fn chain(&self, reply: &Reply) -> Vec<Event> {
        let request: RequestId = reply.header("x-lantern-request-id").unwrap().parse().unwrap();
        let mut sub = self.log.subscribe(1);
        let mut events = Vec::new();
        // The chain ends with suggestions (or a failure); wait for it.
        loop {
            match sub.recv_timeout(Duration::from_secs(10)).unwrap() {
                Recv::Event(e) if e.request == Some(request) => {
                    let last = matches!(e.event, Event::SuggestionsOffered(_) | Event::UpstreamFailed(_));
                    events.push(e.event.clone());
                    if last {
                        return events;
                    }
                }
                Recv::Event(_) => {}
                other => panic!("chain of {request} incomplete: {other:?} after {events:?}"),
            }
        }
    }
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}

fn body(prompt: &str) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": [{"role": "user", "content": prompt}]})
}

fn config(max_body: usize) -> ServeConfig {
    let mut c = ServeConfig::new(Token::new(TOKEN));
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.max_body_bytes = max_body;
    c
}

#[test]
fn the_proxy_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let fake = support::fake();
    let (log, runtime) = support::runtime(dir.path(), &fake, Duration::from_millis(700));
    let server = Server::start(config(64 * 1024), runtime.client()).unwrap();
    let mut ctx = Ctx { addr: server.addrs()[0], fake, log };

    credentials_are_required(&ctx);
    malformed_inputs_get_anthropic_errors(&ctx);
    a_full_request_is_passed_on_unchanged_and_journaled(&ctx);
    unknown_shapes_pass_byte_for_byte_and_are_never_refined(&ctx);
    a_hit_is_replayed_as_a_well_formed_stream(&ctx);
    cache_controls_and_namespaces_are_honoured(&ctx);
    upstream_failures_keep_their_status(&ctx);
    a_client_that_goes_away_cancels_the_upstream_call(&ctx);
    count_tokens_health_stats_and_metrics(&ctx);
    a_person_decides_or_the_original_goes_after_the_timeout(&ctx, &runtime);
    tls_is_served_when_a_certificate_is_configured(&runtime, dir.path());
    a_body_is_journalled_whole_or_refused(&mut ctx, &runtime);
    a_remote_address_needs_the_flag(&runtime);

    server.stop().unwrap();
    runtime.client().sync();
    drop(runtime);
    // Neither the Lantern token nor the upstream key reached the journal or the cache.
    assert_eq!(support::found_under(dir.path(), TOKEN), None);
    assert_eq!(support::found_under(dir.path(), UPSTREAM_KEY), None);
}

fn credentials_are_required(ctx: &Ctx) {
    let ok = body("hello").to_string();
    raw(ctx.addr, &request("POST", "/v1/messages", &[], ok.as_bytes())).assert_error(401, "authentication_error");
    let wrong = [("x-api-key", "lantern-test-token-0123456789abcdeX")];
    raw(ctx.addr, &request("POST", "/v1/messages", &wrong, ok.as_bytes())).assert_error(401, "authentication_error");
    let short = [("authorization", "Bearer lantern")];
    raw(ctx.addr, &request("POST", "/v1/messages", &short, ok.as_bytes())).assert_error(401, "authentication_error");
    let bearer = format!("Bearer {TOKEN}");
    let r = raw(ctx.addr, &request("POST", "/v1/messages", &[("authorization", bearer.as_str())], ok.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.text());
    for path in ["/stats", "/metrics"] {
        raw(ctx.addr, &request("GET", path, &[], b"")).assert_error(401, "authentication_error");
    }
}

fn malformed_inputs_get_anthropic_errors(ctx: &Ctx) {
    ctx.post("/v1/messages", &[], b"{\"model\": ").assert_error(400, "invalid_request_error");
    let r = ctx.post("/v1/messages", &[], b"{\"model\": \"\xff\xfe\"}");
    r.assert_error(400, "invalid_request_error");
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("UTF-8"));
    ctx.post("/v1/messages", &[], b"[]").assert_error(400, "invalid_request_error");
    ctx.post("/v1/messages", &[], b"").assert_error(400, "invalid_request_error");
    // What Lantern needs: a model string and a messages array.
    let r = ctx.messages(&[], &json!({"max_tokens": 5, "messages": []}));
    r.assert_error(400, "invalid_request_error");
    assert!(r.json()["error"]["message"].as_str().unwrap().starts_with("model: field required"));
    let r = ctx.messages(&[], &json!({"model": "m", "max_tokens": 5}));
    assert!(r.json()["error"]["message"].as_str().unwrap().starts_with("messages: field required"));
    let r = ctx.messages(&[], &json!({"model": "m", "max_tokens": 5, "messages": "hi"}));
    assert!(r.json()["error"]["message"].as_str().unwrap().starts_with("messages: expected"));
    // What it does not need is the upstream's to judge: its verdict comes back unchanged.
    let before = support::fake_received(&ctx.fake).len();
    let wrong_type = json!({"model": "m", "max_tokens": "many", "messages": [{"role": "user", "content": "x"}]});
    let r = ctx.messages(&[], &wrong_type);
    r.assert_error(400, "invalid_request_error");
    assert_eq!(support::fake_received(&ctx.fake).len(), before + 1, "the upstream judged it");
    assert!(r.header("request-id").is_some_and(|id| id.starts_with("req_fake_")), "the upstream's answer");

    // Too large: read and refused, and refused at once when the declared length is absurd.
    let mut huge = body("x");
    huge["messages"][0]["content"] = "y".repeat(100 * 1024).into();
    ctx.messages(&[], &huge).assert_error(413, "request_too_large");
    let absurd = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 900000000\r\n\r\n{}";
    let mut with_auth = absurd.to_vec();
    let at = with_auth.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    with_auth.splice(at..at, format!("x-api-key: {TOKEN}\r\n").into_bytes());
    raw(ctx.addr, &with_auth).assert_error(413, "request_too_large");

    // Headers.
    let form = request("POST", "/v1/messages", &[("x-api-key", TOKEN), ("content-type", "text/plain")], b"{}");
    raw(ctx.addr, &form).assert_error(400, "invalid_request_error");
    ctx.messages(&[("x-lantern-cache", "sometimes")], &body("x")).assert_error(400, "invalid_request_error");
    ctx.messages(&[("x-lantern-namespace", "no spaces")], &body("x")).assert_error(400, "invalid_request_error");

    // Paths and methods.
    let r = raw(ctx.addr, &request("GET", "/v1/nothing", &[], b""));
    r.assert_error(404, "not_found_error");
    assert!(r.header("x-lantern-request-id").is_some());
    raw(ctx.addr, &request("GET", "/v1/messages", &[("x-api-key", TOKEN)], b""))
        .assert_error(405, "invalid_request_error");
    raw(ctx.addr, &request("POST", "/health", &[], b"")).assert_error(405, "invalid_request_error");

    // Not HTTP at all: the connection is refused politely, and the server lives on.
    let garbage = raw_status_or_close(ctx.addr, b"\x16\x03\x01 garbage\r\n\r\n");
    assert!(garbage.is_none_or(|s| s == 400), "{garbage:?}");
    assert_eq!(raw(ctx.addr, &request("GET", "/health", &[], b"")).status, 200);
}

/// The status of whatever comes back, or `None` when the server just closes.
fn raw_status_or_close(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    conn.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    String::from_utf8_lossy(&out).split(' ').nth(1).and_then(|s| s.parse().ok())
}

fn a_full_request_is_passed_on_unchanged_and_journaled(ctx: &Ctx) {
    let sent = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 300,
        "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "search", "description": "web search", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "u-42"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "stop_sequences": ["\n\nHuman:"],
        "temperature": 0.2,
        "messages": [
            {"role": "user", "content": "earlier turn"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": [{"type": "text", "text": "What does rustls do?", "cache_control": {"type": "ephemeral"}}]}
        ]
    });
    let r = ctx.messages(&[("anthropic-beta", "prompt-caching-2024-07-31")], &sent);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-lantern-cache"), Some("miss"));
    assert_eq!(r.json()["content"][0]["text"], "Fake reply to: What does rustls do?");
    let got = support::fake_received(&ctx.fake);
    let last = got.iter().rev().find(|x| x["path"] == "/v1/messages").unwrap();
    assert_eq!(support::raw_body(last), sent.to_string().into_bytes(), "the upstream saw other bytes");
    assert_eq!(last["x-api-key"], UPSTREAM_KEY);
    assert_eq!(last["anthropic-beta"], "prompt-caching-2024-07-31");
    assert!(got.iter().all(|x| !x.to_string().contains(TOKEN)), "the Lantern token went upstream");

    let chain = ctx.chain(&r);
    assert_eq!(
        kinds(&chain),
        [
            "PromptSubmitted",
            "RefinementProposed",
            "ApprovalDecided",
            "CacheChecked",
            "UpstreamCompleted",
            "ResponseDelivered",
            "SuggestionsOffered"
        ]
    );
    let Event::PromptSubmitted(p) = &chain[0] else { unreachable!() };
    assert_eq!(p.text.display(), "What does rustls do?");
    let Event::ApprovalDecided(d) = &chain[2] else { unreachable!() };
    assert_eq!(d.decision, Decision::Rejected, "policy original sends the original");

    // The same request again is an exact hit, answered whole with the stored Message;
    // without its beta it is another request.
    let again = ctx.messages(&[("anthropic-beta", "prompt-caching-2024-07-31")], &sent);
    assert_eq!(again.header("x-lantern-cache"), Some("hit-exact"));
    assert_eq!(again.header("x-lantern-similarity"), Some("1.0000"));
    assert_eq!(again.json()["content"], r.json()["content"]);
    assert_eq!(kinds(&ctx.chain(&again))[3..5], ["CacheChecked", "ResponseDelivered"]);
    assert_eq!(ctx.messages(&[], &sent).header("x-lantern-cache"), Some("miss"), "betas are part of the key");
}

/// SSE events of a body, as (name, data).
fn events(r: &Reply) -> Vec<(String, Value)> {
    r.text()
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let name = e.lines().find_map(|l| l.strip_prefix("event: ")).unwrap().to_owned();
            let data = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect()
}

fn a_hit_is_replayed_as_a_well_formed_stream(ctx: &Ctx) {
    let mut streamed = body("Explain borrowing in one line");
    streamed["stream"] = true.into();
    let miss = ctx.messages(&[], &streamed);
    assert_eq!(miss.status, 200, "{}", miss.text());
    assert_eq!(miss.header("content-type"), Some("text/event-stream"));
    assert_eq!(miss.header("x-lantern-cache"), Some("miss"));
    let hit = ctx.messages(&[], &streamed);
    assert_eq!(hit.header("x-lantern-cache"), Some("hit-exact"));
    for r in [&miss, &hit] {
        let ev = events(r);
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.first(), Some(&"message_start"));
        assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
        assert!(!names.iter().any(|n| n.starts_with("lantern_")), "{names:?}");
        let text: String = ev.iter().filter_map(|(_, d)| d["delta"]["text"].as_str()).collect::<Vec<_>>().join("");
        assert_eq!(text, "Fake reply to: Explain borrowing in one line");
        let (_, delta) = &ev[ev.len() - 2];
        assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0, "usage included: {delta}");
        assert!(ev[0].1["message"]["usage"]["input_tokens"].as_u64().is_some());
    }
    assert_eq!(kinds(&ctx.chain(&hit))[3..5], ["CacheChecked", "ResponseDelivered"]);

    // A stream that breaks off upstream is passed on with its error, and not stored.
    let mut broken = body("this stream breaks");
    broken["stream"] = true.into();
    let r = ctx.messages(&[("x-fake-fault", "error_event")], &broken);
    assert_eq!(r.status, 200);
    let names: Vec<String> = events(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.last().map(String::as_str), Some("error"), "{names:?}");
    assert!(!names.contains(&"message_stop".to_owned()));
    assert_eq!(ctx.messages(&[], &broken).header("x-lantern-cache"), Some("miss"), "an aborted stream was stored");
}

fn cache_controls_and_namespaces_are_honoured(ctx: &Ctx) {
    let b = body("What is a lifetime in Rust?");
    assert_eq!(ctx.messages(&[("x-lantern-cache", "no-store")], &b).header("x-lantern-cache"), Some("miss"));
    assert_eq!(ctx.messages(&[("x-lantern-cache", "no-store")], &b).header("x-lantern-cache"), Some("miss"));
    assert_eq!(ctx.messages(&[("x-lantern-cache", "no-cache")], &b).header("x-lantern-cache"), Some("bypass"));
    assert_eq!(ctx.messages(&[], &b).header("x-lantern-cache"), Some("hit-exact"), "no-cache stores");
    let team = [("x-lantern-namespace", "team-b")];
    assert_eq!(ctx.messages(&team, &b).header("x-lantern-cache"), Some("miss"), "namespaces are isolated");
    assert_eq!(ctx.messages(&team, &b).header("x-lantern-cache"), Some("hit-exact"));
    // A prompt holding a secret is answered but never stored.
    let secret = body("why does AKIAABCDEFGHIJKLMNOP fail?");
    assert_eq!(ctx.messages(&[], &secret).header("x-lantern-cache"), Some("miss"));
    assert_eq!(ctx.messages(&[], &secret).header("x-lantern-cache"), Some("miss"));
}

fn upstream_failures_keep_their_status(ctx: &Ctx) {
    let cases = [
        ("status=529", 529, "overloaded_error"),
        ("status=429;retry_after=7", 429, "rate_limit_error"),
        ("status=500", 500, "api_error"),
        ("status=400", 400, "invalid_request_error"),
    ];
    for (fault, status, kind) in cases {
        let r = ctx.messages(&[("x-fake-fault", fault)], &body(&format!("fail with {fault}")));
        r.assert_error(status, kind);
        assert_eq!(r.json()["error"]["message"], format!("injected fault: status {status}"), "the upstream's words");
        let mut streamed = body(&format!("stream fails with {fault}"));
        streamed["stream"] = true.into();
        let s = ctx.messages(&[("x-fake-fault", fault)], &streamed);
        s.assert_error(status, kind);
        if fault.contains("retry_after") {
            assert_eq!((r.header("retry-after"), s.header("retry-after")), (Some("7"), Some("7")));
        }
    }
    let r = ctx.messages(&[("x-fake-fault", "status=529")], &body("journaled failure"));
    let chain = ctx.chain(&r);
    assert!(matches!(chain.last(), Some(Event::UpstreamFailed(f)) if f.status == Some(529)), "{chain:?}");

    // A 200 whose body is broken passes as the upstream sent it, is journaled
    // as malformed, and is not stored.
    let broken = body("a broken body");
    let r = ctx.messages(&[("x-fake-fault", "malformed")], &broken);
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err(), "{}", r.text());
    let chain = ctx.chain(&r);
    assert!(matches!(chain.last(), Some(Event::UpstreamFailed(f)) if f.kind == "malformed_response"), "{chain:?}");
    assert_eq!(ctx.messages(&[], &broken).header("x-lantern-cache"), Some("miss"));

    // An error event mid-stream reaches the client as the upstream worded it.
    let mut streamed = body("an overloaded stream");
    streamed["stream"] = true.into();
    let r = ctx.messages(&[("x-fake-fault", "error_event")], &streamed);
    let (name, data) = events(&r).pop().unwrap();
    assert_eq!((name.as_str(), data["error"]["type"].as_str()), ("error", Some("overloaded_error")));
}

/// What the fake counts: requests in flight, completed, and cancelled by their client.
fn fake_stats(ctx: &Ctx) -> Value {
    let addr: SocketAddr = ctx.fake.url.trim_start_matches("http://").parse().unwrap();
    raw(addr, &request("GET", "/_fake/stats", &[], b"")).json()
}

fn wait_for_cancel(ctx: &Ctx, before: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while fake_stats(ctx)["cancelled"].as_u64().unwrap() <= before {
        assert!(std::time::Instant::now() < deadline, "the upstream call went on: {}", fake_stats(ctx));
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_client_that_goes_away_cancels_the_upstream_call(ctx: &Ctx) {
    use std::io::{Read, Write};
    // Mid-stream: the client reads the first event, then hangs up.
    let before = fake_stats(ctx)["cancelled"].as_u64().unwrap();
    let mut streamed = body("a stream nobody finishes reading");
    streamed["stream"] = true.into();
    let b = streamed.to_string();
    let headers = [("x-api-key", TOKEN), ("content-type", "application/json"), ("x-fake-fault", "slow_stream=0.4")];
    let mut conn = std::net::TcpStream::connect(ctx.addr).unwrap();
    conn.write_all(&request("POST", "/v1/messages", &headers, b.as_bytes())).unwrap();
    let mut first = [0u8; 512];
    let n = conn.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    drop(conn);
    wait_for_cancel(ctx, before);
    let mut sub = ctx.log.subscribe(1);
    let failed = loop {
        let Recv::Event(e) = sub.recv_timeout(Duration::from_secs(10)).unwrap() else { panic!("no abort journaled") };
        if let Event::UpstreamFailed(f) = &e.event
            && f.kind == "client_disconnected"
        {
            break f.clone();
        }
    };
    assert_eq!(failed.provider, "anthropic");
    assert_eq!(ctx.messages(&[], &streamed).header("x-lantern-cache"), Some("miss"), "a partial answer was stored");

    // Before the answer begins: a client that gives up while the upstream thinks.
    let before = fake_stats(ctx)["cancelled"].as_u64().unwrap();
    let b = body("a question nobody waits for").to_string();
    let headers = [("x-api-key", TOKEN), ("content-type", "application/json"), ("x-fake-fault", "delay=3")];
    let mut conn = std::net::TcpStream::connect(ctx.addr).unwrap();
    conn.write_all(&request("POST", "/v1/messages", &headers, b.as_bytes())).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(conn);
    wait_for_cancel(ctx, before);
}

/// A request as Claude Code sends it: a query string, betas and client
/// headers, `system` turns among the messages, fields and block types
/// Lantern has never heard of.
fn unknown_shapes_pass_byte_for_byte_and_are_never_refined(ctx: &Ctx) {
    let sent = br#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":false,
  "invented_top_level":{"nested":[1,2.50,"x"]},"thinking":{"type":"adaptive"},
  "context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},"output_config":{"effort":"medium"},
  "metadata":{"user_id":"{\"session_id\":\"s-1\"}"},
  "messages":[{"role":"user","content":"first"},{"role":"system","content":"a reminder between turns"},
              {"role":"user","content":[{"type":"invented_block","payload":{"k":true}},{"type":"text","text":"What is 2+2?"}]}]}"#;
    let headers = [
        ("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14,invented-beta-2099-01-01"),
        ("anthropic-version", "2023-06-01"),
        ("x-app", "cli"),
        ("x-claude-code-session-id", "0b9c-session"),
        ("x-stainless-lang", "js"),
    ];
    let mut all = vec![("x-api-key", TOKEN), ("content-type", "application/json")];
    all.extend_from_slice(&headers);
    let r = raw(ctx.addr, &request("POST", "/v1/messages?beta=true", &all, sent));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["content"][0]["text"], "Fake reply to: What is 2+2?");
    let got = support::fake_received(&ctx.fake);
    let last = got.iter().rev().find(|x| x["path"] == "/v1/messages").unwrap();
    assert_eq!(support::raw_body(last), sent.to_vec(), "the bytes changed on the way");
    assert_eq!(last["query"], "beta=true");
    for (name, value) in headers {
        assert_eq!(last["headers"][name], value, "{name}");
    }
    assert_eq!(last["headers"]["x-api-key"], UPSTREAM_KEY);
    assert!(last["headers"].get("x-lantern-namespace").is_none());

    let chain = ctx.chain(&r);
    assert_eq!(kinds(&chain)[..3], ["PromptSubmitted", "RefinementSkipped", "CacheChecked"]);
    let Event::RefinementSkipped(skip) = &chain[1] else { unreachable!() };
    assert_eq!(skip.reason, SkipReason::NotPlainText { blocks: vec!["invented_block".into(), "text".into()] });

    // The same request with another session id in metadata is the same request to the cache...
    let other_session = String::from_utf8(sent.to_vec()).unwrap().replace("s-1", "s-2");
    let again = raw(ctx.addr, &request("POST", "/v1/messages?beta=true", &all, other_session.as_bytes()));
    assert_eq!(again.header("x-lantern-cache"), Some("hit-exact"));
    // ...but an unknown field with another value is not.
    let changed = String::from_utf8(sent.to_vec()).unwrap().replace("2.50", "2.75");
    let third = raw(ctx.addr, &request("POST", "/v1/messages?beta=true", &all, changed.as_bytes()));
    assert_eq!(third.header("x-lantern-cache"), Some("miss"));
}

fn count_tokens_health_stats_and_metrics(ctx: &Ctx) {
    let b = json!({"model": "claude-sonnet-4-5", "system": "be brief", "messages": [{"role": "user", "content": "one two three"}]});
    let r = ctx.post("/v1/messages/count_tokens", &[], b.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"input_tokens": 8}));
    let got = support::fake_received(&ctx.fake);
    assert_eq!(got.iter().rev().find(|x| x["path"] == "/v1/messages/count_tokens").unwrap()["body"], b);
    ctx.post("/v1/messages/count_tokens", &[], b"{").assert_error(400, "invalid_request_error");

    let health = raw(ctx.addr, &request("GET", "/health", &[], b""));
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let stats = raw(ctx.addr, &request("GET", "/stats", &[("x-api-key", TOKEN)], b"")).json();
    assert!(stats["cache_results"]["hit-exact"].as_u64().unwrap() >= 4, "{stats}");
    assert!(stats["requests"]["/v1/messages"]["200"].as_u64().unwrap() >= 10, "{stats}");
    assert!(stats["widget_log"]["entries"].as_u64().unwrap() >= 3, "{stats}");
    // The journal's projection, the one `lantern stats` and the window fold.
    let journal = &stats["journal"];
    assert!(journal["prompts"].as_u64().unwrap() >= 10, "{stats}");
    assert!(journal["exact_hits"].as_u64().unwrap() >= 4, "{stats}");
    let metrics = raw(ctx.addr, &request("GET", "/metrics", &[("x-api-key", TOKEN)], b""));
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let text = metrics.text();
    assert!(text.contains("lantern_http_requests_total{route=\"/v1/messages\",status=\"401\"}"), "{text}");
    assert!(text.contains("lantern_http_request_duration_seconds_bucket{cache=\"hit\",le=\"+Inf\"}"));
    assert!(text.contains("lantern_cache_entries "));
}

fn a_person_decides_or_the_original_goes_after_the_timeout(ctx: &Ctx, runtime: &lantern_actors::runtime::Runtime) {
    let mut c = config(64 * 1024);
    c.policy = ApprovalPolicy::Ask;
    let asking = Server::start(c, runtime.client()).unwrap();
    let addr = asking.addrs()[0];
    let post = |prompt: &str| {
        let b = body(prompt).to_string();
        raw(
            addr,
            &request(
                "POST",
                "/v1/messages",
                &[("x-api-key", TOKEN), ("content-type", "application/json")],
                b.as_bytes(),
            ),
        )
    };
    // Nobody decides: after the timeout (700 ms here) the original goes out.
    let started = std::time::Instant::now();
    let r = post("please explain the borrow checker");
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(r.json()["content"][0]["text"], "Fake reply to: please explain the borrow checker");
    let chain = ctx.chain(&r);
    assert!(chain.iter().any(|e| matches!(e, Event::ApprovalDecided(d) if d.decision == Decision::TimedOut)));

    // A person edits the prompt (through any frontend's Client::decide): the edit is sent.
    let mut sub = ctx.log.subscribe(ctx.log.last_seq().map_or(1, |s| s + 1));
    let (client, session) = (asking.client().clone(), asking.session());
    let decider = std::thread::spawn(move || {
        loop {
            let Recv::Event(e) = sub.recv_timeout(Duration::from_secs(10)).unwrap() else { panic!("no proposal") };
            if e.session == session && matches!(e.event, Event::RefinementProposed(_)) {
                client.decide(e.request.unwrap(), Decision::Modified { text: "EDITED by a person".into() });
                return;
            }
        }
    });
    let r = post("please explain lifetimes");
    decider.join().unwrap();
    assert_eq!(r.json()["content"][0]["text"], "Fake reply to: EDITED by a person");
    asking.stop().unwrap();
}

fn tls_is_served_when_a_certificate_is_configured(runtime: &lantern_actors::runtime::Runtime, dir: &Path) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    let mut c = config(1024);
    c.tls = Some(TlsFiles { cert: cert_pem.clone(), key: key_pem.clone() });
    let tls = Server::start(c, runtime.client()).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(client), name).unwrap();
    let sock = std::net::TcpStream::connect(tls.addrs()[0]).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, sock);
    use std::io::{Read, Write};
    stream.write_all(&request("GET", "/health", &[], b"")).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&out));
    tls.stop().unwrap();

    // A key that is not PEM is refused with a message naming the file.
    std::fs::write(&key_pem, "not a key").unwrap();
    let mut c = config(1024);
    c.tls = Some(TlsFiles { cert: cert_pem, key: key_pem });
    let err = Server::start(c, runtime.client()).err().unwrap();
    assert!(err.to_string().contains("key.pem"), "{err}");
}

/// The default body limit is what one journal record holds: a body of
/// exactly that size is answered and its prompt journalled whole; one byte
/// more is a 413, and a larger limit is refused at start.
fn a_body_is_journalled_whole_or_refused(ctx: &mut Ctx, runtime: &lantern_actors::runtime::Runtime) {
    let limit = lantern_http::DEFAULT_MAX_BODY;
    assert_eq!(limit, lantern_events::codec::MAX_PROMPT_BYTES);
    let server = Server::start(config(limit), runtime.client()).unwrap();
    let usual = std::mem::replace(&mut ctx.addr, server.addrs()[0]);
    let at = &*ctx;
    let frame = body("").to_string().len();
    let text = "lorem ipsum dolor sit amet ".repeat(limit / 27 + 1);
    let fits = body(&text[..limit - frame]).to_string();
    assert_eq!(fits.len(), limit);
    let r = at.post("/v1/messages", &[], fits.as_bytes());
    assert_eq!(r.status, 200, "{}", &r.text()[..r.text().len().min(300)]);
    let chain = at.chain(&r);
    let Event::PromptSubmitted(p) = &chain[0] else { panic!("{:?}", kinds(&chain)) };
    assert_eq!(p.text.display().len(), limit - frame, "the prompt was journalled whole");
    assert!(kinds(&chain).contains(&"ResponseDelivered"), "{:?}", kinds(&chain));
    let over = body(&text[..limit - frame + 1]).to_string();
    at.post("/v1/messages", &[], over.as_bytes()).assert_error(413, "request_too_large");
    server.stop().unwrap();
    ctx.addr = usual;
    let err = Server::start(config(limit + 1), runtime.client()).err().unwrap();
    assert!(err.to_string().contains("journal record"), "{err}");
}

fn a_remote_address_needs_the_flag(runtime: &lantern_actors::runtime::Runtime) {
    let mut c = config(1024);
    c.listen = "0.0.0.0:0".parse().unwrap();
    let err = Server::start(c, runtime.client()).err().unwrap();
    assert!(err.to_string().contains("--allow-remote"), "{err}");
}

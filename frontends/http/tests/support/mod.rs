//! Shared by the proxy's tests: the venv, the fake upstream, a runtime
//! pointed at it, and a raw HTTP/1.1 client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use lantern_actors::cache_bridge::BridgeConfig;
use lantern_actors::pipeline::Settings;
use lantern_actors::runtime::{Runtime, RuntimeConfig};
use lantern_actors::upstream::{Limits, UpstreamConfig};
use lantern_events::EventLog;
use lantern_events::schema::PrivacyLevel;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The key the proxy uses upstream (looks like a real one, so redaction would catch it).
pub const UPSTREAM_KEY: &str = "sk-ant-api03-UPSTREAMkeyForTests0123456789";

#[path = "../../../../actors/tests/support/files.rs"]
mod files;
#[path = "../../../../actors/tests/support/upstream.rs"]
mod upstream;

#[allow(unused_imports)] // not every test binary that includes this module checks files
pub use files::found_under;
pub use upstream::{Fake, anthropic, fake, venv};

/// The actors and Widget-Log over `dir`, answering from `fake` without retries.
pub fn runtime(dir: &Path, fake: &Fake, decision_timeout: Duration) -> (Arc<EventLog>, Runtime) {
    runtime_with(dir, fake, Settings { decision_timeout, ..Settings::default() }, Limits::default())
}

/// [`runtime`] with these settings and upstream limits.
pub fn runtime_with(dir: &Path, fake: &Fake, settings: Settings, limits: Limits) -> (Arc<EventLog>, Runtime) {
    let log = Arc::new(EventLog::open(&dir.join("events.redb")).unwrap());
    let widget_log = serde_json::json!({"data_dir": dir.join("widget-log")});
    let config = RuntimeConfig {
        bridge: BridgeConfig { venv: venv(), config_json: widget_log.to_string(), threads: 2 },
        upstream: UpstreamConfig { limits, ..anthropic(&fake.url, UPSTREAM_KEY) },
        privacy: PrivacyLevel::Full,
        settings,
    };
    let runtime = Runtime::start(log.clone(), config).unwrap();
    (log, runtime)
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an Anthropic error of this status and type.
    pub fn assert_error(&self, status: u16, kind: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let v = self.json();
        assert_eq!(v["type"], "error", "{v}");
        assert_eq!(v["error"]["type"], kind, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
}

/// Sends raw bytes (a whole request, `Connection: close`) and reads the reply.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    conn.write_all(request).unwrap();
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes).unwrap();
    parse(&bytes)
}

fn parse(bytes: &[u8]) -> Reply {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v == "chunked") {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// A request with these headers and body.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// What the fake upstream has received.
pub fn fake_received(fake: &Fake) -> Vec<serde_json::Value> {
    let addr: SocketAddr = fake.url.trim_start_matches("http://").parse().unwrap();
    raw(addr, &request("GET", "/_fake/requests", &[], b"")).json().as_array().unwrap().clone()
}

/// The exact bytes the fake received as a request's body.
pub fn raw_body(received: &serde_json::Value) -> Vec<u8> {
    let b64 = received["raw_b64"].as_str().expect("the fake records raw bodies");
    decode_base64(b64)
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).map(value).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

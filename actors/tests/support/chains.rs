//! A runtime over a temp data dir, and a request's events read from its journal.

use super::{anthropic, venv};
use lantern_actors::cache_bridge::BridgeConfig;
use lantern_actors::pipeline::{Ask, Settings};
use lantern_actors::runtime::{Client, Runtime, RuntimeConfig};
use lantern_events::schema::{Event, PrivacyLevel};
use lantern_events::{Envelope, EventLog, Recv, RequestId, Subscription};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pipeline over `dir` (log and cache), the real Widget-Log, and the
/// Anthropic API at `base_url` with `key`.
pub fn runtime(dir: &Path, base_url: &str, key: &str, settings: Settings) -> (Arc<EventLog>, Runtime) {
    let log = Arc::new(EventLog::open(&dir.join("events.redb")).unwrap());
    let widget_log = serde_json::json!({"data_dir": dir.join("widget-log")});
    let config = RuntimeConfig {
        bridge: BridgeConfig { venv: venv(), config_json: widget_log.to_string(), threads: 2 },
        upstream: anthropic(base_url, key),
        privacy: PrivacyLevel::Full,
        settings,
    };
    let rt = Runtime::start(log.clone(), config).unwrap();
    (log, rt)
}

/// Collects one request's events until `done` says the chain is over (60 s at most).
pub fn chain(sub: &mut Subscription, request: RequestId, done: impl Fn(&Event) -> bool) -> Vec<Arc<Envelope>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while Instant::now() < deadline {
        if let Recv::Event(e) = sub.recv_timeout(Duration::from_millis(200)).unwrap()
            && e.request == Some(request)
        {
            let end = done(&e.event);
            out.push(e);
            if end {
                return out;
            }
        }
    }
    panic!("chain {request} did not finish: {:?}", kinds(&out));
}

/// Whether a chain ends with this event (its suggestions, or a failure).
pub fn ended(e: &Event) -> bool {
    matches!(e, Event::SuggestionsOffered(_) | Event::UpstreamFailed(_))
}

/// The events' kinds, in order.
pub fn kinds(events: &[Arc<Envelope>]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.kind()).collect()
}

/// Submits `a` and collects its chain to the end.
pub fn run(client: &Client, sub: &mut Subscription, a: Ask) -> Vec<Arc<Envelope>> {
    let request = a.request;
    client.submit(a);
    chain(sub, request, ended)
}

/// The next event `want` accepts (30 s at most).
pub fn wait_for(sub: &mut Subscription, want: impl Fn(&Event) -> bool) -> Arc<Envelope> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Recv::Event(e) = sub.recv_timeout(Duration::from_millis(200)).unwrap()
            && want(&e.event)
        {
            return e;
        }
    }
    panic!("event did not come");
}

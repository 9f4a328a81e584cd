//! The CacheBridge against the real Widget-Log in `.venv` and the local fake
//! of the Anthropic API (`make setup` provides both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lantern_actors::cache_bridge::contract::{WireMiss, WireOutcome, WireSource, parse_process};
use lantern_actors::cache_bridge::{Bridge, BridgeConfig, BridgeError};
use serde_json::{Value, json};
use support::{fake, venv};

const PLANTED_KEY: &str = "sk-ant-api03-PLANTEDkeyMustNeverBeStored0123456789";

fn request(text: &str, fault: Option<&str>) -> String {
    let mut r = json!({
        "request": {"model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [{"role": "user", "content": text}]},
        "namespace": "default",
        "api_key": PLANTED_KEY,
    });
    if let Some(f) = fault {
        r["headers"] = json!({"x-fake-fault": f});
    }
    r.to_string()
}

#[test]
fn the_bridge_serves_misses_hits_streams_and_failures() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();

    // Given a configuration Widget-Log refuses, start fails with its reason.
    let bad = BridgeConfig { venv: venv(), config_json: json!({"no_such_key": 1}).to_string(), threads: 1 };
    let err = Bridge::start(&bad).err().unwrap();
    assert!(matches!(err, BridgeError::Initialize(_)), "{err}");

    let config = json!({
        "data_dir": dir.path(),
        "upstream": {"provider": "anthropic", "max_retries": 1, "backoff_initial_seconds": 0.01,
                     "anthropic": {"base_url": fake.url}},
    });
    let bridge = Bridge::start(&BridgeConfig { venv: venv(), config_json: config.to_string(), threads: 2 }).unwrap();

    // A first ask misses and goes upstream; the answer is stored.
    let first =
        parse_process(&bridge.process(&request("How do I reverse a list in Python?", None)).unwrap()).unwrap().unwrap();
    assert_eq!(first.source, WireSource::Upstream);
    assert_eq!(first.cache, WireOutcome::Miss { reason: WireMiss::Empty });
    assert_eq!(first.text(), "Fake reply to: How do I reverse a list in Python?");
    assert!(first.usage.input_tokens > 0 && first.attempts == 1);
    let entry = first.stored_entry_id.clone().expect("a complete answer is stored");

    // The same ask is an exact hit on that entry.
    let again =
        parse_process(&bridge.process(&request("How do I reverse a list in Python?", None)).unwrap()).unwrap().unwrap();
    assert_eq!(again.source, WireSource::Cache);
    assert_eq!(again.cache, WireOutcome::ExactHit { entry_id: entry.clone() });
    assert_eq!(again.text(), first.text());

    // Upstream overload comes back typed, after the configured retry.
    let failed =
        parse_process(&bridge.process(&request("What is a monad?", Some("status=529"))).unwrap()).unwrap().unwrap_err();
    assert_eq!((failed.kind.as_str(), failed.status, failed.retryable), ("overloaded", Some(529), true), "{failed:?}");

    // A stream arrives in Anthropic's SSE order and ends with Lantern's result.
    let chunks: Vec<Value> = bridge
        .stream(&request("Explain lifetimes briefly", None))
        .unwrap()
        .map(|c| serde_json::from_str(&c.unwrap()).unwrap())
        .collect();
    let names: Vec<&str> = chunks.iter().map(|c| c["event"].as_str().unwrap()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 3..], ["message_delta", "message_stop", "lantern_result"]);
    assert!(names.contains(&"content_block_delta"));
    assert_eq!(chunks.last().unwrap()["data"]["ok"], true);

    // Invalidation (a user said the answer was wrong) makes the next ask miss.
    let inv: Value = serde_json::from_str(&bridge.invalidate(&entry).unwrap()).unwrap();
    assert_eq!(inv["invalidated"], true, "{inv}");
    let after =
        parse_process(&bridge.process(&request("How do I reverse a list in Python?", None)).unwrap()).unwrap().unwrap();
    assert_eq!(after.source, WireSource::Upstream);

    let stats: Value = serde_json::from_str(&bridge.stats().unwrap()).unwrap();
    assert!(stats["stats"]["lookups"].as_u64().unwrap() >= 4, "{stats}");
    let health: Value = serde_json::from_str(&bridge.health().unwrap()).unwrap();
    assert_eq!(health["initialized"], true);
    drop(bridge);

    // The API key never reached the cache's files.
    assert!(!support::files_under(dir.path()).is_empty());
    assert_eq!(support::found_under(dir.path(), PLANTED_KEY), None, "the API key reached the cache");
}

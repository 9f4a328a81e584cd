//! The typed cache facade against the real Widget-Log in `.venv`: lookups,
//! stores served from the moment they are made, peeks that change nothing,
//! invalidation and statistics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bytes::Bytes;
use lantern_actors::cache_bridge::{BridgeConfig, BridgeError, Cache, CacheKey, CacheMode, SemanticMode, key};
use lantern_events::schema::{CacheOutcome, MissReason};
use serde_json::json;
use std::sync::Arc;
use support::venv;

fn key_of(ns: &str, prompt: &str) -> CacheKey {
    let body =
        json!({"model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [{"role": "user", "content": prompt}]});
    CacheKey::new(ns, &key::fingerprint(&body, &[], ""), &body)
}

fn answer(text: &str) -> Bytes {
    let m = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}});
    Bytes::from(m.to_string())
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn the_cache_facade_end_to_end() {
    let dir = tempfile::tempdir().unwrap();

    // A configuration Widget-Log refuses stops the start with its reason.
    let bad = BridgeConfig { venv: venv(), config_json: json!({"no_such_key": 1}).to_string(), threads: 1 };
    assert!(matches!(Cache::start(&bad).err().unwrap(), BridgeError::Initialize(_)));

    let config = json!({"data_dir": dir.path()}).to_string();
    let cache = Arc::new(Cache::start(&BridgeConfig { venv: venv(), config_json: config, threads: 2 }).unwrap());
    let (mode, serve) = (CacheMode::Default, SemanticMode::Serve);
    let k = key_of("default", "How do I reverse a list in Python?");

    block(async {
        let miss = cache.lookup(&k, mode, serve).await.unwrap();
        assert_eq!((miss.outcome, miss.response), (CacheOutcome::Miss { reason: MissReason::Empty }, None));

        // A stored answer is an exact hit at once, before Widget-Log has written it...
        let stored = answer("use reversed()");
        assert!(cache.storable(&serde_json::from_slice(&stored).unwrap()));
        let (entry, writing) = cache.store(&k, stored.clone());
        let early = cache.lookup(&k, mode, serve).await.unwrap();
        assert_eq!(early.outcome, CacheOutcome::ExactHit { entry: entry.clone() });
        assert_eq!(early.response.as_ref(), Some(&stored));
        writing.await;
        // ...and after, from Widget-Log, byte for byte.
        let hit = cache.lookup(&k, mode, serve).await.unwrap();
        assert_eq!(hit.outcome, CacheOutcome::ExactHit { entry: entry.clone() });
        assert_eq!(hit.response.as_ref(), Some(&stored));

        // A paraphrase is a verified semantic hit, unless semantic matching is off.
        let para = key_of("default", "whats the pythonic way to reverse a list");
        let sem = cache.lookup(&para, mode, serve).await.unwrap();
        assert!(matches!(&sem.outcome, CacheOutcome::SemanticHit { entry: e, .. } if *e == entry), "{:?}", sem.outcome);
        let off = cache.lookup(&para, mode, SemanticMode::Off).await.unwrap();
        assert_eq!(off.outcome, CacheOutcome::Miss { reason: MissReason::ExactOnly });

        // Another namespace sees nothing; no-cache reads nothing.
        let other = cache.lookup(&key_of("team", "How do I reverse a list in Python?"), mode, serve).await.unwrap();
        assert!(other.response.is_none());
        let bypass = cache.lookup(&k, CacheMode::NoCache, serve).await.unwrap();
        assert_eq!(bypass.outcome, CacheOutcome::Miss { reason: MissReason::Bypassed });

        // A peek changes nothing.
        let before = cache.stats().await.unwrap();
        assert_eq!(cache.peek(&k, mode, serve).await.unwrap(), CacheOutcome::ExactHit { entry: entry.clone() });
        assert_eq!(cache.stats().await.unwrap(), before);
        assert_eq!((before.stored, before.exact_hits, before.entries), (1, 2, 1));

        // Truncated answers are never storable.
        let cut: serde_json::Value =
            json!({"type": "message", "content": [{"type": "text", "text": "x"}], "stop_reason": "max_tokens"});
        assert!(!cache.storable(&cut));

        // A wrong answer, invalidated, is gone.
        assert!(cache.invalidate(&entry).await.unwrap());
        assert!(cache.lookup(&k, mode, serve).await.unwrap().response.is_none());
        assert!(!cache.invalidate(&entry).await.unwrap());
        assert!(cache.health().await.unwrap().initialized);
    });
    drop(cache);
    the_copy_of_exact_answers_follows_widget_log();
}

/// Lantern's copy of exact answers never outlives what Widget-Log holds.
/// (One Widget-Log per process: it runs after the test above, in it.)
fn the_copy_of_exact_answers_follows_widget_log() {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({"data_dir": dir.path(), "cache": {"max_entries": 1, "ttl_seconds": 2}}).to_string();
    let cache = Arc::new(Cache::start(&BridgeConfig { venv: venv(), config_json: config, threads: 1 }).unwrap());
    let (mode, off) = (CacheMode::Default, SemanticMode::Off);
    let (k1, k2) = (key_of("default", "first question"), key_of("default", "second question"));
    block(async {
        let (e1, writing) = cache.store(&k1, answer("one"));
        writing.await;
        for _ in 0..3 {
            assert_eq!(
                cache.lookup(&k1, mode, off).await.unwrap().outcome,
                CacheOutcome::ExactHit { entry: e1.clone() }
            );
        }
        // Hits answered from the copy are Widget-Log's hits too.
        let s = cache.stats().await.unwrap();
        assert_eq!((s.lookups, s.exact_hits), (3, 3));

        // Widget-Log holds one entry: storing a second evicts the first,
        // and once Widget-Log has said so the copy stops serving it.
        let (e2, writing) = cache.store(&k2, answer("two"));
        writing.await;
        assert_eq!(cache.lookup(&k1, mode, off).await.unwrap().outcome, CacheOutcome::ExactHit { entry: e1.clone() });
        let s = cache.stats().await.unwrap();
        assert_eq!((s.entries, s.evicted), (1, 1));
        let gone = cache.lookup(&k1, mode, off).await.unwrap();
        assert!(matches!(gone.outcome, CacheOutcome::Miss { .. }) && gone.response.is_none(), "{:?}", gone.outcome);

        // An expired answer is not served from the copy either.
        assert_eq!(cache.lookup(&k2, mode, off).await.unwrap().outcome, CacheOutcome::ExactHit { entry: e2 });
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        let expired = cache.lookup(&k2, mode, off).await.unwrap();
        assert!(expired.response.is_none(), "{:?}", expired.outcome);
    });
}

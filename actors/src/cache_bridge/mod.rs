//! CacheBridge: the response cache, Widget-Log, behind a typed facade.
//!
//! [`Cache`] is the only way in: [`Cache::lookup`], [`Cache::peek`],
//! [`Cache::store`], [`Cache::invalidate`], [`Cache::stats`] and
//! [`Cache::health`]. Keys are computed here in Rust ([`key`]); Widget-Log
//! (embedded Python, on a small pool of threads that own the interpreter)
//! keeps the entries, the vector index and the verifier. No caller names a
//! Python function or sees its JSON.
//!
//! A stored answer is served as an exact match from the moment
//! [`Cache::store`] returns, while Widget-Log writes and embeds it behind:
//! storing is never on a client's path, and a store that fails only logs.

mod error;
mod host;
pub mod key;
mod wire;

pub use error::BridgeError;
pub use host::BridgeConfig;
pub use key::{CacheKey, Fingerprint};

use bytes::Bytes;
use host::{Args, Bridge};
use lantern_events::schema::{CacheOutcome, EntryId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How a request may use the cache (the proxy's `x-lantern-cache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Read the cache, store complete answers.
    #[default]
    Default,
    /// Do not read the cache; store the answer.
    NoCache,
    /// Read the cache; do not store the answer.
    NoStore,
    /// Neither read nor store.
    Off,
}

impl CacheMode {
    fn wire(self) -> &'static str {
        match self {
            CacheMode::Default => "default",
            CacheMode::NoCache => "no-cache",
            CacheMode::NoStore => "no-store",
            CacheMode::Off => "off",
        }
    }

    /// Whether an answer may be stored.
    pub fn stores(self) -> bool {
        matches!(self, CacheMode::Default | CacheMode::NoCache)
    }

    /// The mode for a prompt that holds a secret: never stored.
    pub fn without_store(self) -> Self {
        match self {
            CacheMode::Default | CacheMode::NoStore => CacheMode::NoStore,
            CacheMode::NoCache | CacheMode::Off => CacheMode::Off,
        }
    }
}

/// Whether a lookup may serve a paraphrase (a semantic match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SemanticMode {
    /// Serve a verified semantic match.
    #[default]
    Serve,
    /// Exact matches only.
    Off,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The outcome, as the journal records it.
    pub outcome: CacheOutcome,
    /// On a hit, the stored answer (a Message as JSON text).
    pub response: Option<Bytes>,
    /// Time the lookup took, embedding included, in microseconds.
    pub lookup_us: u64,
}

/// Tokens a cache saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokensSaved {
    /// Input tokens not sent upstream.
    pub input: u64,
    /// Output tokens not generated.
    pub output: u64,
}

/// Widget-Log's own counters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CacheStats {
    /// Entries held.
    pub entries: u64,
    /// Lookups that read the cache (peeks excluded).
    pub lookups: u64,
    /// Exact hits served.
    pub exact_hits: u64,
    /// Semantic hits served.
    pub semantic_hits: u64,
    /// Misses by reason.
    pub misses: BTreeMap<String, u64>,
    /// Answers stored.
    pub stored: u64,
    /// Answers not stored, by reason.
    pub not_stored: BTreeMap<String, u64>,
    /// Entries invalidated (flagged wrong).
    pub invalidated: u64,
    /// Entries evicted (LRU).
    pub evicted: u64,
    /// Entries expired (TTL).
    pub expired: u64,
    /// Tokens saved by hits.
    pub tokens_saved: TokensSaved,
    /// Estimated cost saved, in USD.
    pub cost_saved_usd: f64,
    /// Hits over lookups.
    pub hit_rate: f64,
    /// Entries per namespace.
    pub namespaces: BTreeMap<String, u64>,
}

/// Whether Widget-Log runs, and on what.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Health {
    /// Whether it is initialised.
    pub initialized: bool,
    /// The embedding model.
    pub embed_model: String,
    /// Entries held.
    pub entries: u64,
    /// Where its database lives (`:memory:` for none).
    pub data_dir: String,
}

/// An answer being stored: served from memory until Widget-Log has it.
#[derive(Debug, Clone)]
struct Pending {
    entry: EntryId,
    response: Bytes,
}

/// The response cache. Cheap to share (`Arc`).
pub struct Cache {
    bridge: Bridge,
    /// `(namespace, exact key)` → an answer whose store is under way.
    pending: Mutex<HashMap<(String, String), Pending>>,
    /// Hits served from `pending` (Widget-Log never saw those lookups).
    pending_hits: AtomicU64,
    storable_stop_reasons: Vec<String>,
}

fn request(key: &CacheKey, extra: serde_json::Value) -> String {
    let mut r = serde_json::json!({
        "key": {"fingerprint": key.fingerprint.0, "exact_key": key.exact, "text": key.text, "model": key.model},
        "namespace": key.namespace,
    });
    if let (Some(r), serde_json::Value::Object(extra)) = (r.as_object_mut(), extra) {
        r.extend(extra);
    }
    r.to_string()
}

impl Cache {
    /// Starts the interpreter and Widget-Log; returns once it is ready.
    pub fn start(config: &BridgeConfig) -> Result<Self, BridgeError> {
        let bridge = Bridge::start(config)?;
        let storable_stop_reasons = bridge.initialized()["storable_stop_reasons"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_else(|| vec!["end_turn".into(), "stop_sequence".into()]);
        Ok(Cache {
            bridge,
            pending: Mutex::new(HashMap::new()),
            pending_hits: AtomicU64::new(0),
            storable_stop_reasons,
        })
    }

    fn pending_hit(&self, key: &CacheKey) -> Option<Pending> {
        let pending = self.pending.lock().ok()?;
        pending.get(&(key.namespace.clone(), key.exact.clone())).cloned()
    }

    /// Looks `key` up: exact first, then (with [`SemanticMode::Serve`]) a
    /// verified paraphrase.
    pub fn lookup(
        &self,
        key: &CacheKey,
        mode: CacheMode,
        semantic: SemanticMode,
    ) -> impl Future<Output = Result<Lookup, BridgeError>> + Send + use<> {
        self.ask(key, mode, semantic, true)
    }

    /// What [`Cache::lookup`] would find now, changing nothing (no counters,
    /// no recency); a hit's answer is not read.
    pub fn peek(
        &self,
        key: &CacheKey,
        mode: CacheMode,
        semantic: SemanticMode,
    ) -> impl Future<Output = Result<CacheOutcome, BridgeError>> + Send + use<> {
        let asked = self.ask(key, mode, semantic, false);
        async move { asked.await.map(|l| l.outcome) }
    }

    fn ask(
        &self,
        key: &CacheKey,
        mode: CacheMode,
        semantic: SemanticMode,
        record: bool,
    ) -> impl Future<Output = Result<Lookup, BridgeError>> + Send + use<> {
        let reads = !matches!(mode, CacheMode::NoCache | CacheMode::Off);
        let pending = reads.then(|| self.pending_hit(key)).flatten();
        if pending.is_some() && record {
            self.pending_hits.fetch_add(1, Ordering::Relaxed);
        }
        let call = pending.is_none().then(|| {
            let semantic = if semantic == SemanticMode::Serve { "serve" } else { "off" };
            let extra = serde_json::json!({"mode": mode.wire(), "semantic": semantic, "record": record});
            self.bridge.call("lookup", Args::One(request(key, extra)))
        });
        async move {
            if let Some(p) = pending {
                let response = record.then_some(p.response);
                return Ok(Lookup { outcome: CacheOutcome::ExactHit { entry: p.entry }, response, lookup_us: 0 });
            }
            let Some(call) = call else { return Err(BridgeError::Stopped) };
            let (json, response) = call.await?;
            let (outcome, lookup_us) = wire::read::<wire::Looked>("lookup", &json)?.outcome();
            Ok(Lookup { outcome, response: response.map(Bytes::from), lookup_us })
        }
    }

    /// Whether `message` (a Message) may be stored: a complete answer that
    /// stopped for one of the storable reasons (never `max_tokens`).
    pub fn storable(&self, message: &serde_json::Value) -> bool {
        message["type"] == "message"
            && message["content"].as_array().is_some_and(|c| !c.is_empty())
            && message["stop_reason"].as_str().is_some_and(|r| self.storable_stop_reasons.iter().any(|s| s == r))
    }

    /// Stores `response` (a storable Message's JSON text) under `key`. The
    /// entry is served from now on; the returned future finishes the store
    /// in Widget-Log, and logs rather than fails.
    pub fn store(
        self: &Arc<Self>,
        key: &CacheKey,
        response: Bytes,
    ) -> (EntryId, impl Future<Output = ()> + Send + use<>) {
        let entry = EntryId(uuid_hex());
        let slot = (key.namespace.clone(), key.exact.clone());
        if let Ok(mut p) = self.pending.lock() {
            p.insert(slot.clone(), Pending { entry: entry.clone(), response: response.clone() });
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        let call = self.bridge.call("store", Args::Two(request(key, serde_json::json!({"entry_id": entry.0})), text));
        let (cache, id) = (self.clone(), entry.clone());
        let done = async move {
            match call.await.and_then(|(json, _)| wire::read::<wire::Stored>("store", &json)) {
                Ok(s) if !s.stored => tracing::info!(why = ?s.why, "answer not stored"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "storing an answer failed; it stays uncached"),
            }
            if let Ok(mut p) = cache.pending.lock()
                && p.get(&slot).is_some_and(|x| x.entry == id)
            {
                p.remove(&slot);
            }
        };
        (entry, done)
    }

    /// Removes an entry (a user said its answer was wrong); whether it existed.
    pub fn invalidate(&self, entry: &EntryId) -> impl Future<Output = Result<bool, BridgeError>> + Send + use<> {
        let was_pending = self.pending.lock().is_ok_and(|mut p| {
            let before = p.len();
            p.retain(|_, x| x.entry != *entry);
            p.len() != before
        });
        let call = self.bridge.call("invalidate", Args::One(entry.0.clone()));
        async move {
            let (json, _) = call.await?;
            Ok(wire::read::<wire::Invalidated>("invalidate", &json)?.invalidated || was_pending)
        }
    }

    /// The cache's counters: Widget-Log's, with the hits served while an
    /// answer was still being written counted in.
    pub fn stats(&self) -> impl Future<Output = Result<CacheStats, BridgeError>> + Send + use<> {
        let call = self.bridge.call("stats", Args::None);
        let early = self.pending_hits.load(Ordering::Relaxed);
        async move { Ok(with_early_hits(wire::read::<wire::StatsAnswer>("stats", &call.await?.0)?.stats, early)) }
    }

    /// Whether Widget-Log runs.
    pub fn health(&self) -> impl Future<Output = Result<Health, BridgeError>> + Send + use<> {
        let call = self.bridge.call("health", Args::None);
        async move { wire::read::<Health>("health", &call.await?.0) }
    }

    /// [`Cache::stats`] for callers outside an async runtime.
    pub fn stats_blocking(&self) -> Result<CacheStats, BridgeError> {
        let (json, _) = self.bridge.call_blocking("stats", Args::None)?;
        let early = self.pending_hits.load(Ordering::Relaxed);
        Ok(with_early_hits(wire::read::<wire::StatsAnswer>("stats", &json)?.stats, early))
    }

    /// [`Cache::health`] for callers outside an async runtime.
    pub fn health_blocking(&self) -> Result<Health, BridgeError> {
        let (json, _) = self.bridge.call_blocking("health", Args::None)?;
        wire::read::<Health>("health", &json)
    }
}

fn with_early_hits(mut s: CacheStats, early: u64) -> CacheStats {
    s.lookups += early;
    s.exact_hits += early;
    let hits = s.exact_hits + s.semantic_hits;
    s.hit_rate = if s.lookups == 0 { 0.0 } else { hits as f64 / s.lookups as f64 };
    s
}

/// A fresh entry id: 32 hex digits, time-ordered (UUID v7).
fn uuid_hex() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

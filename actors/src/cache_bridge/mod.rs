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
//! Recent exact answers are also held in Rust ([`hot`]): an exact hit on one
//! of them is answered without entering Python, and Widget-Log is told of
//! such hits in batches, off the client's path.

mod error;
mod host;
mod hot;
pub mod key;
mod wire;

pub use error::BridgeError;
pub use host::BridgeConfig;
pub use key::{CacheKey, Fingerprint};

use bytes::Bytes;
use host::{Args, Bridge};
use hot::{Held, Hot, Slot};
use lantern_events::schema::{CacheOutcome, EntryId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Bytes of recent exact answers held in Rust.
pub const HOT_BYTES: usize = 64 * 1024 * 1024;
/// Hits served from the Rust copy are reported to Widget-Log once this many
/// have gathered, or [`SERVED_EVERY`] after the first of them.
const SERVED_BATCH: usize = 256;
const SERVED_EVERY: Duration = Duration::from_secs(1);

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
    /// Offer the best paraphrase to the user, with the verifier's verdict;
    /// never serve one without them.
    Offer,
    /// Exact matches only.
    Off,
}

impl SemanticMode {
    fn wire(self) -> &'static str {
        match self {
            SemanticMode::Serve => "serve",
            SemanticMode::Offer => "offer",
            SemanticMode::Off => "off",
        }
    }
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

/// Exact hits served from the Rust copy that Widget-Log has not been told of.
#[derive(Debug, Default)]
struct Served {
    entries: Vec<String>,
    since: Option<Instant>,
}

impl Served {
    /// Takes the batch, if it is due (or `now` is set).
    fn take(&mut self, now: bool) -> Option<String> {
        let due = now || self.entries.len() >= SERVED_BATCH || self.since.is_some_and(|t| t.elapsed() >= SERVED_EVERY);
        if !due || self.entries.is_empty() {
            return None;
        }
        self.since = None;
        Some(serde_json::Value::from(std::mem::take(&mut self.entries)).to_string())
    }
}

/// The response cache. Cheap to share (`Arc`).
pub struct Cache {
    bridge: Bridge,
    /// Recent exact answers, served without a call into Python.
    hot: Arc<Mutex<Hot>>,
    /// Whether Widget-Log serves exact matches at all (else `hot` stays empty).
    serves_exact: bool,
    /// Entries' lifetime in Widget-Log (`None`: they never expire).
    ttl: Option<Duration>,
    served: Mutex<Served>,
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

fn slot(key: &CacheKey) -> Slot {
    (key.namespace.clone(), key.exact.clone())
}

impl Cache {
    /// Starts the interpreter and Widget-Log; returns once it is ready.
    pub fn start(config: &BridgeConfig) -> Result<Self, BridgeError> {
        let bridge = Bridge::start(config)?;
        let init = bridge.initialized();
        let storable_stop_reasons = init["storable_stop_reasons"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_else(|| vec!["end_turn".into(), "stop_sequence".into()]);
        let serves_exact = init["serves_exact"].as_bool().unwrap_or(false);
        let ttl = init["ttl_seconds"].as_f64().filter(|t| *t > 0.0).map(Duration::from_secs_f64);
        Ok(Cache {
            bridge,
            hot: Arc::new(Mutex::new(Hot::new(if serves_exact { HOT_BYTES } else { 0 }))),
            serves_exact,
            ttl,
            served: Mutex::new(Served::default()),
            storable_stop_reasons,
        })
    }

    fn hot_hit(&self, key: &CacheKey) -> Option<Held> {
        if !self.serves_exact {
            return None;
        }
        self.hot.lock().ok()?.get(&slot(key), SystemTime::now())
    }

    /// Notes a hit served from the Rust copy; tells Widget-Log of a due batch.
    fn note_served(&self, entry: &EntryId) {
        let batch = self.served.lock().ok().and_then(|mut s| {
            s.entries.push(entry.0.clone());
            s.since.get_or_insert_with(Instant::now);
            s.take(false)
        });
        let Some(ids) = batch else { return };
        // Queued at once; no request waits for its answer, which names the
        // entries Widget-Log no longer holds (evicted, say): they stop being served.
        let call = self.bridge.call("served", Args::One(ids));
        let hot = self.hot.clone();
        let forget = async move {
            match call.await.and_then(|(json, _)| wire::read::<wire::ServedAnswer>("served", &json)) {
                Ok(s) => forget(&hot, &s.gone),
                Err(e) => tracing::warn!(error = %e, "telling Widget-Log of hits served from Lantern's copy failed"),
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn(forget)),
            Err(_) => drop(forget),
        }
    }

    fn take_served(&self) -> String {
        self.served.lock().ok().and_then(|mut s| s.take(true)).unwrap_or_else(|| "[]".into())
    }

    /// Looks `key` up: exact first, then (with [`SemanticMode::Serve`]) a
    /// verified paraphrase, or (with [`SemanticMode::Offer`]) a paraphrase
    /// to offer, with its answer.
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
        let started = Instant::now();
        let held = reads.then(|| self.hot_hit(key)).flatten();
        if let Some(h) = &held
            && record
        {
            self.note_served(&h.entry);
        }
        let call = held.is_none().then(|| {
            let extra = serde_json::json!({"mode": mode.wire(), "semantic": semantic.wire(), "record": record});
            self.bridge.call("lookup", Args::One(request(key, extra)))
        });
        let (hot, slot) = (self.serves_exact.then(|| self.hot.clone()), slot(key));
        async move {
            if let Some(h) = held {
                let lookup_us = started.elapsed().as_micros() as u64;
                let response = record.then_some(h.response);
                return Ok(Lookup { outcome: CacheOutcome::ExactHit { entry: h.entry }, response, lookup_us });
            }
            let Some(call) = call else { return Err(BridgeError::Stopped) };
            let (json, response) = call.await?;
            let looked = wire::read::<wire::Looked>("lookup", &json)?;
            let expires_at = looked.expires_at();
            let (outcome, lookup_us) = looked.outcome();
            let response = response.map(Bytes::from);
            if let (Some(hot), CacheOutcome::ExactHit { entry }, Some(r)) = (hot, &outcome, &response)
                && let Ok(mut hot) = hot.lock()
            {
                hot.put(slot, Held { entry: entry.clone(), response: r.clone(), expires_at });
            }
            Ok(Lookup { outcome, response, lookup_us })
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
        let slot = slot(key);
        if self.serves_exact
            && let Ok(mut hot) = self.hot.lock()
        {
            let expires_at = self.ttl.map(|t| SystemTime::now() + t);
            hot.put(slot.clone(), Held { entry: entry.clone(), response: response.clone(), expires_at });
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        let call = self.bridge.call("store", Args::Two(request(key, serde_json::json!({"entry_id": entry.0})), text));
        let (hot, id) = (self.hot.clone(), entry.clone());
        let done = async move {
            let kept = match call.await.and_then(|(json, _)| wire::read::<wire::Stored>("store", &json)) {
                Ok(s) if !s.stored => {
                    tracing::info!(why = ?s.why, "answer not stored");
                    false
                }
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "storing an answer failed; it stays uncached");
                    false
                }
            };
            // Only what Widget-Log holds is served.
            if !kept && let Ok(mut hot) = hot.lock() {
                hot.remove_if(&slot, &id);
            }
        };
        (entry, done)
    }

    /// Removes an entry (a user said its answer was wrong); whether it existed.
    pub fn invalidate(&self, entry: &EntryId) -> impl Future<Output = Result<bool, BridgeError>> + Send + use<> {
        let was_held = self.hot.lock().is_ok_and(|mut h| h.remove_entries(std::slice::from_ref(&entry.0)));
        let call = self.bridge.call("invalidate", Args::One(entry.0.clone()));
        async move {
            let (json, _) = call.await?;
            Ok(wire::read::<wire::Invalidated>("invalidate", &json)?.invalidated || was_held)
        }
    }

    /// The cache's counters (hits served from the Rust copy included).
    pub fn stats(&self) -> impl Future<Output = Result<CacheStats, BridgeError>> + Send + use<> {
        let call = self.bridge.call("stats", Args::One(self.take_served()));
        let hot = self.hot.clone();
        async move { Ok(forget_gone(&hot, wire::read::<wire::StatsAnswer>("stats", &call.await?.0)?)) }
    }

    /// Whether Widget-Log runs.
    pub fn health(&self) -> impl Future<Output = Result<Health, BridgeError>> + Send + use<> {
        let call = self.bridge.call("health", Args::None);
        async move { wire::read::<Health>("health", &call.await?.0) }
    }

    /// [`Cache::stats`] for callers outside an async runtime.
    pub fn stats_blocking(&self) -> Result<CacheStats, BridgeError> {
        let (json, _) = self.bridge.call_blocking("stats", Args::One(self.take_served()))?;
        Ok(forget_gone(&self.hot, wire::read::<wire::StatsAnswer>("stats", &json)?))
    }

    /// [`Cache::health`] for callers outside an async runtime.
    pub fn health_blocking(&self) -> Result<Health, BridgeError> {
        let (json, _) = self.bridge.call_blocking("health", Args::None)?;
        wire::read::<Health>("health", &json)
    }
}

/// Drops from the copy what Widget-Log said it no longer holds.
fn forget_gone(hot: &Mutex<Hot>, answer: wire::StatsAnswer) -> CacheStats {
    forget(hot, &answer.gone);
    answer.stats
}

/// Drops these entries from the copy (Widget-Log no longer holds them).
fn forget(hot: &Mutex<Hot>, gone: &[String]) {
    if !gone.is_empty()
        && let Ok(mut hot) = hot.lock()
    {
        hot.remove_entries(gone);
    }
}

impl Drop for Cache {
    /// Widget-Log hears of the last hits before it shuts down.
    fn drop(&mut self) {
        let ids = self.take_served();
        if ids != "[]" {
            let _ = self.bridge.call_blocking("served", Args::One(ids));
        }
    }
}

/// A fresh entry id: 32 hex digits, time-ordered (UUID v7).
fn uuid_hex() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

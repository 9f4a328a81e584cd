//! How Lantern reaches the model: which provider, where, with which key,
//! and how patiently.

use std::time::Duration;

/// An API key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key (surrounding whitespace removed).
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into().trim().to_owned())
    }

    /// The key itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([set])")
    }
}

/// Where answers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// The Anthropic Messages API (or anything that speaks it): requests
    /// pass through byte for byte, with Lantern's key.
    Anthropic {
        /// Base URL, e.g. `https://api.anthropic.com`.
        base_url: String,
        /// The key sent as `x-api-key`.
        api_key: ApiKey,
        /// `anthropic-version` sent when the client sent none.
        version: String,
    },
    /// An OpenAI-compatible `/chat/completions` server (vLLM, Ollama,
    /// llama.cpp): text turns are translated both ways.
    OpenAi {
        /// Base URL including the version path, e.g. `http://127.0.0.1:8000/v1`.
        base_url: String,
        /// Sent as `Authorization: Bearer`, when set.
        api_key: Option<ApiKey>,
        /// Model name to send instead of the request's (`None`: the request's).
        model: Option<String>,
    },
    /// No model: a deterministic placeholder that says so.
    Offline,
}

impl Provider {
    /// Its name in events and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Anthropic { .. } => "anthropic",
            Provider::OpenAi { .. } => "openai",
            Provider::Offline => "offline",
        }
    }
}

/// When and how long to wait before trying again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none, the client decides).
    pub max_retries: u32,
    /// First backoff.
    pub initial: Duration,
    /// Longest backoff.
    pub maximum: Duration,
    /// A longer `retry-after` than this is not waited for: the answer goes back.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// No retries: what a transparent proxy does (its clients retry themselves).
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        initial: Duration::from_millis(500),
        maximum: Duration::from_secs(30),
        max_retry_after: Duration::from_secs(60),
    };

    /// Three retries with backoff: what Lantern does when it is the client.
    pub const PATIENT: RetryPolicy = RetryPolicy { max_retries: 3, ..RetryPolicy::NONE };
}

/// How many upstream calls may be under way, and what happens past that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Calls in flight at once.
    pub max_in_flight: usize,
    /// Calls waiting for a slot; one more is refused at once.
    pub max_queued: usize,
    /// How long a queued call waits for a slot before it is refused.
    pub queue_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_in_flight: 1024, max_queued: 1024, queue_wait: Duration::from_secs(10) }
    }
}

/// Everything the upstream client needs.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamConfig {
    /// Where answers come from.
    pub provider: Provider,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for the answer's head or its next bytes.
    pub idle_timeout: Duration,
    /// Retries of failed attempts (only before anything was relayed).
    pub retry: RetryPolicy,
    /// In-flight limits.
    pub limits: Limits,
}

impl UpstreamConfig {
    /// A configuration for `provider` with the defaults: 10 s to connect,
    /// 600 s of silence, three retries, 1,024 calls in flight.
    pub fn new(provider: Provider) -> Self {
        UpstreamConfig {
            provider,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            retry: RetryPolicy::PATIENT,
            limits: Limits::default(),
        }
    }
}

//! The upstream model API, spoken from Rust: one pooled, kept-alive HTTP
//! client per upstream, on a tokio runtime of its own, so that waiting on
//! the model holds no thread, no Python and no actor.
//!
//! A request goes out as the client sent it ([`Outbound`]: path and query,
//! headers, body bytes); the answer comes back as the upstream sent it
//! ([`Response`]: status, headers, body chunks as they arrive). Lantern
//! adds only its upstream key. Retries happen only before anything has been
//! handed on, and honour `retry-after`. At most [`Limits::max_in_flight`]
//! calls run at once; past the queue behind them a call is refused with a
//! 529 and `retry-after` ([`Failure`] kind `in_flight_limit`).

mod config;
mod failure;
pub mod headers;
mod limit;
mod offline;
pub mod openai;
pub mod sse;

pub use config::{ApiKey, Limits, Provider, RetryPolicy, UpstreamConfig};
pub use failure::{Failure, kind_for_status};
pub use headers::Header;
pub use limit::{LimitStats, Slot};

use bytes::Bytes;
use limit::Limiter;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// A request as it goes upstream.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Path and query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// The client's headers that pass ([`headers::outbound`]).
    pub headers: Vec<Header>,
    /// The body, byte for byte.
    pub body: Bytes,
    /// The body parsed (read by providers that translate or answer themselves).
    pub json: Arc<Value>,
}

impl Outbound {
    /// A Messages request Lantern builds itself (`lantern ask`, a rewrite, suggestions).
    pub fn messages(body: Value) -> Self {
        Outbound {
            path: "/v1/messages".into(),
            headers: Vec::new(),
            body: Bytes::from(body.to_string()),
            json: Arc::new(body),
        }
    }

    /// Whether the body asks for a stream.
    pub fn streaming(&self) -> bool {
        self.json["stream"] == true
    }
}

/// Why the upstream client did not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The HTTP client could not be built (TLS roots, ...).
    #[error("cannot build the upstream HTTP client: {0}")]
    Client(String),
    /// Its runtime could not be started.
    #[error("cannot start the upstream runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The upstream's answer: head now, body as it arrives.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers to pass back ([`headers::inbound`]).
    pub headers: Vec<Header>,
    /// Attempts it took.
    pub attempts: u32,
    /// The provider that answered.
    pub provider: &'static str,
    /// When the first attempt started.
    pub started: Instant,
    body: Body,
    idle_timeout: Duration,
    _slot: Option<Slot>,
}

#[derive(Debug)]
enum Body {
    Http(reqwest::Response),
    Ready(Option<Bytes>),
}

impl Response {
    fn ready(status: u16, content_type: &str, body: Bytes, provider: &'static str, started: Instant) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.as_bytes().to_vec())],
            attempts: 1,
            provider,
            started,
            body: Body::Ready(Some(body)),
            idle_timeout: Duration::MAX,
            _slot: None,
        }
    }

    /// A synthesised Message: JSON, or replayed as events when `stream`.
    fn message(message: &Value, stream: bool, provider: &'static str, started: Instant) -> Self {
        if stream {
            Response::ready(200, "text/event-stream", sse::replay_bytes(message), provider, started)
        } else {
            Response::ready(200, "application/json", Bytes::from(message.to_string()), provider, started)
        }
    }

    /// An error in Anthropic's shape with this status.
    fn error(status: u16, kind: &str, message: &str, provider: &'static str, started: Instant) -> Self {
        let body = serde_json::json!({"type": "error", "error": {"type": kind, "message": message}});
        Response::ready(status, "application/json", Bytes::from(body.to_string()), provider, started)
    }

    /// Whether the body is a stream of events.
    pub fn is_event_stream(&self) -> bool {
        headers::get(&self.headers, "content-type").is_some_and(|c| c.starts_with("text/event-stream"))
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        match &mut self.body {
            Body::Ready(b) => Ok(b.take()),
            Body::Http(r) => match tokio::time::timeout(self.idle_timeout, r.chunk()).await {
                Ok(Ok(c)) => Ok(c),
                Ok(Err(e)) => Err(Failure::new("stream_aborted", format!("the upstream connection broke: {e}"), true)),
                Err(_) => Err(Failure::new(
                    "timeout",
                    format!("the upstream sent nothing for {} s", self.idle_timeout.as_secs()),
                    true,
                )),
            },
        }
    }

    /// The rest of the body, up to `limit` bytes (what is beyond is dropped).
    pub async fn rest(&mut self, limit: usize) -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        while let Some(c) = self.chunk().await? {
            let room = limit.saturating_sub(out.len());
            out.extend_from_slice(&c[..c.len().min(room)]);
        }
        Ok(out)
    }
}

struct Inner {
    config: UpstreamConfig,
    http: reqwest::Client,
    limiter: Limiter,
    runtime: tokio::runtime::Handle,
}

/// The handle every part of Lantern shares. Cheap to clone.
#[derive(Clone)]
pub struct Upstream(Arc<Inner>);

/// The runtime the upstream calls run on; dropping it stops them.
pub struct UpstreamRuntime(Option<tokio::runtime::Runtime>);

impl Drop for UpstreamRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Upstream {
    /// Builds the client and starts its runtime (two worker threads).
    pub fn start(config: UpstreamConfig) -> Result<(Upstream, UpstreamRuntime), UpstreamError> {
        // reqwest's rustls needs a process-wide crypto provider; the proxy's TLS uses ring too.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lantern-upstream")
            .enable_all()
            .build()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .map_err(|e| UpstreamError::Client(e.to_string()))?;
        let limiter = Limiter::new(config.limits);
        let inner = Inner { config, http, limiter, runtime: runtime.handle().clone() };
        Ok((Upstream(Arc::new(inner)), UpstreamRuntime(Some(runtime))))
    }

    /// The provider's name (`anthropic`, `openai`, `offline`).
    pub fn provider(&self) -> &'static str {
        self.0.config.provider.name()
    }

    /// Whether answers come from the offline placeholder.
    pub fn is_offline(&self) -> bool {
        self.0.config.provider == Provider::Offline
    }

    /// In-flight, queued and refused calls.
    pub fn stats(&self) -> LimitStats {
        self.0.limiter.stats()
    }

    /// Runs `work` on the upstream runtime; its output comes back on the
    /// returned future, which any runtime (or none) may await.
    pub fn spawn<F>(&self, work: F) -> impl Future<Output = Option<F::Output>> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.0.runtime.spawn(work);
        async move { handle.await.ok() }
    }

    /// Sends `out` and returns the answer's head once it arrives, after
    /// retries. An error status is an answer too (the caller passes it on);
    /// a [`Failure`] means no answer came (or Lantern refused to ask).
    /// Must run on the upstream runtime ([`Upstream::spawn`]).
    pub async fn send(&self, out: &Outbound) -> Result<Response, Failure> {
        let started = Instant::now();
        let provider = self.provider();
        let tag = |mut f: Failure| {
            if f.provider.is_empty() {
                f.provider = provider.into();
            }
            f
        };
        match &self.0.config.provider {
            Provider::Offline => Ok(Response::message(&offline::reply(&out.json), out.streaming(), provider, started)),
            Provider::Anthropic { base_url, api_key, version } => {
                let slot = self.0.limiter.acquire().await.map_err(tag)?;
                let mut extra = vec![("x-api-key".to_owned(), api_key.expose().as_bytes().to_vec())];
                if headers::get(&out.headers, "anthropic-version").is_none() {
                    extra.push(("anthropic-version".into(), version.as_bytes().to_vec()));
                }
                if headers::get(&out.headers, "content-type").is_none() {
                    extra.push(("content-type".into(), b"application/json".to_vec()));
                }
                let url = format!("{}{}", base_url.trim_end_matches('/'), out.path);
                let mut r = self.post(&url, &out.headers, &extra, out.body.clone(), started).await.map_err(tag)?;
                r._slot = Some(slot);
                Ok(r)
            }
            Provider::OpenAi { base_url, api_key, model } => {
                let slot = self.0.limiter.acquire().await.map_err(tag)?;
                let body = match openai::request(&out.json, model.as_deref()) {
                    Ok(b) => b,
                    Err(why) => return Ok(Response::error(400, "invalid_request_error", &why.0, provider, started)),
                };
                let mut extra = vec![("content-type".to_owned(), b"application/json".to_vec())];
                if let Some(key) = api_key {
                    extra.push(("authorization".into(), format!("Bearer {}", key.expose()).into_bytes()));
                }
                let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
                let mut r = self.post(&url, &[], &extra, Bytes::from(body.to_string()), started).await.map_err(tag)?;
                let answer = r.rest(64 * 1024 * 1024).await.map_err(tag)?;
                if r.status >= 400 {
                    let f = Failure::from_status(r.status, &answer, None);
                    let kind = anthropic_error_type(r.status);
                    return Ok(Response::error(r.status, kind, &f.message, provider, started));
                }
                let model_name = body["model"].as_str().unwrap_or_default();
                let message = serde_json::from_slice::<Value>(&answer)
                    .ok()
                    .and_then(|a| openai::message(&a, model_name))
                    .ok_or_else(|| {
                        tag(Failure::new(
                            "malformed_response",
                            "the openai upstream's answer is not a completion",
                            false,
                        ))
                    })?;
                let mut out = Response::message(&message, out.streaming(), provider, started);
                out.attempts = r.attempts;
                out._slot = Some(slot);
                Ok(out)
            }
        }
    }

    /// POSTs with retries; returns the first answer worth passing on.
    async fn post(
        &self,
        url: &str,
        client_headers: &[Header],
        extra: &[Header],
        body: Bytes,
        started: Instant,
    ) -> Result<Response, Failure> {
        let c = &self.0.config;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.0.http.post(url).body(body.clone());
            for (k, v) in client_headers.iter().chain(extra) {
                req = req.header(k.as_str(), v.as_slice());
            }
            req = req.header("accept-encoding", "identity");
            let sent = tokio::time::timeout(c.idle_timeout, req.send()).await;
            let failure = match sent {
                Ok(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let retry_after = failure::retry_after(resp.headers());
                    let (_, retryable) = kind_for_status(status);
                    let wait = (status >= 400 && retryable).then(|| c.retry.delay(attempt, retry_after)).flatten();
                    match wait {
                        Some(wait) => {
                            drop(resp);
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        None => {
                            return Ok(Response {
                                status,
                                headers: headers::inbound(resp.headers()),
                                attempts: attempt,
                                provider: self.provider(),
                                started,
                                body: Body::Http(resp),
                                idle_timeout: c.idle_timeout,
                                _slot: None,
                            });
                        }
                    }
                }
                Ok(Err(e)) if e.is_timeout() => Failure::new("timeout", format!("upstream timed out: {e}"), true),
                Ok(Err(e)) => Failure::new("connection", format!("cannot reach the upstream: {}", chain(&e)), true),
                Err(_) => Failure::new(
                    "timeout",
                    format!("the upstream did not answer within {} s", c.idle_timeout.as_secs()),
                    true,
                ),
            };
            match c.retry.delay(attempt, None) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(Failure { attempts: attempt, ..failure }),
            }
        }
    }

    /// Sends a Messages body Lantern built itself and returns the Message,
    /// for Lantern's own calls (a rewrite, suggestions).
    pub async fn create(&self, body: Value) -> Result<Value, Failure> {
        let out = Outbound::messages(body);
        let mut r = self.send(&out).await?;
        let bytes = r.rest(64 * 1024 * 1024).await?;
        if r.status >= 400 {
            return Err(Failure::from_status(r.status, &bytes, None));
        }
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .filter(|m| m["type"] == "message")
            .ok_or_else(|| Failure::new("malformed_response", "the upstream's reply is not a Message", false))
    }
}

/// An error with its sources, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Anthropic's error type for a status.
pub fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if (400..500).contains(&s) => "invalid_request_error",
        _ => "api_error",
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1`, or `None` to stop.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt > self.max_retries {
            return None;
        }
        if let Some(after) = retry_after {
            return (after <= self.max_retry_after).then_some(after);
        }
        let base = self.initial.saturating_mul(1 << (attempt - 1).min(16)).min(self.maximum);
        // Jitter between half and all of the backoff, from the clock's low bits.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        Some(base.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stop_honour_retry_after_and_back_off() {
        let p = RetryPolicy::PATIENT;
        assert_eq!(RetryPolicy::NONE.delay(1, None), None);
        assert_eq!(p.delay(1, Some(Duration::from_secs(7))), Some(Duration::from_secs(7)));
        assert_eq!(p.delay(1, Some(Duration::from_secs(61))), None);
        assert_eq!(p.delay(4, None), None);
        let d = p.delay(2, None).unwrap_or_default();
        assert!(d >= Duration::from_millis(500) && d <= Duration::from_secs(1), "{d:?}");
    }
}

//! Sending one request: the cache first, then on a miss the upstream, with
//! the answer relayed to the frontend as it arrives and stored behind it.
//! A paraphrase found in semantic mode `offer` goes back to the actor
//! unanswered ([`Sending::Offered`]), to wait for the user's choice.
//!
//! This runs on the upstream runtime, never on the actor: the actor only
//! learns the outcome ([`Sent`]). Bytes go from the upstream to the
//! frontend's channel directly. A frontend that goes away (its receiver is
//! dropped) cancels the upstream call at once, and nothing partial is stored.

use super::answer::{Answer, Looked, Sent, UpstreamCall};
use super::proxied::Delivery;
use crate::cache_bridge::{Cache, CacheKey, CacheMode, SemanticMode};
use crate::upstream::{Failure, Outbound, Response, Upstream, headers, sse};
use bytes::Bytes;
use lantern_events::schema::{CacheOutcome, MissReason, ResponseSource, Text};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// Largest non-streamed body read for the journal and the cache (bigger
/// ones still pass through whole, and are not stored).
const MAX_WHOLE_BODY: usize = 64 * 1024 * 1024;

/// Everything a send needs.
pub(super) struct Job {
    pub cache: Arc<Cache>,
    pub upstream: Upstream,
    pub key: CacheKey,
    pub mode: CacheMode,
    pub semantic: SemanticMode,
    pub outbound: Outbound,
    /// Where the frontend wants the answer (`None`: only the journal).
    pub reply: Option<Sender<Delivery>>,
    /// A lookup already made (an offer the user refused): the cache is not
    /// asked again, and the request goes upstream.
    pub looked: Option<Looked>,
}

/// What a send produced: an answer (or a failure), or an offer to decide on.
#[derive(Debug)]
pub(super) enum Sending {
    /// The request was answered, or failed.
    Done(Sent),
    /// A paraphrase's answer waits for the user (semantic mode `offer`).
    Offered(Offer),
}

/// A paraphrase offered to the user, and its cached answer.
#[derive(Debug)]
pub(super) struct Offer {
    /// The lookup, its outcome `SemanticOffered` with the preview filled in.
    pub looked: Looked,
    /// The cached answer, as stored.
    pub cached: Bytes,
    /// The same, parsed.
    pub message: Value,
}

/// Longest preview of an offered answer, in characters.
const PREVIEW_CHARS: usize = 400;
/// Lines of an offered answer shown as its preview.
const PREVIEW_LINES: usize = 6;

/// The opening of an answer, as shown with an offer.
fn preview(message: &Value) -> String {
    let text = super::answer_text(message);
    let lines: Vec<&str> = text.lines().take(PREVIEW_LINES).collect();
    let mut out: String = lines.join("\n").chars().take(PREVIEW_CHARS).collect();
    if out.len() < text.trim_end().len() {
        out.push('…');
    }
    out
}

fn disconnected() -> Failure {
    Failure::new("client_disconnected", "the client went away before the answer was complete", false)
}

/// Hands `d` to the frontend; `false` when it has gone.
async fn deliver(reply: &Option<Sender<Delivery>>, d: Delivery) -> bool {
    match reply {
        Some(tx) => tx.send(d).await.is_ok(),
        None => true,
    }
}

/// Resolves when the frontend has gone (never, when there is none).
async fn gone(reply: &Option<Sender<Delivery>>) {
    match reply {
        Some(tx) => tx.closed().await,
        None => std::future::pending().await,
    }
}

/// Sends the request and says what happened. The frontend's channel is
/// handed back open: it closes once the answer's events are durable, so
/// that a client is answered in full only when the journal holds its answer.
pub(super) async fn run(mut job: Job) -> (Sending, Option<Sender<Delivery>>) {
    let (looked, response) = match job.looked.take() {
        Some(looked) => (looked, None),
        None => lookup(&job).await,
    };
    if let Some(bytes) = response {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(message) => {
                let mut looked = looked;
                if let CacheOutcome::SemanticOffered { preview: shown, .. } = &mut looked.outcome {
                    *shown = Text::from(preview(&message));
                    return (Sending::Offered(Offer { looked, cached: bytes, message }), job.reply.take());
                }
                let (sent, reply) = serve(job.reply.take(), bytes, message, looked).await;
                return (Sending::Done(sent), reply);
            }
            Err(e) => tracing::warn!(error = %e, "a cached answer does not parse; asking the upstream"),
        }
    }
    let result = upstream(&job, looked.outcome.clone()).await;
    if let Ok((answer, stored_bytes)) = &result
        && job.mode.stores()
        && job.cache.storable(&answer.message)
    {
        // Registered before the frontend's channel closes: the next identical
        // request is an exact hit, even while Widget-Log is still writing.
        let (_, store) = job.cache.store(&job.key, stored_bytes.clone());
        tokio::spawn(store);
    }
    let reply = if result.is_ok() { job.reply.take() } else { None };
    (Sending::Done(Sent { looked, result: result.map(|(a, _)| a) }), reply)
}

/// The cache's answer for `job`'s key.
async fn lookup(job: &Job) -> (Looked, Option<Bytes>) {
    let (outcome, response, latency_us) = match job.cache.lookup(&job.key, job.mode, job.semantic).await {
        Ok(l) => (l.outcome, l.response, l.lookup_us),
        Err(e) => {
            tracing::warn!(error = %e, "the cache could not be asked; the request goes upstream");
            (CacheOutcome::Miss { reason: MissReason::Unavailable { message: e.to_string() } }, None, 0)
        }
    };
    (Looked { outcome, namespace: job.key.namespace.clone(), latency_us }, response)
}

/// Answers from the cache: `cached` (parsed as `message`) goes to the frontend.
async fn serve(
    reply: Option<Sender<Delivery>>,
    cached: Bytes,
    message: Value,
    looked: Looked,
) -> (Sent, Option<Sender<Delivery>>) {
    deliver(&reply, Delivery::Cached { message: cached, lookup: looked.outcome.clone() }).await;
    let answer = Answer { source: ResponseSource::Cache, message, upstream: None };
    (Sent { looked, result: Ok(answer) }, reply)
}

/// Answers with an offered paraphrase the user took; the frontend is told
/// it is a semantic hit.
pub(super) async fn serve_offered(reply: Option<Sender<Delivery>>, offer: Offer) -> (Sent, Option<Sender<Delivery>>) {
    let Offer { looked, cached, message } = offer;
    let hit = match &looked.outcome {
        CacheOutcome::SemanticOffered { similarity, entry, matched_prompt, .. } => CacheOutcome::SemanticHit {
            similarity: *similarity,
            entry: entry.clone(),
            matched_prompt: matched_prompt.clone(),
        },
        other => other.clone(),
    };
    serve(reply, cached, message, Looked { outcome: hit, ..looked }).await
}

/// The miss path: the upstream's answer relayed, then read for the journal.
async fn upstream(job: &Job, lookup: CacheOutcome) -> Result<(Answer, Bytes), Failure> {
    let reply = &job.reply;
    let sent = tokio::select! {
        r = job.upstream.send(&job.outbound) => r,
        () = gone(reply) => Err(disconnected()),
    };
    let mut response = match sent {
        Ok(r) => r,
        Err(f) => {
            deliver(reply, Delivery::Failed(f.clone())).await;
            return Err(f);
        }
    };
    let tag = |f: Failure, r: &Response| Failure { provider: r.provider.into(), attempts: r.attempts, ..f };
    let head = Delivery::Head { status: response.status, headers: response.headers.clone(), lookup };
    if !deliver(reply, head).await {
        return Err(tag(disconnected(), &response));
    }
    let events = response.status < 400 && response.is_event_stream();
    let (mut parser, mut acc, mut whole) = (sse::Parser::default(), sse::Accumulator::default(), Vec::new());
    loop {
        let chunk = tokio::select! {
            c = response.chunk() => c,
            () = gone(reply) => Err(disconnected()),
        };
        match chunk {
            Ok(Some(bytes)) => {
                if events {
                    for e in parser.feed(&bytes) {
                        acc.feed(&e);
                    }
                } else if whole.len() + bytes.len() <= MAX_WHOLE_BODY {
                    whole.extend_from_slice(&bytes);
                }
                if !deliver(reply, Delivery::Body(bytes)).await {
                    return Err(tag(disconnected(), &response));
                }
            }
            Ok(None) => break,
            Err(f) => {
                let f = tag(f, &response);
                if f.kind != "client_disconnected" {
                    deliver(reply, Delivery::Broken(f.clone())).await;
                }
                return Err(f);
            }
        }
    }
    if response.status >= 400 {
        let retry_after = headers::get(&response.headers, "retry-after")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| *v >= 0.0)
            .map(Duration::from_secs_f64);
        return Err(tag(Failure::from_status(response.status, &whole, retry_after), &response));
    }
    let (message, bytes) = if events {
        let partial = parser.has_partial();
        let message = acc.finish().map_err(|f| tag(f, &response))?;
        if partial {
            return Err(tag(Failure::new("stream_aborted", "the upstream stream ended mid-event", true), &response));
        }
        let bytes = Bytes::from(message.to_string());
        (message, bytes)
    } else {
        let message =
            serde_json::from_slice::<Value>(&whole).ok().filter(|m| m["type"] == "message").ok_or_else(|| {
                tag(Failure::new("malformed_response", "the upstream's reply is not a Message", false), &response)
            })?;
        (message, Bytes::from(whole))
    };
    let source = if job.upstream.is_offline() { ResponseSource::Offline } else { ResponseSource::Upstream };
    let call = UpstreamCall {
        provider: response.provider.into(),
        attempts: response.attempts,
        latency_ms: response.started.elapsed().as_millis() as u64,
    };
    Ok((Answer { source, message, upstream: Some(call) }, bytes))
}

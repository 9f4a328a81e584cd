//! The routes: `POST /v1/messages` (whole or streamed) and
//! `/v1/messages/count_tokens`, `GET /health`, `/stats` and `/metrics`.
//! Every error, unknown paths included, is in Anthropic's error shape.

use crate::auth;
use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::metrics::{CacheResult, Metrics};
use crate::sse;
use crate::validate;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use lantern_actors::cache_bridge::contract::{Failure, WireChunk, WireOutcome};
use lantern_actors::pipeline::proxied::last_user_text;
use lantern_actors::pipeline::{Ask, Delivery, Proxied};
use lantern_actors::runtime::Client;
use lantern_events::schema::{FrontendKind, PromptContext, PromptOrigin};
use lantern_events::{RequestId, SessionId};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;

/// A body larger than the limit is still read (and dropped) up to this
/// size, so that the client gets its 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// What every worker shares.
pub(crate) struct State {
    pub client: Client,
    pub session: SessionId,
    pub config: ServeConfig,
    pub metrics: Metrics,
}

impl State {
    fn authorize(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match auth::presented(req.headers()) {
            None => Err(ApiError::new(
                401,
                "missing credentials: send the Lantern token (the proxy-token file in Lantern's data directory) \
                 as x-api-key or as Authorization: Bearer",
            )),
            Some(t) if self.config.token.matches(t) => Ok(()),
            Some(_) => Err(ApiError::new(401, "invalid Lantern token")),
        }
    }

    /// The client headers that go upstream (never the credentials).
    fn forwarded(&self, req: &HttpRequest) -> Vec<(String, String)> {
        self.config
            .forward_headers
            .iter()
            .filter(|n| !matches!(n.as_str(), "authorization" | "x-api-key"))
            .filter_map(|n| Some((n.clone(), req.headers().get(n.as_str())?.to_str().ok()?.to_owned())))
            .collect()
    }
}

/// Adds the routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let not_allowed = || web::to(method_not_allowed);
    cfg.service(web::resource("/v1/messages").route(web::post().to(messages)).default_service(not_allowed()))
        .service(
            web::resource("/v1/messages/count_tokens")
                .route(web::post().to(count_tokens))
                .default_service(not_allowed()),
        )
        .service(web::resource("/health").route(web::get().to(health)).default_service(not_allowed()))
        .service(web::resource("/stats").route(web::get().to(stats)).default_service(not_allowed()))
        .service(web::resource("/metrics").route(web::get().to(metrics)).default_service(not_allowed()))
        .default_service(web::to(not_found));
}

fn finish(state: &State, route: &'static str, id: &str, result: Result<HttpResponse, ApiError>) -> HttpResponse {
    let response = result.unwrap_or_else(|e| e.response(id));
    state.metrics.request(route, response.status().as_u16());
    response
}

/// Reads the body, refusing (with 413) one larger than `limit`.
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<BytesMut, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(ApiError::invalid(format!("content-type must be application/json, not {ct:?}")));
        }
    }
    let too_big = || ApiError::new(413, format!("request body is larger than the proxy's limit of {limit} bytes"));
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT as u64) {
        return Err(too_big());
    }
    let mut body = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}")))?;
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return Err(too_big());
        }
        if seen <= limit {
            body.extend_from_slice(&chunk);
        }
    }
    if seen > limit { Err(too_big()) } else { Ok(body) }
}

fn lantern_headers(
    mut b: HttpResponseBuilder,
    id: &str,
    result: CacheResult,
    similarity: Option<f32>,
) -> HttpResponseBuilder {
    b.insert_header(("x-lantern-cache", result.as_str()))
        .insert_header(("x-lantern-request-id", id))
        .insert_header(("request-id", id));
    if let Some(s) = similarity {
        b.insert_header(("x-lantern-similarity", format!("{s:.4}")));
    }
    b
}

async fn messages(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let request = RequestId::new();
    let id = request.to_string();
    let result = answer(&req, payload, &state, request, &id).await;
    finish(&state, "/v1/messages", &id, result)
}

async fn answer(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<State>,
    request: RequestId,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    state.authorize(req)?;
    let bytes = read_body(req, payload, state.config.max_body_bytes).await?;
    let checked = validate::messages_body(&bytes)?;
    let proxied = Proxied {
        namespace: validate::namespace(req.headers())?,
        cache: validate::cache_mode(req.headers())?,
        headers: state.forwarded(req),
        body: checked.body,
    };
    let ask = Ask {
        session: state.session,
        request,
        prompt: last_user_text(&proxied.body).unwrap_or_default(),
        model: checked.model,
        context: PromptContext::default(),
        origin: PromptOrigin::Typed,
        policy: state.config.policy,
        frontend: FrontendKind::Proxy,
    };
    let streaming = proxied.streaming();
    let answers = state.client.submit_proxied(ask, proxied);
    if streaming { stream(answers, state.clone(), id, started).await } else { whole(answers, state, id, started).await }
}

fn ended() -> ApiError {
    ApiError::internal("Lantern's pipeline ended without an answer; see the journal (lantern sessions)")
}

async fn whole(
    mut answers: UnboundedReceiver<Delivery>,
    state: &State,
    id: &str,
    started: Instant,
) -> Result<HttpResponse, ApiError> {
    match answers.recv().await {
        Some(Delivery::Answer(Ok(p))) => {
            let (result, similarity) = CacheResult::of(&p.cache);
            state.metrics.answered(result, started.elapsed());
            Ok(lantern_headers(HttpResponse::Ok(), id, result, similarity).json(&p.response))
        }
        Some(Delivery::Answer(Err(f))) => Err(ApiError::from_failure(&f)),
        Some(Delivery::BridgeFailed(m)) => Err(ApiError::internal(format!("Lantern's cache bridge failed: {m}"))),
        Some(Delivery::Chunk(_)) | None => Err(ended()),
    }
}

/// Waits for the first event of the stream (the response headers need the
/// lookup's outcome, and a failure before any event is an error status),
/// then streams the events as they arrive.
async fn stream(
    mut answers: UnboundedReceiver<Delivery>,
    state: web::Data<State>,
    id: &str,
    started: Instant,
) -> Result<HttpResponse, ApiError> {
    let mut lookup = (CacheResult::Miss, None);
    let first = loop {
        match answers.recv().await {
            Some(Delivery::Chunk(c)) if c.event == "lantern_lookup" => {
                if let Ok(o) = WireOutcome::deserialize(&c.data["cache"]) {
                    lookup = CacheResult::of(&o);
                }
            }
            // Its details come with the result that follows.
            Some(Delivery::Chunk(c)) if c.event == "error" => {}
            Some(Delivery::Chunk(c)) if c.is_result() => {
                return Err(match c.into_result() {
                    Ok(Err(f)) => ApiError::from_failure(&f),
                    _ => ApiError::internal("the stream ended before its first event"),
                });
            }
            Some(Delivery::Chunk(c)) => break c,
            Some(Delivery::BridgeFailed(m)) => {
                return Err(ApiError::internal(format!("Lantern's cache bridge failed: {m}")));
            }
            Some(Delivery::Answer(_)) | None => return Err(ended()),
        }
    };
    let (result, similarity) = lookup;
    let relay = Relay { answers, first: Some(first), done: false, state, result, started };
    let body = futures_util::stream::unfold(relay, Relay::next);
    Ok(lantern_headers(HttpResponse::Ok(), id, result, similarity)
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body))
}

/// The events of a stream on their way to the client.
struct Relay {
    answers: UnboundedReceiver<Delivery>,
    first: Option<WireChunk>,
    done: bool,
    state: web::Data<State>,
    result: CacheResult,
    started: Instant,
}

impl Relay {
    async fn next(mut self) -> Option<(Result<bytes::Bytes, Infallible>, Self)> {
        if self.done {
            return None;
        }
        if let Some(first) = self.first.take() {
            return Some((Ok(sse::event(&first)), self));
        }
        match self.answers.recv().await {
            Some(Delivery::Chunk(c)) if c.is_result() => {
                self.state.metrics.answered(self.result, self.started.elapsed());
                None
            }
            Some(Delivery::Chunk(c)) if c.event == "error" => {
                // Widget-Log names its kinds; the client expects Anthropic's types.
                let kind = c.data["error"]["type"].as_str().unwrap_or("api_error");
                let message = c.data["error"]["message"].as_str().unwrap_or("the stream failed");
                let failure = Failure {
                    kind: kind.into(),
                    status: None,
                    message: message.into(),
                    retryable: false,
                    provider: None,
                    attempts: None,
                };
                let e = ApiError::from_failure(&failure);
                Some((Ok(sse::error(e.kind, &e.message)), self))
            }
            Some(Delivery::Chunk(c)) => Some((Ok(sse::event(&c)), self)),
            Some(Delivery::BridgeFailed(m)) => {
                self.done = true;
                Some((Ok(sse::error("api_error", &format!("Lantern's cache bridge failed: {m}"))), self))
            }
            Some(Delivery::Answer(_)) | None => None,
        }
    }
}

async fn count_tokens(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = async {
        state.authorize(&req)?;
        let bytes = read_body(&req, payload, state.config.max_body_bytes).await?;
        let body = validate::count_tokens_body(&bytes)?;
        let headers: serde_json::Map<_, _> = state.forwarded(&req).into_iter().map(|(k, v)| (k, v.into())).collect();
        let mut call = serde_json::json!({"request": body, "headers": headers});
        if let Some(key) = &state.config.upstream_api_key {
            call["api_key"] = key.as_str().into();
        }
        let answer = state.client.bridge().call("count_tokens", Some(call.to_string())).await;
        let answer: serde_json::Value = answer
            .ok()
            .and_then(|a| serde_json::from_str(&a).ok())
            .ok_or_else(|| ApiError::internal("Lantern's cache bridge failed to count tokens"))?;
        if answer["ok"] == true {
            return Ok(HttpResponse::Ok()
                .insert_header(("x-lantern-request-id", id.as_str()))
                .json(&answer["response"]));
        }
        let failure = Failure::deserialize(&answer["error"]).map_err(|e| ApiError::internal(e.to_string()))?;
        Err(ApiError::from_failure(&failure))
    }
    .await;
    finish(&state, "/v1/messages/count_tokens", &id, result)
}

async fn bridge_json(state: &State, function: &'static str) -> Option<serde_json::Value> {
    let answer = state.client.bridge().call(function, None).await.ok()?;
    serde_json::from_str::<serde_json::Value>(&answer).ok().filter(|v| v["ok"] == true)
}

async fn health(state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match bridge_json(&state, "health").await {
        Some(h) if h["initialized"] == true => Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "cache_entries": h["entries"],
            "provider": h["provider"],
        }))),
        _ => Err(ApiError::new(503, "Lantern's cache is not running")),
    };
    finish(&state, "/health", &id, result)
}

async fn stats(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match state.authorize(&req) {
        Ok(()) => {
            let cache = bridge_json(&state, "stats").await.map(|s| s["stats"].clone());
            Ok(HttpResponse::Ok().json(state.metrics.json(cache)))
        }
        Err(e) => Err(e),
    };
    finish(&state, "/stats", &id, result)
}

async fn metrics(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match state.authorize(&req) {
        Ok(()) => {
            let cache = bridge_json(&state, "stats").await.map(|s| s["stats"].clone());
            Ok(HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4; charset=utf-8")
                .body(state.metrics.prometheus(cache.as_ref())))
        }
        Err(e) => Err(e),
    };
    finish(&state, "/metrics", &id, result)
}

async fn not_found(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let e = ApiError::new(404, format!("no route {} {}", req.method(), req.path()));
    finish(&state, "other", &id, Err(e))
}

async fn method_not_allowed(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let e = ApiError::new(405, format!("{} is not allowed on {}", req.method(), req.path()));
    finish(&state, "other", &id, Err(e))
}

//! The routes: `POST /v1/messages` (whole or streamed) and
//! `/v1/messages/count_tokens` ([`crate::messages`]), `GET /health`,
//! `/stats` and `/metrics`. Every error, unknown paths included, is in
//! Anthropic's error shape.

use crate::auth;
use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::journal_stats::JournalStats;
use crate::messages;
use crate::metrics::Metrics;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use lantern_actors::runtime::Client;
use lantern_events::{RequestId, SessionId};
use std::sync::Arc;

/// A body larger than the limit is still read (and dropped) up to this
/// size, so that the client gets its 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// What every worker shares.
pub(crate) struct State {
    pub client: Client,
    pub session: SessionId,
    pub config: ServeConfig,
    pub metrics: Metrics,
    /// The journal's stats projection, for `/stats`.
    pub journal: Arc<JournalStats>,
}

impl State {
    pub(crate) fn authorize(&self, req: &HttpRequest) -> Result<(), ApiError> {
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
}

/// Adds the routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let not_allowed = || web::to(method_not_allowed);
    cfg.service(web::resource("/v1/messages").route(web::post().to(messages::messages)).default_service(not_allowed()))
        .service(
            web::resource("/v1/messages/count_tokens")
                .route(web::post().to(messages::count_tokens))
                .default_service(not_allowed()),
        )
        .service(web::resource("/health").route(web::get().to(health)).default_service(not_allowed()))
        .service(web::resource("/stats").route(web::get().to(stats)).default_service(not_allowed()))
        .service(web::resource("/metrics").route(web::get().to(metrics)).default_service(not_allowed()))
        .default_service(web::to(not_found));
}

/// Counts the response and turns an error into its response.
pub(crate) fn finish(
    state: &State,
    route: &'static str,
    id: &str,
    result: Result<HttpResponse, ApiError>,
) -> HttpResponse {
    let response = result.unwrap_or_else(|e| e.response(id));
    state.metrics.request(route, response.status().as_u16());
    response
}

/// Reads the body, refusing (with 413) one larger than `limit`.
pub(crate) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<BytesMut, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(ApiError::invalid(format!("content-type must be application/json, not {ct:?}")));
        }
    }
    let too_big = || ApiError::new(413, format!("request body is larger than the proxy's limit of {limit} bytes"));
    let declared =
        req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
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

async fn health(state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match state.client.cache().health().await {
        Ok(h) if h.initialized => Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "cache_entries": h.entries,
            "provider": state.client.upstream().provider(),
            "upstream": state.client.upstream().stats(),
        }))),
        _ => Err(ApiError::new(503, "Lantern's cache is not running")),
    };
    finish(&state, "/health", &id, result)
}

async fn stats(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match state.authorize(&req) {
        Ok(()) => {
            let cache = state.client.cache().stats().await.ok();
            let mut body = state.metrics.json(state.client.upstream().stats(), cache);
            body["journal"] = serde_json::to_value(state.journal.summary()).unwrap_or_default();
            Ok(HttpResponse::Ok().json(body))
        }
        Err(e) => Err(e),
    };
    finish(&state, "/stats", &id, result)
}

async fn metrics(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = match state.authorize(&req) {
        Ok(()) => {
            let cache = state.client.cache().stats().await.ok();
            Ok(HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4; charset=utf-8")
                .body(state.metrics.prometheus(state.client.upstream().stats(), cache.as_ref())))
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

//! `POST /v1/messages` and `/v1/messages/count_tokens`: the request goes in
//! as the client sent it, and the answer comes back as its source sent it —
//! the upstream's status, headers and bytes as they arrive, or a cached
//! Message whole or replayed as a well-formed stream — with Lantern's
//! `x-lantern-*` headers added.

use crate::error::ApiError;
use crate::metrics::CacheResult;
use crate::routes::{State, finish, read_body};
use crate::validate;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use bytes::Bytes;
use lantern_actors::messages::last_user_text;
use lantern_actors::pipeline::{Ask, Delivery, Proxied};
use lantern_actors::upstream::{Failure, Header, Outbound, anthropic_error_type, headers, sse};
use lantern_events::RequestId;
use lantern_events::schema::{CacheOutcome, FrontendKind, PromptContext, PromptOrigin};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::Receiver;

/// The request's path and query, as sent.
fn path_and_query(req: &HttpRequest) -> String {
    req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned())
}

/// The client's headers that go upstream.
fn passed_headers(req: &HttpRequest) -> Vec<Header> {
    headers::outbound(req.headers().iter().map(|(k, v)| (k.as_str(), v.as_bytes())))
}

fn lantern_headers(b: &mut HttpResponseBuilder, id: &str, lookup: &CacheOutcome) -> CacheResult {
    let (result, similarity) = CacheResult::of(lookup);
    b.insert_header(("x-lantern-cache", result.as_str())).insert_header(("x-lantern-request-id", id));
    if let Some(s) = similarity {
        b.insert_header(("x-lantern-similarity", format!("{s:.4}")));
    }
    result
}

pub(crate) async fn messages(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
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
    let prompt = last_user_text(&checked.body).unwrap_or_default();
    let proxied = Proxied::new(
        bytes.freeze(),
        checked.body,
        path_and_query(req),
        passed_headers(req),
        validate::namespace(req.headers())?,
        validate::cache_mode(req.headers())?,
    );
    let streaming = proxied.streaming();
    let ask = Ask {
        session: state.session,
        request,
        prompt,
        model: checked.model,
        context: PromptContext::default(),
        origin: PromptOrigin::Typed,
        policy: state.config.policy,
        frontend: FrontendKind::Proxy,
    };
    let answers = state.client.submit_proxied(ask, proxied);
    tokio::select! {
        r = respond(answers, state.clone().into_inner(), id, streaming, started) => r,
        // Dropping the answers cancels the upstream call.
        () = crate::peer::gone(req) => Err(ApiError::new(499, "the client closed the connection")),
    }
}

/// Turns the pipeline's deliveries into the response.
async fn respond(
    mut answers: Receiver<Delivery>,
    state: Arc<State>,
    id: &str,
    streaming: bool,
    started: Instant,
) -> Result<HttpResponse, ApiError> {
    match answers.recv().await {
        Some(Delivery::Cached { message, lookup }) => {
            // Answered once the journal holds the answer: the channel closes then.
            while let Some(then) = answers.recv().await {
                if let Delivery::Broken(f) = then {
                    return Err(ApiError::from_failure(&f));
                }
            }
            let mut b = HttpResponse::Ok();
            b.insert_header(("request-id", id));
            let result = lantern_headers(&mut b, id, &lookup);
            state.metrics.answered(result, started.elapsed());
            if !streaming {
                return Ok(b.content_type("application/json").body(message));
            }
            let replay = serde_json::from_slice::<serde_json::Value>(&message)
                .map(|m| sse::replay_bytes(&m))
                .map_err(|e| ApiError::internal(format!("a cached answer does not parse: {e}")))?;
            Ok(b.content_type("text/event-stream").insert_header(("cache-control", "no-cache")).body(replay))
        }
        Some(Delivery::Head { status, headers, lookup }) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut b = HttpResponse::build(code);
            for (k, v) in &headers {
                b.append_header((k.as_str(), v.as_slice()));
            }
            let result = lantern_headers(&mut b, id, &lookup);
            let events = headers::get(&headers, "content-type").is_some_and(|c| c.starts_with("text/event-stream"));
            let relay = Relay::new(answers, state, result, started, events);
            Ok(b.streaming(futures_util::stream::unfold(relay, Relay::next)))
        }
        Some(Delivery::Failed(f)) => Err(ApiError::from_failure(&f)),
        Some(Delivery::Body(_) | Delivery::Broken(_)) | None => {
            Err(ApiError::internal("Lantern's pipeline ended without an answer; see the journal (lantern sessions)"))
        }
    }
}

/// The upstream's body, relayed chunk by chunk as it arrives, except its
/// end: the chunk holding `message_stop` (a stream) or the last chunk (a
/// whole body) goes out when the channel closes, which it does once the
/// answer's events are durable. A client that has the whole answer can rely
/// on the journal holding it.
struct Relay {
    held: Option<Bytes>,
    /// The last bytes of the previous chunk, to find a `message_stop` split
    /// across two chunks.
    tail: Vec<u8>,
    answers: Receiver<Delivery>,
    state: Arc<State>,
    result: CacheResult,
    started: Instant,
    events: bool,
    done: bool,
}

const STOP: &[u8] = b"message_stop";

/// Where the bytes to hold back begin in `chunk` of an event stream: the
/// start of the event that names `message_stop` (after the blank line
/// before it), 0 when that event began in an earlier chunk, `None` when
/// the chunk holds no such event. `tail` is the end of the previous chunk.
fn stop_event_start(tail: &[u8], chunk: &[u8]) -> Option<usize> {
    let Some(at) = chunk.windows(STOP.len()).position(|w| w == STOP) else {
        let seam = [tail, &chunk[..chunk.len().min(STOP.len() - 1)]].concat();
        return seam.windows(STOP.len()).any(|w| w == STOP).then_some(0);
    };
    let before = &chunk[..at];
    let blank = [&b"\n\n"[..], b"\r\r", b"\r\n\r\n"]
        .iter()
        .filter_map(|sep| before.windows(sep.len()).rposition(|w| w == *sep).map(|i| i + sep.len()))
        .max();
    Some(blank.unwrap_or(0))
}

impl Relay {
    fn new(
        answers: Receiver<Delivery>,
        state: Arc<State>,
        result: CacheResult,
        started: Instant,
        events: bool,
    ) -> Self {
        Relay { held: None, tail: Vec::new(), answers, state, result, started, events, done: false }
    }

    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        if self.done {
            return None;
        }
        loop {
            match self.answers.recv().await {
                Some(Delivery::Body(bytes)) => {
                    let cut = if self.events { stop_event_start(&self.tail, &bytes) } else { Some(0) };
                    self.tail = bytes[bytes.len().saturating_sub(STOP.len() - 1)..].to_vec();
                    let (now, hold) = match cut {
                        None => (bytes, None),
                        Some(i) => (bytes.slice(..i), Some(bytes.slice(i..))),
                    };
                    let out = match self.held.take() {
                        Some(earlier) if !now.is_empty() => Bytes::from([earlier.as_ref(), now.as_ref()].concat()),
                        Some(earlier) => earlier,
                        None => now,
                    };
                    self.held = hold;
                    if !out.is_empty() {
                        return Some((Ok(out), self));
                    }
                }
                Some(Delivery::Broken(f)) if self.events => {
                    // The stream broke off: say so in the stream's own terms.
                    self.done = true;
                    let kind = anthropic_error_type(ApiError::from_failure(&f).status);
                    let frame = sse::error_frame(kind, &format!("lantern: {} ({})", f.message, f.kind));
                    let out = match self.held.take() {
                        Some(earlier) => Bytes::from([earlier.as_ref(), frame.as_ref()].concat()),
                        None => frame,
                    };
                    return Some((Ok(out), self));
                }
                _ => {
                    self.done = true;
                    self.state.metrics.answered(self.result, self.started.elapsed());
                    return self.held.take().map(|last| (Ok(last), self));
                }
            }
        }
    }
}

pub(crate) async fn count_tokens(req: HttpRequest, payload: web::Payload, state: web::Data<State>) -> HttpResponse {
    let id = RequestId::new().to_string();
    let result = async {
        state.authorize(&req)?;
        let bytes = read_body(&req, payload, state.config.max_body_bytes).await?;
        let checked = validate::messages_body(&bytes)?;
        let upstream = state.client.upstream().clone();
        if upstream.provider() != "anthropic" {
            return Err(ApiError::invalid(format!(
                "count_tokens needs the anthropic provider (this Lantern answers with {})",
                upstream.provider()
            )));
        }
        let out = Outbound {
            path: path_and_query(&req),
            headers: passed_headers(&req),
            body: bytes.freeze(),
            json: Arc::new(checked.body),
        };
        let u = upstream.clone();
        let answer = upstream
            .spawn(async move {
                let mut r = u.send(&out).await?;
                let body = r.rest(16 * 1024 * 1024).await?;
                Ok::<_, Failure>((r.status, r.headers, body))
            })
            .await
            .ok_or_else(|| ApiError::new(503, "Lantern is stopping"))?;
        let (status, headers, body) = answer.map_err(|f| ApiError::from_failure(&f))?;
        let mut b = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
        for (k, v) in &headers {
            b.append_header((k.as_str(), v.as_slice()));
        }
        Ok(b.insert_header(("x-lantern-request-id", id.as_str())).body(body))
    }
    .await;
    finish(&state, "/v1/messages/count_tokens", &id, result)
}

#[cfg(test)]
mod tests {
    use super::stop_event_start;

    #[test]
    fn only_the_event_naming_message_stop_is_held() {
        let chunk =
            b"event: content_block_stop\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        let at = stop_event_start(b"", chunk).unwrap_or(usize::MAX);
        assert!(chunk[at..].starts_with(b"event: message_stop"));
        let crlf = b"data: {}\r\n\r\nevent: message_stop\r\n";
        assert_eq!(stop_event_start(b"", crlf), Some(12));
    }

    #[test]
    fn a_stop_split_across_chunks_holds_the_whole_second_chunk() {
        assert_eq!(stop_event_start(b"\n\nevent: messag", b"e_stop\ndata: {}\n\n"), Some(0));
        assert_eq!(stop_event_start(b"", b"data: {\"type\":\"message_stop\"}\n\n"), Some(0));
    }

    #[test]
    fn chunks_without_a_stop_pass_at_once() {
        assert_eq!(stop_event_start(b"\n\nevent: message_delta", b"\ndata: {}\n\n"), None);
        assert_eq!(stop_event_start(b"", b""), None);
    }
}

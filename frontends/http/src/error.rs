//! Errors in Anthropic's shape: `{"type":"error","error":{"type":..,"message":..}}`
//! with the status Anthropic would use.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use lantern_actors::upstream::{Failure, anthropic_error_type};
use std::time::Duration;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Anthropic's error type (`invalid_request_error`, ...).
    pub kind: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Sent as `retry-after` (whole seconds, rounded up).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with this status and Anthropic's type for it.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, kind: anthropic_error_type(status), message: message.into(), retry_after: None }
    }

    /// 400: the request is not what the Messages API accepts.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 500: Lantern itself failed.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    /// A request that got no upstream answer: Lantern's refusal keeps its
    /// status (a 529 past the in-flight limit, with `retry-after`); a
    /// failure to reach the upstream gets the status Anthropic uses for its
    /// kind (504 for a timeout, 502 otherwise).
    pub fn from_failure(f: &Failure) -> Self {
        let status = match (f.status, f.kind.as_str()) {
            (Some(s), _) if (400..600).contains(&s) => s,
            (_, "timeout") => 504,
            (_, "stopping") => 503,
            _ => 502,
        };
        ApiError { retry_after: f.retry_after, ..Self::new(status, format!("lantern: {} ({})", f.message, f.kind)) }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"type": "error", "error": {"type": self.kind, "message": self.message}})
    }

    /// The response, with Lantern's request id.
    pub fn response(&self, request_id: &str) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut b = HttpResponse::build(status);
        b.insert_header(("x-lantern-request-id", request_id)).insert_header(("request-id", request_id));
        if let Some(after) = self.retry_after {
            b.insert_header(("retry-after", after.as_secs_f64().ceil().to_string()));
        }
        b.json(self.body())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn failures_without_an_upstream_answer_get_the_status_of_their_kind() {
        let s = |k| ApiError::from_failure(&Failure::new(k, "m", true)).status;
        assert_eq!([s("timeout"), s("connection"), s("stream_aborted"), s("stopping")], [504, 502, 502, 503]);
        let limit = Failure {
            status: Some(529),
            retry_after: Some(Duration::from_secs(1)),
            ..Failure::new("in_flight_limit", "busy", true)
        };
        let e = ApiError::from_failure(&limit);
        assert_eq!((e.status, e.kind, e.retry_after), (529, "overloaded_error", Some(Duration::from_secs(1))));
        assert!(e.message.starts_with("lantern: "));
        let r = e.response("id");
        assert_eq!(r.headers().get("retry-after").unwrap(), "1");
        assert_eq!(ApiError::new(504, "x").kind, "timeout_error");
        assert_eq!(ApiError::new(418, "x").kind, "invalid_request_error");
    }

    #[test]
    fn the_body_is_anthropics_error_shape() {
        let e = ApiError::new(413, "too big");
        assert_eq!(
            e.body(),
            serde_json::json!({"type": "error", "error": {"type": "request_too_large", "message": "too big"}})
        );
    }
}

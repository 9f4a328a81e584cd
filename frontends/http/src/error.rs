//! Errors in Anthropic's shape: `{"type":"error","error":{"type":..,"message":..}}`
//! with the status Anthropic would use.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use lantern_actors::cache_bridge::contract::Failure;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Anthropic's error type (`invalid_request_error`, ...).
    pub kind: &'static str,
    /// What went wrong, for a person.
    pub message: String,
}

/// Anthropic's error type for a status.
fn kind_for(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        405 => "invalid_request_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if (400..500).contains(&s) => "invalid_request_error",
        _ => "api_error",
    }
}

impl ApiError {
    /// An error with this status and Anthropic's type for it.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, kind: kind_for(status), message: message.into() }
    }

    /// 400: the request is not what the Messages API accepts.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 500: Lantern itself failed.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    /// An upstream or cache failure Widget-Log reported. An upstream status
    /// passes through (a 529 stays a 529); failures without one get the
    /// status Anthropic uses for their kind.
    pub fn from_failure(f: &Failure) -> Self {
        let status = match (f.status, f.kind.as_str()) {
            (Some(s), _) if (400..600).contains(&s) => s,
            (_, "rate_limited") => 429,
            (_, "overloaded") => 529,
            (_, "timeout") => 504,
            (_, "invalid_request" | "invalid_json") => 400,
            (_, "authentication") => 401,
            (_, "connection" | "malformed_response" | "stream_aborted" | "upstream_error") => 502,
            _ => 500,
        };
        let origin = if f.status.is_some() { "upstream" } else { "lantern" };
        Self::new(status, format!("{origin}: {} ({})", f.message, f.kind))
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"type": "error", "error": {"type": self.kind, "message": self.message}})
    }

    /// The response, with Lantern's request id.
    pub fn response(&self, request_id: &str) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .insert_header(("x-lantern-request-id", request_id))
            .insert_header(("request-id", request_id))
            .json(self.body())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn failure(kind: &str, status: Option<u16>) -> Failure {
        Failure { kind: kind.into(), status, message: "m".into(), retryable: false, provider: None, attempts: None }
    }

    #[test]
    fn upstream_statuses_pass_through_with_anthropics_types() {
        assert_eq!(ApiError::from_failure(&failure("overloaded", Some(529))).kind, "overloaded_error");
        assert_eq!(ApiError::from_failure(&failure("rate_limited", Some(429))).status, 429);
        assert_eq!(ApiError::from_failure(&failure("server_error", Some(503))).kind, "api_error");
        let e = ApiError::from_failure(&failure("invalid_request", Some(400)));
        assert_eq!((e.status, e.kind), (400, "invalid_request_error"));
        assert!(e.message.starts_with("upstream: "));
    }

    #[test]
    fn failures_without_a_status_get_the_status_of_their_kind() {
        let s = |k| ApiError::from_failure(&failure(k, None)).status;
        assert_eq!(
            [s("timeout"), s("connection"), s("overloaded"), s("invalid_request"), s("config"), s("stream_aborted")],
            [504, 502, 529, 400, 500, 502]
        );
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

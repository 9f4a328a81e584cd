"""Typed errors.

Every failure crosses the bridge as ``{"kind", "status", "message", "retryable"}``.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    def __init__(
        self,
        kind: str,
        message: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "message": self.message,
            "retryable": self.retryable,
        }


def kind_for_status(status: int) -> tuple[str, bool]:
    """(kind, retryable) of an HTTP error status from an upstream."""
    if status == 429:
        return "rate_limited", True
    if status == 529:
        return "overloaded", True
    if status in (408,):
        return "timeout", True
    if status >= 500:
        return "server_error", True
    return {
        400: "invalid_request",
        401: "authentication",
        403: "permission_denied",
        404: "not_found",
        413: "request_too_large",
    }.get(status, "upstream_error"), False


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds); None if absent/invalid."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        s = headers.get("retry-after")
        if s is not None:
            return max(0.0, float(s))
    except (TypeError, ValueError):
        return None
    return None

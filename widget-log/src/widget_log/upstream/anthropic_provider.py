"""Anthropic Messages API through the official ``anthropic`` SDK.

The SDK's own retries are switched off (``max_retries=0``): retries live in
:mod:`widget_log.upstream.retry` so attempts can be counted and reported. The
request body is passed through unchanged (``client.post`` with
``cast_to=object``), so new API fields need no code change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2

from ..errors import GatewayError, kind_for_status, parse_retry_after

Event = tuple[str, dict[str, Any]]


def _map_error(exc: Exception) -> GatewayError:
    if isinstance(exc, anthropic.APITimeoutError):
        return GatewayError("timeout", f"upstream timed out: {exc}", None, True)
    if isinstance(exc, anthropic.APIStatusError):
        status = int(exc.status_code)
        kind, retryable = kind_for_status(status)
        message = str(exc.message)
        body = exc.body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = str(body["error"].get("message", message))
            if status == 200:  # an SSE "error" event inside a 200 stream
                etype = body["error"].get("type")
                kind = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited"}.get(
                    etype, "server_error" if etype == "api_error" else "upstream_error"
                )
                return GatewayError(kind, message, None, kind != "upstream_error")
        ra = parse_retry_after(exc.response.headers) if exc.response is not None else None
        return GatewayError(kind, message, status, retryable, ra)
    if isinstance(exc, anthropic.APIConnectionError):
        return GatewayError("connection", f"cannot reach upstream: {exc}", None, True)
    if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError | ValueError):
        return GatewayError("malformed_response", f"upstream sent malformed data: {exc}", None)
    if isinstance(exc, httpx2.TimeoutException):
        return GatewayError("timeout", f"upstream timed out: {exc}", None, True)
    if isinstance(exc, httpx2.TransportError):
        return GatewayError("connection", f"upstream connection failed: {exc}", None, True)
    return GatewayError("upstream_error", f"{type(exc).__name__}: {exc}", None)


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, up: dict[str, Any], api_key: str) -> None:
        a = up["anthropic"]
        timeout = httpx2.Timeout(
            float(up.get("timeout_seconds", 600.0)),
            connect=float(up.get("connect_timeout_seconds", 10.0)),
        )
        self.client = anthropic.Anthropic(
            api_key=api_key,
            base_url=a.get("base_url") or None,
            timeout=timeout,
            max_retries=0,
            # This SDK release authenticates with "Authorization: Bearer"; the Messages
            # API documents x-api-key, so send that too.
            default_headers={
                "anthropic-version": a.get("anthropic_version", "2023-06-01"),
                "x-api-key": api_key,
            },
        )

    def create(self, request: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        body = {k: v for k, v in request.items() if k != "stream"}
        try:
            out = self.client.post(
                "/v1/messages", cast_to=object, body=body, options={"headers": headers}
            )
        except Exception as exc:
            raise _map_error(exc) from exc
        if not isinstance(out, dict) or out.get("type") != "message":
            raise GatewayError("malformed_response", "upstream reply is not a Message object")
        return out

    def stream(self, request: dict[str, Any], headers: dict[str, str]) -> Iterator[Event]:
        body = {**request, "stream": True}
        try:
            events = self.client.post(
                "/v1/messages",
                cast_to=object,
                body=body,
                options={"headers": headers},
                stream=True,
                stream_cls=anthropic.Stream[object],
            )
        except Exception as exc:
            raise _map_error(exc) from exc
        try:
            for data in events:
                if not isinstance(data, dict) or "type" not in data:
                    raise GatewayError("malformed_response", "stream event without a type")
                yield str(data["type"]), data
        except GatewayError:
            raise
        except Exception as exc:
            raise _map_error(exc) from exc
        finally:
            events.close()

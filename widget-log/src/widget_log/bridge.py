"""The JSON API the Rust CacheBridge calls through PyO3.

Every function takes and returns JSON strings; no exception escapes. A failure
is ``{"ok": false, "error": {"kind", "status", "message", "retryable"}}``.

``stream(request_json)`` returns an iterator of JSON strings
``{"event": <SSE event name>, "data": {...}}`` in Anthropic SSE order. The last
item is always ``{"event": "lantern_result", "data": {...}}``: the same fields
as ``process()``'s result (``ok``, ``source``, ``cache``, ``response`` — the
assembled Message —, ``usage``, ``attempts``, ``latency_ms``,
``stored_entry_id``), or ``ok: false`` with ``error``. A failure is also
announced as an ``error`` SSE event first. With ``"lookup_event": true`` in the
request, a ``{"event": "lantern_lookup", "data": {"cache", "namespace"}}``
chunk comes first, as soon as the cache has been asked (before any upstream
call), so that a proxy can set its response headers.

``count_tokens(request_json)`` passes a ``count_tokens`` body (in ``request``)
to the Anthropic upstream: ``{"ok": true, "response": {"input_tokens": n}}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from .config import ConfigError
from .embed import EmbeddingBackendError
from .errors import GatewayError
from .store import StoreError

_lock = threading.Lock()
_gateway: Any = None


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _err(kind: str, message: str, status: int | None = None, retryable: bool = False) -> str:
    return _dump({"ok": False, "error": GatewayError(kind, message, status, retryable).to_json()})


def _from_exc(exc: BaseException) -> str:
    if isinstance(exc, GatewayError):
        return _dump({"ok": False, "error": exc.to_json()})
    if isinstance(exc, ConfigError):
        return _err("config", str(exc))
    if isinstance(exc, EmbeddingBackendError):
        return _err("embedding", str(exc))
    if isinstance(exc, StoreError):
        return _err("store", str(exc))
    if isinstance(exc, json.JSONDecodeError):
        return _err("invalid_json", f"input is not valid JSON: {exc}")
    return _err("internal", f"{type(exc).__name__}: {exc}")


def _parse(text: Any) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not isinstance(text, str):
        raise GatewayError("invalid_json", "expected a JSON string")
    return json.loads(text)


def _need() -> Any:
    if _gateway is None:
        raise GatewayError("not_initialized", "call initialize(config_json) first")
    return _gateway


def initialize(config_json: str = "{}") -> str:
    """Load config (defaults + ``config_file`` + overrides), the model and the cache."""
    global _gateway
    try:
        overrides = _parse(config_json or "{}")
        if not isinstance(overrides, dict):
            raise GatewayError("invalid_json", "config must be a JSON object")
        from .service import Gateway

        with _lock:
            if _gateway is not None:
                _gateway.close()
                _gateway = None
            _gateway = Gateway(overrides)
            g = _gateway
        return _dump(
            {
                "ok": True,
                "data_dir": str(g.data_dir) if g.data_dir else ":memory:",
                "embed_model": g.embedder.model_id,
                "entries": len(g.cache.entries),
            }
        )
    except BaseException as exc:
        return _from_exc(exc)


def process(request_json: str) -> str:
    try:
        return _dump(_need().process(_parse(request_json)))
    except BaseException as exc:
        return _from_exc(exc)


def peek(request_json: str) -> str:
    """``{"ok": true, "cache": <outcome>}``: what a lookup would find, changing nothing."""
    try:
        return _dump(_need().peek(_parse(request_json)))
    except BaseException as exc:
        return _from_exc(exc)


def stream(request_json: str) -> Iterator[str]:
    """Iterator of chunk JSON strings (see the module docstring)."""
    try:
        gw = _need()
        obj = _parse(request_json)
    except BaseException as exc:
        err = json.loads(_from_exc(exc))["error"]
        return iter(
            [
                _dump(
                    {
                        "event": "error",
                        "data": {
                            "type": "error",
                            "error": {"type": err["kind"], "message": err["message"]},
                        },
                    }
                ),
                _dump({"event": "lantern_result", "data": {"ok": False, "error": err}}),
            ]
        )
    return _safe_stream(gw, obj)


def _safe_stream(gw: Any, obj: Any) -> Iterator[str]:
    finished = False
    try:
        for chunk in gw.stream(obj):
            finished = chunk.get("event") == "lantern_result"
            yield _dump(chunk)
    except BaseException as exc:
        if finished or isinstance(exc, GeneratorExit):
            return
        err = json.loads(_from_exc(exc))["error"]
        yield _dump(
            {
                "event": "error",
                "data": {
                    "type": "error",
                    "error": {"type": err["kind"], "message": err["message"]},
                },
            }
        )
        yield _dump({"event": "lantern_result", "data": {"ok": False, "error": err}})


def count_tokens(request_json: str) -> str:
    try:
        return _dump(_need().count_tokens(_parse(request_json)))
    except BaseException as exc:
        return _from_exc(exc)


def stats() -> str:
    try:
        return _dump({"ok": True, "stats": _need().cache.stats()})
    except BaseException as exc:
        return _from_exc(exc)


def health() -> str:
    try:
        g = _gateway
        if g is None:
            return _dump({"ok": True, "initialized": False})
        up = g.cfg["upstream"]
        return _dump(
            {
                "ok": True,
                "initialized": True,
                "embed_model": g.embedder.model_id,
                "entries": len(g.cache.entries),
                "data_dir": str(g.data_dir) if g.data_dir else ":memory:",
                "provider": up.get("provider"),
            }
        )
    except BaseException as exc:
        return _from_exc(exc)


def invalidate(entry_id: str) -> str:
    try:
        if not isinstance(entry_id, str) or not entry_id:
            raise GatewayError("invalid_request", "entry_id must be a non-empty string")
        return _dump({"ok": True, "invalidated": _need().cache.invalidate(entry_id)})
    except BaseException as exc:
        return _from_exc(exc)


def shutdown() -> str:
    global _gateway
    try:
        with _lock:
            if _gateway is not None:
                _gateway.close()
                _gateway = None
        return _dump({"ok": True})
    except BaseException as exc:
        return _from_exc(exc)

"""The API the Rust CacheBridge calls through PyO3.

Widget-Log is Lantern's response cache; the upstream model is called from
Rust. Every function takes and returns JSON strings (``lookup`` returns a pair)
and no exception escapes: a failure is
``{"ok": false, "error": {"kind", "status", "message", "retryable"}}``.

- ``initialize(config_json)``: load the config, the model and the cache.
- ``lookup(request_json) -> (answer_json, response_text | None)``: the request
  carries a key computed by Lantern (``key``: ``fingerprint``, ``exact_key``,
  ``text``, ``model``), a ``namespace``, a cache ``mode``, a ``semantic`` mode
  (``serve`` | ``offer`` | ``off``) and ``record`` (false for a peek, which
  changes nothing). The answer is ``{"ok": true, "cache": <outcome>,
  "lookup_ms": f}``; on a hit the second item is the stored answer's JSON
  text, as it was stored, and an exact hit's answer also carries
  ``expires_at`` (unix seconds or null). With ``offer``, a paraphrase is never
  served: the outcome ``semantic_offer`` (``similarity``, ``entry_id``,
  ``matched_prompt``, the verifier's ``accepted`` and ``reason``) comes with
  the candidate's answer, for the user to take or refuse.
- ``store(request_json, response_text)``: stores a complete answer under
  ``key`` and ``namespace`` with the caller's ``entry_id``; its embedding is
  computed afterwards, off the caller's path.
  ``{"ok": true, "stored": bool, "entry_id": str | null, "why": str | null}``.
- ``served(entry_ids_json)``: exact hits Lantern answered from its own copy
  of these entries (a JSON list of entry ids); counted and touched as lookups
  would. ``{"ok": true, "gone": [ids]}``: those of them it no longer holds
  (evicted, expired, deleted), which Lantern stops serving.
- ``stats(served_json = "[]")``: the counters, after applying ``served``
  (whose ``gone`` it answers too).
- ``invalidate(entry_id)``, ``health()``, ``shutdown()``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from .cache import CACHE_MODES, SEMANTIC_MODES
from .config import ConfigError
from .embed import EmbeddingBackendError
from .errors import GatewayError
from .key import InvalidKey, RequestKey
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
    if isinstance(exc, InvalidKey):
        return _err("invalid_request", str(exc))
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


def _request(text: str) -> tuple[RequestKey, str, dict[str, Any]]:
    obj = _parse(text)
    if not isinstance(obj, dict):
        raise GatewayError("invalid_request", "a bridge request must be a JSON object")
    ns = obj.get("namespace", "default")
    if not isinstance(ns, str) or not ns:
        raise GatewayError("invalid_request", "namespace must be a non-empty string")
    return RequestKey.from_json(obj.get("key")), ns, obj


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
                "storable_stop_reasons": g.cache.storable_stop_reasons,
                "ttl_seconds": float(g.cache.cfg.get("ttl_seconds", 0) or 0),
                "serves_exact": bool(
                    g.cache.cfg.get("enabled", True) and g.cache.cfg.get("exact", True)
                ),
            }
        )
    except BaseException as exc:
        return _from_exc(exc)


def lookup(request_json: str) -> tuple[str, str | None]:
    """``(answer_json, response_text)``: see the module docstring."""
    try:
        t0 = time.perf_counter()
        cache = _need().cache
        key, ns, obj = _request(request_json)
        mode = obj.get("mode", "default")
        if mode not in CACHE_MODES:
            raise GatewayError("invalid_request", f"mode must be one of {', '.join(CACHE_MODES)}")
        semantic = obj.get("semantic", "serve")
        if semantic not in SEMANTIC_MODES:
            raise GatewayError(
                "invalid_request", f"semantic must be one of {', '.join(SEMANTIC_MODES)}"
            )
        res = cache.lookup(
            key, ns, mode, record=obj.get("record", True) is not False, semantic=semantic
        )
        ms = round((time.perf_counter() - t0) * 1000, 3)
        answer: dict[str, Any] = {"ok": True, "cache": res.outcome, "lookup_ms": ms}
        if res.response is not None and res.outcome.get("outcome") == "exact_hit":
            answer["expires_at"] = res.expires_at
        return _dump(answer), res.response
    except BaseException as exc:
        return _from_exc(exc), None


def store(request_json: str, response_text: str) -> str:
    """Store a complete answer (see the module docstring)."""
    try:
        cache = _need().cache
        key, ns, obj = _request(request_json)
        entry_id = obj.get("entry_id")
        if entry_id is not None and (not isinstance(entry_id, str) or not entry_id):
            raise GatewayError("invalid_request", "entry_id must be a non-empty string")
        if not isinstance(response_text, str):
            raise GatewayError("invalid_request", "the response must be JSON text")
        stored = cache.put(key, response_text, ns, entry_id=entry_id, background=True)
        why = None if stored else cache.storable(json.loads(response_text)) or "cache_disabled"
        return _dump({"ok": True, "stored": stored is not None, "entry_id": stored, "why": why})
    except BaseException as exc:
        return _from_exc(exc)


def _entry_ids(text: str) -> list[str]:
    ids = _parse(text)
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise GatewayError("invalid_request", "served must be a JSON list of entry ids")
    return ids


def served(entry_ids_json: str) -> str:
    try:
        gone = _need().cache.served(_entry_ids(entry_ids_json))
        return _dump({"ok": True, "gone": gone})
    except BaseException as exc:
        return _from_exc(exc)


def stats(served_json: str = "[]") -> str:
    try:
        cache = _need().cache
        gone = cache.served(_entry_ids(served_json))
        return _dump({"ok": True, "stats": cache.stats(), "gone": gone})
    except BaseException as exc:
        return _from_exc(exc)


def health() -> str:
    try:
        g = _gateway
        if g is None:
            return _dump({"ok": True, "initialized": False})
        return _dump(
            {
                "ok": True,
                "initialized": True,
                "embed_model": g.embedder.model_id,
                "entries": len(g.cache.entries),
                "data_dir": str(g.data_dir) if g.data_dir else ":memory:",
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

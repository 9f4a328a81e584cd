"""The gateway: cache lookup, upstream call with retries, store. Used by the bridge."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from .cache import CACHE_MODES, Cache, LookupResult
from .config import load_config, resolve_data_dir
from .embed import Embedder
from .errors import GatewayError
from .fingerprint import RequestError
from .sse import Accumulator, message_to_events
from .store import Store
from .upstream import make_provider
from .upstream.retry import RetryPolicy, call_with_retries
from .verify import Verifier

_ZERO_USAGE = {
    "input_tokens": 0,
    "output_tokens": 0,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}


def _usage(message: dict[str, Any] | None) -> dict[str, int]:
    u = (message or {}).get("usage") or {}
    return {k: int(u.get(k) or 0) for k in _ZERO_USAGE}


def _client_options(obj: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The caller's upstream key and extra headers from a bridge request, checked."""
    key = obj.get("api_key")
    if key is not None and not isinstance(key, str):
        raise GatewayError("invalid_request", "api_key must be a string")
    headers = obj.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise GatewayError("invalid_request", "headers must map strings to strings")
    return key, headers


def parse_bridge_request(obj: Any) -> tuple[dict[str, Any], str, str, str | None, dict[str, str]]:
    if not isinstance(obj, dict):
        raise GatewayError("invalid_request", "bridge request must be a JSON object")
    req = obj.get("request")
    if not isinstance(req, dict):
        raise GatewayError("invalid_request", "bridge request needs a 'request' object")
    ns = obj.get("namespace", "default")
    if not isinstance(ns, str) or not ns:
        raise GatewayError("invalid_request", "namespace must be a non-empty string")
    mode = obj.get("cache", "default")
    if mode not in CACHE_MODES:
        raise GatewayError("invalid_request", f"cache must be one of {', '.join(CACHE_MODES)}")
    key, headers = _client_options(obj)
    if not isinstance(req.get("max_tokens"), int) or isinstance(req.get("max_tokens"), bool):
        raise GatewayError("invalid_request", "request.max_tokens must be an integer")
    return req, ns, mode, key or None, headers


# Providers kept at once (one per distinct API key).
_MAX_PROVIDERS = 16

# Namespace suffix under which offline answers are cached.
OFFLINE_SUFFIX = "@offline"


class Gateway:
    def __init__(
        self, overrides: dict[str, Any] | None = None, embedder: Embedder | None = None
    ) -> None:
        self.cfg = load_config(overrides)
        self.embedder = embedder or Embedder(self.cfg["embedding"])
        self.verifier = Verifier(self.embedder, self.cfg["verifier"])
        self.data_dir = resolve_data_dir(self.cfg)
        self.store = Store(self.data_dir)
        self.cache = Cache(
            self.cfg["cache"], self.embedder, self.store, self.verifier, self.cfg.get("pricing")
        )
        self.policy = RetryPolicy.from_config(self.cfg["upstream"])
        # One provider per key: building an SDK client costs ~20 ms (its TLS
        # context), and a kept client reuses its connections.
        self._providers: dict[str | None, Any] = {}
        self._providers_lock = threading.Lock()

    def provider(self, api_key: str | None) -> Any:
        """The upstream provider for ``api_key`` (``None``: the configured env var)."""
        with self._providers_lock:
            p = self._providers.get(api_key)
            if p is None:
                if len(self._providers) >= _MAX_PROVIDERS:
                    self._providers.clear()
                p = self._providers[api_key] = make_provider(self.cfg, api_key)
            return p

    def _lookup(self, req: dict[str, Any], ns: str, mode: str) -> LookupResult:
        try:
            return self.cache.lookup(req, ns, mode)
        except RequestError as exc:
            raise GatewayError("invalid_request", str(exc)) from exc

    def _store(
        self,
        req: dict[str, Any],
        msg: dict[str, Any],
        ns: str,
        mode: str,
        res: LookupResult,
        source: str,
    ) -> str | None:
        # Offline answers live only in the offline namespace (see
        # effective_namespace): they can never shadow a real answer.
        if mode in ("no-store", "off") or (source == "offline") != ns.endswith(OFFLINE_SUFFIX):
            return None
        return self.cache.put(req, msg, ns, lookup=res)

    def effective_namespace(self, ns: str, api_key: str | None) -> str:
        """``ns``, or ``ns@offline`` when the offline provider will answer.

        Offline answers are cached apart, so that the whole system (the demo
        included) sees real exact and semantic hits without a key, and so that
        none of them is ever served once a key is configured.
        """
        up = self.cfg["upstream"]
        choice = up.get("provider", "auto")
        has_key = bool(api_key or os.environ.get(up["anthropic"].get("api_key_env") or "", ""))
        offline = choice == "offline" or (choice == "auto" and not has_key)
        return f"{ns}{OFFLINE_SUFFIX}" if offline else ns

    def peek(self, obj: Any) -> dict[str, Any]:
        """What a lookup would find now, without serving, counting or storing anything."""
        req, ns, mode, key, _headers = parse_bridge_request(obj)
        ns = self.effective_namespace(ns, key)
        try:
            res = self.cache.lookup(req, ns, mode, record=False)
        except RequestError as exc:
            raise GatewayError("invalid_request", str(exc)) from exc
        return {"ok": True, "cache": res.outcome, "namespace": ns}

    def process(self, obj: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        req, ns, mode, key, headers = parse_bridge_request(obj)
        ns = self.effective_namespace(ns, key)
        res = self._lookup(req, ns, mode)
        lookup_ms = round((time.perf_counter() - t0) * 1000, 3)
        if res.hit:
            return {
                "ok": True,
                "source": "cache",
                "namespace": ns,
                "lookup_ms": lookup_ms,
                "cache": res.outcome,
                "response": res.response,
                "usage": dict(_ZERO_USAGE),
                "attempts": 0,
                "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
                "stored_entry_id": None,
            }
        provider = self.provider(key)
        body = {k: v for k, v in req.items() if k != "stream"}
        msg, attempts = call_with_retries(lambda: provider.create(body, headers), self.policy)
        source = "offline" if provider.name == "offline" else "upstream"
        stored = self._store(req, msg, ns, mode, res, source)
        return {
            "ok": True,
            "source": source,
            "namespace": ns,
            "lookup_ms": lookup_ms,
            "cache": res.outcome,
            "response": msg,
            "usage": _usage(msg),
            "attempts": attempts,
            "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
            "stored_entry_id": stored,
            "provider": provider.name,
        }

    def stream(self, obj: Any) -> Iterator[dict[str, Any]]:
        """Chunks ``{"event", "data"}``; the last one is always ``lantern_result``."""
        t0 = time.perf_counter()

        def final(ok: bool, **kw: Any) -> dict[str, Any]:
            data = {"ok": ok, **kw, "latency_ms": round((time.perf_counter() - t0) * 1000, 3)}
            return {"event": "lantern_result", "data": data}

        def error_chunks(err: GatewayError, **kw: Any) -> Iterator[dict[str, Any]]:
            yield {
                "event": "error",
                "data": {"type": "error", "error": {"type": err.kind, "message": err.message}},
            }
            yield final(False, error=err.to_json(), **kw)

        try:
            req, ns, mode, key, headers = parse_bridge_request(obj)
            ns = self.effective_namespace(ns, key)
            res = self._lookup(req, ns, mode)
        except GatewayError as err:
            yield from error_chunks(err)
            return
        if obj.get("lookup_event") is True:
            yield {"event": "lantern_lookup", "data": {"cache": res.outcome, "namespace": ns}}
        if res.hit and res.response is not None:
            for name, data in message_to_events(res.response):
                yield {"event": name, "data": data}
            yield final(
                True,
                source="cache",
                namespace=ns,
                cache=res.outcome,
                response=res.response,
                usage=dict(_ZERO_USAGE),
                attempts=0,
                stored_entry_id=None,
            )
            return
        try:
            provider = self.provider(key)
        except GatewayError as err:
            yield from error_chunks(err, cache=res.outcome)
            return
        source = "offline" if provider.name == "offline" else "upstream"
        attempts = 0
        acc = Accumulator()
        sent_any = False
        try:
            while True:  # retry only while nothing has been sent downstream
                attempts += 1
                events = provider.stream(req, headers)
                try:
                    first = next(events)
                    break
                except StopIteration:
                    err = GatewayError("stream_aborted", "upstream stream was empty", None, True)
                except GatewayError as e:
                    err = e
                wait = self.policy.delay(attempts, err)
                if wait is None:
                    raise err
                time.sleep(wait)
            for name, data in _chain(first, events):
                acc.feed(name, data)
                if name == "ping":
                    continue
                sent_any = True
                yield {"event": name, "data": data}
            msg = acc.result()
        except GatewayError as err:
            if sent_any and err.kind not in ("stream_aborted",):
                err = GatewayError(
                    "stream_aborted",
                    f"stream aborted: {err.kind}: {err.message}",
                    err.status,
                    err.retryable,
                )
            yield from error_chunks(err, cache=res.outcome, attempts=attempts, source=source)
            return
        stored = self._store(req, msg, ns, mode, res, source)
        yield final(
            True,
            source=source,
            namespace=ns,
            cache=res.outcome,
            response=msg,
            usage=_usage(msg),
            attempts=attempts,
            stored_entry_id=stored,
            provider=provider.name,
            stop_reason=msg.get("stop_reason"),
        )

    def count_tokens(self, obj: Any) -> dict[str, Any]:
        """``POST /v1/messages/count_tokens`` passed to the Anthropic upstream as is."""
        if not isinstance(obj, dict) or not isinstance(obj.get("request"), dict):
            raise GatewayError("invalid_request", "bridge request needs a 'request' object")
        key, headers = _client_options(obj)
        provider = self.provider(key or None)
        if provider.name != "anthropic":
            raise GatewayError(
                "invalid_request",
                f"count_tokens needs the anthropic provider (this one is {provider.name})",
                400,
            )
        from .upstream.anthropic_provider import _map_error

        def call() -> dict[str, Any]:
            try:
                out = provider.client.post(  # type: ignore[attr-defined]
                    "/v1/messages/count_tokens",
                    cast_to=object,
                    body=obj["request"],
                    options={"headers": headers},
                )
            except Exception as exc:
                raise _map_error(exc) from exc
            if not isinstance(out, dict) or not isinstance(out.get("input_tokens"), int):
                raise GatewayError("malformed_response", "upstream count is not a token count")
            return out

        out, attempts = call_with_retries(call, self.policy)
        return {"ok": True, "response": out, "attempts": attempts}

    def close(self) -> None:
        self.cache.close()


def _chain(first: tuple[str, dict[str, Any]], rest: Iterator[tuple[str, dict[str, Any]]]):
    yield first
    yield from rest

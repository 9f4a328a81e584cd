"""A local fake of the Anthropic Messages API, with fault injection.

    python -m widget_log.testing.fake_anthropic --port 8765

Serves ``POST /v1/messages`` (JSON, or SSE with ``"stream": true``) and
``POST /v1/messages/count_tokens`` on 127.0.0.1 only, with aiohttp on one
asyncio loop (in a daemon thread when started in-process): thousands of
concurrent keep-alive connections, and delays that never block the loop. The
reply is deterministic: ``Fake reply to: <last user turn text>``, with usage
fields.

Like the real API it accepts any role, top-level field, content-block type,
query string and header. It refuses (400 ``invalid_request_error``) only a body
that is not a JSON object, a ``model`` that is not a string, ``messages`` that
is not an array and, for ``/v1/messages``, a ``max_tokens`` that is not a
positive integer. Other paths get 404 ``not_found_error``.

Faults are chosen per request by the ``x-fake-fault`` header, a ``;``-separated
list of ``key=value`` items:

``status=429|500|529|...``  reply with that status and an Anthropic error body
``retry_after=S``           send ``retry-after: S`` with the error status
``times=N``                 apply the fault to the first N requests carrying the
                            same ``x-fake-fault`` + ``x-fake-fault-id`` only
``delay=S``                 sleep S seconds before answering
``slow_stream=S``           streaming: sleep S seconds between SSE events
``header=Name:Value``       add that response header (repeat the item for more)
``disconnect``              streaming: drop the connection after the first delta;
                            JSON: close without any response
``malformed``               JSON: truncated body with status 200; streaming: an
                            invalid data line after the first delta
``error_event``             streaming: an ``overloaded_error`` SSE event after the
                            first delta, then the end of the stream
``max_tokens``              the reply stops with ``stop_reason: "max_tokens"``

A request whose ``tool_choice`` is ``{"type": "tool", "name": N}`` (or
``{"type": "any"}`` with tools) is answered with one ``tool_use`` block calling
that tool (the first one for ``any``) with ``{"query": <last user text>}``, and
``stop_reason: "tool_use"``; streamed, its input arrives as ``input_json_delta``.

``GET /_fake/requests`` returns what was received: per request ``path`` (without
the query), ``query`` (raw, ``""`` if none), ``method``, ``body`` (parsed JSON or
null), ``raw_b64`` (the exact body bytes), ``headers`` (all of them, lower-case
names) and, for older tests, the ``x-api-key``, ``authorization``,
``anthropic-version``, ``anthropic-beta`` and ``x-fake-fault`` headers as keys
of their own. ``POST /_fake/reset`` clears it and the ``times`` counters.
``GET /_fake/stats`` returns ``{"in_flight", "max_in_flight", "completed",
"cancelled"}`` over the API requests; ``cancelled`` counts those whose client
went away before the reply was finished (reset does not clear these).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import threading
import zlib
from typing import Any

from aiohttp import web

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}

BACKLOG = 4096
# The real API's request size limit for the Messages endpoints.
MAX_BODY = 32 * 1024 * 1024
# Headers recorded under keys of their own (older tests read them there).
_LEGACY_HEADERS = ("x-api-key", "authorization", "anthropic-version", "anthropic-beta")
_MALFORMED_JSON = b'{"id": "msg_broken", "type": "message", "content": [{"type": "te'
_MALFORMED_SSE = b"event: content_block_delta\ndata: {not json\n\n"
_ERROR_EVENT = {
    "type": "error",
    "error": {"type": "overloaded_error", "message": "injected overload"},
}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        )
    return ""


def _count_tokens(body: dict[str, Any]) -> int:
    words = len(_text_of(body.get("system", "")).split())
    for m in body.get("messages") or []:
        if isinstance(m, dict):
            words += len(_text_of(m.get("content", "")).split())
    return max(1, words + 3)


def reply_text(body: dict[str, Any]) -> str:
    """``Fake reply to: <text>`` of the last user turn (as a model answers the
    last question asked, whatever ``system`` turns follow it), else of the last message."""
    msgs = [m for m in body.get("messages") or [] if isinstance(m, dict)] or [{}]
    users = [m for m in msgs if m.get("role") == "user"]
    last = users[-1] if users else msgs[-1]
    return "Fake reply to: " + _text_of(last.get("content", ""))[:400]


def parse_fault(header: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (header or "").split(";"):
        item = item.strip()
        if not item:
            continue
        k, _, v = item.partition("=")
        out[k.strip()] = v.strip()
    return out


def fault_headers(header: str | None) -> dict[str, str]:
    """The response headers a fault's ``header=Name:Value`` items ask for."""
    out: dict[str, str] = {}
    for item in (header or "").split(";"):
        k, _, v = item.strip().partition("=")
        name, sep, value = v.partition(":")
        if k.strip() == "header" and sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def invalid_reason(body: Any, route: str) -> str | None:
    """Why the real API would refuse ``body`` for sure, or None."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model: Field required" if "model" not in body else "model: must be a string"
    if not isinstance(body.get("messages"), list):
        return "messages: Field required" if "messages" not in body else "messages: must be a list"
    if route == "/v1/messages":
        n = body.get("max_tokens")
        if "max_tokens" not in body:
            return "max_tokens: Field required"
        whole = (isinstance(n, int) and not isinstance(n, bool)) or (
            isinstance(n, float) and n.is_integer()  # 256.0 yes; 1.5, NaN, Infinity no
        )
        if not whole or n < 1:
            return "max_tokens: must be a positive integer"
    return None


class FakeState:
    """What the fake received and counts; shared by the loop and the test thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed = 0
        self.cancelled = 0

    def should_fault(self, fault_key: str, times: str | None) -> bool:
        if times is None:
            return True
        with self.lock:
            n = self.counters.get(fault_key, 0)
            self.counters[fault_key] = n + 1
            return n < int(times)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.counters.clear()

    def stats(self) -> dict[str, int]:
        return {
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "completed": self.completed,
            "cancelled": self.cancelled,
        }


def _request_id() -> str:
    return "req_fake_" + os.urandom(6).hex()


def _json(status: int, obj: Any, headers: dict[str, str] | None = None) -> web.Response:
    hdrs = {"content-type": "application/json", "request-id": _request_id()}
    if headers:
        hdrs.update(headers)
    return web.Response(status=status, body=json.dumps(obj).encode(), headers=hdrs)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    etype = _ERROR_TYPES.get(status, "api_error")
    return _json(status, {"type": "error", "error": {"type": etype, "message": message}}, headers)


def _all_headers(request: web.BaseRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in request.headers.items():
        k = k.lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def _decoded(raw: bytes, encoding: str | None) -> bytes:
    """The body to parse: the wire bytes, inflated if the client compressed them."""
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw


class Fake:
    """The request handler: one instance per server, all state in ``state``."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        route, _, query = request.raw_path.partition("?")
        if route.startswith("/_fake/"):
            return self._control(request.method, route)
        state = self.state
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            resp = await self._api(request, route, query)
        except asyncio.CancelledError:
            # The client went away before the reply was finished (aiohttp
            # cancels the handler when the connection is lost).
            state.cancelled += 1
            raise
        except ConnectionError:
            # The same, noticed by a write. aiohttp drops the connection quietly
            # when it cannot write the (empty) final response.
            state.cancelled += 1
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        finally:
            state.in_flight -= 1
        state.completed += 1
        return resp

    def _control(self, method: str, route: str) -> web.Response:
        if method == "GET" and route == "/_fake/requests":
            return _json(200, self.state.snapshot())
        if method == "GET" and route == "/_fake/stats":
            return _json(200, self.state.stats())
        if method == "POST" and route == "/_fake/reset":
            self.state.reset()
            return _json(200, {"ok": True})
        return _error(404, f"no route {method} {route}")

    async def _api(self, request: web.BaseRequest, route: str, query: str) -> web.StreamResponse:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"request body is larger than {MAX_BODY} bytes")
        headers = _all_headers(request)
        try:
            body = json.loads(_decoded(raw, headers.get("content-encoding")))
        except (ValueError, zlib.error):
            body = None
        entry: dict[str, Any] = {
            "path": route,
            "query": query,
            "method": request.method,
            "body": body,
            "raw_b64": base64.b64encode(raw).decode("ascii"),
            "headers": headers,
        }
        for name in _LEGACY_HEADERS:
            entry[name] = headers.get(name)
        fault_hdr = headers.get("x-fake-fault")
        entry["x-fake-fault"] = fault_hdr
        self.state.record(entry)

        if request.method != "POST" or route not in ("/v1/messages", "/v1/messages/count_tokens"):
            return _error(404, f"no route {request.method} {route}")
        if body is None:
            return _error(400, "request body is not valid JSON")
        reason = invalid_reason(body, route)
        if reason is not None:
            return _error(400, reason)
        if route == "/v1/messages/count_tokens":
            return _json(200, {"input_tokens": _count_tokens(body)})

        fault: dict[str, str] = {}
        extra: dict[str, str] = {}
        if fault_hdr:
            fault = parse_fault(fault_hdr)
            key = f"{fault_hdr}|{headers.get('x-fake-fault-id', '')}"
            if self.state.should_fault(key, fault.get("times")):
                extra = fault_headers(fault_hdr)
            else:
                fault = {}
        if "delay" in fault:
            await asyncio.sleep(float(fault["delay"]))
        if "status" in fault:
            if "retry_after" in fault:
                extra["retry-after"] = fault["retry_after"]
            status = int(fault["status"])
            return _error(status, f"injected fault: status {status}", extra)
        if body.get("stream"):
            return await self._stream(request, body, fault, extra)
        if "disconnect" in fault:
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never written: the connection is closing
        if "malformed" in fault:
            hdrs = {"content-type": "application/json", "request-id": _request_id(), **extra}
            return web.Response(status=200, body=_MALFORMED_JSON, headers=hdrs)
        return _json(200, _build(body, fault), extra)

    async def _stream(
        self,
        request: web.BaseRequest,
        body: dict[str, Any],
        fault: dict[str, str],
        extra: dict[str, str],
    ) -> web.StreamResponse:
        events, first_delta = _stream_events(_build(body, fault))
        broken = next((k for k in ("disconnect", "malformed", "error_event") if k in fault), None)
        if broken is not None:
            events = events[: first_delta + 1]
            if broken == "malformed":
                events.append(_MALFORMED_SSE)
            elif broken == "error_event":
                events.append(_sse("error", _ERROR_EVENT))
        resp = web.StreamResponse(
            status=200,
            headers={
                "content-type": "text/event-stream",
                "cache-control": "no-cache",
                "request-id": _request_id(),
                **extra,
            },
        )
        await resp.prepare(request)
        gap = float(fault.get("slow_stream", 0))
        if gap > 0:
            for n, event in enumerate(events):
                if n:
                    await asyncio.sleep(gap)
                await resp.write(event)
        else:
            await resp.write(b"".join(events))
        if broken == "disconnect":
            assert request.transport is not None
            request.transport.close()  # sends what was written, then FIN
            return resp
        await resp.write_eof()
        return resp


def _build(body: dict[str, Any], fault: dict[str, str]) -> dict[str, Any]:
    text = reply_text(body)
    stop = "end_turn"
    if "max_tokens" in fault:
        text = " ".join(text.split()[:3])
        stop = "max_tokens"
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    tool = _forced_tool(body)
    if tool is not None:
        query = text.removeprefix("Fake reply to: ")
        content = [
            {
                "type": "tool_use",
                "id": "toolu_fake_" + os.urandom(8).hex(),
                "name": tool,
                "input": {"query": query},
            }
        ]
        stop = "tool_use"
    return {
        "id": "msg_fake_" + os.urandom(8).hex(),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": _count_tokens(body),
            "output_tokens": len(text.split()),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _stream_events(msg: dict[str, Any]) -> tuple[list[bytes], int]:
    """``msg`` as SSE events in the API's order, and the index of the first delta."""
    block = msg["content"][0]
    start = {**msg, "content": [], "stop_reason": None}
    start["usage"] = {**msg["usage"], "output_tokens": 1}
    events = [_sse("message_start", {"type": "message_start", "message": start})]
    if block["type"] == "tool_use":
        events.append(
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {**block, "input": {}},
                },
            )
        )
        partial = json.dumps(block["input"])
        pieces = [partial[: len(partial) // 2], partial[len(partial) // 2 :]]
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
    else:
        events.append(
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        events.append(_sse("ping", {"type": "ping"}))
        words = block["text"].split(" ")
        chunks = [
            " ".join(words[i : i + 3]) + (" " if i + 3 < len(words) else "")
            for i in range(0, len(words), 3)
        ]
        deltas = [{"type": "text_delta", "text": c} for c in chunks]
    first_delta = len(events)
    for delta in deltas:
        events.append(_delta(delta))
    events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.extend(_finish(msg))
    return events, first_delta


def _delta(delta: dict[str, Any]) -> bytes:
    """One ``content_block_delta`` event for the first content block."""
    return _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})


def _finish(msg: dict[str, Any]) -> list[bytes]:
    return [
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": msg["usage"]["output_tokens"]},
            },
        ),
        _sse("message_stop", {"type": "message_stop"}),
    ]


def _forced_tool(body: dict[str, Any]) -> str | None:
    """The tool a request forces the model to call, if any."""
    choice = body.get("tool_choice")
    tools = body.get("tools")
    tools = (
        [t for t in tools if isinstance(t, dict) and t.get("name")]
        if isinstance(tools, list)
        else []
    )
    if not isinstance(choice, dict) or not tools:
        return None
    if choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        return choice["name"]
    if choice.get("type") == "any":
        return str(tools[0]["name"])
    return None


def _listen_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


class FakeAnthropic:
    """In-process server for tests: ``with FakeAnthropic() as fake: fake.url``.

    The port is bound on construction; ``start()`` serves it from an asyncio
    loop in a daemon thread, ``stop()`` ends in-flight requests and frees it.
    """

    def __init__(self, port: int = 0) -> None:
        self.state = FakeState()
        self._sock: socket.socket | None = _listen_socket(port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.state.snapshot()

    @property
    def stats(self) -> dict[str, int]:
        return self.state.stats()

    def reset(self) -> None:
        self.state.reset()

    async def serve(self, ready: threading.Event | None = None) -> None:
        """Serves until ``stop()`` (or until cancelled)."""
        assert self._sock is not None, "stopped"
        self._loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        server = web.Server(
            Fake(self.state),
            request_factory=self._make_request,
            handler_cancellation=True,
            access_log=None,
            max_line_size=65536,
            max_field_size=65536,
            auto_decompress=False,
        )
        runner = web.ServerRunner(server, shutdown_timeout=0.1)
        await runner.setup()
        try:
            await web.SockSite(runner, self._sock, backlog=BACKLOG).start()
            if ready is not None:
                ready.set()
            await self._done.wait()
        finally:
            await runner.cleanup()
            self._close_socket()

    def _make_request(self, message: Any, payload: Any, protocol: Any, writer: Any, task: Any):
        loop = asyncio.get_running_loop()
        return web.BaseRequest(
            message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY
        )

    def start(self) -> FakeAnthropic:
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.serve(ready))
            except BaseException as e:  # surfaced by start()
                failed.append(e)
                ready.set()

        self._thread = threading.Thread(target=run, name="fake-anthropic", daemon=True)
        self._thread.start()
        ready.wait()
        if failed:
            raise failed[0]
        return self

    def stop(self) -> None:
        loop, done, thread = self._loop, self._done, self._thread
        if loop is not None and done is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(done.set)
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        self._close_socket()

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m widget_log.testing.fake_anthropic")
    ap.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    args = ap.parse_args(argv)
    fake = FakeAnthropic(args.port)
    print(f"fake-anthropic listening on {fake.url}", flush=True)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        await fake.serve()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

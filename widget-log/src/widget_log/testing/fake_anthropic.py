"""A local fake of the Anthropic Messages API, with fault injection.

    python -m widget_log.testing.fake_anthropic --port 8765

Serves ``POST /v1/messages`` (JSON, or SSE with ``"stream": true``) and
``POST /v1/messages/count_tokens`` on 127.0.0.1 only. The reply is
deterministic: ``Fake reply to: <last user text>``, with usage fields.

Faults are chosen per request by the ``x-fake-fault`` header, a ``;``-separated
list of ``key=value`` items:

``status=429|500|529|...``  reply with that status and an Anthropic error body
``retry_after=S``           send ``retry-after: S`` with the error status
``times=N``                 apply the fault to the first N requests carrying the
                            same ``x-fake-fault`` + ``x-fake-fault-id`` only
``delay=S``                 sleep S seconds before answering
``disconnect``              streaming: drop the connection after the first deltas;
                            JSON: close without any response
``malformed``               JSON: invalid JSON body; streaming: an invalid data line
``error_event``             streaming: an ``overloaded_error`` SSE event mid-stream
``max_tokens``              the reply stops with ``stop_reason: "max_tokens"``

A request whose ``tool_choice`` is ``{"type": "tool", "name": N}`` (or
``{"type": "any"}`` with tools) is answered with one ``tool_use`` block calling
that tool (the first one for ``any``) with ``{"query": <last user text>}``, and
``stop_reason: "tool_use"``; streamed, its input arrives as ``input_json_delta``.

``GET /_fake/requests`` returns what was received (body and the interesting
headers); ``POST /_fake/reset`` clears it and the ``times`` counters.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _count_tokens(body: dict[str, Any]) -> int:
    words = len(_text_of(body.get("system", "")).split())
    for m in body.get("messages", []) or []:
        if isinstance(m, dict):
            words += len(_text_of(m.get("content", "")).split())
    return max(1, words + 3)


def reply_text(body: dict[str, Any]) -> str:
    msgs = body.get("messages") or [{}]
    last = msgs[-1] if isinstance(msgs[-1], dict) else {}
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


class FakeState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}

    def should_fault(self, fault_key: str, times: str | None) -> bool:
        if times is None:
            return True
        with self.lock:
            n = self.counters.get(fault_key, 0)
            self.counters[fault_key] = n + 1
            return n < int(times)


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeAnthropic/1.0"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive
    # client waits ~40 ms (delayed ACK) for the second one.
    disable_nagle_algorithm = True

    @property
    def state(self) -> FakeState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:12])
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        etype = _ERROR_TYPES.get(status, "api_error")
        body = {"type": "error", "error": {"type": etype, "message": message}}
        self._send_json(status, body, headers)

    def do_GET(self) -> None:
        if self.path == "/_fake/requests":
            with self.state.lock:
                self._send_json(200, list(self.state.requests))
        else:
            self._error(404, f"no route GET {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/_fake/reset":
            with self.state.lock:
                self.state.requests.clear()
                self.state.counters.clear()
            self._send_json(200, {"ok": True})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "request body is not valid JSON")
            return
        route = self.path.split("?")[0]
        with self.state.lock:
            self.state.requests.append(
                {
                    "path": route,
                    "body": body,
                    "x-api-key": self.headers.get("x-api-key"),
                    "authorization": self.headers.get("authorization"),
                    "anthropic-version": self.headers.get("anthropic-version"),
                    "anthropic-beta": self.headers.get("anthropic-beta"),
                    "x-fake-fault": self.headers.get("x-fake-fault"),
                }
            )
        if route == "/v1/messages/count_tokens":
            self._send_json(200, {"input_tokens": _count_tokens(body)})
            return
        if route != "/v1/messages":
            self._error(404, f"no route POST {route}")
            return
        if not isinstance(body, dict) or not body.get("messages") or "max_tokens" not in body:
            self._error(400, "messages and max_tokens are required")
            return
        fault_hdr = self.headers.get("x-fake-fault")
        fault = parse_fault(fault_hdr)
        key = f"{fault_hdr}|{self.headers.get('x-fake-fault-id', '')}"
        active = bool(fault) and self.state.should_fault(key, fault.get("times"))
        if not active:
            fault = {}
        if "delay" in fault:
            time.sleep(float(fault["delay"]))
        if "status" in fault:
            hdrs = {"retry-after": fault["retry_after"]} if "retry_after" in fault else {}
            status = int(fault["status"])
            self._error(status, f"injected fault: status {status}", hdrs)
            return
        if body.get("stream"):
            self._stream(body, fault)
        else:
            self._message(body, fault)

    def _build(self, body: dict[str, Any], fault: dict[str, str]) -> dict[str, Any]:
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
                    "id": "toolu_fake_" + uuid.uuid4().hex[:16],
                    "name": tool,
                    "input": {"query": query},
                }
            ]
            stop = "tool_use"
        return {
            "id": "msg_fake_" + uuid.uuid4().hex[:16],
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake-model"),
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

    def _message(self, body: dict[str, Any], fault: dict[str, str]) -> None:
        if "disconnect" in fault:
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        if "malformed" in fault:
            data = b'{"id": "msg_broken", "type": "message", "content": [{"type": "te'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self._send_json(200, self._build(body, fault))

    def _stream(self, body: dict[str, Any], fault: dict[str, str]) -> None:
        msg = self._build(body, fault)
        block = msg["content"][0]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

        def ev(name: str, data: dict[str, Any]) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        start = {**msg, "content": [], "stop_reason": None}
        start["usage"] = {**msg["usage"], "output_tokens": 1}
        ev("message_start", {"type": "message_start", "message": start})
        if block["type"] == "tool_use":
            self._stream_tool_use(msg, ev)
            return
        ev(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        ev("ping", {"type": "ping"})
        words = block["text"].split(" ")
        chunks = [
            " ".join(words[i : i + 3]) + (" " if i + 3 < len(words) else "")
            for i in range(0, len(words), 3)
        ]
        for n, chunk in enumerate(chunks):
            if n == 1 and "disconnect" in fault:
                self.connection.shutdown(2)
                return
            if n == 1 and "malformed" in fault:
                self.wfile.write(b"event: content_block_delta\ndata: {not json\n\n")
                self.wfile.flush()
                return
            if n == 1 and "error_event" in fault:
                ev(
                    "error",
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "injected overload"},
                    },
                )
                return
            _delta(ev, {"type": "text_delta", "text": chunk})
        ev("content_block_stop", {"type": "content_block_stop", "index": 0})
        _finish(msg, ev)

    def _stream_tool_use(self, msg: dict[str, Any], ev: Any) -> None:
        block = msg["content"][0]
        ev(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}},
        )
        partial = json.dumps(block["input"])
        for piece in (partial[: len(partial) // 2], partial[len(partial) // 2 :]):
            _delta(ev, {"type": "input_json_delta", "partial_json": piece})
        ev("content_block_stop", {"type": "content_block_stop", "index": 0})
        _finish(msg, ev)


def _delta(ev: Any, delta: dict[str, Any]) -> None:
    """One ``content_block_delta`` event for the first content block."""
    ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})


def _finish(msg: dict[str, Any], ev: Any) -> None:
    ev(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": msg["usage"]["output_tokens"]},
        },
    )
    ev("message_stop", {"type": "message_stop"})


def _forced_tool(body: dict[str, Any]) -> str | None:
    """The tool a request forces the model to call, if any."""
    choice = body.get("tool_choice")
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("name")]
    if not isinstance(choice, dict) or not tools:
        return None
    if choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        return choice["name"]
    if choice.get("type") == "any":
        return str(tools[0]["name"])
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, aborted streams) are part of the tests.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeAnthropic:
    """In-process server for tests: ``with FakeAnthropic() as fake: fake.url``."""

    def __init__(self, port: int = 0) -> None:
        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.state = FakeState()  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[dict[str, Any]]:
        state: FakeState = self.httpd.state  # type: ignore[attr-defined]
        with state.lock:
            return list(state.requests)

    def start(self) -> FakeAnthropic:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

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
    try:
        fake.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

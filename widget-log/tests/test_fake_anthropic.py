"""The fake Anthropic upstream: transparent like the real API, concurrent, and
every fault it offers. Plain sockets and ``http.client`` only, so what is
checked is what goes over the wire."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from widget_log.testing.fake_anthropic import FakeAnthropic

SSE_ORDER = [
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


@pytest.fixture
def server() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


def body(text: str = "hello there", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
    }
    out.update(extra)
    return out


def call(
    fake: FakeAnthropic,
    payload: Any = None,
    *,
    fault: str | None = None,
    path: str = "/v1/messages",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: status, headers (lower-case), body."""
    data = raw if raw is not None else json.dumps(body() if payload is None else payload).encode()
    hdrs = {"content-type": "application/json", **(headers or {})}
    if fault:
        hdrs["x-fake-fault"] = fault
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=20)
    try:
        conn.request(method, path, body=data if method == "POST" else None, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def raw_exchange(fake: FakeAnthropic, payload: dict[str, Any], fault: str) -> tuple[bytes, bool]:
    """A streamed request over a plain socket: the de-chunked body, and whether the
    chunked stream was properly terminated."""
    data = json.dumps(payload).encode()
    head = (
        f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"content-type: application/json\r\nx-fake-fault: {fault}\r\n"
        f"content-length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", fake.port), timeout=20) as s:
        s.sendall(head + data)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    status_line, _, rest = got.partition(b"\r\n")
    assert b" 200 " in status_line, got
    _, _, chunked = rest.partition(b"\r\n\r\n")
    out, complete = b"", False
    while chunked:
        size_line, sep, chunked = chunked.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line, 16)
        if size == 0:
            complete = True
            break
        out += chunked[:size]
        chunked = chunked[size + 2 :]
    return out, complete


def events(data: bytes) -> list[tuple[str, str]]:
    out = []
    for block in data.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields["event"], fields["data"]))
    return out


def stats(fake: FakeAnthropic) -> dict[str, int]:
    status, _, data = call(fake, path="/_fake/stats", method="GET")
    assert status == 200
    return json.loads(data)


def wait_for(pred: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- what the real API accepts is accepted, and recorded exactly --------------


def test_system_turn_unknown_field_and_block_are_answered_and_recorded_exactly(server):
    payload = {
        "model": "claude-test",
        "max_tokens": 32,
        "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
        "messages": [
            {"role": "system", "content": "you are terse"},
            {
                "role": "user",
                "content": [
                    {"type": "brand_new_block", "payload": [1, 2, 3]},
                    {"type": "text", "text": "héllo wörld"},
                ],
            },
        ],
    }
    # Odd spacing and key order: the record must be the bytes, not a re-encoding.
    sent = json.dumps(payload, indent=1, ensure_ascii=False).encode()
    status, headers, data = call(
        server, raw=sent, headers={"Anthropic-Beta": "a-1,b-2", "X-Custom": "kept"}
    )
    assert status == 200, data
    reply = json.loads(data)
    assert reply["content"][0]["text"] == "Fake reply to: héllo wörld"
    assert headers["request-id"].startswith("req_fake_")
    got = server.requests[-1]
    assert base64.b64decode(got["raw_b64"]) == sent
    assert got["body"] == payload and got["method"] == "POST"
    assert got["headers"]["x-custom"] == "kept" and got["headers"]["anthropic-beta"] == "a-1,b-2"
    assert got["anthropic-beta"] == "a-1,b-2" and got["x-api-key"] is None


def test_query_string_is_recorded(server):
    status, _, _ = call(server, path="/v1/messages?beta=true&x=%2F")
    assert status == 200
    got = server.requests[-1]
    assert (got["path"], got["query"]) == ("/v1/messages", "beta=true&x=%2F")
    call(server)
    assert server.requests[-1]["query"] == ""


def test_requests_endpoint_over_http_1_0(server):
    call(server, headers={"x-api-key": "sk-1"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET /_fake/requests HTTP/1.0\r\nHost: x\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):  # the fake closes after an HTTP/1.0 reply
            got += chunk
    listed = json.loads(got.partition(b"\r\n\r\n")[2])
    assert [r["x-api-key"] for r in listed] == ["sk-1"]
    assert call(server, path="/_fake/reset")[0] == 200
    assert server.requests == []


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"max_tokens": 5, "messages": []}',
        b'{"model": 7, "max_tokens": 5, "messages": []}',
        b'{"model": "m", "max_tokens": 5}',
        b'{"model": "m", "max_tokens": 5, "messages": {"role": "user"}}',
        b'{"model": "m", "messages": []}',
        b'{"model": "m", "max_tokens": 0, "messages": []}',
        b'{"model": "m", "max_tokens": "10", "messages": []}',
        b'{"model": "m", "max_tokens": true, "messages": []}',
        b'{"model": "m", "max_tokens": 1.5, "messages": []}',
    ],
)
def test_only_what_the_api_surely_refuses_is_refused(server, raw):
    status, _, data = call(server, raw=raw)
    assert status == 400
    err = json.loads(data)
    assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"


def test_unknown_path_and_count_tokens(server):
    status, _, data = call(server, path="/v1/complete")
    assert status == 404 and json.loads(data)["error"]["type"] == "not_found_error"
    status, _, data = call(
        server,
        {"model": "m", "messages": [{"role": "user", "content": "a b c"}]},
        path="/v1/messages/count_tokens",
    )
    assert status == 200 and json.loads(data) == {"input_tokens": 6}


def test_json_replies_keep_the_connection_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        socks = []
        for text in ("one", "two", "three"):
            conn.request("POST", "/v1/messages", body=json.dumps(body(text)))
            resp = conn.getresponse()
            assert json.loads(resp.read())["content"][0]["text"] == f"Fake reply to: {text}"
            socks.append(conn.sock)
        assert socks[0] is socks[1] is socks[2] is not None
    finally:
        conn.close()


def test_stream_order_and_forced_tool(server):
    status, headers, data = call(server, body("stream this please now", stream=True))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    names = [n for n, _ in events(data)]
    assert [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]] == SSE_ORDER
    text = "".join(
        json.loads(d)["delta"]["text"] for n, d in events(data) if n == "content_block_delta"
    )
    assert text == "Fake reply to: stream this please now"

    tools = [{"name": "search", "input_schema": {"type": "object"}}]
    forced = body("find cats", tools=tools, tool_choice={"type": "tool", "name": "search"})
    reply = json.loads(call(server, forced)[2])
    assert reply["stop_reason"] == "tool_use"
    assert reply["content"][0]["input"] == {"query": "find cats"}
    data = call(server, {**forced, "stream": True})[2]
    partial = "".join(
        json.loads(d)["delta"]["partial_json"]
        for n, d in events(data)
        if n == "content_block_delta"
    )
    assert json.loads(partial) == {"query": "find cats"}


# -- scale and cancellation -----------------------------------------------------


def test_a_thousand_concurrent_connections(server):
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 3 * n:  # both ends of every connection live in this process
        if hard != resource.RLIM_INFINITY and hard < 3 * n:
            pytest.skip(f"open-file limit {hard} is too low")
        resource.setrlimit(resource.RLIMIT_NOFILE, (3 * n, hard))
    go = threading.Barrier(n, timeout=30)
    data = json.dumps(body("concurrent")).encode()

    def one(_: int) -> int:
        go.wait()  # all connect at once: a small listen backlog would reset some
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request("POST", "/v1/messages", body=data, headers={"x-fake-fault": "delay=1"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=n) as pool:
        statuses = list(pool.map(one, range(n)))  # a reset would raise here
    elapsed = time.monotonic() - t0
    assert statuses == [200] * n
    assert elapsed < 8, elapsed
    s = stats(server)
    assert s["completed"] >= n and s["cancelled"] == 0
    assert s["max_in_flight"] > n // 2, s  # they were in flight together, not queued


def test_a_client_that_goes_away_is_counted_as_cancelled(server):
    before = stats(server)
    data = json.dumps(body("bye")).encode()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-fake-fault: delay=2\r\n"
        + f"content-length: {len(data)}\r\n\r\n".encode()
        + data
    )
    wait_for(lambda: stats(server)["in_flight"] == 1)
    t0 = time.monotonic()
    s.close()
    wait_for(lambda: stats(server)["cancelled"] == before["cancelled"] + 1, timeout=1.5)
    assert time.monotonic() - t0 < 1.5  # noticed at once, not when the delay ends
    after = stats(server)
    assert after["in_flight"] == 0 and after["completed"] == before["completed"]


def test_stop_is_prompt_and_frees_the_port():
    fake = FakeAnthropic().start()
    port = fake.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("POST", "/v1/messages", body=json.dumps(body()))
    idle.getresponse().read()  # a kept-alive idle connection

    def busy_call() -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            call(fake, fault="delay=10")

    busy = threading.Thread(target=busy_call, daemon=True)
    busy.start()
    wait_for(lambda: fake.stats["in_flight"] == 1)
    t0 = time.monotonic()
    fake.stop()
    assert time.monotonic() - t0 < 2
    busy.join(5)
    idle.close()
    with FakeAnthropic(port) as again:  # the port is free again at once
        assert call(again)[0] == 200


def test_cli_prints_its_url_and_serves():
    cmd = [sys.executable, "-m", "widget_log.testing.fake_anthropic", "--port", "0"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("fake-anthropic listening on http://127.0.0.1:"), line
            port = int(line.strip().rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/v1/messages", body=json.dumps(body("cli")))
            reply = json.loads(conn.getresponse().read())
            assert reply["content"][0]["text"] == "Fake reply to: cli"
            conn.close()
        finally:
            proc.terminate()
        assert proc.wait(10) == 0  # SIGTERM is a clean stop


# -- faults ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,etype", [(429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error")]
)
def test_status_fault_with_retry_after(server, status, etype):
    got, headers, data = call(server, fault=f"status={status};retry_after=3")
    assert got == status and headers["retry-after"] == "3"
    assert json.loads(data) == {
        "type": "error",
        "error": {"type": etype, "message": f"injected fault: status {status}"},
    }


def test_times_counts_per_fault_id_until_reset(server):
    def attempt(fault_id: str) -> int:
        return call(server, fault="status=529;times=2", headers={"x-fake-fault-id": fault_id})[0]

    assert [attempt("a") for _ in range(3)] == [529, 529, 200]
    assert attempt("b") == 529  # another id has its own count
    call(server, path="/_fake/reset")
    assert attempt("a") == 529


def test_delay(server):
    t0 = time.monotonic()
    assert call(server, fault="delay=0.3")[0] == 200
    assert time.monotonic() - t0 >= 0.3


def test_disconnect_json_sends_nothing(server):
    with pytest.raises(http.client.RemoteDisconnected):
        call(server, fault="disconnect")
    assert call(server)[0] == 200  # and the fake goes on


def test_disconnect_stream_drops_after_the_first_delta(server):
    data, complete = raw_exchange(
        server, body("one two three four five six", stream=True), "disconnect"
    )
    names = [n for n, _ in events(data)]
    assert not complete
    assert names[0] == "message_start" and names[-1] == "content_block_delta"
    assert names.count("content_block_delta") == 1


def test_malformed_json_is_truncated_with_200(server):
    status, _, data = call(server, fault="malformed")
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(data)


def test_malformed_stream_has_an_invalid_data_line(server):
    data, complete = raw_exchange(server, body("one two three four", stream=True), "malformed")
    evs = events(data)
    assert complete and [n for n, _ in evs][-2:] == ["content_block_delta"] * 2
    json.loads(evs[-2][1])
    with pytest.raises(ValueError):
        json.loads(evs[-1][1])


def test_error_event_ends_the_stream(server):
    data, complete = raw_exchange(server, body("one two three four", stream=True), "error_event")
    evs = events(data)
    assert complete and [n for n, _ in evs][-2:] == ["content_block_delta", "error"]
    assert json.loads(evs[-1][1]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "injected overload"},
    }


def test_max_tokens_fault(server):
    reply = json.loads(call(server, body("a long question here"), fault="max_tokens")[2])
    assert reply["stop_reason"] == "max_tokens"
    assert reply["content"][0]["text"] == "Fake reply to:"
    data = call(server, body("a long question here", stream=True), fault="max_tokens")[2]
    last_delta = [json.loads(d) for n, d in events(data) if n == "message_delta"][-1]
    assert last_delta["delta"]["stop_reason"] == "max_tokens"


def test_slow_stream_spaces_the_events(server):
    data = json.dumps(body("hi", stream=True)).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        t0 = time.monotonic()
        s.sendall(
            b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"x-fake-fault: slow_stream=0.1\r\n"
            + f"content-length: {len(data)}\r\n\r\n".encode()
            + data
        )
        first = b""
        while b"\n\n" not in first.partition(b"\r\n\r\n")[2]:  # the first event
            first += s.recv(65536)
        ttfb = time.monotonic() - t0
        got = first
        while chunk := s.recv(65536):
            got += chunk
        total = time.monotonic() - t0
    n = got.count(b"event: ")
    assert b"event: message_start" in first and b"message_stop" not in first
    assert ttfb < 0.1 * (n - 1) / 2 and total >= 0.1 * (n - 1), (ttfb, total, n)
    assert b"event: message_stop" in got


def test_header_fault_adds_response_headers(server):
    fault = "header=X-Test:one;header=anthropic-ratelimit-requests-remaining:7"
    for payload in (body(), body(stream=True)):
        _, headers, _ = call(server, payload, fault=fault)
        assert headers["x-test"] == "one"
        assert headers["anthropic-ratelimit-requests-remaining"] == "7"
    _, headers, _ = call(server, fault=f"status=429;{fault}")
    assert headers["x-test"] == "one"

"""Integrity of ``lantern serve`` under crashes and faults.

- ``kill -9`` under load, ``LANTERN_KILL_TRIALS`` times (default 20): each
  time ``lantern log check`` calls the log recoverable, and once the server
  has restarted every request it answered is in the journal.
- A fault soak of ``LANTERN_SOAK`` requests (default 2,000;
  ``scripts/fault-soak.sh`` runs 10,000): every fault the fake offers, mixed
  with hits and misses, streamed and not. Nothing crashes; Lantern never
  answers 500 itself; every failure is in the Anthropic error shape with the
  upstream's status and ``retry-after``; nothing broken is cached.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from conftest import Proxy, lantern_binary, serving
from widget_log.testing.fake_anthropic import FakeAnthropic


def _lantern(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(lantern_binary()), "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _headers(p: Proxy, **extra: str) -> dict[str, str]:
    return {
        "x-api-key": p.token,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        **extra,
    }


class _Http:
    """One keep-alive connection per thread (http.client is not thread-safe)."""

    def __init__(self, url: str) -> None:
        self.host, self.port = urlsplit(url).hostname, urlsplit(url).port
        self.local = threading.local()

    def post(self, headers: dict[str, str], body: dict) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.local.conn = conn
            try:
                conn.request("POST", "/v1/messages", json.dumps(body), headers)
                r = conn.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _body(prompt: str, stream: bool = False) -> dict:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "stream": stream,
        "messages": [{"role": "user", "content": prompt}],
    }


def _journal(data: Path) -> dict[str, set[str]]:
    """Event kinds per request id, over every session in the log."""
    listed = _lantern(data, "sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    kinds: dict[str, set[str]] = {}
    for line in listed.stdout.splitlines():
        session = json.loads(line)["session"]
        shown = _lantern(data, "replay", "show", session, "--json")
        assert shown.returncode == 0, shown.stderr
        for ev in map(json.loads, shown.stdout.splitlines()):
            if ev.get("request"):
                kinds.setdefault(ev["request"], set()).update(ev["event"])
    return kinds


def _load(p: Proxy, stop: threading.Event, acked: list[str], tag: str) -> None:
    client = _Http(p.url)
    i = 0
    while not stop.is_set():
        i += 1
        try:
            status, headers, _ = client.post(
                _headers(p), _body(f"{tag} question {i}: what is {i} squared?")
            )
        except (http.client.HTTPException, OSError):
            return  # the server is gone
        if status == 200:
            acked.append(headers["x-lantern-request-id"])


def test_kill_9_under_load_is_recoverable_and_loses_no_answered_request(tmp_path: Path) -> None:
    trials = int(os.environ.get("LANTERN_KILL_TRIALS", "20"))
    data = tmp_path / "data"
    rng = random.Random(11)
    acked: list[str] = []
    checks = []
    with FakeAnthropic() as fake:
        for trial in range(trials):
            with serving(data, fake) as p:
                stop = threading.Event()
                workers = [
                    threading.Thread(target=_load, args=(p, stop, acked, f"t{trial}w{w}"))
                    for w in range(4)
                ]
                for w in workers:
                    w.start()
                time.sleep(0.3 + rng.random() * 0.7)
                p.kill()
                stop.set()
                for w in workers:
                    w.join()
            check = _lantern(data, "log", "check")
            checks.append(check.stdout)
            assert check.returncode == 0, check.stdout + check.stderr
            assert "damaged" not in check.stdout, check.stdout
        with serving(data, fake):
            pass  # a clean start and stop: the recovery is done
    assert any("not closed cleanly" in c for c in checks), "no trial left an unclean log"
    assert _lantern(data, "log", "check").stdout.split("\n")[0].endswith("healthy")
    assert len(acked) > trials, "the load did not get going"
    journal = _journal(data)
    missing = [r for r in acked if "ResponseDelivered" not in journal.get(r, set())]
    assert not missing, f"{len(missing)} of {len(acked)} answered requests are not journalled"
    unclean = sum("not closed cleanly" in c for c in checks)
    print(
        f"kill -9: {trials} trials, {unclean} left the log not closed cleanly (all recoverable), "
        f"{len(acked)} answered requests, all journalled"
    )


# (fault header, status for JSON, status for a stream). Upstream statuses pass
# as they are; a stream that breaks after its head stays a 200 whose body
# ends in an SSE error event; a JSON answer with no status at all is a 502.
FAULTS = [
    ("status=429;retry_after=7", 429, 429),
    ("status=529;retry_after=3", 529, 529),
    ("status=500", 500, 500),
    ("status=503", 503, 503),
    ("status=400", 400, 400),
    ("disconnect", 502, 200),
    ("malformed", 200, 200),  # JSON: a truncated body, passed through as sent
    ("error_event", 200, 200),
    ("max_tokens", 200, 200),
    ("slow_stream=0.01", 200, 200),
    ("delay=0.05", 200, 200),
    ("header=x-upstream-note:kept", 200, 200),
]


def _soak_one(client: _Http, p: Proxy, i: int, rng: random.Random) -> dict:
    kind = rng.random()
    stream = rng.random() < 0.5
    if kind < 0.3:  # a hit (after the first time)
        prompt, fault = f"popular question {i % 20}", None
    elif kind < 0.5:
        prompt, fault = f"fresh question {i}", None
    else:
        fault = FAULTS[i % len(FAULTS)]
        prompt = f"faulted question {i} ({fault[0]})"
    extra = {"x-fake-fault": fault[0]} if fault else {}
    status, headers, body = client.post(_headers(p, **extra), _body(prompt, stream))
    return {
        "prompt": prompt,
        "fault": fault,
        "stream": stream,
        "status": status,
        "headers": headers,
        "body": body,
    }


def _error_shape(body: bytes) -> dict:
    obj = json.loads(body)
    assert obj["type"] == "error" and isinstance(obj["error"]["message"], str), obj
    return obj["error"]


def test_fault_soak(tmp_path: Path) -> None:
    n = int(os.environ.get("LANTERN_SOAK", "2000"))
    rng = random.Random(5)
    seeds = [rng.random() for _ in range(n)]
    with (
        FakeAnthropic() as fake,
        serving(tmp_path / "data", fake) as p,
    ):
        client = _Http(p.url)
        with ThreadPoolExecutor(16) as pool:
            results = list(
                pool.map(lambda i: _soak_one(client, p, i, random.Random(seeds[i])), range(n))
            )
        assert p.proc is not None and p.proc.poll() is None, "the server died"
        statuses: dict[int, int] = {}
        for r in results:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            fault = r["fault"]
            upstream_answered = r["headers"].get("request-id", "").startswith("req_fake_")
            if r["status"] >= 400:
                err = _error_shape(r["body"])
                if r["status"] >= 500 and not upstream_answered:
                    # Lantern's own 5xx only for an upstream that gave no status.
                    assert r["status"] == 502 and fault and fault[0] == "disconnect", r
                    assert err["type"] == "api_error", err
            if fault:
                want = fault[2] if r["stream"] else fault[1]
                assert r["status"] == want, (fault, r["stream"], r["status"], r["body"][:300])
                if r["stream"] and fault[0] in ("disconnect", "error_event"):
                    assert b"event: error" in r["body"], r["body"][-300:]
            if fault and "retry_after" in fault[0]:
                assert r["headers"].get("retry-after") == fault[0].rsplit("=", 1)[1], r
            if fault and fault[0].startswith("header="):
                assert r["headers"].get("x-upstream-note") == "kept"
            if r["stream"] and fault and fault[0] == "error_event":
                assert b"overloaded_error" in r["body"], r["body"][-300:]
        # Nothing broken was cached: each faulted prompt, asked again without
        # its fault, goes upstream unless its earlier answer was whole.
        whole = {"max_tokens", "slow_stream", "delay", "header"}
        for r in results:
            if not r["fault"] or r["fault"][0].split("=")[0] in whole:
                continue
            if r["fault"][0] == "error_event" and not r["stream"]:
                continue  # the fault applies to streams only: this answer was whole
            status, headers, body = client.post(_headers(p), _body(r["prompt"]))
            assert status == 200, body
            assert headers["x-lantern-cache"] == "miss", (r["fault"], r["prompt"])
    print(f"fault soak: {n} requests, statuses {dict(sorted(statuses.items()))}")

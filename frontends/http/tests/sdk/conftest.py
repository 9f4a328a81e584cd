"""The official ``anthropic`` SDK as a client of ``lantern serve``, backed by
the fake upstream. The ``lantern`` binary must be built first
(``cargo build -p lantern``; ``make test`` does it)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anthropic
import pytest

from widget_log.testing.fake_anthropic import FakeAnthropic

REPO = Path(__file__).resolve().parents[4]
UPSTREAM_KEY = "sk-ant-api03-SDKsuiteUpstreamKey0123456789"
MAX_BODY = 64 * 1024
# Seconds of upstream silence before the proxy gives up (a fault delays longer).
UPSTREAM_TIMEOUT = 2


def lantern_binary() -> Path:
    candidates = [os.environ.get("LANTERN_BIN")]
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(str(Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "lantern"))
    candidates.append(str(REPO / "target" / "debug" / "lantern"))
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    pytest.fail("no lantern binary: run `cargo build -p lantern` (or set LANTERN_BIN)")


@dataclass
class Proxy:
    url: str
    token: str
    data_dir: Path
    fake: FakeAnthropic
    proc: subprocess.Popen | None = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash or the OOM killer would."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def client(self, **kw: object) -> anthropic.Anthropic:
        opts: dict = {
            "api_key": self.token,
            "base_url": self.url,
            "max_retries": 0,
            "timeout": 30.0,
        }
        opts.update(kw)
        return anthropic.Anthropic(**opts)

    def upstream_bodies(self, path: str = "/v1/messages") -> list[dict]:
        return [r["body"] for r in self.fake.requests if r["path"] == path]


@contextlib.contextmanager
def serving(
    data: Path, fake: FakeAnthropic, *extra: str, max_body: int = MAX_BODY
) -> Iterator[Proxy]:
    """``lantern serve`` over ``data`` with ``fake`` as its upstream; stopped
    (SIGINT, so the journal is closed cleanly) when the block ends."""
    cmd = [
        str(lantern_binary()),
        "--data-dir",
        str(data),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--upstream-url",
        fake.url,
        "--upstream-timeout",
        str(UPSTREAM_TIMEOUT),
        "--max-body-bytes",
        str(max_body),
        "--venv",
        str(Path(sys.prefix)),
        *extra,
    ]
    env = {**os.environ, "ANTHROPIC_API_KEY": UPSTREAM_KEY}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        pytest.fail(
            f"lantern serve did not start: {line}{proc.stderr.read() if proc.stderr else ''}"
        )
    url = line.strip().rsplit(" ", 1)[-1]
    token = (data / "proxy-token").read_text().strip()
    try:
        yield Proxy(url=url, token=token, data_dir=data, fake=fake, proc=proc)
    finally:
        killed = proc.poll() is not None
        if not killed:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if not killed:
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


@pytest.fixture(scope="session")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with FakeAnthropic() as fake, serving(tmp_path_factory.mktemp("serve") / "data", fake) as p:
        yield p


@pytest.fixture()
def client(proxy: Proxy) -> anthropic.Anthropic:
    return proxy.client()

"""``lantern serve`` refuses what it must not do, before it listens."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import UPSTREAM_KEY, lantern_binary


def serve(
    tmp_path: Path, *args: str, key: str | None = UPSTREAM_KEY
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    cmd = [str(lantern_binary()), "--data-dir", str(tmp_path / "data"), "serve", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def test_no_upstream_key_is_refused_with_what_to_do(tmp_path: Path) -> None:
    r = serve(tmp_path, key=None)
    assert r.returncode != 0
    assert "$ANTHROPIC_API_KEY" in r.stderr and "--offline" in r.stderr
    r = serve(tmp_path, "--upstream-key-env", "MY_KEY")
    assert r.returncode != 0 and "$MY_KEY" in r.stderr


def test_a_non_loopback_address_needs_the_flag(tmp_path: Path) -> None:
    r = serve(tmp_path, "--listen", "0.0.0.0:0")
    assert r.returncode != 0 and "--allow-remote" in r.stderr


def test_tls_needs_both_files_and_readable_ones(tmp_path: Path) -> None:
    r = serve(tmp_path, "--tls-cert", "c.pem")
    assert r.returncode != 0 and "--tls-key" in r.stderr
    r = serve(
        tmp_path, "--listen", "127.0.0.1:0", "--tls-cert", "nope.pem", "--tls-key", "nope.key"
    )
    assert r.returncode != 0 and "nope.pem" in r.stderr


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "proxy-token").write_text("lantern-abc\n")
    (data / "proxy-token").chmod(0o644)
    r = serve(tmp_path, "--listen", "127.0.0.1:0")
    assert r.returncode != 0 and "chmod 600" in r.stderr

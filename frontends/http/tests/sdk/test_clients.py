"""Real clients of ``lantern serve``, installed from npm by the project's own
files (``scripts/install-clients.sh``; ``make test`` runs it): Claude Code in
print mode, and the official TypeScript SDK's suite (``../clients``).

Claude Code sends what today's agents send: ``POST /v1/messages?beta=true``,
always streamed, ~50 KB bodies with a ``system`` turn after the user's,
``thinking``, ``context_management``, ``output_config``, 12 tools and 8 betas.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, Proxy, lantern_binary, serving
from widget_log.testing.fake_anthropic import FakeAnthropic, reply_text

CLIENTS = Path(os.environ.get("LANTERN_CLIENTS_DIR", REPO / ".cache" / "npm-clients"))
PROMPT = "What is 2+2?"


def installed(name: str) -> Path:
    path = CLIENTS / "node_modules" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/install-clients.sh (make test does)")
    return path


def claude(proxy: Proxy, home: Path, *args: str) -> subprocess.CompletedProcess:
    """``claude -p PROMPT`` through the proxy, in a fresh HOME at ``home``."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    cwd = home.parent / "project"
    cwd.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "ANTHROPIC_BASE_URL": proxy.url,
        "ANTHROPIC_API_KEY": proxy.token,
    }
    cmd = [str(installed(".bin/claude")), "-p", PROMPT, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def main_requests(fake: FakeAnthropic) -> list[dict]:
    return [r for r in fake.requests if r["path"] == "/v1/messages"]


def lantern(data: Path, *args: str) -> str:
    cmd = [str(lantern_binary()), "--data-dir", str(data), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def journal(data: Path) -> list[dict]:
    """The proxy session's events, once ``lantern serve`` has stopped."""
    sessions = [json.loads(line) for line in lantern(data, "sessions", "--json").splitlines()]
    (session,) = [s for s in sessions if s["frontend"] == "Proxy"]
    return [
        json.loads(line)
        for line in lantern(data, "replay", "show", session["session"], "--json").splitlines()
    ]


def test_claude_code_works_through_lantern_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # The default body limit, what one journal record holds (Claude Code sends ~50 KB).
    limit = 16 * 1024 * 1024 - 64 * 1024
    with FakeAnthropic() as fake, serving(data, fake, max_body=limit) as proxy:
        first = claude(proxy, tmp_path / "a" / "home", "--output-format", "json")
        assert first.returncode == 0, first.stderr
        (sent,) = main_requests(fake)
        out = json.loads(first.stdout)
        assert out["result"] == reply_text(sent["body"]), "the answer is the fake's"
        # What Claude Code sent reached the upstream as it sent it.
        assert sent["query"] == "beta=true"
        assert len(sent["headers"]["anthropic-beta"].split(",")) >= 6
        assert sent["headers"]["x-api-key"] != proxy.token, "Lantern's token went upstream"
        roles = [m["role"] for m in sent["body"]["messages"]]
        assert "system" in roles and roles[0] == "user"
        for field in ("thinking", "context_management", "output_config", "tools", "metadata"):
            assert field in sent["body"], field
        assert sent["body"]["stream"] is True

        # The same prompt in a new session, in a HOME at the same place: the
        # same request but for `metadata` (a new session id) — an exact hit.
        again = claude(proxy, tmp_path / "a" / "home", "--output-format", "json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["result"] == out["result"]
        assert len(main_requests(fake)) == 1, "an identical request went upstream"

        # A HOME elsewhere: Claude Code puts its path in the system prompt,
        # so this is another request, and Lantern says which field differs.
        elsewhere = claude(proxy, tmp_path / "b" / "home", "--output-format", "json")
        assert elsewhere.returncode == 0, elsewhere.stderr
        other = main_requests(fake)[-1]
        captures = []
        for name, r in (("a", sent), ("b", other)):
            path = tmp_path / f"{name}.json"
            path.write_text(
                json.dumps({"body": r["body"], "headers": r["headers"], "query": r["query"]})
            )
            captures.append(str(path))
        explained = subprocess.run(
            [str(lantern_binary()), "cache-key", *captures],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        print(explained)
        assert "different fingerprints" in explained
        assert "system[2].text" in explained and "metadata" not in explained

        # Streamed JSON output (it needs --verbose in print mode).
        streamed = claude(
            proxy, tmp_path / "c" / "home", "--output-format", "stream-json", "--verbose"
        )
        assert streamed.returncode == 0, streamed.stderr
        lines = [json.loads(line) for line in streamed.stdout.splitlines() if line.strip()]
        assert lines[-1]["type"] == "result" and lines[-1]["subtype"] == "success"
        assert lines[-1]["result"] == reply_text(main_requests(fake)[-1]["body"])

    events = journal(data)
    kinds = [next(iter(e["event"])) for e in events]
    assert kinds.count("PromptSubmitted") == 4
    # Every request was journalled whole, and none was refined: its last turn is a system turn.
    skipped = [e["event"]["RefinementSkipped"] for e in events if "RefinementSkipped" in e["event"]]
    assert len(skipped) == 4
    assert skipped[0]["reason"] == {"LastTurnNotUser": {"role": "system"}}
    prompts = [
        e["event"]["PromptSubmitted"]["text"]["Full"]
        for e in events
        if "PromptSubmitted" in e["event"]
    ]
    assert all(PROMPT in p for p in prompts)
    outcomes = [
        next(iter(e["event"]["CacheChecked"]["outcome"]))
        for e in events
        if "CacheChecked" in e["event"]
    ]
    assert outcomes == ["Miss", "ExactHit", "Miss", "Miss"]
    assert kinds.count("ResponseDelivered") == 4


def test_the_typescript_sdk_suite(proxy: Proxy) -> None:
    installed("@anthropic-ai/sdk")
    suite = REPO / "frontends" / "http" / "tests" / "clients" / "sdk.test.mjs"
    env = {
        **os.environ,
        "LANTERN_URL": proxy.url,
        "LANTERN_TOKEN": proxy.token,
        "LANTERN_CLIENTS_DIR": str(CLIENTS),
    }
    r = subprocess.run(
        ["node", "--test", str(suite)], env=env, capture_output=True, text=True, timeout=300
    )
    print(r.stdout[-4000:])
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]

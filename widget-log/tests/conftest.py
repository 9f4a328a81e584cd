from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from widget_log.cache import Cache
from widget_log.config import load_config
from widget_log.embed import Embedder
from widget_log.key import RequestKey, prompt_key
from widget_log.store import Store
from widget_log.testing.fake_anthropic import FakeAnthropic
from widget_log.verify import Verifier


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never reach a real API, whatever the developer's shell holds.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(load_config()["embedding"])


@pytest.fixture(scope="module")
def verifier(embedder: Embedder) -> Verifier:
    return Verifier(embedder, None)


@pytest.fixture(scope="session")
def fake() -> Any:
    with FakeAnthropic() as server:
        yield server


def msg(text: str = "an answer", stop: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 34},
    }


def req(text: str, **context: Any) -> RequestKey:
    """The key of a one-turn prompt; ``context`` stands for the rest of the request."""
    model = str(context.pop("model", "claude-test"))
    return prompt_key(text, context=json.dumps(context, sort_keys=True), model=model)


@pytest.fixture
def make_cache(tmp_path, embedder):
    made: list[Cache] = []

    def _make(directory=None, **cache_over: Any) -> Cache:
        cfg = load_config({"cache": cache_over} if cache_over else None)
        d = tmp_path / "db" if directory is None else directory
        c = Cache(
            cfg["cache"], embedder, Store(d), Verifier(embedder, cfg["verifier"]), cfg["pricing"]
        )
        made.append(c)
        return c

    yield _make
    for c in made:
        with contextlib.suppress(Exception):
            c.close()

import json
import time

import httpx2
import pytest

from conftest import req
from widget_log.config import load_config
from widget_log.errors import GatewayError
from widget_log.sse import Accumulator, message_to_events
from widget_log.upstream import make_provider
from widget_log.upstream.openai_compat import OpenAICompatProvider, to_openai
from widget_log.upstream.retry import RetryPolicy, call_with_retries

ORDER_OK = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def provider(fake, **up):
    cfg = load_config({"upstream": {"anthropic": {"base_url": fake.url}, **up}})
    return make_provider(cfg, "sk-test-key")


def test_json_message(fake):
    m = provider(fake).create(req("hello there"), {})
    assert m["type"] == "message" and m["stop_reason"] == "end_turn"
    assert m["content"][0]["text"] == "Fake reply to: hello there"
    assert set(m["usage"]) >= {"input_tokens", "output_tokens", "cache_read_input_tokens"}
    last = fake.requests[-1]
    assert last["x-api-key"] == "sk-test-key" and last["anthropic-version"] == "2023-06-01"


def test_stream_order_and_accumulation(fake):
    acc = Accumulator()
    names = []
    for name, data in provider(fake).stream(req("stream this please now"), {}):
        names.append(name)
        acc.feed(name, data)
    collapsed = [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]
    assert collapsed == ORDER_OK
    assert acc.result()["content"][0]["text"] == "Fake reply to: stream this please now"


@pytest.mark.parametrize(
    "status,kind", [(429, "rate_limited"), (500, "server_error"), (529, "overloaded")]
)
def test_retryable_status_is_retried_until_success(fake, status, kind):
    p = provider(fake)
    hdr = {"x-fake-fault": f"status={status};times=2", "x-fake-fault-id": f"r{status}"}
    waits = []
    m, attempts = call_with_retries(
        lambda: p.create(req("retry"), hdr), RetryPolicy(3, 0.01, 0.02), sleep=waits.append
    )
    assert m["type"] == "message" and attempts == 3 and len(waits) == 2


def test_retry_after_is_honoured(fake):
    p = provider(fake)
    hdr = {"x-fake-fault": "status=429;retry_after=0.25;times=1", "x-fake-fault-id": "ra"}
    waits = []
    _, attempts = call_with_retries(
        lambda: p.create(req("x"), hdr), RetryPolicy(3, 5.0, 5.0), sleep=waits.append
    )
    assert attempts == 2 and waits == [0.25]


def test_retries_exhausted_gives_typed_error(fake):
    p = provider(fake)
    hdr = {"x-fake-fault": "status=529"}
    with pytest.raises(GatewayError) as ei:
        call_with_retries(
            lambda: p.create(req("x"), hdr), RetryPolicy(2, 0.0, 0.0), sleep=lambda s: None
        )
    e = ei.value
    assert (e.kind, e.status, e.retryable, e.attempts) == ("overloaded", 529, True, 3)


def test_client_errors_are_not_retried(fake):
    p = provider(fake)
    with pytest.raises(GatewayError) as ei:
        call_with_retries(
            lambda: p.create(req("x"), {"x-fake-fault": "status=400"}),
            RetryPolicy(3, 0.0, 0.0),
            sleep=lambda s: None,
        )
    assert (ei.value.kind, ei.value.retryable, ei.value.attempts) == ("invalid_request", False, 1)


def test_timeout(fake):
    p = provider(fake, timeout_seconds=0.2)
    t0 = time.monotonic()
    with pytest.raises(GatewayError) as ei:
        p.create(req("slow"), {"x-fake-fault": "delay=1.0"})
    assert ei.value.kind == "timeout" and ei.value.retryable
    assert time.monotonic() - t0 < 0.9


def test_disconnect_json(fake):
    with pytest.raises(GatewayError) as ei:
        provider(fake).create(req("x"), {"x-fake-fault": "disconnect"})
    assert ei.value.kind == "connection" and ei.value.retryable


def test_malformed_json(fake):
    with pytest.raises(GatewayError) as ei:
        provider(fake).create(req("x"), {"x-fake-fault": "malformed"})
    assert ei.value.kind == "malformed_response" and not ei.value.retryable


def test_disconnect_mid_stream_is_detected(fake):
    acc = Accumulator()
    with pytest.raises(GatewayError) as ei:
        for name, data in provider(fake).stream(
            req("one two three four five six"), {"x-fake-fault": "disconnect"}
        ):
            acc.feed(name, data)
        acc.result()
    assert ei.value.kind in ("stream_aborted", "connection")


@pytest.mark.parametrize(
    "fault,kind", [("malformed", "malformed_response"), ("error_event", "overloaded")]
)
def test_stream_faults(fake, fault, kind):
    with pytest.raises(GatewayError) as ei:
        for _ in provider(fake).stream(req("one two three four five six"), {"x-fake-fault": fault}):
            pass
    assert ei.value.kind == kind


def test_count_tokens_endpoint(fake):
    r = httpx2.post(
        f"{fake.url}/v1/messages/count_tokens",
        json={"model": "m", "messages": [{"role": "user", "content": "a b c"}]},
    )
    assert r.status_code == 200 and r.json()["input_tokens"] > 0


def test_offline_without_key():
    p = make_provider(load_config())
    assert p.name == "offline"
    m = p.create(req("anything"), {})
    assert m["offline"] is True and "offline" in m["content"][0]["text"]
    assert m == p.create(req("anything"), {})  # deterministic


def test_message_replay_round_trips():
    m = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [
            {"type": "text", "text": "x" * 150},
            {"type": "tool_use", "id": "tu_1", "name": "f", "input": {"a": [1, 2]}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 7},
    }
    acc = Accumulator()
    for name, data in message_to_events(m):
        acc.feed(name, data)
    assert acc.result() == m


def test_openai_translation_and_stream():
    body = to_openai(req("hi", system="be brief", stop_sequences=["X"]))
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["stop"] == ["X"] and body["max_tokens"] == 256
    p = OpenAICompatProvider(load_config()["upstream"], None)
    lines = [
        "data: " + json.dumps({"model": "llama", "choices": [{"delta": {"content": "Hel"}}]}),
        "data: "
        + json.dumps({"choices": [{"delta": {"content": "lo"}, "finish_reason": "length"}]}),
        "data: "
        + json.dumps({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
        "data: [DONE]",
    ]
    acc = Accumulator()
    for name, data in p._translate(iter(lines), "llama"):
        acc.feed(name, data)
    m = acc.result()
    assert m["content"][0]["text"] == "Hello" and m["stop_reason"] == "max_tokens"
    assert m["usage"]["output_tokens"] == 2
    with pytest.raises(GatewayError, match="ended before"):
        list(p._translate(iter(lines[:1]), "llama"))

"""Every response and stream of ``lantern serve`` parsed by the official SDK."""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
import uuid

import anthropic
import pytest

from conftest import MAX_BODY, UPSTREAM_KEY, UPSTREAM_TIMEOUT, Proxy

MODEL = "claude-opus-4-5"


def fresh(prompt: str) -> str:
    """A prompt no earlier test sent (the proxy's cache lives for the session)."""
    return f"{prompt} [{uuid.uuid4().hex[:8]}]"


def ask(client: anthropic.Anthropic, prompt: str, **kw):
    raw = client.messages.with_raw_response.create(
        model=MODEL,
        max_tokens=256,
        messages=[{"role": "user", "content": prompt}],
        **kw,
    )
    return raw.headers, raw.parse()


def test_a_miss_then_an_exact_hit(client: anthropic.Anthropic) -> None:
    prompt = fresh("How do I reverse a list in Python?")
    headers, first = ask(client, prompt)
    assert headers["x-lantern-cache"] == "miss"
    # A miss carries the upstream's own request-id; Lantern's is beside it.
    assert first._request_id.startswith("req_fake_") and headers["x-lantern-request-id"]
    assert first.content[0].text == f"Fake reply to: {prompt}"
    assert first.stop_reason == "end_turn" and first.usage.input_tokens > 0
    headers, second = ask(client, prompt)
    assert headers["x-lantern-cache"] == "hit-exact"
    assert float(headers["x-lantern-similarity"]) == 1.0
    assert second.content == first.content and second.id == first.id
    assert second._request_id == headers["x-lantern-request-id"], "a hit's id is Lantern's"


def stream_once(client: anthropic.Anthropic, prompt: str, **kw):
    with client.messages.stream(
        model=MODEL,
        max_tokens=256,
        messages=[{"role": "user", "content": prompt}],
        **kw,
    ) as s:
        text = "".join(s.text_stream)
        return s.response.headers, text, s.get_final_message()


def test_streams_miss_then_hit_and_both_parse(client: anthropic.Anthropic) -> None:
    prompt = fresh("Explain ownership in Rust briefly")
    headers, text, final = stream_once(client, prompt)
    assert headers["x-lantern-cache"] == "miss"
    assert headers["content-type"].startswith("text/event-stream")
    assert text == f"Fake reply to: {prompt}"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    headers, replayed, again = stream_once(client, prompt)
    assert headers["x-lantern-cache"] == "hit-exact"
    assert replayed == text
    assert again.usage.output_tokens == final.usage.output_tokens
    assert again.usage.input_tokens == final.usage.input_tokens


def test_a_streamed_answer_is_a_hit_for_a_whole_request_and_back(
    client: anthropic.Anthropic,
) -> None:
    prompt = fresh("What is a closure?")
    stream_once(client, prompt)
    headers, whole = ask(client, prompt)
    assert headers["x-lantern-cache"] == "hit-exact"
    assert whole.content[0].text == f"Fake reply to: {prompt}"


def test_raw_stream_events_are_in_anthropics_order(client: anthropic.Anthropic) -> None:
    prompt = fresh("Name three sorting algorithms")
    for expected in ("miss", "hit-exact"):
        raw = client.messages.with_raw_response.create(
            model=MODEL,
            max_tokens=64,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        assert raw.headers["x-lantern-cache"] == expected
        names = [event.type for event in raw.parse()]
        assert names[0] == "message_start" and names[-2:] == [
            "message_delta",
            "message_stop",
        ]
        assert "content_block_start" in names and "content_block_stop" in names


TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
    }
]


def test_tool_use_round_trip_whole_and_streamed(proxy: Proxy, client: anthropic.Anthropic) -> None:
    prompt = fresh("What is the weather in Paris?")
    choice = {"type": "tool", "name": "get_weather"}
    headers, msg = ask(client, prompt, tools=TOOLS, tool_choice=choice)
    assert headers["x-lantern-cache"] == "miss"
    assert msg.stop_reason == "tool_use"
    block = msg.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.input == {"query": prompt}
    sent = proxy.upstream_bodies()[-1]
    assert sent["tools"] == TOOLS and sent["tool_choice"] == choice

    # The same request streamed is a hit replayed as tool_use events the SDK assembles.
    headers, _, final = stream_once(client, prompt, tools=TOOLS, tool_choice=choice)
    assert headers["x-lantern-cache"] == "hit-exact"
    assert final.content[0].type == "tool_use" and final.content[0].input == {"query": prompt}

    # Without tools the same words are another request: the cache keeps them apart.
    headers, plain = ask(client, prompt)
    assert headers["x-lantern-cache"] == "miss" and plain.content[0].type == "text"

    # The tool result goes back; the last user turn has no text at all.
    result = client.messages.create(
        model=MODEL,
        max_tokens=128,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": [b.model_dump() for b in msg.content]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": block.id,
                        "content": "Sunny, 21 C",
                    }
                ],
            },
        ],
    )
    assert result.stop_reason == "end_turn"
    assert proxy.upstream_bodies()[-1]["messages"][-1]["content"][0]["type"] == "tool_result"


def test_the_full_request_shape_reaches_the_upstream(
    proxy: Proxy, client: anthropic.Anthropic
) -> None:
    prompt = fresh("Summarise the plan")
    params = {
        "model": MODEL,
        "max_tokens": 2048,
        "system": [
            {
                "type": "text",
                "text": "Be terse.",
                "cache_control": {"type": "ephemeral"},
            }
        ],
        "metadata": {"user_id": "user-7"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "stop_sequences": ["END"],
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": prompt,
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            },
        ],
    }
    client.messages.create(
        **params, extra_headers={"anthropic-beta": "fine-grained-tool-streaming"}
    )
    sent = proxy.upstream_bodies()[-1]
    assert sent == params
    got = proxy.fake.requests[-1]
    assert got["anthropic-beta"] == "fine-grained-tool-streaming"
    assert got["x-api-key"] == UPSTREAM_KEY
    assert proxy.token not in json.dumps(proxy.fake.requests)


def test_cache_headers_and_namespaces(client: anthropic.Anthropic) -> None:
    prompt = fresh("What is a monad?")
    assert (
        ask(client, prompt, extra_headers={"x-lantern-cache": "no-store"})[0]["x-lantern-cache"]
        == "miss"
    )
    assert (
        ask(client, prompt, extra_headers={"x-lantern-cache": "no-cache"})[0]["x-lantern-cache"]
        == "bypass"
    )
    assert ask(client, prompt)[0]["x-lantern-cache"] == "hit-exact"
    other = {"x-lantern-namespace": "another-team"}
    assert ask(client, prompt, extra_headers=other)[0]["x-lantern-cache"] == "miss"


def test_count_tokens_passes_through(proxy: Proxy, client: anthropic.Anthropic) -> None:
    count = client.messages.count_tokens(
        model=MODEL,
        system="be brief",
        messages=[{"role": "user", "content": "one two three"}],
    )
    assert count.input_tokens == 8
    assert proxy.upstream_bodies("/v1/messages/count_tokens")[-1]["system"] == "be brief"


# --- every error, as the SDK's typed exceptions ---


def test_a_wrong_or_missing_token_is_an_authentication_error(proxy: Proxy) -> None:
    with pytest.raises(anthropic.AuthenticationError) as e:
        ask(proxy.client(api_key="lantern-wrong"), "hi")
    assert e.value.status_code == 401
    assert e.value.body["error"]["type"] == "authentication_error"
    with pytest.raises(anthropic.AuthenticationError):
        ask(
            proxy.client(api_key=UPSTREAM_KEY),
            "the upstream key is not a Lantern token",
        )


def test_what_lantern_checks_itself_is_a_bad_request_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model="", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert "model" in e.value.message
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model=MODEL, max_tokens=10, messages="not a list")  # type: ignore[arg-type]
    assert "messages" in e.value.message
    with pytest.raises(anthropic.BadRequestError):
        ask(client, "x", extra_headers={"x-lantern-cache": "maybe"})


def test_what_lantern_does_not_need_is_the_upstreams_to_judge(
    proxy: Proxy, client: anthropic.Anthropic
) -> None:
    # An unknown role, an unknown block type and an invented field reach the
    # upstream as sent; the fake, like the real API here, accepts them.
    prompt = fresh("odd shapes")
    msg = client.messages.create(
        model=MODEL,
        max_tokens=10,
        messages=[
            {"role": "user", "content": [{"type": "invented_block", "x": 1}]},  # type: ignore[list-item]
            {"role": "system", "content": "a reminder"},  # type: ignore[list-item]
            {"role": "user", "content": prompt},
        ],
        extra_body={"invented_field": {"nested": True}},
    )
    assert msg.content[0].text == f"Fake reply to: {prompt}"
    sent = proxy.upstream_bodies()[-1]
    assert sent["invented_field"] == {"nested": True} and sent["messages"][1]["role"] == "system"


def test_a_body_over_the_limit_is_too_large(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RequestTooLargeError) as e:
        ask(client, "x" * (MAX_BODY + 1))
    assert e.value.status_code == 413 and e.value.body["error"]["type"] == "request_too_large"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("status=529", anthropic.OverloadedError),
        ("status=429", anthropic.RateLimitError),
        ("status=500", anthropic.InternalServerError),
        ("status=400", anthropic.BadRequestError),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
def test_upstream_errors_keep_their_status(
    client: anthropic.Anthropic, fault: str, error: type, streaming: bool
) -> None:
    headers = {"x-fake-fault": fault}
    with pytest.raises(error):
        if streaming:
            stream_once(client, fresh("fail"), extra_headers=headers)
        else:
            ask(client, fresh("fail"), extra_headers=headers)


def test_an_upstream_that_goes_silent_is_a_gateway_timeout(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as e:
        ask(client, fresh("slow"), extra_headers={"x-fake-fault": f"delay={UPSTREAM_TIMEOUT + 1}"})
    assert e.value.status_code == 504 and e.value.body["error"]["type"] == "timeout_error"


def test_garbage_from_the_upstream_reaches_the_sdk_as_it_was_sent(
    client: anthropic.Anthropic,
) -> None:
    # A 200 with a broken body: passed on unchanged (the SDK cannot read it), never stored.
    prompt = fresh("garbage")
    with pytest.raises(Exception) as e:
        ask(client, prompt, extra_headers={"x-fake-fault": "malformed"})
    assert not isinstance(e.value, anthropic.APIStatusError), e.value
    assert ask(client, prompt)[0]["x-lantern-cache"] == "miss"


def test_retry_after_reaches_the_client(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as e:
        ask(client, fresh("slow down"), extra_headers={"x-fake-fault": "status=429;retry_after=7"})
    assert e.value.response.headers["retry-after"] == "7"


def test_a_stream_broken_upstream_raises_and_is_not_stored(
    client: anthropic.Anthropic,
) -> None:
    prompt = fresh("this stream breaks")
    with pytest.raises(anthropic.APIStatusError) as e:
        stream_once(client, prompt, extra_headers={"x-fake-fault": "error_event"})
    assert "overloaded" in str(e.value)
    headers, text, _ = stream_once(client, prompt)
    assert headers["x-lantern-cache"] == "miss" and text == f"Fake reply to: {prompt}"


def test_a_truncated_answer_is_served_but_not_stored(
    client: anthropic.Anthropic,
) -> None:
    prompt = fresh("a long answer please")
    _, msg = ask(client, prompt, extra_headers={"x-fake-fault": "max_tokens"})
    assert msg.stop_reason == "max_tokens"
    assert ask(client, prompt)[0]["x-lantern-cache"] == "miss"


def test_unknown_paths_are_not_found(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError):
        client.get("/v1/models/nope", cast_to=object)


# --- the other routes, as any HTTP client sees them ---


def get(proxy: Proxy, path: str, token: str | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(proxy.url + path)
    if token:
        req.add_header("x-api-key", token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_health_stats_and_metrics(proxy: Proxy, client: anthropic.Anthropic) -> None:
    ask(client, fresh("count me"))
    status, _, body = get(proxy, "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, _, body = get(proxy, "/stats")
    assert status == 401 and json.loads(body)["error"]["type"] == "authentication_error"
    status, _, body = get(proxy, "/stats", proxy.token)
    stats = json.loads(body)
    assert stats["requests"]["/v1/messages"]["200"] >= 1
    assert stats["widget_log"]["entries"] >= 1
    status, headers, body = get(proxy, "/metrics", proxy.token)
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'lantern_cache_results_total{result="miss"}' in text
    for line in text.splitlines():
        if line and not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_the_token_file_is_private_and_secrets_stay_out_of_the_data_dir(
    proxy: Proxy, client: anthropic.Anthropic
) -> None:
    ask(client, fresh("anything"))
    mode = stat.S_IMODE(os.stat(proxy.data_dir / "proxy-token").st_mode)
    assert mode == 0o600
    # The control socket: no content to read, and only its owner may connect.
    sock = os.stat(proxy.data_dir / "control.sock")
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600
    for root, _, files in os.walk(proxy.data_dir):
        for name in files:
            path = proxy.data_dir / root / name
            if name == "proxy-token" or not stat.S_ISREG(os.stat(path).st_mode):
                continue
            data = path.read_bytes()
            assert UPSTREAM_KEY.encode() not in data, name
            assert proxy.token.encode() not in data, name

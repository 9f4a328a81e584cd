import json

import pytest

from widget_log import bridge

KEY = "sk-ant-secret-abc123"


@pytest.fixture
def gw(tmp_path, fake):
    cfg = {
        "data_dir": str(tmp_path / "data"),
        "upstream": {"anthropic": {"base_url": fake.url}, "backoff_initial_seconds": 0.01},
    }
    out = json.loads(bridge.initialize(json.dumps(cfg)))
    assert out["ok"] is True and out["entries"] == 0
    yield tmp_path / "data"
    assert json.loads(bridge.shutdown()) == {"ok": True}


def body(text, **extra):
    """A bridge request for one user turn, as JSON."""
    turn = {"role": "user", "content": text}
    req = {"model": "claude-test", "max_tokens": 64, "messages": [turn]}
    return json.dumps({"request": req, **extra})


def call(text, **extra):
    return json.loads(bridge.process(body(text, **extra)))


def chunks(text, **extra):
    return [json.loads(c) for c in bridge.stream(body(text, **extra))]


def assert_error(obj, kind):
    assert obj["ok"] is False
    assert set(obj["error"]) == {"kind", "status", "message", "retryable"}
    assert obj["error"]["kind"] == kind


def test_not_initialized():
    bridge.shutdown()
    assert_error(json.loads(bridge.process("{}")), "not_initialized")
    assert_error(json.loads(bridge.stats()), "not_initialized")
    assert json.loads(bridge.health()) == {"ok": True, "initialized": False}
    last = json.loads(list(bridge.stream("{}"))[-1])
    assert last["event"] == "lantern_result"
    assert_error(last["data"], "not_initialized")


def test_bad_inputs_are_typed_errors(gw):
    assert_error(json.loads(bridge.process("not json")), "invalid_json")
    assert_error(json.loads(bridge.process(json.dumps({"request": 3}))), "invalid_request")
    assert_error(call("x", cache="sometimes"), "invalid_request")
    bad = {"request": {"model": "m", "max_tokens": 5, "messages": []}}
    assert_error(json.loads(bridge.process(json.dumps(bad))), "invalid_request")
    assert_error(json.loads(bridge.initialize('{"cache": {"nope": 1}}')), "config")
    assert_error(json.loads(bridge.invalidate("")), "invalid_request")


def test_process_miss_then_hits(gw):
    r1 = call("How do I reverse a list in Python?", api_key=KEY)
    assert r1["ok"] and r1["source"] == "upstream" and r1["attempts"] == 1
    assert r1["cache"] == {"outcome": "miss", "reason": {"kind": "empty"}}
    assert set(r1["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    }
    assert r1["response"]["type"] == "message" and isinstance(r1["latency_ms"], float)
    r2 = call("How do I reverse a list in Python?", api_key=KEY)
    assert r2["source"] == "cache" and r2["cache"]["outcome"] == "exact_hit"
    assert r2["response"]["content"] == r1["response"]["content"]
    r3 = call("whats the pythonic way to reverse a list", api_key=KEY)
    assert r3["cache"]["outcome"] == "semantic_hit"
    assert r3["cache"]["entry_id"] == r1["stored_entry_id"]
    st = json.loads(bridge.stats())["stats"]
    assert (st["lookups"], st["exact_hits"], st["semantic_hits"]) == (3, 1, 1)
    h = json.loads(bridge.health())
    assert h["initialized"] and h["entries"] == 1


def test_secrets_never_reach_the_db(gw):
    call("Tell me about the borrow checker", api_key=KEY)
    bridge.shutdown()
    blob = b"".join(p.read_bytes() for p in gw.iterdir() if p.is_file())
    assert b"Tell me about the borrow checker" in blob  # the entry is there...
    assert KEY.encode() not in blob  # ...the key is not


def test_cache_modes(gw):
    call("no store question", api_key=KEY, cache="no-store")
    assert call("no store question", api_key=KEY)["source"] == "upstream"
    r = call("no store question", api_key=KEY, cache="no-cache")
    assert r["cache"] == {"outcome": "miss", "reason": {"kind": "bypassed"}}
    assert r["source"] == "upstream"
    # "off": neither read nor stored (Lantern's own rewrite and suggestion calls).
    off = call("internal question", api_key=KEY, cache="off")
    assert off["cache"]["reason"]["kind"] == "bypassed" and off["stored_entry_id"] is None
    assert call("internal question", api_key=KEY)["cache"]["outcome"] == "miss"


def test_invalidate(gw):
    eid = call("flag me as wrong", api_key=KEY)["stored_entry_id"]
    assert call("flag me as wrong", api_key=KEY)["source"] == "cache"
    assert json.loads(bridge.invalidate(eid)) == {"ok": True, "invalidated": True}
    assert call("flag me as wrong", api_key=KEY)["source"] == "upstream"
    assert json.loads(bridge.invalidate(eid)) == {"ok": True, "invalidated": False}


def test_offline_answers_are_cached_apart_and_never_shadow_real_ones(gw):
    r = call("anything at all")
    assert r["source"] == "offline" and r["response"]["offline"] is True
    assert "offline" in r["response"]["content"][0]["text"]
    assert r["namespace"] == "default@offline" and r["stored_entry_id"]
    again = call("anything at all")
    assert again["source"] == "cache" and again["namespace"] == "default@offline"
    assert again["cache"] == {"outcome": "exact_hit", "entry_id": r["stored_entry_id"]}
    # With a key, the same prompt goes upstream: the offline entry is not served.
    real = call("anything at all", api_key=KEY)
    assert real["source"] == "upstream" and real["namespace"] == "default"
    assert real["cache"]["outcome"] == "miss"


def test_upstream_error_is_typed(gw):
    r = call("boom", api_key=KEY, headers={"x-fake-fault": "status=401"})
    assert_error(r, "authentication")
    assert r["error"]["status"] == 401 and r["error"]["retryable"] is False


def test_stream_then_replay(gw):
    first = chunks("stream me a reply please", api_key=KEY)
    names = [c["event"] for c in first]
    assert names[0] == "message_start" and names[-2:] == ["message_stop", "lantern_result"]
    res = first[-1]["data"]
    assert res["ok"] and res["source"] == "upstream" and res["stored_entry_id"]
    again = chunks("stream me a reply please", api_key=KEY)
    assert [c["event"] for c in again][-1] == "lantern_result"
    assert again[-1]["data"]["source"] == "cache"
    assert again[-1]["data"]["cache"]["outcome"] == "exact_hit"
    text = "".join(c["data"]["delta"]["text"] for c in again if c["event"] == "content_block_delta")
    assert text == "Fake reply to: stream me a reply please"


def test_stream_retries_before_first_byte(gw):
    out = chunks(
        "retry stream",
        api_key=KEY,
        headers={"x-fake-fault": "status=529;times=1", "x-fake-fault-id": "sb"},
    )
    assert out[-1]["data"]["ok"] and out[-1]["data"]["attempts"] == 2


@pytest.mark.parametrize("fault", ["disconnect", "malformed", "error_event"])
def test_aborted_streams_are_reported_and_not_stored(gw, fault):
    out = chunks("one two three four five six seven", api_key=KEY, headers={"x-fake-fault": fault})
    assert out[-2]["event"] == "error"
    assert_error(out[-1]["data"], out[-1]["data"]["error"]["kind"])
    assert json.loads(bridge.stats())["stats"]["entries"] == 0


def test_truncated_answer_not_stored(gw):
    r = call("cut me short please now", api_key=KEY, headers={"x-fake-fault": "max_tokens"})
    assert r["ok"] and r["response"]["stop_reason"] == "max_tokens"
    assert r["stored_entry_id"] is None
    assert call("cut me short please now", api_key=KEY)["source"] == "upstream"


def test_persisted_across_initialize(gw, tmp_path, fake):
    call("remember me across restarts", api_key=KEY)
    bridge.shutdown()
    cfg = {"data_dir": str(gw), "upstream": {"anthropic": {"base_url": fake.url}}}
    assert json.loads(bridge.initialize(json.dumps(cfg)))["entries"] == 1
    assert call("remember me across restarts", api_key=KEY)["source"] == "cache"


def peek(text, **extra):
    return json.loads(bridge.peek(body(text, **extra)))


def test_peek_reports_the_outcome_and_changes_nothing(gw):
    assert peek("How do I reverse a list in Python?", api_key=KEY)["cache"] == {
        "outcome": "miss",
        "reason": {"kind": "empty"},
    }
    r1 = call("How do I reverse a list in Python?", api_key=KEY)
    before = json.loads(bridge.stats())["stats"]
    exact = peek("How do I reverse a list in Python?", api_key=KEY)
    assert exact == {
        "ok": True,
        "cache": {"outcome": "exact_hit", "entry_id": r1["stored_entry_id"]},
        "namespace": "default",
    }
    near_miss = peek("How do I reverse a string in Python?", api_key=KEY)["cache"]
    assert near_miss["outcome"] == "miss", near_miss
    assert near_miss["reason"]["kind"] in ("guard_rejected", "below_threshold")
    assert json.loads(bridge.stats())["stats"] == before
    assert_error(json.loads(bridge.peek("not json")), "invalid_json")

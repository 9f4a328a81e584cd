"""The JSON API the Rust CacheBridge calls (``widget_log.bridge``)."""

import json
import sqlite3

import pytest

from conftest import msg, req
from widget_log import bridge


@pytest.fixture
def gw(tmp_path):
    cfg = {"data_dir": str(tmp_path / "data")}
    out = json.loads(bridge.initialize(json.dumps(cfg)))
    assert out["ok"] is True and out["entries"] == 0
    assert "end_turn" in out["storable_stop_reasons"]
    yield tmp_path / "data"
    assert json.loads(bridge.shutdown()) == {"ok": True}


def request(text, namespace="default", **extra):
    k = req(text)
    key = {"fingerprint": k.fingerprint, "exact_key": k.exact_key, "text": k.last_user_text}
    return json.dumps({"key": {**key, "model": k.model}, "namespace": namespace, **extra})


def lookup(text, **extra):
    answer, response = bridge.lookup(request(text, **extra))
    return json.loads(answer), response


def store(text, message=None, **extra):
    return json.loads(bridge.store(request(text, **extra), json.dumps(message or msg())))


def assert_error(obj, kind):
    assert obj["ok"] is False
    assert set(obj["error"]) == {"kind", "status", "message", "retryable"}
    assert obj["error"]["kind"] == kind


def test_not_initialized():
    bridge.shutdown()
    answer, response = bridge.lookup("{}")
    assert_error(json.loads(answer), "not_initialized")
    assert response is None
    assert_error(json.loads(bridge.stats()), "not_initialized")
    assert json.loads(bridge.health()) == {"ok": True, "initialized": False}


def test_bad_inputs_are_typed_errors(gw):
    assert_error(json.loads(bridge.lookup("not json")[0]), "invalid_json")
    assert_error(json.loads(bridge.lookup(json.dumps({"key": 3}))[0]), "invalid_request")
    missing = json.dumps({"key": {"fingerprint": "f", "exact_key": "e", "text": "t"}})
    assert_error(json.loads(bridge.lookup(missing)[0]), "invalid_request")
    assert_error(lookup("x", mode="sometimes")[0], "invalid_request")
    assert_error(lookup("x", semantic="maybe")[0], "invalid_request")
    assert_error(lookup("x", namespace="")[0], "invalid_request")
    assert_error(json.loads(bridge.store(request("x"), "not json")), "invalid_json")
    assert_error(json.loads(bridge.store(request("x", entry_id=""), "{}")), "invalid_request")
    assert_error(json.loads(bridge.initialize('{"cache": {"nope": 1}}')), "config")
    assert_error(json.loads(bridge.invalidate("")), "invalid_request")


@pytest.mark.parametrize(
    "odd",
    [
        {"usage": {"input_tokens": 10**30, "output_tokens": -5}},  # found by fuzzing
        {"usage": "lots"},
        {"usage": {"input_tokens": True, "output_tokens": 2.5}},
        {"content": [{"type": "text", "text": None}]},
    ],
)
def test_odd_answers_are_stored_or_refused_never_an_internal_error(gw, odd):
    text = "an odd answer " + json.dumps(odd, sort_keys=True)
    out = store(text, {**msg(), **odd})
    assert out["ok"], out
    again = json.loads(bridge.lookup(request(text))[0])
    assert again["ok"], again


def test_a_stored_answer_comes_back_as_the_text_it_was_stored_as(gw):
    text = (
        '{"type":"message","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn","z":1}'
    )
    stored = json.loads(bridge.store(request("keep my bytes", entry_id="e1"), text))
    assert stored == {"ok": True, "stored": True, "entry_id": "e1", "why": None}
    answer, response = lookup("keep my bytes")
    assert answer["cache"] == {"outcome": "exact_hit", "entry_id": "e1"}
    assert response == text
    assert answer["lookup_ms"] >= 0


def test_semantic_off_serves_exact_matches_only(gw):
    store("How do I reverse a list in Python?")
    assert lookup("How do I reverse a list in Python?", semantic="off")[0]["cache"]["outcome"] == (
        "exact_hit"
    )
    off = lookup("whats the pythonic way to reverse a list", semantic="off")[0]["cache"]
    assert off == {"outcome": "miss", "reason": {"kind": "exact_only"}}
    served = lookup("whats the pythonic way to reverse a list")[0]["cache"]
    assert served["outcome"] == "semantic_hit"


def test_offer_returns_the_candidate_and_its_verdict_but_serves_nothing(gw):
    eid = store("How do I reverse a list in Python?")["entry_id"]
    answer, response = lookup("whats the pythonic way to reverse a list", semantic="offer")
    offer = answer["cache"]
    assert offer["outcome"] == "semantic_offer", answer
    assert offer["entry_id"] == eid and offer["accepted"] is True and offer["reason"] is None
    assert offer["matched_prompt"] == "How do I reverse a list in Python?"
    assert 0.8 < offer["similarity"] <= 1.0
    assert json.loads(response)["content"][0]["text"] == "an answer"
    # A sibling the verifier refuses is still offered, with the refusal's reason.
    refused, response = lookup("How do I reverse a string in Python?", semantic="offer")
    assert refused["cache"]["outcome"] == "semantic_offer", refused
    assert refused["cache"]["accepted"] is False and refused["cache"]["reason"]
    assert response is not None
    # An exact match is still served, and an offer is no hit.
    assert lookup("How do I reverse a list in Python?", semantic="offer")[0]["cache"][
        "outcome"
    ] == ("exact_hit")
    stats = json.loads(bridge.stats())["stats"]
    assert stats["semantic_offers"] == 2 and stats["semantic_hits"] == 0
    assert stats["exact_hits"] == 1
    # A peek offers too, and counts nothing.
    peek, response = lookup(
        "whats the pythonic way to reverse a list", semantic="offer", record=False
    )
    assert peek["cache"]["outcome"] == "semantic_offer" and response is None
    assert json.loads(bridge.stats())["stats"]["semantic_offers"] == 2


def test_offer_needs_a_close_enough_candidate(gw):
    store("How do I reverse a list in Python?")
    far = lookup("How do I sort a dictionary by value in Python?", semantic="offer")[0]["cache"]
    assert far["outcome"] == "miss", far


def test_a_paraphrase_right_after_a_store_sees_it(gw):
    # The embedding is computed behind the store; the lookup waits for it.
    store("How do I reverse a list in Python?")
    answer, response = lookup("whats the pythonic way to reverse a list")
    assert answer["cache"]["outcome"] == "semantic_hit", answer
    assert json.loads(response)["content"][0]["text"] == "an answer"


def test_truncated_and_empty_answers_are_not_stored(gw):
    cut = store("cut me short", msg(stop="max_tokens"))
    assert cut == {"ok": True, "stored": False, "entry_id": None, "why": "stop_reason_max_tokens"}
    assert lookup("cut me short")[1] is None
    empty = store("nothing said", {**msg(), "content": []})
    assert empty["why"] == "empty_content"


def test_modes_and_invalidation(gw):
    eid = store("flag me as wrong")["entry_id"]
    assert lookup("flag me as wrong", mode="no-cache")[0]["cache"]["reason"]["kind"] == "bypassed"
    assert lookup("flag me as wrong", mode="off")[0]["cache"]["reason"]["kind"] == "bypassed"
    assert lookup("flag me as wrong")[0]["cache"] == {"outcome": "exact_hit", "entry_id": eid}
    assert json.loads(bridge.invalidate(eid)) == {"ok": True, "invalidated": True}
    assert lookup("flag me as wrong")[1] is None
    assert json.loads(bridge.invalidate(eid)) == {"ok": True, "invalidated": False}


def test_namespaces_never_cross(gw):
    store("team secret plan", namespace="alice")
    assert lookup("team secret plan", namespace="bob")[1] is None
    assert lookup("team secret plan", namespace="alice")[1] is not None


def test_peek_reports_the_outcome_and_changes_nothing(gw):
    assert lookup("How do I reverse a list?", record=False)[0]["cache"]["reason"]["kind"] == "empty"
    eid = store("How do I reverse a list?")["entry_id"]
    before = json.loads(bridge.stats())["stats"]
    answer, response = lookup("How do I reverse a list?", record=False)
    assert answer["cache"] == {"outcome": "exact_hit", "entry_id": eid}
    assert response is None
    assert json.loads(bridge.stats())["stats"] == before


def test_persisted_across_initialize_with_the_embedding_written_behind(gw):
    store("How do I reverse a list in Python?")
    bridge.shutdown()  # waits for the embedding thread
    db = sqlite3.connect(gw / "cache.sqlite3")
    ((model, size),) = db.execute("SELECT embed_model, length(vector) FROM entries").fetchall()
    db.close()
    assert model and size == 384 * 4
    assert json.loads(bridge.initialize(json.dumps({"data_dir": str(gw)})))["entries"] == 1
    assert lookup("How do I reverse a list in Python?")[0]["cache"]["outcome"] == "exact_hit"
    paraphrase = lookup("whats the pythonic way to reverse a list")[0]["cache"]
    assert paraphrase["outcome"] == "semantic_hit"


def test_health_and_stats(gw):
    store("count me")
    lookup("count me")
    h = json.loads(bridge.health())
    assert h["initialized"] and h["entries"] == 1
    s = json.loads(bridge.stats())["stats"]
    assert (s["stored"], s["exact_hits"], s["entries"]) == (1, 1, 1)


def test_initialize_says_how_exact_answers_may_be_held(tmp_path):
    cfg = {"data_dir": ":memory:", "cache": {"ttl_seconds": 60}}
    out = json.loads(bridge.initialize(json.dumps(cfg)))
    assert (out["ttl_seconds"], out["serves_exact"]) == (60.0, True)
    off = json.loads(bridge.initialize(json.dumps({**cfg, "cache": {"exact": False}})))
    assert off["serves_exact"] is False
    bridge.shutdown()


def test_an_exact_hit_carries_its_expiry(gw):
    store("when does it end", entry_id="t1")
    answer, _ = lookup("when does it end")
    assert answer["expires_at"] > 0
    peeked, _ = lookup("when does it end", record=False)
    assert "expires_at" not in peeked, "a peek reads no answer, so it holds none"


def test_hits_served_elsewhere_count_and_touch_their_entries(gw):
    store("served by lantern", entry_id="s1")
    answer = json.loads(bridge.served(json.dumps(["s1", "s1", "gone", "gone"])))
    assert answer == {"ok": True, "gone": ["gone"]}
    s = json.loads(bridge.stats(json.dumps(["s1"])))["stats"]
    assert (s["lookups"], s["exact_hits"]) == (5, 5)
    assert s["tokens_saved"]["output"] > 0 and s["cost_saved_usd"] > 0
    bridge.invalidate("s1")
    assert json.loads(bridge.served('["s1"]'))["gone"] == ["s1"], "what it no longer holds is named"
    assert_error(json.loads(bridge.served('{"not": "a list"}')), "invalid_request")
    assert_error(json.loads(bridge.stats("[1]")), "invalid_request")

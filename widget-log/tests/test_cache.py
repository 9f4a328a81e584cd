import os
import sqlite3
import sys

import numpy as np
import pytest

import widget_log.cache as cache_mod
from conftest import msg, req
from widget_log.index import Partition


def test_exact_then_semantic_hit(make_cache):
    c = make_cache()
    assert c.lookup(req("How do I reverse a list in Python?")).outcome == {
        "outcome": "miss",
        "reason": {"kind": "empty"},
    }
    eid = c.put(req("How do I reverse a list in Python?"), msg("use reversed()"))
    r = c.lookup(req("How do I reverse a list in Python?"))
    assert r.outcome == {"outcome": "exact_hit", "entry_id": eid}
    assert r.message["content"][0]["text"] == "use reversed()"
    s = c.lookup(req("whats the pythonic way to reverse a list"))
    assert s.outcome["outcome"] == "semantic_hit"
    assert s.outcome["entry_id"] == eid
    assert s.outcome["matched_prompt"] == "How do I reverse a list in Python?"
    assert 0.75 <= s.outcome["similarity"] <= 1.0


def test_below_threshold_and_guard_rejected(make_cache):
    c = make_cache()
    c.put(req("What does HTTP status code 401 mean?"), msg())
    far = c.lookup(req("Write a haiku about autumn leaves"))
    assert far.outcome["reason"]["kind"] == "below_threshold"
    assert far.outcome["reason"]["best"] < 0.75
    near = c.lookup(req("What does HTTP status code 403 mean?"))
    assert near.outcome["reason"]["kind"] == "guard_rejected"
    assert near.outcome["reason"]["reason"].startswith("number_mismatch")
    assert near.outcome["reason"]["best"] >= 0.75


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        # fire and pizza emoji: cosine 1.0
        ("\U0001f525\U0001f525\U0001f525", "\U0001f355\U0001f355\U0001f355"),
        ("\uffff", "\u03a9\u2248\u00e7\u221a\u222b\u2026"),  # both all unknown tokens
        ("?!?!", "!!!"),
        ("\u2192 \u2190", "\u2191 \u2193"),
    ],
)
def test_prompts_without_words_match_exactly_or_not_at_all(make_cache, stored, asked):
    c = make_cache()
    eid = c.put(req(stored), msg("the answer to " + stored))
    c.wait_embedded()
    assert c.lookup(req(stored)).outcome == {"outcome": "exact_hit", "entry_id": eid}
    assert c.lookup(req(asked)).outcome == {"outcome": "miss", "reason": {"kind": "no_words"}}
    # Nor is a wordless entry a semantic candidate for a prompt with words.
    worded = c.lookup(req("what does " + stored + " mean"))
    assert worded.outcome["outcome"] == "miss"


def test_a_single_known_word_is_enough_for_semantic_matching(embedder):
    assert embedder.has_words("fix \U0001f525")
    assert embedder.has_words("\u00e9t\u00e9")  # accents are stripped to known letters
    assert not embedder.has_words("\U0001f355 + \U0001f525 = ?")
    assert not embedder.has_words("2+2")


@pytest.mark.parametrize(
    "over",
    [
        {"model": "claude-other"},
        {"system": "You are a pirate."},
        {"tools": [{"name": "x", "input_schema": {"type": "object"}}]},
        {"temperature": 1.0},
    ],
)
def test_same_text_different_context_never_hits(make_cache, over):
    c = make_cache()
    c.put(req("How do I reverse a list in Python?"), msg())
    r = c.lookup(req("How do I reverse a list in Python?", **over))
    assert r.outcome == {"outcome": "miss", "reason": {"kind": "empty"}}


def test_namespaces_are_isolated(make_cache):
    c = make_cache()
    c.put(req("How do I reverse a list in Python?"), msg(), namespace="alice")
    assert not c.lookup(req("How do I reverse a list in Python?"), "bob").hit
    assert not c.lookup(req("how can i reverse a python list"), "bob").hit
    assert c.lookup(req("How do I reverse a list in Python?"), "alice").hit
    assert c.stats()["namespaces"] == {"alice": 1}


def test_ttl_expiry(make_cache, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(cache_mod.time, "time", lambda: now[0])
    c = make_cache(ttl_seconds=60)
    c.put(req("How do I reverse a list in Python?"), msg())
    now[0] += 59
    assert c.lookup(req("How do I reverse a list in Python?")).hit
    now[0] += 2
    r = c.lookup(req("How do I reverse a list in Python?"))
    assert not r.hit and r.outcome["reason"]["kind"] == "empty"
    assert c.stats()["expired"] == 1 and c.stats()["entries"] == 0


def test_lru_eviction(make_cache):
    c = make_cache(max_entries=2)
    a = c.put(req("first question about sqlite"), msg())
    c.put(req("second question about redis"), msg())
    assert c.lookup(req("first question about sqlite")).hit  # a is now most recent
    c.put(req("third question about kafka"), msg())
    assert c.stats()["entries"] == 2 and c.stats()["evicted"] == 1
    assert c.lookup(req("first question about sqlite")).outcome["entry_id"] == a
    assert c.lookup(req("second question about redis")).outcome["outcome"] != "exact_hit"


def test_persistence_across_restart(make_cache, tmp_path):
    d = tmp_path / "persist"
    c1 = make_cache(d)
    eid = c1.put(req("How do I reverse a list in Python?"), msg("reversed"))
    c1.lookup(req("How do I reverse a list in Python?"))
    c1.close()
    c2 = make_cache(d)
    r = c2.lookup(req("How do I reverse a list in Python?"))
    assert r.outcome == {"outcome": "exact_hit", "entry_id": eid}
    assert c2.lookup(req("how can i reverse a python list")).outcome["outcome"] == "semantic_hit"
    st = c2.stats()
    assert st["exact_hits"] == 2 and st["lookups"] == 3  # stats survived the restart
    mode = sqlite3.connect(d / "cache.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_invalidate(make_cache):
    c = make_cache()
    eid = c.put(req("How do I reverse a list in Python?"), msg("wrong"))
    assert c.invalidate(eid) is True
    assert not c.lookup(req("How do I reverse a list in Python?")).hit
    assert c.invalidate(eid) is False
    assert c.stats()["invalidated"] == 1


@pytest.mark.parametrize(
    "bad,why",
    [
        (msg(stop="max_tokens"), "stop_reason_max_tokens"),
        ({"type": "error", "error": {"type": "overloaded_error"}}, "not_a_message"),
        ({**msg(), "content": []}, "empty_content"),
        ({**msg(), "stop_reason": None}, "stop_reason_None"),
    ],
)
def test_truncated_or_failed_answers_are_not_stored(make_cache, bad, why):
    c = make_cache()
    assert c.put(req("How do I reverse a list in Python?"), bad) is None
    assert c.stats()["entries"] == 0
    assert c.stats()["not_stored"] == {why: 1}
    assert not c.lookup(req("How do I reverse a list in Python?")).hit


def test_disabled_and_bypassed(make_cache):
    c = make_cache()
    c.put(req("How do I reverse a list in Python?"), msg())
    r = c.lookup(req("How do I reverse a list in Python?"), mode="no-cache")
    assert r.outcome == {"outcome": "miss", "reason": {"kind": "bypassed"}}
    off = make_cache(enabled=False)
    assert off.lookup(req("x")).outcome == {"outcome": "miss", "reason": {"kind": "disabled"}}
    assert off.put(req("x"), msg()) is None


def test_stats_count_savings(make_cache):
    c = make_cache()
    c.put(req("How do I reverse a list in Python?"), msg())
    c.lookup(req("How do I reverse a list in Python?"))
    c.lookup(req("Write a haiku about autumn leaves"))
    st = c.stats()
    assert st["lookups"] == 2 and st["exact_hits"] == 1
    assert st["misses"] == {"below_threshold": 1}
    assert st["tokens_saved"] == {"input": 12, "output": 34}
    assert st["cost_saved_usd"] == pytest.approx((12 * 3.0 + 34 * 15.0) / 1e6)


def test_usearch_partition_agrees_with_numpy():
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(300, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    brute, ann = Partition(384, None), Partition(384, 1)
    for i, v in enumerate(vecs):
        brute.add(i, v)
        ann.add(i, v)
    assert ann.uindex is not None
    assert ann.mat.size == 0, "usearch must hold the only copy of the vectors"
    assert len(ann) == len(brute) == 300
    for i in (0, 5, 42):
        ann.remove(i)
        brute.remove(i)
    q = vecs[7] + 0.01
    q /= np.linalg.norm(q)
    (bk, bs), (ak, as_) = brute.search(q, 1)[0], ann.search(q, 1)[0]
    assert bk == ak == 7 and bs == pytest.approx(as_, abs=2e-3)  # f16 storage
    assert all(k != 5 for k, _ in ann.search(vecs[5], 5))
    assert len(ann) == 297
    ann.add(7, vecs[8])  # re-adding a key replaces its vector
    assert len(ann) == 297 and ann.search(vecs[8], 1)[0][0] in (7, 8)


def test_background_embedding_yields_the_cpu(make_cache):
    c = make_cache()
    before = os.getpriority(os.PRIO_PROCESS, 0)
    c.put(req("How do I sort a dict by value?"), msg(), background=True)
    c.wait_embedded()
    thread = c._embedder_thread
    assert thread is not None and thread.native_id is not None
    if sys.platform == "linux":
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == 19
        assert os.sched_getscheduler(thread.native_id) == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE
    assert os.getpriority(os.PRIO_PROCESS, 0) == before, "the rest of the process keeps its own"


def test_a_semantic_lookup_embeds_waiting_answers_itself(make_cache):
    c = make_cache()

    class Stalled:  # a background thread that never gets the CPU
        native_id = None

    c._embedder_thread = Stalled()
    eid = c.put(req("How do I reverse a list in Python?"), msg(), background=True)
    s = c.lookup(req("whats the pythonic way to reverse a list"))
    assert s.outcome["outcome"] == "semantic_hit" and s.outcome["entry_id"] == eid
    assert not c._unembedded and not c._pending_parts
    # The queued work finds it done, and adds nothing twice.
    c._embed_one(next(iter(c.entries)))
    assert len(c.entries) == 1


def test_close_leaves_the_embedding_backlog_to_the_next_start(
    make_cache, embedder, monkeypatch, tmp_path
):
    import time

    slow = embedder.encode

    def encode_slowly(text):
        time.sleep(0.05)
        return slow(text)

    monkeypatch.setattr(embedder, "encode_background", encode_slowly)
    c_dir = tmp_path / "close"
    c = make_cache(c_dir)
    for i in range(200):  # 10 s of embedding, were it all done before closing
        c.put(req(f"question number {i} about sorting lists"), msg(), background=True)
    c.close()
    db = sqlite3.connect(c.store.path)
    ((embedded,),) = db.execute("SELECT count(*) FROM entries WHERE length(vector) > 0")
    db.close()
    assert embedded < 100, f"closing embedded {embedded} of 200: it worked the whole backlog first"
    monkeypatch.undo()
    again = make_cache(c_dir)
    assert len(again.entries) == 200 and len(again.index) == 200, "the rest was embedded at start"

"""Behaviour tests for widget_log.verify (the semantic-cache verifier).

These use the real embedding model, and prompts written for the tests (not
taken from the evaluation set): sibling questions must be rejected with the
right reason code, paraphrases must be accepted, and results must be
deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import msg, req
from helpers import sim
from widget_log.embed import Embedder
from widget_log.verify import EntryFeatures, Verdict, Verifier
from widget_log.verify_features import cosines as _cosines
from widget_log.verify_features import pack_nibbles as _pack_nibbles
from widget_log.verify_features import unpack_nibbles as _unpack_nibbles

SIBLINGS = [
    (
        "What does HTTP status code 401 mean?",
        "What does HTTP status code 403 mean?",
        "number_mismatch",
    ),
    (
        "How do I install numpy 1.26 with pip?",
        "How do I install numpy 2.0 with pip?",
        "number_mismatch",
    ),
    ("How do I reverse a list in Python?", "How do I reverse a list in Rust?", "language_mismatch"),
    (
        "How do I drop rows with missing values in pandas?",
        "How do I drop rows with missing values in polars?",
        "library_mismatch",
    ),
    (
        "How do I say 'good morning' in French?",
        "How do I say 'good morning' in German?",
        "human_language_mismatch",
    ),
    (
        "How do I reverse a list in Python?",
        "How do I reverse a string in Python?",
        "unmatched_term",
    ),
    (
        "How do I enable the firewall on Ubuntu?",
        "How do I disable the firewall on Ubuntu?",
        "antonym",
    ),
    (
        "How do I sort an array in descending order in JavaScript?",
        "How do I sort an array in ascending order in JavaScript?",
        "antonym",
    ),
    (
        "How do I convert JSON to YAML in Python?",
        "How do I convert YAML to JSON in Python?",
        "direction_mismatch",
    ),
    (
        "How do I copy a file to a remote server with scp?",
        "How do I copy a file from a remote server with scp?",
        "direction_mismatch",
    ),
    (
        "SQL: select rows where the name column is null",
        "SQL: select rows where the name column is not null",
        "negation_mismatch",
    ),
    ("convert 10 miles to km", "convert 10 km to miles", "quantity_mismatch"),
]

PARAPHRASES = [
    ("How do I reverse a list in Python?", "python: how to reverse a list"),
    ("How do I delete a local git branch?", "How can I remove a local git branch?"),
    ("What does HTTP status code 404 mean?", "http 404 meaning"),
    ("How do I read a CSV file with pandas?", "pandas: how to read a csv file"),
    ("How do I check my Python version?", "how to check python version"),
    ("How do I undo the last git commit?", "How can I undo my last commit in git?"),
]


@pytest.mark.parametrize(("query", "candidate", "code"), SIBLINGS)
def test_sibling_rejected_with_reason(
    verifier: Verifier, embedder: Embedder, query: str, candidate: str, code: str
) -> None:
    v = verifier.verify(query, candidate, sim(embedder, query, candidate))
    assert not v.accepted
    assert v.reason is not None
    assert v.reason.split(":", 1)[0] == code, v.reason
    # the check is symmetric: swapping query and candidate also rejects
    w = verifier.verify(candidate, query, sim(embedder, query, candidate))
    assert not w.accepted


@pytest.mark.parametrize(("query", "candidate"), PARAPHRASES)
def test_paraphrase_accepted(
    verifier: Verifier, embedder: Embedder, query: str, candidate: str
) -> None:
    v = verifier.verify(query, candidate, sim(embedder, query, candidate))
    assert v == Verdict(True, None)


def test_low_similarity_rejected(verifier: Verifier) -> None:
    v = verifier.verify("How do I reverse a list in Python?", "What's the weather in Paris?", 0.1)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("low_similarity")


def test_number_detail_names_both_values(verifier: Verifier, embedder: Embedder) -> None:
    q, c = "What does HTTP status code 401 mean?", "What does HTTP status code 403 mean?"
    v = verifier.verify(q, c, sim(embedder, q, c))
    assert v.reason == "number_mismatch: 401 vs 403"


def test_precomputed_features_give_same_verdicts(verifier: Verifier, embedder: Embedder) -> None:
    for q, c, _ in SIBLINGS[:6]:
        s = sim(embedder, q, c)
        direct = verifier.verify(q, c, s)
        pre = verifier.verify(q, c, s, candidate_features=verifier.features(c))
        assert direct == pre


def test_deterministic(embedder: Embedder) -> None:
    pairs = SIBLINGS + [(q, c, "") for q, c in PARAPHRASES]
    runs = []
    for _ in range(2):
        ver = Verifier(embedder, None)  # fresh instance each time
        runs.append([ver.verify(q, c, sim(embedder, q, c)) for q, c, _ in pairs])
    assert runs[0] == runs[1]
    f1 = Verifier(embedder, None).features(PARAPHRASES[0][0])
    f2 = Verifier(embedder, None).features(PARAPHRASES[0][0])
    assert f1 == f2  # packed features are byte-identical


def test_feature_size_is_modest(verifier: Verifier) -> None:
    long = "I have a fairly long question about configuring nginx reverse proxies " * 4
    assert len(verifier.features(long)) < 1536  # 6 words x 192 B of 4-bit vectors + sets
    # a prompt with six content words: 6 x 192 B of 4-bit vectors + the rest
    typical = "How do I undo the last git commit but keep my changes?"
    assert len(verifier.features(typical)) <= 1400


def test_four_bit_vectors_halve_the_size(embedder: Embedder) -> None:
    text = "How do I remove duplicate rows from a dataframe in pandas?"
    four = Verifier(embedder, {"vector_bits": 4}).analyse(text)
    eight = Verifier(embedder, {"vector_bits": 8}).analyse(text)
    assert four.vector_bits == 4 and eight.vector_bits == 8
    assert int(np.abs(four.vectors).max()) <= 7
    assert four.content == eight.content
    assert len(four.pack()) < 0.6 * len(eight.pack())


def test_four_bit_cosines_track_eight_bit(embedder: Embedder) -> None:
    # quantisation must not move a word-to-word cosine by more than a few
    # hundredths, or the align_threshold would mean something else
    q, c = "How do I rename a git branch?", "How can I change the name of a branch in git?"
    v4, v8 = Verifier(embedder, {"vector_bits": 4}), Verifier(embedder, {"vector_bits": 8})
    s4 = _cosines(v4.analyse(q).vectors, v4.analyse(c).vectors, 4, 4)
    s8 = _cosines(v8.analyse(q).vectors, v8.analyse(c).vectors, 8, 8)
    assert s4.shape == s8.shape and s4.size > 0
    assert float(np.abs(s4 - s8).max()) < 0.05


def test_four_and_eight_bit_verdicts_agree(embedder: Embedder) -> None:
    v4, v8 = Verifier(embedder, {"vector_bits": 4}), Verifier(embedder, {"vector_bits": 8})
    for q, c in [(q, c) for q, c, _ in SIBLINGS] + PARAPHRASES:
        s = sim(embedder, q, c)
        assert v4.verify(q, c, s, v4.features(c)) == v8.verify(q, c, s, v8.features(c))


@pytest.mark.parametrize("dims", [191, 384])
def test_nibble_packing_round_trips(dims: int) -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(-7, 8, size=(5, dims)).astype(np.int8)
    assert np.array_equal(_unpack_nibbles(_pack_nibbles(codes), 5, dims), codes)
    assert len(_pack_nibbles(codes)) == (5 * dims + 1) // 2


def test_polite_filler_paraphrase_accepted(verifier: Verifier, embedder: Embedder) -> None:
    q = "Could you please tell me how to delete a local git branch? Thanks!"
    c = "How do I delete a local git branch?"
    assert verifier.verify(q, c, sim(embedder, q, c)) == Verdict(True, None)


@pytest.mark.xfail(strict=True, reason="known limitation: added scenario words are unmatched")
def test_scenario_paraphrase_accepted(verifier: Verifier, embedder: Embedder) -> None:
    # Measured on the intent set: tolerating words added on one side only
    # lets through as many siblings ("... with the derive feature") as
    # paraphrases, so the verifier still requires every content word to align.
    q = "I'm cleaning up after a feature merge. How do I delete a local git branch?"
    c = "How do I delete a local git branch?"
    assert verifier.verify(q, c, sim(embedder, q, c)).accepted


def test_config_override(embedder: Embedder) -> None:
    strict = Verifier(embedder, {"min_similarity": 0.9999})
    q, c = PARAPHRASES[0]
    v = strict.verify(q, c, sim(embedder, q, c))
    assert not v.accepted and v.reason is not None and v.reason.startswith("low_similarity")


def test_disabled_verifier_accepts(embedder: Embedder) -> None:
    v = Verifier(embedder, {"enabled": False})
    assert v.verify("HTTP 401", "HTTP 403", 0.9) == Verdict(True, None)


def test_packed_features_round_trip(verifier: Verifier) -> None:
    text = "How do I convert 5 miles to km in Python without `numpy`?"
    rich = verifier.analyse(text)
    back = EntryFeatures.unpack(verifier.features(text))
    assert back.words == rich.words and back.entities == rich.entities
    assert back.quantities == (("5", "mile"),)
    assert back.negations == 1
    assert np.array_equal(back.vectors, rich.vectors)


def test_cache_stores_features_and_explains_rejection(make_cache) -> None:
    c = make_cache(similarity_threshold=0.6)
    c.put(req("How do I reverse a list in Python?"), msg("use reversed()"))
    entry = next(iter(c.entries.values()))
    assert isinstance(entry.vfeat, bytes)  # computed at insert time
    sib = c.lookup(req("How do I reverse a string in Python?"))
    assert sib.outcome["reason"]["kind"] == "guard_rejected"
    assert sib.outcome["reason"]["reason"].startswith("unmatched_term: 'string'")
    rust = c.lookup(req("How do I reverse a list in Rust?"))
    assert rust.outcome["reason"]["reason"] == "language_mismatch: rust vs python"  # query first
    hit = c.lookup(req("python: how to reverse a list"))
    assert hit.outcome["outcome"] == "semantic_hit"

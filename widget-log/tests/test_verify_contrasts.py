"""Contrasts the verifier must see although the model's vectors call them alike:
identifiers and versions, single-letter names, swapped targets, and
multi-word phrases that mean one word. Plus the guard on the independent
intent sets in ``bench/data`` (written apart from the shared dev set).

Prompts below are written for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import sim
from widget_log import eval as wl_eval
from widget_log import verify_text as vt
from widget_log.config import load_config
from widget_log.embed import Embedder
from widget_log.verify import Verifier

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"


def _verify(verifier: Verifier, embedder: Embedder, q: str, c: str):
    return verifier.verify(q, c, sim(embedder, q, c))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("c++14", True),
        ("snake_case", True),
        ("dd/mm/yyyy", True),
        ("@published", True),
        ("int32", True),
        ("utf-8", True),
        ("z-index", True),
        ("x", True),
        ("a", False),
        ("command-line", False),
        ("2024", False),
        ("1.2.3", False),
        ("hello", False),
    ],
)
def test_identifier_shapes(word: str, expected: bool) -> None:
    assert vt.is_identifier(word) is expected


@pytest.mark.parametrize(
    ("q", "c"),
    [
        ("How do I target C++14 with CMake?", "How do I target C++23 with CMake?"),
        (
            "How do I turn a LocalDate into an Instant in Java?",
            "How do I turn a LocalDate into a ZonedDateTime in Java?",
        ),
        ("plotly: hide the x axis labels", "plotly: hide the y axis labels"),
        ("css rotate a card around its x-axis", "css rotate a card around its y-axis"),
        (
            "Why use @EnvironmentObject rather than @Binding in SwiftUI?",
            "Why use @Environment rather than @Binding in SwiftUI?",
        ),
    ],
)
def test_identifiers_are_matched_only_lexically(
    verifier: Verifier, embedder: Embedder, q: str, c: str
) -> None:
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("identifier_mismatch"), v.reason


def test_identifier_written_in_another_case_still_matches(
    verifier: Verifier, embedder: Embedder
) -> None:
    q = "How do I convert a LocalDate to an Instant in Java?"
    c = "java: convert a localdate to an instant"
    v = _verify(verifier, embedder, q, c)
    assert v.reason is None or not v.reason.startswith("identifier_mismatch"), v.reason


def test_swapped_target_is_a_direction_mismatch(verifier: Verifier, embedder: Embedder) -> None:
    q = "How do I send plain-http visitors to https in Caddy?"
    c = "How do I send https visitors to plain-http in Caddy?"
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("direction_mismatch"), v.reason


def test_as_marks_a_target_too(verifier: Verifier, embedder: Embedder) -> None:
    q = "kotlin: parse an Int from a String"
    c = "kotlin: write an Int as a String"
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("direction_mismatch"), v.reason


def test_both_is_a_scope(verifier: Verifier, embedder: Embedder) -> None:
    q = "php strip spaces from the start of a string only"
    c = "php strip spaces from both sides of a string"
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("scope_mismatch"), v.reason


def test_phrase_synonyms_reveal_an_opposite(verifier: Verifier, embedder: Embedder) -> None:
    q = "How do I enable line numbers in nano?"
    c = "nano turn off line numbers"
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("antonym"), v.reason
    assert vt.rewrite_phrases(["turn", "off", "wifi"], verifier.kb.phrase_synonyms) == [
        "disable",
        "wifi",
    ]


@pytest.mark.parametrize("name", ["a", "b", "c", "d"])
def test_guard_serves_no_wrong_answer_on_independent_sets(embedder: Embedder, name: str) -> None:
    path = DATA / f"lantern-intents-{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    res = wl_eval.run_eval(rows, load_config({"data_dir": ":memory:"}), embedder)
    assert res["rows"] == len(rows) > 400
    assert res["false_hit_rate"] <= 0.02, res
    assert res["true_hits"] > 0, res  # the guard still serves paraphrases

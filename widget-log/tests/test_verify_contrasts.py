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
    ("q", "c", "code"),
    [
        # identifiers are matched only as words
        ("How do I target C++14 with CMake?", "How do I target C++23 with CMake?", "identifier"),
        (
            "How do I turn a LocalDate into an Instant in Java?",
            "How do I turn a LocalDate into a ZonedDateTime in Java?",
            "identifier",
        ),
        ("plotly: hide the x axis labels", "plotly: hide the y axis labels", "identifier"),
        (
            "css rotate a card around its x-axis",
            "css rotate a card around its y-axis",
            "identifier",
        ),
        (
            "Why use @EnvironmentObject rather than @Binding in SwiftUI?",
            "Why use @Environment rather than @Binding in SwiftUI?",
            "identifier",
        ),
        # a swapped target; "as" marks a target as "to" does
        (
            "How do I send plain-http visitors to https in Caddy?",
            "How do I send https visitors to plain-http in Caddy?",
            "direction",
        ),
        ("kotlin: parse an Int from a String", "kotlin: write an Int as a String", "direction"),
        # "both" is a scope
        (
            "php strip spaces from the start of a string only",
            "php strip spaces from both sides of a string",
            "scope",
        ),
        # "turn off" is read as "disable"
        ("How do I enable line numbers in nano?", "nano turn off line numbers", "antonym"),
    ],
)
def test_contrast_is_rejected_with_its_reason(
    verifier: Verifier, embedder: Embedder, q: str, c: str, code: str
) -> None:
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith(code), v.reason


def test_identifier_written_in_another_case_still_matches(
    verifier: Verifier, embedder: Embedder
) -> None:
    q = "How do I convert a LocalDate to an Instant in Java?"
    c = "java: convert a localdate to an instant"
    v = _verify(verifier, embedder, q, c)
    assert v.reason is None or not v.reason.startswith("identifier_mismatch"), v.reason


def test_phrases_are_read_as_one_word(verifier: Verifier) -> None:
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

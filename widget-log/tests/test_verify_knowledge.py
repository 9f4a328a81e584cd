"""Entity knowledge in the verifier: ambiguous aliases, implied languages,
file-extension formats and the lexical check of words past ``max_words``.

Prompts are written for these tests (not taken from the evaluation set).
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from helpers import sim
from widget_log import verify_text as vt
from widget_log.embed import Embedder
from widget_log.verify import EntryFeatures, Verifier


def _verify(verifier: Verifier, embedder: Embedder, q: str, c: str):
    return verifier.verify(q, c, sim(embedder, q, c))


def test_everyday_word_alias_is_only_a_weak_entity(verifier: Verifier) -> None:
    f = verifier.analyse("How do I allow cross origin requests in Flask?")
    assert dict(f.entities)["library"] == ("flask",)
    assert dict(f.weak_entities)["library"] == ("requests",)


def test_weak_alias_is_ignored_when_the_other_side_names_nothing(
    verifier: Verifier, embedder: Embedder
) -> None:
    # "requests" here is an English word, not the Python library
    q = "How do I log all incoming requests in nginx?"
    c = "How do I log every incoming request in nginx?"
    assert _verify(verifier, embedder, q, c).accepted


def test_weak_alias_conflicts_with_another_library(verifier: Verifier, embedder: Embedder) -> None:
    v = _verify(verifier, embedder, "python requests post json body", "python httpx post json body")
    assert not v.accepted
    assert v.reason == "library_mismatch: requests vs httpx"


def test_library_implies_its_language(verifier: Verifier, embedder: Embedder) -> None:
    f = verifier.analyse("How do I add a column to a pandas DataFrame?")
    assert dict(f.weak_entities)["language"] == ("python",)
    # the implied language matches a stated one ...
    q, c = (
        "python: add a column to a pandas dataframe",
        "How do I add a column to a pandas DataFrame?",
    )
    assert _verify(verifier, embedder, q, c).accepted
    # ... and conflicts with a different one
    v = _verify(
        verifier, embedder, "How do I sort an array with lodash?", "How do I sort an array in Rust?"
    )
    assert not v.accepted
    assert v.reason is not None and v.reason.startswith("language_mismatch: javascript vs rust")


def test_stated_language_wins_over_implied(verifier: Verifier) -> None:
    f = verifier.analyse("How do I use React hooks with TypeScript?")
    assert dict(f.entities)["language"] == ("typescript",)
    assert "language" not in dict(f.weak_entities)


def test_file_extension_names_a_format_only_weakly(verifier: Verifier, embedder: Embedder) -> None:
    f = verifier.analyse("Which line do I change in settings.yaml to turn on debug logging?")
    assert "format" not in dict(f.entities)
    assert dict(f.weak_entities)["format"] == ("yaml",)
    # a real format question on the other side still conflicts
    q = "Which line do I change in settings.yaml to turn on debug logging?"
    c = "Which line do I change in settings.toml to turn on debug logging?"
    v = _verify(verifier, embedder, q, c)
    assert not v.accepted


def test_min_is_the_opposite_of_max_not_a_minute(verifier: Verifier, embedder: Embedder) -> None:
    v = _verify(verifier, embedder, "numpy index of max value", "numpy index of min value")
    assert not v.accepted
    assert v.reason == "antonym: max vs min"
    # after a number it is still a unit
    assert verifier.analyse("run the job every 5 min").quantities == (("5", "minute"),)


def test_words_past_max_words_are_matched_lexically(embedder: Embedder) -> None:
    ver = Verifier(embedder, {"max_words": 3})
    q = "rotate nginx access logs daily with logrotate keeping compressed archives"
    c = "rotate nginx access logs daily with logrotate keeping plaintext archives"
    fq = ver.analyse(q)
    assert len(fq.content) == 3
    out_q, out_c = ver.unmatched(fq, ver.analyse(c))
    assert ("compress", "", 0.0) in out_q
    assert ("plaintext", "", 0.0) in out_c


def test_features_of_version_2_are_refused(verifier: Verifier) -> None:

    blob = verifier.features("How do I reverse a list in Python?")
    _version, *rest = marshal.loads(blob)
    with pytest.raises(ValueError, match="features version 2"):
        EntryFeatures.unpack(marshal.dumps((2, *rest)))


def test_knowledge_file_is_consistent() -> None:
    data = json.loads(
        (Path(vt.__file__).with_name("verify_knowledge.json")).read_text(encoding="utf-8")
    )
    aliases = {a for cat in data["entities"].values() for names in cat.values() for a in names}
    canon = {c for cat in data["entities"].values() for c in cat}
    categories = set(data["entities"])
    assert set(data["ambiguous_aliases"]) <= aliases
    for target, sources in data["implies"].items():
        cat, _, name = target.partition(":")
        assert cat in categories and name in data["entities"][cat]
        assert set(sources) <= canon

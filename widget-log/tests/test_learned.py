"""The learned verifier: models, thresholds, weights, leave-one-set-out, shipped weights.

The three tiny intent sets below were written for these tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import sim
from widget_log import eval as wl_eval
from widget_log import learned
from widget_log.config import load_config
from widget_log.embed import Embedder
from widget_log.verify import Verifier


def _intent(intent: str, group: str, *prompts: str) -> list[dict[str, str]]:
    return [{"intent": intent, "group": group, "prompt": p} for p in prompts]


SET_X = [
    *_intent("py-rev-list", "rev", "How do I reverse a list in Python?",
             "What's the way to reverse a Python list?", "python: reverse a list"),
    *_intent("py-rev-str", "rev", "How do I reverse a string in Python?",
             "What's the way to reverse a Python string?", "python: reverse a string"),
    *_intent("py-sort-desc", "sort", "How do I sort a list in descending order in Python?",
             "python sort list descending", "Sort a Python list from largest to smallest"),
    *_intent("py-sort-asc", "sort", "How do I sort a list in ascending order in Python?",
             "python sort list ascending", "Sort a Python list from smallest to largest"),
]  # fmt: skip
SET_Y = [
    *_intent("http-401", "http", "What does HTTP status 401 mean?",
             "Meaning of HTTP 401 status code", "what is http error 401"),
    *_intent("http-403", "http", "What does HTTP status 403 mean?",
             "Meaning of HTTP 403 status code", "what is http error 403"),
    *_intent("git-undo", "git", "How do I undo the last git commit?",
             "git: undo my most recent commit", "undo last commit in git"),
    *_intent("git-del", "git", "How do I delete a local git branch?",
             "git delete local branch", "remove a local branch in git"),
]  # fmt: skip
SET_Z = [
    *_intent("utc-local", "tz", "Convert UTC to local time in JavaScript",
             "JavaScript: turn a UTC date into local time", "js convert utc time to local"),
    *_intent("local-utc", "tz", "Convert local time to UTC in JavaScript",
             "JavaScript: turn a local date into UTC", "js convert local time to utc"),
    *_intent("docker-stop", "docker", "How do I stop all running Docker containers?",
             "docker stop every running container", "stop all docker containers at once"),
    *_intent("docker-rm", "docker", "How do I remove all Docker containers?",
             "docker remove every container", "delete all docker containers at once"),
]  # fmt: skip
TINY = [("x", SET_X), ("y", SET_Y), ("z", SET_Z)]
# A small grid keeps the tests fast; both model kinds are exercised.
SMALL_GRID = (
    {"kind": "logistic", "l2": 1.0},
    {"kind": "stumps", "rounds": 20, "lr": 0.1, "l2": 1.0, "bins": 8},
)


@pytest.fixture(scope="module")
def lverifier(embedder: Embedder) -> Verifier:
    return Verifier(embedder, load_config()["verifier"])


@pytest.fixture(scope="module")
def tiny(lverifier: Verifier) -> list[learned.Prepared]:
    return [learned.prepare(name, rows, lverifier) for name, rows in TINY]


@pytest.fixture(scope="module")
def shipped(embedder: Embedder) -> learned.LearnedVerifier:
    return learned.LearnedVerifier.load(embedder=embedder)


def _synthetic(seed: int = 0, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """An easy case: the label is decided by sim and one failed check."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, len(learned.FEATURES)))
    X[:, 0] = rng.uniform(0.7, 1.0, n)  # sim
    X[:, 3] = rng.integers(0, 2, n)  # chk_number
    X[:, 28] = rng.normal(0, 1, n)  # content_words: noise
    y = ((X[:, 0] > 0.85) & (X[:, 3] == 0)).astype(np.float64)
    return X, y


# -------------------------------------------------------------------- models
@pytest.mark.parametrize("cfg", learned.GRID)
def test_training_is_deterministic_and_separates_an_easy_case(cfg: dict[str, Any]) -> None:
    X, y = _synthetic()
    m1, m2 = learned.fit_model(X, y, cfg), learned.fit_model(X, y, cfg)
    assert json.dumps(m1) == json.dumps(m2)
    Xt, yt = _synthetic(seed=1)
    p = learned._sigmoid(learned._Scorer(m1).decision(Xt))
    accuracy = float(((p >= 0.5) == (yt == 1)).mean())
    assert accuracy >= 0.9, (cfg, accuracy)
    # the failed check pushes every probability down
    Xc = Xt.copy()
    Xc[:, 3] = 1
    assert (learned._Scorer(m1).decision(Xc) <= learned._Scorer(m1).decision(Xt) + 1e-12).all()


@pytest.mark.parametrize("cfg", learned.GRID)
def test_monotone_constraints_hold_against_the_data(cfg: dict[str, Any]) -> None:
    # data in which a failed check goes with *correct* answers: the model
    # must not learn that a failed check is evidence for serving
    X, y = _synthetic()
    y = np.where(X[:, 3] == 1, 1.0, y)
    scorer = learned._Scorer(learned.fit_model(X, y, cfg))
    base = X[:50].copy()
    for f, (name, sign) in enumerate(learned.FEATURES):
        if sign == 0:
            continue
        lo, hi = base.copy(), base.copy()
        lo[:, f] = X[:, f].min()
        hi[:, f] = X[:, f].max()
        diff = scorer.decision(hi) - scorer.decision(lo)
        assert (sign * diff >= -1e-9).all(), name


def test_curve_agrees_with_replaying_the_stream(
    tiny: list[learned.Prepared], lverifier: Verifier
) -> None:
    """The threshold curve (interval sums) equals replaying the stream at each threshold."""
    fz = learned.PairFeaturizer(lverifier)
    X, y = learned._dataset(tiny[1:], fz)
    scorer = learned._Scorer(learned.fit_model(X, y, {"kind": "logistic", "l2": 1.0}))
    p = tiny[0]
    rows, sizes = learned._stream_rows(p, fz)
    assert sum(sizes) > 5
    scores = learned._split(scorer.decision(rows), sizes)
    zs = np.concatenate([[-np.inf], np.sort(np.concatenate(scores)), [np.inf]])
    curve = learned._curve([(p, p.lookups(), scores)], zs)
    by_lookup = {lk.query: s for lk, s in zip(p.lookups(), scores, strict=True)}
    assert curve["true_hits"][0] > curve["true_hits"][-1] == 0
    for k, z in enumerate(zs):

        def accept(lk: Any, j: int, s: float, z: float = z) -> bool:
            pos = [c for c, _ in lk.candidates].index(j)
            return bool(by_lookup[lk.query][pos] >= z)

        res = learned.score_stream(p, p.lookups(), accept)
        assert curve["true_hits"][k] + curve["exact_hits"] == res["true_hits"], z
        assert curve["false_hits"][k] == res["false_hits"], z
        assert curve["missed_hits"][k] == res["missed_hits"], z


def test_pick_threshold_rules() -> None:
    curve = {
        "z": [0.0, 1.0, 2.0, 3.0, 4.0],
        "true_hits": [300, 200, 100, 60, 10],
        "false_hits": [30, 4, 1, 1, 0],
        "missed_hits": [0] * 5,
        "exact_hits": 0,
        "seen_open": 300,
    }
    # 4 of 204 = 1.96 % at z=1; every higher threshold is within 2 % too
    assert learned.pick_threshold(curve, 0.02) == 1.0
    # 2 of 62 at z=3 breaks the bound with >= 1/bound hits: only z=4 is left
    curve["false_hits"][3] = 2
    assert learned.pick_threshold(curve, 0.02) == 4.0
    # ... but 1 of 21 is too few hits to tell: not held against lower thresholds
    curve["true_hits"][3], curve["false_hits"][3] = 20, 1
    assert learned.pick_threshold(curve, 0.02) == 1.0
    # conservative: the Wilson upper end must be within the bound (0 of 10 is not)
    assert math.isinf(learned.pick_threshold(curve, 0.02, conservative=True))
    curve["false_hits"] = [30, 30, 30, 30, 30]
    assert math.isinf(learned.pick_threshold(curve, 0.02))


# ------------------------------------------------------------------- weights
def test_train_needs_two_sets_and_distinct_names(
    tiny: list[learned.Prepared], embedder: Embedder
) -> None:
    fz = learned.PairFeaturizer(Verifier(embedder, None))
    with pytest.raises(ValueError):
        learned.train(tiny[:1], fz, grid=SMALL_GRID)
    with pytest.raises(ValueError):
        learned.train([tiny[0], tiny[0]], fz, grid=SMALL_GRID)


def test_weights_round_trip_and_are_deterministic(
    tiny: list[learned.Prepared], lverifier: Verifier, embedder: Embedder, tmp_path: Path
) -> None:
    fz = learned.PairFeaturizer(lverifier)
    w1 = learned.train(tiny, fz, grid=SMALL_GRID)
    w2 = learned.train(tiny, fz, grid=SMALL_GRID)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    learned.save_weights(w1, a)
    learned.save_weights(w2, b)
    assert a.read_bytes() == b.read_bytes()
    lv = learned.LearnedVerifier.load(a, verifier=lverifier)
    lv.save(tmp_path / "c.json")
    assert (tmp_path / "c.json").read_bytes() == a.read_bytes()
    direct = learned.LearnedVerifier(w1, lverifier)
    q, c = "How do I reverse a list in Python?", "python: reverse a list"
    s = sim(embedder, q, c)
    assert lv.probability(q, c, s) == direct.probability(q, c, s)
    assert w1["training"]["sets"] == ["x", "y", "z"]
    # a verifier with other feature settings is refused
    other = Verifier(embedder, {**lverifier.config, "align_threshold": 0.5})
    with pytest.raises(ValueError, match="align_threshold"):
        learned.LearnedVerifier.load(a, verifier=other)


# ---------------------------------------------------------------------- LOSO
def test_loso_never_trains_on_the_held_out_set(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real = learned.train

    def spy(sets: Any, featurizer: Any, **kw: Any) -> dict[str, Any]:
        calls.append([p.name for p in sets])
        seen = {t for p in sets for t in p.texts}
        for name, rows in TINY:
            if name not in calls[-1]:
                assert not seen & {r["prompt"] for r in rows}, name
        return real(sets, featurizer, **kw)

    monkeypatch.setattr(learned, "train", spy)
    cfg = load_config({"data_dir": ":memory:"})
    res = wl_eval.run_loso(TINY, cfg, embedder, grid=SMALL_GRID)
    assert calls == [["y", "z"], ["x", "z"], ["x", "y"]]
    assert [f["held_out"] for f in res["folds"]] == ["x", "y", "z"]
    for f in res["folds"]:
        assert f["held_out"] not in f["trained_on"]
        for method in ("guard", "learned"):
            r = f[method]
            assert r["hits"] == r["true_hits"] + r["false_hits"]
            lo, hi = r["false_hit_rate_ci95"]
            assert lo <= r["false_hit_rate"] <= hi
    for method in ("guard", "learned"):
        pooled = res["pooled"][method]
        assert pooled["hits"] == sum(f[method]["hits"] for f in res["folds"])
        assert pooled["missed_hits"] == sum(f[method]["missed_hits"] for f in res["folds"])
    # the guard is untrained: its figures do not depend on the fold
    guard = wl_eval.run_eval(SET_X, cfg, embedder)
    assert guard["true_hits"] == res["folds"][0]["guard"]["true_hits"]
    assert guard["false_hits"] == res["folds"][0]["guard"]["false_hits"]
    assert "learned" in wl_eval.format_table(res)


def test_blind_refuses_a_training_set(
    embedder: Embedder, tiny: list[learned.Prepared], lverifier: Verifier, tmp_path: Path
) -> None:
    w = learned.train(tiny[:2], learned.PairFeaturizer(lverifier), grid=SMALL_GRID)
    path = tmp_path / "w.json"
    learned.save_weights(w, path)
    cfg = load_config({"data_dir": ":memory:"})
    with pytest.raises(ValueError, match="not blind"):
        wl_eval.run_blind([("x", SET_X)], cfg, embedder, weights=str(path))
    res = wl_eval.run_blind([("z", SET_Z)], cfg, embedder, weights=str(path))
    assert res["weights_trained_on"] == ["x", "y"] and res["folds"][0]["held_out"] == "z"


def test_repo_sets_are_listed_by_name_never_globbed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    data = root / "widget-log" / "bench" / "data"
    data.mkdir(parents=True)
    for name in "abcdef":
        (data / f"lantern-intents-{name}.jsonl").write_text("")
    found, notes = learned.repo_sets(root)
    assert [n for n, _ in found] == ["a", "b", "c", "d"]
    assert any("dev set skipped" in n for n in notes)
    (tmp_path / "shared" / "eval").mkdir(parents=True)
    (tmp_path / "shared" / "eval" / "cache-intents-dev.jsonl").write_text("")
    found, _ = learned.repo_sets(root)
    assert [n for n, _ in found] == ["dev", "a", "b", "c", "d"]


# ---------------------------------------------------------- shipped weights
def test_shipped_weights_load_and_give_a_threshold(shipped: learned.LearnedVerifier) -> None:
    w = shipped.weights
    assert w["features"] == list(learned.FEATURE_NAMES)
    assert "e" not in w["training"]["sets"] and "f" not in w["training"]["sets"]
    assert set(w["training"]["sets"]) <= {"dev", "a", "b", "c", "d"}
    t = shipped.threshold(0.02)
    assert math.isinf(t) or 0.0 < t < 1.0
    if math.isfinite(t):
        est = shipped.estimate(t)
        assert est["false_hit_rate"] <= 0.02 and est["semantic_hits"] > 0
        # a looser bound never asks for a higher threshold
        assert shipped.threshold(0.10) <= t
    assert shipped.threshold(0.0) >= (t if math.isfinite(t) else 0.0)


def test_shipped_probability_is_monotone(shipped: learned.LearnedVerifier) -> None:
    q, c = "How do I reverse a list in Python?", "python: reverse a list"
    x = shipped.vector(q, c, 0.8)
    probs = []
    for s in (0.75, 0.8, 0.85, 0.9, 0.95, 1.0):
        xs = x.copy()
        xs[0], xs[1], xs[2] = s, max(0.0, s - 0.85), max(0.0, s - 0.95)
        probs.append(shipped.probability_of(xs))
    assert probs == sorted(probs)
    for name in learned.FEATURE_NAMES:
        if name.startswith("chk_"):
            xc = x.copy()
            xc[learned.FEATURE_NAMES.index(name)] = 1.0
            assert shipped.probability_of(xc) <= shipped.probability_of(x) + 1e-12, name


def test_shipped_separates_a_paraphrase_from_a_sibling(
    shipped: learned.LearnedVerifier, embedder: Embedder
) -> None:
    q = "What does HTTP status code 401 mean?"
    para, sib = "what does the http 401 status code mean", "What does HTTP status code 403 mean?"
    p_para = shipped.probability(q, para, sim(embedder, q, para))
    p_sib = shipped.probability(q, sib, sim(embedder, q, sib))
    assert 0.0 <= p_sib < p_para <= 1.0
    blob = shipped.features(para)
    assert shipped.probability(q, para, sim(embedder, q, para), candidate_features=blob) == p_para
    v = shipped.verify(q, sib, sim(embedder, q, sib))
    assert not v.accepted and v.reason and v.reason.startswith("learned_reject")

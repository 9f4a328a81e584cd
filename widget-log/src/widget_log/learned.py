"""A learned verifier for semantic-cache candidates (numpy only).

Given a query prompt, a candidate cached prompt and their sentence cosine,
:class:`LearnedVerifier` gives the probability that the candidate's answer is
a correct answer to the query. Its features are the hand-written guard's own
signals (:mod:`widget_log.verify`: every salient check is run, not only the
first failing one, plus the guard's verdict), the sentence cosine, the
contextual-token alignment (minimum, second minimum and mean best cosine of
each content word, unmatched words at three cosines), and plain differences
(numbers, entities, negations, identifiers, literals, paths, flags, word
overlap, lengths). See :data:`FEATURES`.

Model: a monotone-constrained logistic regression or a boosted-stump ensemble
(chosen by cross-validation, below), then a one-dimensional logistic
calibration. Everything is deterministic: no random numbers are drawn, ties
break on index order.

**Training data** comes from intent sets (shared/eval/README.md format) by
construction. Per set, each prompt is paired with its nearest *other* prompts
(the :data:`PAIR_K` nearest with cosine >= :data:`PAIR_FLOOR`) and with the
candidates the cache itself would show it in the protocol's stream
(``random.Random(7)`` order, the ``candidates`` nearest *earlier* prompts with
cosine >= ``similarity_threshold``). A pair is positive when both prompts have
the same intent. Identical texts are never paired (the exact path serves them).

**Model selection, calibration and the serving threshold** are chosen by
leave-one-set-out cross-validation *inside* the training sets: for each
training set, a model fitted on the other training sets scores that set's
stream candidates. From these out-of-fold scores:

1. the configuration (:data:`GRID`) with the highest out-of-fold recall at the
   default error bound is selected (ties: lower log loss, then grid order);
2. a calibration ``p = sigmoid(a * score + b)`` is fitted to them, so the
   probabilities describe prompts from a set the model was not trained on;
3. the protocol is replayed at every threshold of a fixed grid: each lookup
   serves its first candidate (most similar first) with ``p >= t``. The counts
   (true and false semantic hits, missed hits) are stored in the weights file.

:meth:`LearnedVerifier.threshold` ``(error_bound)`` is then the smallest grid
threshold ``t`` at which the out-of-fold false-hit rate of semantic hits is at
most ``error_bound``, and stays so at every higher threshold that served at
least ``1 / error_bound`` hits (one false hit can show a rate of 1/n only
with n hits: this ignores lucky dips with few hits). With
``conservative=True`` the rule is instead that the upper end of the 95 %
Wilson interval is at most the bound. When no threshold qualifies it is
``math.inf``: nothing is served. The final model is then fitted on all the
training sets. Its scores go through the same calibration and threshold: the
threshold is estimated for a model trained on one set fewer, the usual
cross-validation approximation.

Public API (for the cache)::

    lv = LearnedVerifier.load()                    # the shipped weights, bundled model
    lv = LearnedVerifier.load(path, embedder=emb)  # or share the cache's embedder
    t = lv.threshold(0.02)                         # serve when p >= t
    p = lv.probability(query, candidate, similarity,
                       query_features=qf, candidate_features=entry_vfeat)
    blob = lv.features(text)                       # per-entry features = Verifier.features
    verdict = lv.verify(query, candidate, similarity, candidate_features=blob)

``lv.verify`` has :meth:`Verifier.verify`'s signature and returns a
:class:`~widget_log.verify.Verdict` (``p >= threshold``), so a
``LearnedVerifier`` can stand where the cache takes a verifier.

Train the shipped weights (dev set and sets a-d; never a set being kept
blind)::

    python -m widget_log.learned train --out src/widget_log/learned_weights.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .embed import Embedder
from .key import normalise_text
from .verify import DEFAULT_CONFIG as GUARD_DEFAULTS
from .verify import Verdict, Verifier
from .verify_features import EntryFeatures

__all__ = [
    "DEFAULT_ERROR_BOUND",
    "FEATURES",
    "GRID",
    "LearnedVerifier",
    "PairFeaturizer",
    "Prepared",
    "load_rows",
    "prepare",
    "repo_sets",
    "score_stream",
    "train",
]

WEIGHTS_VERSION = 1
WEIGHTS_FILE = "learned_weights.json"
DEFAULT_ERROR_BOUND = 0.02
STREAM_SEED = 7  # the protocol's random.Random(7)
# Candidate generation, as the cache does it by default ([cache] in defaults.toml).
CACHE_THRESHOLD = 0.75
CACHE_CANDIDATES = 5
# Training pairs: each prompt with its PAIR_K nearest others at cosine >= PAIR_FLOOR
# (a little below the cache's threshold, so the model sees the edge too).
PAIR_FLOOR = 0.70
PAIR_K = 10
# Thresholds are compared on this grid of logits (p = sigmoid(z)).
_Z_GRID = np.round(np.arange(-12.0, 16.0 + 1e-9, 0.05), 2)
# Verifier settings the features depend on: a verifier passed to
# LearnedVerifier.load must agree with the weights on these.
_FEATURE_KEYS = (
    "min_similarity",
    "align_threshold",
    "max_words",
    "vector_bits",
    "vector_dims",
    "incidental_code_numbers",
    "one_sided_ok",
    "max_extra",
    "extra_min_similarity",
    "knowledge",
)

# (name, monotone sign): +1 the probability may only rise with the feature,
# -1 only fall, 0 unconstrained. The constraints are prior knowledge (a failed
# check is never evidence *for* serving) and are enforced by both model kinds.
FEATURES: tuple[tuple[str, int], ...] = (
    ("sim", +1),
    ("sim_over_85", +1),
    ("sim_over_95", +1),
    ("chk_number", -1),
    ("chk_quantity", -1),
    ("chk_language", -1),
    ("chk_library", -1),
    ("chk_entity_strict", -1),  # another strict category: os, shell, database, format...
    ("chk_entity_other", -1),  # unit, protocol, tool
    ("chk_negation", -1),
    ("chk_path", -1),
    ("chk_flag", -1),
    ("chk_identifier", -1),
    ("chk_literal", -1),
    ("chk_scope", -1),
    ("chk_comparator", -1),
    ("chk_antonym", -1),
    ("chk_direction", -1),
    ("chk_unmatched", -1),  # a word without counterpart at the guard's align_threshold
    ("checks_failed", -1),  # how many of the checks above fail (at most 5 counted)
    ("guard_accepts", +1),  # the guard's own verdict
    ("align_min", +1),  # lowest best-counterpart cosine of any content word (1 = same word)
    ("align_min2", +1),  # second lowest
    ("align_mean", +1),
    ("unmatched_50", -1),  # content words with no counterpart at cosine 0.50 (at most 5)
    ("unmatched_65", -1),
    ("unmatched_80", -1),
    ("unmatched_one_side", 0),  # all unmatched words (at 0.65) are on one side
    ("content_words", 0),  # log(1 + content words of both)
    ("content_diff", 0),  # |content words of one - of the other| (at most 5)
    ("word_jaccard", +1),  # overlap of the normalised non-filler words
    ("length_ratio", 0),  # |log(words of one / words of the other)|
    ("numbers_diff", -1),  # numbers on one side only (at most 5)
    ("entities_diff", -1),  # named things on one side only (at most 5)
    ("negations_diff", -1),
    ("identifiers_diff", -1),
    ("literal_one_side", 0),
    ("path_one_side", 0),
    ("flag_one_side", 0),
)
FEATURE_NAMES = tuple(n for n, _ in FEATURES)
_IDX = {n: i for i, n in enumerate(FEATURE_NAMES)}
_SIGNS = np.array([s for _, s in FEATURES], dtype=np.int8)
_CHECKS = {
    "number_mismatch": "chk_number",
    "quantity_mismatch": "chk_quantity",
    "language_mismatch": "chk_language",
    "library_mismatch": "chk_library",
    "negation_mismatch": "chk_negation",
    "path_mismatch": "chk_path",
    "flag_mismatch": "chk_flag",
    "identifier_mismatch": "chk_identifier",
    "literal_mismatch": "chk_literal",
    "scope_mismatch": "chk_scope",
    "comparator_mismatch": "chk_comparator",
    "antonym": "chk_antonym",
    "direction_mismatch": "chk_direction",
}

# Model configurations compared by the inner cross-validation, in order of
# preference on ties (simplest first).
GRID: tuple[dict[str, Any], ...] = (
    {"kind": "logistic", "l2": 1.0},
    {"kind": "logistic", "l2": 10.0},
    {"kind": "stumps", "rounds": 100, "lr": 0.1, "l2": 1.0, "bins": 32},
    {"kind": "stumps", "rounds": 300, "lr": 0.1, "l2": 1.0, "bins": 32},
)


# ---------------------------------------------------------------------- features
class PairFeaturizer:
    """Feature vector of a (query, candidate) pair from their :class:`EntryFeatures`."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier
        self.kb = verifier.kb
        # Same settings, but no word counts as aligned by its vector: unmatched()
        # then lists every word without a lexical counterpart, with its best cosine.
        self._probe = Verifier(verifier.embedder, {**verifier.config, "align_threshold": 2.0})
        self._tau = float(verifier.config["align_threshold"])
        self._strict = verifier.kb.strict

    def vector(self, q: EntryFeatures, c: EntryFeatures, similarity: float) -> np.ndarray:
        x = np.zeros(len(FEATURES), dtype=np.float64)
        s = float(similarity)
        x[0] = s
        x[1] = max(0.0, s - 0.85)
        x[2] = max(0.0, s - 0.95)
        failed = 0
        for reason in self.verifier.salient_checks(q, c):
            code = reason.split(":", 1)[0]
            name = _CHECKS.get(code)
            if name is None:  # <category>_mismatch
                cat = code.removesuffix("_mismatch")
                name = "chk_entity_strict" if cat in self._strict else "chk_entity_other"
            x[_IDX[name]] = 1.0
            failed += 1
        out_q, out_c = self._probe.unmatched(q, c)
        scores = sorted([t[2] for t in out_q] + [t[2] for t in out_c])
        low_q = [t for t in out_q if t[2] < self._tau]
        low_c = [t for t in out_c if t[2] < self._tau]
        if low_q or low_c:
            x[_IDX["chk_unmatched"]] = 1.0
            failed += 1
        x[_IDX["checks_failed"]] = min(failed, 5)
        if s >= float(self.verifier.config["min_similarity"]) and failed == 0:
            x[_IDX["guard_accepts"]] = 1.0
        elif s >= float(self.verifier.config["min_similarity"]) and x[_IDX["chk_unmatched"]]:
            # max_extra may still let the guard accept: ask it, when only alignment failed
            only_align = failed == 1
            if only_align and self.verifier._align(q, c, s) is None:
                x[_IDX["guard_accepts"]] = 1.0
        n_words = len(q.content) + len(c.content) + sum(1 for t in scores if t == 0.0)
        x[_IDX["align_min"]] = scores[0] if scores else 1.0
        x[_IDX["align_min2"]] = scores[1] if len(scores) > 1 else 1.0
        x[_IDX["align_mean"]] = max(0.0, 1.0 - sum(1.0 - t for t in scores) / max(1, n_words))
        x[_IDX["unmatched_50"]] = min(5, sum(t < 0.50 for t in scores))
        x[_IDX["unmatched_65"]] = min(5, sum(t < 0.65 for t in scores))
        x[_IDX["unmatched_80"]] = min(5, sum(t < 0.80 for t in scores))
        x[_IDX["unmatched_one_side"]] = float(bool(low_q) != bool(low_c))
        x[_IDX["content_words"]] = math.log1p(len(q.content) + len(c.content))
        x[_IDX["content_diff"]] = min(5, abs(len(q.content) - len(c.content)))
        filler = self.kb.filler
        wq = {w for w in q.words if w not in filler}
        wc = {w for w in c.words if w not in filler}
        x[_IDX["word_jaccard"]] = len(wq & wc) / len(wq | wc) if wq | wc else 1.0
        x[_IDX["length_ratio"]] = abs(math.log((1 + len(q.words)) / (1 + len(c.words))))
        x[_IDX["numbers_diff"]] = min(5, len(set(q.numbers) ^ set(c.numbers)))
        eq = {(k, n) for k, names in q.entities + q.weak_entities for n in names}
        ec = {(k, n) for k, names in c.entities + c.weak_entities for n in names}
        x[_IDX["entities_diff"]] = min(5, len(eq ^ ec))
        x[_IDX["negations_diff"]] = min(
            5, abs(q.negations - c.negations) + len(set(q.negated) ^ set(c.negated))
        )
        x[_IDX["identifiers_diff"]] = min(5, len(set(q.identifiers) ^ set(c.identifiers)))
        x[_IDX["literal_one_side"]] = float(bool(q.literals) != bool(c.literals))
        x[_IDX["path_one_side"]] = float(bool(q.paths) != bool(c.paths))
        x[_IDX["flag_one_side"]] = float(bool(q.flags) != bool(c.flags))
        return x


# ------------------------------------------------------------------------ models
def _sigmoid(z: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _newton_logistic(
    Z: np.ndarray, y: np.ndarray, l2: float, iters: int = 60
) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by Newton's method (intercept unpenalised)."""
    n, d = Z.shape
    A = np.hstack([Z, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    pen = np.full(d + 1, l2)
    pen[-1] = 0.0
    for _ in range(iters):
        p = _sigmoid(A @ beta)
        grad = A.T @ (p - y) + pen * beta
        w = np.maximum(p * (1.0 - p), 1e-9)
        hess = (A * w[:, None]).T @ A + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float) -> dict[str, Any]:
    """Monotone-constrained logistic regression (active set: a coefficient of the
    wrong sign drops its feature, and the fit is repeated until none has)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = (X - mean) / scale
    active = [f for f in range(X.shape[1]) if X[:, f].std() > 1e-9]
    coef = np.zeros(X.shape[1])
    intercept = 0.0
    while True:
        b, intercept = _newton_logistic(Z[:, active], y, l2)
        bad = [f for f, v in zip(active, b, strict=True) if _SIGNS[f] * v < 0]
        if not bad:
            coef[:] = 0.0
            coef[active] = b
            break
        active = [f for f in active if f not in bad]
    return {
        "kind": "logistic",
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": coef.tolist(),
        "intercept": intercept,
    }


def fit_stumps(
    X: np.ndarray, y: np.ndarray, rounds: int, lr: float, l2: float, bins: int
) -> dict[str, Any]:
    """Gradient-boosted decision stumps on the logistic loss (Newton leaves).

    Splits are ``x <= threshold`` at quantiles of each feature; a split on a
    monotone feature is allowed only if its leaves respect the sign, so the
    sum is monotone too.
    """
    n, d = X.shape
    qs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    thresholds: list[np.ndarray] = []
    B = np.zeros((n, d), dtype=np.int64)
    for f in range(d):
        col = X[:, f]
        t = np.unique(np.quantile(col, qs, method="lower"))
        t = t[t < col.max()] if n else t
        thresholds.append(t)
        B[:, f] = np.searchsorted(t, col, side="left")
    prior = float(np.clip(y.mean(), 1e-4, 1 - 1e-4)) if n else 0.5
    base = math.log(prior / (1.0 - prior))
    F = np.full(n, base)
    agg: dict[tuple[int, float], list[float]] = {}
    for _ in range(rounds):
        p = _sigmoid(F)
        g = p - y
        h = np.maximum(p * (1.0 - p), 1e-9)
        G, H = float(g.sum()), float(h.sum())
        best: tuple[float, int, int, float, float] | None = None
        for f in range(d):
            t = thresholds[f]
            if t.size == 0:
                continue
            gb = np.bincount(B[:, f], weights=g, minlength=t.size + 1)
            hb = np.bincount(B[:, f], weights=h, minlength=t.size + 1)
            GL, HL = np.cumsum(gb)[:-1], np.cumsum(hb)[:-1]
            GR, HR = G - GL, H - HL
            wl, wr = -GL / (HL + l2), -GR / (HR + l2)
            gain = GL * GL / (HL + l2) + GR * GR / (HR + l2) - G * G / (H + l2)
            ok = (HL >= 1.0) & (HR >= 1.0)
            if _SIGNS[f] > 0:
                ok &= wl <= wr
            elif _SIGNS[f] < 0:
                ok &= wl >= wr
            gain = np.where(ok, gain, -np.inf)
            k = int(np.argmax(gain))
            if np.isfinite(gain[k]) and (best is None or gain[k] > best[0] + 1e-12):
                best = (float(gain[k]), f, k, float(wl[k]), float(wr[k]))
        if best is None or best[0] <= 1e-9:
            break
        _, f, k, wl_k, wr_k = best
        left = B[:, f] <= k
        F += lr * np.where(left, wl_k, wr_k)
        leaf = agg.setdefault((f, float(thresholds[f][k])), [0.0, 0.0])
        leaf[0] += lr * wl_k
        leaf[1] += lr * wr_k
    keys = sorted(agg)
    return {
        "kind": "stumps",
        "base": base,
        "feature": [f for f, _ in keys],
        "threshold": [t for _, t in keys],
        "left": [agg[k][0] for k in keys],
        "right": [agg[k][1] for k in keys],
    }


def fit_model(X: np.ndarray, y: np.ndarray, cfg: dict[str, Any]) -> dict[str, Any]:
    if cfg["kind"] == "logistic":
        return fit_logistic(X, y, float(cfg["l2"]))
    if cfg["kind"] == "stumps":
        return fit_stumps(
            X, y, int(cfg["rounds"]), float(cfg["lr"]), float(cfg["l2"]), int(cfg["bins"])
        )
    raise ValueError(f"unknown model kind {cfg['kind']!r}")


class _Scorer:
    """A fitted model as arrays, for fast scoring (the decision value, a logit)."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.kind = model["kind"]
        if self.kind == "logistic":
            scale = np.asarray(model["scale"], dtype=np.float64)
            self.w = np.asarray(model["coef"], dtype=np.float64) / scale
            self.b = float(model["intercept"]) - float(
                np.dot(self.w, np.asarray(model["mean"], dtype=np.float64))
            )
        elif self.kind == "stumps":
            self.f = np.asarray(model["feature"], dtype=np.int64)
            self.t = np.asarray(model["threshold"], dtype=np.float64)
            self.left = np.asarray(model["left"], dtype=np.float64)
            self.right = np.asarray(model["right"], dtype=np.float64)
            self.b = float(model["base"])
        else:
            raise ValueError(f"unknown model kind {self.kind!r}")

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        if self.kind == "logistic":
            return X @ self.w + self.b
        return np.where(X[:, self.f] <= self.t, self.left, self.right).sum(axis=1) + self.b

    def one(self, x: np.ndarray) -> float:
        if self.kind == "logistic":
            return float(x @ self.w) + self.b
        return float(np.where(x[self.f] <= self.t, self.left, self.right).sum()) + self.b


def _fit_calibration(d: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``p = sigmoid(a * d + b)`` fitted to out-of-fold scores (a kept positive)."""
    if d.size == 0 or y.min() == y.max():
        return 1.0, 0.0
    coef, b = _newton_logistic(d.reshape(-1, 1), y.astype(np.float64), 1e-3)
    a = float(coef[0])
    if a <= 1e-3:
        return 1e-3, float(b)
    return a, float(b)


# ------------------------------------------------------------------------- data
def load_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of an intent file; each must have string keys intent, group, prompt."""
    rows: list[dict[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            if not all(isinstance(r.get(k), str) for k in ("intent", "group", "prompt")):
                raise ValueError(f"{path}:{n}: needs string keys intent, group, prompt")
            rows.append(r)
    return rows


def repo_root() -> Path | None:
    """The Lantern checkout this package runs from (editable install), or the cwd's."""
    here = Path(__file__).resolve()
    for cand in (here.parents[3] if len(here.parents) > 3 else None, Path.cwd(), Path.cwd().parent):
        if cand is not None and (cand / "widget-log" / "bench" / "data").is_dir():
            return cand
    return None


# The repo's sets, by name. Listed one by one on purpose: sets written later
# into bench/data (and kept blind) must never be picked up by a glob.
REPO_SETS = ("a", "b", "c", "d")


def repo_sets(root: Path | None = None) -> tuple[list[tuple[str, Path]], list[str]]:
    """``([(name, path)], notes)``: the dev set (``../shared/eval`` from the repo
    root; skipped with a note when absent) and ``bench/data`` sets a-d."""
    root = root or repo_root()
    notes: list[str] = []
    if root is None:
        return [], ["repo root not found (no widget-log/bench/data here)"]
    out: list[tuple[str, Path]] = []
    dev = root.parent / "shared" / "eval" / "cache-intents-dev.jsonl"
    if dev.is_file():
        out.append(("dev", dev))
    else:
        notes.append(f"dev set skipped: {dev} not found")
    for name in REPO_SETS:
        p = root / "widget-log" / "bench" / "data" / f"lantern-intents-{name}.jsonl"
        if p.is_file():
            out.append((name, p))
        else:
            notes.append(f"set {name} skipped: {p} not found")
    return out, notes


@dataclass
class Lookup:
    """One step of the protocol's stream: the query, an exact match, or candidates."""

    query: int
    exact: int | None
    candidates: list[tuple[int, float]]  # (stored prompt, cosine), most similar first
    seen: bool  # an earlier prompt of the same intent exists


@dataclass
class Prepared:
    """An intent set embedded once: sentence vectors and verifier features per prompt."""

    name: str
    rows: list[dict[str, str]]
    texts: list[str]
    vecs: np.ndarray
    feats: list[EntryFeatures]
    packed: list[bytes]
    has_words: list[bool]
    digest: str
    _pairs: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)
    _train_pairs: dict[tuple[float, int], list[tuple[int, int]]] = field(
        default_factory=dict, repr=False
    )
    _lookups: dict[tuple[float, int], list[Lookup]] = field(default_factory=dict, repr=False)

    def lookups(
        self, threshold: float = CACHE_THRESHOLD, candidates: int = CACHE_CANDIDATES
    ) -> list[Lookup]:
        """The protocol's stream (shared/eval/README.md), as the cache sees it.

        ``random.Random(7)`` order; a prompt whose normalised text was seen is
        an exact hit; otherwise (if it has words to match on) its
        ``candidates`` nearest earlier prompts with cosine >= ``threshold``.
        """
        key = (threshold, candidates)
        if key not in self._lookups:
            self._lookups[key] = _stream(self, threshold, candidates)
        return self._lookups[key]

    def training_pairs(self, floor: float = PAIR_FLOOR, k: int = PAIR_K) -> list[tuple[int, int]]:
        """(query, candidate) pairs: nearest others and the stream's candidates."""
        if (floor, k) in self._train_pairs:
            return self._train_pairs[(floor, k)]
        out: dict[tuple[int, int], None] = {}
        sims = self.vecs @ self.vecs.T
        for i in range(len(self.texts)):
            order = np.argsort(-sims[i], kind="stable")
            taken = 0
            for j in order:
                j = int(j)
                if taken >= k or sims[i, j] < floor:
                    break
                if j == i or self.texts[j] == self.texts[i]:
                    continue
                out[(i, j)] = None
                taken += 1
        for lk in self.lookups():
            for j, _ in lk.candidates:
                out[(lk.query, j)] = None
        self._train_pairs[(floor, k)] = sorted(out)
        return self._train_pairs[(floor, k)]

    def label(self, i: int, j: int) -> bool:
        return self.rows[i]["intent"] == self.rows[j]["intent"]

    def matrix(self, featurizer: PairFeaturizer, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        """Feature rows of ``pairs`` (memoised per pair)."""
        out = np.zeros((len(pairs), len(FEATURES)))
        for r, (i, j) in enumerate(pairs):
            x = self._pairs.get((i, j))
            if x is None:
                s = float(self.vecs[i] @ self.vecs[j])
                x = featurizer.vector(self.feats[i], self.feats[j], s)
                self._pairs[(i, j)] = x
            out[r] = x
        return out


def _digest(rows: list[dict[str, str]]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r["intent"], r["group"], r["prompt"]]).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def prepare(name: str, rows: list[dict[str, str]], verifier: Verifier) -> Prepared:
    """Embed each prompt once (sentence vector, token vectors -> verifier features)."""
    emb = verifier.embedder
    texts = [normalise_text(r["prompt"]) for r in rows]
    vecs = np.zeros((len(texts), int(getattr(emb, "dim", 384))), dtype=np.float32)
    feats: list[EntryFeatures] = []
    words: list[bool] = []
    for i, t in enumerate(texts):
        vecs[i] = np.asarray(emb.encode(t), dtype=np.float32).reshape(-1)
        feats.append(verifier.analyse(t))  # token vectors from the embedder's cache
        has = getattr(emb, "has_words", None)
        words.append(bool(has(t)) if has is not None else True)
    return Prepared(
        name=name,
        rows=list(rows),
        texts=texts,
        vecs=vecs,
        feats=feats,
        packed=[f.pack() for f in feats],
        has_words=words,
        digest=_digest(rows),
    )


def _stream(p: Prepared, threshold: float, candidates: int) -> list[Lookup]:
    order = list(range(len(p.texts)))
    random.Random(STREAM_SEED).shuffle(order)
    stored: list[int] = []
    exact: dict[str, int] = {}
    seen: set[str] = set()
    out: list[Lookup] = []
    for i in order:
        intent = p.rows[i]["intent"]
        was_seen = intent in seen
        ex = exact.get(p.texts[i])
        cands: list[tuple[int, float]] = []
        if ex is None and stored and p.has_words[i]:
            idx = np.asarray(stored)
            sims = p.vecs[idx] @ p.vecs[i]
            for c in np.argsort(-sims, kind="stable")[:candidates]:
                s = float(sims[c])
                if s < threshold:
                    break
                cands.append((int(idx[c]), s))
        out.append(Lookup(i, ex, cands, was_seen))
        stored.append(i)
        exact.setdefault(p.texts[i], i)
        seen.add(intent)
    return out


def score_stream(
    p: Prepared,
    lookups: Sequence[Lookup],
    accept: Callable[[Lookup, int, float], bool],
) -> dict[str, int]:
    """Count the protocol's outcomes when ``accept(lookup, candidate, cosine)``
    decides each candidate in turn (the first accepted is served)."""
    tp = fp = missed = exact = sib = 0
    for lk in lookups:
        hit = lk.exact
        if hit is not None:
            exact += 1
        else:
            for j, s in lk.candidates:
                if accept(lk, j, s):
                    hit = j
                    break
        if hit is not None:
            if p.label(lk.query, hit):
                tp += 1
            else:
                fp += 1
                sib += p.rows[hit]["group"] == p.rows[lk.query]["group"]
        elif lk.seen:
            missed += 1
    return {
        "hits": tp + fp,
        "true_hits": tp,
        "false_hits": fp,
        "missed_hits": missed,
        "exact_hits": exact,
        "sibling_confusions": sib,
    }


# ------------------------------------------------------------ threshold curves
def _curve(
    parts: Sequence[tuple[Prepared, Sequence[Lookup], Sequence[np.ndarray]]], zs: np.ndarray
) -> dict[str, Any]:
    """Protocol counts at every threshold of ``zs`` (compared with the scores given).

    ``parts``: per set, its lookups and, per lookup, its candidates' scores.
    A lookup serves its first candidate with score >= z: candidate k is served
    for z in (max(earlier scores), score_k], so each count is a sum of
    intervals, evaluated at all thresholds at once.
    """
    lo: list[float] = []
    hi: list[float] = []
    true: list[float] = []
    seen: list[float] = []
    exact = seen_open = 0
    for p, lookups, scores in parts:
        for lk, sc in zip(lookups, scores, strict=True):
            if lk.exact is not None:
                exact += 1
                continue
            seen_open += lk.seen
            m = -math.inf
            for (j, _), s in zip(lk.candidates, sc, strict=True):
                if s > m:
                    lo.append(m)
                    hi.append(float(s))
                    true.append(float(p.label(lk.query, j)))
                    seen.append(float(lk.seen))
                    m = float(s)
    lo_a, hi_a = np.asarray(lo), np.asarray(hi)
    # a first candidate (lo = -inf) is served even at z = -inf
    zq = np.maximum(np.asarray(zs, dtype=np.float64), -np.finfo(np.float64).max)

    def at(weights: list[float]) -> np.ndarray:
        w = np.asarray(weights)
        if w.size == 0:
            return np.zeros(zs.size)
        oh, ol = np.argsort(hi_a, kind="stable"), np.argsort(lo_a, kind="stable")
        ch = np.concatenate([[0.0], np.cumsum(w[oh])])
        cl = np.concatenate([[0.0], np.cumsum(w[ol])])
        ge_hi = ch[-1] - ch[np.searchsorted(hi_a[oh], zq, side="left")]
        ge_lo = cl[-1] - cl[np.searchsorted(lo_a[ol], zq, side="left")]
        return np.rint(ge_hi - ge_lo)

    ones = [1.0] * len(lo)
    hits = at(ones)
    tp = at(true)
    hits_seen = at(seen)
    return {
        "z": zs.tolist(),
        "true_hits": tp.astype(int).tolist(),
        "false_hits": (hits - tp).astype(int).tolist(),
        "missed_hits": (seen_open - hits_seen).astype(int).tolist(),
        "exact_hits": exact,
        "seen_open": seen_open,
    }


def pick_threshold(curve: dict[str, Any], bound: float, conservative: bool = False) -> float:
    """The smallest logit z of ``curve`` that meets ``bound`` (module docstring);
    ``math.inf`` if none does."""
    from .stats import wilson

    z = np.asarray(curve["z"], dtype=np.float64)
    tp = np.asarray(curve["true_hits"], dtype=np.int64)
    fp = np.asarray(curve["false_hits"], dtype=np.int64)
    hits = tp + fp
    if conservative:
        for k in range(z.size):
            if hits[k] and wilson(int(fp[k]), int(hits[k]))[1] <= bound:
                return float(z[k])
        return math.inf
    rate = np.where(hits > 0, fp / np.maximum(hits, 1), 0.0)
    ok = (hits > 0) & (rate <= bound + 1e-12)
    bad = (hits >= math.ceil(1.0 / bound)) & ~ok if bound > 0 else hits > 0
    # bad_above[k]: some higher threshold with enough hits breaks the bound
    bad_above = np.concatenate([np.logical_or.accumulate(bad[::-1])[::-1][1:], [False]])
    good = np.flatnonzero(ok & ~bad_above)
    return float(z[good[0]]) if good.size else math.inf


def _curve_at(curve: dict[str, Any], z: float) -> dict[str, Any]:
    """The counts of ``curve`` at logit ``z`` (nothing served at ``inf``)."""
    from .stats import wilson

    zs = curve["z"]
    if math.isinf(z):  # nothing served: every lookup with an earlier same intent missed
        tp = fp = 0
        missed = int(curve["seen_open"])
    else:
        k = min(range(len(zs)), key=lambda i: abs(zs[i] - z))
        tp, fp = int(curve["true_hits"][k]), int(curve["false_hits"][k])
        missed = int(curve["missed_hits"][k])
    exact = int(curve["exact_hits"])
    hits = tp + fp
    return {
        "semantic_hits": hits,
        "false_hits": fp,
        "false_hit_rate": fp / hits if hits else 0.0,
        "false_hit_rate_ci95": list(wilson(fp, hits)),
        "recall": (tp + exact) / (tp + exact + missed) if tp + exact + missed else 0.0,
    }


# ---------------------------------------------------------------------- training
def _log(log: Callable[[str], None] | None, msg: str) -> None:
    if log is not None:
        log(msg)


def _dataset(sets: Sequence[Prepared], featurizer: PairFeaturizer) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for p in sets:
        pairs = p.training_pairs()
        xs.append(p.matrix(featurizer, pairs))
        ys.append(np.array([p.label(i, j) for i, j in pairs], dtype=np.float64))
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def _stream_rows(p: Prepared, featurizer: PairFeaturizer) -> tuple[np.ndarray, list[int]]:
    """Feature rows of all the stream's candidates, and each lookup's row count."""
    lookups = p.lookups()
    pairs = [(lk.query, j) for lk in lookups for j, _ in lk.candidates]
    return p.matrix(featurizer, pairs), [len(lk.candidates) for lk in lookups]


def _split(values: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(values, np.cumsum(sizes)[:-1]) if sizes else []


def _out_of_fold(
    sets: Sequence[Prepared], featurizer: PairFeaturizer, cfg: dict[str, Any]
) -> list[np.ndarray]:
    """Per set: scores of its stream candidates by a model fitted on the other sets."""
    out = []
    for k, held in enumerate(sets):
        X, y = _dataset([p for m, p in enumerate(sets) if m != k], featurizer)
        scorer = _Scorer(fit_model(X, y, cfg))
        rows, _ = _stream_rows(held, featurizer)
        out.append(scorer.decision(rows) if len(rows) else np.zeros(0))
    return out


def train(
    sets: Sequence[Prepared],
    featurizer: PairFeaturizer,
    *,
    error_bound: float = DEFAULT_ERROR_BOUND,
    grid: Sequence[dict[str, Any]] = GRID,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Weights (a JSON-able dict) trained on ``sets`` only; see the module docstring.

    Needs at least two sets (the selection, calibration and threshold are
    cross-validated by set).
    """
    if len(sets) < 2:
        raise ValueError("training needs at least two intent sets (cross-validation by set)")
    names = [p.name for p in sets]
    if len(set(names)) != len(names):
        raise ValueError(f"set names must be distinct: {names}")
    t0 = time.perf_counter()
    labels = []
    sizes = []
    for p in sets:
        sizes.append(_stream_rows(p, featurizer)[1])
        labels.append(
            np.array([p.label(lk.query, j) for lk in p.lookups() for j, _ in lk.candidates])
        )
    y_oof = np.concatenate(labels).astype(np.float64) if labels else np.zeros(0)
    results = []
    for gi, cfg in enumerate(grid):
        oof = _out_of_fold(sets, featurizer, cfg)
        d = np.concatenate(oof) if oof else np.zeros(0)
        parts = [(p, p.lookups(), _split(o, n)) for p, o, n in zip(sets, oof, sizes, strict=True)]
        curve = _curve(parts, np.sort(np.unique(np.concatenate([d, [np.inf]]))))
        z = pick_threshold(curve, error_bound)
        at = _curve_at(curve, z)
        pr = np.clip(_sigmoid(d), 1e-12, 1 - 1e-12)
        logloss = float(-np.mean(y_oof * np.log(pr) + (1 - y_oof) * np.log(1 - pr)))
        results.append(
            {
                "config": cfg,
                "oof_recall": round(at["recall"], 4),
                "oof_false_hit_rate": round(at["false_hit_rate"], 4),
                "oof_semantic_hits": at["semantic_hits"],
                "oof_logloss": round(logloss, 4),
                "_oof": oof,
                "_order": gi,
            }
        )
        _log(
            log,
            f"  cv {cfg}: recall {at['recall']:.3f} fhr {at['false_hit_rate']:.3f} "
            f"hits {at['semantic_hits']} logloss {logloss:.3f}",
        )
    best = max(results, key=lambda r: (r["oof_recall"], -r["oof_logloss"], -r["_order"]))
    oof = best["_oof"]
    d = np.concatenate(oof) if oof else np.zeros(0)
    a, b = _fit_calibration(d, y_oof)
    parts = [
        (p, p.lookups(), _split(a * o + b, n)) for p, o, n in zip(sets, oof, sizes, strict=True)
    ]
    curve = _curve(parts, _Z_GRID)
    X, y = _dataset(sets, featurizer)
    model = fit_model(X, y, best["config"])
    _log(log, f"  trained on {names}: {len(y)} pairs, {time.perf_counter() - t0:.1f} s")
    return {
        "version": WEIGHTS_VERSION,
        "features": list(FEATURE_NAMES),
        "model": model,
        "calibration": {"a": a, "b": b},
        "curve": curve,
        "default_error_bound": DEFAULT_ERROR_BOUND,
        "verifier_config": {k: featurizer.verifier.config[k] for k in _FEATURE_KEYS},
        "candidates": {"similarity_threshold": CACHE_THRESHOLD, "candidates": CACHE_CANDIDATES},
        "training": {
            "sets": names,
            "set_digests": {p.name: p.digest for p in sets},
            "rows": {p.name: len(p.rows) for p in sets},
            "pairs": len(y),
            "positive_pairs": int(y.sum()),
            "pair_floor": PAIR_FLOOR,
            "pair_k": PAIR_K,
            "stream_seed": STREAM_SEED,
            "selected": best["config"],
            "cv": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
        },
    }


# ----------------------------------------------------------------------- serving
class LearnedVerifier:
    """Probability that a cached prompt's answer answers a query; see the module docstring."""

    def __init__(
        self,
        weights: dict[str, Any],
        verifier: Verifier,
        error_bound: float | None = None,
    ) -> None:
        if weights.get("version") != WEIGHTS_VERSION:
            raise ValueError(
                f"learned weights version {weights.get('version')!r}, expected {WEIGHTS_VERSION}"
            )
        if list(weights.get("features", [])) != list(FEATURE_NAMES):
            raise ValueError("learned weights were trained on other features")
        want = weights.get("verifier_config", {})
        diff = [k for k in _FEATURE_KEYS if k in want and verifier.config.get(k) != want[k]]
        if diff:
            raise ValueError(f"verifier settings differ from the training ones: {diff}")
        self.weights = weights
        self.verifier = verifier
        self.featurizer = PairFeaturizer(verifier)
        self._scorer = _Scorer(weights["model"])
        self._a = float(weights["calibration"]["a"])
        self._b = float(weights["calibration"]["b"])
        bound = weights.get("default_error_bound", DEFAULT_ERROR_BOUND)
        self.error_bound = float(bound if error_bound is None else error_bound)
        self._serve_at = self.threshold(self.error_bound)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        embedder: Any | None = None,
        verifier: Verifier | None = None,
        error_bound: float | None = None,
    ) -> LearnedVerifier:
        """Weights from ``path`` (default: the shipped ``learned_weights.json``).

        Features need a :class:`Verifier` with the training settings: pass the
        cache's (checked), or an ``embedder`` to build one, or neither (a new
        :class:`Embedder` on the bundled model).
        """
        if path is None:
            text = resources.files("widget_log").joinpath(WEIGHTS_FILE).read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        weights = json.loads(text)
        if verifier is None:
            cfg = {**GUARD_DEFAULTS, **weights.get("verifier_config", {})}
            verifier = Verifier(embedder if embedder is not None else Embedder(), cfg)
        return cls(weights, verifier, error_bound)

    def save(self, path: str | Path) -> None:
        save_weights(self.weights, path)

    # -- thresholds
    def threshold(
        self, error_bound: float = DEFAULT_ERROR_BOUND, conservative: bool = False
    ) -> float:
        """The probability to serve at (``p >= threshold``) for ``error_bound``.

        Chosen on the training sets' out-of-fold replay (module docstring);
        ``math.inf`` if no threshold met the bound there (serve nothing).
        """
        z = pick_threshold(self.weights["curve"], error_bound, conservative)
        return math.inf if math.isinf(z) else float(_sigmoid(z))

    def estimate(self, threshold: float) -> dict[str, Any]:
        """Out-of-fold false-hit rate (with its Wilson interval) and recall at ``threshold``."""
        if math.isinf(threshold) or threshold >= 1.0:
            z = math.inf
        else:
            z = math.log(max(threshold, 1e-300) / (1.0 - threshold))
        return _curve_at(self.weights["curve"], z)

    # -- scoring
    def features(self, text: str) -> bytes:
        """Per-entry features to keep with a cache entry (same as :meth:`Verifier.features`)."""
        return self.verifier.features(text)

    def vector(
        self,
        query_text: str,
        candidate_text: str,
        similarity: float,
        query_features: EntryFeatures | bytes | None = None,
        candidate_features: EntryFeatures | bytes | None = None,
    ) -> np.ndarray:
        """The pair's feature vector (named by :data:`FEATURE_NAMES`)."""
        q = self.verifier._resolve(query_text, query_features)
        c = self.verifier._resolve(candidate_text, candidate_features)
        return self.featurizer.vector(q, c, similarity)

    def probability_of(self, x: np.ndarray) -> float:
        """Calibrated probability for a feature vector."""
        return float(_sigmoid(self._a * self._scorer.one(x) + self._b))

    def probability(
        self,
        query_text: str,
        candidate_text: str,
        similarity: float,
        query_features: EntryFeatures | bytes | None = None,
        candidate_features: EntryFeatures | bytes | None = None,
    ) -> float:
        """Calibrated probability that ``candidate_text``'s answer answers ``query_text``.

        ``similarity`` is their sentence cosine. Features (``EntryFeatures`` or
        packed bytes from :meth:`features`) are computed when not given (the
        candidate's then runs the model; the query's is usually in the
        embedder's token cache right after its lookup embedded it).
        """
        x = self.vector(query_text, candidate_text, similarity, query_features, candidate_features)
        return self.probability_of(x)

    def verify(
        self,
        query: str,
        candidate: str,
        similarity: float,
        candidate_features: EntryFeatures | bytes | None = None,
        query_features: EntryFeatures | bytes | None = None,
    ) -> Verdict:
        """:meth:`Verifier.verify`'s contract: accept when ``p >= threshold(error_bound)``."""
        p = self.probability(query, candidate, similarity, query_features, candidate_features)
        if p >= self._serve_at:
            return Verdict(True, None)
        return Verdict(False, f"learned_reject: p={p:.3f} < {self._serve_at:.3f}")


def save_weights(weights: dict[str, Any], path: str | Path) -> None:
    """Write weights as JSON (deterministic: same weights, same bytes)."""
    text = json.dumps(weights, indent=1, sort_keys=True, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m widget_log.learned",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train weights on intent sets")
    tr.add_argument("--out", required=True, help="weights file to write")
    tr.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="train on these sets instead of the repo's (dev, a-d)",
    )
    tr.add_argument("--error-bound", type=float, default=DEFAULT_ERROR_BOUND)
    sh = sub.add_parser("show", help="summarise a weights file")
    sh.add_argument("path", nargs="?", help="default: the shipped weights")
    sh.add_argument("--error-bound", type=float, default=DEFAULT_ERROR_BOUND)
    args = ap.parse_args(argv)
    if args.cmd == "train":
        if args.set:
            files = [(s.split("=", 1)[0], Path(s.split("=", 1)[1])) for s in args.set]
        else:
            files, notes = repo_sets()
            for n in notes:
                print(f"note: {n}", file=sys.stderr)
        from .config import load_config

        cfg = load_config({"data_dir": ":memory:"})
        verifier = Verifier(Embedder(cfg["embedding"]), cfg["verifier"])
        featurizer = PairFeaturizer(verifier)
        sets = []
        for name, path in files:
            t0 = time.perf_counter()
            sets.append(prepare(name, load_rows(path), verifier))
            print(f"embedded {name} ({path}): {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        w = train(
            sets,
            featurizer,
            error_bound=args.error_bound,
            log=lambda m: print(m, file=sys.stderr),
        )
        save_weights(w, args.out)
        lv = LearnedVerifier(w, verifier)
        t = lv.threshold(args.error_bound)
        print(
            json.dumps(
                {
                    "out": args.out,
                    "sets": w["training"]["sets"],
                    "selected": w["training"]["selected"],
                    "threshold": t,
                    "estimate": lv.estimate(t),
                }
            )
        )
        return 0
    text = (
        Path(args.path).read_text("utf-8")
        if args.path
        else resources.files("widget_log").joinpath(WEIGHTS_FILE).read_text("utf-8")
    )
    w = json.loads(text)
    z = pick_threshold(w["curve"], args.error_bound)
    zc = pick_threshold(w["curve"], args.error_bound, conservative=True)
    out = {
        "sets": w["training"]["sets"],
        "selected": w["training"]["selected"],
        "cv": w["training"]["cv"],
        "threshold": None if math.isinf(z) else float(_sigmoid(z)),
        "estimate": _curve_at(w["curve"], z),
        "threshold_conservative": None if math.isinf(zc) else float(_sigmoid(zc)),
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

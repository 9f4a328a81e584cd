"""Score the cache on an intent file (format and protocol: shared/eval/README.md).

    python -m widget_log.eval FILE [--json] [--config FILE] [--threshold F]
    python -m widget_log.eval --loso [--json] [--set NAME=FILE ...] [--error-bound 0.02]
    python -m widget_log.eval --blind FILE [--blind FILE2] [--weights W] [--json]

``FILE``: rows are shuffled with ``random.Random(7)``; each prompt is looked up
through the real cache (exact path, semantic path and verifier, in-memory
store) and then added to it, hit or miss.

``--loso``: leave one set out. For each of the repo's intent sets (the dev set
at ``../shared/eval`` from the repo root, skipped with a note when absent, and
``bench/data`` sets a-d; or the ``--set`` files), the learned verifier
(:mod:`widget_log.learned`) is trained on all the *other* sets and the held-out
set is streamed by the same protocol, scoring both the hand-written guard (as
it is, untrained) and the learned verifier (serving when ``p >=`` its threshold
for ``--error-bound``). Both see the same candidates: an exact match first,
else the ``candidates`` nearest earlier prompts with cosine >=
``similarity_threshold`` (the cache's defaults), most similar first; the first
accepted is served. Each prompt is embedded once. Reported per set and pooled:
hits, false hits, false-hit rate and recall with 95 % Wilson intervals.

``--blind FILE``: the same scoring on a set that no training or tuning has
seen, with the shipped weights (trained on all the repo's sets) or
``--weights``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from .cache import Cache
from .config import load_config
from .embed import Embedder
from .key import prompt_key
from .stats import wilson
from .store import Store
from .verify import Verifier


def rates(true_hits: int, false_hits: int, missed_hits: int) -> dict[str, float]:
    """The scoring rules of shared/eval/README.md: false-hit rate and hit recall."""
    hits = true_hits + false_hits
    found = true_hits + missed_hits
    return {
        "false_hit_rate": round(false_hits / hits, 4) if hits else 0.0,
        "recall": round(true_hits / found, 4) if found else 0.0,
    }


def _response(i: int) -> dict[str, Any]:
    return {
        "id": f"msg_eval_{i}",
        "type": "message",
        "role": "assistant",
        "model": "eval-model",
        "content": [{"type": "text", "text": f"answer {i}"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def run_eval(
    rows: list[dict[str, str]], cfg: dict[str, Any], embedder: Embedder | None = None
) -> dict[str, Any]:
    rows = list(rows)
    random.Random(7).shuffle(rows)
    embedder = embedder or Embedder(cfg["embedding"])
    verifier = Verifier(embedder, cfg["verifier"])
    cache_cfg = {**cfg["cache"], "ttl_seconds": 0, "max_entries": 0}
    cache = Cache(cache_cfg, embedder, Store(None), verifier, cfg.get("pricing"))
    by_entry: dict[str, dict[str, str]] = {}
    seen_intents: set[str] = set()
    true_hits = false_hits = missed = siblings = exact = 0
    latencies: list[float] = []
    misses: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = prompt_key(row["prompt"], "eval", context="eval", model="eval-model")
        t0 = time.perf_counter()
        res = cache.lookup(key, "eval")
        latencies.append((time.perf_counter() - t0) * 1000)
        if res.hit:
            other = by_entry[res.entry_id or ""]
            exact += res.outcome["outcome"] == "exact_hit"
            if other["intent"] == row["intent"]:
                true_hits += 1
            else:
                false_hits += 1
                siblings += other["group"] == row["group"]
        else:
            kind = res.outcome["reason"]["kind"]
            misses[kind] = misses.get(kind, 0) + 1
            if row["intent"] in seen_intents:
                missed += 1
        eid = cache.put(key, _response(i), "eval", lookup=res)
        if eid is not None:
            by_entry[eid] = row
        seen_intents.add(row["intent"])
    cache.close()
    return {
        "rows": len(rows),
        "true_hits": true_hits,
        "false_hits": false_hits,
        "missed_hits": missed,
        "exact_hits": exact,
        "sibling_confusions": siblings,
        **rates(true_hits, false_hits, missed),
        "misses_by_reason": misses,
        "lookup_ms_p50": round(_pct(latencies, 0.5), 3),
        "lookup_ms_p99": round(_pct(latencies, 0.99), 3),
        "similarity_threshold": cache_cfg.get("similarity_threshold"),
        "embed_model": embedder.model_id,
    }


def _method_summary(c: dict[str, int]) -> dict[str, Any]:
    """Counts plus rates with their 95 % Wilson intervals (protocol definitions)."""
    hits, fp, tp, missed = c["hits"], c["false_hits"], c["true_hits"], c["missed_hits"]
    return {
        **c,
        "false_hit_rate": round(fp / hits, 4) if hits else 0.0,
        "false_hit_rate_ci95": [round(x, 4) for x in wilson(fp, hits)],
        "recall": round(tp / (tp + missed), 4) if tp + missed else 0.0,
        "recall_ci95": [round(x, 4) for x in wilson(tp, tp + missed)],
    }


def _ceiling(p: Any, lookups: list[Any]) -> float:
    """Recall of a perfect verifier on these candidates (an exact match, or a
    same-intent prompt among the candidates)."""
    good = total = 0
    for lk in lookups:
        if lk.exact is not None:
            good += p.label(lk.query, lk.exact)
            total += 1
        elif lk.seen:
            total += 1
            good += any(p.label(lk.query, j) for j, _ in lk.candidates)
    return round(good / total, 4) if total else 0.0


def _score_set(
    p: Any, verifier: Verifier, lv: Any, threshold: float, cache_cfg: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[float], list[float]]:
    """Guard and learned verifier on one prepared set: summaries and per-candidate ms."""
    from . import learned

    lookups = p.lookups(
        float(cache_cfg.get("similarity_threshold", learned.CACHE_THRESHOLD)),
        int(cache_cfg.get("candidates", learned.CACHE_CANDIDATES)),
    )
    guard_ms: list[float] = []
    learned_ms: list[float] = []

    def guard(lk: Any, j: int, s: float) -> bool:
        t0 = time.perf_counter()
        v = verifier.verify(
            p.texts[lk.query],
            p.texts[j],
            s,
            candidate_features=p.packed[j],
            query_features=p.feats[lk.query],
        )
        guard_ms.append((time.perf_counter() - t0) * 1000)
        return v.accepted

    def learn(lk: Any, j: int, s: float) -> bool:
        t0 = time.perf_counter()
        prob = lv.probability(
            p.texts[lk.query],
            p.texts[j],
            s,
            query_features=p.feats[lk.query],
            candidate_features=p.packed[j],
        )
        learned_ms.append((time.perf_counter() - t0) * 1000)
        return prob >= threshold

    g = _method_summary(learned.score_stream(p, lookups, guard))
    m = _method_summary(learned.score_stream(p, lookups, learn))
    m["threshold"] = threshold if math.isfinite(threshold) else None
    g["recall_ceiling"] = m["recall_ceiling"] = _ceiling(p, lookups)
    return g, m, guard_ms, learned_ms


def _latency(ms: list[float]) -> dict[str, Any]:
    return {
        "candidates": len(ms),
        "p50_ms": round(_pct(ms, 0.50), 4),
        "p99_ms": round(_pct(ms, 0.99), 4),
    }


def _pooled(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    total: dict[str, int] = {}
    for r in rows:
        for k in ("hits", "true_hits", "false_hits", "missed_hits", "exact_hits"):
            total[k] = total.get(k, 0) + int(r[key][k])
        total["sibling_confusions"] = total.get("sibling_confusions", 0) + int(
            r[key]["sibling_confusions"]
        )
    return _method_summary(total)


def run_loso(
    sets: list[tuple[str, list[dict[str, str]]]],
    cfg: dict[str, Any],
    embedder: Embedder | None = None,
    *,
    error_bound: float = 0.02,
    grid: Any = None,
    log: Any = None,
) -> dict[str, Any]:
    """Leave one set out: train on the others, score the guard and the learned
    verifier on the held-out set (module docstring). ``sets``: ``[(name, rows)]``."""
    from . import learned

    embedder = embedder or Embedder(cfg["embedding"])
    verifier = Verifier(embedder, cfg["verifier"])
    featurizer = learned.PairFeaturizer(verifier)
    t0 = time.perf_counter()
    prepared = [learned.prepare(name, rows, verifier) for name, rows in sets]
    embed_s = time.perf_counter() - t0
    if log:
        log(f"embedded {sum(len(r) for _, r in sets)} prompts in {embed_s:.1f} s")
    folds: list[dict[str, Any]] = []
    guard_ms: list[float] = []
    learned_ms: list[float] = []
    for k, held in enumerate(prepared):
        training = [p for m, p in enumerate(prepared) if m != k]
        if log:
            log(f"held out {held.name}: training on {[p.name for p in training]}")
        weights = learned.train(
            training,
            featurizer,
            error_bound=error_bound,
            grid=grid or learned.GRID,
            log=log,
        )
        trained_on = list(weights["training"]["sets"])
        if held.name in trained_on or held.digest in weights["training"]["set_digests"].values():
            raise AssertionError(f"held-out set {held.name} was trained on")
        lv = learned.LearnedVerifier(weights, verifier, error_bound)
        t = lv.threshold(error_bound)
        g, m, gms, lms = _score_set(held, verifier, lv, t, cfg["cache"])
        guard_ms += gms
        learned_ms += lms
        m["training_estimate"] = {
            k: (round(v, 4) if isinstance(v, float) else v) for k, v in lv.estimate(t).items()
        }
        m["selected"] = weights["training"]["selected"]
        folds.append(
            {
                "held_out": held.name,
                "rows": len(held.rows),
                "trained_on": trained_on,
                "guard": g,
                "learned": m,
            }
        )
    return {
        "protocol": "leave-one-set-out",
        "error_bound": error_bound,
        "similarity_threshold": cfg["cache"].get("similarity_threshold"),
        "candidates": cfg["cache"].get("candidates"),
        "embed_model": embedder.model_id,
        "folds": folds,
        "pooled": {"guard": _pooled(folds, "guard"), "learned": _pooled(folds, "learned")},
        "latency": {"guard": _latency(guard_ms), "learned": _latency(learned_ms)},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def run_blind(
    files: list[tuple[str, list[dict[str, str]]]],
    cfg: dict[str, Any],
    embedder: Embedder | None = None,
    *,
    weights: str | None = None,
    error_bound: float = 0.02,
) -> dict[str, Any]:
    """Guard and the learned verifier (fixed weights) on sets nothing was tuned on."""
    from . import learned

    embedder = embedder or Embedder(cfg["embedding"])
    verifier = Verifier(embedder, cfg["verifier"])
    lv = learned.LearnedVerifier.load(weights, verifier=verifier, error_bound=error_bound)
    t = lv.threshold(error_bound)
    digests = lv.weights["training"]["set_digests"]
    out: list[dict[str, Any]] = []
    guard_ms: list[float] = []
    learned_ms: list[float] = []
    for name, rows in files:
        p = learned.prepare(name, rows, verifier)
        if p.digest in digests.values():
            raise ValueError(f"{name} is one of the weights' training sets: not blind")
        g, m, gms, lms = _score_set(p, verifier, lv, t, cfg["cache"])
        guard_ms += gms
        learned_ms += lms
        out.append({"held_out": name, "rows": len(rows), "guard": g, "learned": m})
    return {
        "protocol": "blind",
        "error_bound": error_bound,
        "weights_trained_on": lv.weights["training"]["sets"],
        "threshold": t if math.isfinite(t) else None,
        "folds": out,
        "latency": {"guard": _latency(guard_ms), "learned": _latency(learned_ms)},
    }


def _ci(lo_hi: list[float]) -> str:
    return f"[{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]"


def format_table(res: dict[str, Any]) -> str:
    """The LOSO / blind result as a readable table."""
    w = max([8, *(len(str(f["held_out"])) + 1 for f in res["folds"])])
    head = (
        f"{'set':<{w}}{'rows':>5} | {'method':<8}{'hits':>5}{'false':>6}  "
        f"{'FHR [95% CI]':<22}{'recall [95% CI]':<22}{'ceiling':>7}  threshold"
    )
    lines = [head, "-" * len(head)]

    def row(name: str, n: Any, method: str, r: dict[str, Any]) -> str:
        t = r.get("threshold")
        ts = "" if "threshold" not in r else ("inf" if t is None else f"{t:.4f}")
        return (
            f"{name:<{w}}{n!s:>5} | {method:<8}{r['hits']:>5}{r['false_hits']:>6}  "
            f"{r['false_hit_rate']:.3f} {_ci(r['false_hit_rate_ci95']):<16}"
            f"{r['recall']:.3f} {_ci(r['recall_ci95']):<16}"
            f"{r.get('recall_ceiling', ''):>7}  {ts}"
        )

    for f in res["folds"]:
        lines.append(row(f["held_out"], f["rows"], "guard", f["guard"]))
        lines.append(row("", "", "learned", f["learned"]))
    if "pooled" in res:
        lines.append("-" * len(head))
        n = sum(f["rows"] for f in res["folds"])
        lines.append(row("pooled", n, "guard", res["pooled"]["guard"]))
        lines.append(row("", "", "learned", res["pooled"]["learned"]))
    lat = res["latency"]
    lines.append("")
    lines.append(
        "per-candidate ms (features precomputed, candidate's packed): "
        f"guard p50 {lat['guard']['p50_ms']} p99 {lat['guard']['p99_ms']}; "
        f"learned p50 {lat['learned']['p50_ms']} p99 {lat['learned']['p99_ms']} "
        f"({lat['learned']['candidates']} candidates)"
    )
    return "\n".join(lines)


def _named(spec: str) -> tuple[str, str]:
    name, sep, path = spec.partition("=")
    if not sep:
        raise SystemExit(f"--set wants NAME=FILE, got {spec!r}")
    return name, path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m widget_log.eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("file", nargs="?")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--config", help="a widget-log TOML config file")
    ap.add_argument("--threshold", type=float, help="override cache.similarity_threshold")
    ap.add_argument("--loso", action="store_true", help="leave one set out (guard vs learned)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="with --loso: these sets instead of the repo's (dev, a-d)",
    )
    ap.add_argument(
        "--blind",
        action="append",
        default=[],
        metavar="FILE",
        help="score a set nothing was trained or tuned on (repeatable)",
    )
    ap.add_argument("--weights", help="with --blind: a weights file (default: the shipped one)")
    ap.add_argument("--error-bound", type=float, default=0.02, help="learned verifier's bound")
    args = ap.parse_args(argv)
    over: dict[str, Any] = {"data_dir": ":memory:"}
    if args.threshold is not None:
        over["cache"] = {"similarity_threshold": args.threshold}
    cfg = load_config(over, path=args.config)
    if args.loso or args.blind:
        from . import learned

        log = (lambda m: print(m, file=sys.stderr)) if not args.json else None
        try:
            if args.loso:
                if args.set:
                    files = [(n, Path(p)) for n, p in map(_named, args.set)]
                else:
                    files, notes = learned.repo_sets()
                    for note in notes:
                        print(f"note: {note}", file=sys.stderr)
                sets = [(n, learned.load_rows(p)) for n, p in files]
                res = run_loso(sets, cfg, error_bound=args.error_bound, log=log)
            else:
                sets = [(Path(p).stem, learned.load_rows(p)) for p in args.blind]
                res = run_blind(sets, cfg, weights=args.weights, error_bound=args.error_bound)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(res) if args.json else format_table(res))
        return 0
    if args.file is None:
        ap.error("give an intent FILE, --loso or --blind FILE")
    with open(args.file, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for n, r in enumerate(rows, 1):
        if not all(isinstance(r.get(k), str) for k in ("intent", "group", "prompt")):
            print(f"{args.file}:{n}: needs string keys intent, group, prompt", file=sys.stderr)
            return 2
    res = run_eval(rows, cfg)
    if args.json:
        print(json.dumps(res))
    else:
        print(f"rows               {res['rows']}")
        print(f"false-hit rate     {res['false_hit_rate']:.4f}")
        print(f"recall             {res['recall']:.4f}")
        print(f"true hits          {res['true_hits']} (exact {res['exact_hits']})")
        print(f"false hits         {res['false_hits']}")
        print(f"missed hits        {res['missed_hits']}")
        print(f"sibling confusions {res['sibling_confusions']}")
        print(f"misses by reason   {res['misses_by_reason']}")
        print(f"lookup latency     p50 {res['lookup_ms_p50']} ms, p99 {res['lookup_ms_p99']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

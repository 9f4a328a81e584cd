"""Research harness for the semantic-cache verifier (eval/README.md protocol).

Streams the intent set in ``random.Random(7)`` order; each prompt is looked up
among all earlier prompts, then added. With ``--plain`` the nearest neighbour
above ``--threshold`` is served (plain cosine). Otherwise the best
``--candidates`` neighbours above the threshold go through the verifier and the
first accepted one is served. Per-entry verifier features are computed once,
at insert time, as the cache does; the reported verification latency is the
per-lookup time spent in ``Verifier.verify`` over all candidates.

``--split tune|held`` restricts the stream to one half of the *groups*
(sha1(group) even / odd), for a held-out check of generalisation.

    python bench/guard_eval.py /work/shared/eval/cache-intents-dev.jsonl --plain --sweep
    python bench/guard_eval.py ../shared/eval/cache-intents-dev.jsonl bench/data/*.jsonl
    python bench/guard_eval.py FILE --split held --set align_threshold=0.6

``feature_bytes_mean`` is the packed per-entry verifier state the cache keeps.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from widget_log.embed import Embedder
from widget_log.eval import rates
from widget_log.verify import Verifier


def _split(rows: list[dict[str, str]], which: str) -> set[str] | None:
    if which == "all":
        return None
    parity = 0 if which == "tune" else 1
    groups = {r["group"] for r in rows}
    return {g for g in groups if int(hashlib.sha1(g.encode()).hexdigest(), 16) % 2 == parity}


def stream(
    rows: list[dict[str, str]],
    vecs: np.ndarray,
    threshold: float,
    verifier: Verifier | None,
    feats: list[Any],
    candidates: int,
    groups: set[str] | None,
) -> dict[str, Any]:
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    if groups is not None:
        order = [i for i in order if rows[i]["group"] in groups]
    stored: list[int] = []
    tp = fp = sib = missed = 0
    lat: list[float] = []
    for i in order:
        hit = None
        if stored:
            sims = vecs[stored] @ vecs[i]
            best = np.argsort(-sims, kind="stable")[:candidates]
            if verifier is not None:
                # the cache embeds the query first, which leaves its token
                # vectors in the embedder's cache: do the same, untimed
                verifier.embedder.encode_tokens(rows[i]["prompt"])
            t0 = time.perf_counter()
            for c in best:
                s = float(sims[c])
                if s < threshold:
                    break
                j = stored[int(c)]
                if verifier is None:
                    hit = j
                    break
                # the query's own features are computed inside verify() (first
                # candidate) and reused for the next ones, as in the cache
                v = verifier.verify(rows[i]["prompt"], rows[j]["prompt"], s, feats[j])
                if v.accepted:
                    hit = j
                    break
            lat.append((time.perf_counter() - t0) * 1000)
        seen = any(rows[j]["intent"] == rows[i]["intent"] for j in stored)
        if hit is not None:
            if rows[hit]["intent"] == rows[i]["intent"]:
                tp += 1
            else:
                fp += 1
                sib += rows[hit]["group"] == rows[i]["group"]
        elif seen:
            missed += 1
        stored.append(i)
    arr = np.array(lat or [0.0])
    return {
        "true_hits": tp,
        "false_hits": fp,
        "sibling_confusions": sib,
        "missed_hits": missed,
        **rates(tp, fp, missed),
        "verify_ms_p50": round(float(np.percentile(arr, 50)), 4),
        "verify_ms_p99": round(float(np.percentile(arr, 99)), 4),
    }


def _value(text: str) -> Any:
    """A --set value: JSON (4, 0.55, true, "os") or else the bare string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def run_file(path: str, args: argparse.Namespace, emb: Embedder) -> None:
    """Print one JSON line per threshold (plain) or one for the guarded cache."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    vecs = np.stack([np.asarray(emb.encode(r["prompt"]), np.float32).reshape(-1) for r in rows])
    groups = _split(rows, args.split)
    name = Path(path).stem
    if args.plain or args.sweep:
        ts = [0.80, 0.83, 0.85, 0.87, 0.90, 0.93, 0.95, 0.97] if args.sweep else [args.threshold]
        for t in ts:
            res = stream(rows, vecs, t, None, [], 1, groups)
            print(json.dumps({"set": name, "mode": "plain", "threshold": t, **res}))
        return
    cfg = {k: _value(v) for k, v in (s.split("=", 1) for s in args.set)}
    ver = Verifier(emb, cfg)
    t0 = time.perf_counter()
    feats = [ver.features(r["prompt"]) for r in rows]
    feat_ms = (time.perf_counter() - t0) * 1000 / len(rows)
    res = stream(rows, vecs, args.threshold, ver, feats, args.candidates, groups)
    out = {"set": name, "mode": "guarded", "threshold": args.threshold, "split": args.split, **res}
    out["features_ms_per_entry"] = round(feat_ms, 3)
    out["feature_bytes_mean"] = round(float(np.mean([len(f) for f in feats])))
    out["feature_bytes_max"] = max(len(f) for f in feats)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--threshold", type=float, default=0.75, help="the cache's default")
    ap.add_argument("--candidates", type=int, default=5)
    ap.add_argument("--plain", action="store_true", help="no verifier (plain cosine)")
    ap.add_argument("--sweep", action="store_true", help="plain cosine at 0.80..0.97")
    ap.add_argument("--split", choices=["all", "tune", "held"], default="all")
    ap.add_argument("--set", action="append", default=[], help="verifier config key=value")
    args = ap.parse_args()
    emb = Embedder()
    for path in args.files:
        run_file(path, args, emb)


if __name__ == "__main__":
    main()

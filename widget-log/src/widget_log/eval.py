"""Score the cache on an intent file (format and protocol: shared/eval/README.md).

    python -m widget_log.eval FILE [--json] [--config FILE] [--threshold F]

Rows are shuffled with ``random.Random(7)``; each prompt is looked up through
the real cache (exact path, semantic path and verifier, in-memory store) and
then added to it, hit or miss.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from .cache import Cache
from .config import load_config
from .embed import Embedder
from .key import prompt_key
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m widget_log.eval", description=__doc__)
    ap.add_argument("file")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--config", help="a widget-log TOML config file")
    ap.add_argument("--threshold", type=float, help="override cache.similarity_threshold")
    args = ap.parse_args(argv)
    over: dict[str, Any] = {"data_dir": ":memory:"}
    if args.threshold is not None:
        over["cache"] = {"similarity_threshold": args.threshold}
    cfg = load_config(over, path=args.config)
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

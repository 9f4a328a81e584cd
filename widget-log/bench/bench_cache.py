"""Benchmarks of the Widget-Log cache (numbers only; the tests assert behaviour).

    .venv/bin/python widget-log/bench/bench_cache.py [--sizes 10000,100000] [--json]

Measures, through the real Cache (SQLite store in a temp dir, real verifier):
* exact-hit lookup latency;
* semantic-hit lookup latency, query embedding included, at each size;
* miss (below threshold) latency at each size;
* RSS growth per entry beyond the loaded model.

Stored prompts are generated from templates; their vectors are real MiniLM
embeddings of 2,000 distinct prompts, reused with small noise beyond that so
that 100k entries load in seconds (the index and store see 100k distinct
vectors). Queries are always embedded for real.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from widget_log.cache import Cache, LookupResult
from widget_log.config import load_config
from widget_log.embed import Embedder
from widget_log.key import RequestKey, prompt_key
from widget_log.store import Store
from widget_log.verify import Verifier

VERBS = [
    "parse",
    "sort",
    "reverse",
    "merge",
    "filter",
    "serialize",
    "validate",
    "compress",
    "hash",
    "cache",
    "stream",
    "paginate",
    "retry",
    "log",
    "encrypt",
    "deduplicate",
]
NOUNS = [
    "CSV file",
    "JSON payload",
    "linked list",
    "hash map",
    "date string",
    "HTTP response",
    "SQL result set",
    "YAML config",
    "binary tree",
    "log file",
    "image",
    "websocket frame",
]
LANGS = ["Python", "Rust", "Go", "TypeScript", "Java", "C#", "Kotlin", "Ruby", "Elixir", "Zig"]
TAILS = [
    "without extra dependencies",
    "in a streaming way",
    "for very large inputs",
    "in a unit test",
    "with good error messages",
    "inside an async function",
]


def prompt(i: int) -> str:
    v, n, lang = VERBS[i % 16], NOUNS[(i // 16) % 12], LANGS[(i // 192) % 10]
    t = TAILS[(i // 1920) % 6]
    return f"How do I {v} a {n} in {lang} {t} (case {i})?"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def req(text: str) -> RequestKey:
    return prompt_key(text, namespace="bench", context="bench", model="bench-model")


def resp(i: int) -> dict:
    return {
        "id": f"msg_{i}",
        "type": "message",
        "role": "assistant",
        "model": "bench-model",
        "content": [{"type": "text", "text": f"Answer number {i}. " * 20}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 40, "output_tokens": 200},
    }


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def fill(cache: Cache, n: int, base_vecs: np.ndarray, rng: np.random.Generator) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        text = prompt(i)
        v = base_vecs[i % len(base_vecs)]
        if i >= len(base_vecs):
            v = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
            v /= np.linalg.norm(v)
        r = req(text)
        lr = LookupResult({}, r, vector=v.astype(np.float32))
        cache.put(r, resp(i), "bench", lookup=lr)
    return time.perf_counter() - t0


def run_size(n: int, embedder: Embedder, base_vecs: np.ndarray, index: str, reps: int) -> dict:
    cfg = load_config({"cache": {"index": index, "max_entries": 0, "ttl_seconds": 0}})
    with tempfile.TemporaryDirectory() as d:
        gc.collect()
        rss0 = rss_mb()
        cache = Cache(cfg["cache"], embedder, Store(Path(d)), Verifier(embedder, cfg["verifier"]))
        fill_s = fill(cache, n, base_vecs, np.random.default_rng(0))
        gc.collect()
        rss1 = rss_mb()
        targets = [(i * 7919) % min(n, len(base_vecs)) for i in range(reps)]
        exact, sem, miss = [], [], []
        sem_ok = 0
        for i in targets:
            t0 = time.perf_counter()
            r = cache.lookup(req(prompt(i)), "bench")
            exact.append((time.perf_counter() - t0) * 1000)
            assert r.outcome["outcome"] == "exact_hit", r.outcome
        for i in targets:
            # a paraphrase: same content, different wording -> embedded for real
            q = "Quick question: " + prompt(i).replace("How do I", "how would I")
            t0 = time.perf_counter()
            r = cache.lookup(req(q), "bench")
            sem.append((time.perf_counter() - t0) * 1000)
            sem_ok += r.outcome["outcome"] == "semantic_hit"
        # cold: the candidates' token vectors are not in the embedder's LRU (a fresh
        # process, or entries not touched recently) -> the verifier runs the model on them.
        sem_cold = []
        for i in targets[: max(1, reps // 4)]:
            embedder._tok_cache.clear()
            q = "Could you tell me " + prompt(i).replace("How do I", "how to")
            t0 = time.perf_counter()
            cache.lookup(req(q), "bench")
            sem_cold.append((time.perf_counter() - t0) * 1000)
        for k in range(reps):
            q = f"Write a limerick about a cat named Biscuit number {k}"
            t0 = time.perf_counter()
            r = cache.lookup(req(q), "bench")
            miss.append((time.perf_counter() - t0) * 1000)
        cache.close()
        db_mb = sum(p.stat().st_size for p in Path(d).iterdir()) / 2**20
    return {
        "entries": n,
        "index": index,
        "fill_s": round(fill_s, 1),
        "exact_p50_ms": round(statistics.median(exact), 4),
        "exact_p99_ms": round(pct(exact, 0.99), 4),
        "semantic_p50_ms": round(statistics.median(sem), 3),
        "semantic_p99_ms": round(pct(sem, 0.99), 3),
        "semantic_hit_share": round(sem_ok / len(targets), 3),
        "semantic_cold_p50_ms": round(statistics.median(sem_cold), 3),
        "miss_p50_ms": round(statistics.median(miss), 3),
        "miss_p99_ms": round(pct(miss, 0.99), 3),
        "rss_growth_mb": round(rss1 - rss0, 1),
        "bytes_per_entry": round((rss1 - rss0) * 2**20 / n),
        "db_mb": round(db_mb, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, help="onnxruntime intra-op threads (default: config)")
    args = ap.parse_args()
    cfg = load_config({"embedding": {"threads": args.threads}} if args.threads else None)
    rss_start = rss_mb()
    t0 = time.perf_counter()
    embedder = Embedder(cfg["embedding"])
    embedder.encode("warm up")
    load_s = time.perf_counter() - t0
    rss_model = rss_mb()
    base = embedder.encode_batch([prompt(i) for i in range(2000)])
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "embed_threads": cfg["embedding"]["threads"],
        "model_load_s": round(load_s, 3),
        "rss_model_mb": round(rss_model - rss_start, 1),
        "runs": [],
    }
    for n in (int(s) for s in args.sizes.split(",")):
        indexes = ["auto"] if n < 20000 else ["auto", "numpy"]
        for index in indexes:
            results["runs"].append(run_size(n, embedder, base, index, args.reps))
            if not args.json:
                print(json.dumps(results["runs"][-1]), flush=True)
    print(json.dumps(results, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

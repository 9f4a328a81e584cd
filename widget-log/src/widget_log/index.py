"""In-memory vector index, partitioned by (namespace, fingerprint).

Each partition is a growable float32 matrix searched by brute-force dot
product (vectors are L2-normalised, so dot = cosine). A partition that grows
past ``usearch_min_entries`` moves to a usearch HNSW index, which answers
large searches in well under a millisecond.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np


def _usearch_cls() -> Any:
    """usearch's Index class, or None when the package is missing.

    Imported lazily and always *after* onnxruntime: importing usearch (its
    numkong extension) first makes the later onnxruntime import segfault
    (usearch 2.26.6 + onnxruntime 1.31.1, measured here).
    """
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    try:
        from usearch.index import Index
    except ImportError:  # pragma: no cover
        return None
    return Index


# HNSW search breadth: usearch's default (64) missed ~4% of paraphrases at 100k.
_EXPANSION_SEARCH = 256


class Partition:
    """The vectors of one (namespace, fingerprint).

    Small partitions keep a float32 matrix searched exactly. Once a partition
    reaches ``usearch_at`` entries its vectors move into a usearch HNSW index,
    which then holds the only copy (two copies cost ~150 MB more at 100k).
    """

    def __init__(self, dim: int, usearch_at: int | None) -> None:
        self.dim = dim
        self.mat = np.zeros((16, dim), dtype=np.float32)
        self.keys: list[int] = []
        self.pos: dict[int, int] = {}
        self.usearch_at = usearch_at
        self.uindex: Any = None

    def __len__(self) -> int:
        return len(self.uindex) if self.uindex is not None else len(self.keys)

    def add(self, key: int, vec: np.ndarray) -> None:
        if self.uindex is not None:
            if key in self.uindex:
                self.uindex.remove(key)
            self.uindex.add(key, vec)
            return
        if key in self.pos:
            self.mat[self.pos[key]] = vec
            return
        n = len(self.keys)
        if n == self.mat.shape[0]:
            grown = np.zeros((max(16, n * 2), self.dim), dtype=np.float32)
            grown[:n] = self.mat[:n]
            self.mat = grown
        self.mat[n] = vec
        self.keys.append(key)
        self.pos[key] = n
        if self.usearch_at is not None and n + 1 >= self.usearch_at:
            self._build_usearch()

    def _build_usearch(self) -> None:
        cls = _usearch_cls()
        if cls is None:  # pragma: no cover - usearch is a pinned dependency
            self.usearch_at = None
            return
        # f16 halves the index (~77 MB at 100k × 384) for a cosine error of ~1e-3.
        idx = cls(ndim=self.dim, metric="ip", dtype="f16", expansion_search=_EXPANSION_SEARCH)
        n = len(self.keys)
        idx.add(np.asarray(self.keys, dtype=np.uint64), self.mat[:n])
        self.uindex = idx
        self.mat = np.zeros((0, self.dim), dtype=np.float32)
        self.keys, self.pos = [], {}

    def remove(self, key: int) -> None:
        if self.uindex is not None:
            if key in self.uindex:
                self.uindex.remove(key)
            return
        i = self.pos.pop(key, None)
        if i is None:
            return
        last = len(self.keys) - 1
        if i != last:
            moved = self.keys[last]
            self.keys[i] = moved
            self.mat[i] = self.mat[last]
            self.pos[moved] = i
        self.keys.pop()

    def search(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self)
        if n == 0:
            return []
        k = min(k, n)
        if self.uindex is not None:
            m = self.uindex.search(q, k)
            # metric "ip": distance = 1 - dot
            return [(int(key), float(1.0 - d)) for key, d in zip(m.keys, m.distances, strict=True)]
        sims = self.mat[:n] @ q
        if k < n:
            top = np.argpartition(-sims, k - 1)[:k]
            top = top[np.argsort(-sims[top])]
        else:
            top = np.argsort(-sims)
        return [(self.keys[i], float(sims[i])) for i in top]


class VectorIndex:
    def __init__(self, dim: int, mode: str = "auto", usearch_min_entries: int = 20000) -> None:
        self.dim = dim
        if mode == "numpy":
            self.usearch_at: int | None = None
        elif mode == "usearch":
            self.usearch_at = 1
        else:
            self.usearch_at = max(1, int(usearch_min_entries))
        if mode == "usearch" and _usearch_cls() is None:
            raise RuntimeError("index = 'usearch' but the usearch package is not installed")
        self.parts: dict[tuple[str, str], Partition] = {}

    def add(self, part: tuple[str, str], key: int, vec: np.ndarray) -> None:
        p = self.parts.get(part)
        if p is None:
            p = self.parts[part] = Partition(self.dim, self.usearch_at)
        p.add(key, vec)

    def remove(self, part: tuple[str, str], key: int) -> None:
        p = self.parts.get(part)
        if p is not None:
            p.remove(key)
            if not len(p):
                del self.parts[part]

    def search(self, part: tuple[str, str], q: np.ndarray, k: int) -> list[tuple[int, float]]:
        p = self.parts.get(part)
        return p.search(q, k) if p is not None else []

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts.values())

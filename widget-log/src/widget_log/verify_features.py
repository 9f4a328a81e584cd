"""Per-entry verifier features: what the cache keeps for each prompt.

:class:`EntryFeatures` holds the salient sets and the quantised contextual word
vectors of one prompt (~1.1 KB packed with 4-bit vectors); the helpers pack
4-bit codes two per byte and compute cosines between quantised vectors.
Deterministic: the same features always pack to the same bytes.
"""

from __future__ import annotations

import dataclasses
import marshal
from dataclasses import dataclass

import numpy as np

__all__ = ["EntryFeatures", "cosines", "pack_nibbles", "unpack_nibbles"]

_PACK_VERSION = 4


@dataclass(frozen=True)
class EntryFeatures:
    """Everything the verifier needs about one prompt (~1 KB packed with 4-bit vectors)."""

    words: tuple[str, ...]  # normalised word sequence (salient checks)
    content: tuple[str, ...]  # content words, aligned with ``vectors``
    vectors: np.ndarray  # int8 [len(content), dims]; row-scaled to 127 (8 bits) or 7 (4 bits)
    numbers: tuple[str, ...]  # sorted distinct numbers
    quantities: tuple[tuple[str, str], ...]  # (number, unit) pairs
    entities: tuple[tuple[str, tuple[str, ...]], ...]  # category -> names
    negations: int
    comparators: tuple[str, ...]
    negated: tuple[str, ...] = ()  # first content word after each negation cue
    prose_numbers: tuple[str, ...] = ()  # numbers outside code spans and quotes
    literals: tuple[str, ...] = ()  # quoted strings / code spans, normalised
    scope: tuple[str, ...] = ()  # quantifier classes: universal / particular
    paths: tuple[str, ...] = ()  # file names and paths
    flags: tuple[str, ...] = ()  # command-line flags
    # category -> names seen only weakly: an alias that is also an everyday
    # word, a format named by a file extension, a language implied by a library
    weak_entities: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # identifier-like tokens (c++20, mm/dd/yyyy, camelCase, @State, single
    # letters such as the x in "x axis"): matched only lexically
    identifiers: tuple[str, ...] = ()
    vector_bits: int = 8  # 4: ``vectors`` hold values in [-7, 7], packed two per byte

    def nbytes(self) -> int:
        """Size of the packed form, the one a cache entry keeps."""
        return len(self.pack())

    def pack(self) -> bytes:
        """Compact, deterministic serialisation (what :meth:`Verifier.features` returns)."""
        fields = tuple(
            getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "vectors"
        )
        rows = int(self.vectors.shape[0])
        dim = int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0
        raw = self.vectors.tobytes()
        if self.vector_bits == 4:
            raw = pack_nibbles(self.vectors)
        return marshal.dumps((_PACK_VERSION, fields, rows, dim, raw))

    @classmethod
    def unpack(cls, blob: bytes) -> EntryFeatures:
        """Inverse of :meth:`pack`."""
        version, fields, rows, dim, raw = marshal.loads(blob)
        if version != _PACK_VERSION:
            raise ValueError(f"verifier features version {version}, expected {_PACK_VERSION}")
        names = [f.name for f in dataclasses.fields(cls) if f.name != "vectors"]
        kw = dict(zip(names, fields, strict=True))
        if kw["vector_bits"] == 4:
            vectors = unpack_nibbles(raw, rows, dim)
        else:
            vectors = np.frombuffer(raw, dtype=np.int8).reshape(rows, dim)
        return cls(vectors=vectors, **kw)


def cosines(a: np.ndarray, b: np.ndarray, bits_a: int, bits_b: int) -> np.ndarray:
    """Cosine matrix of two sets of quantised row vectors.

    8-bit rows are unit vectors scaled to 127. 4-bit rows are scaled per row;
    their squared norms are corrected for the rounding noise (uniform, variance
    1/12 per component in code units: Sheppard's correction), which otherwise
    shrinks every cosine by a few hundredths.
    """
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    if bits_a == 8 and bits_b == 8:
        return (fa @ fb.T) / (127.0 * 127.0)
    na, nb = _norms(fa, bits_a), _norms(fb, bits_b)
    return (fa @ fb.T) / np.outer(na, nb)


def _norms(m: np.ndarray, bits: int) -> np.ndarray:
    sq = (m * m).sum(axis=1)
    if bits == 4:
        sq = sq - m.shape[1] / 12.0
    return np.sqrt(np.maximum(sq, 1e-12))


def pack_nibbles(codes: np.ndarray) -> bytes:
    """Values in [-7, 7] as 4-bit two's complement, two per byte (deterministic)."""
    flat = codes.astype(np.int8).reshape(-1)
    if flat.size % 2:
        flat = np.concatenate([flat, np.zeros(1, np.int8)])
    u = (flat.astype(np.uint8) & 0x0F).reshape(-1, 2)
    return (u[:, 0] | (u[:, 1] << 4)).astype(np.uint8).tobytes()


def _nibble_table() -> np.ndarray:
    """Byte value -> its two signed 4-bit values (low nibble first)."""
    b = np.arange(256, dtype=np.int16)
    pair = np.stack([b & 0x0F, b >> 4], axis=1)
    return np.where(pair > 7, pair - 16, pair).astype(np.int8)


_NIBBLES = _nibble_table()


def unpack_nibbles(raw: bytes, rows: int, dim: int) -> np.ndarray:
    """Inverse of :func:`pack_nibbles`."""
    flat = _NIBBLES[np.frombuffer(raw, dtype=np.uint8)].reshape(-1)
    return flat[: rows * dim].reshape(rows, dim)

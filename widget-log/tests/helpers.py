"""Helpers shared by the verifier tests."""

import numpy as np

from widget_log.embed import Embedder


def sim(embedder: Embedder, a: str, b: str) -> float:
    """Cosine similarity of two prompts' sentence vectors (they are unit length)."""
    va = np.asarray(embedder.encode(a), np.float32).reshape(-1)
    vb = np.asarray(embedder.encode(b), np.float32).reshape(-1)
    return float(va @ vb)

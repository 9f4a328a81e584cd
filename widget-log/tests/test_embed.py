import numpy as np
import pytest

from widget_log.embed import DIM, Embedder, EmbeddingBackendError


def test_sentence_vectors_are_normalised(embedder):
    v = embedder.encode_batch(["How do I reverse a list in Python?", "hello"])
    assert v.shape == (2, DIM)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_paraphrase_is_closer_than_unrelated(embedder):
    a, b, c = embedder.encode_batch(
        [
            "How do I reverse a list in Python?",
            "whats the pythonic way to reverse a list",
            "What is the capital of France?",
        ]
    )
    assert a @ b > 0.8 > a @ c


def test_batch_equals_single(embedder):
    texts = ["short", "a much longer sentence with many more words than the first one"]
    batch = embedder.encode_batch(texts)
    for t, v in zip(texts, batch, strict=True):
        assert np.allclose(embedder.encode(t), v, atol=1e-4)


def test_token_embeddings(embedder):
    toks, vecs = embedder.encode_tokens("Reverse a list in Python")
    assert toks == ["reverse", "a", "list", "in", "python"]
    assert vecs.shape == (5, DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_builtin_truncation_of_128_is_overridden(embedder):
    toks, _ = embedder.encode_tokens(" ".join(["word"] * 200))
    assert 128 < len(toks) <= 256


def test_sentence_transformers_backend_fails_clearly_when_missing():
    pytest.importorskip("onnxruntime")
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        with pytest.raises(EmbeddingBackendError, match="sentence-transformers package"):
            Embedder({"backend": "sentence-transformers"})
    else:  # pragma: no cover
        pytest.skip("sentence-transformers is installed here")


def test_unknown_backend():
    with pytest.raises(EmbeddingBackendError, match="unknown embedding backend"):
        Embedder({"backend": "nope"})


def test_a_text_embedded_once_is_not_run_through_the_model_again(embedder, monkeypatch):
    text = "How do I read a file line by line in Go?"
    first = embedder.encode(text)
    calls = []
    real = embedder._backend.run
    monkeypatch.setattr(embedder._backend, "run", lambda texts: calls.append(texts) or real(texts))
    again = embedder.encode(text)
    assert calls == [] and np.array_equal(first, again)
    assert not again.flags.writeable
    embedder.encode(text + " Thanks!")
    assert len(calls) == 1


def test_background_runs_stay_off_the_lock(monkeypatch):
    text = "How do I read a CSV file in Go?"
    fresh = Embedder()
    backend = fresh._backend
    locked_during_run: list[bool] = []
    run = backend.run

    def spy(texts):
        locked_during_run.append(fresh._lock.locked())
        return run(texts)

    monkeypatch.setattr(backend, "run", spy)
    vec = fresh.encode_background(text)
    fresh.encode("another text")
    assert locked_during_run == [False, True], "only foreground runs hold the lock"
    assert np.allclose(vec, fresh.encode(text), atol=1e-6)
    toks, _ = fresh.encode_tokens(text)
    assert toks and len(locked_during_run) == 2, "its vectors and token vectors were kept"


def test_text_past_what_the_model_can_see_is_not_tokenised():
    fresh = Embedder()
    backend = fresh._backend
    seen: list[int] = []

    class Spy:  # records what reaches the tokenizer
        def __init__(self, inner):
            self.inner = inner

        def encode(self, text):
            seen.append(len(text))
            return self.inner.encode(text)

        def encode_batch(self, texts):
            seen.extend(len(t) for t in texts)
            return self.inner.encode_batch(texts)

    backend.tokenizer = Spy(backend.tokenizer)
    head = "how do I parse a date string in rust " * 60
    long = head + "zebra " * 400_000  # 2.4 MB past the first 256 tokens
    vec = fresh.encode(long)
    assert fresh.has_words(long)
    assert seen and max(seen) == backend.max_chars < len(long)
    assert np.allclose(vec, fresh.encode(head + "zebra " * 50), atol=1e-5)
    assert len(fresh.encode_tokens(long)[0]) <= 256

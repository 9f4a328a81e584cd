"""The cache: exact match, then verified semantic match, with SQLite persistence.

Entries live in SQLite (WAL); on start they are reloaded into memory: an exact
key map, a vector index partitioned by (namespace, fingerprint), and an LRU
order. Responses stay on disk, as the JSON text they were stored as, and are
read only on a hit.

Keys come from the caller (:class:`widget_log.key.RequestKey`). A stored
answer is an exact match at once; with ``background=True`` its embedding (for
semantic matching) is computed afterwards on a worker thread, so that storing
never waits for the model.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .index import VectorIndex
from .key import RequestKey
from .store import Store
from .verify import Verifier

CACHE_MODES = ("default", "no-cache", "no-store", "off")
SEMANTIC_MODES = ("serve", "offer", "off")

# Stored answers waiting for their embedding; past this, an entry stays
# exact-only until the next start re-embeds it.
_EMBED_BACKLOG = 10_000
# At most this many of its partition's waiting answers a semantic lookup embeds itself.
_CATCH_UP = 32
# At close, the embedding backlog is worked on for at most this long (seconds).
_CLOSE_DRAIN = 1.0


@dataclass(slots=True)
class _Entry:
    row_id: int
    entry_id: str
    namespace: str
    fingerprint: str
    exact_key: str
    prompt: str
    model: str
    input_tokens: int
    output_tokens: int
    expires_at: float | None
    last_used_at: float
    hits: int
    # The verifier's packed per-entry features (Verifier.features), computed at
    # insert time, or on first use for entries reloaded from disk.
    vfeat: bytes | None = None


@dataclass
class LookupResult:
    outcome: dict[str, Any]
    key: RequestKey
    response: str | None = None  # the stored answer, as the JSON text it was stored as
    entry_id: str | None = None
    vector: np.ndarray | None = field(default=None, repr=False)
    expires_at: float | None = None  # a hit's expiry (unix seconds), None: never

    @property
    def hit(self) -> bool:
        """An answer served (an offer carries its answer but is not served)."""
        return self.response is not None and self.outcome.get("outcome") != "semantic_offer"

    @property
    def message(self) -> dict[str, Any] | None:
        """The stored answer, parsed."""
        return json.loads(self.response) if self.response is not None else None


def _shared(*values: str) -> tuple[str, ...]:
    """One string object per distinct namespace, fingerprint and model.

    Thousands of entries share each of them; interning saves ~150 bytes per
    entry (15 MB at 100k), which keeps the cache within its memory budget.
    """
    return tuple(sys.intern(v) for v in values)


def _tokens(usage: dict[str, Any], name: str) -> int:
    """A token count from an answer's usage: a non-negative int below 2**40, else 0
    (the upstream's answer is passed on as it is; only the cache's figures are clamped)."""
    n = usage.get(name)
    return n if isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40 else 0


def _is_expired(e: _Entry, now: float) -> bool:
    return e.expires_at is not None and e.expires_at <= now


def _lower_priority() -> None:
    """Make the calling thread run only on cycles nothing else wants (Linux).

    Background embedding is catch-up work: under load it must not take the
    cores from the requests being answered. SCHED_IDLE is what does that: a
    waking request thread preempts it at once, where a nice-19 thread, once
    picked, keeps the core for its whole slice (milliseconds, measured at
    ~40 % of a core under a saturating load). Nice 19 stays as the fallback.
    Elsewhere (where the calls would apply to the whole process) it runs at
    normal priority.
    """
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: this thread


def _price(pricing: dict[str, Any], model: str) -> tuple[float, float]:
    best = pricing.get("default", {"input": 0.0, "output": 0.0})
    best_len = -1
    for prefix, p in pricing.items():
        if prefix != "default" and model.startswith(prefix) and len(prefix) > best_len:
            best, best_len = p, len(prefix)
    return float(best.get("input", 0.0)), float(best.get("output", 0.0))


class Cache:
    def __init__(
        self,
        cache_cfg: dict[str, Any],
        embedder: Any,
        store: Store,
        verifier: Any | None = None,
        pricing: dict[str, Any] | None = None,
    ) -> None:
        self.cfg = cache_cfg
        self.embedder = embedder
        self.verifier = verifier if verifier is not None else Verifier(embedder, None)
        # A verifier with features(text) gets them precomputed per entry.
        self._verifier_features = callable(getattr(self.verifier, "features", None))
        self.store = store
        self.pricing = pricing or {}
        self._lock = threading.RLock()
        self.index = VectorIndex(
            embedder.dim,
            cache_cfg.get("index", "auto"),
            cache_cfg.get("usearch_min_entries", 20000),
        )
        self.entries: dict[int, _Entry] = {}
        self.by_eid: dict[str, int] = {}
        self.by_exact: dict[tuple[str, str], int] = {}
        self.lru: OrderedDict[int, None] = OrderedDict()
        self._dirty: dict[int, tuple[float, int]] = {}
        self._ops = 0
        self.stats_data = self._load_stats()
        self._load()
        self._embed_queue: queue.Queue[int | None] = queue.Queue(_EMBED_BACKLOG)
        self._embedder_thread: threading.Thread | None = None
        # Answers still waiting for their embedding (row id -> entry id, text,
        # partition), and how many per partition: a semantic lookup there
        # embeds them itself first, so that it sees the answers stored before it.
        self._unembedded: dict[int, tuple[str, str, tuple[str, str]]] = {}
        self._pending_parts: Counter[tuple[str, str]] = Counter()
        # Set by close(): the embedding thread finishes what it can in
        # _CLOSE_DRAIN seconds and stops; what it leaves is embedded at the
        # next start.
        self._stop_at: float | None = None

    # -- persistence ----------------------------------------------------------
    def _load_stats(self) -> dict[str, Any]:
        raw = self.store.get_meta("stats")
        base: dict[str, Any] = {
            "lookups": 0,
            "exact_hits": 0,
            "semantic_hits": 0,
            "semantic_offers": 0,
            "misses": {},
            "stored": 0,
            "not_stored": {},
            "invalidated": 0,
            "evicted": 0,
            "expired": 0,
            "tokens_saved": {"input": 0, "output": 0},
            "cost_saved_usd": 0.0,
        }
        if raw:
            base.update(json.loads(raw))
        return base

    def _load(self) -> None:
        now = time.time()
        stale: list[int] = []
        reembed: list[tuple[int, str]] = []
        for row in self.store.rows():
            (rid, eid, ns, fp, ek, prompt, model, it, ot, emodel, vec, _c, exp, used, hits) = row
            if exp is not None and exp <= now:
                stale.append(rid)
                continue
            ns, fp, model = _shared(ns, fp, model)
            e = _Entry(rid, eid, ns, fp, ek, prompt, model, it, ot, exp, used, hits)
            self._index_entry(e)
            v = np.frombuffer(vec, dtype=np.float32)
            if emodel != self.embedder.model_id or v.shape[0] != self.embedder.dim:
                reembed.append((rid, prompt))
            else:
                self.index.add((ns, fp), rid, v)
        self.store.delete(stale)
        for start in range(0, len(reembed), 64):
            chunk = reembed[start : start + 64]
            vecs = self.embedder.encode_batch([p for _, p in chunk])
            for (rid, _), v in zip(chunk, vecs, strict=True):
                e = self.entries[rid]
                self.index.add((e.namespace, e.fingerprint), rid, v)
                self.store.update_vector(rid, v, self.embedder.model_id)
        self._enforce_max()

    def _index_entry(self, e: _Entry) -> None:
        self.entries[e.row_id] = e
        self.by_eid[e.entry_id] = e.row_id
        self.by_exact[(e.namespace, e.exact_key)] = e.row_id
        self.lru[e.row_id] = None

    def _remove(self, rid: int) -> None:
        e = self.entries.pop(rid, None)
        if e is None:
            return
        self.by_eid.pop(e.entry_id, None)
        if self.by_exact.get((e.namespace, e.exact_key)) == rid:
            del self.by_exact[(e.namespace, e.exact_key)]
        self.lru.pop(rid, None)
        self._dirty.pop(rid, None)
        self.index.remove((e.namespace, e.fingerprint), rid)

    def flush(self) -> None:
        with self._lock:
            self.store.touch(self._dirty)
            self._dirty = {}
            self.store.set_meta("stats", json.dumps(self.stats_data))

    def _maybe_flush(self) -> None:
        self._ops += 1
        if self._ops % 256 == 0:
            self.flush()

    # -- lookup -------------------------------------------------------------
    def _miss(
        self, key: RequestKey, kind: str, vector=None, record: bool = True, **extra: Any
    ) -> LookupResult:
        if record:
            misses = self.stats_data["misses"]
            misses[kind] = misses.get(kind, 0) + 1
            self._maybe_flush()
        return LookupResult(
            {"outcome": "miss", "reason": {"kind": kind, **extra}}, key, None, None, vector
        )

    def _expired(self, e: _Entry, now: float) -> bool:
        if e.expires_at is not None and e.expires_at <= now:
            self._remove(e.row_id)
            self.store.delete([e.row_id])
            self.stats_data["expired"] += 1
            return True
        return False

    def _read(self, e: _Entry) -> str | None:
        """``e``'s stored answer; ``None`` (and ``e`` forgotten) if deleted behind our back."""
        resp = self.store.response(e.row_id)
        if resp is None:
            self._remove(e.row_id)
        return resp

    def _serve(self, e: _Entry, now: float) -> str | None:
        resp = self._read(e)
        if resp is not None:
            self._touch(e, now)
        return resp

    def _touch(self, e: _Entry, now: float) -> None:
        """A hit on ``e``: its recency, its hit count and the savings."""
        e.last_used_at = now
        e.hits += 1
        self.lru.move_to_end(e.row_id)
        self._dirty[e.row_id] = (now, e.hits)
        saved = self.stats_data["tokens_saved"]
        saved["input"] += e.input_tokens
        saved["output"] += e.output_tokens
        pin, pout = _price(self.pricing, e.model)
        self.stats_data["cost_saved_usd"] += (e.input_tokens * pin + e.output_tokens * pout) / 1e6

    def served(self, entry_ids: list[str]) -> list[str]:
        """Exact hits the caller served from its own copy of these entries.

        Each counts as a lookup and an exact hit, and touches its entry as
        :meth:`lookup` would. Returns the ids this cache no longer holds
        (evicted, expired or deleted since): the caller must stop serving them.
        """
        gone: list[str] = []
        with self._lock:
            now = time.time()
            for entry_id in entry_ids:
                self.stats_data["lookups"] += 1
                self.stats_data["exact_hits"] += 1
                rid = self.by_eid.get(entry_id)
                e = self.entries.get(rid) if rid is not None else None
                if e is None or _is_expired(e, now):
                    if entry_id not in gone:
                        gone.append(entry_id)
                    continue
                self._touch(e, now)
            self._maybe_flush()
        return gone

    def lookup(
        self,
        key: RequestKey,
        namespace: str = "default",
        mode: str = "default",
        record: bool = True,
        semantic: str = "serve",
    ) -> LookupResult:
        """Exact, then (with ``semantic="serve"`` or ``"offer"``) semantic + verifier.

        ``semantic="offer"`` never serves a paraphrase: it returns the best
        candidate as a ``semantic_offer`` (with the verifier's verdict and the
        stored answer) for the user to take or refuse. With ``record=False``
        (a peek) the outcome is the same but nothing changes: no stats, no LRU
        touch, and a hit's response is not read.
        """
        with self._lock:
            if record:
                self.stats_data["lookups"] += 1
            if not self.cfg.get("enabled", True):
                return self._miss(key, "disabled", record=record)
            if mode in ("no-cache", "off"):
                return self._miss(key, "bypassed", record=record)
            now = time.time()
            if self.cfg.get("exact", True):
                rid = self.by_exact.get((namespace, key.exact_key))
                e = self.entries.get(rid) if rid is not None else None
                out = {"outcome": "exact_hit", "entry_id": e.entry_id} if e else {}
                if e is not None and not record and not _is_expired(e, now):
                    return LookupResult(out, key, None, e.entry_id)
                if e is not None and record and not self._expired(e, now):
                    resp = self._serve(e, now)
                    if resp is not None:
                        self.stats_data["exact_hits"] += 1
                        self._maybe_flush()
                        return LookupResult(out, key, resp, e.entry_id, expires_at=e.expires_at)
            if semantic == "off":
                return self._miss(key, "exact_only", record=record)
            if not self.cfg.get("semantic", True) or not key.last_user_text:
                return self._no_semantic(key, namespace, record)
            if not self.embedder.has_words(key.last_user_text):
                return self._miss(key, "no_words", record=record)
            part = (namespace, key.fingerprint)
            embedding = part in self._pending_parts
            if part not in self.index.parts and not embedding:
                return self._miss(key, "empty", record=record)
        # Embedding runs outside the cache lock (the embedder has its own).
        vec = self.embedder.encode(key.last_user_text)
        if embedding:
            self._catch_up(part)
        return self._semantic(key, part, vec, record, offer=semantic == "offer")

    def _has_part(self, namespace: str, key: RequestKey) -> bool:
        return (namespace, key.fingerprint) in self.index.parts

    def _no_semantic(self, key: RequestKey, namespace: str, record: bool) -> LookupResult:
        # Semantic matching off (or nothing to embed): only exact keys could hit.
        if not self._has_part(namespace, key):
            return self._miss(key, "empty", record=record)
        return self._miss(key, "below_threshold", record=record, best=0.0)

    def _semantic(
        self,
        key: RequestKey,
        part: tuple[str, str],
        vec: np.ndarray,
        record: bool = True,
        offer: bool = False,
    ) -> LookupResult:
        threshold = float(self.cfg.get("similarity_threshold", 0.75))
        n_cand = max(1, int(self.cfg.get("candidates", 5)))
        with self._lock:
            now = time.time()
            found = self.index.search(part, vec, n_cand + 8)
            cands: list[tuple[_Entry, float]] = []
            for rid, sim in found:
                e = self.entries.get(rid)
                if e is None or (self._expired(e, now) if record else _is_expired(e, now)):
                    continue
                cands.append((e, sim))
            if not cands:
                return self._miss(key, "empty", vector=vec, record=record)
            best = round(cands[0][1], 6)
            above = [(e, s) for e, s in cands if s >= threshold][:n_cand]
            if not above:
                return self._miss(key, "below_threshold", vector=vec, record=record, best=best)
        # The best candidate the verifier refused, with its reason.
        refused: tuple[_Entry, float, str] | None = None
        for e, sim in above:  # the verifier may run the model: no cache lock held
            verdict = self._verify(key.last_user_text, e, sim)
            if verdict.accepted and offer:
                offered = self._offer(key, e, sim, None, vec=vec, record=record)
                if offered is not None:
                    return offered
            elif verdict.accepted:
                out = {
                    "outcome": "semantic_hit",
                    "similarity": round(sim, 6),
                    "entry_id": e.entry_id,
                    "matched_prompt": e.prompt,
                }
                if not record:
                    return LookupResult(out, key, None, e.entry_id, vec)
                with self._lock:
                    if e.row_id not in self.entries:
                        continue
                    resp = self._serve(e, time.time())
                    if resp is None:
                        continue
                    self.stats_data["semantic_hits"] += 1
                    self._maybe_flush()
                    return LookupResult(out, key, resp, e.entry_id, vec)
            elif refused is None:
                refused = (e, sim, verdict.reason or "rejected")
        offer_min = float(self.cfg.get("offer_min_similarity", 0.80))
        if offer and refused is not None and refused[1] >= offer_min:
            offered = self._offer(key, *refused, vec=vec, record=record)
            if offered is not None:
                return offered
        with self._lock:
            return self._miss(
                key,
                "guard_rejected",
                vector=vec,
                record=record,
                best=best,
                reason=refused[2] if refused else "rejected",
            )

    def _offer(
        self,
        key: RequestKey,
        e: _Entry,
        sim: float,
        reason: str | None,
        *,
        vec: np.ndarray,
        record: bool,
    ) -> LookupResult | None:
        """``e`` offered to the user, with the verifier's verdict (``reason``
        ``None``: accepted). Not a hit: nothing is touched or counted as served.
        ``None`` when the entry went away meanwhile."""
        out = {
            "outcome": "semantic_offer",
            "similarity": round(sim, 6),
            "entry_id": e.entry_id,
            "matched_prompt": e.prompt,
            "accepted": reason is None,
            "reason": reason,
        }
        if not record:
            return LookupResult(out, key, None, e.entry_id, vec)
        with self._lock:
            resp = self._read(e) if e.row_id in self.entries else None
            if resp is None:
                return None
            self.stats_data["semantic_offers"] += 1
            self._maybe_flush()
            return LookupResult(out, key, resp, e.entry_id, vec)

    def _verify(self, query: str, e: _Entry, sim: float) -> Any:
        """Run the verifier on one candidate, with its stored features if it has them."""
        if not self._verifier_features:
            return self.verifier.verify(query, e.prompt, sim)
        if e.vfeat is None:  # reloaded from disk: computed once, then kept
            e.vfeat = self.verifier.features(e.prompt)
        return self.verifier.verify(query, e.prompt, sim, candidate_features=e.vfeat)

    # -- store ----------------------------------------------------------------
    @property
    def storable_stop_reasons(self) -> list[str]:
        """Stop reasons of answers that may be stored (never max_tokens, errors or aborts)."""
        return list(self.cfg.get("storable_stop_reasons", ["end_turn", "stop_sequence"]))

    def storable(self, response: Any) -> str | None:
        """None if the response may be stored, else why not."""
        if not isinstance(response, dict) or response.get("type") != "message":
            return "not_a_message"
        stop = response.get("stop_reason")
        if stop not in self.storable_stop_reasons:
            return f"stop_reason_{stop}"
        if not response.get("content"):
            return "empty_content"
        return None

    def _not_stored(self, why: str) -> None:
        ns = self.stats_data["not_stored"]
        ns[why] = ns.get(why, 0) + 1

    def put(
        self,
        key: RequestKey,
        response: dict[str, Any] | str,
        namespace: str = "default",
        lookup: LookupResult | None = None,
        entry_id: str | None = None,
        background: bool = False,
    ) -> str | None:
        """Store a completed answer (a Message, or its JSON text, kept as given).

        Returns the entry id, or None if it was not stored. The entry is an
        exact match at once; with ``background=True`` its embedding follows
        on the embedding thread (see :meth:`wait_embedded`).
        """
        if not self.cfg.get("enabled", True):
            return None
        if isinstance(response, str):
            text, message = response, json.loads(response)
        else:
            text, message = json.dumps(response, separators=(",", ":")), response
        why = self.storable(message)
        if why is not None:
            with self._lock:
                self._not_stored(why)
            return None
        vec = lookup.vector if lookup is not None and lookup.vector is not None else None
        # A prompt with no words is an exact-only entry: never embedded, never a semantic candidate.
        wordless = not key.last_user_text or not self.embedder.has_words(key.last_user_text)
        if wordless:
            vec = None
        elif vec is None and not background:
            vec = self.embedder.encode(key.last_user_text)
        vfeat = None
        if vec is not None and self._verifier_features:
            # The embedder has just seen this text: its token vectors are cached.
            vfeat = self.verifier.features(key.last_user_text)
        usage = message.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        now = time.time()
        ttl = float(self.cfg.get("ttl_seconds", 0) or 0)
        rec = {
            "entry_id": entry_id or uuid.uuid4().hex,
            "namespace": namespace,
            "fingerprint": key.fingerprint,
            "exact_key": key.exact_key,
            "prompt": key.last_user_text,
            "model": key.model,
            "response": text,
            "input_tokens": _tokens(usage, "input_tokens")
            + _tokens(usage, "cache_read_input_tokens")
            + _tokens(usage, "cache_creation_input_tokens"),
            "output_tokens": _tokens(usage, "output_tokens"),
            "embed_model": self.embedder.model_id if vec is not None else "",
            "created_at": now,
            "expires_at": now + ttl if ttl > 0 else None,
        }
        with self._lock:
            old = self.by_exact.get((namespace, key.exact_key))
            if old is not None:  # same request answered again: replace
                self.store.delete([old])
                self._remove(old)
            old = self.by_eid.get(rec["entry_id"])
            if old is not None:
                self.store.delete([old])
                self._remove(old)
            rid = self.store.insert(rec, vec)
            ns, fp, model = _shared(namespace, key.fingerprint, key.model)
            e = _Entry(
                rid,
                rec["entry_id"],
                ns,
                fp,
                key.exact_key,
                key.last_user_text,
                model,
                rec["input_tokens"],
                rec["output_tokens"],
                rec["expires_at"],
                now,
                0,
                vfeat,
            )
            self._index_entry(e)
            if vec is not None:
                self.index.add((namespace, key.fingerprint), rid, vec)
            self.stats_data["stored"] += 1
            self._enforce_max()
            self._maybe_flush()
        if vec is None and not wordless:
            self._embed_later(rid, key.last_user_text, (namespace, key.fingerprint))
        return e.entry_id

    # -- background embedding -----------------------------------------------
    # Embeddings are computed behind the store, on a thread at the lowest CPU
    # priority: under load it yields to the requests being answered. A
    # semantic lookup that needs a partition's latest answers embeds them
    # itself (at most _CATCH_UP of them), so it never waits on that thread.
    def _embed_later(self, rid: int, text: str, part: tuple[str, str]) -> None:
        with self._lock:
            if self._embedder_thread is None:
                self._embedder_thread = threading.Thread(
                    target=self._embed_loop, name="widget-log-embed", daemon=True
                )
                self._embedder_thread.start()
            e = self.entries.get(rid)
            if e is None:
                return
            self._unembedded[rid] = (e.entry_id, text, part)
            self._pending_parts[part] += 1
        try:
            self._embed_queue.put_nowait(rid)
        except queue.Full:
            with self._lock:
                self._done_embedding(rid)
                self._not_stored("embedding_backlog")  # exact-only until the next start

    def _done_embedding(self, rid: int) -> tuple[str, str, tuple[str, str]] | None:
        """Takes ``rid`` off the waiting list (the cache lock held)."""
        item = self._unembedded.pop(rid, None)
        if item is not None:
            part = item[2]
            self._pending_parts[part] -= 1
            if self._pending_parts[part] <= 0:
                del self._pending_parts[part]
        return item

    def _embed_one(self, rid: int, background: bool = False) -> None:
        """Embeds a waiting answer; whoever finishes first adds it."""
        with self._lock:
            item = self._unembedded.get(rid)
        if item is None:
            return
        entry_id, text, _ = item
        encode = getattr(self.embedder, "encode_background", None) if background else None
        vec = (encode or self.embedder.encode)(text)
        vfeat = self.verifier.features(text) if self._verifier_features else None
        with self._lock:
            if self._unembedded.get(rid) != item:
                return  # finished by another thread
            self._done_embedding(rid)
            e = self.entries.get(rid)
            if e is None or e.entry_id != entry_id:
                return
            e.vfeat = vfeat
            self.index.add((e.namespace, e.fingerprint), rid, vec)
            self.store.update_vector(rid, vec, self.embedder.model_id)

    def _catch_up(self, part: tuple[str, str]) -> None:
        with self._lock:
            rids = [r for r, item in self._unembedded.items() if item[2] == part]
        for rid in rids[-_CATCH_UP:]:
            try:
                self._embed_one(rid)
            except Exception:  # left to the background thread
                continue

    def _embed_loop(self) -> None:
        _lower_priority()
        while True:
            rid = self._embed_queue.get()
            try:
                if rid is None or (self._stop_at is not None and time.monotonic() > self._stop_at):
                    return
                self._embed_one(rid, background=True)
            except Exception:  # an entry that cannot be embedded stays exact-only
                with self._lock:
                    self._done_embedding(rid)
            finally:
                self._embed_queue.task_done()

    def wait_embedded(self) -> None:
        """Block until every answer stored so far has its embedding."""
        self._embed_queue.join()

    def _enforce_max(self) -> None:
        limit = int(self.cfg.get("max_entries", 0) or 0)
        if limit <= 0:
            return
        victims = []
        while len(self.lru) > limit:
            rid, _ = self.lru.popitem(last=False)
            victims.append(rid)
            self._remove(rid)
        if victims:
            self.store.delete(victims)
            self.stats_data["evicted"] += len(victims)

    # -- maintenance ----------------------------------------------------------
    def invalidate(self, entry_id: str) -> bool:
        with self._lock:
            rid = self.by_eid.get(entry_id)
            if rid is None:
                return False
            self._remove(rid)
            self.store.delete([rid])
            self.stats_data["invalidated"] += 1
            self.flush()
            return True

    def purge_expired(self) -> int:
        with self._lock:
            now = time.time()
            gone = [
                e.row_id
                for e in self.entries.values()
                if e.expires_at is not None and e.expires_at <= now
            ]
            for rid in gone:
                self._remove(rid)
            self.store.delete(gone)
            self.stats_data["expired"] += len(gone)
            return len(gone)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            s = json.loads(json.dumps(self.stats_data))
            s["entries"] = len(self.entries)
            s["namespaces"] = dict(Counter(e.namespace for e in self.entries.values()))
            hits = s["exact_hits"] + s["semantic_hits"]
            s["hit_rate"] = round(hits / s["lookups"], 6) if s["lookups"] else 0.0
            s["cost_saved_usd"] = round(s["cost_saved_usd"], 6)
            return s

    def close(self) -> None:
        if self._embedder_thread is not None:
            self._stop_at = time.monotonic() + _CLOSE_DRAIN
            with contextlib.suppress(queue.Full):
                self._embed_queue.put_nowait(None)  # wakes it if it waits
            self._embedder_thread.join(timeout=30)
        with self._lock:
            self.flush()
            self.store.close()

"""Verification stage for semantic-cache hits.

Nearest-neighbour search on sentence embeddings finds *candidates*; this module
decides whether a candidate's cached answer really answers the query. Plain
cosine similarity cannot: near-miss prompts ("reverse a list" / "reverse a
string", HTTP 401 / 403, UTC->local / local->UTC) score higher than genuine
paraphrases. The verifier runs a fixed sequence of cheap, explainable checks in
both directions; the first one that fails becomes the rejection reason
(``"<code>: <detail>"``):

``low_similarity``        sentence cosine below ``min_similarity``.
``number_mismatch``       numbers differ (digits, number words, ``v18``, ``2.28.0``).
``quantity_mismatch``     the same number carries different units (5 mi / 5 km).
``<category>_mismatch``   named things differ: programming or human language,
                          library, OS, shell, database, format, unit, timezone,
                          tool, protocol... For "strict" categories, naming a
                          thing on one side only is also a mismatch. Weak
                          names (an alias that is also an everyday word such as
                          "requests", a format named by a file extension, a
                          language implied by a library: flask -> python) count
                          only when the other side names something in the
                          same strict category.
``negation_mismatch``     a different number of negations, or different negated words.
``path_mismatch``         both name files or paths, and they differ.
``flag_mismatch``         both name command-line flags, and they differ.
``literal_mismatch``      both quote strings / inline code, and they differ.
``scope_mismatch``        "all"/"every"/"global" vs "only"/"single"/"specific".
``comparator_mismatch``   at least / at most / exactly / more than / less than.
``antonym``               one side says X where the other says its opposite.
``identifier_mismatch``   an identifier-like token (``c++17``, ``int32``, ``snake_case``,
                          ``mm/dd/yyyy``, camelCase, the ``x`` of "x axis") is on
                          one side only: such tokens match as words, never by vectors.
``direction_mismatch``    "A to B" vs "B to A", "to the server" vs "from the server",
                          or a swapped target ("www to non-www" / "non-www to www").
``unmatched_term``        a content word on either side has no counterpart on
                          the other: no identical (stemmed, synonym-normalised)
                          word and no contextual token vector with cosine >=
                          ``align_threshold`` - a BERTScore-style *minimum*.
                          Words past the ``max_words`` stored vectors must
                          match lexically.

All vocabulary (entity names, negations, antonyms, synonyms, phrases read as
one word, filler words) is general knowledge kept in ``verify_knowledge.json``
beside this module; the text handling lives in :mod:`widget_log.verify_text`.

Everything is deterministic: no randomness, stable orderings. Per-entry
features can be computed once at insert time with :meth:`Verifier.features`
(~1.1 KB each on average: up to ``max_words`` contextual word vectors,
quantised to 4 bits, plus the salient sets) and passed to
:meth:`Verifier.verify` as ``candidate_features``; otherwise they are computed
on demand and kept in a small LRU.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from . import verify_text as vt
from .verify_features import EntryFeatures, cosines

__all__ = ["DEFAULT_CONFIG", "EntryFeatures", "Verdict", "Verifier"]

DEFAULT_CONFIG: dict[str, Any] = {
    # False turns verification off: every candidate is accepted.
    "enabled": True,
    # Sentence-cosine floor below which nothing is accepted.
    "min_similarity": 0.60,
    # Minimum contextual-token cosine for a content word to count as matched.
    "align_threshold": 0.65,
    # Content words stored per entry (longest prompts are truncated; the
    # remaining words are then matched lexically only).
    "max_words": 6,
    # Stored vectors are quantised to this many bits per component: 4 (two
    # components per byte, 192 bytes per word at 384 dims; cosine error ~0.008)
    # or 8 (384 bytes per word; cosine error ~0.003).
    "vector_bits": 4,
    # A positive value projects the vectors first to this many dimensions with
    # a fixed, seeded orthonormal matrix (smaller, but a random projection
    # distorts cosines far more than 4-bit quantisation: ~0.04 at 192 dims).
    # 0 keeps the model dimension.
    "vector_dims": 0,
    # Numbers that occur only inside code spans / quoted literals of one
    # prompt, when the other prompt has no numbers at all, are example data
    # rather than part of the question.
    "incidental_code_numbers": False,
    # Entity categories where naming a thing on one side only is tolerated.
    "one_sided_ok": "",
    # Unmatched content words tolerated when they are all on one side (extra
    # detail, not a swapped term) and similarity is at least extra_min_similarity.
    "max_extra": 0,
    "extra_min_similarity": 0.85,
    # Name of the knowledge file inside this package.
    "knowledge": "verify_knowledge.json",
    # Features of texts seen without precomputed features, kept in an LRU.
    "feature_cache_size": 4096,
}


class Embedder(Protocol):
    """The part of widget_log's embedder the verifier needs."""

    def encode_tokens(self, text: str) -> tuple[list[str], np.ndarray]:
        """Wordpiece tokens and their L2-normalised contextual vectors."""
        ...


@dataclass(frozen=True)
class Verdict:
    """Outcome of verifying one candidate.

    ``reason`` is ``None`` when accepted; otherwise ``"<code>: <detail>"``.
    """

    accepted: bool
    reason: str | None


class Verifier:
    """Decides whether a cached prompt's answer also answers a query."""

    def __init__(self, embedder: Embedder, config: dict[str, Any] | None = None) -> None:
        self.embedder = embedder
        self.config: dict[str, Any] = {**DEFAULT_CONFIG, **(config or {})}
        self.kb = vt.load_knowledge(str(self.config["knowledge"]))
        self._one_sided_ok = frozenset(
            x.strip() for x in str(self.config["one_sided_ok"]).split(",") if x.strip()
        )
        self._lru: OrderedDict[str, EntryFeatures] = OrderedDict()
        self._lru_size = int(self.config["feature_cache_size"])
        self._lock = threading.Lock()

    def _cached_features(self, text: str) -> EntryFeatures:
        """Features of ``text`` from the LRU, computing them on a miss."""
        with self._lock:
            hit = self._lru.get(text)
            if hit is not None:
                self._lru.move_to_end(text)
                return hit
        feats = self.analyse(text)
        with self._lock:
            self._lru[text] = feats
            while len(self._lru) > self._lru_size:
                self._lru.popitem(last=False)
        return feats

    # ------------------------------------------------------------------ features
    def features(self, text: str) -> bytes:
        """Per-entry features of ``text``, packed (~1 KB): compute at insert time.

        Store the result with the entry and pass it back to :meth:`verify` as
        ``candidate_features``; verification then never runs the model.
        """
        return self.analyse(text).pack()

    def analyse(self, text: str) -> EntryFeatures:
        """All features of ``text`` (runs the model for contextual token vectors)."""
        kb = self.kb
        raw = vt.rewrite_phrases(vt.split_prefixes(vt.simple_words(text)), kb.phrase_synonyms)
        # word sequence for antonym/direction checks: entity names canonical
        words = [kb.single.get(w) or (vt.stem(w) if w.isalpha() else w) for w in raw]
        numbers: list[str] = []
        quantities: list[tuple[str, str]] = []
        entities: dict[str, set[str]] = {}
        weak: dict[str, set[str]] = {}
        comparators: set[str] = set()
        negations = 0
        negated: set[str] = set()
        for i, w in enumerate(raw):
            cue = w in kb.negation or w.endswith("n't")
            if not cue:
                cue = any(tuple(raw[i : i + len(p)]) == p for p in kb.negation_phrases)
            if cue:
                negations += 1
                for nxt in raw[i + 1 : i + 4]:
                    c = kb.canon(nxt)
                    if nxt.isalpha() and c not in kb.filler and nxt not in kb.negation:
                        negated.add(c)
                        break
            num = self._number_at(raw, i, quantities)
            if num is not None:
                numbers.append(num)
            for n in range(min(kb.max_phrase, len(raw) - i), 0, -1):
                key = tuple(raw[i : i + n])
                stemmed = tuple(vt.stem(k) for k in key)
                hit = kb.phrases.get(key)
                ambiguous = key in kb.ambiguous
                if hit is None:
                    hit = kb.phrases.get(stemmed)
                    ambiguous = stemmed in kb.ambiguous
                if hit is not None:
                    (weak if ambiguous else entities).setdefault(hit[0], set()).add(hit[1])
                    break
            for n in range(min(3, len(raw) - i), 0, -1):
                comp = kb.comparators.get(tuple(raw[i : i + n]))
                if comp is not None:
                    comparators.add(comp)
                    break
        paths = self._paths(text)
        for path in paths:  # config.yaml names the yaml format
            hit = kb.phrases.get((path.rsplit(".", 1)[-1],))
            if "." in path and hit is not None and hit[0] == "format":
                weak.setdefault("format", set()).add(hit[1])
        if vt.GO_RE.search(text):
            entities.setdefault("language", set()).add("go")
        for names in list(entities.values()):
            for name in sorted(names):
                implied = kb.implies.get(name)
                if implied is not None and implied[0] not in entities:
                    weak.setdefault(implied[0], set()).add(implied[1])
        content, vectors = self._content_vectors(text)
        bits = 4 if int(self.config["vector_bits"]) == 4 else 8
        # Interned strings are shared across entries: a feature set then costs
        # a pointer per word rather than a string object per word.
        return EntryFeatures(
            words=tuple(sys.intern(w) for w in words),
            content=tuple(sys.intern(w) for w in content),
            vectors=vectors,
            numbers=tuple(sorted(set(numbers))),
            quantities=tuple(sorted(set(quantities))),
            entities=tuple((c, tuple(sorted(v))) for c, v in sorted(entities.items())),
            weak_entities=tuple((c, tuple(sorted(v))) for c, v in sorted(weak.items())),
            negations=negations,
            comparators=tuple(sorted(comparators)),
            negated=tuple(sorted(negated)),
            literals=vt.literals(text),
            identifiers=self._identifiers(text, raw, set(paths)),
            paths=paths,
            flags=tuple(sorted({m.group(1) for m in vt.FLAG_RE.finditer(text)})),
            scope=tuple(sorted({kb.scope[w] for w in raw if w in kb.scope})),
            prose_numbers=self._prose_numbers(text) if numbers else (),
            vector_bits=bits,
        )

    def _identifiers(self, text: str, raw: list[str], paths: set[str]) -> tuple[str, ...]:
        """Identifier-like words of ``text`` (lower-cased), matched only lexically.

        Contextual vectors of ``c++17`` and ``c++20``, ``HashMap`` and
        ``TreeMap``, or the ``x`` and ``y`` of an axis are close, yet each pair
        names different things.
        """
        kb = self.kb
        camel = {m.group(0).lower() for m in vt.CAMEL_RE.finditer(text)}
        out: set[str] = set()
        for w in raw:
            if w in paths or w.startswith("-") or w in kb.filler:
                continue
            if w in kb.single and not any(ch.isdigit() for ch in w):
                continue  # a known name (c++, node.js); its version (c++17) is not
            if vt.is_identifier(w) or w in camel:
                out.add(w)
        return tuple(sorted(out))

    def _paths(self, text: str) -> tuple[str, ...]:
        """File names (``name.ext``) and paths (``/x``, ``~/x``, ``./x``), lower-cased."""
        out: set[str] = set()
        for m in vt.PATH_RE.finditer(text):
            token = m.group(0).lower().rstrip(".")
            if (token,) in self.kb.phrases or token in ("e.g", "i.e"):
                continue  # node.js, next.js, ... are names, not files
            out.add(token)
        return tuple(sorted(out))

    def _prose_numbers(self, text: str) -> tuple[str, ...]:
        """Numbers of ``text`` once code spans and quoted literals are removed."""
        raw = vt.split_prefixes(vt.simple_words(vt.LITERAL_RE.sub(" ", text)))
        found = {n for i in range(len(raw)) if (n := self._number_at(raw, i, [])) is not None}
        return tuple(sorted(found))

    def _number_at(self, raw: list[str], i: int, quantities: list[tuple[str, str]]) -> str | None:
        """Number value of token ``raw[i]`` (digits, number word, ``v18``), if any.

        A unit right after the number is recorded in ``quantities``.
        """
        units = self.kb.units
        w = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        ident = re.fullmatch(r"[a-z]{1,2}(\d+(?:\.\d+)*)", w)
        num: str | None = None
        if ident and w not in units:
            return vt.canon_number(ident.group(1))
        if w[0].isdigit():
            num = vt.canon_number(w)
        elif w in vt.NUMBER_WORDS:
            num = str(vt.NUMBER_WORDS[w])
        elif w in ("one", "a", "an") and nxt in units:
            num = "1" if w == "one" else None
        if num is not None and (nxt in units or nxt in vt.LETTER_UNITS):
            quantities.append((num, units.get(nxt) or vt.LETTER_UNITS[nxt]))
        return num

    def _content_vectors(self, text: str) -> tuple[tuple[str, ...], np.ndarray]:
        """Content words of ``text`` with int8 contextual vectors (wordpieces averaged)."""
        tokens, vecs = self.embedder.encode_tokens(text)
        words: list[str] = []
        groups: list[list[int]] = []
        for k, tok in enumerate(tokens):
            if tok in ("[CLS]", "[SEP]", "[PAD]", "<s>", "</s>"):
                continue
            if tok.startswith("##") and words:
                words[-1] += tok[2:]
                groups[-1].append(k)
            else:
                words.append(tok.lower())
                groups.append([k])
        keep: list[tuple[str, np.ndarray]] = []
        seen: set[str] = set()
        limit = int(self.config["max_words"])
        for k, (w, g) in enumerate(zip(words, groups, strict=True)):
            if len(keep) >= limit:
                break
            nxt = words[k + 1] if k + 1 < len(words) else ""
            if (w, nxt) in self.kb.filler_pairs:
                continue
            if vt.PUNCT_RE.match(w) or w in self.kb.filler or any(ch.isdigit() for ch in w):
                continue
            if w in vt.NUMBER_WORDS:
                continue
            key = self.kb.canon(w)
            if key in self.kb.filler:
                continue
            if key in seen:
                continue
            seen.add(key)
            keep.append((key, vecs[g[0]] if len(g) == 1 else vecs[g].mean(axis=0)))
        if not keep:
            return (), np.zeros((0, vecs.shape[1] if vecs.ndim == 2 else 384), np.int8)
        mat = np.stack([v for _, v in keep]).astype(np.float32)
        dims = int(self.config["vector_dims"])
        if 0 < dims < mat.shape[1]:
            mat = mat @ vt.projection(mat.shape[1], dims)
        if int(self.config["vector_bits"]) == 4:
            # per-row max-abs scaling; cosines are computed with the row norms
            # of the codes, so no scale needs to be stored
            mat /= np.maximum(np.abs(mat).max(axis=1, keepdims=True), 1e-12)
            q = np.clip(np.rint(mat * 7.0), -7, 7).astype(np.int8)
        else:
            mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
            q = np.clip(np.rint(mat * 127.0), -127, 127).astype(np.int8)
        return tuple(w for w, _ in keep), q

    # -------------------------------------------------------------------- verify
    def verify(
        self,
        query: str,
        candidate: str,
        similarity: float,
        candidate_features: EntryFeatures | bytes | None = None,
        query_features: EntryFeatures | bytes | None = None,
    ) -> Verdict:
        """Accept or reject ``candidate`` as a cached answer for ``query``.

        ``similarity`` is the sentence cosine the index found. Pass the
        candidate's insert-time :meth:`features` as ``candidate_features`` to
        keep verification off the model; ``query_features`` likewise.
        """
        if not self.config["enabled"]:
            return Verdict(True, None)
        if similarity < float(self.config["min_similarity"]):
            return Verdict(False, f"low_similarity: {similarity:.3f}")
        q = self._resolve(query, query_features)
        c = self._resolve(candidate, candidate_features)
        reason = self._salient(q, c) or self._align(q, c, similarity)
        return Verdict(reason is None, reason)

    def _resolve(self, text: str, given: EntryFeatures | bytes | None) -> EntryFeatures:
        if isinstance(given, EntryFeatures):
            return given
        if isinstance(given, bytes):
            return EntryFeatures.unpack(given)
        return self._cached_features(text)

    def _incidental(self, q: EntryFeatures, c: EntryFeatures) -> bool:
        """True if the only numbers are example data in one side's code."""
        if not self.config["incidental_code_numbers"]:
            return False
        return (not q.numbers and not c.prose_numbers) or (not c.numbers and not q.prose_numbers)

    def _salient(self, q: EntryFeatures, c: EntryFeatures) -> str | None:
        """The first salient check that fails, or None."""
        return next(self.salient_checks(q, c), None)

    def salient_checks(self, q: EntryFeatures, c: EntryFeatures) -> Iterator[str]:
        """Every salient check that fails, as ``"<code>: <detail>"``, in check order.

        Lazy: :meth:`verify` takes only the first; the learned verifier
        (:mod:`widget_log.learned`) reads them all as features. Each check
        reports at most once, except ``<category>_mismatch`` (once per
        category that differs).
        """
        kb = self.kb
        if q.numbers != c.numbers and not self._incidental(q, c):
            yield f"number_mismatch: {_fmt(q.numbers)} vs {_fmt(c.numbers)}"
        qq, cq = dict(q.quantities), dict(c.quantities)
        for n in sorted(set(qq) & set(cq)):
            if qq[n] != cq[n]:
                yield f"quantity_mismatch: {n} {qq[n]} vs {n} {cq[n]}"
        qe, ce = dict(q.entities), dict(c.entities)
        qw, cw = dict(q.weak_entities), dict(c.weak_entities)
        for cat in kb.categories:
            # a weakly named thing counts only in a strict category, and only
            # when the other side names one too
            a, b = qe.get(cat, ()), ce.get(cat, ())
            if cat in kb.strict:
                a = a or (qw.get(cat, ()) if b or cw.get(cat) else ())
                b = b or (cw.get(cat, ()) if qe.get(cat) or qw.get(cat) else ())
            if a == b:
                continue
            if not (a and b) and cat in self._one_sided_ok:
                continue
            if cat in kb.strict or (a and b and not (set(a) <= set(b) or set(b) <= set(a))):
                yield f"{cat}_mismatch: {_fmt(a)} vs {_fmt(b)}"
        if q.negations != c.negations:
            yield f"negation_mismatch: {q.negations} vs {c.negations} negations"
        elif q.negated != c.negated:
            yield f"negation_mismatch: not {_fmt(q.negated)} vs not {_fmt(c.negated)}"
        if q.paths and c.paths and q.paths != c.paths:
            yield f"path_mismatch: {_fmt(q.paths)} vs {_fmt(c.paths)}"
        if q.flags and c.flags and q.flags != c.flags:
            yield f"flag_mismatch: {_fmt(q.flags)} vs {_fmt(c.flags)}"
        for a, b in ((q, c), (c, q)):
            have = set(b.identifiers) | set(b.words)
            missing = sorted(
                w
                for w in a.identifiers
                if w not in have and not (w.isalpha() and kb.canon(w) in have)
            )
            if missing:
                yield f"identifier_mismatch: '{missing[0]}' only on one side"
                break
        if q.literals and c.literals and q.literals != c.literals:
            yield f"literal_mismatch: {_fmt(q.literals)[:40]} vs {_fmt(c.literals)[:40]}"
        if q.scope and c.scope and q.scope != c.scope:
            yield f"scope_mismatch: {_fmt(q.scope)} vs {_fmt(c.scope)}"
        if q.comparators != c.comparators:
            yield f"comparator_mismatch: {_fmt(q.comparators)} vs {_fmt(c.comparators)}"
        qs, cs = set(q.words), set(c.words)
        for words, sa, sb, flip in ((q.words, qs, cs, False), (c.words, cs, qs, True)):
            found = _antonym(kb, words, sa, sb)
            if found is not None:
                x, y = (found[1], found[0]) if flip else found
                yield f"antonym: {kb.display.get(x, x)} vs {kb.display.get(y, y)}"
                break
        direction = self._direction(q.words, c.words)
        if direction is not None:
            yield direction

    def _direction(self, a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
        """Reject when two shared terms sit on opposite sides of a direction marker."""
        markers = self.kb.markers
        filler = self.kb.filler
        ra, rb = vt.roles(a, filler), vt.roles(b, filler)
        for w in sorted(set(ra) & set(rb)):
            if ra[w] != rb[w]:
                return f"direction_mismatch: {ra[w]} {w} vs {rb[w]} {w}"
        swapped = _swapped_target(ra, rb, a, b) or _swapped_target(rb, ra, b, a)
        if swapped:
            return f"direction_mismatch: {swapped}"
        ma = [i for i, w in enumerate(a) if w in markers]
        mb = [i for i, w in enumerate(b) if w in markers]
        # "5 miles in km": "in" marks direction only between two units
        ua = sorted(ma + [i for i, w in enumerate(a) if w == "in"])
        ub = sorted(mb + [i for i, w in enumerate(b) if w == "in"])
        if not ua or not ub:
            return None
        units = self.kb.unit_names
        pos_a = vt.unique_positions(a)
        pos_b = vt.unique_positions(b)
        shared = sorted(w for w in set(pos_a) & set(pos_b) if w not in filler and w not in markers)
        for x in shared:
            for y in shared:
                if x >= y:
                    continue
                ax, ay, bx, by = pos_a[x], pos_a[y], pos_b[x], pos_b[y]
                if (ax < ay) == (bx < by):
                    continue
                lo_a, hi_a = sorted((ax, ay))
                lo_b, hi_b = sorted((bx, by))
                both_units = x in units and y in units
                mka, mkb = (ua, ub) if both_units else (ma, mb)
                if any(lo_a < m < hi_a for m in mka) and any(lo_b < m < hi_b for m in mkb):
                    first_a, second_a = (x, y) if ax < ay else (y, x)
                    return f"direction_mismatch: {first_a}->{second_a} vs {second_a}->{first_a}"
        return None

    def unmatched(
        self, q: EntryFeatures, c: EntryFeatures
    ) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
        """Content words of each side without a counterpart on the other.

        A word is matched if the other side has the same (stemmed) word, or a
        contextual token vector with cosine >= ``align_threshold``. Returns
        ``(word, closest_word, cosine)`` triples for both directions.
        """
        tau = float(self.config["align_threshold"])
        kb = self.kb
        q_set = {kb.synonyms.get(w, w) for w in q.words} | set(q.content)
        c_set = {kb.synonyms.get(w, w) for w in c.words} | set(c.content)
        # an everyday-word alias is matched when the other side names its entity
        q_set |= {n for _, names in q.entities + q.weak_entities for n in names}
        c_set |= {n for _, names in c.entities + c.weak_entities for n in names}
        out_q: list[tuple[str, str, float]] = []
        out_c: list[tuple[str, str, float]] = []
        if q.content and c.content:
            sims = cosines(q.vectors, c.vectors, q.vector_bits, c.vector_bits)
        else:
            sims = np.zeros((len(q.content), len(c.content)), np.float32)
        for k, w in enumerate(q.content):
            if w in c_set or w in kb.entity_words or kb.weak_names.get(w) in c_set:
                continue
            j = int(np.argmax(sims[k])) if c.content else -1
            score = float(sims[k, j]) if j >= 0 else 0.0
            if score < tau:
                out_q.append((w, c.content[j] if j >= 0 else "", score))
        for j, w in enumerate(c.content):
            if w in q_set or w in kb.entity_words or kb.weak_names.get(w) in q_set:
                continue
            k = int(np.argmax(sims[:, j])) if q.content else -1
            score = float(sims[k, j]) if k >= 0 else 0.0
            if score < tau:
                out_c.append((w, q.content[k] if k >= 0 else "", score))
        # words past the max_words stored vectors are matched lexically only
        out_q += [(w, "", 0.0) for w in self._overflow(q) if w not in c_set]
        out_c += [(w, "", 0.0) for w in self._overflow(c) if w not in q_set]
        return out_q, out_c

    def _overflow(self, f: EntryFeatures) -> list[str]:
        """Content words of ``f`` that did not get a stored vector (past ``max_words``)."""
        kb = self.kb
        if len(f.content) < int(self.config["max_words"]):
            return []
        have = set(f.content)
        out: list[str] = []
        for w, nxt in zip(f.words, (*f.words[1:], ""), strict=True):
            key = kb.synonyms.get(w, w)
            if (w, nxt) in kb.filler_pairs_stemmed:
                continue
            if not w.isalpha() or len(w) < 2 or key in have or w in kb.entity_words:
                continue
            if w in kb.filler or key in kb.filler or w in kb.negation or w in vt.NUMBER_WORDS:
                continue
            have.add(key)
            out.append(key)
        return out

    def _align(self, q: EntryFeatures, c: EntryFeatures, similarity: float) -> str | None:
        """BERTScore-style minimum: every content word needs a counterpart."""
        out_q, out_c = self.unmatched(q, c)
        if not out_q and not out_c:
            return None
        extra = out_q if not out_c else out_c if not out_q else None
        if (
            extra is not None
            and len(extra) <= int(self.config["max_extra"])
            and similarity >= float(self.config["extra_min_similarity"])
        ):
            return None
        w, near, score = (out_q or out_c)[0]
        return f"unmatched_term: '{w}' (closest '{near}' {score:.2f})"


def _antonym(
    kb: vt.Knowledge, words: tuple[str, ...], mine: set[str], theirs: set[str]
) -> tuple[str, str] | None:
    """The first word of ``words`` whose opposite only the other side says, and that opposite."""
    for w in words:
        opp = kb.antonyms.get(w)
        if opp is None or w in theirs:
            continue
        for o in sorted(opp):
            if o in theirs and o not in mine:
                return w, o
    return None


def _swapped_target(
    ra: dict[str, str], rb: dict[str, str], a: tuple[str, ...], b: tuple[str, ...]
) -> str | None:
    """ "www to non-www" vs "non-www to www": a word that one side sends something
    to is present on the other side but not as a target, while the other side's
    target is a word the first side has too."""
    parts_a = set(a) | {p for w in a for p in w.split("-")}
    parts_b = set(b) | {p for w in b for p in w.split("-")}
    for w, role in sorted(ra.items()):
        if w not in parts_b or w in rb:
            continue
        for y, other in sorted(rb.items()):
            if other == role and y not in ra and y in parts_a:
                return f"{role} {w} vs {role} {y}"
    return None


def _fmt(items: tuple[str, ...]) -> str:
    return ",".join(items) if items else "none"

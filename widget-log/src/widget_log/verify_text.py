"""Text normalisation and the general vocabulary behind :mod:`widget_log.verify`.

Tokenising, light stemming, number/path/flag/literal extraction and the
compiled view of ``verify_knowledge.json``. Pure functions of the text:
deterministic, no model.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

NUMBER_WORDS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1000000, "billion": 1000000000,
}  # fmt: skip

# "Go" the language: capitalised "Go" not starting a sentence, or "go:" / "in go".
GO_RE = re.compile(
    r"(?<![.!?]\s)(?<!^)\bGo\b(?!\s+(?:to|back|ahead|through|over|for)\b)|^go\s*:|\bin go\b"
)

# Single letters that name a unit only right after a number: 100F, 100M, 1G.
LETTER_UNITS = {"f": "fahrenheit", "c": "celsius", "k": "kb", "m": "mb", "g": "gb", "t": "tb"}

# Words: identifiers, versions, symbols. Order matters: longest first.
TOKEN_RE = re.compile(
    r"""
    (?P<num>\d+(?:[.,]\d+)*)              # 401, 2.28.0, 1,000
    | (?P<word>[a-z_@#°][a-z0-9_+#'.\-/]*[a-z0-9_+#])   # identifiers, c++, c#
    | (?P<char>[a-z°%$€])                  # single letters
    | (?P<sym>->|=>|→|!==|!=|<>|>=|<=|==|[<>])
    """,
    re.VERBOSE,
)
PUNCT_RE = re.compile(r"^[\W_]+$")
CAMEL_RE = re.compile(r"\b[A-Za-z][a-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*\b")
_NUMBER_ONLY = re.compile(r"^[\d.,]+$")


def is_identifier(word: str) -> bool:
    """A lower-cased token that names one precise thing: ``c++20``, ``snake_case``,
    ``mm/dd/yyyy``, ``@state``, ``int64``, ``utf-8``, or a single letter other than a/i."""
    if _NUMBER_ONLY.match(word):
        return False
    if len(word) == 1:
        return word.isalpha() and word not in ("a", "i")
    if any(ch in word for ch in "+#_/@") or "." in word[1:-1]:
        return True
    if "-" in word[1:-1] and any(len(p) == 1 for p in word.split("-")):
        return True  # x-axis, y-axis
    # dev-dependency and command-line are words joined by a hyphen: their
    # parts are checked one by one; utf-8 and int64 name one precise thing
    return any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Crude deterministic English stem, used only to compare words.

    Strips one inflectional ending (plural, -ed, -ing, -ly) and a final "e",
    so "meaning"/"mean", "named"/"name", "enabled"/"enable" compare equal.
    """
    if not word.isalpha() or len(word) <= 3:
        return word
    for suffix in ("ies", "ied"):
        if word.endswith(suffix) and len(word) > 4:
            return word[:-3] + "y"
    for suffix in ("ing", "edly", "ed", "ly", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= (4 if suffix == "ing" else 3):
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


class Knowledge:
    """Compiled view of the general-vocabulary knowledge file."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.strict: frozenset[str] = frozenset(data["strict_categories"])
        self.categories: tuple[str, ...] = tuple(data["entities"])
        # phrase (tuple of words) -> (category, canonical)
        self.phrases: dict[tuple[str, ...], tuple[str, str]] = {}
        for cat, names in data["entities"].items():
            for canon, aliases in names.items():
                for alias in aliases:
                    key = tuple(simple_words(alias))
                    if key:
                        self.phrases.setdefault(key, (cat, canon))
        self.max_phrase = max(len(k) for k in self.phrases)
        # Aliases that are also everyday words ("requests", "express", "min"):
        # they name the thing only weakly, see EntryFeatures.weak_entities.
        self.ambiguous: frozenset[tuple[str, ...]] = frozenset(
            tuple(simple_words(a)) for a in data.get("ambiguous_aliases", [])
        )
        # content-word form of an ambiguous one-word alias -> its entity
        self.weak_names: dict[str, str] = {}
        for key in self.ambiguous:
            hit = self.phrases.get(key)
            if hit is not None and len(key) == 1:
                self.weak_names[key[0]] = hit[1]
                self.weak_names[stem(key[0])] = hit[1]
        # canonical entity -> (category, canonical) it implies: flask -> python
        self.implies: dict[str, tuple[str, str]] = {}
        for target, sources in data.get("implies", {}).items():
            cat, _, canon = target.partition(":")
            for src in sources:
                self.implies.setdefault(src, (cat, canon))
        # every word of an unambiguous entity name: such words are compared by
        # the entity check, so token alignment skips them
        self.entity_words = frozenset(
            k[0] for k in self.phrases if len(k) == 1 and len(k[0]) > 1 and k not in self.ambiguous
        ) | {canon for (_, canon) in self.phrases.values() if (canon,) not in self.ambiguous}
        self.single: dict[str, str] = {
            k[0]: canon
            for k, (cat, canon) in self.phrases.items()
            if len(k) == 1 and k not in self.ambiguous
        }
        self.unit_names = frozenset(
            canon for (cat, canon) in self.phrases.values() if cat == "unit"
        )
        self.units: dict[str, str] = {
            k[0]: canon for k, (cat, canon) in self.phrases.items() if cat == "unit" and len(k) == 1
        }
        # quantifier scope: word -> "universal" | "particular"
        self.scope: dict[str, str] = {
            w: cls for cls, ws in data.get("scope", {}).items() for w in ws
        }
        self.negation = frozenset(w for w in data["negation"] if " " not in w)
        self.negation_phrases = tuple(tuple(w.split()) for w in data["negation"] if " " in w)
        self.comparators: dict[tuple[str, ...], str] = {}
        for canon, aliases in data["comparators"].items():
            for alias in aliases:
                self.comparators[tuple(simple_words(alias))] = canon
        self.antonyms: dict[str, frozenset[str]] = {}
        pairs: dict[str, set[str]] = {}
        for a, b in data["antonyms"]:
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
        stemmed: dict[str, set[str]] = {}
        for k, v in pairs.items():
            stemmed.setdefault(stem(k), set()).update(stem(x) for x in v)
        self.antonyms = {k: frozenset(v - {k}) for k, v in stemmed.items()}
        # stem -> the word as written in the list, for readable reasons
        self.display: dict[str, str] = {}
        for pair in data["antonyms"]:
            for w in pair:
                self.display.setdefault(stem(w), w)
        # "show me", "tell me": the verb only frames the request
        self.filler_pairs = frozenset(
            tuple(p.split()[:2]) for p in data.get("filler_phrases", []) if " " in p
        )
        self.filler_pairs_stemmed = frozenset((stem(a), stem(b)) for a, b in self.filler_pairs)
        self.markers = frozenset(stem(w) for w in data["direction_markers"])
        self.filler = frozenset(data["filler"]) | frozenset(stem(w) for w in data["filler"])
        # "turn off" -> "disable": phrases replaced before any check
        self.phrase_synonyms: dict[tuple[str, ...], str] = {
            tuple(p.split()): w for p, w in data.get("phrase_synonyms", {}).items()
        }
        # stemmed word -> canonical synonym (first of its group); single words only
        self.synonyms: dict[str, str] = {}
        for group in data["synonyms"]:
            head = stem(group[0])
            for w in group:
                if " " not in w:
                    self.synonyms.setdefault(stem(w), head)

    def canon(self, word: str) -> str:
        """Canonical form of a lower-case word: entity name, else stemmed synonym head."""
        if word in self.single:
            return self.single[word]
        s = stem(word)
        return self.synonyms.get(s, s)


def simple_words(text: str) -> list[str]:
    """Lower-cased word/number/symbol tokens of ``text``."""
    return [m.group(0).strip("'.") or m.group(0) for m in TOKEN_RE.finditer(text.lower())]


@lru_cache(maxsize=4)
def load_knowledge(name: str) -> Knowledge:
    """Parse the knowledge file that sits beside this module (cached)."""
    return Knowledge(json.loads(Path(__file__).with_name(name).read_text("utf-8")))


def canon_number(text: str) -> str:
    """Canonical spelling of a number token: no thousands commas, no leading zeros."""
    t = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", text) else text
    if t.isdigit():
        return str(int(t))
    return t


PATH_RE = re.compile(
    r"(?<![\w/.~-])(?:(?:~|\.{1,2})?/[\w.~-]+(?:/[\w.~-]+)*|[\w-]+(?:/[\w.-]+)*\.[A-Za-z][A-Za-z0-9]{0,5})(?![\w-])"
)
FLAG_RE = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
LITERAL_RE = re.compile(r"`([^`]+)`|\"([^\"]+)\"|(?<![a-z])'([^']+)'(?![a-z])", re.IGNORECASE)


def literals(text: str) -> tuple[str, ...]:
    """Quoted strings and inline code spans, whitespace-normalised and sorted."""
    out = set()
    for m in LITERAL_RE.finditer(text):
        body = next(g for g in m.groups() if g is not None)
        out.add(" ".join(body.split()).lower())
    return tuple(sorted(out))


def rewrite_phrases(words: list[str], phrases: dict[tuple[str, ...], str]) -> list[str]:
    """``words`` with every listed phrase ("turn off") replaced by its one word ("disable")."""
    if not phrases:
        return words
    lengths = sorted({len(k) for k in phrases}, reverse=True)  # longest phrase first
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in lengths:
            key = tuple(words[i : i + n])
            if len(key) == n and key in phrases:
                out.append(phrases[key])
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


def split_prefixes(words: list[str]) -> list[str]:
    """Split ``non-null`` into ``non``, ``null`` so the negation is visible."""
    out: list[str] = []
    for w in words:
        if w.startswith("non-") and len(w) > 4:
            out.extend(("non", w[4:]))
        else:
            out.append(w)
    return out


@lru_cache(maxsize=4)
def projection(dim: int, out: int) -> np.ndarray:
    """Fixed random orthonormal projection (seeded, so identical on every run)."""
    rng = np.random.default_rng(0x5EED)
    q, _ = np.linalg.qr(rng.standard_normal((dim, out)))
    return q.astype(np.float32)


TARGET = frozenset({"to", "into", "onto", "toward", "as", "->", "→", "=>"})
SOURCE = frozenset({"from", "out"})


def roles(words: tuple[str, ...], filler: frozenset[str]) -> dict[str, str]:
    """Mark words governed by "to"/"into" as ``to`` and by "from"/"out of" as ``from``.

    The governed word is the first non-filler word within three tokens after
    the marker; "copy to the server" and "copy from the server" then differ.
    """
    roles: dict[str, str] = {}
    for i, w in enumerate(words):
        role = "to" if w in TARGET else "from" if w in SOURCE else None
        if role is None:
            continue
        for nxt in words[i + 1 : i + 4]:
            if nxt in TARGET or nxt in SOURCE:
                break
            if nxt not in filler and not PUNCT_RE.match(nxt):
                roles.setdefault(nxt, role)
                break
    return roles


def unique_positions(words: tuple[str, ...]) -> dict[str, int]:
    """Position of every word that occurs exactly once."""
    pos: dict[str, int] = {}
    dup: set[str] = set()
    for i, w in enumerate(words):
        if w in pos:
            dup.add(w)
        pos[w] = i
    return {w: i for w, i in pos.items() if w not in dup}

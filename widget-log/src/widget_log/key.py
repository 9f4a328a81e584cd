"""Cache keys.

Lantern computes every key it looks up in Rust (``actors/src/cache_bridge/key.rs``):
the fingerprint of the whole request (all but a few answer-neutral fields and
the last user turn's text), the exact key (namespace, fingerprint and the
normalised last user text, hashed) and the text that semantic matching
embeds. They cross the bridge as JSON (:meth:`RequestKey.from_json`).

:func:`prompt_key` builds a key for callers that have a prompt and no
request (the evaluation, benchmarks, tests); its exact key and its text are
computed as the Rust side computes them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any


class InvalidKey(ValueError):
    """A key from the bridge is missing a field or has one of the wrong type."""


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` line endings, trailing whitespace per line and at both ends removed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


@dataclass(frozen=True)
class RequestKey:
    fingerprint: str  # hex digest of the answer-changing context
    exact_key: str  # hex digest of namespace + fingerprint + normalised last user text
    last_user_text: str  # normalised text of the last user turn (what is embedded)
    model: str

    @classmethod
    def from_json(cls, obj: Any) -> RequestKey:
        if not isinstance(obj, dict):
            raise InvalidKey("a key must be a JSON object")
        fields = {}
        for name, wire in (
            ("fingerprint", "fingerprint"),
            ("exact_key", "exact_key"),
            ("last_user_text", "text"),
            ("model", "model"),
        ):
            value = obj.get(wire)
            if not isinstance(value, str):
                raise InvalidKey(f"key.{wire} must be a string")
            fields[name] = value
        if not fields["fingerprint"] or not fields["exact_key"]:
            raise InvalidKey("key.fingerprint and key.exact_key must not be empty")
        return cls(**fields)


def prompt_key(
    text: str, namespace: str = "default", context: str = "prompt", model: str = ""
) -> RequestKey:
    """The key of a one-turn prompt under a named context (its fingerprint)."""
    fp = hashlib.sha256(f"{context}\x00{model}".encode()).hexdigest()
    norm = normalise_text(text)
    exact = hashlib.sha256(f"{namespace}\x00{fp}\x00{norm}".encode()).hexdigest()
    return RequestKey(fp, exact, norm, model)

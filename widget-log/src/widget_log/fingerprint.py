"""Request normalisation, the cache fingerprint and the exact-match key.

The fingerprint covers everything that changes the answer except the text of
the last user turn: model, system, tools, tool_choice, sampling parameters,
max_tokens, stop sequences, thinking, output format and every earlier turn
(plus any non-text blocks of the last turn, e.g. images or tool results).
Semantic matching only ever compares entries with the same fingerprint and
namespace; the exact key adds the normalised last-turn text.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

# Request fields that change the answer. Everything else (stream, metadata,
# service_tier, container, mcp_servers...) is deliberately left out; ``stream``
# only changes the transport and is always ignored.
ANSWER_FIELDS = (
    "model",
    "system",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "stop_sequences",
    "thinking",
    "output_format",
    "output_config",
    "response_format",
)

# Keys inside content blocks that do not change the answer.
_IGNORED_BLOCK_KEYS = frozenset({"cache_control", "citations_metadata"})


class RequestError(ValueError):
    """The request cannot be cached or sent as given (e.g. no user turn)."""


def normalise_text(text: str) -> str:
    """NFC, unified line endings, trailing whitespace per line and at both ends removed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _norm_value(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _norm_value(v) for k, v in sorted(value.items()) if k not in _IGNORED_BLOCK_KEYS}
    if isinstance(value, list):
        return [_norm_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of blocks (a plain string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b if isinstance(b, dict) else {"type": "text", "text": str(b)} for b in content]
    raise RequestError("message content must be a string or a list of blocks")


def _norm_message(msg: Any) -> dict[str, Any]:
    if not isinstance(msg, dict) or "role" not in msg:
        raise RequestError("every message needs a role and content")
    blocks = _content_blocks(msg.get("content", ""))
    # Adjacent text blocks are joined: ["a", "b"] and "a\n\nb" are one request.
    merged: list[dict[str, Any]] = []
    for b in blocks:
        b = _norm_value(b)
        if b.get("type") == "text" and merged and merged[-1].get("type") == "text":
            merged[-1] = {"type": "text", "text": merged[-1]["text"] + "\n\n" + b["text"]}
        else:
            merged.append(b)
    return {"role": msg["role"], "content": merged}


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RequestKey:
    fingerprint: str  # hex digest of the answer-changing context
    exact_key: str  # hex digest of fingerprint + normalised last user text
    last_user_text: str  # normalised text of the last user turn (what is embedded)
    model: str


def request_key(request: dict[str, Any], namespace: str = "default") -> RequestKey:
    """Fingerprint and exact key of an Anthropic Messages request body."""
    if not isinstance(request, dict):
        raise RequestError("request must be a JSON object")
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("request.messages must be a non-empty list")
    norm = [_norm_message(m) for m in messages]
    last = norm[-1]
    if last["role"] != "user":
        raise RequestError("the last message must be a user turn")
    text_parts = [b["text"] for b in last["content"] if b.get("type") == "text"]
    other_parts = [b for b in last["content"] if b.get("type") != "text"]
    last_text = normalise_text("\n\n".join(text_parts))
    context: dict[str, Any] = {
        k: _norm_value(request[k]) for k in ANSWER_FIELDS if request.get(k) is not None
    }
    if isinstance(context.get("system"), str):
        context["system"] = [{"type": "text", "text": context["system"]}]
    context["earlier_turns"] = norm[:-1]
    context["last_turn_non_text"] = other_parts
    fp = hashlib.sha256(_canonical(context).encode("utf-8")).hexdigest()
    exact = hashlib.sha256(f"{namespace}\x00{fp}\x00{last_text}".encode()).hexdigest()
    return RequestKey(fp, exact, last_text, str(request.get("model", "")))

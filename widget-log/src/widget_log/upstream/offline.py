"""The offline provider: a deterministic reply that says plainly it is offline."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from ..fingerprint import request_key
from ..sse import message_to_events

OFFLINE_TEXT = (
    "[offline] Lantern has no upstream API key configured, so no model was asked. "
    "This is a placeholder reply, not an answer. Configure ANTHROPIC_API_KEY (or an "
    "OpenAI-compatible server) to get real answers. Your prompt ({words} words) began: "
    "\u201c{head}\u201d"
)


class OfflineProvider:
    name = "offline"

    def create(self, request: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        key = request_key(request)
        words = key.last_user_text.split()
        head = " ".join(words[:12]) + (" \u2026" if len(words) > 12 else "")
        text = OFFLINE_TEXT.format(words=len(words), head=head)
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:24]
        return {
            "id": f"msg_offline_{digest}",
            "type": "message",
            "role": "assistant",
            "model": str(request.get("model", "offline")),
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
            "offline": True,
        }

    def stream(self, request: dict[str, Any], headers: dict[str, str]) -> Iterator[Any]:
        yield from message_to_events(self.create(request, headers))

"""Anthropic SSE events: a Message replayed as events, and events folded back into a Message."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from .errors import GatewayError

Event = tuple[str, dict[str, Any]]


def message_to_events(message: dict[str, Any], chunk_chars: int = 64) -> Iterator[Event]:
    """A complete Message as a well-formed SSE sequence (message_start ... message_stop)."""
    usage = dict(message.get("usage") or {})
    start = {k: copy.deepcopy(v) for k, v in message.items() if k not in ("content", "usage")}
    start.update(
        {
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": min(1, int(usage.get("output_tokens") or 0))},
        }
    )
    yield "message_start", {"type": "message_start", "message": start}
    for i, block in enumerate(message.get("content") or []):
        btype = block.get("type")
        if btype == "text":
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            text = block.get("text", "")
            for p in range(0, len(text), chunk_chars) or [0]:
                yield (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "text_delta", "text": text[p : p + chunk_chars]},
                    },
                )
        elif btype == "tool_use":
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {**block, "input": {}},
                },
            )
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": json.dumps(block.get("input", {})),
                    },
                },
            )
        elif btype == "thinking":
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
            )
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "thinking_delta", "thinking": block.get("thinking", "")},
                },
            )
            if block.get("signature"):
                yield (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "signature_delta", "signature": block["signature"]},
                    },
                )
        else:
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": block,
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": i}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message.get("stop_reason"),
                "stop_sequence": message.get("stop_sequence"),
            },
            "usage": {"output_tokens": int(usage.get("output_tokens") or 0)},
        },
    )
    yield "message_stop", {"type": "message_stop"}


class Accumulator:
    """Folds streamed events into the final Message; checks their order."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.partial_json: dict[int, str] = {}
        self.open_block: int | None = None
        self.done = False

    def _fail(self, msg: str) -> GatewayError:
        return GatewayError("malformed_response", f"upstream stream out of order: {msg}")

    def feed(self, name: str, data: dict[str, Any]) -> None:
        if name == "ping":
            return
        if name == "message_start":
            if self.message is not None:
                raise self._fail("second message_start")
            self.message = copy.deepcopy(data.get("message") or {})
            self.message.setdefault("content", [])
            return
        if self.message is None:
            raise self._fail(f"{name} before message_start")
        content = self.message["content"]
        if name == "content_block_start":
            idx = int(data.get("index", len(content)))
            block = copy.deepcopy(data.get("content_block") or {})
            while len(content) <= idx:
                content.append({})
            content[idx] = block
            self.open_block = idx
        elif name == "content_block_delta":
            idx = int(data.get("index", 0))
            if self.open_block != idx:
                raise self._fail(f"delta for block {idx} which is not open")
            delta = data.get("delta") or {}
            block = content[idx]
            dtype = delta.get("type")
            if dtype == "text_delta":
                block["text"] = block.get("text", "") + delta.get("text", "")
            elif dtype == "input_json_delta":
                self.partial_json[idx] = self.partial_json.get(idx, "") + delta.get(
                    "partial_json", ""
                )
            elif dtype == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
            elif dtype == "signature_delta":
                block["signature"] = delta.get("signature", "")
            elif dtype == "citations_delta":
                block.setdefault("citations", []).append(delta.get("citation"))
        elif name == "content_block_stop":
            idx = int(data.get("index", 0))
            if idx in self.partial_json:
                raw = self.partial_json.pop(idx)
                try:
                    content[idx]["input"] = json.loads(raw) if raw else {}
                except ValueError as exc:
                    raise GatewayError(
                        "malformed_response", f"tool input is not JSON: {exc}"
                    ) from exc
            self.open_block = None
        elif name == "message_delta":
            delta = data.get("delta") or {}
            for k in ("stop_reason", "stop_sequence"):
                if k in delta:
                    self.message[k] = delta[k]
            usage = self.message.setdefault("usage", {})
            for k, v in (data.get("usage") or {}).items():
                if v is not None:
                    usage[k] = v
        elif name == "message_stop":
            self.done = True

    def result(self) -> dict[str, Any]:
        if self.message is None or not self.done:
            raise GatewayError("stream_aborted", "the upstream stream ended before message_stop")
        return self.message

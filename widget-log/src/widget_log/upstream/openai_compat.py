"""OpenAI-compatible chat completions (vLLM, Ollama, llama.cpp server) as a provider.

Anthropic requests are translated to ``POST {base_url}/chat/completions`` and the
answers back to Anthropic Messages / SSE events, so the rest of Widget-Log and
the cache see one shape. Text content only (tools are not translated).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2

from ..errors import GatewayError, kind_for_status, parse_retry_after

Event = tuple[str, dict[str, Any]]
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for b in content or []:
        if not isinstance(b, dict) or b.get("type") != "text":
            raise GatewayError(
                "invalid_request", "the openai provider supports text content blocks only"
            )
        parts.append(b.get("text", ""))
    return "\n\n".join(parts)


def to_openai(request: dict[str, Any], model_override: str = "") -> dict[str, Any]:
    if request.get("tools"):
        raise GatewayError("invalid_request", "the openai provider does not translate tools")
    msgs = []
    if request.get("system"):
        msgs.append({"role": "system", "content": _text(request["system"])})
    for m in request.get("messages", []):
        msgs.append({"role": m["role"], "content": _text(m.get("content", ""))})
    out: dict[str, Any] = {
        "model": model_override or request.get("model", ""),
        "messages": msgs,
        "max_tokens": request.get("max_tokens"),
    }
    for a, b in (("temperature", "temperature"), ("top_p", "top_p"), ("stop_sequences", "stop")):
        if request.get(a) is not None:
            out[b] = request[a]
    return out


def _error(resp: httpx2.Response) -> GatewayError:
    kind, retryable = kind_for_status(resp.status_code)
    try:
        resp.read()
        body = resp.json()
        msg = body.get("error", {}).get("message") if isinstance(body, dict) else None
    except Exception:
        msg = None
    return GatewayError(
        kind,
        msg or f"upstream HTTP {resp.status_code}",
        resp.status_code,
        retryable,
        parse_retry_after(resp.headers),
    )


class OpenAICompatProvider:
    name = "openai"

    def __init__(self, up: dict[str, Any], api_key: str | None) -> None:
        o = up["openai"]
        self.base = str(o.get("base_url", "")).rstrip("/")
        self.model = str(o.get("model", ""))
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx2.Client(
            headers=headers,
            timeout=httpx2.Timeout(
                float(up.get("timeout_seconds", 600.0)),
                connect=float(up.get("connect_timeout_seconds", 10.0)),
            ),
        )

    def _wrap(self, exc: Exception) -> GatewayError:
        if isinstance(exc, GatewayError):
            return exc
        if isinstance(exc, httpx2.TimeoutException):
            return GatewayError("timeout", f"upstream timed out: {exc}", None, True)
        if isinstance(exc, httpx2.TransportError):
            return GatewayError("connection", f"cannot reach upstream: {exc}", None, True)
        if isinstance(exc, ValueError):
            return GatewayError("malformed_response", f"upstream sent malformed data: {exc}")
        return GatewayError("upstream_error", f"{type(exc).__name__}: {exc}")

    def create(self, request: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        body = to_openai(request, self.model)
        try:
            resp = self.client.post(f"{self.base}/chat/completions", json=body, headers=headers)
            if resp.status_code >= 400:
                raise _error(resp)
            data = resp.json()
            choice = data["choices"][0]
            usage = data.get("usage") or {}
            return {
                "id": "msg_oai_" + str(data.get("id") or uuid.uuid4().hex),
                "type": "message",
                "role": "assistant",
                "model": data.get("model") or body["model"],
                "content": [{"type": "text", "text": choice["message"].get("content") or ""}],
                "stop_reason": _STOP.get(choice.get("finish_reason"), "end_turn"),
                "stop_sequence": None,
                "usage": {
                    "input_tokens": int(usage.get("prompt_tokens") or 0),
                    "output_tokens": int(usage.get("completion_tokens") or 0),
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            }
        except (KeyError, IndexError, TypeError) as exc:
            raise GatewayError("malformed_response", f"unexpected upstream reply: {exc}") from exc
        except Exception as exc:
            raise self._wrap(exc) from exc

    def stream(self, request: dict[str, Any], headers: dict[str, str]) -> Iterator[Event]:
        body = {
            **to_openai(request, self.model),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        try:
            with self.client.stream(
                "POST", f"{self.base}/chat/completions", json=body, headers=headers
            ) as resp:
                if resp.status_code >= 400:
                    raise _error(resp)
                yield from self._translate(resp.iter_lines(), body["model"])
        except GatewayError:
            raise
        except Exception as exc:
            raise self._wrap(exc) from exc

    def _translate(self, lines: Iterator[str], model: str) -> Iterator[Event]:
        mid = "msg_oai_" + uuid.uuid4().hex
        started = False
        stop = "end_turn"
        usage = {"input_tokens": 0, "output_tokens": 0}
        done = False
        for line in lines:
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                done = True
                break
            chunk = json.loads(payload)
            if not started:
                started = True
                yield (
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": mid,
                            "type": "message",
                            "role": "assistant",
                            "model": chunk.get("model") or model,
                            "content": [],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": dict(usage),
                        },
                    },
                )
                yield (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            if chunk.get("usage"):
                usage["input_tokens"] = int(chunk["usage"].get("prompt_tokens") or 0)
                usage["output_tokens"] = int(chunk["usage"].get("completion_tokens") or 0)
            for choice in chunk.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": text},
                        },
                    )
                if choice.get("finish_reason"):
                    stop = _STOP.get(choice["finish_reason"], "end_turn")
                    done = True
        if not started or not done:
            raise GatewayError("stream_aborted", "upstream stream ended before it finished")
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": usage,
            },
        )
        yield "message_stop", {"type": "message_stop"}

"""Upstream providers: Anthropic (official SDK), OpenAI-compatible servers, offline.

A provider makes *one* attempt; :mod:`widget_log.upstream.retry` adds retries.
``create`` returns an Anthropic Message (dict); ``stream`` yields
``(event_name, data)`` pairs in Anthropic SSE order. Both raise
:class:`widget_log.errors.GatewayError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Protocol

from ..errors import GatewayError

Event = tuple[str, dict[str, Any]]


class Provider(Protocol):
    name: str  # "anthropic" | "openai" | "offline"

    def create(self, request: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]: ...

    def stream(self, request: dict[str, Any], headers: dict[str, str]) -> Iterator[Event]: ...


def make_provider(cfg: dict[str, Any], api_key: str | None = None) -> Provider:
    """The provider for a request: ``api_key`` (per request) wins over the env var."""
    up = cfg["upstream"]
    choice = up.get("provider", "auto")
    if choice in ("auto", "anthropic"):
        key = api_key or os.environ.get(up["anthropic"].get("api_key_env") or "", "")
        if key:
            from .anthropic_provider import AnthropicProvider

            return AnthropicProvider(up, key)
        if choice == "anthropic":
            raise GatewayError(
                "config",
                "provider 'anthropic' needs an API key (request api_key or "
                f"${up['anthropic'].get('api_key_env')})",
            )
    elif choice == "openai":
        from .openai_compat import OpenAICompatProvider

        key = api_key or os.environ.get(up["openai"].get("api_key_env") or "", "") or None
        return OpenAICompatProvider(up, key)
    elif choice != "offline":
        raise GatewayError("config", f"unknown upstream provider {choice!r}")
    from .offline import OfflineProvider

    return OfflineProvider()

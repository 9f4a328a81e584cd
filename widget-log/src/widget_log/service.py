"""The gateway object the bridge drives: config, embedder, verifier and cache."""

from __future__ import annotations

from typing import Any

from .cache import Cache
from .config import load_config, resolve_data_dir
from .embed import Embedder
from .store import Store
from .verify import Verifier


class Gateway:
    def __init__(
        self, overrides: dict[str, Any] | None = None, embedder: Embedder | None = None
    ) -> None:
        self.cfg = load_config(overrides)
        self.embedder = embedder or Embedder(self.cfg["embedding"])
        self.verifier = Verifier(self.embedder, self.cfg["verifier"])
        self.data_dir = resolve_data_dir(self.cfg)
        self.store = Store(self.data_dir)
        self.cache = Cache(
            self.cfg["cache"], self.embedder, self.store, self.verifier, self.cfg.get("pricing")
        )

    def close(self) -> None:
        self.cache.close()

"""Retries with exponential backoff that honour ``retry-after``."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import GatewayError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    initial: float = 0.5
    maximum: float = 30.0
    max_retry_after: float = 60.0

    @classmethod
    def from_config(cls, up: dict[str, Any]) -> RetryPolicy:
        return cls(
            int(up.get("max_retries", 3)),
            float(up.get("backoff_initial_seconds", 0.5)),
            float(up.get("backoff_max_seconds", 30.0)),
            float(up.get("max_retry_after_seconds", 60.0)),
        )

    def delay(self, attempt: int, err: GatewayError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
        if not err.retryable or attempt > self.max_retries:
            return None
        if err.retry_after is not None:
            return err.retry_after if err.retry_after <= self.max_retry_after else None
        base = min(self.maximum, self.initial * (2 ** (attempt - 1)))
        return base * (0.5 + random.random() / 2)


def call_with_retries(
    fn: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> tuple[T, int]:
    """Run ``fn`` until it succeeds or fails for good. Returns (result, attempts)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn(), attempt
        except GatewayError as err:
            wait = policy.delay(attempt, err)
            if wait is None:
                err.attempts = attempt  # type: ignore[attr-defined]
                raise
            sleep(wait)

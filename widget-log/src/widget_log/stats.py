"""Small statistics helpers for the evaluation (no dependency beyond the standard library).

:func:`wilson` is the Wilson score interval for a binomial proportion: the
interval to quote with a false-hit rate or a recall measured on a few dozen
hits. Unlike the normal approximation it stays inside [0, 1] and is not
degenerate at 0 of n (0 false hits in 30 still means "up to 11 %").
"""

from __future__ import annotations

import math

__all__ = ["Z95", "wilson"]

# Two-sided 95 %: the 0.975 quantile of the standard normal distribution.
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` for ``k`` successes in ``n`` trials.

    95 % by default. With ``n == 0`` nothing is known: ``(0.0, 1.0)``.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    # exact at the ends (the formula gives them up to rounding)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high

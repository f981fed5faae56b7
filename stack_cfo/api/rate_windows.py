"""Per-key sliding-window counters in process memory: the per-principal rate limits of one process.

The algorithm is the one the ``limits`` library calls the sliding window counter (and uses for
the shared Redis store): time is cut into fixed windows of the limit's period; a hit is admitted
when the previous window's count, weighted by how much of that window the sliding window still
covers, plus the current window's count stays below the limit. Only admitted hits are counted.

Why not ``limits``' own in-memory storage: it is written for any backend, so one admitted call
went through about eight coroutine layers, two locks and a key string built per item, about a
third of the API's whole per-call overhead on a cached ``GetPortfolioSummary``. This class does
the same arithmetic in a few dictionary operations, with no awaits. Idle keys are swept at most
once a second, so memory stays bounded by the principals seen in the last two periods.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable


class SlidingWindows:
    SWEEP_INTERVAL = 1.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        # key -> [window index, count in that window, count in the window before it, period]
        self._windows: dict[Hashable, list[float]] = {}
        self._clock = clock
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._windows)

    def _window(self, key: Hashable, period: float, now: float) -> list[float]:
        index = now // period
        w = self._windows.get(key)
        if w is None:
            w = self._windows[key] = [index, 0, 0, period]
        elif w[0] != index:
            w[2] = w[1] if w[0] == index - 1 else 0
            w[1] = 0
            w[0] = index
        return w

    def hit(self, key: Hashable, limit: int, period: float) -> bool:
        """Count one call of ``key`` if ``limit`` calls per ``period`` seconds allow it."""
        return self.hit_all(((key, limit, period),)) is None

    def hit_all(self, windows: Iterable[tuple[Hashable, int, float]]) -> list[int] | None:
        """Count one call in every window of ``windows`` (key, limit, period) if each allows it;
        otherwise count nothing and return the positions of the windows that refuse. A call the
        per-second burst refuses must not use up the per-minute allowance (the client, told to
        wait the second's retry delay, would find the minute spent on calls never served)."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        taken: list[list[float]] = []
        refused: list[int] | None = None
        for i, (key, limit, period) in enumerate(windows):
            w = self._window(key, period, now)
            if math.floor(w[2] * (period - now % period) / period + w[1]) + 1 > limit:
                refused = [*(refused or ()), i]
            taken.append(w)
        if refused is not None:
            return refused
        for w in taken:
            w[1] += 1
        return None

    def retry_after(self, key: Hashable, limit: int, period: float) -> float:
        """Seconds until a call of ``key`` would be admitted again (0 if it would be now)."""
        now = self._clock()
        w = self._window(key, period, now)
        left = period - now % period
        previous, current = w[2], w[1]
        if current >= limit:
            # At the boundary the current count becomes the previous window's; it must then
            # decay (linearly over the next period) until less than ``limit`` of it is left.
            return left + period * (1 - limit / current)
        if previous and previous * left / period + current >= limit:
            return max(0.0, left - period * (limit - current) / previous)
        return 0.0

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_INTERVAL
        stale = [k for k, w in self._windows.items() if now // w[3] - w[0] >= 2]
        for k in stale:
            del self._windows[k]

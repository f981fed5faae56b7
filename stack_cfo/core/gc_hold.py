"""Hold CPython's cyclic garbage collector during short latency-critical bursts.

A price change of a widely held symbol wakes thousands of ``WatchPortfolio`` streams at once:
every one of them allocates (its update, the write), and those allocations trigger collections
in the middle of the fan-out. With 10,000 watches open, a young collection walks objects that
point into a heap of hundreds of MB (35-55 ms each, one or two per change), and the first older
collection after the streams opened moves every stream's objects to the old generation (0.33 s
in one go). Whichever watcher's update is queued behind such a pause arrives that much later:
that is the tail of the delivery time (bench/watches.py).

While a burst is in flight, :class:`GcHold` keeps automatic collection off; when it ends
(every holder released) the collector is on again and the collection that was due runs at the
next allocation, after the burst. Nothing is lost: reference counting still frees every
acyclic object at once, and cyclic garbage waits for that collection.

Bounds, so a burst that does not end (a watcher whose client stopped reading, changes arriving
without a pause) cannot starve the collector:

* a hold lasts at most ``max_hold`` seconds (default 2 s: a fan-out to 10,000 watches takes
  0.6-0.9 s on 2 cores); then the collector is on again even if holders remain, and
* after such an expiry no new hold starts for ``cooldown`` seconds (the watch hub then forgets
  what was left in flight, so the next change is held again: :meth:`WatchHub.busy
  <stack_cfo.core.portfolio.watch.WatchHub.busy>`).

A collector that was already off (``gc.disable()`` by someone else) is left alone: the hold
then neither disables nor re-enables it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

DEFAULT_MAX_HOLD = 2.0
DEFAULT_COOLDOWN = 1.0


class GcHold:
    """Reference-counted: :meth:`acquire` when a burst starts, :meth:`release` when it is out."""

    def __init__(self, *, max_hold: float = DEFAULT_MAX_HOLD, cooldown: float = DEFAULT_COOLDOWN,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_hold = max_hold
        self.cooldown = cooldown
        self._clock = clock
        self._holders = 0
        self._closed = False
        #: True while this hold has the collector off (it turned it off and will turn it on).
        self._disabled = False
        self._timer: asyncio.TimerHandle | None = None
        #: No hold starts before this instant (set when a hold expired).
        self._not_before = 0.0
        #: Holds that turned the collector off, and those that hit ``max_hold``.
        self.holds = 0
        self.expired = 0

    @property
    def holding(self) -> bool:
        """The collector is off because of this hold."""
        return self._disabled

    def acquire(self) -> None:
        self._holders += 1
        if self._holders == 1 and not self._disabled:
            self._start()

    def release(self) -> None:
        if self._holders == 0:
            return
        self._holders -= 1
        if self._holders == 0:
            self._stop()

    def close(self) -> None:
        """No more holds (shutdown): the collector is on again if this hold had it off."""
        self._closed = True
        self._holders = 0
        self._stop()

    def _start(self) -> None:
        if self._closed or not gc.isenabled() or self._clock() < self._not_before:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # the cap needs a timer: no loop, no hold
        gc.disable()
        self._disabled = True
        self.holds += 1
        self._timer = loop.call_later(self.max_hold, self._expire)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._disabled:
            self._disabled = False
            gc.enable()

    def _expire(self) -> None:
        """``max_hold`` passed with holders left: the collector is on again, and stays on for
        ``cooldown`` seconds at least (holders keep counting; their releases change nothing)."""
        self._timer = None
        self.expired += 1
        self._not_before = self._clock() + self.cooldown
        self._stop()

"""Watches: in-process fan-out of change-feed events to the open ``WatchPortfolio`` streams.

Watches share one feed per process; each watcher keeps its pending trigger and changed symbols,
so changes inside the client's minimum interval coalesce into one update. A watcher's symbols
include the exchange-rate series its portfolio is valued with (``#FX:EUR/USD``): a new rate of
such a pair wakes it as a price change (``PRICE_CHANGE``, naming no symbol).

The hub also knows when a fan-out is in flight: from the moment a change wakes watchers (or a
recomputation for them starts) until every woken watcher has sent its update (or found nothing
to send), it holds the cyclic garbage collector (:class:`~stack_cfo.core.gc_hold.GcHold`), so
the collections the fan-out's allocations trigger run after it, not in the middle of it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from stack_cfo.core.errors import Unavailable
from stack_cfo.core.gc_hold import GcHold
from stack_cfo.core.portfolio.ports import ChangeEvent, HoldingsChanged, PricesChanged
from stack_cfo.core.portfolio.views import SummaryView


class WatchTrigger(StrEnum):
    INITIAL = "INITIAL"
    PRICE_CHANGE = "PRICE_CHANGE"
    HOLDINGS_CHANGE = "HOLDINGS_CHANGE"


@dataclass(frozen=True, slots=True)
class WatchUpdate:
    view: SummaryView
    trigger: WatchTrigger
    changed_symbols: tuple[str, ...]


MIN_WATCH_INTERVAL = timedelta(seconds=1)
MAX_WATCH_INTERVAL = timedelta(hours=1)
DEFAULT_WATCH_INTERVAL = timedelta(seconds=5)


def clamp_watch_interval(value: timedelta | None) -> timedelta:
    if value is None or value <= timedelta(0):
        return DEFAULT_WATCH_INTERVAL
    return min(max(value, MIN_WATCH_INTERVAL), MAX_WATCH_INTERVAL)


class _Subscription:
    """One watcher's pending changes. Coalesces until the watcher takes them."""

    def __init__(self, user_id: str, hub: WatchHub) -> None:
        self.user_id = user_id
        self._hub = hub
        #: Woken and not yet back to waiting: its update is being computed or sent.
        self.awake = False
        #: The hub's fan-out episode it was woken in (see :meth:`WatchHub.busy`).
        self.episode = 0
        #: Waiting out its minimum interval (see :meth:`settle`).
        self.pausing = False
        #: What it listens to: the portfolio's held symbols, and the exchange-rate series (``#FX:``
        #: keys, as rate writes announce them) it is valued with. A rate is matched like a price.
        self.symbols: frozenset[str] = frozenset()
        self.trigger: WatchTrigger | None = None
        self.changed: set[str] = set()
        self.resync = False
        #: The summary computed for the change that woke this watcher, with the service's change
        #: sequence at that moment (still current if no invalidation came since).
        self.fresh: tuple[SummaryView, int] | None = None
        self.closed = False
        self.event = asyncio.Event()
        self.ended = asyncio.Event()

    def on_prices(self, symbols: frozenset[str], fresh: tuple[SummaryView, int] | None = None) -> None:
        hit = symbols & self.symbols
        if hit:
            self.trigger = self.trigger or WatchTrigger.PRICE_CHANGE
            self.changed |= hit
            self.fresh = fresh
            self._wake()

    def on_holdings(self) -> None:
        self.trigger = self.trigger or WatchTrigger.HOLDINGS_CHANGE
        self._wake()

    def on_reset(self) -> None:
        self.resync = True
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()
        self.ended.set()

    def resume(self) -> None:
        self.pausing = False

    def _wake(self) -> None:
        self.event.set()
        if not self.awake and not self.pausing:
            self.awake = True
            self.episode = self._hub.busy()

    def settle(self, *, pausing: bool = False) -> None:
        """The watcher is back to waiting with nothing pending: what woke it is out.
        ``pausing``: it waits out its minimum interval before it sends (no part of a fan-out in
        flight, nor are changes that come meanwhile) until :meth:`resume`."""
        self.pausing = pausing
        if pausing or not self.event.is_set():
            self.leave_fan_out()

    def leave_fan_out(self) -> None:
        """No longer part of the fan-out that woke it (settled, or gone)."""
        if self.awake:
            self.awake = False
            self._hub.idle(self.episode)

    def take(self) -> tuple[WatchTrigger | None, set[str], bool, tuple[SummaryView, int] | None]:
        out = (self.trigger, self.changed, self.resync, self.fresh)
        self.trigger, self.changed, self.resync, self.fresh = None, set(), False, None
        self.event.clear()
        return out


class WatchHub:
    """In-process fan-out of feed events to watchers."""

    def __init__(self, gc_hold: GcHold | None = None) -> None:
        self._subs: dict[str, set[_Subscription]] = {}
        self.closed = False
        self._gc_hold = gc_hold
        #: Woken watchers not yet settled, plus recomputations for watchers in progress.
        self.in_flight = 0
        #: Fan-out episodes (a new one after a hold expired with work in flight).
        self._episode = 0
        #: The hold's expiry count when this episode's hold was taken.
        self._expired_seen = 0

    @property
    def gc_hold(self) -> GcHold | None:
        return self._gc_hold

    def busy(self) -> int:
        """A watcher was woken, or work for woken watchers started: a fan-out is in flight.
        Returns the episode to hand back to :meth:`idle`.

        A hold that ended at its cap with work still in flight (typically a client that stopped
        reading, its write waiting on flow control for as long as it likes) would otherwise keep
        the count above zero for good, and no later fan-out would be held again: the next change
        after such an expiry starts a new episode, and what the old one left in flight is
        forgotten (its late :meth:`idle` calls are ignored)."""
        hold = self._gc_hold
        if self.in_flight > 0 and hold is not None and hold.expired != self._expired_seen:
            self._episode += 1
            self.in_flight = 0
            hold.release()
        self.in_flight += 1
        if self.in_flight == 1 and hold is not None:
            self._expired_seen = hold.expired
            hold.acquire()
        return self._episode

    def idle(self, episode: int) -> None:
        """One :meth:`busy` of ``episode`` is over."""
        if episode == self._episode and self.in_flight > 0:
            self.in_flight -= 1
            if self.in_flight == 0 and self._gc_hold is not None:
                self._gc_hold.release()

    def __len__(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def subscribe(self, user_id: str) -> _Subscription:
        if self.closed:
            raise shutting_down()
        sub = _Subscription(user_id, self)
        self._subs.setdefault(user_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: _Subscription) -> None:
        sub.leave_fan_out()
        subs = self._subs.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.user_id]

    def watches(self, user_id: str, symbols: frozenset[str] | None = None) -> bool:
        """``user_id`` has a watcher (whose portfolio holds one of ``symbols``, when given)."""
        subs = self._subs.get(user_id, ())
        return any(symbols is None or not symbols.isdisjoint(s.symbols) for s in subs)

    def users_holding(self, symbols: frozenset[str]) -> list[str]:
        """The users with a watcher whose portfolio holds one of ``symbols`` (or is valued with one of
        them, for exchange-rate series)."""
        return [user for user, subs in self._subs.items() if any(not symbols.isdisjoint(s.symbols) for s in subs)]

    def dispatch_prices(self, user_id: str, symbols: frozenset[str],
                        fresh: tuple[SummaryView, int] | None = None) -> None:
        """``symbols`` changed: wake the watchers of ``user_id`` that hold one of them (``fresh``:
        the summary computed since, with the change sequence it is current for)."""
        for sub in self._subs.get(user_id, ()):
            sub.on_prices(symbols, fresh)

    def dispatch(self, event: ChangeEvent) -> None:
        if isinstance(event, HoldingsChanged):
            for sub in self._subs.get(event.user_id, ()):
                sub.on_holdings()
        elif isinstance(event, PricesChanged):
            for subs in self._subs.values():
                for sub in subs:
                    sub.on_prices(event.symbols)
        else:
            for subs in self._subs.values():
                for sub in subs:
                    sub.on_reset()

    def close(self) -> None:
        self.closed = True
        for subs in self._subs.values():
            for sub in subs:
                sub.close()
        if self._gc_hold is not None:
            self._gc_hold.close()  # no fan-out from here on: never leave the collector off


RECONNECT_AFTER = timedelta(seconds=1)
"""The retry hint a watch ended by shutdown carries: by then the load balancer is draining this
server, so the client's next attempt reaches another one."""


def shutting_down() -> Unavailable:
    return Unavailable(
        "the server is shutting down; reconnect",
        reason="SERVER_SHUTTING_DOWN",
        metadata={"retry_after_seconds": f"{RECONNECT_AFTER.total_seconds():g}"},
    )

"""The CPU of uncached reads, per principal: a token bucket of CPU seconds (``rate_limits.user.read_cpu``,
refilled at ``1s/10s`` by default, holding at most ``read_cpu_burst``, 5 s; services unlimited by default).

The rates count calls, not their cost: a summary of a 10,000-position portfolio at a new
``as_of_time`` (a new computation each time) costs 0.7-1.5 s of CPU, and one user asking for one
after another kept a process's Python busy (another user's GetPortfolioSummary went from p95 6 ms
to ~90 ms). The portfolio service charges the thread CPU time of each computation it starts for a
call, and of the making of its message, to the caller's bucket (:mod:`stack_cfo.core.portfolio.cpu_meter`);
cached answers are charged nothing and never refused. When the bucket is empty (at or below zero)
before a new computation, the call is RESOURCE_EXHAUSTED (``READ_CPU_BUDGET_EXHAUSTED``, with a
``RetryInfo`` for when the bucket is above zero again). A computation already running is not
stopped: its cost is charged when it is over, and may take the bucket below zero, so the next
call waits for the debt to be refilled too.

A principal's new computations run one at a time (:class:`Turns`): the bucket is asked only when
none of theirs is running, so it is never asked before the cost of one already admitted is known.
Checked at the start and charged at the end, concurrent calls were all admitted on a full bucket
(32 summaries at new instants of a 5,000-position portfolio: ~24 s of CPU on a 5 s burst, and
another user's summary waited 6.9 s behind them). A second new computation of the same principal
waits for the first to be over and charged (within its call's deadline), then is admitted or
refused, with a ``RetryInfo`` that counts all they owe: an app asking for its summary and history
at once is served both, one after the other. Calls answered from the cache, or sharing a
computation already running, neither wait nor take a turn. Over any span a principal's uncached
reads therefore take at most the burst plus the rate times the span, plus one computation (the
one admitted last; the making of its message may be charged after the next is admitted).

Per process, as the heavy-write gate is: N replicas allow N times (a user's calls spread over them).
Memory is bounded: a full bucket is not stored (it is the state of a principal never seen), and at
most :data:`MAX_PRINCIPALS` are, the least recently charged forgotten first (forgiven their debt);
a principal's turn is kept only while a computation of theirs runs or waits.

The heavy writes have a budget of their own, with the same rules (:class:`WriteCpuBudget`,
``rate_limits.*.write_cpu``, refused as ``WRITE_CPU_BUDGET_EXHAUSTED``), asked and charged by the
call wrapper around the reading of the request and the handler.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Generator
from datetime import timedelta
from typing import Any, TypeVar

from stack_cfo.api.auth import Principal
from stack_cfo.api.limits import THROTTLED
from stack_cfo.config import PrincipalLimits, RateLimitConfig
from stack_cfo.config.limits import cpu_rate
from stack_cfo.core.errors import ResourceExhausted
from stack_cfo.core.portfolio import cpu_meter
from stack_cfo.core.portfolio.cpu_meter import Release
from stack_cfo.durations import format_seconds

REASON = "READ_CPU_BUDGET_EXHAUSTED"
_READS_THROTTLED = THROTTLED.labels(REASON, "reads")  # exported at 0, as the limits' other refusals are
WRITE_REASON = "WRITE_CPU_BUDGET_EXHAUSTED"
_WRITES_THROTTLED = THROTTLED.labels(WRITE_REASON, "writes")  # exported at 0

T = TypeVar("T")

MAX_PRINCIPALS = 10_000
"""Principals whose bucket is not full kept per process (the least recently charged go first)."""
WRITES_AT_ONCE = 3
"""A principal's heavy writes admitted at once per process (:class:`WriteCpuBudget`); more wait their turn. One
at a time bounded a flood best (another user's GetPortfolioSummary p99 0.35 s behind one user's 100 concurrent
4 MB SyncPortfolio calls, against 5-6 s at three and 8.7 s before), but serialised what the contract lets run
together: two concurrent ImportHoldingsHistory calls of a user (the import gate refuses the third), concurrent
BatchCreateTransactions of one ledger (serialised by its row lock, each then checked against the others)."""
MIN_RETRY = 0.001
"""The shortest wait a refusal states, in seconds (the bucket is then just above zero)."""


class CpuBuckets:
    """Token buckets of CPU seconds by key: each starts full (``burst``), refills at ``rate`` CPU
    seconds per second up to ``burst``, and is charged what was spent (going below zero if need be).
    Thread-safe: computations on pool threads charge it."""

    def __init__(self, rate: float, burst: float, *, max_keys: int = MAX_PRINCIPALS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be above zero")
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        #: key -> (level, at): the level at that instant of the clock (only buckets not full).
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._levels)

    def _refilled(self, entry: tuple[float, float], now: float) -> float:
        level, at = entry
        return min(self.burst, level + max(0.0, now - at) * self.rate)

    def level(self, key: str) -> float:
        """CPU seconds left in ``key``'s bucket now (below zero: owed)."""
        with self._lock:
            entry = self._levels.get(key)
            return self.burst if entry is None else self._refilled(entry, self._clock())

    def wait(self, key: str) -> float:
        """0 when ``key`` may start a computation (its bucket is above zero), else the seconds until it may."""
        level = self.level(key)
        return 0.0 if level > 0 else -level / self.rate + MIN_RETRY

    def charge(self, key: str, seconds: float) -> None:
        """Take ``seconds`` of CPU from ``key``'s bucket."""
        if not seconds > 0:
            return
        with self._lock:
            now = self._clock()
            levels = self._levels
            entry = levels.pop(key, None)
            level = self.burst if entry is None else self._refilled(entry, now)
            levels[key] = (level - seconds, now)
            # Forget the least recently charged while there are too many, or while they have refilled
            # (a full bucket is the same as none).
            while levels:
                oldest, first = next(iter(levels.items()))
                if oldest != key and (len(levels) > self._max_keys or self._refilled(first, now) >= self.burst):
                    del levels[oldest]
                else:
                    break


class _Turn:
    __slots__ = ("lock", "users")

    def __init__(self, at_once: int) -> None:
        self.lock = asyncio.Lock() if at_once == 1 else asyncio.Semaphore(at_once)
        #: Calls holding or waiting for the lock.
        self.users = 0


class Turns:
    """One at a time by key (``at_once`` at a time), in arrival order: a lock (semaphore) per key,
    kept only while it is held or waited for (on the event loop; a lock is not shared by two loops,
    as an idle one is dropped)."""

    def __init__(self, at_once: int = 1) -> None:
        self._turns: dict[str, _Turn] = {}
        self._at_once = at_once

    def __len__(self) -> int:
        return len(self._turns)

    async def take(self, key: str) -> Release:
        """Wait for ``key``'s turn (cancellable: a call gone while waiting takes none); returns what
        ends it (idempotent)."""
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn(self._at_once)
        turn.users += 1
        try:
            await turn.lock.acquire()
        except BaseException:
            self._leave(key, turn)
            raise
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                turn.lock.release()
                self._leave(key, turn)

        return release

    def _leave(self, key: str, turn: _Turn) -> None:
        turn.users -= 1
        if turn.users == 0 and self._turns.get(key) is turn:
            del self._turns[key]


class _Kind:
    """The budget of users, or of service principals: their buckets (None: unlimited). ``writes``: the
    budget of heavy writes (``write_cpu``), else of uncached reads (``read_cpu``)."""

    def __init__(self, cfg: PrincipalLimits, kind: str, *, writes: bool = False) -> None:
        self.kind = kind
        text, burst = (cfg.write_cpu, cfg.write_cpu_burst) if writes else (cfg.read_cpu, cfg.read_cpu_burst)
        self.text = text
        self.burst_text = format_seconds(burst.total_seconds())
        rate = cpu_rate(text)
        self.buckets = None if rate is None else CpuBuckets(rate, burst.total_seconds())
        self.turns = Turns(WRITES_AT_ONCE if writes else 1)
        #: What a refusal says: whose calls, what to do meanwhile, its reason and class.
        self._said = (
            ("your portfolio syncs, imports and other large writes", "send smaller requests, or fewer",
             WRITE_REASON, "writes") if writes else
            ("your summaries, histories and receipt replays not already computed",
             "answers already computed still come", REASON, "reads")
        )
        self._throttled = _WRITES_THROTTLED if writes else _READS_THROTTLED

    async def take(self, buckets: CpuBuckets, key: str) -> Release:
        """``key``'s turn, once its bucket is not empty; else RESOURCE_EXHAUSTED (the budget's reason,
        with a RetryInfo for when the bucket is above zero again), the turn given back."""
        release = await self.turns.take(key)
        wait = buckets.wait(key)  # none of the principal's calls holding a turn before is running: charged
        if wait <= 0:
            return release
        release()
        self._throttled.inc()
        what, advice, reason, call_class = self._said
        raise ResourceExhausted(
            f"{what} have used their CPU budget ({self.text}, at most {self.burst_text} at once); "
            f"retry in {wait:.1f} s ({advice})",
            reason=reason,
            retry_after=timedelta(seconds=wait),
            metadata={"class": call_class, "limit": self.text, "burst": self.burst_text,
                      "principal_kind": self.kind, "retry_after_seconds": f"{wait:.3f}"},
        )


class _Account:
    """One call's payer: a principal's bucket (see :class:`stack_cfo.core.portfolio.cpu_meter.CpuAccount`)."""

    __slots__ = ("_buckets", "_key", "_kind")

    def __init__(self, kind: _Kind, buckets: CpuBuckets, key: str) -> None:
        self._kind = kind
        self._buckets = buckets
        self._key = key

    async def admit(self) -> Release:
        return await self._kind.take(self._buckets, self._key)

    def charge(self, seconds: float) -> None:
        self._buckets.charge(self._key, seconds)


class _CpuBudget:
    """Per principal kind, the buckets and turns of one budget (reads, or heavy writes)."""

    _writes = False

    def __init__(self, cfg: RateLimitConfig) -> None:
        self.enabled = cfg.enabled
        self._kinds = {False: _Kind(cfg.user, "user", writes=self._writes),
                       True: _Kind(cfg.service, "service", writes=self._writes)}

    def buckets(self, is_service: bool) -> CpuBuckets | None:
        """Users' (or services') buckets; None when unlimited."""
        return self._kinds[is_service].buckets

    def turns(self, is_service: bool) -> Turns:
        """Users' (or services') turns: whose calls are running or waiting."""
        return self._kinds[is_service].turns

    def _kind_of(self, principal: Principal) -> tuple[_Kind, CpuBuckets] | None:
        """The budget of ``principal``'s kind and its buckets (None: limits off, or unlimited)."""
        if not self.enabled:
            return None
        kind = self._kinds[principal.is_service]
        return None if kind.buckets is None else (kind, kind.buckets)


class ReadCpuBudget(_CpuBudget):
    """Per principal, the CPU their uncached reads may take in this process (see the module)."""

    def account(self, principal: Principal) -> _Account | None:
        """What ``principal``'s computations are charged to (None: limits off, or unlimited)."""
        found = self._kind_of(principal)
        return None if found is None else _Account(*found, principal.key)


# ------------------------------------------------------------------------------------ heavy writes

_P, _C = "/stack.cfo.v1.PortfolioSummaryService/", "/stack.cfo.v1.ChatService/"
WEIGHED_WRITES = frozenset({
    _P + "SyncPortfolio", _P + "ImportHoldingsHistory", _P + "BatchCreateTransactions",
    _P + "UpdateTransaction", _P + "DeleteTransaction", _P + "RecordPrices", _P + "RecordExchangeRates",
    _P + "IngestNews", _C + "UpdatePortfolioContext",
})
"""The writes whose CPU is budgeted (``rate_limits.*.write_cpu``): those whose request may be large
(megabytes of positions, transactions, prices or news) or that compute a summary."""


def _nothing() -> None:
    pass


class WriteAccount:
    """One heavy write call's payer: its principal's write bucket (see :class:`WriteCpuBudget`).

    :meth:`enter` takes the principal's turn and refuses the call when the bucket is empty;
    :meth:`run` awaits a coroutine of the call (the reading of its request, its handler) adding the
    thread CPU time of each of its steps on the event loop (its own work only: not what other calls
    run on the loop between them); :meth:`done` charges that and ends the turn. It is also the
    call's :class:`~stack_cfo.core.portfolio.cpu_meter.CpuAccount` while its handler runs, so the work
    it sends to another thread, metered there (a large request parsed on a ``to_thread`` thread, an
    uncached summary for UpdatePortfolioContext on a compute thread), is charged to it too, and a
    computation it starts is never refused (the call was admitted)."""

    __slots__ = ("_buckets", "_key", "_kind", "_release", "_stepping", "_thread", "spent")

    def __init__(self, kind: _Kind, buckets: CpuBuckets, key: str) -> None:
        self._kind = kind
        self._buckets = buckets
        self._key = key
        self._release: Release | None = None
        #: True while a step of :meth:`run` is measured (on the loop thread).
        self._stepping = False
        self._thread = threading.get_ident()
        #: Thread CPU seconds measured by :meth:`run` and not charged yet.
        self.spent = 0.0

    async def enter(self) -> None:
        """Wait for the principal's turn (:data:`WRITES_AT_ONCE` heavy writes at a time: the next is
        admitted knowing what the last one cost), then raise RESOURCE_EXHAUSTED
        ``WRITE_CPU_BUDGET_EXHAUSTED`` when the bucket is empty; admitted, the turn is held until
        :meth:`done`."""
        self._release = await self._kind.take(self._buckets, self._key)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """``await coro``, measured step by step (and its computations elsewhere charged to this call)."""
        with cpu_meter.charged_to(self):
            return await _Measured(self, coro)

    def done(self) -> None:
        """Charge what :meth:`run` measured and end the turn (again: nothing more)."""
        spent, self.spent = self.spent, 0.0
        self._buckets.charge(self._key, spent)
        release, self._release = self._release, None
        if release is not None:
            release()

    async def admit(self) -> Release:
        """(CpuAccount) A computation the call starts is not refused nor made to wait."""
        return _nothing

    def charge(self, seconds: float) -> None:
        """(CpuAccount) CPU a computation of the call's took, from any thread: taken from the bucket
        at once, unless it is measured already (a metered block inside a step of :meth:`run`)."""
        if self._stepping and threading.get_ident() == self._thread:
            return
        self._buckets.charge(self._key, seconds)


class _Measured:
    """Awaits a coroutine as ``await`` would, adding the thread CPU time of each of its steps (from
    a resumption to its next suspension) to ``account.spent``."""

    __slots__ = ("_account", "_coro")

    def __init__(self, account: WriteAccount, coro: Coroutine[Any, Any, Any]) -> None:
        self._account = account
        self._coro = coro

    def __await__(self) -> Generator[Any, Any, Any]:
        account, coro, clock = self._account, self._coro, time.thread_time
        sent: Any = None
        error: BaseException | None = None
        while True:
            account._stepping = True
            start = clock()
            try:
                if error is None:
                    suspended = coro.send(sent)
                else:
                    try:
                        suspended = coro.throw(error)
                    finally:
                        # an error passed on keeps no reference here: its traceback holds this frame (a
                        # cycle that held a refused request's items until a full collection)
                        error = None
            except StopIteration as stop:
                return stop.value
            finally:
                account.spent += clock() - start
                account._stepping = False
            try:
                sent = yield suspended
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # a cancellation (or an error set on the awaited future): the coroutine's
                sent, error = None, exc


class WriteCpuBudget(_CpuBudget):
    """Per principal, the CPU their heavy writes (:data:`WEIGHED_WRITES`) may take in this process:
    ``rate_limits.user.write_cpu`` (``1s/10s``, at most ``write_cpu_burst`` 5 s at once; services
    unlimited by default).

    The rate of writes counts calls, not their cost: a SyncPortfolio of 10,000 positions with long
    sector and basket names (7 MB, within the message limit) costs ~150 ms of CPU to decode and
    check even when it is refused (PORTFOLIO_TOO_LARGE), and one user sending 100 at once took
    another user's GetPortfolioSummary from 2 ms to seconds. The call wrapper
    (:mod:`stack_cfo.api.interceptors`) takes one of the caller's turns and asks the bucket before it
    reads the request, then charges the thread CPU time of the reading (the decoding) and of the
    handler on the event loop, refused calls included; an empty bucket refuses the call with
    RESOURCE_EXHAUSTED ``WRITE_CPU_BUDGET_EXHAUSTED`` and a ``RetryInfo``, as :class:`ReadCpuBudget`
    does for reads (a separate bucket, the same rules: turns, debt, memory). At most
    :data:`WRITES_AT_ONCE` heavy writes of a principal run at once per process, the next waiting for
    a turn (within its deadline, before its body is read): so over any span they take at most the
    burst plus the rate times the span, plus the calls running.
    CPU spent off the loop is charged where it is metered (:mod:`stack_cfo.core.portfolio.cpu_meter`),
    as the thread spends it: a large request parsed, checked or answered on a thread, a large ledger
    derived, a summary computed and a large chat context made on the compute pool, the store's sealing
    of many rows (:func:`~stack_cfo.core.portfolio.cpu_meter.metered_call`,
    :func:`~stack_cfo.core.portfolio.cpu_meter.metered`)."""

    _writes = True

    def account(self, principal: Principal) -> WriteAccount | None:
        """What one heavy write of ``principal``'s is charged to (None: limits off, or unlimited)."""
        found = self._kind_of(principal)
        return None if found is None else WriteAccount(*found, principal.key)

"""Big summaries run on the process's small compute pool (:mod:`stack_cfo.core.portfolio.compute_pool`)
and do not outlive their callers. A load test (1,000 positions x 500 days, 16 watches that never
read, prices changing every few seconds) took a server from 154 MB to 1.4 GB: a summary per change
ran on the default executor's many threads at once, each holding its figures, and computations for
watchers that had gone kept running. Here: a big computation whose every caller has gone before it
started never runs; big computations run at most ``WORKERS`` at a time; identical requests share
one; a watched portfolio is refreshed once at a time however many changes come meanwhile, and not
at all once its watches have ended.

``INLINE_POSITIONS`` is set to 0 so that the small test portfolios count as big, and the engine
is wrapped so a test can hold a computation on the pool's thread and see which ran."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio import PortfolioService, compute_pool
from stack_cfo.core.portfolio import service as service_module
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.ports import PricesChanged
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.views import SummaryView
from stack_cfo.core.portfolio.watch import WatchTrigger
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # Friday evening in New York, after the close


@dataclass
class Engine:
    """Wraps the summary engine: ``gate`` cleared holds every computation on its thread; counts
    computations in progress and records whose summaries were built."""

    gate: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    entered: int = 0
    running: int = 0
    most_running: int = 0
    #: Set once two computations run at the same time (see :meth:`overlap`).
    two: threading.Event = field(default_factory=threading.Event)
    overlap_wait: float = 0.0
    built: list[str] = field(default_factory=list)
    #: Computations handed to the compute pool.
    submitted: int = 0

    def __post_init__(self) -> None:
        self.gate.set()


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    eng = Engine()
    compute, build, run = service_module.compute_summary, service_module.build_view, compute_pool.run

    def computing(*args: Any, **kw: Any) -> Any:
        with eng.lock:
            eng.entered += 1
            eng.running += 1
            eng.most_running = max(eng.most_running, eng.running)
            if eng.running >= 2:
                eng.two.set()
        try:
            if eng.overlap_wait:
                eng.two.wait(eng.overlap_wait)  # a chance for another computation to run alongside
            assert eng.gate.wait(10), "the test never released the computation"
            return compute(*args, **kw)
        finally:
            with eng.lock:
                eng.running -= 1

    def building(user_id: str, *args: Any) -> SummaryView:
        with eng.lock:
            eng.built.append(user_id)
        return build(user_id, *args)

    async def submitting(fn: Callable[[], Any], **kw: Any) -> Any:
        eng.submitted += 1
        return await run(fn, **kw)

    monkeypatch.setattr(service_module, "INLINE_POSITIONS", 0)  # every portfolio here counts as big
    monkeypatch.setattr(service_module, "compute_summary", computing)
    monkeypatch.setattr(service_module, "build_view", building)
    monkeypatch.setattr(compute_pool, "run", submitting)
    try:
        yield eng
    finally:
        eng.gate.set()


@pytest.fixture
async def service(database: Database) -> AsyncIterator[tuple[PortfolioService, TestFeed]]:
    feed = TestFeed(healthy=True)
    svc = PortfolioService(PortfolioRepository(database), feed, clock=FrozenClock(NOW), settings=AnalyticsSettings())
    await svc.astart()
    await svc.record_prices([PriceInput("AAPL", date(2026, 12, 3), Decimal("100"), "USD")], idempotency=None)
    try:
        yield svc, feed
    finally:
        await svc.aclose()


async def _users(database: Database, svc: PortfolioService, n: int) -> list[str]:
    users = await add_users(database, n)
    for i, user in enumerate(users):
        with user_scope(user):
            await svc.sync(
                SyncCommand(
                    user_id=user,
                    positions=(HoldingInput("AAPL", Decimal(i + 1)),),
                    cash_balance=Decimal("0"),
                    base_currency="USD",
                )
            )
    return users


def _summary(svc: PortfolioService, user: str) -> asyncio.Task[SummaryView]:
    with user_scope(user):
        return asyncio.create_task(svc.summary(user))


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


async def _settled(svc: PortfolioService) -> None:
    """No computation or refresh left in progress."""
    await _until(lambda: not svc._inflight and not svc._refreshes)


async def test_a_big_summary_whose_caller_has_gone_does_not_run(
    database: Database, service: tuple[PortfolioService, TestFeed], engine: Engine
) -> None:
    svc, _ = service
    first, second = await _users(database, svc, 2)
    engine.gate.clear()
    held = _summary(svc, first)
    await _until(lambda: engine.entered == 1)  # the pool's thread is busy with the first
    gone = _summary(svc, second)
    await _until(lambda: engine.submitted == 2 or engine.entered == 2)  # the second is queued (or running)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    engine.gate.set()
    assert (await held).summary.total_value == Decimal("100")
    await _settled(svc)
    assert engine.built == [first]
    # Asked again, it is computed afresh (the cancelled one was forgotten).
    assert (await _summary(svc, second)).summary.total_value == Decimal("200")


async def test_identical_big_summaries_share_one_computation(
    database: Database, service: tuple[PortfolioService, TestFeed], engine: Engine
) -> None:
    svc, _ = service
    [user] = await _users(database, svc, 1)
    engine.gate.clear()
    calls = [_summary(svc, user) for _ in range(5)]
    await _until(lambda: engine.entered == 1)
    calls[0].cancel()  # one caller going does not stop the others' computation
    with pytest.raises(asyncio.CancelledError):
        await calls[0]
    engine.gate.set()
    views = await asyncio.gather(*calls[1:])
    assert all(v is views[0] for v in views)
    assert engine.entered == 1 and engine.built == [user]


async def test_big_summaries_of_different_users_run_at_most_workers_at_a_time(
    database: Database, service: tuple[PortfolioService, TestFeed], engine: Engine
) -> None:
    svc, _ = service
    users = await _users(database, svc, 3)
    engine.overlap_wait = 0.5  # each computation waits that long for another one to run alongside
    views = await asyncio.gather(*(_summary(svc, u) for u in users))
    assert [v.summary.total_value for v in views] == [Decimal("100"), Decimal("200"), Decimal("300")]
    assert engine.entered == 3
    assert engine.most_running <= compute_pool.WORKERS


async def test_a_watched_big_portfolio_is_refreshed_once_at_a_time_and_not_after_its_watches_end(
    database: Database, service: tuple[PortfolioService, TestFeed], engine: Engine
) -> None:
    svc, feed = service
    watched, other = await _users(database, svc, 2)
    assert feed.on_change is not None
    with user_scope(watched):
        watch = svc.watch(watched, timedelta(seconds=1))
        first = await anext(watch)  # and never read again: a client that does not read
    assert first.trigger is WatchTrigger.INITIAL
    await _settled(svc)
    engine.built.clear()
    engine.entered = 0

    # Four changes while the refresh for the first is being computed: one more refresh, not four.
    engine.gate.clear()
    feed.on_change(PricesChanged(frozenset({"AAPL"}), "c1"))
    await _until(lambda: engine.entered == 1)
    for i in range(2, 5):
        feed.on_change(PricesChanged(frozenset({"AAPL"}), f"c{i}"))
        await asyncio.sleep(0.2)  # time for a refresh of its own to load and start (it did, one per change)
    engine.gate.set()
    await _settled(svc)
    assert engine.built == [watched, watched]

    # The pool busy with another user; a change queues a refresh; the watch ends: it never runs.
    engine.built.clear()
    engine.entered = engine.submitted = 0
    engine.gate.clear()
    held = _summary(svc, other)
    await _until(lambda: engine.entered == 1)
    feed.on_change(PricesChanged(frozenset({"AAPL"}), "c5"))
    await _until(lambda: engine.submitted == 2 or engine.entered == 2)
    await watch.aclose()
    # The refresh is cancelled as the watch ends; its queued job is dropped once the loop has run the
    # cancellation, which it does before the pool's thread could be handed the job (here the thread
    # is released only after that, so that a loaded machine cannot make it win the race).
    await _until(lambda: not svc._refreshes)
    engine.gate.set()
    await held
    await _settled(svc)
    assert engine.built == [other]

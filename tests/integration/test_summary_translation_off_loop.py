"""A large portfolio's summary message is made off the event loop. A tester's run (one user, 10,000
positions, GetPortfolioSummary at one past instant after another) held every other caller of the
process: each call's conversion to the API message (summary_to_proto, bounded_summary and the
bytes, some hundred ms) ran on the loop, and another user's summary p95 went from 6 to ~110 ms
(max 0.5 s). Here: a summary of more than INLINE_POSITIONS positions is converted on the compute
executor's thread, the callers of one view share one conversion, and a small one stays inline."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.api.servicers import portfolio as servicer_module
from stack_cfo.api.servicers.portfolio import PortfolioServicer
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.watch import WatchTrigger, WatchUpdate
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


@pytest.fixture
async def service(database: Database) -> AsyncIterator[tuple[PortfolioService, str, str]]:
    """A user of INLINE_POSITIONS + 20 positions and one of 5."""
    svc = PortfolioService(PortfolioRepository(database), TestFeed(healthy=True), clock=FrozenClock(NOW),
                           settings=AnalyticsSettings())
    await svc.astart()
    big, small = await add_users(database, 2)
    n = INLINE_POSITIONS + 20
    await svc.record_prices([PriceInput(f"S{i}", NOW.date() - timedelta(days=1), Decimal("10"), "USD")
                             for i in range(n)], idempotency=None)
    for user, count in ((big, n), (small, 5)):
        with user_scope(user):
            await svc.sync(SyncCommand(user_id=user, positions=tuple(HoldingInput(f"S{i}", Decimal(2))
                                                                        for i in range(count)),
                                       cash_balance=Decimal(0), base_currency="USD"))
    try:
        yield svc, big, small
    finally:
        await svc.aclose()


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The thread each summary_to_proto call of the servicer ran on."""
    seen: Counter[str] = Counter()
    convert = servicer_module.summary_to_proto

    def recording(*args: Any, **kw: Any) -> Any:
        seen["loop" if threading.current_thread() is threading.main_thread() else "other"] += 1
        return convert(*args, **kw)

    monkeypatch.setattr(servicer_module, "summary_to_proto", recording)
    return seen


async def test_a_large_summary_is_converted_once_off_the_loop_for_all_its_callers(
    service: tuple[PortfolioService, str, str], threads: Counter[str]
) -> None:
    svc, big, _ = service
    servicer = PortfolioServicer(svc)
    with user_scope(big):
        view = await svc.summary(big)
    got = await asyncio.gather(*(servicer._translation(view) for _ in range(5)))
    assert threads == {"other": 1}, "the conversion ran on the event loop, or once per caller"
    assert all(t is got[0] for t in got) and len(got[0].message.positions) == INLINE_POSITIONS + 20
    data = await servicer._watch_bytes(WatchUpdate(view, WatchTrigger.INITIAL, ()))
    assert threads == {"other": 1} and len(data) > len(got[0].serialized())


async def test_a_small_summary_is_converted_inline(
    service: tuple[PortfolioService, str, str], threads: Counter[str]
) -> None:
    svc, _, small = service
    servicer = PortfolioServicer(svc)
    with user_scope(small):
        view = await svc.summary(small)
    assert len((await servicer._translation(view)).message.positions) == 5
    assert threads == {"loop": 1}

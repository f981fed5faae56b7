"""A watch outlives a database outage: when the change feed reconnects (FeedReset) before the
database answers the watch's resync, the watch waits and tries again instead of ending with
UNAVAILABLE. (It ended every open watch of every replica at the instant of recovery: the feed
reconnects before readiness renews the pool, and calls fail fast until then.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import Unavailable
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio import service as service_module
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.ports import FeedReset
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.watch import WatchTrigger
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # Friday evening in New York, after the close


async def test_a_watch_waits_out_the_database_after_a_feed_reset(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "WATCH_RETRY_FIRST", 0.05)
    [user] = await add_users(database, 1)
    feed = TestFeed(healthy=True)
    service = PortfolioService(PortfolioRepository(database), feed, clock=FrozenClock(NOW),
                               settings=AnalyticsSettings())
    await service.astart()
    try:
        await service.record_prices([PriceInput("AAPL", date(2026, 12, 3), Decimal("100"), "USD")], idempotency=None)
        with user_scope(user):
            await service.sync(SyncCommand(user_id=user, positions=(HoldingInput("AAPL", Decimal("10")),),
                                           cash_balance=Decimal("0"), base_currency="USD"))
            watch = service.watch(user, timedelta(seconds=1))
            first = await anext(watch)
            assert first.trigger is WatchTrigger.INITIAL
            assert first.view.summary.total_value == Decimal("1000")

            # The outage: a new close lands; the feed reconnects and says it may have missed changes,
            # but the database refuses the first two summaries (readiness has not renewed the pool yet).
            await service.record_prices([PriceInput("AAPL", date(2026, 12, 4), Decimal("110"), "USD")],
                                        idempotency=None)
            real, attempts = service.summary, []

            async def flaky(*args: Any, **kwargs: Any) -> Any:
                attempts.append(1)
                if len(attempts) <= 2:
                    raise Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE")
                return await real(*args, **kwargs)

            monkeypatch.setattr(service, "summary", flaky)
            assert feed.on_change is not None
            feed.on_change(FeedReset())
            update = await asyncio.wait_for(anext(watch), 15)
            assert update.trigger is WatchTrigger.PRICE_CHANGE
            assert update.view.summary.total_value == Decimal("1100")
            assert len(attempts) == 3
            await watch.aclose()
    finally:
        await service.aclose()

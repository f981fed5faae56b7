"""After the change feed reconnects (a database outage: changes made meanwhile were never
announced), a watch's update says what changed, found by comparing the new summary with the one
it sent last: new quantities are a HOLDINGS_CHANGE (they came as a PRICE_CHANGE naming nothing,
as if the positions were what the client had), new prices a PRICE_CHANGE naming the symbols."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.ports import FeedReset
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.watch import WatchTrigger, WatchUpdate
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed

NOW = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # Friday evening in New York, after the close


@asynccontextmanager
async def _watched(database: Database) -> AsyncIterator[tuple[PortfolioService, TestFeed, str]]:
    """A service whose feed announces nothing by itself (so every write below is one the feed
    missed), a user holding 10 AAPL and 5 MSFT, and the closes of 3 December."""
    [user] = await add_users(database, 1)
    feed = TestFeed(healthy=True)
    service = PortfolioService(PortfolioRepository(database), feed, clock=FrozenClock(NOW),
                               settings=AnalyticsSettings())
    await service.astart()
    try:
        await service.record_prices([PriceInput("AAPL", date(2026, 12, 3), Decimal("100"), "USD"),
                                     PriceInput("MSFT", date(2026, 12, 3), Decimal("200"), "USD")], idempotency=None)
        with user_scope(user):
            await _sync(service, user, "10")
            yield service, feed, user
    finally:
        await service.aclose()


async def _sync(service: PortfolioService, user: str, aapl: str) -> None:
    await service.sync(SyncCommand(user_id=user, positions=(HoldingInput("AAPL", Decimal(aapl)),
                                                            HoldingInput("MSFT", Decimal("5"))),
                                   cash_balance=Decimal("0"), base_currency="USD"))


async def _after_reset(feed: TestFeed, watch: AsyncIterator[WatchUpdate]) -> WatchUpdate:
    """The feed reconnected: it may have missed changes (what the listener says on reconnecting)."""
    assert feed.on_change is not None
    feed.on_change(FeedReset())
    return await asyncio.wait_for(anext(watch), 15)


def _quantities(update: WatchUpdate) -> dict[str, Decimal]:
    return {p.symbol: p.quantity for p in update.view.summary.positions}


async def test_new_quantities_missed_by_the_feed_come_as_a_holdings_change(database: Database) -> None:
    async with _watched(database) as (service, feed, user):
        watch = service.watch(user, timedelta(seconds=1))
        assert (await anext(watch)).trigger is WatchTrigger.INITIAL
        await _sync(service, user, "20")  # during the outage: no notification reaches the watch

        update = await _after_reset(feed, watch)
        assert _quantities(update) == {"AAPL": Decimal("20"), "MSFT": Decimal("5")}
        assert update.trigger is WatchTrigger.HOLDINGS_CHANGE
        assert update.changed_symbols == ()  # no price changed
        await watch.aclose()


async def test_new_prices_missed_by_the_feed_come_as_a_price_change_naming_them(database: Database) -> None:
    async with _watched(database) as (service, feed, user):
        watch = service.watch(user, timedelta(seconds=1))
        assert (await anext(watch)).trigger is WatchTrigger.INITIAL
        await service.record_prices([PriceInput("AAPL", date(2026, 12, 4), Decimal("110"), "USD")],
                                    idempotency=None)

        update = await _after_reset(feed, watch)
        assert update.view.summary.total_value == Decimal("2100")
        assert update.trigger is WatchTrigger.PRICE_CHANGE
        assert update.changed_symbols == ("AAPL",)
        await watch.aclose()


async def test_both_missed_come_as_a_holdings_change_naming_the_repriced_symbols(database: Database) -> None:
    async with _watched(database) as (service, feed, user):
        watch = service.watch(user, timedelta(seconds=1))
        assert (await anext(watch)).trigger is WatchTrigger.INITIAL
        await service.record_prices([PriceInput("MSFT", date(2026, 12, 4), Decimal("210"), "USD")],
                                    idempotency=None)
        await _sync(service, user, "20")

        update = await _after_reset(feed, watch)
        assert _quantities(update)["AAPL"] == Decimal("20")
        assert update.trigger is WatchTrigger.HOLDINGS_CHANGE
        assert update.changed_symbols == ("MSFT",)
        await watch.aclose()


async def test_a_price_already_in_the_summary_sent_is_named_in_it_and_not_sent_again(database: Database) -> None:
    """Two prices written back to back, announced one after the other: the update AAPL's notice wakes already has
    MSFT's new price (written before its summary was computed), so it names both ("held symbols whose price changed
    since the previous update"), and MSFT's own notice has nothing new to send (it sent the same figures again,
    naming only MSFT)."""
    from stack_cfo.core.portfolio.ports import PricesChanged

    async with _watched(database) as (service, feed, user):
        assert feed.on_change is not None
        watch = service.watch(user, timedelta(seconds=1))
        assert (await anext(watch)).trigger is WatchTrigger.INITIAL
        await service.record_prices([PriceInput("AAPL", date(2026, 12, 4), Decimal("110"), "USD")], idempotency=None)
        await service.record_prices([PriceInput("MSFT", date(2026, 12, 4), Decimal("210"), "USD")], idempotency=None)
        feed.on_change(PricesChanged(frozenset({"AAPL"})))
        update = await asyncio.wait_for(anext(watch), 15)
        assert update.view.summary.total_value == Decimal("2150")  # 10 x 110 + 5 x 210
        assert update.trigger is WatchTrigger.PRICE_CHANGE and update.changed_symbols == ("AAPL", "MSFT")
        feed.on_change(PricesChanged(frozenset({"MSFT"})))
        try:
            again = await asyncio.wait_for(anext(watch), 2.5)  # past the 1 s interval: MSFT's wake has come
        except TimeoutError:
            again = None
        assert again is None, again
        await watch.aclose()

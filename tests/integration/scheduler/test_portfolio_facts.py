"""The PortfolioReader over the real portfolio service and store: digests, weekly summaries and
alerts carry the same numbers the portfolio API serves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users

NY = ZoneInfo("America/New_York")


class NoFeed:
    """No change notifications: the service then caches nothing."""

    healthy = False
    epoch = 0

    async def start(self, on_change: Callable[[object], None]) -> None:
        return None

    async def stop(self) -> None:
        return None


def _trading_days(start: date, n: int) -> list[date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


async def _portfolio(database: Database) -> tuple[str, PortfolioFacts, FrozenClock, list[date]]:
    [user] = await add_users(database, 1)
    days = _trading_days(date(2026, 1, 5), 45)
    clock = FrozenClock(datetime.combine(days[0], time(17), NY).astimezone(UTC))
    service = PortfolioService(PortfolioRepository(database), NoFeed(), clock=clock, settings=AnalyticsSettings())
    with user_scope(user):  # the user's SyncPortfolio (row-level security)
        await service.sync(
            SyncCommand(
                user_id=user,
                positions=(HoldingInput("AAPL", Decimal("100"), Decimal("150")), HoldingInput("MSFT", Decimal("50"))),
                cash_balance=Decimal("1000"),
                base_currency="USD",
            )
        )
    clock.set(datetime.combine(days[-1], time(17), NY).astimezone(UTC))
    points = []
    for i, d in enumerate(days):
        wiggle = Decimal(i % 3 - 1) / 2  # -0.5, 0, +0.5: a calm portfolio
        points += [
            PriceInput("AAPL", d, Decimal("200") + wiggle, "USD"),
            PriceInput("MSFT", d, Decimal("400") - wiggle, "USD"),
            PriceInput("SPY", d, Decimal("500") + wiggle, "USD"),
        ]
    await service.record_prices(points, idempotency=None)
    return user, PortfolioFacts(service, clock=clock), clock, days


async def test_digest_and_weekly_facts_come_from_the_portfolio_service(database: Database) -> None:
    user, facts, _, days = await _portfolio(database)
    last = days[-1]
    digest = await facts.digest_facts(user, last)
    assert digest is not None and digest.day == last and digest.currency == "USD"
    aapl = Decimal("200") + Decimal((44 % 3) - 1) / 2
    msft = Decimal("400") - Decimal((44 % 3) - 1) / 2
    assert digest.total_value == Decimal("100") * aapl + Decimal("50") * msft + Decimal("1000")
    assert {h.symbol for h in digest.holdings} == {"AAPL", "MSFT"}
    assert abs(sum(h.weight for h in digest.holdings) - float((digest.total_value - 1000) / digest.total_value)) < 1e-9
    assert len(digest.history) >= 15 and digest.history[-1].day == last
    assert digest.narrative
    monday = last - timedelta(days=last.weekday())
    weekly = await facts.weekly_facts(user, monday, monday + timedelta(days=6))
    assert weekly is not None and weekly.benchmark_symbol == "SPY" and weekly.end_value == digest.total_value
    assert weekly.top_movers and weekly.history
    assert await facts.digest_facts("00000000-0000-4000-8000-000000000000", last) is None


async def test_a_digest_sent_during_the_session_reports_the_last_closed_one(database: Database) -> None:
    # Auckland's 08:00 digest of the 9th (reporting the 8th) goes out at 14:00 in New York on the
    # 8th, the session still open: it reports the 7th's close, not the session in progress.
    user, facts, clock, days = await _portfolio(database)
    last, before = days[-1], days[-2]
    clock.set(datetime.combine(last, time(14), NY).astimezone(UTC))
    digest = await facts.digest_facts(user, last)
    i = len(days) - 2
    aapl, msft = Decimal("200") + Decimal((i % 3) - 1) / 2, Decimal("400") - Decimal((i % 3) - 1) / 2
    assert digest is not None and digest.day == before
    assert digest.total_value == Decimal("100") * aapl + Decimal("50") * msft + Decimal("1000")
    clock.set(datetime.combine(last, time(16, 5), NY).astimezone(UTC))  # after the close: that day
    after = await facts.digest_facts(user, last)
    assert after is not None and after.day == last


async def test_alert_fires_only_when_the_core_rule_does(database: Database) -> None:
    user, facts, clock, days = await _portfolio(database)
    service = facts.service
    today = days[-1] + timedelta(days=3 if days[-1].weekday() == 4 else 1)
    at = datetime.combine(today, time(11), NY).astimezone(UTC)
    clock.set(at)
    calm = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert calm is None  # no intraday move yet
    await service.record_prices(
        [PriceInput("AAPL", at - timedelta(minutes=5), Decimal("176"), "USD", previous_close=None)], idempotency=None
    )
    alert = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert alert is not None
    assert alert.move < -0.03 and alert.change < 0
    assert alert.sigma is not None and alert.sigma < -3.0
    assert alert.drivers[0].symbol == "AAPL" and alert.drivers[0].contribution == Decimal(
        "-2450"
    )  # (176 - 200.5) x 100
    quiet = await facts.alert_facts(user, at, threshold_percent=50.0, threshold_sigma=90.0)
    assert quiet is None

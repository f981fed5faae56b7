"""The performance alert's facts (scheduler.proto, NOTIFICATION_KIND_PERFORMANCE_ALERT) over the real
portfolio service: the move since the previous close is the summary's day change measured from that
close, so

- a deposit or withdrawal is never a move (portfolio.proto, CashFlow: "deposits are never counted
  as gains");
- a stale price moves nothing (GetPortfolioSummary: ``stale``, day change 0);
- a foreign holding without a new price moves with its currency only, and each driver is its
  position's move in base currency since the same close, so the drivers add up to the move;
- the text names the threshold that fired.

Prices: NYSE sessions from Mon 5 Oct 2026 to Fri 4 Dec 2026; DDD closes at 20 + 0.1 x (n % 3 - 1),
EEE (EUR) at 80 + 0.1 x (n % 3 - 1) and SSS at 40 + 0.1 x (n % 3 - 1) on the n-th session (a calm
history: the 90-day volatility is known), SSS's closes stop on Tue 1 Dec; EUR/USD is 1.10 every
session, 1.056 (4 % lower) on Mon 7 Dec.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.i18n import localizer
from stack_cfo.core.notifications.content import render_alert
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import FlowInput, FlowType, HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.ports import RateInput
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed, nyse_sessions

NY = ZoneInfo("America/New_York")
FIRST = date(2026, 10, 5)
FRIDAY = date(2026, 12, 4)
TUESDAY = date(2026, 12, 1)
MONDAY = date(2026, 12, 7)
SATURDAY = date(2026, 12, 5)
RATE = Decimal("1.10")
RATE_MONDAY = Decimal("1.056")


def _close(base: str, n: int) -> Decimal:
    return Decimal(base) + Decimal(n % 3 - 1) / 10


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), NY).astimezone(UTC)


async def _setup(
    database: Database, positions: tuple[HoldingInput, ...], cash: Decimal
) -> tuple[str, PortfolioService, PortfolioFacts, FrozenClock]:
    [user] = await add_users(database, 1)
    clock = FrozenClock(_at(FIRST, 9))
    service = PortfolioService(PortfolioRepository(database), TestFeed(), clock=clock, settings=AnalyticsSettings())
    with user_scope(user):
        await service.sync(SyncCommand(user_id=user, positions=positions, cash_balance=cash, base_currency="USD"))
    clock.set(_at(MONDAY, 9))
    points = []
    for n, d in enumerate(nyse_sessions(FIRST, FRIDAY)):
        points += [
            PriceInput("DDD", d, _close("20", n), "USD"),
            PriceInput("EEE", d, _close("80", n), "EUR"),
            PriceInput("SPY", d, _close("500", n), "USD"),
        ]
        if d <= TUESDAY:
            points.append(PriceInput("SSS", d, _close("40", n), "USD"))
    await service.record_prices(points, idempotency=None)
    rates = [RateInput("EUR", "USD", d, RATE) for d in nyse_sessions(FIRST, FRIDAY)]
    rates.append(RateInput("EUR", "USD", MONDAY, RATE_MONDAY))
    await service.record_exchange_rates(rates)
    return user, service, PortfolioFacts(service, clock=clock), clock


FRIDAY_DDD = _close("20", len(nyse_sessions(FIRST, FRIDAY)) - 1)
FRIDAY_EEE = _close("80", len(nyse_sessions(FIRST, FRIDAY)) - 1)


# -- 1. deposits and withdrawals are not moves -------------------------------------------


@pytest.mark.parametrize(
    ("flow", "cash"),
    [(FlowType.DEPOSIT, Decimal("6000")), (FlowType.WITHDRAWAL, Decimal("500"))],
)
async def test_a_deposit_or_withdrawal_today_fires_no_alert(database: Database, flow: FlowType, cash: Decimal) -> None:
    user, service, facts, clock = await _setup(
        database, (HoldingInput("DDD", Decimal("100"), Decimal("15")),), Decimal("1000")
    )
    at = _at(MONDAY, 11)
    clock.set(at)
    amount = abs(cash - Decimal("1000"))
    # DDD trades at Friday's close this morning: no move at all (GetPortfolioSummary: day change 0)
    await service.record_prices([PriceInput("DDD", at - timedelta(minutes=5), FRIDAY_DDD, "USD")], idempotency=None)
    with user_scope(user):
        await service.sync(
            SyncCommand(
                user_id=user,
                positions=(HoldingInput("DDD", Decimal("100"), Decimal("15")),),
                cash_balance=cash,
                base_currency="USD",
                cash_flows=(FlowInput(flow, amount, occurred_on=MONDAY, external_id="f1"),),
            )
        )
        summary = (await service.summary(user, at, live=True)).summary
    assert summary.day_change == 0 and summary.total_value == 100 * FRIDAY_DDD + cash
    assert await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0) is None


async def test_a_move_on_a_deposit_day_reports_the_move_alone(database: Database) -> None:
    user, service, facts, clock = await _setup(
        database, (HoldingInput("DDD", Decimal("100"), Decimal("15")),), Decimal("1000")
    )
    at = _at(MONDAY, 11)
    clock.set(at)
    with user_scope(user):
        await service.sync(
            SyncCommand(
                user_id=user,
                positions=(HoldingInput("DDD", Decimal("100"), Decimal("15")),),
                cash_balance=Decimal("6000"),
                base_currency="USD",
                cash_flows=(FlowInput(FlowType.DEPOSIT, Decimal("5000"), occurred_on=MONDAY, external_id="d1"),),
            )
        )
    await service.record_prices([PriceInput("DDD", at - timedelta(minutes=5), Decimal("16"), "USD")], idempotency=None)
    with user_scope(user):
        summary = (await service.summary(user, at, live=True)).summary
    alert = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert alert is not None
    drop = 100 * (Decimal("16") - FRIDAY_DDD)
    assert alert.change == drop == summary.day_change  # not + 5,000
    assert alert.move == pytest.approx(float(drop / (summary.total_value - drop)))
    assert alert.move == pytest.approx(summary.day_return)
    assert [(d.symbol, d.contribution) for d in alert.drivers] == [("DDD", drop)]


# -- 2. a stale price moves nothing ----------------------------------------------------


async def test_a_stale_quote_fires_no_alert(database: Database) -> None:
    user, service, facts, clock = await _setup(
        database, (HoldingInput("SSS", Decimal("100"), Decimal("30")),), Decimal("0")
    )
    tuesday_close = _close("40", len([d for d in nyse_sessions(FIRST, FRIDAY) if d <= TUESDAY]) - 1)
    await service.record_prices(
        [
            PriceInput(
                "SSS", _at(date(2026, 12, 2), 15), (tuesday_close * Decimal("0.95")).quantize(Decimal("0.01")), "USD"
            )
        ],
        idempotency=None,
    )
    at = _at(SATURDAY, 12)
    clock.set(at)
    with user_scope(user):
        summary = (await service.summary(user, at, live=True)).summary
    assert summary.positions[0].stale and summary.day_change == 0
    assert await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0) is None


# -- 3. a foreign holding: drivers in base currency from the same close -------------------


async def test_a_currency_move_without_a_new_price_is_the_move_and_its_driver(database: Database) -> None:
    user, _, facts, clock = await _setup(
        database, (HoldingInput("EEE", Decimal("100"), Decimal("70"), "EUR"),), Decimal("0")
    )
    at = _at(MONDAY, 11)
    clock.set(at)
    alert = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert alert is not None
    expected = 100 * FRIDAY_EEE * (RATE_MONDAY - RATE)
    assert alert.change == expected
    assert alert.move == pytest.approx(-0.04)
    assert [(d.symbol, d.contribution) for d in alert.drivers] == [("EEE", expected)]
    assert alert.drivers[0].period_return == pytest.approx(-0.04)
    assert sum(d.contribution for d in alert.drivers) == alert.change


async def test_a_new_foreign_price_agrees_with_the_summary_day_change(database: Database) -> None:
    user, service, facts, clock = await _setup(
        database,
        (HoldingInput("EEE", Decimal("100"), Decimal("70"), "EUR"), HoldingInput("DDD", Decimal("100"))),
        Decimal("0"),
    )
    at = _at(MONDAY, 11)
    clock.set(at)
    await service.record_prices(
        [
            PriceInput("EEE", at - timedelta(minutes=5), Decimal("78"), "EUR"),
            PriceInput("DDD", at - timedelta(minutes=5), Decimal("19.5"), "USD"),
        ],
        idempotency=None,
    )
    with user_scope(user):
        summary = (await service.summary(user, at, live=True)).summary
    alert = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert alert is not None
    eee = 100 * (Decimal("78") * RATE_MONDAY - FRIDAY_EEE * RATE)
    ddd = 100 * (Decimal("19.5") - FRIDAY_DDD)
    assert alert.change == eee + ddd == summary.day_change
    assert alert.move == pytest.approx(summary.day_return)
    assert [(d.symbol, d.contribution) for d in alert.drivers] == [("EEE", eee), ("DDD", ddd)]
    assert sum(d.contribution for d in alert.drivers) == alert.change


# -- 4. the text names the threshold that fired ------------------------------------------


async def test_the_text_names_the_threshold_that_fired(database: Database) -> None:
    user, service, facts, clock = await _setup(
        database, (HoldingInput("DDD", Decimal("100"), Decimal("15")),), Decimal("0")
    )
    at = _at(MONDAY, 11)
    clock.set(at)
    await service.record_prices([PriceInput("DDD", at - timedelta(minutes=5), Decimal("19"), "USD")], idempotency=None)

    on_pct = await facts.alert_facts(user, at, threshold_percent=2.0, threshold_sigma=100.0)
    assert on_pct is not None and on_pct.crossed == ("PCT",) and on_pct.threshold_percent == 2.0
    text = render_alert(on_pct, period="2026-12-07", key="k").email.text
    assert "(your alert threshold is 2%)." in text and "threshold is 100" not in text
    de = render_alert(on_pct, period="2026-12-07", key="k", l10n=localizer("de")).email.text
    assert "Alarmschwelle liegt bei 2\u00a0%" in de

    on_sigma = await facts.alert_facts(user, at, threshold_percent=50.0, threshold_sigma=3.0)
    assert on_sigma is not None and on_sigma.crossed == ("SIGMA",)
    text = render_alert(on_sigma, period="2026-12-07", key="k").email.text
    assert "(your alert threshold is 3.0 standard deviations)." in text
    fr = render_alert(on_sigma, period="2026-12-07", key="k", l10n=localizer("fr")).email.text
    assert "seuil d’alerte est de 3,0 écarts-types" in fr


async def test_a_portfolio_first_synced_today_is_alerted_on_its_move_since_the_previous_close(
    database: Database,
) -> None:
    """Synced this Monday morning: no valuation day before today, but its holdings fell 20% since Friday's
    close (GetPortfolioSummary's day change says so): the percent threshold fires; no history, no sigma. It
    was never alerted, whatever the move."""
    _, service, facts, clock = await _setup(database, (HoldingInput("EEE", Decimal("1"), Decimal("70"), "EUR"),),
                                            Decimal("0"))
    [newcomer] = await add_users(database, 1)
    clock.set(_at(MONDAY, 10))
    with user_scope(newcomer):
        await service.sync(SyncCommand(user_id=newcomer, cash_balance=Decimal("300"), base_currency="USD",
                                       positions=(HoldingInput("DDD", Decimal("100"), Decimal("15")),)))
    at = _at(MONDAY, 11)
    clock.set(at)
    await service.record_prices([PriceInput("DDD", at - timedelta(minutes=5), Decimal("16"), "USD")], idempotency=None)
    with user_scope(newcomer):
        summary = (await service.summary(newcomer, at, live=True)).summary
    drop = 100 * (Decimal("16") - FRIDAY_DDD)
    assert summary.day_change == drop
    alert = await facts.alert_facts(newcomer, at, threshold_percent=2.0, threshold_sigma=3.0)
    assert alert is not None
    assert alert.change == drop and alert.value == summary.total_value
    assert alert.move == pytest.approx(float(drop / (summary.total_value - drop)))
    assert alert.sigma is None
    assert await facts.alert_facts(newcomer, at, threshold_percent=50.0, threshold_sigma=3.0) is None  # under it

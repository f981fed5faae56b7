"""WatchPortfolio and exchange rates over a real server: a portfolio valued with a rate (a position in
another currency than the base, or a price series recorded in another currency than its position's,
converted at the cross rate through the base) is woken by a new rate of that pair, recorded either way
round, on this replica or another, as quickly as by a new price; portfolios that do not convert with
the pair are not woken. A summary computed with the old rate is never served after the new one is
recorded (the watch's update, then GetPortfolioSummary, say the same)."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    evening,
    holding,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
    sync,
    trading_days,
)
from tests.integration.portfolio.test_streams import Watch
from tests.support.server import RunningServer, running_server

D = Decimal
DAYS = trading_days(date(2024, 4, 1), 5)
TODAY = DAYS[-1]
PRICE_CHANGE = portfolio_pb2.WATCH_TRIGGER_PRICE_CHANGE


async def _rate(srv: RunningServer, base: str, quote: str, rate: str, days: list[date] | None = None
                ) -> portfolio_pb2.RecordExchangeRatesResponse:
    return await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
        portfolio_pb2.ExchangeRate(base_currency=base, quote_currency=quote, date=pdate(d), rate=rate)
        for d in (days or [TODAY])]), metadata=srv.auth(service="market-data"), timeout=10)


def _close(value: str, expected: Decimal | int | str, within: str = "0.01") -> bool:
    return abs(D(value) - D(expected)) < D(within)


async def _eur_usd_gbp_portfolios(srv: RunningServer, clock: FrozenClock) -> tuple[str, str, str]:
    """Three USD portfolios: 10 SAP (EUR, priced 100 EUR), 10 ABC (USD, 100), 10 BPX (GBP, 50 GBP),
    with EUR/USD 1.10 and GBP/USD 1.30 on every day: 1,100, 1,000 and 650 USD."""
    clock.set(evening(TODAY))
    await _rate(srv, "EUR", "USD", "1.10", DAYS)
    await _rate(srv, "GBP", "USD", "1.30", DAYS)
    clock.set(evening(DAYS[0]))
    eur, usd, gbp = new_user(), new_user(), new_user()
    await sync(srv, eur, [holding("SAP", "10", "100", currency="EUR")], cash="0")
    await sync(srv, usd, [holding("ABC", "10", "100", currency="USD")], cash="0")
    await sync(srv, gbp, [holding("BPX", "10", "50", currency="GBP")], cash="0")
    clock.set(evening(TODAY))
    await record(srv, price_points({"SAP": [(d, "100") for d in DAYS]}, currency="EUR"))
    await record(srv, price_points({"ABC": [(d, "100") for d in DAYS]}, currency="USD"))
    await record(srv, price_points({"BPX": [(d, "50") for d in DAYS]}, currency="GBP"))
    return eur, usd, gbp


async def test_a_new_rate_wakes_the_watches_of_portfolios_in_that_currency_only(
    db_dsn: str, data_dir: Path
) -> None:
    clock = FrozenClock(evening(DAYS[0]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        eur, usd, gbp = await _eur_usd_gbp_portfolios(srv, clock)
        # The EUR portfolio's summary is cached before its watch opens (the watch starts from it).
        assert _close((await summary(srv, eur)).total_value, 1100)
        watches = {u: Watch(srv, u, interval=1) for u in (eur, usd, gbp)}
        for u, w in watches.items():
            _, first = await w.next()
            assert first.trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL, u
        assert _close(first.summary.total_value, 650)
        await asyncio.sleep(1.1)  # past the minimum interval: nothing delays the update but the work

        started = time.monotonic()
        await _rate(srv, "EUR", "USD", "1.20")
        arrived, upd = await watches[eur].next()
        assert arrived - started < 1.0, f"the update came {arrived - started:.2f} s after the rate"
        assert upd.trigger == PRICE_CHANGE and list(upd.changed_symbols) == []  # no price changed
        assert _close(upd.summary.total_value, 1200), upd.summary.total_value
        assert upd.summary == await summary(srv, eur)  # the cached summary with 1.10 is gone
        await watches[usd].none_within(0.1)
        await watches[gbp].none_within(1.4)  # GBP is converted with GBP/USD, not EUR/USD

        # The same pair recorded the other way round (it replaces today's EUR/USD): 1 EUR = 1.25 USD.
        await asyncio.sleep(1.1)
        await _rate(srv, "USD", "EUR", "0.8")
        _, upd = await watches[eur].next()
        assert upd.trigger == PRICE_CHANGE and _close(upd.summary.total_value, 1250), upd.summary.total_value
        assert upd.summary == await summary(srv, eur)

        # Pairs none of them converts with: no update for anyone (no triangulation through a third
        # currency, and a USD portfolio of USD positions needs no rate at all).
        await asyncio.sleep(1.1)
        await _rate(srv, "EUR", "GBP", "0.85")
        await _rate(srv, "CHF", "USD", "1.12")
        await watches[eur].none_within(0.1)
        await watches[gbp].none_within(0.1)
        await watches[usd].none_within(1.4)

        # The GBP portfolio is woken by GBP/USD.
        await _rate(srv, "GBP", "USD", "1.40")
        _, upd = await watches[gbp].next()
        assert upd.trigger == PRICE_CHANGE and _close(upd.summary.total_value, 700), upd.summary.total_value
        await watches[eur].none_within(0.1)
        await watches[usd].none_within(1.4)
        for w in watches.values():
            await w.close()
        await asyncio.sleep(0.1)
        assert not srv.container.portfolio._watched_fx  # nothing kept for portfolios no longer watched


async def test_a_rate_recorded_on_one_replica_wakes_cross_rate_and_ledger_watches_on_another(
    db_dsn: str, data_dir: Path
) -> None:
    """A synced EUR position priced in GBP (valued at GBP/USD over EUR/USD) and a ledger of EUR trades,
    both in USD, watched on replica b; rates recorded on a."""
    clock = FrozenClock(evening(DAYS[0]))
    cross, ledger = new_user(), new_user()
    async with (
        running_server(db_dsn, data_dir / "a", clock=clock) as a,
        running_server(db_dsn, data_dir / "b", clock=clock) as b,
    ):
        clock.set(evening(TODAY))
        await _rate(a, "EUR", "USD", "1.10", DAYS)
        await _rate(a, "GBP", "USD", "1.32", DAYS)
        clock.set(evening(DAYS[0]))
        await sync(a, cross, [holding("GBPX", "10", "100", currency="EUR")], cash="0")
        txs = [
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(DAYS[0]),
                                      amount="1000", currency="EUR"),
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(DAYS[0]),
                                      symbol="EURX", quantity="5", price="100", currency="EUR"),
        ]
        await stub(a).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(ledger), transactions=txs, base_currency="USD"), metadata=a.auth(ledger), timeout=10)
        clock.set(evening(TODAY))
        await record(a, price_points({"GBPX": [(d, "50") for d in DAYS]}, currency="GBP"))
        await record(a, price_points({"EURX": [(d, "120") for d in DAYS]}, currency="EUR"))

        w_cross, w_ledger = Watch(b, cross, interval=1), Watch(b, ledger, interval=1)
        _, first = await w_cross.next()
        assert _close(first.summary.total_value, 660), first.summary.total_value  # 10 x 50 GBP x 1.32
        _, first = await w_ledger.next()
        assert _close(first.summary.total_value, 1210), first.summary.total_value  # (500 + 600) EUR x 1.10
        await asyncio.sleep(1.1)

        # GBP, recorded the other way round: 1 GBP = 1.25 USD. Only the position priced in GBP moves.
        await _rate(a, "USD", "GBP", "0.8")
        _, upd = await w_cross.next()
        assert upd.trigger == PRICE_CHANGE and _close(upd.summary.total_value, 625), upd.summary.total_value
        pos = next(p for p in upd.summary.positions if p.symbol == "GBPX")
        assert _close(pos.last_price, D(50) * D("1.25") / D("1.10"), "0.000001"), pos.last_price
        assert upd.summary == await summary(b, cross)
        await w_ledger.none_within(1.4)

        # EUR: the ledger is revalued; the cross-rate position's price in EUR changes (its USD value not).
        await _rate(a, "EUR", "USD", "1.20")
        _, upd = await w_ledger.next()
        assert upd.trigger == PRICE_CHANGE and _close(upd.summary.total_value, 1320), upd.summary.total_value
        assert upd.summary == await summary(b, ledger) == await summary(a, ledger)
        _, upd = await w_cross.next()
        pos = next(p for p in upd.summary.positions if p.symbol == "GBPX")
        assert _close(pos.last_price, D(50) * D("1.25") / D("1.20"), "0.000001"), pos.last_price
        assert upd.summary == await summary(b, cross)
        await w_cross.close()
        await w_ledger.close()


async def test_a_rate_loaded_before_a_new_one_was_recorded_is_not_cached(db_dsn: str, data_dir: Path) -> None:
    """A summary that read EUR/USD just before a new rate was recorded, and finished after: its rate
    series was kept in the cache past the invalidation, and every summary after it (GetPortfolioSummary,
    a watch's update) was computed with the old rate until the cache entry expired."""
    clock = FrozenClock(evening(DAYS[0]))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        eur, _, _ = await _eur_usd_gbp_portfolios(srv, clock)
        store = srv.container.portfolio._store
        real = store.load_exchange_rates
        read, release = asyncio.Event(), asyncio.Event()

        async def straddling(*args: Any) -> Any:
            out = await real(*args)
            if not read.is_set():  # the first load: it has read the old rate, and waits
                read.set()
                await release.wait()
            return out

        store.load_exchange_rates = straddling  # type: ignore[method-assign]
        before = asyncio.create_task(summary(srv, eur))
        await asyncio.wait_for(read.wait(), 5)
        await _rate(srv, "EUR", "USD", "1.20")
        release.set()
        assert _close((await before).total_value, 1100)  # begun before the new rate: it may show the old one
        assert _close((await summary(srv, eur)).total_value, 1200)
        w = Watch(srv, eur, interval=1)
        _, first = await w.next()
        assert _close(first.summary.total_value, 1200)
        await w.close()

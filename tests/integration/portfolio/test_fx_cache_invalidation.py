"""An exchange-rate write invalidates only what was valued with the pairs it wrote, once per replica.

RecordExchangeRates used to empty every user's cached portfolio (and make every derived ledger book
unusable) on every replica, whatever pair it wrote: a market-data job recording a few rates made
every user's next summary reload and re-derive everything. And the writing replica invalidated twice
(once as it answered, once when its own notification came back), so a watched portfolio was
computed twice and a summary computed in between was thrown away. Now a rate write, like a price
write, carries a change id in its notification, and drops only the cache entries tagged with its
pairs (either way round)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.portfolio.ports import ChangeEvent, PricesChanged
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


async def _rate(srv: RunningServer, base: str, quote: str, rate: str, days: list[date] | None = None) -> None:
    await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
        portfolio_pb2.ExchangeRate(base_currency=base, quote_currency=quote, date=pdate(d), rate=rate)
        for d in (days or [TODAY])]), metadata=srv.auth(service="market-data"), timeout=10)


def _close(value: str, expected: Decimal | int | str, within: str = "0.01") -> bool:
    return abs(D(value) - D(expected)) < D(within)


async def _transactions(srv: RunningServer, user: str, txs: list[portfolio_pb2.Transaction]) -> None:
    await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
        parent=name(user), transactions=txs, base_currency="USD"), metadata=srv.auth(user), timeout=10)


def _deposit(amount: str, currency: str) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(DAYS[0]),
                                     amount=amount, currency=currency)


def _buy(symbol: str, quantity: str, price: str, currency: str) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(DAYS[0]),
                                     symbol=symbol, quantity=quantity, price=price, currency=currency)


async def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


def _cached_portfolio(srv: RunningServer, user: str) -> Any:
    service = srv.container.portfolio
    return service._portfolios.get(("portfolio", user), service._epoch())


class _StoreCalls:
    """Counts the store reads a summary makes to load a portfolio (not its prices)."""

    def __init__(self, srv: RunningServer) -> None:
        self.calls: list[str] = []
        store = srv.container.portfolio._store
        for method in ("load_portfolio", "ledger_signatures", "load_transactions"):
            real = getattr(store, method)

            def counted(*args: Any, _real: Any = real, _name: str = method, **kw: Any) -> Any:
                self.calls.append(_name)
                return _real(*args, **kw)

            setattr(store, method, counted)


async def test_a_rate_write_drops_only_the_entries_valued_with_its_pair_on_every_replica(
    db_dsn: str, data_dir: Path
) -> None:
    """Four USD portfolios cached on both replicas: synced USD and EUR positions, a ledger in USD
    only and a ledger holding EUR cash. A EUR/USD rate recorded on a: the two in USD only keep their
    cached summaries and portfolios on a and on b (a later price of their symbol recomputes them
    without reloading holdings or transactions); the two valued with EUR show the new rate on both."""
    clock = FrozenClock(evening(DAYS[0]))
    usd, eur, ledger_usd, ledger_eur = new_user(), new_user(), new_user(), new_user()
    async with (
        running_server(db_dsn, data_dir / "a", clock=clock) as a,
        running_server(db_dsn, data_dir / "b", clock=clock) as b,
    ):
        clock.set(evening(TODAY))
        await _rate(a, "EUR", "USD", "1.10", DAYS)
        clock.set(evening(DAYS[0]))
        await sync(a, usd, [holding("ABC", "10", "100", currency="USD")], cash="0")
        await sync(a, eur, [holding("SAP", "10", "100", currency="EUR")], cash="0")
        await _transactions(a, ledger_usd, [_deposit("1000", "USD"), _buy("ABC", "5", "100", "USD")])
        await _transactions(a, ledger_eur, [_deposit("1000", "EUR"), _buy("ABC", "5", "100", "USD")])
        clock.set(evening(TODAY))
        await record(a, price_points({"ABC": [(d, "100") for d in DAYS]}, currency="USD"))
        await record(a, price_points({"SAP": [(d, "100") for d in DAYS]}, currency="EUR"))

        expected = {usd: 1000, eur: 1100, ledger_usd: 1000, ledger_eur: 1100 - 500 + 500}
        for srv in (a, b):
            for user, value in expected.items():
                assert _close((await summary(srv, user)).total_value, value), (user, value)
        replicas = (a, b)
        kept = [{u: _cached_portfolio(srv, u) for u in (usd, ledger_usd)} for srv in replicas]
        for cached in kept:
            for u, p in cached.items():
                assert p is not None, u
        hits = [srv.container.portfolio.stats.summary_hits for srv in replicas]

        await _rate(a, "EUR", "USD", "1.20")  # 1 EUR = 1.20 USD
        await _wait_for(lambda: _cached_portfolio(b, eur) is None)  # b heard the notification

        for i, srv in enumerate(replicas):
            service = srv.container.portfolio
            # Not valued with EUR/USD: every cached entry is still there (the summaries are hits).
            for u in (usd, ledger_usd):
                assert _cached_portfolio(srv, u) is kept[i][u], (i, u)
            assert _close((await summary(srv, usd)).total_value, 1000)
            assert _close((await summary(srv, ledger_usd)).total_value, 1000)
            assert service.stats.summary_hits - hits[i] == 2
            # Valued with it: the new rate, at once.
            assert _close((await summary(srv, eur)).total_value, 1200)
            assert _close((await summary(srv, ledger_eur)).total_value, 1000 * D("1.2") - 500 + 500)

        # A price of ABC: the USD portfolios are recomputed from their cached holdings and ledger books.
        calls = [_StoreCalls(srv) for srv in replicas]
        await record(a, price_points({"ABC": [(TODAY, "110")]}, currency="USD"))
        await _wait_for(lambda: _cached_portfolio(b, usd) is not None and b.container.portfolio._summaries.get(
            ("now", usd, TODAY), b.container.portfolio._epoch()) is None)
        for i, srv in enumerate(replicas):
            assert _close((await summary(srv, usd)).total_value, 1100)
            assert _close((await summary(srv, ledger_usd)).total_value, 1050)
            assert calls[i].calls == [], (i, calls[i].calls)


async def test_the_writing_replica_invalidates_once_for_a_rate_write(db_dsn: str, data_dir: Path) -> None:
    """A watched EUR portfolio on the replica that records the rate: its notification carries the
    write's id, and whichever comes first, the notification or the write's own invalidation, the other
    one does nothing: the portfolio is computed once, and the summary the watch got (or the client's
    read made right after the write) stays cached."""
    clock = FrozenClock(evening(DAYS[0]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        clock.set(evening(TODAY))
        await _rate(srv, "EUR", "USD", "1.10", DAYS)
        clock.set(evening(DAYS[0]))
        await sync(srv, user, [holding("SAP", "10", "100", currency="EUR")], cash="0")
        clock.set(evening(TODAY))
        await record(srv, price_points({"SAP": [(d, "100") for d in DAYS]}, currency="EUR"))
        service = srv.container.portfolio
        feed = service._feed
        deliver = feed._on_change
        heard: list[PricesChanged] = []
        held: list[ChangeEvent] = []
        holding_back = False

        def listening(event: ChangeEvent) -> None:
            if isinstance(event, PricesChanged) and any(s.startswith("#FX:") for s in event.symbols):
                heard.append(event)
                if holding_back:
                    held.append(event)
                    return
            deliver(event)

        feed._on_change = listening
        w = Watch(srv, user, interval=1)
        _, first = await w.next()
        assert _close(first.summary.total_value, 1100)
        await asyncio.sleep(1.1)

        # 1. The notification comes back before the write's own invalidation (the store answers late).
        store = service._store
        real = store.record_exchange_rates

        async def answering_late(*args: Any, **kw: Any) -> Any:
            out = await real(*args, **kw)
            await _wait_for(lambda: bool(heard))
            await asyncio.sleep(0.3)  # the watch's recomputation is done by now
            return out

        store.record_exchange_rates = answering_late
        computed, hits = service.stats.computations, service.stats.summary_hits
        await _rate(srv, "EUR", "USD", "1.20")
        _, upd = await w.next()
        assert upd.trigger == PRICE_CHANGE and _close(upd.summary.total_value, 1200), upd.summary.total_value
        assert upd.summary == await summary(srv, user)
        assert heard and all(e.change_id for e in heard), heard  # the notification names the write
        assert service.stats.computations - computed == 1
        assert service.stats.summary_hits - hits >= 1  # the read after the write was the watch's summary
        store.record_exchange_rates = real

        # 2. The notification comes after the client's read that follows the write.
        heard.clear()
        holding_back = True
        await asyncio.sleep(1.1)
        computed = service.stats.computations
        await _rate(srv, "EUR", "USD", "1.30")
        after_write = await summary(srv, user)
        assert _close(after_write.total_value, 1300)  # read-your-writes: invalidated as it answered
        await _wait_for(lambda: bool(held))
        holding_back = False
        for event in held:
            deliver(event)
        _, upd = await w.next()
        assert upd.trigger == PRICE_CHANGE and upd.summary == after_write
        hits = service.stats.summary_hits
        assert await summary(srv, user) == after_write
        assert service.stats.summary_hits - hits == 1
        assert service.stats.computations - computed == 1
        await w.close()


async def test_a_ledger_reusing_its_cached_cash_book_still_converts_that_cash(db_dsn: str, data_dir: Path) -> None:
    """A USD ledger holding EUR cash (deposited in the cash book) that buys a USD symbol: the cash
    book is reused as derived, and the EUR it holds still needs (and is tagged with) EUR/USD."""
    clock = FrozenClock(evening(DAYS[0]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        clock.set(evening(TODAY))
        await _rate(srv, "EUR", "USD", "1.10", DAYS)
        await record(srv, price_points({"ABC": [(d, "100") for d in DAYS]}, currency="USD"))
        clock.set(evening(DAYS[0]))
        await _transactions(srv, user, [_deposit("1000", "EUR"), _deposit("500", "USD")])
        clock.set(evening(TODAY))
        assert _close((await summary(srv, user)).total_value, 1600)
        await _transactions(srv, user, [_buy("ABC", "5", "100", "USD")])  # a new book; the cash book is cached
        s = await summary(srv, user)
        assert _close(s.total_value, 1600), s.total_value
        await _rate(srv, "EUR", "USD", "1.20")
        assert _close((await summary(srv, user)).total_value, 1700)

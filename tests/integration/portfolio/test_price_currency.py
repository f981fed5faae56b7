"""A symbol traded or held before its first price, whose price then arrives in another currency: the
valuation converts the price into the position's currency at the day's cross rate (it was read as if
it were in the position's currency: 200 USD as 200 EUR), and without a rate leaves the position
unpriced (MISSING_PRICE), never converted at 1."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

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
from tests.support.server import running_server

D = Decimal
DAYS = trading_days(__import__("datetime").date(2024, 3, 4), 5)  # Mon 4 ... Fri 8 Mar 2024


async def _rates(srv, pair: tuple[str, str], rate: str) -> None:  # type: ignore[no-untyped-def]
    await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
        portfolio_pb2.ExchangeRate(base_currency=pair[0], quote_currency=pair[1], date=pdate(d), rate=rate)
        for d in DAYS]), metadata=srv.auth(service="market-data"), timeout=10)


async def test_a_ledgers_eur_trades_priced_in_usd_are_valued_at_the_cross_rate(db_dsn: str, data_dir: Path) -> None:
    """The tester's case: 10 EURX bought at 100 EUR, then closes of 200 USD with EURUSD 1.10. The position
    was worth 2,200 USD (200 taken as EUR); it is worth 2,000 USD, its last price 181.82 EUR."""
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _rates(srv, ("EUR", "USD"), "1.10")
        txs = [
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(DAYS[0]),
                                      amount="10000", currency="EUR"),
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(DAYS[0]),
                                      symbol="EURX", quantity="10", price="100", currency="EUR"),
        ]
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=txs, base_currency="USD"), metadata=srv.auth(user), timeout=10)
        await record(srv, price_points({"EURX": [(d, "200") for d in DAYS]}, currency="USD"))
        s = await summary(srv, user)
        pos = next(p for p in s.positions if p.symbol == "EURX")
        assert pos.currency == "EUR"
        assert abs(D(pos.market_value) - D(2000)) < D("0.000001"), pos.market_value
        assert abs(D(pos.last_price) - D(200) / D("1.10")) < D("0.000001"), pos.last_price
        assert abs(D(s.total_value) - D(11900)) < D("0.01"), s.total_value  # 9,000 EUR cash + 2,000 USD
        assert abs(D(pos.unrealized_pnl_amount) - D(900)) < D("0.01"), pos.unrealized_pnl_amount


async def test_a_synced_eur_holding_priced_in_usd_without_a_rate_is_unpriced(db_dsn: str, data_dir: Path) -> None:
    """A snapshot position in EUR, prices in GBP and no GBP rate: no value at rate 1, MISSING_PRICE instead;
    once the GBP rates arrive, the position is valued at the cross rate."""
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _rates(srv, ("EUR", "USD"), "1.10")
        await sync(srv, user, [holding("GBPX", "10", "100", currency="EUR")], cash="0")
        await record(srv, price_points({"GBPX": [(d, "50") for d in DAYS]}, currency="GBP"))
        s = await summary(srv, user)
        pos = next(p for p in s.positions if p.symbol == "GBPX")
        assert not pos.last_price, pos.last_price  # not 50 "EUR"
        assert "MISSING_PRICE" in {i.code for i in s.insights}
        await _rates(srv, ("GBP", "USD"), "1.32")
        s = await summary(srv, user)  # the GBP rates invalidate the cached summary
        pos = next(p for p in s.positions if p.symbol == "GBPX")
        assert abs(D(pos.market_value) - D(660)) < D("0.01"), pos.market_value  # 10 x 50 GBP x 1.32
        assert pos.market_value == "660.00", pos.market_value  # written like a recorded price's, not 660.00000000
        assert abs(D(pos.last_price) - D(50) * D("1.32") / D("1.10")) < D("0.000001"), pos.last_price

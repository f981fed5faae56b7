"""``last_price`` is a stored price as stored, and a computed one (a close divided by a split's ratio since, or
converted from the currency its prices were recorded in) rounded half-even to 8 fractional digits as other
computed money is (common.proto "Decimal strings"): a split of 3 with no close on its day showed
"29.236666666666666666666666666666666666666666666667" (a quant tester); the market value stays the exact product."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    create_transactions,
    evening,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
    trading_days,
    transaction,
)
from tests.support.server import running_server

DAYS = trading_days(date(2024, 3, 4), 5)  # Mon 4 ... Fri 8 Mar 2024


def _symbol() -> str:
    return "C" + uuid.uuid4().hex[:6].upper()


async def test_a_split_adjusted_price_is_rounded_and_a_stored_one_is_not(db_dsn: str, data_dir: Path) -> None:
    split, exact = _symbol(), _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAYS[3]))) as srv:
        # no close of ``split`` on the split's day: Wednesday's 87.71 is divided by 3 on Thursday
        await record(srv, price_points({split: [(d, "87.71") for d in DAYS[:3]],
                                        exact: [(d, "12.345678901234") for d in DAYS[:4]]}))
        user = new_user()
        await create_transactions(srv, user, [
            transaction("DEPOSIT", DAYS[0], amount="10000", currency="USD"),
            transaction("BUY", DAYS[0], symbol=split, quantity="3", price="100", currency="USD"),
            transaction("BUY", DAYS[0], symbol=exact, quantity="2", price="12", currency="USD"),
            transaction("SPLIT", DAYS[3], symbol=split, split_ratio="3", currency="USD"),
        ])
        s = await summary(srv, user)
        by = {p.symbol: p for p in s.positions}
        p = by[split]
        assert (p.quantity, p.last_price, p.market_value) == ("9", "29.23666667", "263.13000000")
        assert by[exact].last_price == "12.345678901234"  # stored with 12 fractional digits: echoed whole


async def test_a_converted_price_is_rounded(db_dsn: str, data_dir: Path) -> None:
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAYS[-1]))) as srv:
        await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[
            portfolio_pb2.ExchangeRate(base_currency="EUR", quote_currency="USD", date=pdate(d), rate="1.10")
            for d in DAYS]), metadata=srv.auth(service="market-data"), timeout=10)
        user = new_user()
        await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), base_currency="USD", transactions=[
                transaction("DEPOSIT", DAYS[0], amount="10000", currency="EUR"),
                transaction("BUY", DAYS[0], symbol=sym, quantity="11", price="100", currency="EUR")]),
            metadata=srv.auth(user), timeout=10)
        await record(srv, price_points({sym: [(d, "200") for d in DAYS]}, currency="USD"))
        pos = next(p for p in (await summary(srv, user)).positions if p.symbol == sym)
        assert pos.last_price == "181.81818182"  # 200 / 1.10 (converted at 12 places: 181.818181818182)
        assert Decimal(pos.market_value) == Decimal("2200")  # 11 x 200 USD: exact, whatever the price shows

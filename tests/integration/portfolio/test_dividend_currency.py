"""A DIVIDEND moves cash in its own currency (a broker may pay a foreign stock's dividend in the base
currency): it neither sets its symbol's currency nor is held to it. Only trades and SPLITs share the
symbol's currency. A DIVIDEND recorded before a symbol's first trade used to set the symbol's
currency, so a GBP-priced symbol with a USD dividend could never be traded: a BUY in GBP was "traded
in USD elsewhere in the ledger", one in USD "priced in GBP, not USD". A SPLIT sent with a currency
other than its symbol's prices', before any trade, is CURRENCY_MISMATCH (it was accepted)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import create_transactions as _create
from tests.integration.portfolio.support import (
    error_details,
    evening,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
)
from tests.integration.portfolio.support import transaction as _tx
from tests.support.server import running_server

D0, D1, D2, D3 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)
DAYS = (D0, D1, D2, D3)
SPLIT, BUY, DIVIDEND = (portfolio_pb2.TRANSACTION_TYPE_SPLIT, portfolio_pb2.TRANSACTION_TYPE_BUY,
                        portfolio_pb2.TRANSACTION_TYPE_DIVIDEND)


def _symbol() -> str:
    return "DV" + uuid.uuid4().hex[:6].upper()  # prices are everyone's: a symbol of this test's own


async def _refused(srv: object, user: str, rows: list[portfolio_pb2.Transaction], base: str = "") -> tuple[str, str]:
    """(reason, first field) of a refused batch."""
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await _create(srv, user, rows, base)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_details(ei.value)
    return info.reason, violations[0][0]


async def _listed(srv: object, user: str, symbol: str) -> list[tuple[int, str]]:
    listed = await stub(srv).ListTransactions(  # type: ignore[arg-type]
        portfolio_pb2.ListTransactionsRequest(parent=name(user)), metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
    return [(t.type, t.currency) for t in listed.transactions if t.symbol == symbol]


async def _rates(srv: object, base: str, quote: str, rate: str) -> None:
    await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[  # type: ignore[arg-type]
        portfolio_pb2.ExchangeRate(base_currency=base, quote_currency=quote, date=pdate(d), rate=rate)
        for d in DAYS]), metadata=srv.auth(service="market-data"), timeout=10)  # type: ignore[attr-defined]


async def test_a_dividend_before_the_first_trade_does_not_lock_the_symbol(db_dsn: str, data_dir: Path) -> None:
    """The tester's repro: a GBP-priced symbol, a dividend without a currency (USD, the base) recorded
    first; a BUY in GBP is accepted (it was CURRENCY_MISMATCH), one in USD still refused (the
    prices'), and the summary values the position in GBP and the dividend as USD cash and income."""
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        await record(srv, price_points({sym: [(D1, "50"), (D3, "60")]}, currency="GBP"))
        await _rates(srv, "GBP", "USD", "1.25")
        user = new_user()
        first = await _create(srv, user, [_tx("DIVIDEND", D0, symbol=sym, amount="2")], base="USD")
        assert first.transactions[0].currency == "USD"
        usd_buy = [_tx("DEPOSIT", D0, amount="1000", currency="USD"),
                   _tx("BUY", D1, symbol=sym, quantity="10", price="50", currency="USD")]
        assert await _refused(srv, user, usd_buy) == ("CURRENCY_MISMATCH", "transactions[1].currency")
        resp = await _create(srv, user, [_tx("DEPOSIT", D0, amount="1000", currency="GBP"),
                                         _tx("BUY", D1, symbol=sym, quantity="10", price="50", currency="GBP"),
                                         _tx("DIVIDEND", D2, symbol=sym, amount="3", currency="GBP")])
        assert resp.created_count == 3
        # a later dividend in the base currency, after the trades, is accepted too
        await _create(srv, user, [_tx("DIVIDEND", D3, symbol=sym, amount="1")])
        assert await _listed(srv, user, sym) == [(DIVIDEND, "USD"), (BUY, "GBP"), (DIVIDEND, "GBP"),
                                                 (DIVIDEND, "USD")]

        s = await summary(srv, user)
        [p] = [p for p in s.positions if p.symbol == sym]
        assert (p.quantity, p.currency, Decimal(p.last_price)) == ("10", "GBP", Decimal(60))
        assert Decimal(p.market_value) == Decimal(750)  # 10 x 60 GBP x 1.25
        assert Decimal(p.cost_basis) == Decimal(625)  # 10 x 50 GBP x 1.25
        # income: 2 USD + 3 GBP x 1.25 + 1 USD, each in its own currency
        assert Decimal(s.income_amount) == Decimal("6.75")
        [lp] = [lp for lp in s.ledger_positions if lp.symbol == sym]
        assert (lp.currency, Decimal(lp.income_amount)) == ("GBP", Decimal("6.75"))
        # cash: 3 USD of dividends + (1000 - 500 + 3) GBP x 1.25
        assert Decimal(s.cash_balance) == Decimal("631.75")
        assert Decimal(s.total_value) == Decimal("1381.75")


async def test_a_dividend_in_its_own_currency_before_the_first_trade(db_dsn: str, data_dir: Path) -> None:
    """An explicit JPY dividend first: a GBP BUY of the GBP-priced symbol is accepted (it was "traded
    in JPY elsewhere in the ledger"), the dividend counted at its JPY rate; changing its currency
    afterwards is accepted (it was held to the BUY's)."""
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        await record(srv, price_points({sym: [(D1, "50"), (D3, "60")]}, currency="GBP"))
        await _rates(srv, "GBP", "USD", "1.25")
        await _rates(srv, "USD", "JPY", "150")
        user = new_user()
        div = await _create(srv, user, [_tx("DIVIDEND", D0, symbol=sym, amount="300", currency="JPY")], base="USD")
        resp = await _create(srv, user, [_tx("DEPOSIT", D0, amount="500", currency="GBP"),
                                         _tx("BUY", D1, symbol=sym, quantity="10", price="50", currency="GBP")])
        assert resp.created_count == 2
        s = await summary(srv, user)
        assert Decimal(s.income_amount) == Decimal(2)  # 300 JPY at 150 a dollar
        assert Decimal(s.total_value) == Decimal(752)  # 10 x 60 x 1.25 + 2 (the yen, in dollars)
        [p] = [p for p in s.positions if p.symbol == sym]
        assert (p.currency, Decimal(p.market_value)) == ("GBP", Decimal(750))

        moved = portfolio_pb2.Transaction()
        moved.CopyFrom(div.transactions[0])
        moved.currency, moved.amount = "EUR", "10"
        await _rates(srv, "EUR", "USD", "1.1")
        updated = await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(  # type: ignore[arg-type]
            transaction=moved, update_mask=field_mask_pb2.FieldMask(paths=["currency", "amount"])),
            metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
        assert updated.currency == "EUR"
        assert Decimal((await summary(srv, user)).income_amount) == Decimal(11)


async def test_a_stand_in_split_after_a_dividend_follows_the_trades(db_dsn: str, data_dir: Path) -> None:
    """A dividend and a SPLIT without a currency, before any trade: the split is a stand-in (of the
    prices', else the base currency), whatever the dividend's currency, and takes the first trade's."""
    priced, unpriced = _symbol(), _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        await record(srv, price_points({priced: [(D0, "50")]}, currency="GBP"))
        user = new_user()
        await _create(srv, user, [_tx("DIVIDEND", D0, symbol=priced, amount="2"),
                                  _tx("DIVIDEND", D0, symbol=unpriced, amount="2", currency="JPY")], base="EUR")
        resp = await _create(srv, user, [_tx("SPLIT", D2, symbol=priced, split_ratio="2"),
                                         _tx("SPLIT", D2, symbol=unpriced, split_ratio="2")])
        assert [t.currency for t in resp.transactions] == ["GBP", "EUR"]  # were EUR (the dividend's), JPY
        buys = await _create(srv, user, [_tx("DEPOSIT", D0, amount="1000", currency="USD"),
                                         _tx("BUY", D1, symbol=unpriced, quantity="5", price="10", currency="USD")])
        assert buys.created_count == 2  # was "traded in JPY elsewhere in the ledger"
        assert await _listed(srv, user, unpriced) == [(DIVIDEND, "JPY"), (BUY, "USD"), (SPLIT, "USD")]
        s = await summary(srv, user)
        assert [(p.symbol, p.quantity) for p in s.positions if p.symbol == unpriced] == [(unpriced, "10")]


async def test_a_split_sent_in_another_currency_than_its_prices_is_refused(db_dsn: str, data_dir: Path) -> None:
    """A SPLIT sent in EUR of a GBP-priced symbol without trades: CURRENCY_MISMATCH alone, after a
    dividend, beside other rows, and by UpdateTransaction (each was accepted, but for the dividend
    case, refused for the dividend's currency); in GBP, or without a currency, it is accepted."""
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        await record(srv, price_points({sym: [(D0, "50")]}, currency="GBP"))
        eur_split = _tx("SPLIT", D2, symbol=sym, split_ratio="2", currency="EUR")
        assert await _refused(srv, new_user(), [eur_split], base="USD") == (
            "CURRENCY_MISMATCH", "transactions[0].currency")
        assert await _refused(srv, new_user(), [_tx("DEPOSIT", D0, amount="10"), eur_split], base="USD") == (
            "CURRENCY_MISMATCH", "transactions[1].currency")
        user = new_user()
        await _create(srv, user, [_tx("DIVIDEND", D0, symbol=sym, amount="2", currency="USD")], base="USD")
        assert await _refused(srv, user, [eur_split]) == ("CURRENCY_MISMATCH", "transactions[0].currency")
        ok = await _create(srv, user, [_tx("SPLIT", D2, symbol=sym, split_ratio="2", currency="GBP"),
                                       _tx("SPLIT", D3, symbol=sym, split_ratio="3")])
        assert [t.currency for t in ok.transactions] == ["GBP", "GBP"]

        assert await _listed(srv, user, sym) == [(DIVIDEND, "USD"), (SPLIT, "GBP"), (SPLIT, "GBP")]

        user = new_user()  # the symbol's only split, moved to EUR
        only = await _create(srv, user, [_tx("SPLIT", D2, symbol=sym, split_ratio="2", currency="GBP")], base="USD")
        moved = portfolio_pb2.Transaction()
        moved.CopyFrom(only.transactions[0])
        moved.currency = "EUR"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(  # type: ignore[arg-type]
                transaction=moved, update_mask=field_mask_pb2.FieldMask(paths=["currency"])),
                metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0]) == ("CURRENCY_MISMATCH", "transaction.currency")
        assert await _listed(srv, user, sym) == [(SPLIT, "GBP")]

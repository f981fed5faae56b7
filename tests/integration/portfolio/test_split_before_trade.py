"""A SPLIT recorded before its symbol's first trade, without a currency, takes its symbol's: the
currency of the symbol's recorded prices when there are some, else a stand-in (the base currency)
that the symbol's first trade replaces. It used to keep the base currency for good, so a later BUY
in the symbol's real currency was refused: "NVDA is traded in EUR elsewhere in the ledger"."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import evening, name, new_user, pdate, price_points, record, stub, summary
from tests.support.server import running_server

D0, D1, D2, D3 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)


def _tx(kind: str, day: date, **kw: str) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=getattr(portfolio_pb2, f"TRANSACTION_TYPE_{kind}"),
                                     trade_date=pdate(day), **kw)


def _symbol() -> str:
    return "SB" + uuid.uuid4().hex[:6].upper()  # prices are everyone's: a symbol of this test's own


async def _create(srv: object, user: str, rows: list[portfolio_pb2.Transaction],
                  base: str = "") -> portfolio_pb2.BatchCreateTransactionsResponse:
    return await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(  # type: ignore[arg-type]
        parent=name(user), transactions=rows, base_currency=base), metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]


async def _listed(srv: object, user: str, symbol: str) -> list[tuple[int, str]]:
    listed = await stub(srv).ListTransactions(  # type: ignore[arg-type]
        portfolio_pb2.ListTransactionsRequest(parent=name(user)), metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
    return [(t.type, t.currency) for t in listed.transactions if t.symbol == symbol]


SPLIT, BUY = portfolio_pb2.TRANSACTION_TYPE_SPLIT, portfolio_pb2.TRANSACTION_TYPE_BUY


async def test_a_split_recorded_first_takes_the_currency_of_the_symbols_first_trade(
    db_dsn: str, data_dir: Path
) -> None:
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        user = new_user()
        first = await _create(srv, user, [_tx("SPLIT", D2, symbol=sym, split_ratio="10", client_id="s1")], base="EUR")
        assert first.created_count == 1  # nothing says the symbol's currency yet: a stand-in
        resp = await _create(srv, user, [_tx("DEPOSIT", D0, amount="20000", currency="USD"),
                                         _tx("BUY", D1, symbol=sym, quantity="10", price="1200", currency="USD")])
        assert resp.created_count == 2  # was CURRENCY_MISMATCH: "traded in EUR elsewhere in the ledger"
        assert await _listed(srv, user, sym) == [(BUY, "USD"), (SPLIT, "USD")]
        # the first batch sent again is the same content: already recorded, not CLIENT_ID_REUSED
        again = await _create(srv, user, [_tx("SPLIT", D2, symbol=sym, split_ratio="10", client_id="s1")])
        assert (again.created_count, again.existing_count) == (0, 1)

        # valued in the base currency with the split applied: 100 units at 125 USD, 0.9 EUR a dollar
        await record(srv, price_points({sym: [(D1, "1200"), (D2, "121"), (D3, "125")]}, currency="USD"))
        await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(rates=[  # type: ignore[arg-type]
            portfolio_pb2.ExchangeRate(base_currency="USD", quote_currency="EUR", date=pdate(d), rate="0.9")
            for d in (D0, D1, D2, D3)]), metadata=srv.auth(service="market-data"), timeout=10)  # type: ignore[attr-defined]
        s = await summary(srv, user)
        [p] = [p for p in s.positions if p.symbol == sym]
        assert (p.quantity, p.currency, Decimal(p.last_price)) == ("100", "USD", Decimal(125))
        assert Decimal(p.market_value) == Decimal("11250")  # 100 x 125 x 0.9
        assert Decimal(p.cost_basis) == Decimal("10800")  # 10 x 1200 x 0.9, unchanged by the split


async def test_a_split_of_a_symbol_priced_in_usd_is_in_usd(db_dsn: str, data_dir: Path) -> None:
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        await record(srv, price_points({sym: [(D0, "100")]}, currency="USD"))
        user = new_user()
        resp = await _create(srv, user, [_tx("DEPOSIT", D0, amount="100", currency="EUR"),
                                         _tx("SPLIT", D2, symbol=sym, split_ratio="2")], base="EUR")
        assert resp.transactions[1].currency == "USD"
        more = await _create(srv, user, [_tx("SPLIT", D3, symbol=sym, split_ratio="3")])
        assert more.transactions[0].currency == "USD"
        await _create(srv, user, [_tx("BUY", D1, symbol=sym, quantity="1", price="100", currency="USD")])
        assert await _listed(srv, user, sym) == [(BUY, "USD"), (SPLIT, "USD"), (SPLIT, "USD")]


async def test_a_trade_in_the_same_batch_still_decides(db_dsn: str, data_dir: Path) -> None:
    sym, other = _symbol(), _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        user = new_user()
        resp = await _create(srv, user, [
            _tx("SPLIT", D2, symbol=sym, split_ratio="2"), _tx("SPLIT", D3, symbol=other, split_ratio="3"),
            _tx("DEPOSIT", D0, amount="20000", currency="USD"),
            _tx("BUY", D1, symbol=sym, quantity="10", price="1200", currency="USD"),
            _tx("DEPOSIT", D0, amount="5000", currency="GBP"),
            _tx("BUY", D1, symbol=other, quantity="100", price="1", currency="GBP"),
        ], base="EUR")
        assert [t.currency for t in resp.transactions] == ["USD", "GBP", "USD", "USD", "GBP", "GBP"]
        s = await summary(srv, user)
        assert sorted((p.symbol, p.quantity) for p in s.ledger_positions) == sorted([(sym, "20"), (other, "300")])

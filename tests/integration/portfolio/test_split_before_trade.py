"""A SPLIT recorded before its symbol's first trade, without a currency, takes its symbol's: the
currency of the symbol's recorded prices when there are some, else a stand-in (the base currency)
that the symbol's first trade replaces, whether the trade is created or updated onto the symbol. It
used to keep the base currency for good, so a later BUY in the symbol's real currency was refused:
"NVDA is traded in EUR elsewhere in the ledger". A SPLIT sent with a currency keeps it: a later trade
in another one is CURRENCY_MISMATCH, as in one batch, and the batch that recorded it, sent again, is
already recorded."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.wiring.importer import import_transactions
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
from tests.support.server import running_server, test_config

D0, D1, D2, D3 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)


def _symbol() -> str:
    return "SB" + uuid.uuid4().hex[:6].upper()  # prices are everyone's: a symbol of this test's own


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


async def _refused(srv: object, user: str, rows: list[portfolio_pb2.Transaction], base: str = "") -> tuple[str, str]:
    """(reason, first field) of a refused batch."""
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await _create(srv, user, rows, base)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_details(ei.value)
    return info.reason, violations[0][0]


async def test_a_split_sent_with_a_currency_keeps_it(db_dsn: str, data_dir: Path) -> None:
    """A SPLIT sent in GBP before any trade of its symbol: a later BUY in USD is refused as it is in
    the split's own batch (it was accepted, and the split silently became a USD one), and the batch
    that recorded the split, sent again, is already recorded (it was CLIENT_ID_REUSED once relabelled)."""
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        split = _tx("SPLIT", D2, symbol=sym, split_ratio="10", currency="GBP", client_id="s1")
        deposit = _tx("DEPOSIT", D0, amount="20000", currency="USD", client_id="d1")
        usd_buy = _tx("BUY", D1, symbol=sym, quantity="10", price="100", currency="USD", client_id="b1")
        # in one batch (the split is the one in another currency than its symbol's trades)
        assert await _refused(srv, new_user(), [deposit, split, usd_buy], base="EUR") == (
            "CURRENCY_MISMATCH", "transactions[1].currency")
        # in two
        user = new_user()
        first = await _create(srv, user, [deposit, split], base="EUR")
        assert first.created_count == 2
        assert await _refused(srv, user, [usd_buy]) == ("CURRENCY_MISMATCH", "transactions[0].currency")
        assert await _listed(srv, user, sym) == [(SPLIT, "GBP")]
        again = await _create(srv, user, [deposit, split])
        assert (again.created_count, again.existing_count) == (0, 2)
        # a trade in the split's currency is the symbol's
        gbp = await _create(srv, user, [_tx("DEPOSIT", D0, amount="2000", currency="GBP"),
                                        _tx("BUY", D1, symbol=sym, quantity="10", price="100", currency="GBP")])
        assert gbp.created_count == 2
        assert await _listed(srv, user, sym) == [(BUY, "GBP"), (SPLIT, "GBP")]
        again = await _create(srv, user, [deposit, split])
        assert (again.created_count, again.existing_count) == (0, 2)


async def test_a_split_sent_in_the_base_currency_is_not_a_stand_in(db_dsn: str, data_dir: Path) -> None:
    """A SPLIT sent in EUR, the base currency: a later BUY in USD is refused, and the split sent again
    (in EUR, or without a currency: the symbol's is EUR) is already recorded."""
    sym = _symbol()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        user = new_user()
        split = _tx("SPLIT", D2, symbol=sym, split_ratio="10", currency="EUR", client_id="s1")
        await _create(srv, user, [_tx("DEPOSIT", D0, amount="20000", currency="EUR"), split], base="EUR")
        buy = [_tx("DEPOSIT", D0, amount="20000", currency="USD"),
               _tx("BUY", D1, symbol=sym, quantity="10", price="100", currency="USD")]
        assert await _refused(srv, user, buy) == ("CURRENCY_MISMATCH", "transactions[1].currency")
        for row in (split, _tx("SPLIT", D2, symbol=sym, split_ratio="10", client_id="s1")):
            again = await _create(srv, user, [row])
            assert (again.created_count, again.existing_count) == (0, 1)
        assert await _listed(srv, user, sym) == [(SPLIT, "EUR")]


async def test_a_trade_updated_onto_the_symbol_relabels_its_stand_in_split(db_dsn: str, data_dir: Path) -> None:
    """A BUY of another symbol updated onto a symbol with only a stand-in split (EUR, the base
    currency): accepted, the split taking the BUY's currency, as when the BUY is created (it was
    refused: "... is traded in EUR elsewhere in the ledger"). A split sent in EUR still refuses it."""
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        for split_currency in ("", "EUR"):
            sym, other = _symbol(), _symbol()
            user = new_user()
            resp = await _create(srv, user, [
                _tx("DEPOSIT", D0, amount="20000", currency="USD"), _tx("DEPOSIT", D0, amount="100", currency="EUR"),
                _tx("SPLIT", D2, symbol=sym, split_ratio="10", currency=split_currency, client_id="s1"),
                _tx("BUY", D1, symbol=other, quantity="10", price="100", currency="USD")], base="EUR")
            assert resp.transactions[2].currency == "EUR"
            moved = portfolio_pb2.Transaction()
            moved.CopyFrom(resp.transactions[3])
            moved.symbol = sym
            update = portfolio_pb2.UpdateTransactionRequest(
                transaction=moved, update_mask=field_mask_pb2.FieldMask(paths=["symbol"]))
            if split_currency:
                with pytest.raises(grpc.aio.AioRpcError) as ei:
                    await stub(srv).UpdateTransaction(update, metadata=srv.auth(user), timeout=10)  # type: ignore[arg-type]
                assert error_details(ei.value)[0].reason == "CURRENCY_MISMATCH"
                assert await _listed(srv, user, sym) == [(SPLIT, "EUR")]
                continue
            updated = await stub(srv).UpdateTransaction(update, metadata=srv.auth(user), timeout=10)  # type: ignore[arg-type]
            assert (updated.symbol, updated.currency) == (sym, "USD")
            assert await _listed(srv, user, sym) == [(BUY, "USD"), (SPLIT, "USD")]
            s = await summary(srv, user)
            assert [(p.symbol, p.quantity) for p in s.ledger_positions] == [(sym, "100")]
            # the split's batch sent again (without a currency) is already recorded
            again = await _create(srv, user, [_tx("SPLIT", D2, symbol=sym, split_ratio="10", client_id="s1")])
            assert (again.created_count, again.existing_count) == (0, 1)


HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"


async def test_the_importer_keeps_a_split_sent_with_a_currency(db_dsn: str, data_dir: Path) -> None:
    """Files: a SPLIT in GBP, then a BUY in USD: refused by the dry run and the import alike, and the
    first file imported again is already recorded; a SPLIT without a currency takes the BUY's."""
    sym = _symbol()
    split_file = HEADER + f"2026-06-10,DEPOSIT,,,,10000,EUR,,,dep-1,\n2026-06-10,SPLIT,{sym},,,,{{ccy}},,10,s1,\n"
    buy_file = HEADER + f"2026-06-09,DEPOSIT,,,,10000,USD,,,dep-2,\n2026-06-09,BUY,{sym},5,20,,USD,,,b1,\n"

    async def run(user: str, text: str, **kw: object) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = await import_transactions(cfg, user, text, out=out, err=err, **kw)  # type: ignore[arg-type]
        return code, out.getvalue() + err.getvalue()

    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(D3))) as srv:
        cfg = test_config(db_dsn, data_dir)
        for ccy, split_after in (("GBP", "GBP"), ("", "USD")):
            user = new_user()
            code, said = await run(user, split_file.format(ccy=ccy), base_currency="EUR")
            assert code == 0, said
            for dry_run in (True, False):
                code, said = await run(user, buy_file, dry_run=dry_run)
                assert (code == 0) is (not ccy), said
                assert ("CURRENCY_MISMATCH" in said) is bool(ccy), said
            assert await _listed(srv, user, sym) == ([(SPLIT, "GBP")] if ccy else [(BUY, "USD"), (SPLIT, "USD")])
            for dry_run in (True, False):
                code, said = await run(user, split_file.format(ccy=ccy), dry_run=dry_run)
                assert code == 0 and ("0 transactions would be recorded, 2 are already recorded" in said
                                      if dry_run else "imported: 0 recorded" in said), said
            assert [c for _, c in await _listed(srv, user, sym)][-1] == split_after

"""A SPLIT needs only ``symbol`` and ``split_ratio`` (the contract: fields a type does not use must be
empty): sent without a currency on a symbol traded in another currency than the portfolio's base, it
takes its symbol's (it was refused: "NVDA is traded in USD elsewhere in the ledger"), in the same
batch as the symbol's trades or a later one, through an update and the importer's dry run alike.
A SPLIT sent with another currency than its symbol's is still refused, naming the field."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.wiring.importer import import_transactions
from tests.integration.portfolio.support import create_transactions as _create
from tests.integration.portfolio.support import error_details, evening, name, new_user, stub, summary
from tests.integration.portfolio.support import transaction as _tx
from tests.support.server import running_server, test_config

D0, D1, D2 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10)
HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"


def _buy() -> list[portfolio_pb2.Transaction]:
    return [_tx("DEPOSIT", D0, amount="20000", currency="USD"),
            _tx("BUY", D1, symbol="NVDA", quantity="10", price="1200", currency="USD")]


async def test_a_split_without_a_currency_takes_its_symbols(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(date(2026, 6, 12)))) as srv:
        # in the batch of the symbol's trades (the split row before them, to be sure of the order)
        user = new_user()
        resp = await _create(srv, user, [_tx("SPLIT", D2, symbol="NVDA", split_ratio="10"), *_buy()], base="EUR")
        assert resp.created_count == 3
        assert resp.transactions[0].currency == "USD"
        s = await summary(srv, user)
        assert [(p.symbol, p.quantity) for p in s.ledger_positions] == [("NVDA", "100")]

        # in a later batch (the symbol's currency is the ledger's)
        user = new_user()
        await _create(srv, user, _buy(), base="EUR")
        resp = await _create(srv, user, [_tx("SPLIT", D2, symbol="nvda", split_ratio="10", client_id="s1")])
        assert (resp.created_count, resp.transactions[0].currency) == (1, "USD")
        again = await _create(srv, user, [_tx("SPLIT", D2, symbol="NVDA", split_ratio="10", client_id="s1")])
        assert (again.created_count, again.existing_count) == (0, 1)  # the same content: already recorded

        # an update sending only what a SPLIT needs (no mask: every field)
        split = resp.transactions[0]
        updated = await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
            transaction=_tx("SPLIT", D2, symbol="NVDA", split_ratio="4", name=split.name)),
            metadata=srv.auth(user), timeout=10)
        assert (updated.currency, updated.split_ratio) == ("USD", "4")
        updated = await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
            transaction=_tx("SPLIT", D2, name=split.name),
            update_mask=field_mask_pb2.FieldMask(paths=["currency"])), metadata=srv.auth(user), timeout=10)
        assert updated.currency == "USD"


@pytest.mark.parametrize("currency", ["EUR", "GBP"])
async def test_a_split_in_another_currency_than_its_symbols_is_refused(
    db_dsn: str, data_dir: Path, currency: str
) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(date(2026, 6, 12)))) as srv:
        user = new_user()
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _create(srv, user, [*_buy(), _tx("SPLIT", D2, symbol="NVDA", split_ratio="10", currency=currency)],
                          base="EUR")
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        assert (info.reason, violations[0][0]) == ("CURRENCY_MISMATCH", "transactions[2].currency")
        assert "NVDA is traded in USD" in ei.value.details()


async def test_the_importers_dry_run_accepts_what_the_import_records(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(date(2026, 6, 12)))) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        await _create(srv, user, _buy(), base="EUR")
        text = HEADER + "2026-06-10,SPLIT,NVDA,,,,,,10,s-1,\n"
        for dry_run in (True, False):
            out, err = io.StringIO(), io.StringIO()
            code = await import_transactions(cfg, user, text, out=out, err=err, dry_run=dry_run)  # type: ignore[arg-type]
            assert code == 0, err.getvalue()
        listed = await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                                  metadata=srv.auth(user), timeout=10)
        assert [(t.type, t.currency) for t in listed.transactions if t.symbol == "NVDA"] == [
            (portfolio_pb2.TRANSACTION_TYPE_BUY, "USD"), (portfolio_pb2.TRANSACTION_TYPE_SPLIT, "USD")]

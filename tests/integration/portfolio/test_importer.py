"""``stack-cfo import-transactions`` on the documented CSV and on Ghostfolio's activities export,
including files with a bad row (reported by line and field, nothing written) and --dry-run. The
import goes through the same service method as BatchCreateTransactions, so what it wrote is read
back through the RPCs of a real server."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import evening, new_user
from tests.integration.portfolio.support import listed_transactions as _listed
from tests.integration.portfolio.support import run_import as _run
from tests.support.server import running_server, test_config

CSV = """date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note
2024-01-02,DEPOSIT,,,,10000,USD,,,dep-1,
2024-01-02,BUY,AAPL,10,185.64,,USD,1,,buy-1,first lot
2024-02-09,DIVIDEND,AAPL,,,2.40,USD,0.36,,div-1,
2024-03-01,SELL,AAPL,4,179.66,,USD,1,,sell-1,
"""

GHOSTFOLIO = {
    "meta": {"date": "2024-04-01T10:00:00.000Z", "version": "2.50.0"},
    "activities": [
        {"accountId": "a", "comment": None, "fee": 0.5, "quantity": 3, "type": "BUY", "unitPrice": 410.1,
         "currency": "USD", "dataSource": "YAHOO", "date": "2024-01-03T00:00:00.000Z", "symbol": "MSFT"},
        {"accountId": "a", "comment": "q1", "fee": 0, "quantity": 3, "type": "DIVIDEND", "unitPrice": 0.75,
         "currency": "USD", "dataSource": "YAHOO", "date": "2024-03-14T00:00:00.000Z", "symbol": "MSFT"},
    ],
}


async def _no_portfolio(srv: object, user: str) -> bool:
    """Nothing was written, not even the portfolio: ListTransactions is PORTFOLIO_NOT_FOUND."""
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await _listed(srv, user)
    return ei.value.code() == grpc.StatusCode.NOT_FOUND


async def test_csv_import_dry_run_then_for_real_then_again(db_dsn: str, data_dir: Path) -> None:
    from datetime import date

    clock = FrozenClock(evening(date(2024, 4, 2)))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        code, out, err = await _run(cfg, user, CSV, dry_run=True, base_currency="XX1")
        assert code == 1 and "UNKNOWN_CURRENCY" in err, err  # the dry run checks what the import would
        code, out, _ = await _run(cfg, user, CSV, dry_run=True)
        assert code == 0 and "4 transactions would be recorded" in out and "BUY" in out
        assert await _no_portfolio(srv, user)  # a dry run writes nothing
        code, out, err = await _run(cfg, user, CSV)
        assert code == 0 and "imported: 4 recorded" in out and "recording" in err  # the progress bar
        rows = await _listed(srv, user)
        assert [r.client_id for r in rows] == ["dep-1", "buy-1", "div-1", "sell-1"]
        code, out, _ = await _run(cfg, user, CSV)
        assert code == 0 and "0 recorded, 4 already recorded" in out  # client ids make re-imports harmless
        # a dry run counts as the import does: a row already recorded, or repeated in the file, is not new
        repeated = CSV + "2024-03-04,DEPOSIT,,,,50,USD,,,dep-2,\n2024-03-04,DEPOSIT,,,,50,USD,,,dep-2,\n"
        code, out, _ = await _run(cfg, user, repeated, dry_run=True)
        assert code == 0 and "1 transactions would be recorded, 5 are already recorded" in out, out
        code, out, _ = await _run(cfg, user, repeated)
        assert code == 0 and "imported: 1 recorded, 5 already recorded" in out, out


async def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_written(db_dsn: str, data_dir: Path) -> None:
    from datetime import date

    clock = FrozenClock(evening(date(2024, 4, 2)))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        oversell = CSV + "2024-03-05,SELL,AAPL,100,180,,USD,,,sell-2,\n"
        code, _, err = await _run(cfg, user, oversell)
        assert code == 1 and "line 6, field quantity" in err and "SELL_EXCEEDS_HOLDINGS" in err
        bad_number = CSV.replace("2024-03-01,SELL,AAPL,4,", "2024-03-01,SELL,AAPL,four,")
        code, _, err = await _run(cfg, user, bad_number)
        assert code == 1 and "line 5, field quantity" in err
        split = CSV + "2024-03-06,SPLIT,AAPL,,,,USD,,0,split-1,\n"
        code, _, err = await _run(cfg, user, split)
        assert code == 1 and "line 6, field split_ratio" in err and "INVALID_SPLIT_RATIO" in err
        assert await _no_portfolio(srv, user)

        doc = json.loads(json.dumps(GHOSTFOLIO))
        doc["activities"][1]["type"] = "ITEM"
        code, _, err = await _run(cfg, user, json.dumps(doc, indent=2))
        assert code == 1 and "line 19, field type" in err  # the second activity starts on line 19
        doc["activities"][1]["type"] = "SELL"
        doc["activities"][1]["quantity"] = 9
        code, _, err = await _run(cfg, user, json.dumps(doc, indent=2))
        assert code == 1 and "line 19, field quantity" in err and "SELL_EXCEEDS_HOLDINGS" in err
        assert await _no_portfolio(srv, user)


async def test_ghostfolio_export_is_imported(db_dsn: str, data_dir: Path) -> None:
    from datetime import date

    clock = FrozenClock(evening(date(2024, 4, 2)))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        code, out, err = await _run(cfg, user, json.dumps(GHOSTFOLIO, indent=2))
        assert code == 0, err
        rows = await _listed(srv, user)
        assert [(r.type, r.symbol, r.quantity, r.price, r.amount, r.fees) for r in rows] == [
            (portfolio_pb2.TRANSACTION_TYPE_BUY, "MSFT", "3", "410.1", "", "0.5"),
            (portfolio_pb2.TRANSACTION_TYPE_DIVIDEND, "MSFT", "", "", "2.25", ""),
        ]
        code, out, _ = await _run(cfg, user, json.dumps(GHOSTFOLIO, indent=2))
        assert "0 recorded, 2 already recorded" in out

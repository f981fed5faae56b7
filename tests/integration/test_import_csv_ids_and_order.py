"""``stack-cfo import-transactions`` against a real database and server: re-importing a CSV whose rows
have no ``id`` records nothing twice (the dry run counting as the import does), and a broker's export
listed newest first, a same-day SELL above its BUY or SPLIT, is imported, its errors naming the file's
lines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import evening, new_user
from tests.integration.portfolio.support import listed_transactions as _listed
from tests.integration.portfolio.support import run_import as _run
from tests.support.server import running_server, test_config

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
CLOCK = FrozenClock(evening(date(2025, 4, 1)))


async def test_rows_without_ids_are_not_recorded_again_on_a_reimport(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        # the tester's file: a DEPOSIT with an id, two BUYs without (identical: two lots, both recorded)
        text = (HEADER + "2025-03-01,DEPOSIT,,,,10000,USD,,,dep-1,\n"
                "2025-03-03,BUY,NVDA,10,120,,USD,,,,\n" + "2025-03-03,BUY,NVDA,10,120,,USD,,,,\n")
        code, out, err = await _run(cfg, user, text, dry_run=True)
        assert code == 0 and "3 transactions would be recorded, 0 are already recorded" in out, out + err
        code, out, err = await _run(cfg, user, text)
        assert code == 0 and "imported: 3 recorded, 0 already recorded" in out, out + err
        for _ in range(2):
            code, out, err = await _run(cfg, user, text, dry_run=True)
            assert code == 0 and "0 transactions would be recorded, 3 are already recorded" in out, out + err
            code, out, err = await _run(cfg, user, text)
            assert code == 0 and "imported: 0 recorded, 3 already recorded" in out, out + err
        rows = await _listed(srv, user)
        assert sum(int(r.quantity) for r in rows if r.type == portfolio_pb2.TRANSACTION_TYPE_BUY) == 20
        assert len(rows) == 3 and len({r.client_id for r in rows}) == 3

        # the file grown by a row with an id and one without: only those two are new
        grown = text + "2025-03-04,SELL,NVDA,5,125,,USD,,,sell-1,\n" + "2025-03-05,DIVIDEND,NVDA,,,1.5,USD,,,,\n"
        code, out, err = await _run(cfg, user, grown, dry_run=True)
        assert code == 0 and "2 transactions would be recorded, 3 are already recorded" in out, out + err
        code, out, err = await _run(cfg, user, grown)
        assert code == 0 and "imported: 2 recorded, 3 already recorded" in out, out + err
        code, out, err = await _run(cfg, user, grown)
        assert code == 0 and "imported: 0 recorded, 5 already recorded" in out, out + err
        assert len(await _listed(srv, user)) == 5


async def test_a_newest_first_export_with_same_day_trades_is_imported(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        text = (HEADER
                + "2025-03-05,SELL,AAA,20,60,,USD,,,s-aaa,\n"  # after the same day's 2:1 split below
                + "2025-03-05,SPLIT,AAA,,,,USD,,2,split-aaa,\n"
                + "2025-03-04,BUY,AAA,10,100,,USD,,,b-aaa,\n"
                + "2025-03-03,SELL,NVDA,10,125,,USD,,,s-nvda,\n"
                + "2025-03-03,BUY,NVDA,10,120,,USD,,,b-nvda,\n"
                + "2025-03-01,DEPOSIT,,,,10000,USD,,,dep-1,\n")
        code, out, err = await _run(cfg, user, text, dry_run=True)
        assert code == 0 and "6 transactions would be recorded" in out, out + err
        code, out, err = await _run(cfg, user, text)
        assert code == 0 and "imported: 6 recorded, 0 already recorded" in out, out + err
        code, out, err = await _run(cfg, user, text)
        assert code == 0 and "imported: 0 recorded, 6 already recorded" in out, out + err
        assert len(await _listed(srv, user)) == 6


async def test_errors_of_a_newest_first_file_name_the_files_lines(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=CLOCK):
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        oversold = (HEADER
                    + "2025-03-04,SELL,NVDA,11,125,,USD,,,s2,\n"  # line 2: 10 held
                    + "2025-03-03,BUY,NVDA,10,120,,USD,,,b1,\n"
                    + "2025-03-01,DEPOSIT,,,,10000,USD,,,dep-1,\n")
        for dry_run in (True, False):
            code, _, err = await _run(cfg, user, oversold, dry_run=dry_run)
            assert code == 1 and "error: line 2, field quantity" in err and "SELL_EXCEEDS_HOLDINGS" in err, err
        bad_cell = oversold.replace("SELL,NVDA,11,", "SELL,NVDA,10,").replace("BUY,NVDA,10,120", "BUY,NVDA,ten,120")
        code, _, err = await _run(cfg, user, bad_cell)
        assert code == 1 and "error: line 3, field quantity" in err, err

        # an ascending file keeps its order: a same-day SELL above its BUY is still refused, on its line
        ascending = (HEADER + "2025-03-01,DEPOSIT,,,,10000,USD,,,dep-1,\n"
                     + "2025-03-03,SELL,NVDA,10,125,,USD,,,s1,\n" + "2025-03-03,BUY,NVDA,10,120,,USD,,,b1,\n")
        code, _, err = await _run(cfg, user, ascending)
        assert code == 1 and "error: line 3, field quantity" in err and "SELL_EXCEEDS_HOLDINGS" in err, err


async def test_a_newest_first_ghostfolio_export_is_imported(db_dsn: str, data_dir: Path) -> None:
    def activity(kind: str, day: str, quantity: int) -> dict[str, object]:
        return {"type": kind, "symbol": "NVDA", "date": f"{day}T00:00:00.000Z", "quantity": quantity,
                "unitPrice": 120, "fee": 0, "currency": "USD"}

    async with running_server(db_dsn, data_dir, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        export = {"activities": [activity("SELL", "2025-03-04", 5), activity("SELL", "2025-03-03", 10),
                                 activity("BUY", "2025-03-03", 10), activity("BUY", "2025-03-01", 5)]}
        code, out, err = await _run(cfg, user, json.dumps(export, indent=2))
        assert code == 0 and "imported: 4 recorded, 0 already recorded" in out, out + err
        code, out, err = await _run(cfg, user, json.dumps(export, indent=2))
        assert code == 0 and "imported: 0 recorded, 4 already recorded" in out, out + err
        assert len(await _listed(srv, user)) == 4

"""``stack-cfo import-transactions`` of a CSV without ids: an empty currency is the portfolio's base
currency, so the same rows with the currency cells emptied (or filled in with the base currency) are
the same rows: a re-import records nothing twice. Rows recorded by the previous release (whose digest
took the currency cell as written) are still found on a re-import, however the currency is spelled."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import evening, listed_transactions, new_user, run_import
from tests.support.server import running_server, test_config

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
CLOCK = FrozenClock(evening(date(2025, 4, 1)))
#: date, type, symbol, quantity, price, amount, fees (no id, currency filled in by :func:`csv`)
ROWS = [
    ("2025-03-03", "DEPOSIT", "", "", "", "10000", ""),
    ("2025-03-04", "BUY", "NVDA", "10", "120", "", "1"),
    ("2025-03-04", "BUY", "NVDA", "10", "120", "", "1"),  # the same again: a second lot
    ("2025-03-05", "DIVIDEND", "NVDA", "", "", "1.5", ""),
    ("2025-03-06", "SELL", "NVDA", "5", "125", "", ""),
]


def csv(currency: str, *, ids: list[str] | None = None) -> str:
    lines = [f"{d},{t},{s},{q},{p},{a},{currency},{f},,{ids[i] if ids else ''},"
             for i, (d, t, s, q, p, a, f) in enumerate(ROWS)]
    return HEADER + "\n".join(lines) + "\n"


def previous_release_ids(currency: str) -> list[str]:
    """The client ids the previous release gave :data:`ROWS` with ``currency`` in their currency cells:
    a digest of the cells as read, the currency as written (``""`` when empty)."""
    def by_value(text: str) -> str:
        return "" if not text else "0" if float(text) == 0 else text

    seen: dict[str, int] = {}
    out = []
    for d, t, s, q, p, a, f in ROWS:
        content = {"date": d, "type": t, "symbol": s, "quantity": by_value(q), "price": by_value(p),
                   "amount": by_value(a), "currency": currency, "fees": by_value(f) or "0", "split_ratio": "",
                   "note": ""}
        digest = "csv-" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
        n = seen[digest] = seen.get(digest, 0) + 1
        out.append(digest if n == 1 else f"{digest}#{n}")
    return out


async def test_emptied_or_filled_currency_cells_are_the_same_rows(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        for first, again, base in (("USD", "", ""), ("", "USD", ""), ("", "EUR", "EUR"), ("EUR", "", "EUR")):
            user = new_user()
            code, out, err = await run_import(cfg, user, csv(first), base_currency=base)
            assert code == 0 and "imported: 5 recorded, 0 already recorded" in out, out + err
            # the base currency is the portfolio's now: a second import need not name it
            code, out, err = await run_import(cfg, user, csv(again), dry_run=True)
            assert code == 0 and "0 transactions would be recorded, 5 are already recorded" in out, (
                first, again, out + err)
            code, out, err = await run_import(cfg, user, csv(again))
            assert code == 0 and "imported: 0 recorded, 5 already recorded" in out, (first, again, out + err)
            rows = await listed_transactions(srv, user)
            assert len(rows) == 5 and {r.currency for r in rows} == {base or "USD"}


async def test_rows_the_previous_release_recorded_are_found_however_the_currency_is_spelled(
    db_dsn: str, data_dir: Path
) -> None:
    async with running_server(db_dsn, data_dir, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        for recorded in ("", "USD"):
            for again in ("", "USD"):
                user = new_user()
                # what the previous release recorded for the file with these currency cells
                code, out, err = await run_import(cfg, user, csv(recorded, ids=previous_release_ids(recorded)))
                assert code == 0 and "imported: 5 recorded, 0 already recorded" in out, out + err
                code, out, err = await run_import(cfg, user, csv(again), dry_run=True)
                assert code == 0 and "0 transactions would be recorded, 5 are already recorded" in out, (
                    recorded, again, out + err)
                code, out, err = await run_import(cfg, user, csv(again))
                assert code == 0 and "imported: 0 recorded, 5 already recorded" in out, (recorded, again, out + err)
                assert len(await listed_transactions(srv, user)) == 5

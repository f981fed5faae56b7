"""``stack-cfo import-transactions --dry-run`` refuses what the import refuses: a trade in another
currency than its symbol's recorded closes, a --base-currency other than the existing portfolio's,
a NUL character; and what the dry run accepts, the import records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import evening, new_user, price_points, record
from tests.integration.portfolio.support import run_import as _run
from tests.support.server import running_server, test_config

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
DEPOSIT = "2026-10-05,DEPOSIT,,,,10000,USD,,,dep-1,\n"


def _error(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("error:"))


async def test_the_dry_run_applies_the_checks_of_the_import(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(date(2026, 10, 30)))
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        cfg = test_config(db_dsn, data_dir)
        await record(srv, price_points({"AAA": [(date(2026, 10, 5), "100"), (date(2026, 10, 6), "101")]}))  # USD
        user = new_user()

        # a BUY in EUR of a symbol whose closes are in USD (lower case: the symbol as the write reads it)
        for symbol in ("AAA", "aaa"):
            eur_buy = HEADER + DEPOSIT + f"2026-10-05,BUY,{symbol},1,10,,EUR,,,b-eur,\n"
            code, _, dry = await _run(cfg, user, eur_buy, dry_run=True)
            assert code == 1 and "line 3, field currency" in dry and "CURRENCY_MISMATCH" in dry, dry
            code, _, real = await _run(cfg, user, eur_buy)
            assert code == 1 and _error(real) == _error(dry)

        # the portfolio exists in USD: --base-currency EUR is refused by both
        code, out, err = await _run(cfg, user, HEADER + DEPOSIT)
        assert code == 0 and "imported: 1 recorded" in out, err
        more = HEADER + "2026-10-06,DEPOSIT,,,,500,USD,,,dep-2,\n"
        code, _, dry = await _run(cfg, user, more, dry_run=True, base_currency="EUR")
        assert code == 1 and "base_currency" in dry and "CURRENCY_MISMATCH" in dry, dry
        code, _, real = await _run(cfg, user, more, base_currency="EUR")
        assert code == 1 and _error(real) == _error(dry)
        code, out, err = await _run(cfg, user, more, dry_run=True, base_currency="USD")  # its own: fine
        assert code == 0 and "1 transactions would be recorded, 0 are already recorded" in out, err

        # a BUY in the closes' currency passes both
        usd_buy = HEADER + DEPOSIT + "2026-10-06,BUY,AAA,1,101,,USD,,,b-usd,\n"
        code, out, err = await _run(cfg, user, usd_buy, dry_run=True)
        assert code == 0 and "1 transactions would be recorded, 1 are already recorded" in out, err
        code, out, err = await _run(cfg, user, usd_buy)
        assert code == 0 and "imported: 1 recorded, 1 already recorded" in out, err


async def test_a_nul_character_is_refused_by_line_and_field(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(date(2026, 10, 30)))
    async with running_server(db_dsn, data_dir, clock=clock):
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        text = HEADER + "2026-10-05,DEPOSIT,,,,10000,USD,,,dep-1,a\x00b\n"
        for dry_run in (True, False):
            code, _, err = await _run(cfg, user, text, dry_run=dry_run)
            assert code == 1 and "error: line 2, field note:" in err and "(INVALID_TEXT)" in err, err


async def test_the_dry_run_lets_a_split_recorded_first_take_its_symbols_first_trades_currency(
    db_dsn: str, data_dir: Path
) -> None:
    """A SPLIT without a currency recorded before its symbol's first trade takes that trade's currency
    when it comes: the dry run of the trade accepts it as the import does (it refused it with
    CURRENCY_MISMATCH, the split's stand-in currency being the base currency)."""
    clock = FrozenClock(evening(date(2026, 10, 30)))
    async with running_server(db_dsn, data_dir, clock=clock):
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        first = HEADER + "2026-10-05,DEPOSIT,,,,10000,EUR,,,dep-1,\n2026-10-05,SPLIT,SPLT,,,,,,10,s1,\n"
        code, out, err = await _run(cfg, user, first, base_currency="EUR")
        assert code == 0, err
        usd_buy = HEADER + "2026-10-06,BUY,SPLT,5,20,,USD,,,b1,\n"
        code, out, err = await _run(cfg, user, usd_buy, dry_run=True)
        assert code == 0 and "1 transactions would be recorded" in out, err
        code, out, err = await _run(cfg, user, usd_buy)
        assert code == 0 and "imported: 1 recorded" in out, err

"""``stack-cfo import-transactions`` prints every problem the service found in a file, one line each by
line and column, with its reason, then that nothing was imported (it printed only the first one:
a file with two oversold rows took two runs to learn both)."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack_cfo.cli import main


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """``main`` configures logging for its process: put the root logger back for later tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, dsn: str, *argv: str
         ) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("STACK_CFO_ARCHIVE_MASTER_KEYS", "k1:" + base64.b64encode(bytes(32)).decode())
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CSV = """date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note
2024-01-02,DEPOSIT,,,,100,,,,n1,
2024-01-03,BUY,MSFT,1,10,,,,,n3,
2024-01-04,SELL,C,5,1,,,,,n4,
2024-01-04,SELL,AMZN,5,1,,,,,n6,
1969-12-31,DEPOSIT,,,,100,,,,n7,
"""


async def test_every_violation_is_printed(db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "t.csv"
    f.write_text(CSV)
    user = str(uuid.uuid4())
    code, out, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                             "--user", user, str(f))
    assert code == 1 and out == "", out
    problems = [line for line in err.splitlines() if line.startswith("error: line ")]
    assert [p.split(":")[1].strip() for p in problems] == [
        "line 4, field quantity", "line 5, field quantity", "line 6, field date"], err
    assert [p.rsplit("(", 1)[1] for p in problems] == [
        "SELL_EXCEEDS_HOLDINGS)", "SELL_EXCEEDS_HOLDINGS)", "OUT_OF_RANGE)"], err
    assert err.rstrip().endswith("error: 3 problems; nothing was imported"), err
    # the dry run reports the same, and a file with one problem keeps its one line
    code, _, dry = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                           "--user", user, "--dry-run", str(f))
    assert code == 1 and [line for line in dry.splitlines() if line.startswith("error: line ")] == problems, dry
    f.write_text("\n".join(CSV.splitlines()[:4]) + "\n")
    code, _, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                           "--user", user, str(f))
    assert code == 1 and "error: line 4, field quantity: " in err
    assert "(SELL_EXCEEDS_HOLDINGS); nothing was imported" in err, err

"""``stack-cfo import-transactions`` prints every problem the service found in a file, one line each by
line and column, with its reason, then that nothing was imported (it printed only the first one:
a file with two oversold rows took two runs to learn both)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path

import pytest

from stack_cfo.cli import main

pytestmark = pytest.mark.usefixtures("root_logging_restored")


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


# line 2: fine; 3: a malformed number; 4: sells what line 3 would have bought; 5: a malformed date;
# 6: a fine BUY in EUR; 7: the same symbol in USD; 8: a type that is no type; 9: client id n9 first;
# 10: n9 again with other content; 11: a date in the future
MIXED = """date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note
2024-01-02,DEPOSIT,,,,100,,,,n1,
2024-01-03,BUY,MSFT,abc,10,,,,,n3,
2024-01-04,SELL,MSFT,1,1,,,,,n4,
2024-13-04,BUY,C,5,1,,,,,n5,
2024-01-04,BUY,SAP,1,1,,EUR,,,n6,
2024-01-05,BUY,SAP,1,1,,USD,,,n7,
2024-01-05,BOUGHT,SAP,1,1,,USD,,,n8,
2024-01-05,BUY,X,1,1,,,,,n9,
2024-01-06,BUY,X,2,1,,,,,n9,
2030-01-04,BUY,AMZN,5,1,,,,,n11,
"""


async def test_malformed_cells_do_not_hide_the_other_problems(
        db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell that does not read refuses its row only: every other rule runs on the rest, one line per
    problem in file order, in the import and in its dry run (a malformed cell stopped the reading)."""
    f = tmp_path / "t.csv"
    f.write_text(MIXED)
    user = str(uuid.uuid4())
    expected = [
        ("line 3, field quantity", "INVALID_DECIMAL"),
        ("line 4, field quantity", "SELL_EXCEEDS_HOLDINGS"),
        ("line 5, field date", "INVALID_DATE"),
        ("line 7, field currency", "CURRENCY_MISMATCH"),
        ("line 8, field type", "INVALID_ENUM"),
        ("line 10, field id", "CLIENT_ID_REUSED"),
        ("line 11, field date", "FUTURE_DATE"),
    ]
    for dry in ((), ("--dry-run",)):
        code, out, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                                 "--user", user, *dry, str(f))
        assert code == 1 and out == "", (dry, out)
        problems = [line for line in err.splitlines() if line.startswith("error: line ")]
        assert [(p.split(":")[1].strip(), p.rsplit("(", 1)[1].rstrip(")")) for p in problems] == expected, (dry, err)
        assert "'abc' is not a decimal number" in problems[0], err
        assert err.rstrip().endswith("error: 7 problems; nothing was imported"), err
    # nothing was written: the well-formed rows alone go in afterwards
    good = "\n".join(line for k, line in enumerate(MIXED.splitlines(), start=1) if k in (1, 2, 6, 9)) + "\n"
    f.write_text(good)
    code, out, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                             "--user", user, str(f))
    assert code == 0 and "imported: 3 recorded, 0 already recorded" in out, (out, err)


async def test_a_repeated_client_id_names_the_line_of_its_first_row(
        db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI names the file's line of the row that first has the client id, not ``transactions[4]``."""
    f = tmp_path / "t.csv"
    f.write_text("\n".join([*CSV.splitlines()[:3], "2024-01-05,BUY,X,1,1,,,,,n6,", "2024-01-06,BUY,X,2,1,,,,,n6,"])
                 + "\n")
    user = str(uuid.uuid4())
    for dry in ((), ("--dry-run",)):
        code, _, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                               "--user", user, *dry, str(f))
        assert code == 1 and err.splitlines()[-1] == (
            "error: line 5, field id: client_id 'n6' is already recorded (line 4) with different content "
            "(CLIENT_ID_REUSED); nothing was imported"), err
    f.write_text(MIXED)  # among other problems
    code, _, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                           "--user", user, "--dry-run", str(f))
    line = next(p for p in err.splitlines() if "CLIENT_ID_REUSED" in p)
    assert code == 1 and line == ("error: line 10, field id: client_id 'n9' is already recorded (line 9) with "
                                  "different content (CLIENT_ID_REUSED)"), err
    assert "transactions[" not in err, err
    # a Ghostfolio export (on one line: the activity too)
    export = {"activities": [
        {"id": "a1", "type": "BUY", "symbol": "X", "date": "2024-01-02T00:00:00.000Z", "quantity": 1,
         "unitPrice": 1, "fee": 0, "currency": "USD"},
        {"id": "a2", "type": "BUY", "symbol": "X", "date": "2024-01-02T00:00:00.000Z", "quantity": "1,5",
         "unitPrice": 1, "fee": 0, "currency": "USD"},
        {"id": "a1", "type": "BUY", "symbol": "X", "date": "2024-01-03T00:00:00.000Z", "quantity": 2,
         "unitPrice": 1, "fee": 0, "currency": "USD"}]}
    g = tmp_path / "export.json"
    g.write_text(json.dumps(export))
    code, _, err = await asyncio.to_thread(_run, capsys, monkeypatch, db_dsn, "import-transactions",
                                           "--user", user, "--dry-run", str(g))
    problems = [p for p in err.splitlines() if p.startswith("error: line ")]
    assert code == 1 and problems == [
        "error: line 1, field quantity (activities[1]): '1,5' is not a finite number (INVALID_DECIMAL)",
        "error: line 1, field id (activities[2]): client_id 'a1' is already recorded (line 1, activities[0]) "
        "with different content (CLIENT_ID_REUSED)"], err

"""Hostile transaction files for ``stack-cfo import-transactions``: an unclosed quote that swallows
the rows after it, a column named twice, a cell beyond the csv module's limit, NUL characters,
identical Ghostfolio activities without ids, minified Ghostfolio exports (every activity on line 1)
and Ghostfolio timestamps with a time of day."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from stack_cfo.core.portfolio.importers import ImportError_, locate, parse, parse_csv, parse_ghostfolio
from stack_cfo.core.portfolio.ledger_service import check_rows

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
DEPOSIT = "2026-10-05,DEPOSIT,,,,10000,USD,,,dep-1,\n"
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def _error(text: str) -> ImportError_:
    with pytest.raises(ImportError_) as ei:
        parse_csv(text)
    return ei.value


# -- an unclosed quote ---------------------------------------------------------------------------


def test_an_unclosed_quote_that_swallows_the_next_row_is_an_error_naming_its_line_and_column() -> None:
    # the tester's file: the BUY of line 4 became part of line 3's note, and the import said "2 recorded"
    text = HEADER + DEPOSIT + '2026-10-05,BUY,AAA,10,102,,USD,1,,buy-1,"oops\n' + \
        "2026-10-06,BUY,AAA,1,103,,USD,,,b2,\n"
    err = _error(text)
    assert (err.line, err.column, err.reason) == (3, "note", "INVALID_ROW")
    assert "unclosed quote" in err.message and "line 4" in err.message


def test_a_quote_closed_rows_later_is_reported_where_it_opened() -> None:
    # the next quote of the file closes it: the cell count is right, two rows vanished into a note
    text = HEADER + DEPOSIT + '2026-10-05,DEPOSIT,,,,1,USD,,,d2,"oops\n' + \
        "2026-10-06,DEPOSIT,,,,2,USD,,,d3,\n" + '2026-10-07,DEPOSIT,,,,3,USD,,,d4,"fine"\n' + \
        "2026-10-08,DEPOSIT,,,,4,USD,,,d5,\n"
    err = _error(text)
    assert (err.line, err.column) == (3, "note") and "line 4" in err.message


def test_a_quote_still_open_at_the_end_of_the_file_is_an_error() -> None:
    err = _error(HEADER + DEPOSIT + '2026-10-06,DEPOSIT,,,,5,USD,,,d2,"never closed\n')
    assert (err.line, err.column) == (3, "note") and "never closed" in err.message
    err = _error(HEADER + DEPOSIT + '2026-10-06,DEPOSIT,,,,5,USD,,,d2,"no line break at the end')
    assert (err.line, err.column) == (3, "note")
    # over several lines, none of them row-shaped
    err = _error(HEADER + DEPOSIT + '2026-10-06,DEPOSIT,,,,5,USD,,,d2,"first\nsecond\nthird\n')
    assert (err.line, err.column) == (3, "note")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_note_of_several_lines_stays_accepted(newline: str) -> None:
    note = f"line1{newline}a, b, c, d, e, f, g, h, i, j{newline}2026-10-06 was a BUY day, \"quoted\" words"
    quoted = '"' + note.replace('"', '""') + '"'
    text = newline.join([HEADER.strip(), DEPOSIT.strip(), f"2026-10-05,BUY,AAA,10,102,,USD,1,,buy-1,{quoted}",
                         "2026-10-06,BUY,AAA,1,103,,USD,,,buy-2,", ""])
    rows = parse_csv(text)
    assert [r.line for r in rows] == [2, 3, 6]
    assert rows[1].transaction.note == note  # line breaks in the cell as written
    assert rows[2].transaction.client_id == "buy-2"


def test_quotes_inside_unquoted_cells_and_escaped_quotes_are_no_unclosed_quote() -> None:
    text = HEADER + DEPOSIT + '2026-10-06,DEPOSIT,,,,5,USD,,,d2,say "hi\n2026-10-07,DEPOSIT,,,,5,USD,,,d3,"a ""b"""\n'
    rows = parse_csv(text)
    assert [r.transaction.note for r in rows] == ["", 'say "hi', 'a "b"']


def test_line_numbers_count_carriage_returns_alone() -> None:
    text = (HEADER + DEPOSIT + "2026-10-06,DEPOSIT,,,,x,USD,,,d2,\n").replace("\n", "\r")
    err = _error(text)
    assert (err.line, err.column) == (3, "amount")


# -- the header and the csv module's limits ----------------------------------------------------------


def test_a_column_named_twice_is_an_error() -> None:
    text = "date,type,symbol,quantity,price,amount,currency,fees,id,price\n" + \
        "2026-10-05,DEPOSIT,,,,10000,USD,,d1,\n2026-10-05,BUY,AAA,10,102,,USD,,b1,5\n"
    err = _error(text)
    assert (err.line, err.column, err.message) == (1, "price", "column appears twice")
    err = _error("date,type,Date,amount\n2026-10-05,DEPOSIT,2026-10-06,1\n")
    assert (err.line, err.column) == (1, "date")


def test_a_cell_beyond_the_csv_limit_is_an_error_not_a_traceback() -> None:
    err = _error(HEADER + DEPOSIT + "2026-10-06,DEPOSIT,,,,5,USD,,,d2," + "x" * 200_000 + "\n")
    assert (err.line, err.column, err.reason) == (3, "row", "INVALID_ROW")
    assert "field limit" in err.message


# -- NUL characters --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cells", "field"), [("d1,bad\x00note", "note"), ("d\x001,", "id")])
def test_a_nul_character_is_refused_as_the_api_refuses_it(cells: str, field: str) -> None:
    rows = parse_csv(HEADER + f"2026-10-05,DEPOSIT,,,,100,USD,,,{cells}\n")
    _valid, problems = check_rows([r.transaction for r in rows], base_currency="USD", now=NOW, limit=None)
    (_row, _at, err), = problems
    assert err.reason == "INVALID_TEXT"
    path = err.violations[0].field
    assert locate(rows, path) == (2, field)


# -- Ghostfolio ----------------------------------------------------------------------------------------

BUY: dict[str, object] = {
    "accountId": "acc-1", "comment": None, "fee": 1, "quantity": 10, "type": "BUY", "unitPrice": 102,
    "currency": "USD", "dataSource": "YAHOO", "date": "2026-10-05T00:00:00.000Z", "symbol": "AAA", "tags": []}
SELL: dict[str, object] = {**BUY, "type": "SELL", "quantity": 5, "unitPrice": 110, "date": "2026-10-15T00:00:00.000Z"}


def _old_digest(activity: dict[str, object]) -> str:
    return "gf-" + hashlib.sha256(json.dumps(activity, sort_keys=True, default=str).encode()).hexdigest()[:32]


def test_identical_ghostfolio_activities_without_ids_stay_two_and_reimport_stays_idempotent() -> None:
    text = json.dumps({"activities": [BUY, BUY, SELL, BUY]}, indent=2)
    ids = [r.transaction.client_id for r in parse_ghostfolio(text)]
    digest = _old_digest(BUY)
    # the first keeps the digest it always had (files imported before stay idempotent)
    assert ids == [digest, f"{digest}#2", _old_digest(SELL), f"{digest}#3"]
    assert [r.transaction.client_id for r in parse_ghostfolio(text)] == ids  # the same on every import
    # Ghostfolio's own ids are kept as they are
    with_ids = json.dumps({"activities": [{**BUY, "id": "g1"}, {**BUY, "id": "g1"}]})
    assert [r.transaction.client_id for r in parse_ghostfolio(with_ids)] == ["g1", "g1"]


def test_errors_of_a_minified_ghostfolio_export_name_the_activity() -> None:
    bad = {**SELL, "type": "DIVIDEND", "currency": "XXX1", "unitPrice": "nan"}
    with pytest.raises(ImportError_) as ei:
        parse_ghostfolio(json.dumps({"activities": [BUY, SELL, bad]}))
    err = ei.value
    assert (err.line, err.column, err.item) == (1, "unitPrice", "activities[2]")
    assert err.where == "unitPrice (activities[2])" and "activities[2]" in str(err)
    # an error the service finds (here the unknown currency) names it too
    rows = parse_ghostfolio(json.dumps({"activities": [BUY, SELL, {**bad, "unitPrice": 4}]}))
    assert locate(rows, "transactions[2].currency") == (1, "currency (activities[2])")


def test_a_ghostfolio_time_of_day_is_warned_about_and_the_date_kept_as_written() -> None:
    warnings: list[str] = []
    late = {**BUY, "date": "2026-10-04T22:00:00.000Z"}
    rows = parse("  " + json.dumps({"activities": [BUY, late]}), "auto", warnings)
    assert str(rows[1].transaction.trade_date) == "2026-10-04"
    assert len(warnings) == 1 and "activities[1]" in warnings[0] and "2026-10-04T22:00:00.000Z" in warnings[0]
    midnight: list[str] = []
    parse(json.dumps({"activities": [BUY]}), "ghostfolio", midnight)
    assert midnight == []


def test_auto_detects_json_arrays_and_a_byte_order_mark_as_ghostfolio() -> None:
    """A JSON array (or an export behind a BOM) was read as CSV: 'line 1, field [[{"accountid"...:
    unknown column'."""
    for text in ('[{"accountId": "acc-1"}]', '\ufeff{"activities": "nope"}'):
        with pytest.raises(ImportError_) as info:
            parse(text, "auto")
        assert "not a Ghostfolio export" in str(info.value), text

"""``stack-cfo import-transactions`` reading: a CSV row without an ``id`` gets a digest of its content as
client id (as a Ghostfolio activity does), so re-importing the file records nothing twice; and a file
listed newest first is recorded oldest first (:func:`oldest_first`), each row keeping its line."""

from __future__ import annotations

import json
import re

from stack_cfo.core.portfolio.importers import oldest_first, parse, parse_csv

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
DEPOSIT = "2025-03-01,DEPOSIT,,,,10000,USD,,,dep-1,\n"
BUY = "2025-03-03,BUY,NVDA,10,120,,USD,,,,\n"
SELL = "2025-03-03,SELL,NVDA,10,125,,USD,,,,\n"
DIGEST = re.compile(r"csv-[0-9a-f]{32}")


def _ids(text: str) -> list[str]:
    return [r.transaction.client_id for r in parse_csv(text)]


def test_a_csv_row_without_an_id_gets_a_digest_of_its_content_the_same_on_every_read() -> None:
    ids = _ids(HEADER + DEPOSIT + BUY + SELL)
    assert ids[0] == "dep-1"  # an id given is kept
    assert all(DIGEST.fullmatch(i) for i in ids[1:]), ids
    assert ids[1] != ids[2]  # other content, another id
    assert _ids(HEADER + DEPOSIT + BUY + SELL) == ids  # re-importing finds them recorded
    # the same row elsewhere in a file (rows added around it) keeps its id
    assert _ids(HEADER + SELL + "2025-03-04,DEPOSIT,,,,5,USD,,,,\n" + BUY)[::2] == [ids[2], ids[1]]


def test_identical_csv_rows_without_ids_stay_distinct_rows() -> None:
    ids = _ids(HEADER + BUY + DEPOSIT + BUY + BUY)
    first = ids[0]
    assert DIGEST.fullmatch(first)
    assert ids == [first, "dep-1", f"{first}#2", f"{first}#3"]
    assert _ids(HEADER + BUY + DEPOSIT + BUY + BUY) == ids


def test_the_digest_reads_cells_by_value_not_as_written() -> None:
    """A spreadsheet re-saving the file (10.0 for 10, no fees for 0, columns in another order, spaces)
    does not change a row's id: the service compares two records of one client id so."""
    plain = _ids(HEADER + BUY)[0]
    resaved = ("type,date,symbol,price,quantity,currency,fees,note\n"
               "BUY,2025-03-03, NVDA ,120.00,10.0,usd,0,\n")
    assert _ids(resaved) == [plain]
    # symbols and types in lower case: the service reads them in capitals, so the id is the same (a re-import
    # of such a file recorded the row again)
    assert _ids(HEADER + "2025-03-03,buy,nvda,10,120,,usd,,,,\n") == [plain]
    other_note = HEADER + "2025-03-03,BUY,NVDA,10,120,,USD,,,,lot 2\n"
    assert _ids(other_note) != [plain]


def test_a_newest_first_file_is_recorded_oldest_first_with_its_lines() -> None:
    text = HEADER + SELL + BUY + DEPOSIT  # a broker's export: newest first, a same-day sell above its buy
    rows = oldest_first(parse(text, "csv"))
    assert [(r.line, r.transaction.type.value if r.transaction.type else "") for r in rows] == [
        (4, "DEPOSIT"), (3, "BUY"), (2, "SELL")]
    # the ids are those of the file's rows, whatever the order
    assert {r.transaction.client_id for r in rows} == set(_ids(text))


def test_ascending_mixed_and_single_date_files_keep_their_order() -> None:
    for text in (HEADER + DEPOSIT + SELL + BUY,  # ascending: as written (a sell above its buy is refused)
                 HEADER + BUY + DEPOSIT + "2025-03-05,DEPOSIT,,,,1,USD,,,,\n",  # mixed
                 HEADER + SELL + BUY):  # one date: nothing says newest first
        rows = parse(text, "csv")
        assert oldest_first(rows) == rows


def test_a_row_whose_date_does_not_read_does_not_decide_the_order() -> None:
    text = HEADER + SELL + "not-a-date,BUY,NVDA,1,1,,USD,,,,\n" + BUY + DEPOSIT
    rows = oldest_first(parse(text, "csv", keep_malformed=True))
    assert [r.line for r in rows] == [5, 4, 3, 2]
    assert rows[2].problem is not None and rows[2].problem.line == 3


def test_a_newest_first_ghostfolio_export_is_recorded_oldest_first() -> None:
    def activity(kind: str, day: str, quantity: int) -> dict[str, object]:
        return {"type": kind, "symbol": "NVDA", "date": f"{day}T00:00:00.000Z", "quantity": quantity,
                "unitPrice": 120, "fee": 0, "currency": "USD"}

    text = json.dumps({"activities": [activity("SELL", "2025-03-03", 10), activity("BUY", "2025-03-03", 10),
                                      activity("BUY", "2025-03-01", 1)]}, indent=2)
    rows = oldest_first(parse(text, "ghostfolio"))
    assert [(r.item, r.transaction.type.value if r.transaction.type else "") for r in rows] == [
        ("activities[2]", "BUY"), ("activities[1]", "BUY"), ("activities[0]", "SELL")]
    ascending = json.dumps({"activities": [activity("BUY", "2025-03-01", 1), activity("BUY", "2025-03-03", 10)]})
    rows = parse(ascending, "ghostfolio")
    assert oldest_first(rows) == rows

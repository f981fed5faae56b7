"""Numbers in transaction files: the stack-cfo CSV takes the contract's decimal strings (as the API
does); Ghostfolio's JSON export writes floats, read as decimals of at most 18 fractional digits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from stack_cfo.core.portfolio.importers import ImportError_, parse_csv, parse_ghostfolio

HEADER = "date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"


def _csv_quantity(text: str) -> Decimal | None:
    (row,) = parse_csv(HEADER + f"2024-01-03,BUY,AAPL,{text},185,,USD,,,b1,\n")
    return row.transaction.quantity


@pytest.mark.parametrize(("text", "value"), [("10", "10"), (" 10.5 ", "10.5"), ("0." + "1" * 18, "0." + "1" * 18)])
def test_csv_reads_decimal_strings(text: str, value: str) -> None:
    assert _csv_quantity(text) == Decimal(value)


@pytest.mark.parametrize("text", ["1e3", "１２", "٣", "0." + "1" * 19, "1_000", "Infinity", "NaN", "+5", "0x10"])
def test_csv_refuses_what_the_api_refuses(text: str) -> None:
    with pytest.raises(ImportError_) as ei:
        _csv_quantity(text)
    assert (ei.value.line, ei.value.column, ei.value.reason) == (2, "quantity", "INVALID_DECIMAL")


def _ghostfolio(**activity: object) -> list[Decimal | None]:
    base = {"type": "BUY", "date": "2024-01-03T00:00:00.000Z", "symbol": "MSFT", "currency": "USD",
            "quantity": 3, "unitPrice": 410.1, "fee": 0}
    (row,) = parse_ghostfolio(json.dumps({"activities": [{**base, **activity}]}))
    t = row.transaction
    return [t.quantity, t.price, t.amount, t.fees]


def test_ghostfolio_floats_become_decimals_of_at_most_18_places() -> None:
    assert _ghostfolio(quantity=1e-05, unitPrice=185.64)[:2] == [Decimal("0.00001"), Decimal("185.64")]
    assert _ghostfolio(quantity=1.2345e-16)[0] == Decimal("0.000000000000000123")
    # a dividend's amount is quantity x unit price, rounded to 18 places
    amount = _ghostfolio(type="DIVIDEND", quantity=0.1234567891, unitPrice=0.9876543219)[2]
    assert amount == (Decimal("0.1234567891") * Decimal("0.9876543219")).quantize(Decimal(1).scaleb(-18))


@pytest.mark.parametrize("bad", ["１２", "NaN", True, [1], {"a": 1}])
def test_ghostfolio_refuses_what_is_not_a_number(bad: object) -> None:
    with pytest.raises(ImportError_) as ei:
        _ghostfolio(quantity=bad)
    assert (ei.value.column, ei.value.reason) == ("quantity", "INVALID_DECIMAL")


def _csv_date(text: str) -> object:
    (row,) = parse_csv(HEADER + f"{text},DEPOSIT,,,,100,USD,,,d1,\n")
    return row.transaction.trade_date


@pytest.mark.parametrize("text", ["2024-01-0299", "20240103", "2024-W02-3", "2024-01-05T23:59:59-05:00", "02/01/2024",
                                  "2024-1-5", "2024-02-30"])
def test_csv_dates_are_exactly_yyyy_mm_dd(text: str) -> None:
    """A typo after the date, a basic or week date, a timestamp: refused, never read as some date."""
    with pytest.raises(ImportError_) as ei:
        _csv_date(text)
    assert (ei.value.line, ei.value.column, ei.value.reason) == (2, "date", "INVALID_DATE")


def test_ghostfolio_timestamps_give_their_date_and_garbage_is_refused() -> None:
    (row,) = parse_ghostfolio(json.dumps({"activities": [{"type": "BUY", "date": "2024-01-03T23:00:00.000Z",
                                                          "symbol": "MSFT", "quantity": 1, "unitPrice": 1, "fee": 0}]}))
    assert str(row.transaction.trade_date) == "2024-01-03"
    with pytest.raises(ImportError_) as ei:
        _ghostfolio(date="2024-01-03Tnonsense")
    assert ei.value.reason == "INVALID_DATE"


def test_a_file_separated_by_semicolons_is_named_so() -> None:
    with pytest.raises(ImportError_) as ei:
        parse_csv(HEADER.replace(",", ";") + "2024-01-03;DEPOSIT;;;;100;USD;;;d1;\r\n")
    assert (ei.value.line, ei.value.column) == (1, "header") and "semicolons" in ei.value.message


def test_an_unclosed_quote_is_reported_on_the_line_it_opens() -> None:
    text = HEADER + "2024-01-02,DEPOSIT,,,,100,USD,,,d1,ok\n" + '"2024-01-03,DEPOSIT,,,,5,USD,,,d2,\n' + \
        "2024-01-04,DEPOSIT,,,,7,USD,,,d3,\n"
    with pytest.raises(ImportError_) as ei:
        parse_csv(text)
    assert ei.value.line == 3 and "never closed" in ei.value.message

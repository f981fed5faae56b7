"""Request field parsing shared by the servicers (stack_cfo.api.validation)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.api.validation import parse_decimal
from stack_cfo.core.errors import InvalidArgument


@pytest.mark.parametrize("text", ["12", "0", "-3.5", "123.450000000000000001", "1" * 30])
def test_plain_ascii_decimals_are_read(text: str) -> None:
    assert parse_decimal(text, "quantity", allow_negative=True) == Decimal(text)


@pytest.mark.parametrize(
    "text",
    [
        "１２",  # fullwidth digits: Decimal reads them, clients in other languages do not
        "٣.٥",  # Arabic-Indic digits
        "12\n",  # a trailing newline (``$`` would allow it)
        "\n12",
        " 12",
        "1e5",
        "NaN",
        "+1",
        "1.",
        ".5",
        "1" * 31,
    ],
)
def test_anything_else_is_invalid_decimal_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_decimal(text, "transactions[0].quantity")
    assert err.value.reason == "INVALID_DECIMAL"
    assert [v.field for v in err.value.violations] == ["transactions[0].quantity"]


@pytest.mark.parametrize(
    ("year", "month", "day", "reason"),
    [(10000, 1, 1, "OUT_OF_RANGE"), (1899, 12, 31, "OUT_OF_RANGE"), (2200, 2, 30, "OUT_OF_RANGE"),
     (2024, 2, 30, "INVALID_DATE"), (2024, 13, 1, "INVALID_DATE")],
)
def test_dates_outside_the_years_are_out_of_range_before_being_checked_as_dates(
    year: int, month: int, day: int, reason: str
) -> None:
    from types import SimpleNamespace

    from stack_cfo.api.validation import from_date

    with pytest.raises(InvalidArgument) as ei:
        from_date(SimpleNamespace(year=year, month=month, day=day), "dates.start_date")
    assert ei.value.reason == reason
    assert ei.value.metadata["value"] == f"{year:04d}-{month:02d}-{day:02d}"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1" + "0" * 60, "has 61 digits before the decimal point; at most 30 are accepted"),
        ("0." + "1" * 19, "has 19 decimal places; at most 18 are accepted"),
        ("1e5000", "is in exponent notation"),
        ("1e-400000", "is in exponent notation"),
        ("abc", 'is not a decimal string like "123.45"'),
    ],
)
def test_a_refused_decimal_says_why(text: str, says: str) -> None:
    # a tester: a well-formed decimal of 61 digits was called "not a decimal string"
    with pytest.raises(InvalidArgument) as err:
        parse_decimal(text, "positions[0].quantity")
    assert err.value.reason == "INVALID_DECIMAL"
    assert says in err.value.violations[0].description

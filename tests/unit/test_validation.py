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

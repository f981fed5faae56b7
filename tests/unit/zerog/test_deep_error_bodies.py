"""A provider's error body nested deeper than the recursion limit made SendMessage and
StreamPortfolioSummary end INTERNAL (RecursionError is not a ValueError); every JSON document
from outside the process now reads as malformed instead."""

from __future__ import annotations

import pytest

from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.errors import ProviderUnavailable
from stack_cfo.zerog.upstream import classify_common, error_code, error_message

DEEP = [
    "[" * 100_000,
    '{"error":' * 50_000,
    '{"error":' + "[" * 985 + "]" * 985 + "}",
    '{"error": {"message": ' + "[" * 985 + "]" * 985 + ', "code": ' + "[" * 985 + "]" * 985 + "}}",
]


@pytest.mark.parametrize("body", DEEP)
def test_a_deep_error_body_is_read_as_text(body: str) -> None:
    assert error_message(body).startswith(body[:20])
    assert error_code(body) is None
    assert isinstance(classify_common("0xprovider", 500, body, {}), ProviderUnavailable)


def test_json_from_outside_nested_too_deep_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        json_loads("[" * 100_000)
    assert json_loads('{"error": {"message": "busy"}}') == {"error": {"message": "busy"}}
    assert error_message('{"error": {"message": "busy"}}') == "busy"
    assert error_code('{"error": {"code": "rate_limited"}}') == "rate_limited"

"""A batch reports every bad item in one INVALID_ARGUMENT (core.errors.each_checked)."""

from __future__ import annotations

import pytest

from stack_cfo.core.errors import FieldViolation, InvalidArgument, each_checked


def _check(value: int, i: int) -> int:
    if value < 0:
        raise InvalidArgument.field(f"rows[{i}].value", "must not be negative", reason="NEGATIVE_VALUE")
    if value > 100:
        raise InvalidArgument.field(f"rows[{i}].value", "must be at most 100", reason="OUT_OF_RANGE")
    return value * 2


def test_good_items_come_back_in_order() -> None:
    assert each_checked([1, 2, 3], _check, prefix="rows") == [2, 4, 6]
    assert each_checked([], _check, prefix="rows") == []


def test_one_bad_item_is_its_own_error_unchanged() -> None:
    with pytest.raises(InvalidArgument) as ei:
        each_checked([1, -1, 2], _check, prefix="rows")
    assert ei.value.message == "rows[1].value: must not be negative"
    assert ei.value.violations == [FieldViolation("rows[1].value", "must not be negative")]
    assert "violation_count" not in ei.value.metadata


def test_every_bad_item_is_reported_with_the_first_ones_reason() -> None:
    with pytest.raises(InvalidArgument) as ei:
        each_checked([-1, 5, 500, -2], _check, prefix="rows")
    err = ei.value
    assert [v.field for v in err.violations] == ["rows[0].value", "rows[2].value", "rows[3].value"]
    assert err.reason == "NEGATIVE_VALUE"
    assert err.metadata["field"] == "rows[0].value"
    assert err.metadata["violation_count"] == "3"
    assert err.message.startswith("rows[0].value: must not be negative (2 more items with problems")


def test_it_stops_after_the_limit_and_says_where() -> None:
    with pytest.raises(InvalidArgument) as ei:
        each_checked([-1] * 10, _check, prefix="rows", limit=3)
    err = ei.value
    assert len(err.violations) == 3
    assert err.metadata["unchecked_from"] == "rows[3]"
    assert "items from rows[3] on not checked" in err.message


def test_other_errors_are_not_collected() -> None:
    def boom(value: int, i: int) -> int:
        raise KeyError(value)

    with pytest.raises(KeyError):
        each_checked([1, 2], boom)


def test_every_violation_of_a_combined_error_carries_its_own_items_reason() -> None:
    # a tester: RecordExchangeRates / RecordPrices / UpdatePortfolioSettings / SyncPortfolio with several bad
    # items gave a reason to the first violation only (the second, OUT_OF_RANGE, had none on the wire)
    from stack_cfo.api.errors import violation_reason

    with pytest.raises(InvalidArgument) as ei:
        each_checked([-1, 5, 500, -2], _check, prefix="rows")
    err = ei.value
    assert [v.reason for v in err.violations] == ["NEGATIVE_VALUE", "OUT_OF_RANGE", "NEGATIVE_VALUE"]
    assert [violation_reason(err, k) for k in range(3)] == ["NEGATIVE_VALUE", "OUT_OF_RANGE", "NEGATIVE_VALUE"]
    # combined again (a request's parts checked apart): the reasons stay
    again = InvalidArgument.combine([err, InvalidArgument.field("other", "bad", reason="INVALID_OTHER")])
    assert [violation_reason(again, k) for k in range(4)] == [
        "NEGATIVE_VALUE", "OUT_OF_RANGE", "NEGATIVE_VALUE", "INVALID_OTHER"]

"""Bad input, round 9: the count in a combined error's message, SyncPortfolio's parse and domain
problems in one error, a batch row holding U+0000 refused like a row that does not parse."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.decoding import refuses_nul_itself
from stack_cfo.api.errors import to_status
from stack_cfo.api.servicers.ledger import LedgerRpcs, transaction_input
from stack_cfo.api.servicers.portfolio_requests import _UNPARSED_POSITION
from stack_cfo.core.errors import InvalidArgument, each_checked
from stack_cfo.core.portfolio.inputs import FlowInput, FlowType, HoldingInput, SyncCommand, validate_sync
from stack_cfo.core.portfolio.ledger_service import batch_error, check_rows

NOW = datetime(2024, 3, 1, 23, 0, tzinfo=UTC)


def _negative(value: int, i: int) -> int:
    if value < 0:
        raise InvalidArgument.field(f"rows[{i}].value", "must not be negative", reason="NEGATIVE_VALUE")
    return value


def test_combining_combined_errors_counts_every_further_violation_once() -> None:
    with pytest.raises(InvalidArgument) as ei:
        each_checked([-1, -2, -3], _negative, prefix="rows")
    rows = ei.value
    again = InvalidArgument.combine([InvalidArgument.field("cash", "bad", reason="INVALID_DECIMAL"), rows])
    assert len(again.violations) == 4 and again.metadata["violation_count"] == "4"
    # it said "cash: bad (1 more item with problems: ...)": the errors combined, not the violations
    assert again.message == "cash: bad (3 more items with problems: see the field violations)"
    # a combined error first: its count is not said twice
    again = InvalidArgument.combine([rows, InvalidArgument.field("cash", "bad")])
    assert again.message == "rows[0].value: must not be negative (3 more items with problems: see the field violations)"
    assert again.message == to_status(again).message


def test_a_combined_error_that_stopped_early_still_says_where() -> None:
    with pytest.raises(InvalidArgument) as ei:
        each_checked([-1] * 5, _negative, prefix="rows", limit=2)
    again = InvalidArgument.combine([ei.value, InvalidArgument.field("cash", "bad")])
    assert again.metadata["unchecked_from"] == "rows[2]"
    assert again.message.endswith("(2 more items with problems; items from rows[2] on not checked: "
                                  "see the field violations)"), again.message


def _sync(**fields: object) -> SyncCommand:
    base: dict[str, object] = {"user_id": "u", "positions": (), "cash_balance": Decimal(0)}
    base.update(fields)
    return SyncCommand(**base)  # type: ignore[arg-type]


def _fields(exc: InvalidArgument) -> list[tuple[str, str]]:
    return [(v.field, v.reason) for v in exc.violations]


def test_validate_sync_reports_malformed_values_with_the_domain_problems() -> None:
    cmd = _sync(
        positions=(_UNPARSED_POSITION, HoldingInput("AAA", Decimal(1)), HoldingInput("aaa", Decimal(2)),
                   HoldingInput("BBB", Decimal(1), currency="XYZ")),
        cash_flows=(FlowInput(FlowType.DEPOSIT, Decimal(-5), occurred_on=date(2024, 3, 1)),),
        effective_date=date(2024, 3, 5),
        malformed_fields={"cash_balance": InvalidArgument.field("cash_balance", "not a decimal",
                                                                reason="INVALID_DECIMAL")},
        malformed_positions={0: InvalidArgument.field("positions[0].quantity", "not a decimal",
                                                      reason="INVALID_DECIMAL")},
    )
    with pytest.raises(InvalidArgument) as ei:
        validate_sync(cmd, NOW)
    assert _fields(ei.value) == [("cash_balance", "INVALID_DECIMAL"), ("positions[0].quantity", "INVALID_DECIMAL"),
                                 ("positions[2].symbol", "DUPLICATE_SYMBOL"),
                                 ("positions[3].currency", "UNKNOWN_CURRENCY"),
                                 ("cash_flows[0].amount", "NEGATIVE_AMOUNT"), ("effective_date", "FUTURE_DATE")]
    assert ei.value.reason == "INVALID_DECIMAL" and ei.value.metadata["violation_count"] == "6"


def test_an_unknown_base_currency_is_reported_once() -> None:
    cmd = _sync(base_currency="ABC", positions=(HoldingInput("AAA", Decimal(1)), HoldingInput("BBB", Decimal(-1))),
                cash_flows=(FlowInput(FlowType.DEPOSIT, Decimal(5), occurred_on=date(2024, 3, 1)),))
    with pytest.raises(InvalidArgument) as ei:
        validate_sync(cmd, NOW)
    assert _fields(ei.value) == [("base_currency", "UNKNOWN_CURRENCY"), ("positions[1].quantity", "NEGATIVE_QUANTITY")]


def test_validate_sync_of_good_input_is_unchanged() -> None:
    out = validate_sync(_sync(positions=(HoldingInput("aaa", Decimal(1)),), cash_balance=Decimal(3)), NOW)
    assert (out.base_currency, [h.symbol for h in out.positions], out.cash_balance) == ("USD", ["AAA"], Decimal(3))
    assert (out.malformed_fields, out.malformed_positions, out.malformed_flows) == ({}, {}, {})


def _tx(**fields: object) -> portfolio_pb2.Transaction:
    values: dict[str, object] = {"type": portfolio_pb2.TRANSACTION_TYPE_BUY, "quantity": "1", "price": "1"}
    values.update(fields)
    return portfolio_pb2.Transaction(**values)  # type: ignore[arg-type]


def test_a_row_with_nul_names_every_such_field_of_it() -> None:
    with pytest.raises(InvalidArgument) as ei:
        transaction_input(_tx(symbol="A\x00", note="x\x00", client_id="ok"), "transactions[3]")
    assert _fields(ei.value) == [("transactions[3].symbol", "INVALID_TEXT"), ("transactions[3].note", "INVALID_TEXT")]
    assert ei.value.message == "transactions[3].symbol: must not contain the NUL character (U+0000)"
    assert transaction_input(_tx(symbol="AAA"), "transactions[0]").symbol == "AAA"


def test_a_row_with_nul_is_reported_with_the_other_rows_problems() -> None:
    rows = [_tx(symbol="AAA", note="a\x00"), _tx(symbol="BBB", quantity="-1"), _tx(symbol="CCC", client_id="\x00",
                                                                                   currency="\x00")]
    parsed, malformed = [], {}
    for i, t in enumerate(rows):
        t.trade_date.year, t.trade_date.month, t.trade_date.day = 2024, 3, 1
        try:
            parsed.append(transaction_input(t, f"transactions[{i}]"))
        except InvalidArgument as exc:
            malformed[i] = exc
            parsed.append(transaction_input(_tx(), "x"))
    valid, problems = check_rows(parsed, base_currency="USD", now=NOW, limit=None, malformed=malformed)
    err = batch_error(problems)
    assert _fields(err) == [("transactions[0].note", "INVALID_TEXT"), ("transactions[1].quantity", "NEGATIVE_QUANTITY"),
                            ("transactions[2].currency", "INVALID_TEXT"), ("transactions[2].client_id", "INVALID_TEXT")]
    assert err.message.endswith("(3 more items with problems: see the field violations)"), err.message
    assert valid == {}


def test_batch_create_transactions_is_marked_to_refuse_nul_itself() -> None:
    assert refuses_nul_itself(LedgerRpcs.BatchCreateTransactions)
    assert not refuses_nul_itself(LedgerRpcs.UpdateTransaction)


@pytest.mark.parametrize("first_problem", [
    {"currency": "XXX"},  # UNKNOWN_CURRENCY
    {"amount": Decimal(-5)},  # NEGATIVE_AMOUNT
    {"type": None},  # MISSING_FIELD
])
def test_a_duplicate_flow_id_is_reported_though_its_first_flow_has_another_problem(
    first_problem: dict[str, object],
) -> None:
    # the id was taken only from flows that passed their other checks: the client saw the first flow's problem,
    # fixed it, and only then learnt of the duplicate id (an import tester; "every field's problem in one error")
    first = FlowInput(FlowType.DEPOSIT, Decimal(5), occurred_on=date(2024, 2, 1), external_id="c")
    first = FlowInput(**{**{f: getattr(first, f) for f in FlowInput.__slots__}, **first_problem})  # type: ignore[arg-type]
    second = FlowInput(FlowType.DEPOSIT, Decimal(6), occurred_on=date(2024, 2, 2), external_id="c")
    with pytest.raises(InvalidArgument) as ei:
        validate_sync(_sync(cash_flows=(first, second)), NOW)
    fields = _fields(ei.value)
    assert fields[-1] == ("cash_flows[1].id", "DUPLICATE_FLOW_ID") and len(fields) == 2, fields


def test_the_same_flow_twice_is_still_no_duplicate() -> None:
    flow = FlowInput(FlowType.DEPOSIT, Decimal(5), occurred_on=date(2024, 2, 1), external_id="c")
    out = validate_sync(_sync(cash_flows=(flow, flow)), NOW)
    assert len(out.cash_flows) == 2

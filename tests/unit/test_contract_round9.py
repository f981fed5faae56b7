"""Round 9 contract fixes, unit level.

* A supplied portfolio context (UpdatePortfolioContext) keeps every field of ``PositionSummary``:
  ``realized_pnl_amount``, ``income_amount``, ``exchange_rate``, ``local_return_percent`` and
  ``currency_effect_percent`` used to be dropped without a word (NaN and infinities in the two doubles
  accepted, then dropped), and a server-built context never returned the exchange rate and the two
  returns it computed.
* ``from_timestamp`` reads a present Timestamp of zero as the epoch, not as "unset".
* A cash flow or a news article dated before 1970 is refused, as holdings days and trade dates are.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from stack_cfo.api.servicers.chat import context_from_proto, context_to_proto
from stack_cfo.api.validation import from_timestamp
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.models import ContextPosition, PortfolioContext
from stack_cfo.core.chat.portfolio_context import position_wire_size
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.inputs import (
    ArticleInput,
    FlowInput,
    FlowType,
    SyncCommand,
    validate_articles,
    validate_sync,
)

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
F = "portfolio_context.positions[0]"


def _sap(**fields: object) -> chat_pb2.PortfolioContext:
    pos = portfolio_pb2.PositionSummary(symbol="SAP", quantity="10", currency="EUR", last_price="100",
                                        market_value="1100", average_cost="90")
    for k, v in fields.items():
        setattr(pos, k, v)
    return chat_pb2.PortfolioContext(base_currency="USD", total_value="1100", positions=[pos])


NEW_FIELDS: dict[str, object] = {
    "realized_pnl_amount": "-12.5",
    "income_amount": "3.25",
    "exchange_rate": "1.123456789",
    "local_return_percent": 11.25,
    "currency_effect_percent": -2.5,
}


def test_every_newer_position_field_of_a_supplied_context_is_read_and_returned() -> None:
    ctx = context_from_proto(_sap(**NEW_FIELDS), NOW)
    (p,) = ctx.positions
    assert (p.realized_pnl, p.income, p.exchange_rate) == (Decimal("-12.5"), Decimal("3.25"), Decimal("1.123456789"))
    assert (p.local_return, p.currency_effect) == (0.1125, -0.025)  # fractions in the domain
    out = chat_pb2.PortfolioContext()
    context_to_proto(ctx, out)
    (q,) = out.positions
    assert {k: getattr(q, k) for k in NEW_FIELDS} == NEW_FIELDS
    # stored as the session keeps it (JSON) and read back: the same
    again = PortfolioContext.from_json(ctx.to_json())
    assert again.positions == ctx.positions


def test_unset_newer_fields_stay_unset() -> None:
    ctx = context_from_proto(_sap(), NOW)
    (p,) = ctx.positions
    assert (p.realized_pnl, p.income, p.exchange_rate, p.local_return, p.currency_effect) == (None,) * 5
    out = chat_pb2.PortfolioContext()
    context_to_proto(ctx, out)
    (q,) = out.positions
    assert (q.realized_pnl_amount, q.income_amount, q.exchange_rate) == ("", "", "")
    assert not q.HasField("local_return_percent") and not q.HasField("currency_effect_percent")
    # a stored context without them keeps its JSON as before (no new keys)
    assert "realized_pnl" not in ctx.to_json()["positions"][0] and "income" not in ctx.to_json()["positions"][0]


@pytest.mark.parametrize("name", ["local_return_percent", "currency_effect_percent"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e13])
def test_the_returns_are_checked_as_their_siblings(name: str, value: float) -> None:
    with pytest.raises(InvalidArgument) as ei:
        context_from_proto(_sap(**{name: value}), NOW)
    assert [v.field for v in ei.value.violations] == [f"{F}.{name}"] and ei.value.reason == "OUT_OF_RANGE"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("realized_pnl_amount", "1e3", "INVALID_DECIMAL"),
        ("realized_pnl_amount", "1" + "0" * 18, "OUT_OF_RANGE"),
        ("income_amount", "NaN", "INVALID_DECIMAL"),
        ("income_amount", "-" + "9" * 19, "OUT_OF_RANGE"),
        ("exchange_rate", "abc", "INVALID_DECIMAL"),
        ("exchange_rate", "-1.1", "NEGATIVE_VALUE"),
        ("exchange_rate", "0", "ZERO_VALUE"),
        ("exchange_rate", "1" + "0" * 18, "OUT_OF_RANGE"),
    ],
)
def test_the_amounts_are_checked_as_their_siblings(name: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        context_from_proto(_sap(**{name: value}), NOW)
    assert [v.field for v in ei.value.violations] == [f"{F}.{name}"] and ei.value.reason == reason


def test_negative_realized_pnl_and_income_are_accepted() -> None:
    (p,) = context_from_proto(_sap(realized_pnl_amount="-5", income_amount="-0.5"), NOW).positions
    assert (p.realized_pnl, p.income) == (Decimal(-5), Decimal("-0.5"))


def test_the_data_block_of_a_supplied_context_has_its_currency_split() -> None:
    """What a computed context tells the model about a position in another currency, a supplied one
    now tells it too (it was left out: the fields were dropped)."""
    doc = context_document(context_from_proto(_sap(**NEW_FIELDS), NOW), NOW)
    (sap,) = doc["positions"]
    assert sap["price_currency"] == "EUR"
    assert (sap["exchange_rate"], sap["local_return"], sap["currency_effect_return"]) == ("1.12345679", 0.1125, -0.025)


def test_the_wire_size_counts_the_newer_fields() -> None:
    """``position_wire_size`` stays an upper bound (within a few bytes) of what is sent, with them."""
    p = ContextPosition(symbol="SAP", quantity=Decimal("10"), currency="EUR", realized_pnl=Decimal("-123456789.123"),
                        income=Decimal("0.000000001"), exchange_rate=Decimal("1.123456789012345678"),
                        local_return=-1e10, currency_effect=0.0)
    empty = PortfolioContext(snapshot_time=NOW, base_currency="USD")

    def wire(ctx: PortfolioContext) -> int:
        out = chat_pb2.PortfolioContext()
        context_to_proto(ctx, out)
        return out.ByteSize()

    for pos in (p, dataclasses.replace(p, local_return=None, currency_effect=None, exchange_rate=None)):
        actual = wire(dataclasses.replace(empty, positions=(pos,))) - wire(empty)
        assert actual <= position_wire_size(pos) <= actual + 16, (actual, position_wire_size(pos))


# --- from_timestamp ------------------------------------------------------------------------------


def test_a_present_zero_timestamp_is_the_epoch() -> None:
    zero = Timestamp()
    assert from_timestamp(zero, "t", present=True) == EPOCH
    assert from_timestamp(zero, "t", required=True, present=True) == EPOCH
    # unset: as before
    assert from_timestamp(zero, "t", present=False) is None
    with pytest.raises(InvalidArgument) as ei:
        from_timestamp(zero, "t", required=True, present=False)
    assert ei.value.reason == "MISSING_FIELD"
    # a caller that cannot tell keeps the old reading
    assert from_timestamp(zero, "t") is None


def test_a_supplied_context_at_the_epoch_keeps_its_times() -> None:
    msg = _sap()
    msg.snapshot_time.CopyFrom(Timestamp())  # present, zero
    msg.positions[0].last_price_time.CopyFrom(Timestamp())
    ctx = context_from_proto(msg, NOW)
    assert ctx.snapshot_time == EPOCH and ctx.positions[0].last_price_time == EPOCH


# --- dates before 1970 ---------------------------------------------------------------------------


def _article(at: datetime | None) -> ArticleInput:
    return ArticleInput(id="a1", source="Reuters", published_at=at, title="T", summary="", url="", symbols=())


def test_an_article_published_before_1970_is_out_of_range() -> None:
    with pytest.raises(InvalidArgument) as ei:
        validate_articles([_article(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))], NOW)
    assert [v.field for v in ei.value.violations] == ["articles[0].publish_time"]
    assert ei.value.reason == "OUT_OF_RANGE" and "1970-01-01" in str(ei.value)
    assert validate_articles([_article(EPOCH)], NOW)[0].published_at == EPOCH


def _flow(**when: object) -> FlowInput:
    return FlowInput(type=FlowType.DEPOSIT, amount=Decimal(100), **when)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flow", "field"),
    [
        (_flow(occurred_on=date(1969, 12, 31)), "cash_flows[0].occur_date"),
        (_flow(occurred_at=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)), "cash_flows[0].occur_time"),
    ],
)
def test_a_cash_flow_before_1970_is_refused_as_a_holdings_day_is(flow: FlowInput, field: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        validate_sync(SyncCommand(user_id="u", positions=(), cash_balance=Decimal(0), cash_flows=(flow,)), NOW)
    assert [v.field for v in ei.value.violations] == [field]
    assert ei.value.reason == "OUT_OF_RANGE" and "must be on or after 1970-01-01" in str(ei.value)
    # the same words as a holdings day before 1970
    with pytest.raises(InvalidArgument) as day:
        validate_sync(SyncCommand(user_id="u", positions=(), cash_balance=Decimal(0),
                                  effective_date=date(1969, 12, 31)), NOW)
    assert day.value.reason == "OUT_OF_RANGE" and "must be on or after 1970-01-01" in str(day.value)


def test_a_cash_flow_on_the_first_day_of_1970_is_accepted() -> None:
    cmd = validate_sync(SyncCommand(user_id="u", positions=(), cash_balance=Decimal(0), cash_flows=(
        _flow(occurred_on=date(1970, 1, 1)), _flow(occurred_at=EPOCH))), NOW)
    assert len(cmd.cash_flows) == 2

"""A portfolio context supplied by a service (UpdatePortfolioContext) reports every bad position."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, common_pb2, portfolio_pb2
from stack_cfo.api.servicers.chat import context_from_proto
from stack_cfo.core.errors import InvalidArgument

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)


def test_every_bad_position_is_named() -> None:
    msg = chat_pb2.PortfolioContext(base_currency="USD", total_value="100", positions=[
        portfolio_pb2.PositionSummary(symbol="AAPL", quantity="1"),
        portfolio_pb2.PositionSummary(symbol="MSFT", quantity="1e3"),
        portfolio_pb2.PositionSummary(symbol="", quantity="2"),
    ])
    with pytest.raises(InvalidArgument) as ei:
        context_from_proto(msg, NOW)
    assert [v.field for v in ei.value.violations] == [
        "portfolio_context.positions[1].quantity", "portfolio_context.positions[2].symbol"]
    assert ei.value.reason == "INVALID_DECIMAL"


def test_good_positions_are_read() -> None:
    msg = chat_pb2.PortfolioContext(base_currency="USD", total_value="100", positions=[
        portfolio_pb2.PositionSummary(symbol="AAPL", quantity="1.5", market_value="100")])
    ctx = context_from_proto(msg, NOW)
    assert [(p.symbol, str(p.quantity)) for p in ctx.positions] == [("AAPL", "1.5")]


@pytest.mark.parametrize(
    ("msg", "field", "reason"),
    [
        (chat_pb2.PortfolioContext(base_currency="usd"), "portfolio_context.base_currency", "UNKNOWN_CURRENCY"),
        (chat_pb2.PortfolioContext(base_currency="XYZ"), "portfolio_context.base_currency", "UNKNOWN_CURRENCY"),
        (chat_pb2.PortfolioContext(base_currency="USD", positions=[
            portfolio_pb2.PositionSummary(symbol="SAP", quantity="1", currency="eur")]),
         "portfolio_context.positions[0].currency", "UNKNOWN_CURRENCY"),
        (chat_pb2.PortfolioContext(base_currency="USD", risk=portfolio_pb2.RiskMetrics(
            volatility=common_pb2.Metric(value=0.2, reason=common_pb2.METRIC_UNAVAILABLE_REASON_UNDEFINED))),
         "portfolio_context.risk.volatility.reason", "REASON_WITH_VALUE"),
    ],
)
def test_currencies_and_metrics_follow_the_contract(msg: chat_pb2.PortfolioContext, field: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        context_from_proto(msg, NOW)
    assert [v.field for v in ei.value.violations] == [field] and ei.value.reason == reason


def test_a_context_without_currency_and_known_ones_are_read() -> None:
    assert context_from_proto(chat_pb2.PortfolioContext(), NOW).base_currency == ""
    ctx = context_from_proto(chat_pb2.PortfolioContext(base_currency="EUR", positions=[
        portfolio_pb2.PositionSummary(symbol="SAP", quantity="1", currency="EUR"),
        portfolio_pb2.PositionSummary(symbol="ASML", quantity="1")]), NOW)
    assert [p.currency for p in ctx.positions] == ["EUR", "EUR"]

"""Daily token budget, staleness, and the JSON forms of contexts and transcripts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from stack_cfo.core.chat.budget import check_budget, until_next_day, usage_day
from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
    ContextPosition,
    ContextRisk,
    MessageRole,
    PortfolioContext,
    RiskFigure,
    SessionStatus,
)
from stack_cfo.core.chat.staleness import is_stale
from stack_cfo.core.chat.transcript import encode_transcript, parse_transcript, transcript_document
from stack_cfo.core.errors import FailedPrecondition, ResourceExhausted

NOW = datetime(2026, 3, 2, 23, 0, 30, tzinfo=UTC)


def test_budget_refuses_once_spent_and_says_when_it_resets() -> None:
    check_budget(999, 1000, NOW)
    check_budget(10**9, 0, NOW)  # 0 = unlimited
    with pytest.raises(ResourceExhausted) as ei:
        check_budget(1000, 1000, NOW)
    err = ei.value
    assert err.reason == "TOKEN_BUDGET_EXHAUSTED"
    assert err.retry_after == timedelta(minutes=59, seconds=30)
    assert err.metadata["retry_after_seconds"] == "3570" and err.metadata["day"] == "2026-03-02"
    assert usage_day(NOW) == date(2026, 3, 2)
    assert until_next_day(datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC)) == timedelta(seconds=1)


def test_staleness_limit() -> None:
    ctx = PortfolioContext(snapshot_time=NOW - timedelta(minutes=15), total_value=Decimal(100))
    assert not is_stale(ctx, NOW, timedelta(minutes=15))
    assert is_stale(ctx, NOW + timedelta(seconds=1), timedelta(minutes=15))
    empty = PortfolioContext(snapshot_time=NOW)  # no portfolio data yet: refreshed whatever its age
    assert is_stale(empty, NOW, timedelta(minutes=15))


def _context() -> PortfolioContext:
    return PortfolioContext(
        snapshot_time=NOW,
        base_currency="EUR",
        total_value=Decimal("1234.5600"),
        total_return_amount=Decimal("-10.5"),
        total_return_percent=-0.85,
        day_change_amount=Decimal("0"),
        day_change_percent=None,
        positions=(
            ContextPosition(symbol="SAP", quantity=Decimal("3.25"), currency="EUR", sector="Tech", basket="b",
                            asset_class="EQUITY", tags=("x",), last_price_time=NOW, weight=0.5,
                            unrealized_pnl=Decimal("-1.1"), unrealized_pnl_percent=float("nan")),
        ),
        risk=ContextRisk(observation_count=30, start_date=date(2026, 1, 2), end_date=date(2026, 3, 2),
                         risk_free_rate=0.02, benchmark_symbol="SPY",
                         figures={"sharpe": RiskFigure(1.25), "beta": RiskFigure(None, "NO_BENCHMARK")}),
    )


def test_context_json_round_trip_keeps_exact_money_and_drops_non_finite() -> None:
    ctx = _context()
    back = PortfolioContext.from_json(ctx.to_json())
    assert back.total_value == Decimal("1234.5600") and back.total_return_amount == Decimal("-10.5")
    assert back.positions[0].quantity == Decimal("3.25") and back.positions[0].unrealized_pnl_percent is None
    assert back.positions[0].last_price_time == NOW
    assert back.risk is not None and back.risk.figures["sharpe"].value == 1.25
    assert back.risk.figures["beta"] == RiskFigure(None, "NO_BENCHMARK")
    assert back == PortfolioContext.from_json(back.to_json())
    assert PortfolioContext.from_json({}, default_time=NOW).is_empty


def test_transcript_round_trip() -> None:
    session = ChatSession(id="11111111-1111-4111-8111-111111111111", user_id="22222222-2222-4222-8222-222222222222",
                          title="t", status=SessionStatus.ACTIVE, provider="router", model="m", context=_context(),
                          tokens_used=7, message_count=2, created_at=NOW)
    msgs = [
        ChatMessage(id="a", session_id=session.id, seq=1, role=MessageRole.USER, content="q ü", created_at=NOW),
        ChatMessage(id="b", session_id=session.id, seq=2, role=MessageRole.ASSISTANT, content="a", created_at=NOW,
                    prompt_tokens=5, completion_tokens=2, fee_neuron=10**20, incomplete=True,
                    degraded=True, degraded_reason="COMPUTE_STREAM_BROKEN"),
    ]
    data = encode_transcript(transcript_document(session, msgs, [], archived_at=NOW))
    t = parse_transcript(data)
    assert t.session.id == session.id and t.session.user_id == session.user_id
    assert t.session.status is SessionStatus.ARCHIVED and t.session.archive_time == NOW
    assert t.session.context == session.context
    assert [(m.seq, m.content, m.incomplete, m.fee_neuron, m.degraded_reason) for m in t.messages] == [
        (1, "q ü", False, None, ""), (2, "a", True, 10**20, "COMPUTE_STREAM_BROKEN")]
    # Archives written before degraded_reason existed read back with an empty one.
    old = json.loads(data)
    for m in old["messages"]:
        del m["degraded_reason"]
    assert [m.degraded_reason for m in parse_transcript(json.dumps(old).encode()).messages] == ["", ""]
    with pytest.raises(FailedPrecondition) as ei:
        parse_transcript(b'{"format": "other"}')
    assert ei.value.reason == "ARCHIVE_FORMAT_UNKNOWN"

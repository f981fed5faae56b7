"""Closes recorded weekly, monthly or quarterly: the per-trading-day figures are absent (SPARSE_HISTORY).

Before, 31 years of quarterly closes (127 returns) gave a CAGR of (1 + TWR)^(252/127) - 1 = +36,686 %
a year, and volatility, Sharpe and VaR scaled as if each quarter were a day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stack_cfo.core.portfolio import AnalyticsSettings, PortfolioInputs, UnavailableReason, compute_summary
from stack_cfo.core.portfolio.risk import compute_risk, is_sparse
from stack_cfo.core.portfolio.settings import RiskParameters

from .factories import after_close, normal_returns, position, prices_from_returns, series, snapshot

SPARSE = UnavailableReason.SPARSE_HISTORY
PER_DAY = ("volatility", "sharpe", "sortino", "cagr", "calmar", "var_95", "cvar_95", "alpha")


def _every(start: date, n: int, step_days: int) -> list[date]:
    """``n`` weekdays ``step_days`` apart (moved forward off weekends)."""
    out = []
    d = start
    for _ in range(n):
        while d.weekday() >= 5:
            d += timedelta(days=1)
        out.append(d)
        d += timedelta(days=step_days)
    return out


def test_is_sparse_separates_daily_from_weekly_series() -> None:
    start = date(2024, 1, 1)
    assert not is_sparse(260, start, date(2024, 12, 31))  # daily: about one return per weekday
    assert not is_sparse(200, start, date(2024, 12, 31))  # a daily series with gaps (an illiquid stock)
    assert is_sparse(52, start, date(2024, 12, 31))  # weekly
    assert not is_sparse(5, start, start)  # no span: nothing to say
    assert not is_sparse(5, None, None)


def test_quarterly_returns_have_no_per_day_figures_but_keep_the_chained_ones() -> None:
    returns = normal_returns(127, seed=3, mu=0.02, sigma=0.08)
    days = _every(date(1995, 1, 3), 128, 91)
    bench = normal_returns(127, seed=4, mu=0.02, sigma=0.07)
    r = compute_risk(returns, bench, start=days[0], end=days[-1])
    for name in PER_DAY:
        assert getattr(r, name).reason is SPARSE, name
    for name in ("cumulative_return", "max_drawdown", "current_drawdown", "beta"):
        assert getattr(r, name).value is not None, name
    assert r.observations == 127


def test_a_daily_series_is_unchanged() -> None:
    returns = normal_returns(300, seed=5)
    days = _every(date(2023, 1, 2), 301, 1)
    with_span = compute_risk(returns, start=days[0], end=days[-1])
    without = compute_risk(returns)
    for name in ("volatility", "sharpe", "sortino", "cagr", "var_95", "cvar_95"):
        assert getattr(with_span, name).value is not None, name
        assert getattr(with_span, name) == getattr(without, name), name


def test_no_minimum_history_means_no_spacing_check_either() -> None:
    days = _every(date(1995, 1, 3), 128, 91)
    r = compute_risk(normal_returns(127, seed=3), start=days[0], end=days[-1], params=RiskParameters(min_history=0))
    assert r.cagr.value is not None and r.volatility.value is not None


def test_too_short_stays_insufficient_history_before_sparse() -> None:
    days = _every(date(2020, 1, 6), 11, 30)
    r = compute_risk(normal_returns(10, seed=6), start=days[0], end=days[-1])
    assert r.cagr.reason is UnavailableReason.INSUFFICIENT_HISTORY


@pytest.mark.parametrize("step", [7, 30, 91])
def test_a_summary_from_sparse_closes_reports_sparse_history(step: int) -> None:
    n = 80
    days = _every(date(2005, 1, 3), n + 1, step)
    closes = prices_from_returns(50.0, normal_returns(n, seed=step, mu=0.01, sigma=0.05))
    inputs = PortfolioInputs(
        holdings=(snapshot(days[0], [position("AAA", "10", "50")], "0"),),
        prices={"AAA": series("AAA", days, closes)},
    )
    summary = compute_summary(inputs, as_of=after_close(days[-1]), settings=AnalyticsSettings(min_history=63))
    assert summary.risk.observations == n
    assert summary.risk.cagr.reason is SPARSE
    assert summary.risk.volatility.reason is SPARSE
    assert summary.risk.cumulative_return.value is not None


def test_a_short_sparse_series_has_no_one_day_var_either() -> None:
    """18 monthly returns: too few for the annualised figures (INSUFFICIENT_HISTORY), and VaR/CVaR, which
    need no minimum history, are not one-day figures either (a tester got var_95 -0.0035 here)."""
    days = _every(date(2025, 6, 2), 19, 30)
    r = compute_risk(normal_returns(18, seed=8, mu=0.01, sigma=0.04), start=days[0], end=days[-1])
    assert r.cagr.reason is UnavailableReason.INSUFFICIENT_HISTORY
    assert r.var_95.reason is SPARSE and r.cvar_95.reason is SPARSE
    assert r.cumulative_return.value is not None


def test_the_offline_answer_does_not_call_sparse_returns_daily() -> None:
    """Weekly closes: "Sharpe ratio: not available (the prices are not daily)" used to be followed by
    "They are computed on 78 daily time-weighted returns"."""
    from stack_cfo.core.chat.offline import offline_answer
    from stack_cfo.core.chat.portfolio_context import context_from_view
    from stack_cfo.core.portfolio.ports import StoredPortfolio
    from stack_cfo.core.portfolio.views import build_view

    days = _every(date(2024, 1, 2), 79, 7)
    closes = prices_from_returns(50.0, normal_returns(78, seed=9, mu=0.002, sigma=0.03))
    snap = snapshot(days[0], [position("AAA", "10", "50")], "0")
    as_of = after_close(days[-1])
    summary = compute_summary(PortfolioInputs(holdings=(snap,), prices={"AAA": series("AAA", days, closes)}),
                              as_of=as_of)
    assert summary.risk.sharpe.reason is SPARSE
    ctx = context_from_view(build_view("u1", summary, StoredPortfolio("u1", "USD", (snap,), ())), taken_at=as_of)
    text = offline_answer(ctx, as_of, "What is my Sharpe ratio?", reason="COMPUTE_UNAVAILABLE")
    assert "the prices are not daily" in text
    assert "78 time-weighted returns between the recorded closes" in text and "daily time-weighted" not in text

"""Risk metrics through the public RPC, checked against empyrical-reloaded 0.7.1 as an oracle.

Each case is a portfolio fully invested in one symbol, so its daily time-weighted returns are that
symbol's price returns. The test sends the prices (rounded to 12 decimals, as a client would),
recomputes the returns from exactly what it sent, and compares every figure of
GetPortfolioSummary.risk with empyrical's. Where empyrical answers NaN, ±inf or a float-residue
giant, the RPC must answer "absent" with the contract's reason.
"""

from __future__ import annotations

import math
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import empyrical as ep
import numpy as np
import pytest

from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    evening,
    holding,
    metric,
    new_user,
    price_path,
    price_points,
    record,
    summary,
    sync,
    trading_days,
)
from tests.support.server import running_server

RF_ANNUAL = 0.04
RF_DAILY = (1 + RF_ANNUAL) ** (1 / 252) - 1
N = 252


def _deep_drawdown() -> list[float]:
    rng = np.random.default_rng(7)
    falling = list(-0.012 + rng.normal(0, 0.01, 120))  # starts with a loss on day one
    falling[0] = -0.03
    rising = list(0.004 + rng.normal(0, 0.012, N - 120))
    return falling + rising


SERIES: dict[str, list[float]] = {
    "normal": list(np.random.default_rng(1).normal(0.0005, 0.011, N)),
    "deep_drawdown": _deep_drawdown(),
    "all_zero": [0.0] * N,
    "constant": [0.001] * N,
    "three_days": [0.01, -0.02, 0.015],
}
BENCHMARK = list(np.random.default_rng(2).normal(0.0004, 0.009, N))

#: Figures empyrical cannot give (NaN/inf/1e16 residue) and the reason the contract gives instead.
ABSENT = {
    "all_zero": {"sharpe": "ZERO_DISPERSION", "calmar": "NO_DRAWDOWN"},
    "constant": {"sharpe": "ZERO_DISPERSION", "sortino": "ZERO_DISPERSION", "calmar": "NO_DRAWDOWN"},
}


def _returns(prices: list[Decimal]) -> np.ndarray:
    return np.array([float(prices[i] / prices[i - 1] - 1) for i in range(1, len(prices))])


def _current_drawdown(r: np.ndarray) -> float:
    wealth = np.concatenate([[1.0], np.cumprod(1 + r)])
    return float(wealth[-1] / wealth.max() - 1)


def _oracle(r: np.ndarray, b: np.ndarray) -> dict[str, float]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return {
            "time_weighted_return": float(ep.cum_returns_final(r)),
            "volatility": float(ep.annual_volatility(r)),
            "sharpe": float(ep.sharpe_ratio(r, risk_free=RF_DAILY)),
            "sortino": float(ep.sortino_ratio(r, required_return=RF_DAILY)),
            "max_drawdown": float(ep.max_drawdown(r)),
            "current_drawdown": _current_drawdown(r),
            "cagr": float(ep.annual_return(r)),
            "calmar": float(ep.calmar_ratio(r)),
            "var_95": float(ep.value_at_risk(r, cutoff=0.05)),
            "cvar_95": float(ep.conditional_value_at_risk(r, cutoff=0.05)),
            "beta": float(ep.beta(r, b)),
            "alpha": float(ep.alpha(r, b, risk_free=RF_DAILY)),
        }


async def test_risk_metrics_match_empyrical_through_the_rpc(db_dsn: str, data_dir: Path) -> None:
    days = trading_days(date(2023, 1, 3), N + 1)
    clock = FrozenClock(evening(days[0]))
    overrides = {"portfolio": {"risk_free_rate": str(RF_ANNUAL), "min_history_days": 0}}
    users = {case: new_user() for case in SERIES}
    sent: dict[str, list[Decimal]] = {}
    async with running_server(db_dsn, data_dir, overrides, clock=clock) as srv:
        for case, returns in SERIES.items():
            first = len(days) - 1 - len(returns)  # the series ends on the last day
            clock.set(evening(days[first]))
            await sync(srv, users[case], [holding(f"S_{case.upper()}", "100", "50")])
            sent[case] = price_path(Decimal(100), returns)
        bench_prices = price_path(Decimal(400), BENCHMARK)
        clock.set(evening(days[-1]))
        for case, prices in sent.items():
            first = len(days) - len(prices)
            await record(srv, price_points({f"S_{case.upper()}": zip(days[first:], prices, strict=True)}))
        await record(srv, price_points({"SPY": zip(days, bench_prices, strict=True)}))

        bench_r = _returns(bench_prices)
        for case in SERIES:
            r = _returns(sent[case])
            b = bench_r[len(bench_r) - len(r):]
            expected = _oracle(r, b)
            risk = (await summary(srv, users[case])).risk
            assert risk.observation_count == len(r), case
            assert risk.risk_free_rate == pytest.approx(RF_ANNUAL)
            assert risk.benchmark_symbol == "SPY"
            for figure, want in expected.items():
                got = metric(getattr(risk, figure))
                absent = ABSENT.get(case, {}).get(figure)
                if absent is not None:
                    assert not math.isfinite(want) or abs(want) > 1e10, (case, figure, want)
                    assert got == absent, (case, figure, got)
                    continue
                assert isinstance(got, float), (case, figure, got)
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (case, figure)


async def test_short_history_hides_annualised_figures_with_a_reason(db_dsn: str, data_dir: Path) -> None:
    """With the default minimum history a 3-day series has drawdown and VaR, but no Sharpe."""
    days = trading_days(date(2024, 3, 4), 4)
    clock = FrozenClock(evening(days[0]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, [holding("ABC", "10", "100")])
        clock.set(evening(days[-1]))
        prices = price_path(Decimal(100), SERIES["three_days"])
        await record(srv, price_points({"ABC": zip(days, prices, strict=True)}))
        risk = (await summary(srv, user)).risk
        r = _returns(prices)
    for figure in ("volatility", "sharpe", "sortino", "cagr", "calmar"):
        assert metric(getattr(risk, figure)) == "INSUFFICIENT_HISTORY", figure
    assert metric(risk.max_drawdown) == pytest.approx(float(ep.max_drawdown(r)), rel=1e-9)
    assert metric(risk.var_95) == pytest.approx(float(ep.value_at_risk(r)), rel=1e-9)
    assert metric(risk.beta) == metric(risk.alpha) == "NO_BENCHMARK"  # no SPY prices recorded
    assert metric(risk.time_weighted_return) == pytest.approx(float(ep.cum_returns_final(r)), rel=1e-9)


async def test_a_single_valuation_day_has_no_returns(db_dsn: str, data_dir: Path) -> None:
    day = date(2024, 3, 4)
    clock = FrozenClock(evening(day))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, [holding("ABC", "10", "100")])
        await record(srv, price_points({"ABC": [(day, "101")]}))
        s = await summary(srv, user)
    assert s.risk.observation_count == 0
    assert s.total_value == "1010"
    for figure in ("time_weighted_return", "volatility", "sharpe", "max_drawdown", "var_95", "cvar_95"):
        assert metric(getattr(s.risk, figure)) == "INSUFFICIENT_HISTORY", figure

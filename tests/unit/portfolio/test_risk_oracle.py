"""Risk metrics against empyrical-reloaded 0.7.1 (the pinned oracle).

For every series and metric: equal to empyrical within 1e-12 relative (1e-15 absolute near 0),
or, where empyrical gives NaN/inf, absent with the documented reason. Several series go through
the valuation path (holdings + prices -> TWR returns), so the oracle sees what users get.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import empyrical as ep
import numpy as np
import pytest
from empyrical.stats import drawdown_series

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    Metric,
    RiskMetrics,
    RiskParameters,
    UnavailableReason,
    build_valuation,
    compute_risk,
    compute_summary,
)
from stack_cfo.core.portfolio.valuation import benchmark_returns_for

from .factories import NY, after_close, normal_returns, position, single_asset_inputs, snapshot

IH = UnavailableReason.INSUFFICIENT_HISTORY
ZD = UnavailableReason.ZERO_DISPERSION
UD = UnavailableReason.UNDEFINED
NB = UnavailableReason.NO_BENCHMARK


def test_oracle_version_is_pinned() -> None:
    assert ep.__version__ == "0.7.1"


def rf_daily(rf_annual: float) -> float:
    return (1 + rf_annual) ** (1 / 252) - 1


def oracle(r: np.ndarray, b: np.ndarray | None, rf_annual: float) -> dict[str, float]:
    rf = rf_daily(rf_annual)
    out = {
        "cumulative_return": float(ep.cum_returns_final(r)),
        "cagr": float(ep.annual_return(r)),
        "volatility": float(ep.annual_volatility(r)),
        "sharpe": float(ep.sharpe_ratio(r, risk_free=rf)),
        "sortino": float(ep.sortino_ratio(r, required_return=rf)),
        "max_drawdown": float(ep.max_drawdown(r)),
        "current_drawdown": float(drawdown_series(r)[-1]),
        "calmar": float(ep.calmar_ratio(r)),
        "var_95": float(ep.value_at_risk(r)),
        "cvar_95": float(ep.conditional_value_at_risk(r)),
    }
    if b is not None:
        out["beta"] = float(ep.beta(r, b))
        out["alpha"] = float(ep.alpha(r, b, risk_free=rf))
    return out


# Where empyrical yields NaN/inf, the reason we must give instead.
NON_FINITE_REASON: dict[str, set[UnavailableReason]] = {
    "sharpe": {ZD},
    "sortino": {ZD},
    "calmar": {UD},
    "beta": {ZD},
    "alpha": {ZD},
    "cagr": {UD},
}


def assert_matches_oracle(ours: RiskMetrics, expected: dict[str, float]) -> None:
    for name, theirs in expected.items():
        metric: Metric = getattr(ours, name)
        if math.isfinite(theirs):
            assert metric.value is not None, f"{name}: absent ({metric.reason}) but empyrical says {theirs!r}"
            assert math.isclose(metric.value, theirs, rel_tol=1e-12, abs_tol=1e-15), (
                f"{name}: ours {metric.value!r} vs empyrical {theirs!r}"
            )
        else:
            assert metric.value is None, f"{name}: ours {metric.value!r} but empyrical gives {theirs!r}"
            assert metric.reason in NON_FINITE_REASON[name], f"{name}: reason {metric.reason}"


def _deep_drawdown() -> list[float]:
    rng = np.random.default_rng(11)
    crash = [float(x) for x in rng.normal(-0.012, 0.03, 120)]
    recovery = [float(x) for x in rng.normal(0.004, 0.02, 130)]
    return [0.01, 0.02, *crash, *recovery]


SERIES: dict[str, Callable[[], list[float]]] = {
    "normal_252": lambda: normal_returns(252, seed=42),
    "deep_drawdown": _deep_drawdown,
    "starts_with_loss": lambda: [-0.05, 0.01, 0.02, -0.01, 0.03, 0.004, -0.002, 0.011],
    "three_days": lambda: [0.01, -0.02, 0.015],
    "all_zero": lambda: [0.0] * 30,
    "constant": lambda: [0.001] * 30,
}


@pytest.mark.parametrize("rf_annual", [0.0, 0.02])
@pytest.mark.parametrize("name", sorted(SERIES))
def test_metrics_match_empyrical_on_raw_series(name: str, rf_annual: float) -> None:
    r = np.array(SERIES[name](), dtype=np.float64)
    b = np.array(normal_returns(len(r), seed=99, mu=0.0003, sigma=0.009), dtype=np.float64)
    ours = compute_risk(r, b, params=RiskParameters(risk_free_annual=rf_annual, min_history=0))
    assert ours.observations == len(r)
    assert_matches_oracle(ours, oracle(r, b, rf_annual))


@pytest.mark.parametrize("name", ["normal_252", "deep_drawdown", "starts_with_loss", "three_days", "all_zero"])
def test_metrics_match_empyrical_through_the_valuation_path(name: str) -> None:
    """Holdings + daily closes -> TWR returns -> metrics, compared with empyrical on those returns."""
    intended = SERIES[name]()
    bench = normal_returns(len(intended), seed=5, mu=0.0003, sigma=0.009)
    inputs, days = single_asset_inputs(intended, benchmark_returns=bench, qty="12.5", cash="250")
    settings = AnalyticsSettings(min_history=0, risk_free_annual=0.02)
    summary = compute_summary(inputs, as_of=after_close(days[-1]), settings=settings)

    series = build_valuation(inputs, through=days[-1], tz=NY)
    twr = series.returns
    b = benchmark_returns_for(series, inputs.benchmark)
    assert len(twr) == len(intended)
    # With cash in the portfolio the TWR is diluted, not equal to the asset's returns; it is
    # exactly what value/previous value says.
    v = series.values
    np.testing.assert_allclose(twr, v[1:] / v[:-1] - 1, rtol=1e-15, atol=1e-17)
    assert_matches_oracle(summary.risk, oracle(twr, b, 0.02))
    assert summary.risk.start == days[0] and summary.risk.end == days[-1]


def test_twr_of_a_fully_invested_position_is_the_price_return() -> None:
    intended = normal_returns(252, seed=3)
    inputs, days = single_asset_inputs(intended)
    series = build_valuation(inputs, through=days[-1], tz=NY)
    np.testing.assert_allclose(series.returns, intended, rtol=1e-12, atol=1e-15)


def test_sharpe_uses_annual_rf_converted_geometrically() -> None:
    """The check vector from the research notes: rf 2 %/yr is 7.858e-5 a day, not 0.02."""
    r = np.array(normal_returns(252, seed=42))
    params = RiskParameters(risk_free_annual=0.02, min_history=0)
    assert math.isclose(params.risk_free_daily, 7.858e-5, rel_tol=1e-3)
    ours = compute_risk(r, params=params).sharpe.value
    assert ours is not None
    assert math.isclose(ours, ep.sharpe_ratio(r, risk_free=params.risk_free_daily), rel_tol=1e-12)
    # Passing the annual rate as if it were daily (empyrical issue #108) is wildly different.
    assert abs(ours - ep.sharpe_ratio(r, risk_free=0.02)) > 10


def test_first_day_loss_counts_in_max_drawdown() -> None:
    ours = compute_risk([-0.05, 0.01, 0.01], params=RiskParameters(min_history=0))
    assert ours.max_drawdown.value == pytest.approx(-0.05, rel=1e-12)
    assert ours.max_drawdown.value == pytest.approx(ep.max_drawdown(np.array([-0.05, 0.01, 0.01])), rel=1e-12)


def test_var_and_cvar_are_negative_for_losses_and_follow_numpy_percentile() -> None:
    r = np.array(normal_returns(500, seed=1))
    ours = compute_risk(r, params=RiskParameters(min_history=0))
    assert ours.var_95.value is not None and ours.var_95.value < 0
    assert ours.cvar_95.value is not None and ours.cvar_95.value <= ours.var_95.value
    assert math.isclose(ours.var_95.value, float(np.percentile(r, 5)), rel_tol=1e-14)
    k = int((len(r) - 1) * 0.05) + 1
    assert math.isclose(ours.cvar_95.value, float(np.sort(r)[:k].mean()), rel_tol=1e-14)


class TestUndefinedCases:
    def test_constant_series_has_zero_volatility_and_no_sharpe_or_sortino(self) -> None:
        r = np.full(30, 0.001)
        ours = compute_risk(r, params=RiskParameters(min_history=0))
        assert ours.volatility == Metric(0.0)  # empyrical: a 1e-17 float residue
        assert ep.sharpe_ratio(r) == np.inf
        assert ours.sharpe == Metric.absent(ZD)
        assert ours.sortino == Metric.absent(ZD)
        assert ours.calmar == Metric.absent(UD)  # no drawdown to divide by
        assert ours.max_drawdown.value == 0.0

    def test_all_zero_series_with_rf_gives_absent_sharpe_where_empyrical_gives_minus_inf(self) -> None:
        r = np.zeros(30)
        rf = rf_daily(0.04)
        assert ep.sharpe_ratio(r, risk_free=rf) == -np.inf
        ours = compute_risk(r, params=RiskParameters(min_history=0, risk_free_annual=0.04))
        assert ours.sharpe == Metric.absent(ZD)
        # Every day is below rf: Sortino is defined (and matches empyrical).
        assert ours.sortino.value == pytest.approx(ep.sortino_ratio(r, required_return=rf), rel=1e-12)

    def test_constant_growth_through_valuation_is_zero_dispersion_not_1e13(self) -> None:
        """Prices growing 0.1 % a day give TWR returns with ~1e-16 noise; a naive std gives a giant Sharpe."""
        inputs, days = single_asset_inputs([0.001] * 40, qty="3")
        series = build_valuation(inputs, through=days[-1], tz=NY)
        r = series.returns
        naive = ep.sharpe_ratio(r)
        assert not math.isfinite(naive) or abs(naive) > 1e3  # garbage either way
        ours = compute_risk(r, params=RiskParameters(min_history=0))
        assert ours.sharpe == Metric.absent(ZD)
        assert ours.sortino == Metric.absent(ZD)
        assert ours.volatility == Metric(0.0)

    @pytest.mark.parametrize("n", [0, 1])
    def test_fewer_than_two_returns_is_insufficient_history(self, n: int) -> None:
        ours = compute_risk([0.01] * n, [0.02] * n, params=RiskParameters(min_history=0))
        for name in ("volatility", "sharpe", "sortino", "cagr", "calmar", "var_95", "cvar_95", "beta", "alpha"):
            assert getattr(ours, name) == Metric.absent(IH), name
        if n == 1:
            assert ours.cumulative_return.value == pytest.approx(0.01)
            assert ours.max_drawdown.value == 0.0
        else:
            assert ours.cumulative_return == Metric.absent(IH)

    def test_annualised_figures_wait_for_the_minimum_history(self) -> None:
        r = normal_returns(40, seed=8)
        b = normal_returns(40, seed=9)
        ours = compute_risk(r, b, params=RiskParameters(min_history=63))
        for name in ("volatility", "sharpe", "sortino", "cagr", "calmar", "alpha"):
            assert getattr(ours, name) == Metric.absent(IH), name
        for name in ("max_drawdown", "current_drawdown", "var_95", "cvar_95", "beta", "cumulative_return"):
            assert getattr(ours, name).available, name

    def test_default_minimum_history_is_63(self) -> None:
        assert RiskParameters().min_history == 63
        assert AnalyticsSettings().min_history == 63

    def test_three_day_series_matches_research_numbers(self) -> None:
        ours = compute_risk([0.01, -0.02, 0.015], params=RiskParameters(min_history=0))
        r = np.array([0.01, -0.02, 0.015])
        assert ours.cagr.value == pytest.approx(ep.annual_return(r), rel=1e-12)
        assert ours.calmar.value == pytest.approx(ep.calmar_ratio(r), rel=1e-12)

    def test_short_history_without_benchmark_says_the_benchmark_is_missing(self) -> None:
        ours = compute_risk(normal_returns(3), None, params=RiskParameters(min_history=20))
        assert ours.beta == ours.alpha == Metric.absent(NB)  # more history alone would not help
        assert ours.benchmark_cumulative_return == Metric.absent(NB)
        with_bench = compute_risk(normal_returns(3), normal_returns(3, seed=1), params=RiskParameters(min_history=20))
        assert with_bench.beta.available and with_bench.alpha == Metric.absent(IH)

    def test_no_benchmark(self) -> None:
        r = normal_returns(30)
        ours = compute_risk(r, None, params=RiskParameters(min_history=0))
        assert ours.beta == ours.alpha == Metric.absent(NB)
        none_shared = compute_risk(r, [None] * 30, params=RiskParameters(min_history=0))
        assert none_shared.beta == Metric.absent(NB) and none_shared.benchmark_observations == 0

    def test_constant_benchmark_is_zero_dispersion(self) -> None:
        r = normal_returns(30)
        ours = compute_risk(r, [0.001] * 30, params=RiskParameters(min_history=0))
        assert ours.beta == Metric.absent(ZD)
        assert ours.alpha == Metric.absent(ZD)

    def test_beta_uses_only_shared_dates(self) -> None:
        r = np.array(normal_returns(60, seed=21))
        b = np.array(normal_returns(60, seed=22))
        b_gappy: list[float | None] = [None if i % 7 == 0 else float(x) for i, x in enumerate(b)]
        mask = np.array([x is not None for x in b_gappy])
        ours = compute_risk(r, b_gappy, params=RiskParameters(min_history=0, risk_free_annual=0.03))
        assert ours.benchmark_observations == int(mask.sum())
        assert ours.beta.value == pytest.approx(ep.beta(r[mask], b[mask]), rel=1e-12)
        assert ours.alpha.value == pytest.approx(ep.alpha(r[mask], b[mask], risk_free=rf_daily(0.03)), rel=1e-12)

    def test_cagr_overflow_is_undefined_not_inf(self) -> None:
        ours = compute_risk([20.0, 20.0], params=RiskParameters(min_history=0))
        # 441^126 overflows a double: empyrical gives inf.
        with np.errstate(over="ignore"):
            assert not math.isfinite(ep.annual_return(np.array([20.0, 20.0])))
        assert ours.cagr == Metric.absent(UD)
        assert ours.calmar == Metric.absent(UD)
        assert ours.cumulative_return.value == pytest.approx(440.0)

    def test_total_loss(self) -> None:
        ours = compute_risk([0.1, -1.0, 0.0], params=RiskParameters(min_history=0))
        assert ours.cumulative_return.value == -1.0
        assert ours.cagr.value == -1.0
        assert ours.max_drawdown.value == -1.0


def test_metric_cannot_carry_nan_or_inf() -> None:
    assert Metric.of(float("nan")) == Metric.absent(UD)
    assert Metric.of(float("inf")) == Metric.absent(UD)
    with pytest.raises(ValueError):
        Metric(float("nan"))
    with pytest.raises(ValueError):
        Metric(None)


def test_deposits_along_the_way_leave_the_metrics_equal_to_the_assets() -> None:
    """Monthly deposits invested at the close: the summary's risk equals empyrical on the price returns."""
    intended = normal_returns(252, seed=77)
    bench = normal_returns(252, seed=78)
    base, days = single_asset_inputs(intended, benchmark_returns=bench, qty="10")
    closes = base.prices["AAA"].closes
    snapshots = [base.holdings[0]]
    flows = []
    qty = Decimal(10)
    for k in range(21, 252, 21):  # every ~month: deposit the price of 7 more shares and buy them
        qty += 7
        snapshots.append(snapshot(days[k], [position("AAA", str(qty), "90", sector="Technology")]))
        flows.append(CashFlow(days[k], 7 * closes[k]))
    inputs = replace(base, holdings=tuple(snapshots), cash_flows=tuple(flows))
    summary = compute_summary(inputs, as_of=after_close(days[-1]), settings=AnalyticsSettings(min_history=0))
    assert summary.positions[0].quantity == Decimal(87)
    r = np.array(intended)
    b = benchmark_returns_for(build_valuation(inputs, through=days[-1], tz=NY), inputs.benchmark)
    expected = oracle(r, b, 0.0)
    for name, theirs in expected.items():
        ours = getattr(summary.risk, name).value
        assert ours is not None and math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-15), (name, ours, theirs)

"""compute_summary as the RPC layer calls it: errors, as-of replay, benchmark lookup, reuse."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from stack_cfo.core.errors import FailedPrecondition, InvalidArgument, NotFound
from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    PortfolioInputs,
    UnavailableReason,
    build_valuation_for,
    compute_summary,
    daily_returns,
)

from .factories import after_close, normal_returns, single_asset_inputs

SETTINGS = AnalyticsSettings(min_history=0)
Year = tuple[PortfolioInputs, list[date]]


@pytest.fixture(scope="module")
def year() -> Year:
    return single_asset_inputs(normal_returns(252, seed=13), benchmark_returns=normal_returns(252, seed=14))


def test_no_holdings_is_not_found() -> None:
    with pytest.raises(NotFound) as err:
        compute_summary(PortfolioInputs(holdings=(), prices={}), as_of=after_close(datetime(2024, 1, 2).date()))
    assert err.value.reason == "PORTFOLIO_NOT_FOUND"


def test_as_of_before_the_first_sync_is_a_failed_precondition(year: Year) -> None:
    inputs, days = year
    with pytest.raises(FailedPrecondition) as err:
        compute_summary(inputs, as_of=after_close(days[0]).replace(year=2020))
    assert err.value.reason == "NO_HOLDINGS_AS_OF"


def test_naive_as_of_is_rejected(year: Year) -> None:
    inputs, _ = year
    with pytest.raises(InvalidArgument):
        compute_summary(inputs, as_of=datetime(2023, 6, 1, 12))


def test_past_as_of_replays_the_summary_ignoring_later_data(year: Year) -> None:
    inputs, days = year
    assert inputs.benchmark is not None
    cut = days[100]
    past = compute_summary(inputs, as_of=after_close(cut), settings=SETTINGS)
    truncated = replace(
        inputs,
        prices={s: replace(p, dates=p.dates[:101], closes=p.closes[:101]) for s, p in inputs.prices.items()},
        benchmark=replace(inputs.benchmark, dates=inputs.benchmark.dates[:101], closes=inputs.benchmark.closes[:101]),
    )
    assert past == compute_summary(truncated, as_of=after_close(cut), settings=SETTINGS)
    assert past.risk.observations == 100 and past.market_date == cut


def test_benchmark_is_looked_up_by_symbol_when_not_given(year: Year) -> None:
    inputs, days = year
    assert inputs.benchmark is not None
    by_symbol = replace(inputs, prices={**inputs.prices, "QQQ": inputs.benchmark}, benchmark=None)
    s = compute_summary(by_symbol, as_of=after_close(days[-1]), settings=replace(SETTINGS, benchmark_symbol="QQQ"))
    direct = compute_summary(inputs, as_of=after_close(days[-1]), settings=SETTINGS)
    assert s.risk.beta == direct.risk.beta and s.risk.beta.available
    none = compute_summary(replace(inputs, benchmark=None), as_of=after_close(days[-1]), settings=SETTINGS)
    assert none.risk.beta.reason is UnavailableReason.NO_BENCHMARK
    assert none.benchmark_symbol == "SPY" and none.benchmark_week_return is None


def test_risk_window_uses_the_last_n_returns(year: Year) -> None:
    inputs, days = year
    s = compute_summary(inputs, as_of=after_close(days[-1]), settings=replace(SETTINGS, risk_window=60))
    assert s.risk.observations == 60
    assert s.risk.start == days[-61] and s.risk.end == days[-1]


def test_default_settings_hide_annualised_figures_for_short_history() -> None:
    inputs, days = single_asset_inputs(normal_returns(30))
    s = compute_summary(inputs, as_of=after_close(days[-1]))
    assert s.risk.sharpe.reason is UnavailableReason.INSUFFICIENT_HISTORY
    assert s.risk.max_drawdown.available


def test_daily_returns_and_valuation_reuse(year: Year) -> None:
    inputs, days = year
    as_of = after_close(days[-1])
    pairs = daily_returns(inputs, as_of=as_of, settings=SETTINGS)
    assert [d for d, _ in pairs] == days[1:]
    np.testing.assert_allclose([r for _, r in pairs], normal_returns(252, seed=13), rtol=1e-12, atol=1e-15)
    series = build_valuation_for(inputs, as_of=as_of, settings=SETTINGS)
    assert compute_summary(inputs, as_of=as_of, settings=SETTINGS, valuation=series) == compute_summary(
        inputs, as_of=as_of, settings=SETTINGS
    )


def test_summary_money_is_decimal_and_ratios_are_finite_floats(year: Year) -> None:
    inputs, days = year
    s = compute_summary(inputs, as_of=after_close(days[-1]), settings=SETTINGS)
    assert isinstance(s.total_value, Decimal) and isinstance(s.positions[0].market_value, Decimal)
    for name in s.risk.__dataclass_fields__:
        v = getattr(s.risk, name)
        if hasattr(v, "value") and v.value is not None:
            assert math.isfinite(v.value)

"""The performance-alert rule: percent and sigma thresholds, hour and day windows, flows, drivers."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio import AlertRule, AlertWindow, CashFlow, evaluate_alert

D = Decimal
# Tuesday 14 May 2024, 15:30 UTC = 11:30 in New York.
NOW = datetime(2024, 5, 14, 15, 30, tzinfo=UTC)
MONDAY_CLOSE = datetime(2024, 5, 13, 20, 0, tzinfo=UTC)  # 16:00 New York


def vol_series(daily_vol: float, n: int = 90) -> list[float]:
    """Returns with sample std exactly ``daily_vol`` (alternating ±, mean 0, even n)."""
    half = daily_vol * math.sqrt((n - 1) / n)
    return [half if i % 2 == 0 else -half for i in range(n)]


def test_vol_series_helper_has_the_requested_std() -> None:
    assert float(np.std(vol_series(0.01), ddof=1)) == pytest.approx(0.01, rel=1e-12)


def test_day_move_against_previous_close_in_percent() -> None:
    values = [
        (MONDAY_CLOSE - timedelta(hours=3), D(10_200)),
        (MONDAY_CLOSE, D(10_000)),
        (NOW - timedelta(minutes=30), D(9_850)),
        (NOW, D(9_750)),
    ]
    d = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=2.0))
    assert d.reference_at == MONDAY_CLOSE and d.reference_value == D(10_000)
    assert d.move_pct == pytest.approx(-2.5)
    assert d.sigma == pytest.approx(-2.5)  # -2.5 % against a 1 % daily vol
    assert d.fires and d.crossed == ("PCT",)
    quiet = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=3.0))
    assert not quiet.fires and quiet.move_pct == pytest.approx(-2.5)


def test_hour_window_scales_daily_vol_by_sqrt_of_session_hours() -> None:
    values = [(NOW - timedelta(minutes=70), D(100_000)), (NOW - timedelta(minutes=60), D(100_000)), (NOW, D(100_800))]
    d = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_sigma=2.0, window=AlertWindow.HOUR))
    assert d.reference_at == NOW - timedelta(minutes=60)
    assert d.window_volatility == pytest.approx(0.01 / math.sqrt(6.5))
    assert d.sigma == pytest.approx(0.008 / (0.01 / math.sqrt(6.5)))  # 2.04 sigma
    assert d.fires and d.crossed == ("SIGMA",)
    # The same 0.8 % over a day is under one sigma.
    day = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_sigma=2.0, window=AlertWindow.DAY))
    assert not day.fires


def test_deposit_inside_the_window_does_not_fire() -> None:
    values = [(MONDAY_CLOSE, D(10_000)), (NOW, D(15_000))]
    flows = [CashFlow(NOW - timedelta(minutes=10), D(5_000))]
    d = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=1.0), flows=flows)
    assert d.move_pct == pytest.approx(0.0) and not d.fires
    # A flow before the reference is not in the window.
    early = [CashFlow(MONDAY_CLOSE - timedelta(hours=1), D(5_000))]
    assert evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=1.0), flows=early).fires
    # A flow dated by day counts when its market date is inside the window.
    dated = [CashFlow(date(2024, 5, 14), D(5_000))]
    assert not evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=1.0), flows=dated).fires


def test_sigma_needs_enough_history_and_dispersion() -> None:
    values = [(MONDAY_CLOSE, D(100)), (NOW, D(90))]
    short = evaluate_alert(values, vol_series(0.01, n=10), AlertRule(threshold_sigma=1.0))
    assert short.sigma is None and short.daily_volatility is None and not short.fires
    assert short.move_pct == pytest.approx(-10.0)
    flat = evaluate_alert(values, [0.0] * 90, AlertRule(threshold_sigma=1.0))
    assert flat.sigma is None and not flat.fires
    # With a percent threshold as well, the rule still works.
    assert evaluate_alert(values, [0.0] * 90, AlertRule(threshold_pct=5.0, threshold_sigma=1.0)).fires


def test_only_the_last_90_daily_returns_count() -> None:
    calm_recent = [0.2, -0.2] * 50 + vol_series(0.01)
    d = evaluate_alert([(MONDAY_CLOSE, D(100)), (NOW, D(97))], calm_recent, AlertRule(threshold_sigma=2.0))
    assert d.daily_volatility == pytest.approx(0.01, rel=1e-12)
    assert d.fires


def test_require_both() -> None:
    values = [(MONDAY_CLOSE, D(100)), (NOW, D(97))]  # -3 % = -1.5 sigma at 2 % vol
    rule = AlertRule(threshold_pct=2.0, threshold_sigma=2.0, require_both=True)
    assert not evaluate_alert(values, vol_series(0.02), rule).fires
    assert evaluate_alert(values, vol_series(0.01), rule).fires
    either = AlertRule(threshold_pct=2.0, threshold_sigma=2.0)
    assert evaluate_alert(values, vol_series(0.02), either).crossed == ("PCT",)


def test_no_reference_sample_means_no_decision() -> None:
    today_only = [(NOW - timedelta(minutes=20), D(100)), (NOW, D(50))]
    d = evaluate_alert(today_only, vol_series(0.01), AlertRule(threshold_pct=1.0))
    assert not d.fires and d.move_pct is None and d.current_value == D(50)
    assert not evaluate_alert([], vol_series(0.01), AlertRule(threshold_pct=1.0)).fires


def test_drivers_are_the_positions_moving_with_the_portfolio() -> None:
    values = [(MONDAY_CLOSE, D(10_000)), (NOW, D(9_700))]
    moves = {"NVDA": D(-250), "AMD": D(-100), "XOM": D(80), "AAPL": D(-30), "MSFT": D(0)}
    d = evaluate_alert(values, vol_series(0.01), AlertRule(threshold_pct=2.0), position_moves=moves)
    assert [(x.symbol, x.change) for x in d.drivers] == [("NVDA", D(-250)), ("AMD", D(-100)), ("AAPL", D(-30))]
    assert d.drivers[0].share == pytest.approx(250 / 300)


def test_rule_validation() -> None:
    with pytest.raises(InvalidArgument):
        AlertRule()
    with pytest.raises(InvalidArgument):
        AlertRule(threshold_pct=-1.0)
    with pytest.raises(InvalidArgument):
        AlertRule(threshold_sigma=float("nan"))

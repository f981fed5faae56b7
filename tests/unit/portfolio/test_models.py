"""Input validation: what the core refuses to compute on, naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    Holdings,
    HoldingsSnapshot,
    PortfolioInputs,
    Position,
    PricePoint,
    PriceSeries,
    RiskParameters,
)

from .factories import position, snapshot

D = Decimal
T = datetime(2024, 1, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": D(-1)}, "quantity"),
        ({"quantity": D("NaN")}, "quantity"),
        ({"quantity": D("Infinity")}, "quantity"),
        ({"average_cost": D(-5)}, "average_cost"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "DOLLAR"}, "currency"),
        ({"symbol": " AAPL"}, "symbol"),
        ({"symbol": ""}, "symbol"),
    ],
)
def test_bad_positions_are_rejected(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"symbol": "AAPL", "quantity": D(1)} | kwargs
    with pytest.raises(InvalidArgument) as err:
        Position(**args)  # type: ignore[arg-type]
    assert err.value.violations[0].field == field


def test_holdings_reject_duplicates_naive_times_and_odd_currency() -> None:
    with pytest.raises(InvalidArgument) as err:
        Holdings("u", "USD", D(0), (position("A", 1), position("A", 2)), T)
    assert err.value.violations[0].field == "positions[1].symbol"
    with pytest.raises(InvalidArgument):
        Holdings("u", "USD", D(0), (), datetime(2024, 1, 2))
    with pytest.raises(InvalidArgument):
        Holdings("u", "US", D(0), (), T)
    # Negative cash (a margin debit) is allowed.
    assert Holdings("u", "USD", D(-10), (), T).cash == D(-10)


def test_prices_must_be_positive_finite_and_dated_in_order() -> None:
    with pytest.raises(InvalidArgument):
        PricePoint("A", date(2024, 1, 2), D(0))
    with pytest.raises(InvalidArgument):
        PricePoint("A", datetime(2024, 1, 2, 10), D(1))  # naive
    with pytest.raises(InvalidArgument) as err:
        PriceSeries("A", (date(2024, 1, 3), date(2024, 1, 2)), (D(1), D(2)))
    assert err.value.violations[0].field == "dates"
    with pytest.raises(InvalidArgument) as err2:
        PriceSeries("A", (date(2024, 1, 2), date(2024, 1, 3)), (D(1), D("-2")))
    assert err2.value.violations[0].field == "closes[1]"
    with pytest.raises(InvalidArgument):
        PriceSeries("A", (date(2024, 1, 2),), (D(1), D(2)))


def test_series_from_points_splits_bars_and_the_latest_quote() -> None:
    pts = [
        PricePoint("A", date(2024, 1, 3), D("11")),
        PricePoint("A", date(2024, 1, 2), D("10")),
        PricePoint("A", datetime(2024, 1, 4, 15, tzinfo=UTC), D("12"), D("11")),
        PricePoint("A", datetime(2024, 1, 4, 14, tzinfo=UTC), D("11.5")),
        PricePoint("A", date(2024, 1, 3), D("11.1")),  # a correction: last one wins
    ]
    s = PriceSeries.from_points("A", pts)
    assert s.dates == (date(2024, 1, 2), date(2024, 1, 3))
    assert s.closes == (D(10), D("11.1"))
    assert s.quote is not None and s.quote.close == D(12)
    assert s.closes_float.tolist() == [10.0, 11.1]
    with pytest.raises(InvalidArgument):
        PriceSeries.from_points("B", pts)


def test_inputs_sort_snapshots_and_reject_duplicate_dates() -> None:
    a = snapshot(date(2024, 1, 5), [position("A", 1)])
    b = snapshot(date(2024, 1, 2), [position("A", 2)])
    assert PortfolioInputs(holdings=(a, b), prices={}).holdings == (b, a)
    with pytest.raises(InvalidArgument):
        PortfolioInputs(holdings=(a, a), prices={})
    with pytest.raises(InvalidArgument):
        HoldingsSnapshot(T, a.holdings)  # type: ignore[arg-type]


def test_cash_flow_and_settings_validation() -> None:
    with pytest.raises(InvalidArgument):
        CashFlow(datetime(2024, 1, 2), D(1))
    with pytest.raises(InvalidArgument):
        CashFlow(date(2024, 1, 2), D("NaN"))
    with pytest.raises(InvalidArgument):
        AnalyticsSettings(market_timezone="Mars/Olympus")
    with pytest.raises(InvalidArgument):
        RiskParameters(risk_free_annual=2.0)  # 200 % a year: surely a percent passed as a fraction
    with pytest.raises(InvalidArgument):
        AnalyticsSettings(risk_window=1)

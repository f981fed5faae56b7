"""Diversification numbers and the published 0-100 score."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stack_cfo.core.portfolio import compute_diversification, diversification_score
from stack_cfo.core.portfolio.summary import summarize_holdings

from .factories import NY, after_close, holdings, position, series

DAY = date(2024, 5, 17)


def positions_with(values: dict[str, tuple[int, str | None]], cash: str = "0"):  # type: ignore[no-untyped-def]
    prices = {s: series(s, [DAY], ["1"]) for s in values}
    hs = summarize_holdings(
        holdings([position(s, v, sector=sec) for s, (v, sec) in values.items()], cash),
        prices,
        as_of=after_close(DAY),
        tz=NY,
        stale_after=timedelta(days=4),
    )
    return hs


def test_five_equal_positions_in_five_sectors() -> None:
    hs = positions_with({f"S{i}": (100, f"Sector{i}") for i in range(5)}, cash="500")
    d = compute_diversification(hs.positions, cash_weight=hs.cash_weight)
    assert d.position_count == 5
    assert d.position_hhi == pytest.approx(0.2)
    assert d.effective_positions == pytest.approx(5.0)
    assert d.largest_weight == pytest.approx(0.2)
    assert d.top5_weight == pytest.approx(1.0)
    assert d.sector_hhi == pytest.approx(0.2) and d.effective_sectors == pytest.approx(5.0)
    # 100 * (0.6 * (5-1)/19 + 0.4 * (5-1)/5) = 12.63 + 32
    assert d.score == 44.6
    assert d.position_points == pytest.approx(60 * 4 / 19) and d.sector_points == pytest.approx(32.0)
    assert d.cash_weight == pytest.approx(0.5)  # cash reported, not in the weights


def test_concentrated_portfolio() -> None:
    hs = positions_with({"BIG": (700, "Technology"), "MID": (200, "Technology"), "SMALL": (100, None)})
    d = compute_diversification(hs.positions, cash_weight=hs.cash_weight)
    assert d.position_hhi == pytest.approx(0.49 + 0.04 + 0.01)
    assert d.effective_positions == pytest.approx(1 / 0.54)
    assert d.largest_symbol == "BIG" and d.largest_weight == pytest.approx(0.7)
    assert [(s.name, round(s.weight, 12)) for s in d.sector_weights] == [("Technology", 0.9), ("Unclassified", 0.1)]
    assert d.sector_hhi == pytest.approx(0.82)
    expected = round(100 * (0.6 * (1 / 0.54 - 1) / 19 + 0.4 * (1 / 0.82 - 1) / 5), 1)
    assert d.score == expected == 4.4


def test_score_saturates_at_the_targets() -> None:
    assert diversification_score(20, 6) == 100.0
    assert diversification_score(45, 11) == 100.0
    assert diversification_score(1, 1) == 0.0  # a single position in a single sector
    assert diversification_score(10, 6) == 68.4  # 60 * 9/19 + 40
    assert diversification_score(20, 2, target_positions=20, target_sectors=4) == 73.3


def test_top5_weight_uses_the_five_largest() -> None:
    hs = positions_with({f"S{i:02d}": (10 * (i + 1), "X") for i in range(10)})  # 10..100, total 550
    d = compute_diversification(hs.positions, cash_weight=None)
    assert d.top5_weight == pytest.approx((100 + 90 + 80 + 70 + 60) / 550)
    assert d.largest_symbol == "S09"


def test_nothing_invested_has_no_score() -> None:
    d = compute_diversification([], cash_weight=1.0)
    assert d.score is None and d.effective_positions is None and d.position_count == 0
    assert d.cash_weight == 1.0


def test_is_deterministic_under_input_order() -> None:
    a = positions_with({"A": (100, "X"), "B": (100, "Y"), "C": (50, "X")})
    d1 = compute_diversification(a.positions, cash_weight=None)
    d2 = compute_diversification(tuple(reversed(a.positions)), cash_weight=None)
    assert d1 == d2
    assert d1.largest_symbol == "A"  # ties broken by symbol

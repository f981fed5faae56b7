"""A fired hourly check is news only once per crossing (alerts.py, "Repeats"): the first crossing of the
day in a direction, then each further threshold beyond the largest alerted move that way."""

from __future__ import annotations

import pytest

from stack_cfo.core.portfolio.alerts import AlertRule, GivenAlert, new_crossings

PCT = AlertRule(threshold_pct=2.0)


def test_the_first_crossing_of_the_day_is_news() -> None:
    assert new_crossings(-3.0, None, PCT, []) == ("PCT",)


@pytest.mark.parametrize(("move", "news"), [(-3.2, False), (-4.99, False), (-5.0, True), (-5.1, True)])
def test_the_same_way_again_needs_another_threshold(move: float, news: bool) -> None:
    assert bool(new_crossings(move, None, PCT, [GivenAlert(-3.0)])) is news


def test_exactly_another_threshold_is_news_despite_float_noise() -> None:
    # the moves as the scheduler has them, a fraction times 100: -7 % is -7.000000000000001
    given = [GivenAlert(-0.07 * 100)]
    assert given[0].move_pct != -7.0
    assert new_crossings(-9.0, None, PCT, given) == ("PCT",)
    assert new_crossings(-8.999, None, PCT, given) == ()


def test_the_largest_alerted_move_that_way_is_the_mark() -> None:
    given = [GivenAlert(-3.0), GivenAlert(2.5), GivenAlert(-5.1)]
    assert new_crossings(-6.0, None, PCT, given) == ()
    assert new_crossings(-7.1, None, PCT, given) == ("PCT",)
    assert new_crossings(2.9, None, PCT, given) == ()
    assert new_crossings(4.5, None, PCT, given) == ("PCT",)


def test_a_crossing_the_other_way_is_news() -> None:
    assert new_crossings(2.5, None, PCT, [GivenAlert(-3.0)]) == ("PCT",)
    assert new_crossings(-2.6, None, PCT, [GivenAlert(-3.0), GivenAlert(2.5)]) == ()


def test_the_growth_in_sigmas_counts_at_todays_volatility() -> None:
    # a 1 % daily volatility: -3 % is 3 sigmas; the sigma threshold alone decides
    rule = AlertRule(threshold_sigma=2.0)
    given = [GivenAlert(-3.0, -3.0)]
    assert new_crossings(-4.5, -4.5, rule, given) == ()  # 1.5 sigmas more
    assert new_crossings(-5.0, -5.0, rule, given) == ("SIGMA",)  # 2 more
    # either threshold (the default): the sigma growth fires before the percentage one
    either = AlertRule(threshold_pct=2.0, threshold_sigma=1.0)
    assert new_crossings(-4.2, -4.2, either, given) == ("SIGMA",)
    both = AlertRule(threshold_pct=2.0, threshold_sigma=1.0, require_both=True)
    assert new_crossings(-4.2, -4.2, both, given) == ()
    assert new_crossings(-5.0, -5.0, both, given) == ("PCT", "SIGMA")


def test_no_move_is_never_news() -> None:
    assert new_crossings(0.0, None, PCT, []) == ()
    assert new_crossings(float("nan"), None, PCT, []) == ()

"""XIRR of two flows (a valuation series without external flows) in closed form, as the search finds it."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from stack_cfo.core.portfolio import xirr as module
from stack_cfo.core.portfolio.xirr import xirr


def _searched(flows: list[tuple[date, float]], monkeypatch: pytest.MonkeyPatch) -> float | None:
    with monkeypatch.context() as m:
        m.setattr(module, "_two_flows", lambda *_: None)
        return xirr(flows)


def test_two_flows_in_closed_form_equal_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    compared = 0
    for _ in range(3000):
        d0 = date(2021, 1, 4) + timedelta(days=rng.randint(0, 900))
        d1 = d0 + timedelta(days=rng.choice([1, 3, 30, 200, 365, 731, 2900]))
        first = -(10 ** rng.uniform(-2, 7)) * rng.choice([1, -1])
        last = -first * math.exp(rng.gauss(0, 1.5))
        flows = [(d0, first), (d1, last)]
        fast, slow = xirr(flows), _searched(flows, monkeypatch)
        assert (fast is None) == (slow is None), flows
        if fast is not None and slow is not None:
            compared += 1
            assert fast == pytest.approx(slow, rel=1e-11, abs=1e-14), flows
    assert compared > 1500


def test_a_year_doubling_and_halving() -> None:
    assert xirr([(date(2023, 1, 1), -100.0), (date(2024, 1, 1), 200.0)]) == pytest.approx(1.0, rel=1e-12)
    assert xirr([(date(2023, 1, 1), -100.0), (date(2024, 1, 1), 50.0)]) == pytest.approx(-0.5, rel=1e-12)


def test_outside_the_grid_or_one_sign_is_still_undefined(monkeypatch: pytest.MonkeyPatch) -> None:
    # a thousandfold in one day: beyond the search's 10^6 %, so no rate (as before the closed form)
    huge = [(date(2024, 1, 2), -1.0), (date(2024, 1, 3), 1000.0)]
    assert xirr(huge) is None and _searched(huge, monkeypatch) is None
    assert xirr([(date(2024, 1, 2), -1.0), (date(2024, 1, 3), -2.0)]) is None
    assert xirr([(date(2024, 1, 2), -1.0), (date(2024, 1, 2), 2.0)]) is None

"""Money-weighted return (XIRR) of dated cash flows.

The rate ``r`` solving ``NPV(r) = sum_i c_i / (1 + r)^((d_i - d_0) / 365) = 0`` (actual/365 day
count, as spreadsheet XIRR and pyxirr), with ``c_i`` the investor's flows: money put in is
negative, money taken out (and the final value) positive. :func:`portfolio_flows` builds them from
a valuation series: minus the first day's value, minus each booked external flow (a deposit is
money the investor put in), plus the last day's value.

The root is bracketed on a grid of rates in (-100 %, 10^6 %) and refined by bisection on the
first sign change from the low end (the grid starts near 0, where real portfolios are), so
there are no Newton divergences; ``None`` when no bracket exists (all flows of one sign).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from stack_cfo.core.portfolio.valuation import ValuationSeries

_DAYS_PER_YEAR = 365.0
#: Candidate rates: dense around 0, then out to 10^4 (10^6 %) and down to -99.9999 %.
_GRID = np.unique(np.concatenate([
    -1.0 + np.logspace(-6, 0, 60, endpoint=False),
    np.linspace(-0.5, 1.0, 151),
    np.logspace(0, 4, 60),
]))


def _npv(rate: float, amounts: list[float], years: list[float]) -> float:
    # Plain floats: a valuation series has few flows (two without external ones), where numpy's
    # per-call overhead was most of the cost of each of the ~50 bisection steps.
    k = -math.log1p(rate)
    return sum(a * math.exp(y * k) for a, y in zip(amounts, years, strict=True))


def xirr(flows: Sequence[tuple[date, float]]) -> float | None:
    """The annualised money-weighted return of ``flows``; ``None`` when undefined."""
    if len(flows) < 2:
        return None
    d0 = min(d for d, _ in flows).toordinal()
    years = np.array([(d.toordinal() - d0) / _DAYS_PER_YEAR for d, _ in flows], dtype=np.float64)
    amounts = np.array([a for _, a in flows], dtype=np.float64)
    if years.max() <= 0 or not (amounts > 0).any() or not (amounts < 0).any():
        return None
    if len(flows) == 2:
        closed = _two_flows(float(amounts[0]), float(amounts[1]), float(years[1] - years[0]))
        if closed is not None:
            return closed
    scale = float(np.abs(amounts).max())
    amounts = amounts / scale
    # Vectorised NPV over the grid, then the sign change closest to zero.
    with np.errstate(over="ignore", invalid="ignore"):
        npv = (amounts[None, :] * np.exp(-years[None, :] * np.log1p(_GRID)[:, None])).sum(axis=1)
    ok = np.isfinite(npv)
    signs = np.sign(npv)
    exact = np.flatnonzero(ok & (signs == 0))
    if exact.size:
        return float(_GRID[exact[0]])
    candidates = np.flatnonzero(ok[:-1] & ok[1:] & (signs[:-1] != 0) & (signs[:-1] != signs[1:]))
    if not candidates.size:
        return None
    i = int(candidates[np.argmin(np.abs(_GRID[candidates]))])
    lo, hi = float(_GRID[i]), float(_GRID[i + 1])
    a, y = amounts.tolist(), years.tolist()
    f_lo = _npv(lo, a, y)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        f_mid = _npv(mid, a, y)
        if f_mid == 0.0 or hi - lo < 1e-15 * max(1.0, abs(mid)):
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _two_flows(first: float, last: float, years: float) -> float | None:
    """The root for two flows (a valuation series without external flows: minus the first value, plus
    the last), in closed form: ``first + last / (1 + r)^t = 0`` has the one root ``(-last / first)^(1/t) - 1``
    (NPV is monotonic in ``r``), which the grid and bisection below find to within 1e-15. ``None`` (search
    as for any flows) when it lies outside the grid's range, where the search finds no bracket."""
    if years <= 0.0 or first == 0.0:
        return None
    growth = -last / first
    if growth <= 0.0:
        return None
    try:
        rate = math.expm1(math.log(growth) / years)
    except OverflowError:
        return None
    return rate if _GRID[0] < rate < _GRID[-1] else None


def portfolio_flows(series: ValuationSeries) -> list[tuple[date, float]]:
    """The investor's flows over ``series``: -V_first, -F_d on later days, +V_last. Value that
    enters the valuation when its currency's first exchange rate arrives counts like a transfer in
    (as in the TWR), so a late rate is no gain here either."""
    n = len(series.days)
    if n < 2:
        return []
    out = [(series.days[0], -float(series.values[0]))]
    moved = series.flows if series.entering is None else series.flows + series.entering
    for i in np.flatnonzero(moved[1:]) + 1:
        out.append((series.days[int(i)], -float(moved[int(i)])))
    out.append((series.days[-1], float(series.values[-1])))
    return out

"""Risk metrics on a daily return series, with empyrical-reloaded 0.7.1 conventions.

Inputs are the daily **time-weighted** returns from :mod:`.valuation` (flows removed), so a
deposit never shows up as performance. ``P`` = periods per year (252), ``rf`` = annual risk-free
rate, ``rf_d = (1 + rf)^(1/P) - 1`` (geometric; empyrical itself takes a per-period rate, and
passing an annual one to it is the classic mistake), ``x = r - rf_d`` the excess returns, ``n``
the number of returns. Every formula matches the empyrical function named after it:

=====================  ===================================================================
cumulative_return      prod(1 + r) - 1                                (cum_returns_final)
cagr                   prod(1 + r)^(P/n) - 1, years = n/P; by observation count, not
                       calendar time                                  (annual_return)
volatility             std(r, ddof=1) · sqrt(P)                       (annual_volatility)
sharpe                 mean(x) / std(x, ddof=1) · sqrt(P)             (sharpe_ratio, rf_d)
sortino                mean(x)·P / (sqrt(mean(min(x, 0)²)) · sqrt(P)); the downside mean is
                       over *all* days (zeros on up days), not demeaned   (sortino_ratio)
max_drawdown           min(W_t / max_{s<=t} W_s - 1) with W_0 = 1 put in front of
                       W_t = prod_{s<=t}(1 + r_s): a first-day loss counts. <= 0 (max_drawdown)
current_drawdown       the same ratio on the last day. <= 0
calmar                 cagr / |max_drawdown|                           (calmar_ratio)
var_95                 historical 1-day VaR: the 5th percentile of r with linear
                       interpolation (numpy ``percentile`` "linear"). **Negative = loss.**
                       (value_at_risk)
cvar_95                mean of the int((n-1)·0.05)+1 smallest returns; negative = loss
                       (conditional_value_at_risk)
beta                   cov(r, b) / var(b) on the dates both series have (both with ddof=0,
                       so the ratio equals the ddof=1 one; rf cancels)   (beta)
alpha                  (1 + mean((r - rf_d) - beta·(b - rf_d)))^P - 1, geometric (alpha)
=====================  ===================================================================

Where empyrical returns NaN, ±inf or a float-residue giant (1e16), we return an absent
:class:`~.models.Metric` with a reason:

* ``n < 2`` (``n < 1`` for cumulative return and drawdowns) -> ``INSUFFICIENT_HISTORY``;
* annualised figures (volatility, Sharpe, Sortino, CAGR, Calmar, alpha) with fewer than
  ``min_history`` returns -> ``INSUFFICIENT_HISTORY`` (0 disables the rule);
* a series that is not daily, fewer returns than :data:`SPARSE_SHARE` of the weekdays from
  ``start`` to ``end`` (closes recorded weekly, monthly, quarterly) -> ``SPARSE_HISTORY`` for the
  figures that assume one return per trading day: volatility, Sharpe, Sortino, CAGR, Calmar,
  alpha, VaR and CVaR (quarterly closes over 31 years made a CAGR of +36,686 %). Cumulative
  return, drawdowns and beta do not depend on the spacing and stay. Below the minimum history
  the annualised figures stay ``INSUFFICIENT_HISTORY``, but VaR and CVaR (no minimum) are
  ``SPARSE_HISTORY`` from 2 returns on. Like the minimum history, the rule is off with
  ``min_history`` 0;
* zero dispersion -> ``ZERO_DISPERSION``: a series is constant when ``max - min <= 1e-12 ·
  (1 + max|x|)``. Returns are relative to wealth ``1 + r``, so a TWR series rebuilt from
  constant-growth prices (which carries ~1e-16 noise) is recognised as constant, where a plain
  ``std`` gives a Sharpe near 1e14. A constant series has volatility exactly 0 (empyrical:
  a 1e-17 residue). Sortino with a downside deviation at or below 1e-12 (no day under ``rf_d``)
  is ``ZERO_DISPERSION``; beta with a constant benchmark too;
* no benchmark or no shared date -> ``NO_BENCHMARK``;
* a return under -100 % anywhere in the series (the value turned negative) -> cumulative
  return, maximum and current drawdown, CAGR and Calmar ``UNDEFINED``: the wealth chain has no
  meaning after it. CAGR on overflow -> ``UNDEFINED`` too, and Calmar with it (wealth of exactly
  0 is a CAGR of -100 %, not undefined);
* Calmar when the portfolio never fell (maximum drawdown 0) -> ``UNDEFINED`` here too. The
  contract reports that case as ``NO_DRAWDOWN``: ``UnavailableReason`` has no such code, so
  :func:`stack_cfo.core.portfolio.views.build_view` recognises it (Calmar absent, CAGR present,
  maximum drawdown >= 0) and sets ``SummaryView.calmar_no_drawdown``, which the API and the
  chat context turn into ``NO_DRAWDOWN``.

Every value goes through ``math.isfinite`` before it leaves (``Metric.of``).

numpy is used because the series are arrays already and numpy's pairwise summation is what
the oracle uses: results agree with empyrical to about 1e-15 relative. A 504-day series costs
about 0.1 ms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np

from stack_cfo.core.portfolio.models import FloatArray
from stack_cfo.core.portfolio.results import Metric, RiskMetrics, UnavailableReason
from stack_cfo.core.portfolio.settings import RiskParameters

_DISPERSION_TOL = 1e-12
_DOWNSIDE_TOL = 1e-12
_VAR_FLOOR = 1e-30  # empyrical beta: benchmark variance below this is treated as zero

_IH = Metric.absent(UnavailableReason.INSUFFICIENT_HISTORY)
_SP = Metric.absent(UnavailableReason.SPARSE_HISTORY)

SPARSE_SHARE = 0.5
"""A return series with fewer returns than this share of the weekdays it spans is not daily."""
_ZD = Metric.absent(UnavailableReason.ZERO_DISPERSION)
_NB = Metric.absent(UnavailableReason.NO_BENCHMARK)
_UD = Metric.absent(UnavailableReason.UNDEFINED)


def is_constant(x: FloatArray) -> bool:
    """Zero dispersion: ``max - min <= 1e-12 · (1 + max|x|)`` (exactly equal values included)."""
    if len(x) == 0:
        return True
    lo = float(x.min())
    hi = float(x.max())
    return hi - lo <= _DISPERSION_TOL * (1.0 + max(abs(lo), abs(hi)))


def drawdown_series(returns: FloatArray) -> FloatArray:
    """Drawdown after each return, W_0 = 1 anchored (so a first-day loss is a drawdown). <= 0."""
    if len(returns) == 0:
        return np.empty(0, dtype=np.float64)
    wealth = np.cumprod(1.0 + returns)
    peak = np.maximum.accumulate(wealth)
    np.maximum(peak, 1.0, out=peak)  # the W_0 = 1 anchor
    return (wealth - peak) / peak


def historical_var(sorted_returns: FloatArray, cutoff: float) -> float:
    """``np.percentile(r, 100·cutoff)`` (linear) on an ascending array, without re-sorting."""
    n = len(sorted_returns)
    virtual = (n - 1) * cutoff
    lo = math.floor(virtual)
    hi = min(lo + 1, n - 1)
    t = virtual - lo
    a = float(sorted_returns[lo])
    b = float(sorted_returns[hi])
    diff = b - a
    # numpy's _lerp: interpolate from the nearer end for accuracy.
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def _pow_minus_one(base: float, exponent: float) -> Metric:
    if base < 0:
        return _UD
    if base == 0:
        return Metric.of(-1.0)
    try:
        return Metric.of(base**exponent - 1.0)
    except OverflowError:
        return _UD


def compute_risk(
    returns: Sequence[float] | FloatArray,
    benchmark_returns: Sequence[float | None] | FloatArray | None = None,
    *,
    params: RiskParameters | None = None,
    start: date | None = None,
    end: date | None = None,
) -> RiskMetrics:
    """All risk metrics of a daily return series.

    ``benchmark_returns``, when given, is aligned with ``returns`` position by position; NaN (or
    ``None``) marks a day the benchmark does not share. ``start``/``end`` are echoed for display.
    """
    p = params or RiskParameters()
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1 or not bool(np.all(np.isfinite(r))):
        raise ValueError("returns must be a 1-D series of finite floats")
    n = len(r)
    ann = p.periods_per_year
    rf_d = p.risk_free_daily
    annualised_ok = n >= 2 and n >= p.min_history
    # min_history 0 asks for every figure from 2 returns on, as empyrical computes them: no
    # adequacy rule applies then, the spacing check included.
    sparse = n >= 2 and p.min_history > 0 and is_sparse(n, start, end)

    # -- cumulative and drawdowns (defined from one return on) -------------------------------
    wiped = n >= 1 and bool(np.any(r < -1.0))
    if wiped:
        # a return below -100 %: the wealth chain turns negative and means nothing after it
        wealth_end = -1.0
        cumulative = max_dd = current_dd = _UD
    elif n >= 1:
        wealth_end = float(np.prod(r + 1.0))
        cumulative = Metric.of(wealth_end - 1.0)
        dd = drawdown_series(r)
        max_dd = Metric.of(float(dd.min()))
        current_dd = Metric.of(float(dd[-1]))
    else:
        wealth_end = 1.0
        cumulative = max_dd = current_dd = _IH

    # -- dispersion-based ----------------------------------------------------------------------
    x = r - rf_d if rf_d != 0.0 else r
    if n < 2 or not annualised_ok:
        volatility = sharpe = sortino = cagr = calmar = _IH
    elif sparse:
        volatility = sharpe = sortino = cagr = calmar = _SP
    else:
        volatility = Metric.of(0.0) if is_constant(r) else Metric.of(float(np.std(r, ddof=1)) * ann ** (1.0 / 2.0))
        if is_constant(x):
            sharpe = _ZD
        else:
            sharpe = Metric.of(float(np.mean(x)) / float(np.std(x, ddof=1)) * float(np.sqrt(ann)))
        downside = np.minimum(x, 0.0)
        downside_dev = float(np.sqrt(np.mean(np.square(downside))))
        if downside_dev <= _DOWNSIDE_TOL:
            sortino = _ZD
        else:
            sortino = Metric.of(float(np.mean(x)) * ann / (downside_dev * float(np.sqrt(ann))))
        cagr = _pow_minus_one(wealth_end, 1.0 / (n / ann))
        if cagr.value is None:
            calmar = cagr
        elif max_dd.value is not None and max_dd.value < 0:
            calmar = Metric.of(cagr.value / abs(max_dd.value))
        else:
            calmar = _UD

    # -- tail ----------------------------------------------------------------------------------
    if n < 2:
        var_95 = cvar_95 = _IH
    elif sparse:
        var_95 = cvar_95 = _SP
    else:
        s = np.sort(r)
        var_95 = Metric.of(historical_var(s, p.var_cutoff))
        k = int((n - 1) * p.var_cutoff)
        cvar_95 = Metric.of(float(np.mean(s[: k + 1])))

    # -- benchmark -----------------------------------------------------------------------------
    beta, alpha, bench_cum, m = _benchmark_metrics(r, benchmark_returns, p, rf_d)
    if sparse and alpha.reason not in (UnavailableReason.NO_BENCHMARK, UnavailableReason.INSUFFICIENT_HISTORY):
        alpha = _SP

    return RiskMetrics(
        observations=n,
        start=start,
        end=end,
        risk_free_annual=p.risk_free_annual,
        cumulative_return=cumulative,
        cagr=cagr,
        volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max_dd,
        current_drawdown=current_dd,
        calmar=calmar,
        var_95=var_95,
        cvar_95=cvar_95,
        benchmark_observations=m,
        beta=beta,
        alpha=alpha,
        benchmark_cumulative_return=bench_cum,
    )


def is_sparse(n: int, start: date | None, end: date | None) -> bool:
    """Whether ``n`` returns from ``start`` to ``end`` are fewer than :data:`SPARSE_SHARE` of the
    weekdays between them (a daily series has about one per weekday; exchange holidays cost ~4 %)."""
    if start is None or end is None or end <= start:
        return False
    return n < SPARSE_SHARE * int(np.busday_count(start, end))


def _benchmark_metrics(
    r: FloatArray,
    benchmark_returns: Sequence[float | None] | FloatArray | None,
    p: RiskParameters,
    rf_d: float,
) -> tuple[Metric, Metric, Metric, int]:
    """Beta, alpha, the benchmark's cumulative return on shared days, and the shared-day count.

    Reasons are checked in a fixed order: n < 2 (INSUFFICIENT_HISTORY), then no benchmark or no
    shared day (NO_BENCHMARK: more history would not help), then for beta fewer than 2 shared
    days and for alpha (annualised) fewer than max(2, min_history) returns or shared days
    (INSUFFICIENT_HISTORY), then a constant benchmark (ZERO_DISPERSION).
    """
    n = len(r)
    m = 0
    rr = bb = np.empty(0, dtype=np.float64)
    if benchmark_returns is not None:
        b_all = np.array([np.nan if v is None else v for v in benchmark_returns], dtype=np.float64)
        if b_all.shape != r.shape:
            raise ValueError("benchmark_returns must align with returns")
        mask = np.isfinite(b_all)
        m = int(mask.sum())
        rr, bb = r[mask], b_all[mask]
    bench_cum = Metric.of(float(np.prod(bb + 1.0)) - 1.0) if m >= 1 else _NB

    beta_value = math.nan
    if n < 2:
        beta = _IH
    elif m == 0:
        beta = _NB
    elif m < 2:
        beta = _IH
    else:
        residual = bb - np.mean(bb)
        variance = float(np.mean(np.square(residual)))
        if is_constant(bb) or variance < _VAR_FLOOR:
            beta = _ZD
        else:
            beta_value = float(np.mean(residual * rr)) / variance
            beta = Metric.of(beta_value)

    needed = max(2, p.min_history)
    if n < 2:
        alpha = _IH
    elif m == 0:
        alpha = _NB
    elif n < needed or m < needed:
        alpha = _IH
    elif beta.value is None:
        alpha = beta
    else:
        alpha_series = (rr - rf_d) - beta_value * (bb - rf_d)
        alpha = _pow_minus_one(float(np.mean(alpha_series)) + 1.0, float(p.periods_per_year))
    return beta, alpha, bench_cum, m

"""The performance-alert rule the scheduler evaluates during market hours. Pure.

**Units.** Unlike the rest of the package, this module speaks **percent** because users type
the threshold: ``threshold_pct = 2.0`` means 2 %, and ``AlertDecision.move_pct`` is in percent
too. ``sigma`` is in standard deviations.

**The move.** ``values`` are recent (instant, portfolio value) samples. The current sample is
the latest one; the reference is

* ``HOUR``: the latest sample at or before ``current - 1 hour``;
* ``DAY``: the latest sample dated before the current sample's market date (the previous
  session's last value, i.e. its close).

External flows in between are removed as in the TWR: ``move = (V_now - F) / V_ref - 1``
(a flow dated by day counts when its market date is after the reference's and at most the
current one's), so a deposit never fires an alert.

**Sigma.** ``daily_vol`` = sample standard deviation (ddof=1) of the last 90 daily TWR returns
(at least ``min_observations``, default 20; fewer, or a constant series, leaves ``sigma``
``None``). The window's volatility is ``daily_vol`` for DAY and ``daily_vol / sqrt(6.5)`` for
HOUR: square-root-of-time over a 6.5-hour US session, treating intraday returns as independent
and ignoring the overnight gap. ``sigma = move / window_vol`` (signed).

**Firing.** With both thresholds set the rule fires when either is crossed (``|move_pct| >=
threshold_pct`` or ``|sigma| >= threshold_sigma``), or when both are if ``require_both``. A
threshold that cannot be evaluated is not crossed.

**Drivers.** Given each position's value change over the window, the drivers are the positions
that moved the same way as the portfolio, largest first, with their share of the move.

**Repeats** (:func:`new_crossings`). The rule is checked every hour, and today's move is measured
from the previous close each time, so a day that stays 3 % down fires at every check. A fired
check is *news* only when the day's move crossed the threshold for the first time that market day
in its direction, or has grown by at least another threshold beyond the largest move already
alerted in the same direction (with 2 %: down 3.0 % alerted, the next at -5.0 % or beyond; a move
up of 2 % after that is a first crossing upwards). The growth is measured in both units the rule
has (percentage points, and sigmas at today's volatility) and the rule's own combination (either,
or both) decides. Which alerts were given is the caller's memory (the scheduler's stored alerts of
that market day); a new market day starts with none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, localcontext
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.models import CashFlow
from stack_cfo.core.portfolio.risk import is_constant
from stack_cfo.core.portfolio.valuation import market_date

TRADING_HOURS_PER_DAY = 6.5
VOL_LOOKBACK_DAYS = 90
_NEW_YORK = ZoneInfo("America/New_York")


class AlertWindow(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A user's alert: an absolute threshold in percent, a threshold in sigmas, or both."""

    threshold_pct: float | None = None
    threshold_sigma: float | None = None
    window: AlertWindow = AlertWindow.DAY
    require_both: bool = False

    def __post_init__(self) -> None:
        if self.threshold_pct is None and self.threshold_sigma is None:
            raise InvalidArgument.field("threshold_pct", "set threshold_pct, threshold_sigma or both")
        for name in ("threshold_pct", "threshold_sigma"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InvalidArgument.field(name, "must be a positive finite number")


@dataclass(frozen=True, slots=True)
class Driver:
    """A position behind the move: its value change (base currency) and share of the portfolio's move."""

    symbol: str
    change: Decimal
    share: float | None


@dataclass(frozen=True, slots=True)
class AlertDecision:
    fires: bool
    window: AlertWindow
    #: Move over the window in percent (flows removed); ``None`` without a reference sample.
    move_pct: float | None
    #: Move in standard deviations of the window; ``None`` when volatility is unknown or zero.
    sigma: float | None
    daily_volatility: float | None
    window_volatility: float | None
    reference_at: datetime | None
    reference_value: Decimal | None
    current_at: datetime | None
    current_value: Decimal | None
    #: Which thresholds were crossed: "PCT", "SIGMA".
    crossed: tuple[str, ...]
    drivers: tuple[Driver, ...]


def daily_volatility(daily_returns: Sequence[float], *, min_observations: int = 20) -> float | None:
    """Sample std (ddof=1) of the last 90 daily returns; ``None`` if too few or constant."""
    r = np.asarray(list(daily_returns)[-VOL_LOOKBACK_DAYS:], dtype=np.float64)
    r = r[np.isfinite(r)]
    if len(r) < max(2, min_observations) or is_constant(r):
        return None
    vol = float(np.std(r, ddof=1))
    return vol if math.isfinite(vol) and vol > 0 else None


def evaluate_alert(
    values: Sequence[tuple[datetime, Decimal]],
    daily_returns_90d: Sequence[float],
    rule: AlertRule,
    *,
    flows: Sequence[CashFlow] = (),
    position_moves: Mapping[str, Decimal] | None = None,
    tz: tzinfo = _NEW_YORK,
    min_observations: int = 20,
    max_drivers: int = 3,
) -> AlertDecision:
    """Decide whether ``rule`` fires on the latest sample of ``values`` (see module docstring)."""
    samples = sorted(values, key=lambda v: v[0])
    dvol = daily_volatility(daily_returns_90d, min_observations=min_observations)
    wvol = (
        None if dvol is None else (dvol / math.sqrt(TRADING_HOURS_PER_DAY) if rule.window is AlertWindow.HOUR else dvol)
    )
    if not samples:
        return _no_decision(rule, dvol, wvol, None, None)
    now_at, now_value = samples[-1]
    ref = _reference(samples, rule.window, tz)
    if ref is None or ref[1] <= 0:
        return _no_decision(rule, dvol, wvol, now_at, now_value)
    ref_at, ref_value = ref
    net_flow = sum((f.amount for f in flows if _flow_in_window(f, ref_at, now_at, tz)), Decimal(0))
    with localcontext() as ctx:
        ctx.prec = 50
        change = now_value - net_flow - ref_value
        move = float(change / ref_value)
    move_pct = move * 100.0
    sigma = move / wvol if wvol else None

    crossed = _crossed(rule, abs(move_pct), None if sigma is None else abs(sigma))
    fires = _fires(rule, crossed)

    return AlertDecision(
        fires=fires,
        window=rule.window,
        move_pct=move_pct,
        sigma=sigma,
        daily_volatility=dvol,
        window_volatility=wvol,
        reference_at=ref_at,
        reference_value=ref_value,
        current_at=now_at,
        current_value=now_value,
        crossed=crossed,
        drivers=_drivers(position_moves or {}, change, max_drivers),
    )


@dataclass(frozen=True, slots=True)
class GivenAlert:
    """An alert already given on the current market day: its move in percent (signed) and sigmas."""

    move_pct: float
    sigma: float | None = None


#: Slack for the float noise of moves computed and stored separately: growing from -3 % to -5 %
#: with a 2 % threshold is a new crossing even when the floats differ in their last bit.
_GROWTH_SLACK = 1e-9


def new_crossings(
    move_pct: float, sigma: float | None, rule: AlertRule, given: Sequence[GivenAlert]
) -> tuple[str, ...]:
    """The thresholds a fired check crosses *as news* after the alerts ``given`` the same market day
    (see "Repeats" in the module docstring); empty: it repeats an alert already given, send nothing.

    ``move_pct`` and ``sigma`` are today's move (signed) as the rule measured it. Without an alert
    given in the move's direction this is the rule itself (the first crossing that way); otherwise it
    is the rule applied to the growth beyond the largest alerted move in that direction.
    """
    if not math.isfinite(move_pct) or move_pct == 0:
        return ()
    same_way = [abs(g.move_pct) for g in given if math.isfinite(g.move_pct) and g.move_pct * move_pct > 0]
    if not same_way:
        crossed = _crossed(rule, abs(move_pct), None if sigma is None else abs(sigma))
    else:
        growth = abs(move_pct) - max(same_way)
        if growth <= 0:
            return ()
        # at today's volatility: the growth in sigmas is its share of today's sigmas
        growth_sigma = None if sigma is None else abs(sigma) * growth / abs(move_pct) + _GROWTH_SLACK
        crossed = _crossed(rule, growth + _GROWTH_SLACK, growth_sigma)
    return crossed if _fires(rule, crossed) else ()


def _crossed(rule: AlertRule, move_pct: float, sigma: float | None) -> tuple[str, ...]:
    """Which thresholds an absolute move (percent, sigmas) crosses."""
    crossed = []
    if rule.threshold_pct is not None and move_pct >= rule.threshold_pct:
        crossed.append("PCT")
    if rule.threshold_sigma is not None and sigma is not None and sigma >= rule.threshold_sigma:
        crossed.append("SIGMA")
    return tuple(crossed)


def _fires(rule: AlertRule, crossed: tuple[str, ...]) -> bool:
    configured = (rule.threshold_pct is not None) + (rule.threshold_sigma is not None)
    return len(crossed) == configured if rule.require_both else bool(crossed)


def _no_decision(
    rule: AlertRule, dvol: float | None, wvol: float | None, now_at: datetime | None, now_value: Decimal | None
) -> AlertDecision:
    return AlertDecision(
        fires=False,
        window=rule.window,
        move_pct=None,
        sigma=None,
        daily_volatility=dvol,
        window_volatility=wvol,
        reference_at=None,
        reference_value=None,
        current_at=now_at,
        current_value=now_value,
        crossed=(),
        drivers=(),
    )


def _reference(
    samples: list[tuple[datetime, Decimal]], window: AlertWindow, tz: tzinfo
) -> tuple[datetime, Decimal] | None:
    now_at = samples[-1][0]
    if window is AlertWindow.HOUR:
        cutoff = now_at - timedelta(hours=1)
        before = [s for s in samples if s[0] <= cutoff]
    else:
        today = market_date(now_at, tz)
        before = [s for s in samples if market_date(s[0], tz) < today]
    return before[-1] if before else None


def _flow_in_window(flow: CashFlow, ref_at: datetime, now_at: datetime, tz: tzinfo) -> bool:
    if isinstance(flow.at, datetime):
        return ref_at < flow.at <= now_at
    d: date = flow.at
    return market_date(ref_at, tz) < d <= market_date(now_at, tz)


def _drivers(moves: Mapping[str, Decimal], change: Decimal, limit: int) -> tuple[Driver, ...]:
    if change == 0 or limit <= 0:
        return ()
    same_way = [(s, c) for s, c in moves.items() if (c < 0) == (change < 0) and c != 0]
    same_way.sort(key=lambda sc: (-abs(sc[1]), sc[0]))
    with localcontext() as ctx:
        ctx.prec = 50
        return tuple(Driver(s, c, float(c / change)) for s, c in same_way[:limit])

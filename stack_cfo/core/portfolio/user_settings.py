"""Per-user portfolio settings (``users/{user}/portfolio/settings``): the benchmark, the cost basis
method and the insight ("alert") thresholds, each defaulting to the configured value.

A value of ``None`` means "the server's default"; :meth:`UserSettings.applied` lays the user's
values over the configured :class:`~.settings.AnalyticsSettings`. Every number has a range
(:data:`RANGES`); an update outside it is INVALID_ARGUMENT (OUT_OF_RANGE) naming the field.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from stack_cfo.core.errors import each_checked
from stack_cfo.core.portfolio.inputs import _bad, normalize_symbol
from stack_cfo.core.portfolio.settings import AnalyticsSettings, InsightThresholds
from stack_cfo.core.portfolio.transactions import CostBasisMethod

#: Threshold fields (names of :class:`InsightThresholds`) and their allowed ranges.
RANGES: Mapping[str, tuple[float, float]] = {
    "position_weight": (0.0, 1.0),
    "position_weight_critical": (0.0, 1.0),
    "sector_weight": (0.0, 1.0),
    "drawdown_warning": (-1.0, 0.0),
    "drawdown_critical": (-1.0, 0.0),
    "basket_lag": (0.0, 1.0),
    "position_lag": (0.0, 1.0),
    "idle_cash": (0.0, 1.0),
}
#: The contract's field names (PortfolioSettings) -> ours.
CONTRACT_NAMES: Mapping[str, str] = {
    "benchmark_symbol": "benchmark_symbol",
    "cost_basis_method": "cost_basis_method",
    "position_concentration_threshold": "position_weight",
    "position_concentration_critical_threshold": "position_weight_critical",
    "sector_concentration_threshold": "sector_weight",
    "drawdown_warning_threshold": "drawdown_warning",
    "drawdown_critical_threshold": "drawdown_critical",
    "basket_lag_threshold": "basket_lag",
    "position_lag_threshold": "position_lag",
    "idle_cash_threshold": "idle_cash",
}


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A user's own settings; ``None`` = the configured default."""

    benchmark_symbol: str | None = None
    cost_basis_method: CostBasisMethod | None = None
    position_weight: float | None = None
    position_weight_critical: float | None = None
    sector_weight: float | None = None
    drawdown_warning: float | None = None
    drawdown_critical: float | None = None
    basket_lag: float | None = None
    position_lag: float | None = None
    idle_cash: float | None = None
    updated_at: datetime | None = None

    @property
    def method(self) -> CostBasisMethod:
        return self.cost_basis_method or CostBasisMethod.AVERAGE_COST

    def applied(self, base: AnalyticsSettings) -> AnalyticsSettings:
        """``base`` with the user's values laid over it (``base`` itself when there are none)."""
        thresholds = {k: getattr(self, k) for k in RANGES if getattr(self, k) is not None}
        if not thresholds and self.benchmark_symbol is None:
            return base
        return dataclasses.replace(
            base,
            benchmark_symbol=self.benchmark_symbol or base.benchmark_symbol,
            thresholds=dataclasses.replace(base.thresholds, **thresholds) if thresholds else base.thresholds,
        )

    def effective(self, base: AnalyticsSettings) -> UserSettings:
        """Every field filled in (the user's value, else the default): what GetPortfolioSettings shows."""
        t: InsightThresholds = base.thresholds
        return dataclasses.replace(
            self,
            benchmark_symbol=self.benchmark_symbol or base.benchmark_symbol,
            cost_basis_method=self.method,
            **{k: getattr(self, k) if getattr(self, k) is not None else getattr(t, k) for k in RANGES},
        )


def validate_update(values: Mapping[str, object], paths: list[str]) -> dict[str, object]:
    """The columns to set from an update (contract names in ``paths``): validated, ``None`` = default."""
    unknown = [p for p in paths if p not in CONTRACT_NAMES]
    if unknown:
        path = unknown[0][:64]
        raise _bad("update_mask", f"{path!r} is not a settings field", "INVALID_FIELD_MASK", path=path)

    def column(path: str, _: int) -> tuple[str, object]:
        name = CONTRACT_NAMES[path]
        value = values.get(path)
        field = f"settings.{path}"
        if value is None:
            return name, None
        if name == "benchmark_symbol":
            return name, normalize_symbol(str(value), field)
        if name == "cost_basis_method":
            return name, value if isinstance(value, CostBasisMethod) else None
        assert isinstance(value, float | int)
        lo, hi = RANGES[name]
        if not math.isfinite(value) or not lo <= value <= hi:
            raise _bad(field, f"must be between {lo:g} and {hi:g}", "OUT_OF_RANGE", value=repr(value)[:40])
        return name, float(value)

    # every bad value of the update at once, as for the items of a batch
    return dict(each_checked(paths, column, prefix="update_mask.paths"))


#: Pairs of thresholds whose order matters: (warning, critical, the critical one must be at least as
#: severe: True when severity grows with the value (weights), False when it falls (drawdowns)).
_ORDERED: tuple[tuple[str, str, bool], ...] = (
    ("position_weight", "position_weight_critical", True),
    ("drawdown_warning", "drawdown_critical", False),
)
_OURS_TO_CONTRACT = {ours: contract for contract, ours in CONTRACT_NAMES.items()}


def check_threshold_order(effective: UserSettings, columns: Mapping[str, object]) -> None:
    """A critical threshold is never less severe than its warning (a concentration critical at 30% with
    the warning at 50% would make every concentrated position critical before it is a warning), on the
    settings as they would be after an update that set ``columns``: INVALID_ARGUMENT (OUT_OF_RANGE)
    naming the field of the pair the update changed (the critical one when it changed both)."""
    for warning, critical, rising in _ORDERED:
        if warning not in columns and critical not in columns:
            continue  # an update of other fields never fails on a pair it did not touch
        w, c = getattr(effective, warning), getattr(effective, critical)
        if w is None or c is None or (c >= w if rising else c <= w):
            continue
        name = critical if critical in columns or warning not in columns else warning
        other = warning if name == critical else critical
        field = f"settings.{_OURS_TO_CONTRACT[name]}"
        relation = "at least" if (name == critical) == rising else "at most"
        raise _bad(field, f"must be {relation} {_OURS_TO_CONTRACT[other]} ({getattr(effective, other):g})",
                   "OUT_OF_RANGE", value=repr(getattr(effective, name))[:40])

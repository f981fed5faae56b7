"""What a context carries beyond totals, positions and risk: changes over periods, baskets and
sectors with each member's contribution, the benchmark, insights and the diversification score.

Units as in :mod:`.models`: money is ``Decimal`` in the base currency; returns, weights and
contributions are ``float`` fractions (``0.0123`` is 1.23 %). A ``weight`` is a share of the
portfolio's total value (cash included); an ``invested_weight`` a share of its invested value
(positions only), the basis of the insights and the diversification score. A period missing from
a mapping is unknown (for instance too short a price history), never zero.

Periods are keyed by :data:`PERIOD_KEYS` (``1d``, ``1w``, ``1m``, ``ytd``); their exact start
dates and the return and contribution formulas are those of
:mod:`stack_cfo.core.portfolio.periods`. Every type reads back what it wrote and tolerates
anything missing, so contexts stored before these figures existed still parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stack_cfo.core.chat.jsonvalues import dec, mapping, num, objects, parse_dec, parse_num
from stack_cfo.core.portfolio import PERIODS

PERIOD_KEYS: tuple[str, ...] = tuple(p.value for p in PERIODS)
"""``1d``, ``1w``, ``1m``, ``ytd``: the order figures are listed in."""


def _floats(raw: Any) -> dict[str, float]:
    out = {}
    for k, v in mapping(raw).items():
        x = parse_num(v)
        if k in PERIOD_KEYS and x is not None:
            out[k] = x
    return out


def _floats_json(values: Mapping[str, float]) -> dict[str, float]:
    return {k: v for k, v in values.items() if num(v) is not None}


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """Holdings-based changes over the periods: ``returns`` (fractions) and ``changes`` (money)."""

    returns: Mapping[str, float] = field(default_factory=dict)
    changes: Mapping[str, Decimal] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"returns": _floats_json(self.returns), "changes": {k: dec(v) for k, v in self.changes.items()}}

    @classmethod
    def from_json(cls, raw: Any) -> PeriodFigures:
        raw = mapping(raw)
        changes = {}
        for k, v in mapping(raw.get("changes")).items():
            d = parse_dec(v)
            if k in PERIOD_KEYS and d is not None:
                changes[k] = d
        return cls(_floats(raw.get("returns")), changes)


@dataclass(frozen=True, slots=True)
class ContextMember:
    """A position's contribution to its basket's or sector's return, per period (fractions that
    add up to the group's return over the members with a start price)."""

    symbol: str
    contributions: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "contributions": _floats_json(self.contributions)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContextMember:
        return cls(str(raw.get("symbol") or ""), _floats(raw.get("contributions")))


@dataclass(frozen=True, slots=True)
class ContextGroup:
    """A basket or a sector: its valued positions added up."""

    name: str
    market_value: Decimal
    weight: float | None = None
    """Share of total value (cash included)."""
    invested_weight: float | None = None
    """Share of invested value (positions only)."""
    position_count: int = 0
    unrealized_pnl: Decimal | None = None
    unrealized_return: float | None = None
    periods: PeriodFigures = field(default_factory=PeriodFigures)
    members: tuple[ContextMember, ...] = ()
    """Every member, largest market value first."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "market_value": dec(self.market_value),
            "weight": num(self.weight),
            "invested_weight": num(self.invested_weight),
            "position_count": self.position_count,
            "unrealized_pnl": dec(self.unrealized_pnl),
            "unrealized_return": num(self.unrealized_return),
            "periods": self.periods.to_json(),
            "members": [m.to_json() for m in self.members],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContextGroup:
        return cls(
            name=str(raw.get("name") or ""),
            market_value=parse_dec(raw.get("market_value")) or Decimal(0),
            weight=parse_num(raw.get("weight")),
            invested_weight=parse_num(raw.get("invested_weight")),
            position_count=int(parse_num(raw.get("position_count")) or 0),
            unrealized_pnl=parse_dec(raw.get("unrealized_pnl")),
            unrealized_return=parse_num(raw.get("unrealized_return")),
            periods=PeriodFigures.from_json(raw.get("periods")),
            members=tuple(ContextMember.from_json(m) for m in objects(raw.get("members"))),
        )


@dataclass(frozen=True, slots=True)
class ContextBenchmark:
    """The benchmark's price return over the same periods as the portfolio's."""

    symbol: str
    returns: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "returns": _floats_json(self.returns)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContextBenchmark:
        return cls(str(raw.get("symbol") or ""), _floats(raw.get("returns")))


@dataclass(frozen=True, slots=True)
class ContextInsight:
    """One of the portfolio core's deterministic insights (``core.portfolio.insights``)."""

    code: str
    severity: str
    message: str
    subject: str = ""
    """The position, basket or sector it is about; empty when it is about the whole portfolio."""
    numbers: Mapping[str, str] = field(default_factory=dict)
    """The insight's own numbers: decimal strings (fractions to 6 dp, money to 2 dp) or symbol lists."""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "subject": self.subject,
                "numbers": dict(self.numbers)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContextInsight:
        return cls(
            code=str(raw.get("code") or ""),
            severity=str(raw.get("severity") or ""),
            message=str(raw.get("message") or ""),
            subject=str(raw.get("subject") or ""),
            numbers={str(k): str(v) for k, v in mapping(raw.get("numbers")).items()},
        )


@dataclass(frozen=True, slots=True)
class ContextDiversification:
    """The diversification score and its parts, over invested value (see ``core.portfolio.diversification``)."""

    score: float | None = None
    """0-100: ``position_points`` + ``sector_points``, rounded to one decimal."""
    position_points: float | None = None
    """Breadth across holdings, at most 60."""
    sector_points: float | None = None
    """Breadth across sectors, at most 40."""
    position_count: int = 0
    effective_positions: float | None = None
    effective_sectors: float | None = None
    position_hhi: float | None = None
    sector_hhi: float | None = None
    largest_symbol: str = ""
    largest_invested_weight: float | None = None
    top5_invested_weight: float | None = None

    _FLOATS = ("score", "position_points", "sector_points", "effective_positions", "effective_sectors",
               "position_hhi", "sector_hhi", "largest_invested_weight", "top5_invested_weight")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: num(getattr(self, k)) for k in self._FLOATS}
        out.update(position_count=self.position_count, largest_symbol=self.largest_symbol)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContextDiversification:
        return cls(
            position_count=int(parse_num(raw.get("position_count")) or 0),
            largest_symbol=str(raw.get("largest_symbol") or ""),
            **{k: parse_num(raw.get(k)) for k in cls._FLOATS},
        )

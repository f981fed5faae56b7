"""Concentration and a published 0-100 diversification score.

Weights are fractions of **invested value** (the valued positions; cash excluded and reported
separately as ``cash_weight``), so holding cash neither improves nor worsens the score.

* position HHI ``H = Σ w_i²`` ∈ [1/N, 1]; effective number of holdings ``N_eff = 1/H``;
* sector weights ``s_k = Σ_{i in k} w_i`` (positions without a sector form one "Unclassified"
  sector, the cautious reading); sector HHI ``H_s = Σ s_k²``; ``S_eff = 1/H_s``;
* largest weight, and the top-5 weight (sum of the five largest);
* **score** ("stack-cfo diversification score v1", the formula published in the proto):
  ``P = clamp((N_eff - 1) / (20 - 1), 0, 1)``, ``S = clamp((S_eff - 1) / (6 - 1), 0, 1)``,
  ``score = round(100 · (0.6·P + 0.4·S), 1)``, with the targets configurable
  (``AnalyticsSettings.target_positions``/``target_sectors``). One position scores 0; 60 points
  reward breadth across holdings (20 equally weighted names earn them all), 40 points breadth
  across sectors (6 equally weighted sectors earn them all). It measures breadth *and* evenness,
  unlike ``1 - normalised HHI`` which rates five equal stocks 100. A fund counts as one holding
  (no look-through). ``None`` when nothing is invested. The two parts are reported unrounded as
  ``position_points`` and ``sector_points``.
"""

from __future__ import annotations

from collections.abc import Sequence

from stack_cfo.core.portfolio.results import Diversification, PositionSummary, SectorWeight

POSITION_POINTS = 60.0
SECTOR_POINTS = 40.0


def score_points(
    effective_positions: float,
    effective_sectors: float,
    *,
    target_positions: float = 20.0,
    target_sectors: float = 6.0,
) -> tuple[float, float]:
    """The score's parts, unrounded: ``(60·P, 40·S)`` (see the module docstring)."""

    def breadth(effective: float, target: float) -> float:
        return min(1.0, max(0.0, (effective - 1.0) / (target - 1.0)))

    return (
        POSITION_POINTS * breadth(effective_positions, target_positions),
        SECTOR_POINTS * breadth(effective_sectors, target_sectors),
    )


def diversification_score(
    effective_positions: float,
    effective_sectors: float,
    *,
    target_positions: float = 20.0,
    target_sectors: float = 6.0,
) -> float:
    """The published formula (see the module docstring)."""
    positions, sectors = score_points(
        effective_positions, effective_sectors, target_positions=target_positions, target_sectors=target_sectors
    )
    return round(positions + sectors, 1)


def compute_diversification(
    positions: Sequence[PositionSummary],
    *,
    cash_weight: float | None,
    target_positions: float = 20.0,
    target_sectors: float = 6.0,
) -> Diversification:
    held = [(p.symbol, p.sector, p.weight) for p in positions if p.weight is not None and p.weight > 0.0]
    if not held:
        return Diversification(
            position_count=0,
            position_hhi=None,
            effective_positions=None,
            largest_weight=None,
            largest_symbol=None,
            top5_weight=None,
            sector_weights=(),
            sector_hhi=None,
            effective_sectors=None,
            score=None,
            cash_weight=cash_weight,
        )
    held.sort(key=lambda t: (-t[2], t[0]))
    weights = [w for _, _, w in held]
    hhi = sum(w * w for w in weights)
    sectors: dict[str, float] = {}
    for _, sector, w in held:
        sectors[sector] = sectors.get(sector, 0.0) + w
    sector_weights = tuple(SectorWeight(name, w) for name, w in sorted(sectors.items(), key=lambda kv: (-kv[1], kv[0])))
    sector_hhi = sum(s.weight * s.weight for s in sector_weights)
    effective_positions = 1.0 / hhi
    effective_sectors = 1.0 / sector_hhi
    position_points, sector_points = score_points(
        effective_positions, effective_sectors, target_positions=target_positions, target_sectors=target_sectors
    )
    return Diversification(
        position_count=len(held),
        position_hhi=hhi,
        effective_positions=effective_positions,
        largest_weight=weights[0],
        largest_symbol=held[0][0],
        top5_weight=sum(weights[:5]),
        sector_weights=sector_weights,
        sector_hhi=sector_hhi,
        effective_sectors=effective_sectors,
        score=round(position_points + sector_points, 1),
        cash_weight=cash_weight,
        position_points=position_points,
        sector_points=sector_points,
    )

"""Typed inputs and outputs of the portfolio analytics core.

Units, once for the whole package:

* **Money and quantities** are :class:`~decimal.Decimal`, exact. Output money fields are
  *not* rounded: round once at presentation with :func:`to_cents` (ROUND_HALF_EVEN, 2 dp),
  so that a total always equals the sum of its exact parts before rounding.
* **Ratios** (returns, weights, Sharpe, ...) are ``float`` **fractions**: ``0.0123`` means
  1.23 %. Field names say which: ``*_change``/``*_pnl``/``*_gain`` are money, ``*_return``
  and ``weight`` are fractions. An undefined ratio is ``None`` (or a :class:`Metric` with a
  :class:`UnavailableReason`), never NaN or infinity.
* **Dates** are market-local calendar dates (a daily bar's session date); **instants** are
  timezone-aware datetimes. ``AnalyticsSettings.market_timezone`` converts between them.

Holdings history: positions change between syncs, so the input is a sequence of
:class:`HoldingsSnapshot` s, each with an ``effective`` date. **Valuation on day d uses the
latest snapshot effective on or before d.** A snapshot effective on day d is assumed to
reflect every external cash flow dated on or before d (see :mod:`.valuation`).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from stack_cfo.core.errors import InvalidArgument

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CENT = Decimal("0.01")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def to_cents(amount: Decimal) -> Decimal:
    """Presentation rounding for money: ROUND_HALF_EVEN to 2 decimal places."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _check_decimal(value: Decimal, name: str, *, allow_negative: bool = False, positive: bool = False) -> None:
    if not isinstance(value, Decimal):
        raise InvalidArgument.field(name, f"must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise InvalidArgument.field(name, "must be a finite number")
    if positive and value <= 0:
        raise InvalidArgument.field(name, "must be greater than zero")
    if not allow_negative and value < 0:
        raise InvalidArgument.field(name, "must not be negative")


def _check_instant(value: date | datetime, name: str) -> None:
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidArgument.field(name, "must be a timezone-aware datetime (or a plain date)")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """One holding in one snapshot. ``quantity`` and ``average_cost`` are per unit, in ``currency``."""

    symbol: str
    quantity: Decimal
    #: Average cost per unit in the position's currency; ``None`` when the ledger does not know it.
    average_cost: Decimal | None = None
    #: ISO 4217 code of the price and cost (shape checked here; the API layer checks it is known).
    currency: str = "USD"
    sector: str | None = None
    asset_class: str | None = None
    #: User grouping such as ``"tech basket"``; aggregated like sectors.
    basket: str | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.symbol or self.symbol != self.symbol.strip():
            raise InvalidArgument.field("symbol", "must be non-empty without surrounding spaces")
        _check_decimal(self.quantity, "quantity")
        if self.average_cost is not None:
            _check_decimal(self.average_cost, "average_cost")
        if not _CURRENCY_RE.match(self.currency):
            raise InvalidArgument.field("currency", "must be a three-letter upper-case ISO 4217 code")


@dataclass(frozen=True, slots=True)
class Holdings:
    """A user's full holdings at one sync: positions plus cash in the base currency."""

    user: str
    base_currency: str
    cash: Decimal
    positions: tuple[Position, ...]
    #: When the calling backend produced these holdings (aware).
    as_of: datetime

    def __post_init__(self) -> None:
        if not _CURRENCY_RE.match(self.base_currency):
            raise InvalidArgument.field("base_currency", "must be a three-letter upper-case ISO 4217 code")
        # Negative cash (a margin debit) is allowed; it is part of the portfolio's value.
        _check_decimal(self.cash, "cash", allow_negative=True)
        _check_instant(self.as_of, "as_of")
        if not isinstance(self.as_of, datetime):
            raise InvalidArgument.field("as_of", "must be a timezone-aware datetime")
        seen: set[str] = set()
        for i, p in enumerate(self.positions):
            if p.symbol in seen:
                raise InvalidArgument.field(f"positions[{i}].symbol", f"duplicate symbol {p.symbol!r}")
            seen.add(p.symbol)


@dataclass(frozen=True, slots=True)
class HoldingsSnapshot:
    """Holdings in force from ``effective`` (a market date) until the next snapshot's date."""

    effective: date
    holdings: Holdings

    def __post_init__(self) -> None:
        if isinstance(self.effective, datetime):
            raise InvalidArgument.field("effective", "must be a date, not a datetime")


@dataclass(frozen=True, slots=True)
class CashFlow:
    """An external flow in the base currency: ``+`` deposit, ``-`` withdrawal.

    ``at`` is a market date, or an aware instant converted to the market date.
    """

    at: date | datetime
    amount: Decimal

    def __post_init__(self) -> None:
        _check_instant(self.at, "at")
        _check_decimal(self.amount, "amount", allow_negative=True)


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One price: a daily bar when ``at`` is a ``date``, an intraday quote when it is an aware datetime."""

    symbol: str
    at: date | datetime
    close: Decimal
    previous_close: Decimal | None = None

    def __post_init__(self) -> None:
        _check_instant(self.at, "at")
        _check_decimal(self.close, "close", positive=True)
        if self.previous_close is not None:
            _check_decimal(self.previous_close, "previous_close", positive=True)

    @property
    def is_daily(self) -> bool:
        return not isinstance(self.at, datetime)


@dataclass(frozen=True, slots=True)
class PriceSeries:
    """Daily closes of one symbol (strictly increasing dates) plus its latest intraday quote.

    Float copies of the closes are built once at construction, because converting Decimals is
    the most expensive step of a summary (about 0.2 µs a value): build series when prices are
    loaded and reuse them (the RPC layer caches them until ``RecordPrices`` changes a price).
    """

    symbol: str
    dates: tuple[date, ...]
    closes: tuple[Decimal, ...]
    #: Previous close as reported with each bar (``None`` entries when not reported); may be empty.
    previous_closes: tuple[Decimal | None, ...] = ()
    #: The latest intraday quote, if any (aware ``at``).
    quote: PricePoint | None = None
    ordinals: IntArray = field(init=False, repr=False, compare=False)
    closes_float: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.dates) != len(self.closes):
            raise InvalidArgument.field("closes", "must have one close per date")
        if self.previous_closes and len(self.previous_closes) != len(self.dates):
            raise InvalidArgument.field("previous_closes", "must be empty or have one entry per date")
        ordinals = np.fromiter((d.toordinal() for d in self.dates), dtype=np.int64, count=len(self.dates))
        if len(ordinals) > 1 and not bool(np.all(np.diff(ordinals) > 0)):
            raise InvalidArgument.field("dates", "must be strictly increasing")
        closes_float = np.fromiter((float(c) for c in self.closes), dtype=np.float64, count=len(self.closes))
        if not bool(np.all(np.isfinite(closes_float) & (closes_float > 0))):
            for i, c in enumerate(self.closes):
                _check_decimal(c, f"closes[{i}]", positive=True)
            raise InvalidArgument.field("closes", "must be finite and positive")
        if self.quote is not None:
            if self.quote.is_daily:
                raise InvalidArgument.field("quote.at", "must be an aware datetime")
            if self.quote.symbol != self.symbol:
                raise InvalidArgument.field("quote.symbol", "must match the series symbol")
        object.__setattr__(self, "ordinals", ordinals)
        object.__setattr__(self, "closes_float", closes_float)

    @classmethod
    def from_points(cls, symbol: str, points: Iterable[PricePoint]) -> PriceSeries:
        """Build a series from mixed points: daily bars (last one wins per date), latest quote kept."""
        bars: dict[date, PricePoint] = {}
        quote: PricePoint | None = None
        for p in points:
            if p.symbol != symbol:
                raise InvalidArgument.field("symbol", f"point for {p.symbol!r} in series {symbol!r}")
            if p.is_daily:
                bars[p.at] = p
            else:
                assert isinstance(p.at, datetime)
                if quote is None or p.at >= quote.at:  # type: ignore[operator]
                    quote = p
        ordered = sorted(bars)
        prev = tuple(bars[d].previous_close for d in ordered)
        return cls(
            symbol=symbol,
            dates=tuple(ordered),
            closes=tuple(bars[d].close for d in ordered),
            previous_closes=prev if any(x is not None for x in prev) else (),
            quote=quote,
        )

    def index_on_or_before(self, day: date) -> int:
        """Index of the last bar dated on or before ``day``; -1 if none."""
        return bisect_right(self.dates, day) - 1

    def close_on_or_before(self, day: date) -> Decimal | None:
        i = self.index_on_or_before(day)
        return self.closes[i] if i >= 0 else None

    def previous_close_at(self, i: int) -> Decimal | None:
        """Previous close of bar ``i``: as reported with the bar, else the preceding bar's close."""
        if self.previous_closes and self.previous_closes[i] is not None:
            return self.previous_closes[i]
        return self.closes[i - 1] if i >= 1 else None


@dataclass(frozen=True, slots=True)
class PortfolioInputs:
    """Everything :func:`~stack_cfo.core.portfolio.engine.compute_summary` needs, already loaded."""

    #: Holdings snapshots in any order; day d uses the latest one effective on or before d.
    holdings: tuple[HoldingsSnapshot, ...]
    #: Price series keyed by symbol (positions' symbols; the benchmark may be here too).
    prices: Mapping[str, PriceSeries]
    #: External cash flows in the base currency (any order).
    cash_flows: tuple[CashFlow, ...] = ()
    #: Benchmark closes; when ``None`` the engine looks up ``settings.benchmark_symbol`` in ``prices``.
    benchmark: PriceSeries | None = None
    #: Spot FX: units of base currency per unit of each foreign currency. Applied to the whole
    #: history (no historical FX yet, so currency moves are not in the TWR).
    fx_to_base: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        effective = [s.effective for s in self.holdings]
        if len(set(effective)) != len(effective):
            raise InvalidArgument.field("holdings", "two snapshots share an effective date")
        if list(effective) != sorted(effective):
            object.__setattr__(self, "holdings", tuple(sorted(self.holdings, key=lambda s: s.effective)))
        for ccy, rate in self.fx_to_base.items():
            _check_decimal(rate, f"fx_to_base[{ccy}]", positive=True)


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


class UnavailableReason(StrEnum):
    """Why a metric has no value. Stable codes: clients switch on them."""

    #: Fewer than 2 observations, or fewer than the minimum history for an annualised figure.
    INSUFFICIENT_HISTORY = "INSUFFICIENT_HISTORY"
    #: The denominator is a dispersion that is zero (constant returns; no return below the
    #: risk-free rate for Sortino; a constant benchmark for beta).
    ZERO_DISPERSION = "ZERO_DISPERSION"
    #: No benchmark series, or no date shared with the portfolio's returns.
    NO_BENCHMARK = "NO_BENCHMARK"
    #: Mathematically undefined otherwise (wealth below 0, overflow; also Calmar without a
    #: drawdown, which the contract reports as NO_DRAWDOWN: see ``SummaryView.calmar_no_drawdown``).
    UNDEFINED = "UNDEFINED"


@dataclass(frozen=True, slots=True)
class Metric:
    """A ratio that is either a finite ``value`` or absent with a ``reason``; never both, never NaN."""

    value: float | None
    reason: UnavailableReason | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("Metric needs exactly one of value and reason")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError("Metric value must be finite")

    @classmethod
    def of(cls, value: float) -> Metric:
        """A value, or UNDEFINED when it is not finite (the last guard against NaN/inf)."""
        v = float(value)
        return cls(v) if math.isfinite(v) else cls(None, UnavailableReason.UNDEFINED)

    @classmethod
    def absent(cls, reason: UnavailableReason) -> Metric:
        return cls(None, reason)

    @property
    def available(self) -> bool:
        return self.value is not None


class PriceSource(StrEnum):
    """Where a position's price came from."""

    QUOTE = "QUOTE"  # latest intraday quote (newer than the last daily bar)
    CLOSE = "CLOSE"  # last daily close
    COST_BASIS = "COST_BASIS"  # no price at all: valued at its average cost
    NONE = "NONE"  # no price and no cost: not valued (excluded from totals)


class GroupKind(StrEnum):
    BASKET = "BASKET"
    SECTOR = "SECTOR"


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return {"INFO": 0, "WARNING": 1, "CRITICAL": 2}[self.value]


@dataclass(frozen=True, slots=True)
class PositionSummary:
    """One position valued at ``as_of``. Money in base currency unless noted; exact (unrounded)."""

    symbol: str
    quantity: Decimal
    currency: str
    sector: str
    asset_class: str | None
    basket: str | None
    tags: tuple[str, ...]
    #: Price per unit in the position's currency.
    price: Decimal | None
    price_source: PriceSource
    #: Instant the price refers to (a daily bar: its session's close).
    price_at: datetime | None
    previous_close: Decimal | None
    market_value: Decimal | None
    #: Share of invested value (positions only, cash excluded).
    weight: float | None
    average_cost: Decimal | None
    cost_basis: Decimal | None
    unrealized_pnl: Decimal | None
    unrealized_return: float | None
    #: Change since the previous close (0 when the price is stale).
    day_change: Decimal | None
    day_return: float | None
    #: Price return since the last close on or before ``as_of`` - 7 days.
    week_return: float | None
    #: The latest price is older than ``AnalyticsSettings.stale_after``.
    stale: bool


@dataclass(frozen=True, slots=True)
class Contribution:
    """A position's part of its group's week return: contributions sum to the group return."""

    symbol: str
    week_return: float | None
    contribution: float


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Aggregate of the positions sharing a basket or a sector (valued positions only)."""

    kind: GroupKind
    name: str
    symbols: tuple[str, ...]
    market_value: Decimal
    weight: float | None
    #: Cost of the positions in the group with a known cost and a market price.
    cost_basis: Decimal
    #: Unrealised P&L over the same positions.
    unrealized_pnl: Decimal
    unrealized_return: float | None
    day_change: Decimal
    day_return: float | None
    #: Holdings-based week return: current quantities repriced a week ago (positions with both prices).
    week_return: float | None
    #: Worst contributors first (most negative contribution).
    week_contributors: tuple[Contribution, ...]


@dataclass(frozen=True, slots=True)
class SectorWeight:
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class Diversification:
    """Concentration measures over *invested value* (cash excluded; ``cash_weight`` reports it).

    ``score`` ("stack-cfo diversification score v1", published in the contract's
    ``Diversification.score``) = round(100·(0.6·P + 0.4·S), 1) with
    P = clamp((effective_positions - 1)/(20 - 1), 0, 1) and S = clamp((effective_sectors - 1)/(6 - 1), 0, 1);
    the targets 20 and 6 are ``AnalyticsSettings.target_positions``/``target_sectors``. ``None``
    when nothing is invested. See :mod:`.diversification`.
    """

    position_count: int
    position_hhi: float | None
    effective_positions: float | None
    largest_weight: float | None
    largest_symbol: str | None
    top5_weight: float | None
    sector_weights: tuple[SectorWeight, ...]
    sector_hhi: float | None
    effective_sectors: float | None
    score: float | None
    cash_weight: float | None


@dataclass(frozen=True, slots=True)
class RiskMetrics:
    """Risk on the daily time-weighted return series (see :mod:`.risk` for every formula).

    Drawdowns, VaR and CVaR are negative numbers for losses; ``var_95``/``cvar_95`` are 1-day
    historical figures at the 5 % tail.
    """

    observations: int
    start: date | None
    end: date | None
    risk_free_annual: float
    cumulative_return: Metric
    cagr: Metric
    volatility: Metric
    sharpe: Metric
    sortino: Metric
    max_drawdown: Metric
    current_drawdown: Metric
    calmar: Metric
    var_95: Metric
    cvar_95: Metric
    benchmark_observations: int
    beta: Metric
    alpha: Metric
    benchmark_cumulative_return: Metric


@dataclass(frozen=True, slots=True)
class Insight:
    """A deterministic finding. ``numbers`` are decimal strings (fractions to 6 dp, money to 2 dp)."""

    code: str
    severity: Severity
    message: str
    numbers: Mapping[str, str]
    #: What it is about (a symbol, basket or sector), when it is about one thing.
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One chart point. ``value`` is exact; ratios are rebased to the first point of the range."""

    date: date
    value: Decimal
    cumulative_twr: float
    drawdown: float
    benchmark_cumulative: float | None
    #: Net external flow booked since the previous point (inclusive of this day).
    net_flow: Decimal


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """The full summary at ``as_of``. Money is exact and in ``base_currency``; round with :func:`to_cents`."""

    user: str
    base_currency: str
    as_of: datetime
    market_date: date
    total_value: Decimal
    cash: Decimal
    invested_value: Decimal
    #: Cost of the positions that have both a known average cost and a market price.
    cost_basis: Decimal
    #: Unrealised gain over the same positions (market value - cost, summed).
    total_gain: Decimal
    #: ``total_gain / cost_basis`` (those positions only; excludes cash, realised gains, income).
    #: The flow-neutral performance figure is ``risk.cumulative_return`` (TWR).
    total_return: float | None
    #: Held positions (non-zero quantity) without an average cost.
    positions_missing_cost: int
    day_change: Decimal
    #: ``day_change / (total_value - day_change)``: today's holdings at the previous close.
    day_return: float | None
    #: Holdings-based week return of invested positions (same method as baskets).
    week_return: float | None
    benchmark_symbol: str
    benchmark_week_return: float | None
    cash_weight: float | None
    positions: tuple[PositionSummary, ...]
    baskets: tuple[GroupSummary, ...]
    sectors: tuple[GroupSummary, ...]
    risk: RiskMetrics
    diversification: Diversification
    insights: tuple[Insight, ...]
    history_start: date | None
    history_end: date | None
    #: Instant of the freshest price used.
    prices_as_of: datetime | None

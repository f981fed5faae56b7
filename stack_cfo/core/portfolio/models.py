"""Typed inputs of the portfolio analytics core (its outputs are in :mod:`.results`).

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

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from stack_cfo.core.decimals import WIDE
from stack_cfo.core.errors import InvalidArgument

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CENT = Decimal("0.01")
#: Significant digits of the exact money arithmetic (Decimal contexts): 10^12 units at a price under
#: 10^12 with 18 fractional digits each, and sums of such, stay exact (the default context has 28).
EXACT_DIGITS = 50
_CURRENCY_RE = re.compile(r"^[A-Z]{3}\Z")


def to_cents(amount: Decimal) -> Decimal:
    """Presentation rounding for money: ROUND_HALF_EVEN to 2 decimal places (in an 80-digit
    context: the default 28 digits cannot hold a cent-exact amount of 10^26 or more)."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN, context=WIDE)


def shown(x: float, digits: int) -> float:
    """Presentation rounding for a float written with ``digits`` decimals: a negative that rounds to
    zero is zero ("0.0", never "-0.0")."""
    return round(float(x), digits) + 0.0  # -0.0 + 0.0 is 0.0


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
    #: Ledger positions: the cost of the units held in the base currency, each purchase at its day's
    #: exchange rate (``None``: unknown, or a snapshot position, whose cost converts at today's rate).
    cost_basis_base: Decimal | None = None
    #: A ledger position: its ``cost_basis_base`` of ``None`` means unknown (a purchase day without an
    #: exchange rate), never "convert at today's rate" as for a synced position.
    from_ledger: bool = False
    #: Ledger positions: (day, ratio) of each SPLIT so far. Closes are recorded as traded, so a close
    #: from before a split is divided by its ratio wherever it is compared with one after it.
    splits: tuple[tuple[date, Decimal], ...] = ()

    def split_factor(self, after: date, through: date) -> Decimal:
        """The product of the ratios of the splits dated in ``(after, through]`` (1 without any)."""
        factor = Decimal(1)
        for day, r in self.splits:
            if after < day <= through:
                factor *= r
        return factor

    def in_units_on(self, close: Decimal, since: date, day: date) -> Decimal:
        """A close dated ``since`` in the units held on ``day``: divided by the ratios of the splits
        dated after ``since`` and on or before ``day`` (closes are recorded as traded)."""
        factor = self.split_factor(since, day)
        return close / factor if factor != 1 else close

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
    #: Cash held in other currencies (a ledger's), by ISO 4217 code; converted day by day.
    foreign_cash: Mapping[str, Decimal] = field(default_factory=dict)

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
    #: ISO 4217 code of ``amount``; empty = the base currency. Converted at the rate of its day.
    currency: str = ""
    #: Securities moved in (TRANSFER_IN): ``(symbol, quantity, currency of its prices)``. The flow is
    #: then their market value that day (the valuation's close for that day, converted), and
    #: ``amount`` (at the transaction's price) only when the symbol has no close at all.
    units: tuple[str, Decimal, str] | None = None

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
    #: ISO 4217 currency of the price as recorded ("" when not known).
    currency: str = ""

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
    #: ISO 4217 currency of the prices as recorded ("" when not known: taken to be the position's).
    currency: str = ""
    #: The currency its prices were recorded in when they were converted into ``currency`` (else ""):
    #: its closes are then computed, not stored, values.
    converted_from: str = ""
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

    def close_on(self, day: date) -> Decimal | None:
        """The close dated exactly ``day`` (no carry-forward)."""
        i = self.index_on_or_before(day)
        return self.closes[i] if i >= 0 and self.dates[i] == day else None


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
    #: Daily exchange rates: per foreign currency, units of base currency per unit, applied day by
    #: day (the latest on or before each day; see :mod:`.fx`). A currency without rates is missing.
    fx_rates: Mapping[str, PriceSeries] = field(default_factory=dict)
    #: A ledger's holdings as arrays; when set it replaces ``holdings`` (see :mod:`.ledger`).
    timeline: HoldingsTimeline | None = None
    #: A ledger's realised P&L, income and fees up to a market day (``None`` for snapshot portfolios).
    ledger_figures: Callable[[date], LedgerFigures] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        effective = [s.effective for s in self.holdings]
        if len(set(effective)) != len(effective):
            raise InvalidArgument.field("holdings", "two snapshots share an effective date")
        if list(effective) != sorted(effective):
            object.__setattr__(self, "holdings", tuple(sorted(self.holdings, key=lambda s: s.effective)))

    @property
    def has_holdings(self) -> bool:
        return bool(self.holdings) or (self.timeline is not None and len(self.timeline.effective) > 0)


@dataclass(frozen=True, slots=True)
class HoldingsTimeline:
    """Holdings over time as arrays: segment k is in force from ``effective[k]`` (an ordinal) until
    the next segment. Quantities and costs are per symbol in the symbol's own currency; cash per
    currency. Built by :mod:`.ledger` (and from snapshots by :func:`~.valuation.timeline_of`)."""

    base_currency: str
    effective: IntArray
    symbols: tuple[str, ...]
    symbol_currency: tuple[str, ...]
    #: (symbols x segments) units held (symbol-major: one contiguous row per symbol).
    quantities: FloatArray
    #: Row j: the cost of symbol j's units per segment, own currency, NaN when unknown (values a
    #: symbol without any price, like a snapshot position valued at its average cost). On demand:
    #: only symbols without prices need it.
    cost_row: Callable[[int], FloatArray] = field(repr=False, compare=False)
    #: Currency -> (segments,) cash balance in that currency.
    cash: Mapping[str, FloatArray]
    #: The exact holdings of segment k (Decimal quantities and costs, cash per currency).
    holdings_at: Callable[[int], Holdings] = field(repr=False, compare=False)
    #: The symbols a ledger records a split of (a snapshot timeline: none; its positions say).
    split_symbols: frozenset[str] = frozenset()

    def segment_on_or_before(self, day: date) -> int:
        return int(self.effective.searchsorted(day.toordinal(), side="right")) - 1


@dataclass(frozen=True, slots=True)
class SymbolLedger:
    """One symbol's ledger figures up to the as-of day, in base currency."""

    symbol: str
    currency: str
    quantity: Decimal
    #: ``None`` when an exchange rate needed to convert it is missing.
    realized_pnl: Decimal | None
    income: Decimal | None


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    """What a ledger adds to a summary, up to the as-of day (base currency, exact)."""

    cost_method: str
    realized_pnl: Decimal
    income: Decimal
    fees: Decimal
    symbols: tuple[SymbolLedger, ...]
    #: Currencies whose missing rates left something out of the totals above.
    missing_currencies: frozenset[str] = frozenset()

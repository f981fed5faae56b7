"""What callers send the portfolio service: sync, price and news commands, their limits and
reference data (ISO 4217), and their validation.

Validation resolves defaults (base currency, upper-case symbols) and raises ``InvalidArgument``
naming the request's field path (``positions[2].quantity``), with a stable reason code.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from stack_cfo.core.errors import MAX_REPORTED_ITEMS, FieldViolation, InvalidArgument, each_checked
from stack_cfo.core.wire import LARGEST_PART, field_size, utf8_size

# ---------------------------------------------------------------------------------------------
# Limits and reference data
# ---------------------------------------------------------------------------------------------

MAX_PRICE_POINTS = 10_000
MAX_CASH_FLOWS = 10_000
MAX_POSITIONS = 10_000
MAX_ARTICLES = 1_000
MAX_SNAPSHOTS = 5_000
MAX_IMPORTED_POSITIONS = 200_000
#: Holdings and transactions are dated on or after this day.
EARLIEST_DATE = date(1970, 1, 1)
#: ... and instants (cash flows' ``occur_time``, articles' ``publish_time``) at or after its start in UTC.
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TAGS = 20
MAX_TAG_CHARS = 64
MAX_TEXT_CHARS = 200
MAX_FLOW_ID_CHARS = 128
MAX_ARTICLE_ID_CHARS = 256
MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 4_000
MAX_URL_CHARS = 2_048
DEFAULT_BASE_CURRENCY = "USD"
#: The largest ``PortfolioSummary`` a portfolio's reads send, serialized (4 MiB less 16 KiB): with the
#: few bytes of a stream event or a watch update around it, within the 4 MiB gRPC clients receive by
#: default (GetPortfolioSummary, StreamPortfolioSummary's ``summary``, WatchPortfolio's updates).
MAX_SUMMARY_MESSAGE_BYTES = LARGEST_PART
#: What a position's figures (quantity, prices, values, returns, its key) take in a summary at ordinary
#: length, besides its texts: about 120 bytes with two-decimal prices; 200 leaves room for longer ones.
POSITION_FIGURES_BYTES = 200
#: Likewise for a basket's or a sector's aggregate figures, and for the summary's own (totals, risk,
#: diversification, a few insights).
GROUP_FIGURES_BYTES = 120
SUMMARY_FIGURES_BYTES = 4096
#: The name a summary gives the sector of a position synced without one.
UNKNOWN_SECTOR_NAME = "Unknown"
#: Upper bounds (exclusive) on what callers send, chosen so that every later computation holds:
#: a position's value is below 10^24, a portfolio's (10,000 positions plus cash) below 10^28,
#: which the valuation's 50-digit arithmetic keeps exact and the presentation rounding
#: (:func:`~stack_cfo.core.portfolio.models.to_cents`) handles. Documented in portfolio.proto.
MAX_QUANTITY = Decimal(10) ** 12
MAX_PRICE = Decimal(10) ** 12
MAX_AMOUNT = Decimal(10) ** 15
#: Instants this far ahead of our clock are still "now" (clock skew between the caller and us).
FUTURE_SKEW = timedelta(seconds=60)
#: Every date a request carries (holdings days, trade dates, flows, closes, rates, history ranges) is a
#: market day of this exchange time zone (AnalyticsSettings.market_timezone's default): a date after
#: today's there is in the future (a close dated tomorrow in New York would hide today's price).
_MARKET_TZ = ZoneInfo("America/New_York")

_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.\-/^=_:]{0,31}\Z")

#: Active ISO 4217 alphabetic codes (2024 list, funds and precious metals excluded).
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


class AssetClassName(StrEnum):
    """Asset classes as stored (the contract's enum names without the prefix)."""

    UNSPECIFIED = "UNSPECIFIED"
    EQUITY = "EQUITY"
    ETF = "ETF"
    FUND = "FUND"
    FIXED_INCOME = "FIXED_INCOME"
    CRYPTO = "CRYPTO"
    COMMODITY = "COMMODITY"
    CASH_EQUIVALENT = "CASH_EQUIVALENT"
    OTHER = "OTHER"


class FlowType(StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoldingInput:
    """One holding as the caller's ledger has it. ``currency`` empty = the base currency."""

    symbol: str
    quantity: Decimal
    average_cost: Decimal | None = None
    currency: str = ""
    sector: str | None = None
    asset_class: AssetClassName = AssetClassName.UNSPECIFIED
    basket: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowInput:
    """An external cash flow: exactly one of ``occurred_at`` / ``occurred_on``; ``amount`` > 0."""

    type: FlowType | None
    amount: Decimal
    occurred_at: datetime | None = None
    occurred_on: date | None = None
    external_id: str | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class SyncCommand:
    """``malformed_*``: the request's values that did not parse (a decimal, a date, an enum number),
    with their problem: ``malformed_fields`` by field (``cash_balance``, ``effective_date``), the
    positions and cash flows by index. They are refused and reported with every problem of the rest
    (:func:`validate_sync`); the value standing in such a place is not looked at."""

    user_id: str
    positions: tuple[HoldingInput, ...]
    cash_balance: Decimal
    base_currency: str = ""
    cash_flows: tuple[FlowInput, ...] = ()
    #: The market day the holdings are in force from; ``None`` = today's.
    effective_date: date | None = None
    malformed_fields: Mapping[str, InvalidArgument] = field(default_factory=dict)
    malformed_positions: Mapping[int, InvalidArgument] = field(default_factory=dict)
    malformed_flows: Mapping[int, InvalidArgument] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DatedHoldingsInput:
    effective_date: date | None
    positions: tuple[HoldingInput, ...]
    cash_balance: Decimal


@dataclass(frozen=True, slots=True)
class ImportHistoryCommand:
    """``malformed_*``: the items of the request whose values did not parse (a decimal, a date, an enum
    number), by index (a position by its snapshot's index and its own), with their problem. They are
    refused and reported with the problems of the others (:func:`validate_import`); the entry of
    ``snapshots``, ``positions`` or ``cash_flows`` at such an index holds anything (it is not looked at)."""

    user_id: str
    snapshots: tuple[DatedHoldingsInput, ...]
    base_currency: str = ""
    cash_flows: tuple[FlowInput, ...] = ()
    malformed_snapshots: Mapping[int, InvalidArgument] = field(default_factory=dict)
    malformed_positions: Mapping[tuple[int, int], InvalidArgument] = field(default_factory=dict)
    malformed_flows: Mapping[int, InvalidArgument] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PriceInput:
    """A daily close (``at`` a date) or an intraday quote (``at`` an aware instant)."""

    symbol: str
    at: date | datetime | None
    close: Decimal
    currency: str
    previous_close: Decimal | None = None

    @property
    def is_daily(self) -> bool:
        return not isinstance(self.at, datetime)


@dataclass(frozen=True, slots=True)
class ArticleInput:
    id: str
    source: str
    published_at: datetime | None
    title: str
    summary: str = ""
    url: str = ""
    symbols: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Validation (field paths are the request's: ``positions[2].quantity``)
# ---------------------------------------------------------------------------------------------


def _bad(field_path: str, description: str, reason: str, **metadata: object) -> InvalidArgument:
    return InvalidArgument(
        f"{field_path}: {description}",
        violations=[FieldViolation(field_path, description)],
        reason=reason,
        metadata={"field": field_path, **metadata},
    )


@dataclass(frozen=True, slots=True)
class ReasonedViolation(FieldViolation):
    """A field violation with its own reason (``BadRequest.FieldViolation.reason`` on the wire): in
    one error for several items, every item's reason, not only the first one's (the ``ErrorInfo``'s).
    ``metadata``: the metadata of the item's own error (every dynamic value of its description), which
    an error for several items keeps only for the first one; the importer reads it to name the file's
    line of a row another row's description refers to (``transactions[4]``)."""

    metadata: tuple[tuple[str, str], ...] = ()


def with_reasons(exc: InvalidArgument) -> InvalidArgument:
    """``exc`` with its violations carrying its reason (and metadata), for :meth:`InvalidArgument.combine`
    to keep. An error already combined from several keeps the others as they are (only its first
    violation is known to have its reason)."""
    combined = "violation_count" in exc.metadata
    exc.violations = [
        v if isinstance(v, ReasonedViolation) or (combined and k)
        else ReasonedViolation(v.field, v.description, exc.reason, tuple(exc.metadata.items()) if not combined else ())
        for k, v in enumerate(exc.violations)
    ]
    return exc


def one_error(problems: Sequence[InvalidArgument], *, unchecked_from: str | None = None) -> InvalidArgument:
    """One error for the problems of a request's items (request order, one error per item), each
    violation with its own reason (:func:`with_reasons`); ``unchecked_from``: the first item not
    checked (after :data:`~stack_cfo.core.errors.MAX_REPORTED_ITEMS` problems)."""
    return InvalidArgument.combine([with_reasons(e) for e in problems], unchecked_from=unchecked_from)


def _bounded(value: Decimal, limit: Decimal, field_path: str) -> None:
    if value.copy_abs() >= limit:  # abs() would round to the context precision first
        raise _bad(field_path, f"must be less than {limit:f} in absolute value", "OUT_OF_RANGE",
                   value=str(value), limit=f"{limit:f}")


def _latest_date(now: datetime) -> date:
    return now.astimezone(_MARKET_TZ).date()


def check_not_future(value: date | datetime, now: datetime, field_path: str) -> None:
    """An instant up to :data:`FUTURE_SKEW` ahead, or a market day on or before today's in New York:
    holdings and trades dated tomorrow in New York would hide today's holdings until then."""
    if isinstance(value, datetime):
        if value > now + FUTURE_SKEW:
            raise _bad(field_path, "must not be in the future", "FUTURE_DATE", value=value.isoformat())
        return
    latest = _latest_date(now)
    if value > latest:
        raise _bad(field_path, f"must not be after {latest.isoformat()} (in the future)", "FUTURE_DATE",
                   value=value.isoformat(), latest=latest.isoformat())


def check_currency(code: str, field_path: str) -> str:
    if code not in ISO_4217:
        raise _bad(field_path, f"{code[:8]!r} is not an ISO 4217 currency code", "UNKNOWN_CURRENCY", value=code)
    return code


def base_currency_changed(stored: str, requested: str, *, may_be_empty: bool = True) -> InvalidArgument:
    """CURRENCY_MISMATCH for a request naming another base currency than the portfolio's (which
    never changes); ``may_be_empty``: whether the request may leave it out (the ledger's may)."""
    rule = f"must be empty or {stored}" if may_be_empty else f"must stay {stored}"
    return InvalidArgument(
        f"base_currency: the portfolio is valued in {stored}; it cannot change to {requested}",
        violations=[FieldViolation("base_currency", rule)],
        reason="CURRENCY_MISMATCH",
        metadata={"base_currency": stored, "requested": requested},
    )


def check_base_currency(code: str, base: str, field_path: str) -> str:
    """A known currency that is the portfolio's base currency (v1 converts nothing)."""
    check_currency(code, field_path)
    if code != base:
        raise _bad(
            field_path,
            f"must be the base currency {base} (no conversion in v1)",
            "CURRENCY_MISMATCH",
            currency=code,
            base_currency=base,
        )
    return code


def normalize_symbol(symbol: str, field_path: str) -> str:
    if not symbol:
        raise _bad(field_path, "is required", "MISSING_FIELD")
    s = symbol.upper()
    # ASCII before upper-casing too: "ﬁ".upper() is "FI"
    if not (symbol.isascii() and _SYMBOL.match(s)):
        raise _bad(field_path, f"{symbol[:40]!r} is not a ticker symbol", "INVALID_SYMBOL", value=symbol)
    return s


def _text(value: str | None, field_path: str, limit: int = MAX_TEXT_CHARS) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > limit:
        raise _bad(field_path, f"must be at most {limit} characters", "TEXT_TOO_LONG", max_chars=limit)
    return value


def check_text(value: str, field_path: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A position's sector or basket (any short text): at most ``limit`` characters (TEXT_TOO_LONG)."""
    return _text(value, field_path, limit) or ""


def check_tags(tags: Sequence[str], field_path: str) -> tuple[str, ...]:
    """A position's tags: at most MAX_TAGS (TOO_MANY_TAGS) of 1 to MAX_TAG_CHARS characters (INVALID_TAG)."""
    if len(tags) > MAX_TAGS:
        raise _bad(field_path, f"at most {MAX_TAGS} tags", "TOO_MANY_TAGS", limit=MAX_TAGS)
    for j, tag in enumerate(tags):
        if not tag or len(tag) > MAX_TAG_CHARS:
            raise _bad(f"{field_path}[{j}]", f"must be 1 to {MAX_TAG_CHARS} characters", "INVALID_TAG")
    return tuple(tags)


def check_day(day: date, now: datetime, field_path: str) -> date:
    """A holdings or ledger day: not in the future, not before 1970-01-01."""
    if day < EARLIEST_DATE:
        raise _bad(field_path, f"must be on or after {EARLIEST_DATE.isoformat()}", "OUT_OF_RANGE",
                   value=day.isoformat())
    check_not_future(day, now, field_path)
    return day


def check_instant(value: datetime, now: datetime, field_path: str) -> datetime:
    """A cash flow's or an article's instant: not in the future (:data:`FUTURE_SKEW` allowed), not before
    1970-01-01T00:00:00Z (:data:`EARLIEST_INSTANT`), as :func:`check_day` for days."""
    if value < EARLIEST_INSTANT:
        raise _bad(field_path, "must be on or after 1970-01-01T00:00:00Z", "OUT_OF_RANGE",
                   value=value.isoformat())
    check_not_future(value, now, field_path)
    return value


def _string_field(text: str) -> int:
    """Bytes of a non-empty protobuf string field with a one-byte key: key, length, UTF-8 bytes."""
    return field_size(utf8_size(text))


def summary_size(positions: Sequence[HoldingInput]) -> int:
    """About the bytes of the summary of ``positions`` serialized: their texts exactly as the summary
    repeats them (each position's symbol, sector, basket and tags; each sector's name in its group and
    its weight, each basket's in its group, every symbol again in its groups' member lists, counted in
    UTF-8 bytes), their figures at ordinary length (:data:`POSITION_FIGURES_BYTES` a position,
    :data:`GROUP_FIGURES_BYTES` a group, :data:`SUMMARY_FIGURES_BYTES` the rest). Prices with many more
    digits make the summary larger: its reads then leave out what does not fit (see the servicer)."""
    unknown = _string_field(UNKNOWN_SECTOR_NAME)
    size = SUMMARY_FIGURES_BYTES
    # a name's bytes once per distinct sector and basket (an import may check 200,000 positions)
    sectors: dict[str, int] = {}
    baskets: dict[str, int] = {}
    for h in positions:
        symbol = len(h.symbol) + 2  # an ASCII ticker of at most 32 characters
        sector = h.sector or ""
        named = sectors.get(sector)
        if named is None:
            named = sectors[sector] = _string_field(sector) if sector else unknown
        size += POSITION_FIGURES_BYTES + 2 * symbol + named
        if h.basket:
            named = baskets.get(h.basket)
            if named is None:
                named = baskets[h.basket] = _string_field(h.basket)
            size += named + symbol
        tags = h.tags
        if tags:
            text = "".join(tags)
            # an ASCII tag of at most 64 characters takes its length and two bytes
            size += len(text) + 2 * len(tags) if text.isascii() else sum(_string_field(t) for t in tags)
    size += sum(GROUP_FIGURES_BYTES + 2 * n for n in sectors.values())
    size += sum(GROUP_FIGURES_BYTES + n for n in baskets.values())
    return size


def check_summary_size(positions: Sequence[HoldingInput], field_path: str) -> None:
    """PORTFOLIO_TOO_LARGE for holdings whose summary could not be read whole (:func:`summary_size`
    above :data:`MAX_SUMMARY_MESSAGE_BYTES`): their texts (tags, sectors, baskets) leave no room for
    their figures within the 4 MiB a client receives by default. 10,000 positions with GICS sectors,
    short baskets and a few short tags take about 2.6 MB by this count (1.8 MB in fact)."""
    size = summary_size(positions)
    if size > MAX_SUMMARY_MESSAGE_BYTES:
        raise _bad(
            field_path,
            f"would make a portfolio summary of about {size} bytes, more than {MAX_SUMMARY_MESSAGE_BYTES} "
            "(4 MiB, what gRPC clients receive by default, less 16 KiB): shorten the positions' tags, "
            "sectors or baskets",
            "PORTFOLIO_TOO_LARGE",
            max_bytes=MAX_SUMMARY_MESSAGE_BYTES,
            summary_bytes=size,
        )


def validate_sync(cmd: SyncCommand, now: datetime) -> SyncCommand:
    """The command with defaults resolved and symbols upper-cased. Every problem of the request comes
    in one error (:func:`one_error`), in this order: the base currency, the cash balance, the positions
    (their count; else each bad one, then the summary's size once all are good), the cash flows (their
    count; else each bad one), the effective date; the malformed values (``cmd.malformed_*``) in their
    places among the others (a malformed cash balance or a malformed position used to hide a duplicate
    symbol, an unknown currency or a negative flow). One problem per item, at most
    :data:`~stack_cfo.core.errors.MAX_REPORTED_ITEMS` (``unchecked_from``: the first item not checked).

    The rules that need a parsed value run only where it parsed: a position whose values did not parse
    is not counted for DUPLICATE_SYMBOL (a later one of its symbol is reported once it parses). With an
    unknown base currency the positions and flows without a currency of their own are checked as if in
    :data:`DEFAULT_BASE_CURRENCY` (the base is reported once, not again for each of them)."""
    problems: list[InvalidArgument] = []
    malformed = cmd.malformed_fields

    def check(name: str, rule: Callable[[], object]) -> None:
        bad = malformed.get(name)
        if bad is not None:
            problems.append(bad)
            return
        try:
            rule()
        except InvalidArgument as exc:
            problems.append(exc)

    base = cmd.base_currency or DEFAULT_BASE_CURRENCY
    check("base_currency", lambda: check_currency(base, "base_currency"))
    items_base = base if base in ISO_4217 else DEFAULT_BASE_CURRENCY
    check("cash_balance", lambda: _check_cash(cmd.cash_balance, "cash_balance"))
    positions: list[HoldingInput] = []
    too_many_positions, too_many_flows = _sync_size_problems(cmd.positions, cmd.cash_flows)
    if too_many_positions is not None:
        problems.append(too_many_positions)
    else:
        before = len(problems)
        positions = _collect(cmd.positions, _position_check(items_base, "positions"), "positions", problems,
                             cmd.malformed_positions.get)
        if len(problems) == before:
            check("positions", lambda: check_summary_size(positions, "positions"))
    flows: list[FlowInput] = []
    if too_many_flows is not None:
        problems.append(too_many_flows)
    else:
        flows = _collect(cmd.cash_flows, _flow_check(items_base, now), "cash_flows", problems,
                         cmd.malformed_flows.get)
    day = cmd.effective_date
    check("effective_date", lambda: check_day(day, now, "effective_date") if day is not None else None)
    if problems:
        raise one_error(problems)
    return SyncCommand(
        user_id=cmd.user_id,
        positions=tuple(positions),
        cash_balance=cmd.cash_balance,
        base_currency=base,
        cash_flows=tuple(flows),
        effective_date=cmd.effective_date,
    )


def _sync_size_problems(positions: Sized, cash_flows: Sized) -> tuple[InvalidArgument | None, InvalidArgument | None]:
    """TOO_MANY_POSITIONS, TOO_MANY_CASH_FLOWS (or None) for a sync of these items."""
    return (
        _bad("positions", f"at most {MAX_POSITIONS} positions per sync", "TOO_MANY_POSITIONS", limit=MAX_POSITIONS)
        if len(positions) > MAX_POSITIONS else None,
        _too_many_flows() if len(cash_flows) > MAX_CASH_FLOWS else None,
    )


def check_sync_size(positions: Sized, cash_flows: Sized) -> None:
    """A sync's counts, as :func:`validate_sync` checks them (TOO_MANY_POSITIONS, TOO_MANY_CASH_FLOWS: one
    error for both). The API runs it on the request's own repeated fields (counted, not parsed) before
    parsing anything: 3,500,000 empty cash flows (7 MB) were parsed, one by one on the event loop, for
    over two minutes before their count refused them."""
    problems = [p for p in _sync_size_problems(positions, cash_flows) if p is not None]
    if problems:
        raise one_error(problems)


def check_import_items(snapshots: Sequence[_HasPositions], cash_flows: Sized) -> None:
    """An import's other counts, after :func:`check_import_size`'s: at most :data:`MAX_POSITIONS` positions
    per snapshot, :data:`MAX_CASH_FLOWS` cash flows (one error for every count over its limit, as
    :func:`validate_import` reports them). For the API to run on the request's own repeated fields
    (counted, not parsed) before parsing anything."""
    problems = [
        _bad(f"snapshots[{i}].positions", f"at most {MAX_POSITIONS} positions per snapshot", "TOO_MANY_POSITIONS",
             limit=MAX_POSITIONS)
        for i, s in enumerate(snapshots) if len(s.positions) > MAX_POSITIONS
    ]
    if len(cash_flows) > MAX_CASH_FLOWS:
        problems.append(_too_many_flows())
    if problems:
        raise one_error(problems)


class _HasPositions(Protocol):
    """A snapshot of an import, parsed or still the request's: its positions can be counted."""

    @property
    def positions(self) -> Sized: ...


def check_import_size(base_currency: str, snapshots: Sequence[_HasPositions]) -> str:
    """An import's base currency (the default when empty) once its currency and size are checked:
    at most :data:`MAX_SNAPSHOTS` snapshots, :data:`MAX_IMPORTED_POSITIONS` positions in total. The
    first checks of :func:`validate_import`; the API runs them on the request's own repeated fields
    (counted, not parsed) before parsing anything, so a refused import costs no parsing."""
    base = base_currency or DEFAULT_BASE_CURRENCY
    check_currency(base, "base_currency")
    if not snapshots:
        raise _bad("snapshots", "at least one snapshot is required", "MISSING_FIELD")
    if len(snapshots) > MAX_SNAPSHOTS:
        raise _bad("snapshots", f"at most {MAX_SNAPSHOTS} snapshots per import", "TOO_MANY_SNAPSHOTS",
                   limit=MAX_SNAPSHOTS, count=len(snapshots))
    total = sum(len(s.positions) for s in snapshots)
    if total > MAX_IMPORTED_POSITIONS:
        raise _bad("snapshots", f"at most {MAX_IMPORTED_POSITIONS} positions per import in total",
                   "TOO_MANY_POSITIONS", limit=MAX_IMPORTED_POSITIONS, count=total)
    return base


def validate_import(cmd: ImportHistoryCommand, now: datetime) -> ImportHistoryCommand:
    """Every snapshot validated as a sync would be, with paths ``snapshots[3].positions[1].quantity``,
    and every cash flow. Every problem of the request comes in one error (:func:`one_error`), in request
    order (the snapshots' and their positions', then the cash flows'), the malformed items'
    (``cmd.malformed_*``) among the others: one per item (a snapshot's own fields, its date and cash,
    report their first problem; each bad position is one more, whether or not its snapshot's own
    fields passed), at most
    :data:`~stack_cfo.core.errors.MAX_REPORTED_ITEMS` (``unchecked_from``: the first item not checked)."""
    base = check_import_size(cmd.base_currency, cmd.snapshots)
    seen: dict[date, int] = {}

    def own_fields(snap: DatedHoldingsInput, i: int) -> date:
        """A snapshot's date and cash (and how many positions it has): its first problem raised."""
        path = f"snapshots[{i}]"
        if snap.effective_date is None:
            raise _bad(f"{path}.effective_date", "is required", "MISSING_FIELD")
        day = check_day(snap.effective_date, now, f"{path}.effective_date")
        if day in seen:
            raise _bad(f"{path}.effective_date", f"{day.isoformat()} also appears at snapshots[{seen[day]}]",
                       "DUPLICATE_DATE", value=day.isoformat())
        seen[day] = i
        if len(snap.positions) > MAX_POSITIONS:
            raise _bad(f"{path}.positions", f"at most {MAX_POSITIONS} positions per snapshot", "TOO_MANY_POSITIONS",
                       limit=MAX_POSITIONS)
        _check_cash(snap.cash_balance, f"{path}.cash_balance")
        return day

    # one problem per item, in request order; a malformed item is one of them (a negative flow used to
    # show only once every snapshot was fixed, and a malformed value hid every other problem)
    problems: list[InvalidArgument] = []
    bad_snapshots, bad_positions, bad_flows = cmd.malformed_snapshots, cmd.malformed_positions, cmd.malformed_flows
    out: list[DatedHoldingsInput] = []
    for i, snap in enumerate(cmd.snapshots):
        if len(problems) >= MAX_REPORTED_ITEMS:
            raise one_error(problems, unchecked_from=f"snapshots[{i}]")
        malformed = bad_snapshots.get(i) if bad_snapshots else None
        day: date | None = None
        if malformed is not None:
            # its cash did not parse but its date did: the rules on the date (and the number of positions) come
            # first, in field order, and the date counts for the duplicates after it
            if snap.effective_date is not None:
                try:
                    own_fields(snap, i)
                except InvalidArgument as exc:
                    malformed = exc
            problems.append(malformed)
        else:
            try:
                day = own_fields(snap, i)
            except InvalidArgument as exc:
                problems.append(exc)
        if day is None and len(snap.positions) > MAX_POSITIONS:
            continue  # (too many to be its holdings: their own problems are beside the point)
        prefix = f"snapshots[{i}].positions"
        before = len(problems)
        positions = _collect(snap.positions, _position_check(base, prefix), prefix, problems,
                             functools.partial(_malformed_position, bad_positions, i))
        if day is None:
            continue  # its own fields were refused, and reported with its positions' problems
        if len(problems) == before:
            # each snapshot is a summary's holdings (GetPortfolioSummary with an as_of_time on its day)
            try:
                check_summary_size(positions, prefix)
            except InvalidArgument as exc:
                problems.append(exc)
        out.append(DatedHoldingsInput(day, tuple(positions), snap.cash_balance))
    flows: list[FlowInput] = []
    try:
        _check_flow_count(cmd.cash_flows)
    except InvalidArgument as exc:
        problems.append(exc)
    else:
        flows = _collect(cmd.cash_flows, _flow_check(base, now), "cash_flows", problems, bad_flows.get)
    if problems:
        raise one_error(problems)
    return ImportHistoryCommand(cmd.user_id, tuple(out), base, tuple(flows))


_T = TypeVar("_T")


def _malformed_position(
    bad: Mapping[tuple[int, int], InvalidArgument], snapshot: int, position: int
) -> InvalidArgument | None:
    return bad.get((snapshot, position))


def _collect(
    items: Sequence[_T], check: Callable[[_T, int], _T], prefix: str, problems: list[InvalidArgument],
    malformed: Callable[[int], InvalidArgument | None],
) -> list[_T]:
    """``check(item, j)`` of every item, as :func:`~stack_cfo.core.errors.each_checked` but collecting:
    an item's problem (or its ``malformed`` one, a value that did not parse) is appended to ``problems``
    and the item left out; past :data:`~stack_cfo.core.errors.MAX_REPORTED_ITEMS` problems, every one
    so far is raised (``unchecked_from``: ``prefix[j]``, the first item not checked)."""
    out: list[_T] = []
    for j, item in enumerate(items):
        if len(problems) >= MAX_REPORTED_ITEMS:
            raise one_error(problems, unchecked_from=f"{prefix}[{j}]")
        bad = malformed(j)
        if bad is not None:
            problems.append(bad)
            continue
        try:
            out.append(check(item, j))
        except InvalidArgument as exc:
            problems.append(exc)
    return out


def _check_cash(value: Decimal, field_path: str) -> None:
    if not value.is_finite():
        raise _bad(field_path, "must be a finite decimal", "INVALID_DECIMAL")
    _bounded(value, MAX_AMOUNT, field_path)


def _valid_position(h: HoldingInput, base: str, seen: dict[str, int]) -> HoldingInput | None:
    """``h`` checked and normalized as :func:`_position_check` does when it passes every check; None
    when any check fails (the full check then names the first problem). Builds no field path: an
    import checks up to 200,000 positions, and the paths, ``dataclasses.replace`` and the error
    helpers were most of that time."""
    symbol = h.symbol
    upper = symbol.upper()
    if not (symbol and symbol.isascii() and _SYMBOL.match(upper)) or upper in seen:
        return None
    q, cost = h.quantity, h.average_cost
    if not (q.is_finite() and 0 < q < MAX_QUANTITY):
        return None
    if cost is not None and not (cost.is_finite() and 0 <= cost < MAX_PRICE):
        return None
    currency = h.currency or base
    if currency not in ISO_4217 or len(h.tags) > MAX_TAGS:
        return None
    for tag in h.tags:
        if not tag or len(tag) > MAX_TAG_CHARS:
            return None
    sector, basket = h.sector or None, h.basket or None
    if (sector is not None and len(sector) > MAX_TEXT_CHARS) or (basket is not None and len(basket) > MAX_TEXT_CHARS):
        return None
    return HoldingInput(symbol=upper, quantity=q, average_cost=cost, currency=currency, sector=sector,
                        asset_class=h.asset_class, basket=basket, tags=h.tags)


def _position_check(base: str, prefix: str) -> Callable[[HoldingInput, int], HoldingInput]:
    """The check of one list's positions, one by one (``position(h, i)``: normalized, or its first
    problem raised); a symbol twice in the list is DUPLICATE_SYMBOL."""
    seen: dict[str, int] = {}

    def position(h: HoldingInput, i: int) -> HoldingInput:
        valid = _valid_position(h, base, seen)
        if valid is not None:
            seen[valid.symbol] = i
            return valid
        path = f"{prefix}[{i}]"
        symbol = normalize_symbol(h.symbol, f"{path}.symbol")
        if symbol in seen:
            raise _bad(
                f"{path}.symbol",
                f"{symbol} also appears at {prefix}[{seen[symbol]}]",
                "DUPLICATE_SYMBOL",
                symbol=symbol,
            )
        seen[symbol] = i
        if not h.quantity.is_finite() or h.quantity <= 0:
            raise _bad(
                f"{path}.quantity",
                "must be greater than zero (short positions are not supported)",
                "NEGATIVE_QUANTITY",
                value=str(h.quantity),
            )
        _bounded(h.quantity, MAX_QUANTITY, f"{path}.quantity")
        if h.average_cost is not None and (not h.average_cost.is_finite() or h.average_cost < 0):
            raise _bad(f"{path}.average_cost", "must not be negative", "NEGATIVE_PRICE", value=str(h.average_cost))
        if h.average_cost is not None:
            _bounded(h.average_cost, MAX_PRICE, f"{path}.average_cost")
        currency = check_currency(h.currency or base, f"{path}.currency")
        check_tags(h.tags, f"{path}.tags")
        return dataclasses.replace(
            h,
            symbol=symbol,
            currency=currency,
            sector=_text(h.sector, f"{path}.sector"),
            basket=_text(h.basket, f"{path}.basket"),
        )

    return position


def _too_many_flows() -> InvalidArgument:
    return _bad(
        "cash_flows", f"at most {MAX_CASH_FLOWS} cash flows per sync", "TOO_MANY_CASH_FLOWS", limit=MAX_CASH_FLOWS
    )


def _check_flow_count(rows: Sequence[FlowInput]) -> None:
    if len(rows) > MAX_CASH_FLOWS:
        raise _too_many_flows()


def _flow_check(base: str, now: datetime) -> Callable[[FlowInput, int], FlowInput]:
    """The check of one request's cash flows, one by one (``flow(f, i)``: normalized, or its first
    problem raised); one id for two different flows is DUPLICATE_FLOW_ID."""

    def flow(f: FlowInput, i: int) -> FlowInput:
        path = f"cash_flows[{i}]"
        if f.external_id:
            # the id is taken before the flow's other fields are checked: a first flow refused for another reason
            # still names its id, so a second flow with it is reported in the same error
            raw.setdefault(f.external_id, (i, f))
        if f.type is None:
            raise _bad(f"{path}.type", "is required (DEPOSIT or WITHDRAWAL)", "MISSING_FIELD")
        if not f.amount.is_finite() or f.amount <= 0:
            raise _bad(
                f"{path}.amount",
                "must be greater than zero (the direction is `type`)",
                "NEGATIVE_AMOUNT",
                value=str(f.amount),
            )
        _bounded(f.amount, MAX_AMOUNT, f"{path}.amount")
        if (f.occurred_at is None) == (f.occurred_on is None):
            raise _bad(f"{path}.occur_time", "one of occur_time or occur_date is required", "MISSING_FIELD")
        if f.occurred_at is not None:
            check_instant(f.occurred_at, now, f"{path}.occur_time")
        if f.occurred_on is not None:
            check_day(f.occurred_on, now, f"{path}.occur_date")
        currency = check_currency(f.currency or base, f"{path}.currency")
        if f.external_id is not None and len(f.external_id) > MAX_FLOW_ID_CHARS:
            raise _bad(f"{path}.id", f"must be at most {MAX_FLOW_ID_CHARS} characters", "TEXT_TOO_LONG",
                       max_chars=MAX_FLOW_ID_CHARS)
        checked = dataclasses.replace(f, currency=currency, external_id=f.external_id or None)
        if checked.external_id is not None:
            # One id, two different flows in one call: the second would be ignored as "already
            # recorded" and its money lost without a word. The same flow twice is harmless.
            first = ids.setdefault(checked.external_id, (i, checked))
            unchecked = raw.get(checked.external_id, (i, f))
            if unchecked[0] < first[0]:  # the id's first flow was refused: compared as sent
                first = unchecked if unchecked[1] != f else (i, checked)
            if first[0] != i and first[1] != checked:
                raise _bad(f"{path}.id", f"also names cash_flows[{first[0]}], a different flow", "DUPLICATE_FLOW_ID",
                           id=checked.external_id[:64])
        return checked

    ids: dict[str, tuple[int, FlowInput]] = {}
    raw: dict[str, tuple[int, FlowInput]] = {}
    return flow


def validate_prices(points: Sequence[PriceInput], now: datetime) -> list[PriceInput]:
    if not points:
        raise _bad("points", "at least one price point is required", "MISSING_FIELD")
    if len(points) > MAX_PRICE_POINTS:
        raise _bad("points", f"at most {MAX_PRICE_POINTS} points per call, got {len(points)}", "TOO_MANY_POINTS",
                   limit=MAX_PRICE_POINTS, count=len(points))
    seen: dict[tuple[str, date | datetime], int] = {}
    latest_day = _latest_date(now)
    latest_instant = now + FUTURE_SKEW

    def point(p: PriceInput, i: int) -> PriceInput:
        path = f"points[{i}]"
        symbol = normalize_symbol(p.symbol, f"{path}.symbol")
        at = p.at
        if at is None:
            raise _bad(f"{path}.date", "one of date or time is required", "MISSING_FIELD")
        daily = not isinstance(at, datetime)
        if (at > latest_instant) if not daily else (at > latest_day):  # type: ignore[operator]
            raise _bad(f"{path}.{'date' if daily else 'time'}", "must not be in the future", "FUTURE_DATE",
                       value=at.isoformat())
        if not p.close.is_finite() or p.close <= 0:
            raise _bad(f"{path}.close", "must be greater than zero", "NEGATIVE_PRICE", value=str(p.close))
        _bounded(p.close, MAX_PRICE, f"{path}.close")
        if p.previous_close is not None and (not p.previous_close.is_finite() or p.previous_close <= 0):
            raise _bad(f"{path}.previous_close", "must be greater than zero", "NEGATIVE_PRICE",
                       value=str(p.previous_close))
        if p.previous_close is not None:
            _bounded(p.previous_close, MAX_PRICE, f"{path}.previous_close")
        if not p.currency:
            raise _bad(f"{path}.currency", "is required", "MISSING_FIELD")
        if p.currency not in ISO_4217:
            check_currency(p.currency, f"{path}.currency")
        key = (symbol, at)
        if key in seen:
            raise _bad(f"{path}.{'date' if daily else 'time'}",
                       f"{symbol} at {at.isoformat()} also appears at points[{seen[key]}]", "DUPLICATE_POINT",
                       symbol=symbol)
        seen[key] = i
        return p if symbol == p.symbol else dataclasses.replace(p, symbol=symbol)

    return each_checked(points, point, prefix="points")


def validate_articles(articles: Sequence[ArticleInput], now: datetime) -> list[ArticleInput]:
    if not articles:
        raise _bad("articles", "at least one article is required", "MISSING_FIELD")
    if len(articles) > MAX_ARTICLES:
        raise _bad("articles", f"at most {MAX_ARTICLES} articles per call", "TOO_MANY_ARTICLES", limit=MAX_ARTICLES)

    def article(a: ArticleInput, i: int) -> ArticleInput:
        path = f"articles[{i}]"
        for name, value, limit in (
            ("id", a.id, MAX_ARTICLE_ID_CHARS),
            ("source", a.source, MAX_TEXT_CHARS),
            ("title", a.title, MAX_TITLE_CHARS),
        ):
            if not value.strip():
                raise _bad(f"{path}.{name}", "is required", "MISSING_FIELD")
            if len(value) > limit:
                raise _bad(f"{path}.{name}", f"must be at most {limit} characters", "TEXT_TOO_LONG", max_chars=limit)
        if a.published_at is None:
            raise _bad(f"{path}.publish_time", "is required", "MISSING_FIELD")
        check_instant(a.published_at, now, f"{path}.publish_time")
        if len(a.summary) > MAX_SUMMARY_CHARS:
            raise _bad(f"{path}.summary", f"must be at most {MAX_SUMMARY_CHARS} characters", "TEXT_TOO_LONG",
                       max_chars=MAX_SUMMARY_CHARS)
        if a.url and (len(a.url) > MAX_URL_CHARS or not re.match(r"^https?://[^\s/]+", a.url)):
            raise _bad(f"{path}.url", "must be an http or https URL", "INVALID_URL")
        symbols = tuple(dict.fromkeys(normalize_symbol(s, f"{path}.symbols[{j}]") for j, s in enumerate(a.symbols)))
        return dataclasses.replace(a, symbols=symbols)

    return each_checked(articles, article, prefix="articles")

"""Chat domain types: sessions, messages, summaries, the portfolio context and stream events.

Money is ``Decimal``; ratios are ``float`` in the unit their name says (``*_percent`` are
percentage points; ``weight``, ``invested_weight`` and returns are fractions); an undefined ratio
is ``None``, never NaN. A ``weight`` is a share of total value (cash included), an
``invested_weight`` a share of invested value (positions only). Instants are aware UTC datetimes.
The figures beyond totals, positions and risk are in :mod:`.context_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stack_cfo.core.chat.context_figures import (
    ContextBenchmark,
    ContextDiversification,
    ContextGroup,
    ContextInsight,
    PeriodFigures,
)
from stack_cfo.core.chat.jsonvalues import day as _date
from stack_cfo.core.chat.jsonvalues import dec as _dec
from stack_cfo.core.chat.jsonvalues import mapping as _mapping
from stack_cfo.core.chat.jsonvalues import num as _num
from stack_cfo.core.chat.jsonvalues import objects as _objects
from stack_cfo.core.chat.jsonvalues import parse_day as _parse_date
from stack_cfo.core.chat.jsonvalues import parse_dec as _parse_dec
from stack_cfo.core.chat.jsonvalues import parse_num as _parse_num
from stack_cfo.core.chat.jsonvalues import parse_ts as _parse_ts
from stack_cfo.core.chat.jsonvalues import ts as _ts
from stack_cfo.core.provenance.model import GroundingRecord, Receipt


class SessionStatus(StrEnum):
    """Lifecycle of a session (the seed's ``status`` column values)."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


# ------------------------------------------------------------------------------ context


RISK_FIGURES: tuple[str, ...] = (
    "time_weighted_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "current_drawdown",
    "cagr",
    "calmar",
    "var_95",
    "cvar_95",
    "beta",
    "alpha",
)
"""Names of the risk figures a context may carry (the contract's ``RiskMetrics`` fields)."""


@dataclass(frozen=True, slots=True)
class RiskFigure:
    """A ratio that is either a finite ``value`` or absent with a ``reason`` code."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not math.isfinite(self.value):
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "reason", self.reason or "UNDEFINED")


@dataclass(frozen=True, slots=True)
class ContextRisk:
    """Risk figures at snapshot time (the seed's ``RiskMetrics``)."""

    observation_count: int = 0
    start_date: date | None = None
    end_date: date | None = None
    risk_free_rate: float = 0.0
    benchmark_symbol: str = ""
    figures: Mapping[str, RiskFigure] = field(default_factory=dict)
    """Keyed by the names in :data:`RISK_FIGURES`; a missing key means "not computed"."""


@dataclass(frozen=True, slots=True)
class ContextPosition:
    """One position at snapshot time; money in the context's base currency unless noted."""

    symbol: str
    quantity: Decimal
    currency: str = "USD"
    sector: str = ""
    basket: str = ""
    asset_class: str = ""
    """Upper-case asset class name (``EQUITY``, ``ETF`` ...); empty when unknown."""
    tags: tuple[str, ...] = ()
    average_cost: Decimal | None = None
    cost_basis: Decimal | None = None
    last_price: Decimal | None = None
    last_price_time: datetime | None = None
    stale: bool = False
    market_value: Decimal | None = None
    weight: float | None = None
    """Share of total value (cash included), a fraction."""
    unrealized_pnl: Decimal | None = None
    unrealized_pnl_percent: float | None = None
    day_change: Decimal | None = None
    day_change_percent: float | None = None
    invested_weight: float | None = None
    """Share of invested value (positions only), a fraction: the basis of the insights."""
    periods: PeriodFigures = field(default_factory=PeriodFigures)
    """The position's price return and money change over each period."""
    exchange_rate: Decimal | None = None
    """Units of base currency per unit of ``currency`` the position is valued at (``None`` in the base currency)."""
    local_return: float | None = None
    """Unrealised return in ``currency`` (last price / average cost - 1), a fraction."""
    currency_effect: float | None = None
    """What the exchange rate added to the unrealised return, a fraction."""
    realized_pnl: Decimal | None = None
    """Ledger portfolios: P&L realised by sales of this symbol so far (``PositionSummary.realized_pnl_amount``)."""
    income: Decimal | None = None
    """Ledger portfolios: dividends received on this symbol net of fees (``PositionSummary.income_amount``)."""

    def __post_init__(self) -> None:
        for name in ("weight", "unrealized_pnl_percent", "day_change_percent", "invested_weight", "local_return",
                     "currency_effect"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                object.__setattr__(self, name, None)  # never NaN/inf: absent instead


@dataclass(frozen=True, slots=True)
class PortfolioContext:
    """A snapshot of the user's portfolio that grounds the AI's answers (the seed's PortfolioContext)."""

    snapshot_time: datetime
    base_currency: str = ""
    total_value: Decimal | None = None
    total_return_amount: Decimal | None = None
    total_return_percent: float | None = None
    day_change_amount: Decimal | None = None
    day_change_percent: float | None = None
    positions: tuple[ContextPosition, ...] = ()
    risk: ContextRisk | None = None
    cash: Decimal | None = None
    cash_weight: float | None = None
    """Cash as a share of total value, a fraction."""
    invested_value: Decimal | None = None
    periods: PeriodFigures = field(default_factory=PeriodFigures)
    """The whole portfolio over each period, today's cash included in the start value."""
    benchmark: ContextBenchmark | None = None
    baskets: tuple[ContextGroup, ...] = ()
    """Largest market value first, like ``sectors``."""
    sectors: tuple[ContextGroup, ...] = ()
    insights: tuple[ContextInsight, ...] = ()
    """Most severe first (the portfolio core's order)."""
    diversification: ContextDiversification | None = None
    ledger: Mapping[str, Any] | None = None
    """Ledger figures (``realized_pnl``, ``income``, ``fees`` as Decimal strings in base currency) and
    returns (``money_weighted_return``, ``local_return``, ``currency_effect`` as fractions) when known."""

    def __post_init__(self) -> None:
        for name in ("total_return_percent", "day_change_percent", "cash_weight"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                object.__setattr__(self, name, None)

    @classmethod
    def empty(cls, at: datetime) -> PortfolioContext:
        """The context of a user without a portfolio: the AI is told the data is insufficient."""
        return cls(snapshot_time=at)

    @property
    def is_empty(self) -> bool:
        return self.total_value is None and not self.positions

    def age_seconds(self, now: datetime) -> float:
        return (now - self.snapshot_time).total_seconds()

    # -- JSON (the chat_sessions.context column and archived transcripts) ------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_time": _ts(self.snapshot_time),
            "base_currency": self.base_currency,
            "total_value": _dec(self.total_value),
            "total_return_amount": _dec(self.total_return_amount),
            "total_return_percent": _num(self.total_return_percent),
            "day_change_amount": _dec(self.day_change_amount),
            "day_change_percent": _num(self.day_change_percent),
            "positions": [position_json(p) for p in self.positions],
            "risk": _risk_json(self.risk) if self.risk is not None else None,
            "cash": _dec(self.cash),
            "cash_weight": _num(self.cash_weight),
            "invested_value": _dec(self.invested_value),
            "periods": self.periods.to_json(),
            "benchmark": self.benchmark.to_json() if self.benchmark is not None else None,
            "baskets": [g.to_json() for g in self.baskets],
            "sectors": [g.to_json() for g in self.sectors],
            "insights": [i.to_json() for i in self.insights],
            "diversification": self.diversification.to_json() if self.diversification is not None else None,
            "ledger": dict(self.ledger) if self.ledger else None,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None, *, default_time: datetime | None = None) -> PortfolioContext:
        """Parse what :meth:`to_json` wrote; tolerant of missing keys (an empty context)."""
        raw = raw or {}
        at = _parse_ts(raw.get("snapshot_time")) or default_time or datetime.fromtimestamp(0, UTC)
        risk = raw.get("risk")
        benchmark = _mapping(raw.get("benchmark"))
        diversification = _mapping(raw.get("diversification"))
        return cls(
            snapshot_time=at,
            base_currency=str(raw.get("base_currency") or ""),
            total_value=_parse_dec(raw.get("total_value")),
            total_return_amount=_parse_dec(raw.get("total_return_amount")),
            total_return_percent=_parse_num(raw.get("total_return_percent")),
            day_change_amount=_parse_dec(raw.get("day_change_amount")),
            day_change_percent=_parse_num(raw.get("day_change_percent")),
            positions=tuple(_parse_position(p) for p in raw.get("positions") or () if isinstance(p, Mapping)),
            risk=_parse_risk(risk) if isinstance(risk, Mapping) else None,
            cash=_parse_dec(raw.get("cash")),
            cash_weight=_parse_num(raw.get("cash_weight")),
            invested_value=_parse_dec(raw.get("invested_value")),
            periods=PeriodFigures.from_json(raw.get("periods")),
            benchmark=ContextBenchmark.from_json(benchmark) if benchmark else None,
            baskets=tuple(ContextGroup.from_json(g) for g in _objects(raw.get("baskets"))),
            sectors=tuple(ContextGroup.from_json(g) for g in _objects(raw.get("sectors"))),
            insights=tuple(ContextInsight.from_json(i) for i in _objects(raw.get("insights"))),
            diversification=ContextDiversification.from_json(diversification) if diversification else None,
            ledger=_mapping(raw.get("ledger")) or None,
        )


# ------------------------------------------------------------------------------ sessions


@dataclass(frozen=True, slots=True)
class ChatSession:
    id: str
    user_id: str
    title: str
    status: SessionStatus
    provider: str
    model: str
    context: PortfolioContext
    tokens_used: int = 0
    message_count: int = 0
    auto_summarize: bool = True
    summarize_interval: int = 20
    archive_address: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_accessed_at: datetime | None = None
    archive_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewSession:
    """What CreateSession stores."""

    id: str
    user_id: str
    title: str
    provider: str
    model: str
    context: PortfolioContext
    auto_summarize: bool
    summarize_interval: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One stored transcript message. Usage and provenance are set on assistant messages."""

    id: str
    session_id: str
    seq: int
    role: MessageRole
    content: str
    created_at: datetime
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fee_neuron: int | None = None
    provider: str = ""
    model: str = ""
    verification: str = ""
    degraded: bool = False
    offline: bool = False
    incomplete: bool = False
    #: Why a degraded/offline/incomplete answer is so (``core.ai.DegradedReason``); "" otherwise.
    degraded_reason: str = ""
    context_refreshed: bool = False
    compressed: bool = False
    request_id: str | None = None
    reply_to: str | None = None
    #: How the figures of ``content`` compare with the facts (assistant answers; ``None`` for user
    #: messages; a ``NOT_CHECKED`` record for answers stored before the check existed).
    grounding: GroundingRecord | None = None
    #: The receipt of the AI text behind an assistant answer (without its data snapshot), when loaded.
    receipt: Receipt | None = None
    #: Its id (set when the message is read back, before the receipt itself is loaded).
    receipt_id: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of messages ``from_seq..to_seq`` (inclusive) of a session; never replaces them."""

    id: str
    session_id: str
    version: int
    from_seq: int
    to_seq: int
    content: str
    content_sha256: str
    source_sha256: str
    previous_id: str | None = None
    provider: str = ""
    model: str = ""
    offline: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    created_at: datetime | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# ------------------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class Accepted:
    """First event of SendMessage: the user message is stored."""

    user_message_id: str
    assistant_message_id: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Delta:
    text: str


@dataclass(frozen=True, slots=True)
class Completed:
    """Last event: the stored assistant message and how it was produced."""

    message: ChatMessage
    context_refreshed: bool = False
    compressed: bool = False

    @property
    def incomplete(self) -> bool:
        return self.message.incomplete


@dataclass(frozen=True, slots=True)
class Replaced:
    """The answer streamed so far is replaced by ``text`` (its figures did not check out and the
    grounding policy is ``replace``); ``Completed`` follows with the stored message."""

    text: str
    reason: str


ChatEvent = Accepted | Delta | Replaced | Completed


# ------------------------------------------------------------------------------ JSON helpers


def position_json(p: ContextPosition) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "quantity": _dec(p.quantity),
        "currency": p.currency,
        "sector": p.sector,
        "basket": p.basket,
        "asset_class": p.asset_class,
        "tags": list(p.tags),
        "average_cost": _dec(p.average_cost),
        "cost_basis": _dec(p.cost_basis),
        "last_price": _dec(p.last_price),
        "last_price_time": _ts(p.last_price_time),
        "stale": p.stale,
        "market_value": _dec(p.market_value),
        "weight": _num(p.weight),
        "unrealized_pnl": _dec(p.unrealized_pnl),
        "unrealized_pnl_percent": _num(p.unrealized_pnl_percent),
        "day_change": _dec(p.day_change),
        "day_change_percent": _num(p.day_change_percent),
        "invested_weight": _num(p.invested_weight),
        "periods": p.periods.to_json(),
        "exchange_rate": _dec(p.exchange_rate),
        "local_return": _num(p.local_return),
        "currency_effect": _num(p.currency_effect),
        # only when known: a context without them (every snapshot so far) keeps its stored size
        **({"realized_pnl": _dec(p.realized_pnl)} if p.realized_pnl is not None else {}),
        **({"income": _dec(p.income)} if p.income is not None else {}),
    }


def _parse_position(raw: Mapping[str, Any]) -> ContextPosition:
    return ContextPosition(
        symbol=str(raw.get("symbol") or ""),
        quantity=_parse_dec(raw.get("quantity")) or Decimal(0),
        currency=str(raw.get("currency") or "USD"),
        sector=str(raw.get("sector") or ""),
        basket=str(raw.get("basket") or ""),
        asset_class=str(raw.get("asset_class") or ""),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        average_cost=_parse_dec(raw.get("average_cost")),
        cost_basis=_parse_dec(raw.get("cost_basis")),
        last_price=_parse_dec(raw.get("last_price")),
        last_price_time=_parse_ts(raw.get("last_price_time")),
        stale=bool(raw.get("stale")),
        market_value=_parse_dec(raw.get("market_value")),
        weight=_parse_num(raw.get("weight")),
        unrealized_pnl=_parse_dec(raw.get("unrealized_pnl")),
        unrealized_pnl_percent=_parse_num(raw.get("unrealized_pnl_percent")),
        day_change=_parse_dec(raw.get("day_change")),
        day_change_percent=_parse_num(raw.get("day_change_percent")),
        invested_weight=_parse_num(raw.get("invested_weight")),
        exchange_rate=_parse_dec(raw.get("exchange_rate")),
        local_return=_parse_num(raw.get("local_return")),
        currency_effect=_parse_num(raw.get("currency_effect")),
        realized_pnl=_parse_dec(raw.get("realized_pnl")),
        income=_parse_dec(raw.get("income")),
        periods=PeriodFigures.from_json(raw.get("periods")),
    )


def _risk_json(r: ContextRisk) -> dict[str, Any]:
    return {
        "observation_count": r.observation_count,
        "start_date": _date(r.start_date),
        "end_date": _date(r.end_date),
        "risk_free_rate": _num(r.risk_free_rate),
        "benchmark_symbol": r.benchmark_symbol,
        "figures": {k: {"value": _num(f.value), "reason": f.reason} for k, f in r.figures.items()},
    }


def _parse_risk(raw: Mapping[str, Any]) -> ContextRisk:
    figures: dict[str, RiskFigure] = {}
    for k, v in (raw.get("figures") or {}).items():
        if isinstance(v, Mapping) and k in RISK_FIGURES:
            value = _parse_num(v.get("value"))
            reason = v.get("reason") or None
            figures[k] = RiskFigure(value, None if value is not None else (str(reason) if reason else "UNDEFINED"))
    return ContextRisk(
        observation_count=int(raw.get("observation_count") or 0),
        start_date=_parse_date(raw.get("start_date")),
        end_date=_parse_date(raw.get("end_date")),
        risk_free_rate=_parse_num(raw.get("risk_free_rate")) or 0.0,
        benchmark_symbol=str(raw.get("benchmark_symbol") or ""),
        figures=figures,
    )

"""``ChatService``: proto <-> domain translation over :class:`~stack_cfo.core.chat.ChatManager`.

The servicer parses names, checks who may act on them and converts messages. Every rule is
the manager's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import grpc
from google.protobuf import empty_pb2

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, common_pb2, portfolio_pb2
from stack_cfo.api.auth import Principal, current_principal, require_service
from stack_cfo.api.provenance import fee_in_0g, grounding_to_proto, receipt_to_proto, verification_to_proto
from stack_cfo.api.resources import parse_user, parse_user_child, uuid_segment
from stack_cfo.api.validation import (
    PageTokens,
    bounded_double,
    fill_date,
    format_decimal,
    from_date,
    from_timestamp,
    invalid,
    page_size,
    parse_decimal,
    set_timestamp,
)
from stack_cfo.core import data_scope
from stack_cfo.core.ai import DegradedReason
from stack_cfo.core.chat.manager import ChatManager
from stack_cfo.core.chat.models import (
    RISK_FIGURES,
    Accepted,
    ChatEvent,
    ChatMessage,
    ChatSession,
    Completed,
    ContextPosition,
    ContextRisk,
    Delta,
    MessageRole,
    PortfolioContext,
    Replaced,
    RiskFigure,
    SessionStatus,
)
from stack_cfo.core.chat.portfolio_context import MAX_CONTEXT_BYTES, bounded
from stack_cfo.core.chat.support import session_not_found
from stack_cfo.core.chat.transcript import session_name
from stack_cfo.core.errors import MAX_REPORTED_ITEMS, InvalidArgument, NotFound, each_checked
from stack_cfo.core.idempotency import validate_request_id
from stack_cfo.core.portfolio.inputs import (
    MAX_POSITIONS,
    check_currency,
    check_tags,
    check_text,
    normalize_symbol,
)
from stack_cfo.core.provenance import GroundingRecord
from stack_cfo.core.wire import CLIENT_RECEIVE_LIMIT, field_size

SERVICE = "stack.cfo.v1.ChatService"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
#: A ListSessions page stops early (with a ``next_page_token``) before its sessions, each with its
#: whole portfolio context (SESSION_VIEW_BASIC is everything but the transcript), pass this many
#: bytes: a page of large contexts then fits the server's send limit (``server.max_message_bytes``,
#: 8 MiB by default) and gRPC's default 4 MiB receive limit of clients that kept it. A page always
#: holds at least one session.
MAX_PAGE_BYTES = CLIENT_RECEIVE_LIMIT - 4096
_NEURON = Decimal(10) ** -18

# ---------------------------------------------------------------------------------------------
# Translation
# ---------------------------------------------------------------------------------------------

_STATUS = {
    SessionStatus.ACTIVE: chat_pb2.SESSION_STATUS_ACTIVE,
    SessionStatus.ARCHIVED: chat_pb2.SESSION_STATUS_ARCHIVED,
    SessionStatus.DELETED: chat_pb2.SESSION_STATUS_DELETED,
}
_STATUS_IN = {v: k for k, v in _STATUS.items()}
_ROLE = {MessageRole.USER: chat_pb2.CHAT_ROLE_USER, MessageRole.ASSISTANT: chat_pb2.CHAT_ROLE_ASSISTANT}
_METRIC_REASONS = {
    "INSUFFICIENT_HISTORY", "ZERO_DISPERSION", "NO_BENCHMARK", "NO_DRAWDOWN", "UNDEFINED",
    "MISSING_EXCHANGE_RATE", "SPARSE_HISTORY",
}


def _money(v: Decimal | None) -> str:
    return format_decimal(v) if v is not None else ""


def message_fee(message: ChatMessage) -> str:
    # a replaced answer is offline text, but the AI answer it replaced was paid for
    replaced = message.degraded_reason == DegradedReason.UNGROUNDED.value
    return fee_in_0g(message.fee_neuron, offline=message.offline and not replaced)


def context_to_proto(ctx: PortfolioContext, target: chat_pb2.PortfolioContext) -> None:
    set_timestamp(target.snapshot_time, ctx.snapshot_time)
    target.base_currency = ctx.base_currency
    target.total_value = _money(ctx.total_value)
    target.total_return_amount = _money(ctx.total_return_amount)
    if ctx.total_return_percent is not None:
        target.total_return_percent = ctx.total_return_percent
    target.day_change_amount = _money(ctx.day_change_amount)
    if ctx.day_change_percent is not None:
        target.day_change_percent = ctx.day_change_percent
    for p in ctx.positions:
        pos = target.positions.add(
            symbol=p.symbol,
            quantity=format_decimal(p.quantity),
            average_cost=_money(p.average_cost),
            cost_basis=_money(p.cost_basis),
            currency=p.currency,
            sector=p.sector,
            asset_class=_asset_class(p.asset_class),
            basket=p.basket,
            tags=list(p.tags),
            last_price=_money(p.last_price),
            stale=p.stale,
            market_value=_money(p.market_value),
            weight=p.weight or 0.0,
            unrealized_pnl_amount=_money(p.unrealized_pnl),
            day_change_amount=_money(p.day_change),
            realized_pnl_amount=_money(p.realized_pnl),
            income_amount=_money(p.income),
            exchange_rate=_money(p.exchange_rate),
        )
        set_timestamp(pos.last_price_time, p.last_price_time)
        if p.unrealized_pnl_percent is not None:
            pos.unrealized_pnl_percent = p.unrealized_pnl_percent
        if p.day_change_percent is not None:
            pos.day_change_percent = p.day_change_percent
        # the domain keeps these two as fractions; the contract's fields are percentage points
        if p.local_return is not None:
            pos.local_return_percent = p.local_return * 100.0
        if p.currency_effect is not None:
            pos.currency_effect_percent = p.currency_effect * 100.0
    if ctx.risk is not None:
        r, out = ctx.risk, target.risk
        out.observation_count = r.observation_count
        fill_date(out.start_date, r.start_date)
        fill_date(out.end_date, r.end_date)
        out.risk_free_rate = r.risk_free_rate
        out.benchmark_symbol = r.benchmark_symbol
        for name, fig in r.figures.items():
            metric = getattr(out, name)
            if fig.value is not None:
                metric.value = fig.value
            else:
                reason = fig.reason if fig.reason in _METRIC_REASONS else "UNDEFINED"
                metric.reason = common_pb2.MetricUnavailableReason.Value(f"METRIC_UNAVAILABLE_REASON_{reason}")


def _asset_class(name: str) -> int:
    try:
        return int(portfolio_pb2.AssetClass.Value(f"ASSET_CLASS_{name or 'UNSPECIFIED'}"))
    except ValueError:
        return int(portfolio_pb2.ASSET_CLASS_OTHER)


#: Amounts in a supplied context: below 10^18 in absolute value (a portfolio's value stays below
#: 10^28 by the portfolio bounds; a context summarises one, with room to spare).
CONTEXT_MAX = Decimal(10) ** 18


def _count(value: int, field: str) -> int:
    if value < 0:
        raise invalid(field, "must not be negative", reason="OUT_OF_RANGE", value=value)
    return value


def context_from_proto(msg: chat_pb2.PortfolioContext, now: datetime) -> PortfolioContext:
    """A context supplied by a service principal (UpdatePortfolioContext). Its positions follow
    SyncPortfolio's rules for the same fields: at most 10,000 (TOO_MANY_POSITIONS), ticker symbols
    (INVALID_SYMBOL, upper-cased), each once (DUPLICATE_SYMBOL), sector and basket of at most 200
    characters (TEXT_TOO_LONG), at most 20 tags (TOO_MANY_TAGS) of 1 to 64 characters (INVALID_TAG);
    ``risk.benchmark_symbol`` empty or a ticker symbol."""
    f = "portfolio_context"

    def _amount(value: str, field: str, *, required: bool = True, allow_negative: bool = False) -> Decimal | None:
        return parse_decimal(value, field, required=required, allow_negative=allow_negative, below=CONTEXT_MAX)

    def _ratio(m: object, name: str, field: str) -> float | None:
        return bounded_double(getattr(m, name), field) if m.HasField(name) else None  # type: ignore[attr-defined]

    def _fraction(m: object, name: str, field: str) -> float | None:
        """An optional percentage (``_ratio``'s rules) as the fraction the domain keeps."""
        pct = _ratio(m, name, field)
        return pct / 100.0 if pct is not None else None

    seen: dict[str, int] = {}

    def position(p: portfolio_pb2.PositionSummary, i: int) -> ContextPosition:
        # the rules SyncPortfolio applies to the same fields (symbol, sector, basket, tags)
        pf = f"{f}.positions[{i}]"
        if not p.symbol.strip():
            raise invalid(f"{pf}.symbol", "is required", reason="MISSING_FIELD")
        symbol = normalize_symbol(p.symbol, f"{pf}.symbol")
        if symbol in seen:
            raise invalid(f"{pf}.symbol", f"{symbol} also appears at {f}.positions[{seen[symbol]}]",
                          reason="DUPLICATE_SYMBOL", symbol=symbol)
        seen[symbol] = i
        quantity = _amount(p.quantity, f"{pf}.quantity", allow_negative=True)
        assert quantity is not None
        if p.asset_class not in portfolio_pb2.AssetClass.values():
            raise invalid(f"{pf}.asset_class", f"unknown asset class {p.asset_class}", reason="INVALID_ENUM")
        ac = portfolio_pb2.AssetClass.Name(p.asset_class).removeprefix("ASSET_CLASS_") if p.asset_class else ""
        sector = check_text(p.sector, f"{pf}.sector")
        basket = check_text(p.basket, f"{pf}.basket")
        tags = check_tags(p.tags, f"{pf}.tags")
        return ContextPosition(
            symbol=symbol,
            quantity=quantity,
            currency=check_currency(p.currency, f"{pf}.currency") if p.currency else msg.base_currency or "USD",
            sector=sector,
            basket=basket,
            asset_class="" if ac == "UNSPECIFIED" else ac,
            tags=tags,
            average_cost=_amount(p.average_cost, f"{pf}.average_cost", required=False),
            cost_basis=_amount(p.cost_basis, f"{pf}.cost_basis", required=False),
            last_price=_amount(p.last_price, f"{pf}.last_price", required=False),
            last_price_time=from_timestamp(p.last_price_time, f"{pf}.last_price_time",
                                           present=p.HasField("last_price_time")),
            stale=p.stale,
            market_value=_amount(p.market_value, f"{pf}.market_value", required=False, allow_negative=True),
            weight=bounded_double(p.weight, f"{pf}.weight"),
            unrealized_pnl=_amount(p.unrealized_pnl_amount, f"{pf}.unrealized_pnl_amount",
                                   required=False, allow_negative=True),
            unrealized_pnl_percent=_ratio(p, "unrealized_pnl_percent", f"{pf}.unrealized_pnl_percent"),
            day_change=_amount(p.day_change_amount, f"{pf}.day_change_amount", required=False,
                               allow_negative=True),
            day_change_percent=_ratio(p, "day_change_percent", f"{pf}.day_change_percent"),
            realized_pnl=_amount(p.realized_pnl_amount, f"{pf}.realized_pnl_amount", required=False,
                                 allow_negative=True),
            income=_amount(p.income_amount, f"{pf}.income_amount", required=False, allow_negative=True),
            # units of base currency per unit of `currency`: above zero (RecordExchangeRates' rule)
            exchange_rate=parse_decimal(p.exchange_rate, f"{pf}.exchange_rate", required=False, allow_zero=False,
                                        below=CONTEXT_MAX),
            local_return=_fraction(p, "local_return_percent", f"{pf}.local_return_percent"),
            currency_effect=_fraction(p, "currency_effect_percent", f"{pf}.currency_effect_percent"),
        )

    def risk_of(r: portfolio_pb2.RiskMetrics) -> ContextRisk:
        figures: dict[str, RiskFigure] = {}
        for name in RISK_FIGURES:
            if not r.HasField(name):
                continue
            m = getattr(r, name)
            if m.HasField("value"):
                if m.reason:
                    raise invalid(f"{f}.risk.{name}.reason", "must be unset when value is set",
                                  reason="REASON_WITH_VALUE")
                figures[name] = RiskFigure(bounded_double(m.value, f"{f}.risk.{name}.value"))
            else:
                if m.reason not in common_pb2.MetricUnavailableReason.values():
                    raise invalid(f"{f}.risk.{name}.reason", f"unknown reason {m.reason}", reason="INVALID_ENUM")
                reason = common_pb2.MetricUnavailableReason.Name(m.reason).removeprefix("METRIC_UNAVAILABLE_REASON_")
                figures[name] = RiskFigure(None, reason if reason in _METRIC_REASONS else "UNDEFINED")
        return ContextRisk(
            observation_count=_count(r.observation_count, f"{f}.risk.observation_count"),
            start_date=from_date(r.start_date, f"{f}.risk.start_date"),
            end_date=from_date(r.end_date, f"{f}.risk.end_date"),
            risk_free_rate=bounded_double(r.risk_free_rate, f"{f}.risk.risk_free_rate", limit=1.0),
            benchmark_symbol=normalize_symbol(r.benchmark_symbol, f"{f}.risk.benchmark_symbol")
            if r.benchmark_symbol else "",
            figures=figures,
        )

    def snapshot_time() -> datetime | None:
        at = from_timestamp(msg.snapshot_time, f"{f}.snapshot_time", present=msg.HasField("snapshot_time"))
        if at is not None and at > now:
            raise invalid(f"{f}.snapshot_time", "must not be in the future", reason="FUTURE_DATE")
        return at

    def positions_of() -> list[ContextPosition]:
        if len(msg.positions) > MAX_POSITIONS:
            raise invalid(f"{f}.positions", f"at most {MAX_POSITIONS} positions", reason="TOO_MANY_POSITIONS",
                          limit=MAX_POSITIONS)
        # at most MAX_REPORTED_ITEMS problems in all, the fields' before them counted
        return each_checked(msg.positions, position, prefix=f"{f}.positions",
                            limit=MAX_REPORTED_ITEMS - len(problems))

    # Every field's problem in one error, in field order (a position's did hide the top-level fields'); each
    # part reports its first, the positions each bad one (see each_checked).
    problems: list[InvalidArgument] = []
    values: dict[str, Any] = {}
    parts: tuple[tuple[str, Callable[[], Any]], ...] = (
        ("snapshot_time", snapshot_time),
        ("base_currency", lambda: check_currency(msg.base_currency, f"{f}.base_currency") if msg.base_currency
         else ""),
        ("total_value", lambda: _amount(msg.total_value, f"{f}.total_value", required=False, allow_negative=True)),
        ("total_return_amount", lambda: _amount(msg.total_return_amount, f"{f}.total_return_amount",
                                                required=False, allow_negative=True)),
        ("total_return_percent", lambda: _ratio(msg, "total_return_percent", f"{f}.total_return_percent")),
        ("day_change_amount", lambda: _amount(msg.day_change_amount, f"{f}.day_change_amount", required=False,
                                              allow_negative=True)),
        ("day_change_percent", lambda: _ratio(msg, "day_change_percent", f"{f}.day_change_percent")),
        ("positions", positions_of),
        ("risk", lambda: risk_of(msg.risk) if msg.HasField("risk") else None),
    )
    for name, parse in parts:
        try:
            values[name] = parse()
        except InvalidArgument as exc:
            problems.append(exc)
            if "unchecked_from" in exc.metadata:
                break  # the report stopped at MAX_REPORTED_ITEMS: nothing after it is checked
    if problems:
        raise InvalidArgument.combine(problems)
    return PortfolioContext(
        snapshot_time=values["snapshot_time"] or now,
        base_currency=msg.base_currency,
        total_value=values["total_value"],
        total_return_amount=values["total_return_amount"],
        total_return_percent=values["total_return_percent"],
        day_change_amount=values["day_change_amount"],
        day_change_percent=values["day_change_percent"],
        positions=tuple(values["positions"]),
        risk=values["risk"],
    )


#: The SessionView values GetSession knows (any other number is INVALID_ENUM).
_VIEWS = frozenset(chat_pb2.SessionView.values())


def message_to_proto(m: ChatMessage) -> chat_pb2.ChatMessage:
    out = chat_pb2.ChatMessage(
        id=m.id,
        role=_ROLE[m.role],
        content=m.content,
        usage=common_pb2.TokenUsage(prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens),
        incomplete=m.incomplete,
        degraded_reason=m.degraded_reason,
    )
    set_timestamp(out.create_time, m.created_at)
    if m.role is MessageRole.ASSISTANT:
        out.verification = verification_to_proto(m.verification)
        grounding_to_proto(m.grounding or GroundingRecord.not_checked(), out.grounding)
        if m.receipt is not None:
            receipt_to_proto(m.receipt, out.receipt)
    return out


def session_to_proto(s: ChatSession) -> chat_pb2.Session:
    """The session without its transcript (GetSession's and GetArchivedSession's pages add the
    messages that fit: :func:`with_recent_messages`, :func:`with_messages_from`)."""
    out = chat_pb2.Session(
        name=session_name(s.user_id, s.id),
        title=s.title,
        status=_STATUS[s.status],
        provider=s.provider,
        model=s.model,
        tokens_used=s.tokens_used,
        message_count=s.message_count,
        auto_summarize=s.auto_summarize,
        summarize_interval=s.summarize_interval,
    )
    # Where and when it was archived: only while ARCHIVED (a deleted archived session keeps its
    # archive, readable with UserDataService.GetArchivedSession, but is no longer ARCHIVED).
    archived = s.status is SessionStatus.ARCHIVED
    if archived:
        out.archive_address = s.archive_address or ""
    context_to_proto(s.context, out.portfolio_context)
    if out.portfolio_context.ByteSize() > MAX_CONTEXT_BYTES:  # ~2 ms for 4 MB
        # stored before snapshots and supplied contexts were bounded by their serialized size: sent
        # bounded as a snapshot is now, or no call could read the session (nor list its user's)
        out.ClearField("portfolio_context")
        context_to_proto(bounded(s.context), out.portfolio_context)
    for field, value in (
        ("create_time", s.created_at),
        ("update_time", s.updated_at),
        ("last_access_time", s.last_accessed_at),
        ("archive_time", s.archive_time if archived else None),
    ):
        set_timestamp(getattr(out, field), value)
    return out


#: The key of ``Session.messages`` (field 16, length-delimited: two bytes), as checked below.
_MESSAGES_KEY_BYTES = 2
assert chat_pb2.Session.DESCRIPTOR.fields_by_name["messages"].number == 16


def with_recent_messages(out: chat_pb2.Session, messages: list[ChatMessage], max_bytes: int) -> int:
    """Add to ``out`` the most recent of ``messages`` (oldest first) that keep it within
    ``max_bytes`` serialized, in order; the older ones are left out (``message_count`` still
    counts them). Returns how many were left out."""
    room = max_bytes - out.ByteSize()
    kept: list[chat_pb2.ChatMessage] = []
    for m in reversed(messages):
        item = message_to_proto(m)
        n = field_size(item.ByteSize(), _MESSAGES_KEY_BYTES)
        if n > room:
            break
        room -= n
        kept.append(item)
    kept.reverse()
    out.messages.extend(kept)
    left_out = len(messages) - len(kept)
    if left_out:
        # a transcript read after the session row may hold messages the row's count has not seen
        out.message_count = max(out.message_count, len(messages))
    return left_out


def with_messages_from(
    out: chat_pb2.Session, messages: Sequence[ChatMessage], start: int, *, limit: int, max_bytes: int
) -> int:
    """Add to ``out`` a page of ``messages`` (oldest first) from ``start``, in order: at most
    ``limit`` of them, while ``out`` stays within ``max_bytes`` serialized, and at least one while
    any remain (even past ``max_bytes``: the caller makes room, a page must make progress).
    Returns the index of the first message left for the next page (``len(messages)``: none)."""
    room = max_bytes - out.ByteSize()
    items: list[chat_pb2.ChatMessage] = []
    end = start
    while end < len(messages) and len(items) < limit:
        item = message_to_proto(messages[end])
        n = field_size(item.ByteSize(), _MESSAGES_KEY_BYTES)
        if n > room and items:
            break
        room -= n
        items.append(item)
        end += 1
    out.messages.extend(items)
    return end


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


#: Field keys (field number << 3 | wire type 2, length-delimited) of ``SendMessageResponse.delta``
#: and ``MessageDelta.text``, as checked against the generated descriptors below.
_DELTA_KEY, _TEXT_KEY = b"\x12", b"\x0a"
assert chat_pb2.SendMessageResponse.DESCRIPTOR.fields_by_name["delta"].number == 2
assert chat_pb2.MessageDelta.DESCRIPTOR.fields_by_name["text"].number == 1


def delta_bytes(text: str) -> bytes:
    """``SendMessageResponse(delta=MessageDelta(text=text))`` serialized, without building the
    two protobuf objects: the servicer sends one per model chunk (the server's passthrough
    serializer sends bytes unchanged). The same bytes as ``SerializeToString`` (an empty text is
    an empty ``delta``); text protobuf cannot encode (lone surrogates) raises the same
    ``UnicodeEncodeError``."""
    data = text.encode("utf-8")
    if not data:
        return b"\x12\x00"
    inner = _TEXT_KEY + _varint(len(data)) + data
    return _DELTA_KEY + _varint(len(inner)) + inner


def event_to_proto(ev: ChatEvent) -> chat_pb2.SendMessageResponse:
    if isinstance(ev, Delta):
        return chat_pb2.SendMessageResponse(delta=chat_pb2.MessageDelta(text=ev.text))
    if isinstance(ev, Accepted):
        return chat_pb2.SendMessageResponse(
            accepted=chat_pb2.MessageAccepted(
                user_message_id=ev.user_message_id,
                assistant_message_id=ev.assistant_message_id,
                replayed=ev.replayed,
            )
        )
    if isinstance(ev, Replaced):
        return chat_pb2.SendMessageResponse(replaced=chat_pb2.MessageReplaced(text=ev.text, reason=ev.reason))
    assert isinstance(ev, Completed)
    m = ev.message
    return chat_pb2.SendMessageResponse(
        completed=chat_pb2.MessageCompleted(
            assistant_message=message_to_proto(m),
            usage=common_pb2.TokenUsage(prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens),
            fee=message_fee(m),
            provider=m.provider,
            model=m.model,
            verification=verification_to_proto(m.verification),
            degraded=m.degraded,
            offline=m.offline,
            context_refreshed=ev.context_refreshed,
            compressed=ev.compressed,
            incomplete=m.incomplete,
        )
    )


def _principal_key(p: Principal) -> str:
    return p.user_id if p.user_id else f"service:{p.service}"


def _session_ref(name: str, field: str = "name") -> tuple[str, str, Principal]:
    """(user id, session id, principal) for a session the caller may act on; else NOT_FOUND."""
    user_id, session_id = parse_user_child(name, "sessions", field=field)
    # {session} is a UUID the server assigned: anything else names no session (INVALID_RESOURCE_NAME)
    session_id = uuid_segment(session_id, field, name, "users/{user}/sessions/{session}")
    principal = current_principal()
    if not principal.is_service and principal.user_id != user_id:
        raise session_not_found(user_id, session_id)
    data_scope.act_for(user_id)  # row-level security: this user's rows from here on
    return user_id, session_id, principal


def _owner(parent: str) -> tuple[str, Principal]:
    user_id = parse_user(parent, field="parent")
    principal = current_principal()
    if not principal.is_service and principal.user_id != user_id:
        raise NotFound.resource("user", parent)
    data_scope.act_for(user_id)  # row-level security: this user's rows from here on
    return user_id, principal


# ---------------------------------------------------------------------------------------------
# The servicer
# ---------------------------------------------------------------------------------------------


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, manager: ChatManager, page_tokens: PageTokens, *, page_bytes: int = MAX_PAGE_BYTES) -> None:
        self.manager = manager
        self.page_tokens = page_tokens
        self.page_bytes = page_bytes

    async def CreateSession(
        self, request: chat_pb2.CreateSessionRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.Session:
        user_id, _ = _owner(request.parent)
        request_id = validate_request_id(request.request_id)
        s = request.session
        session = await self.manager.create_session(
            user_id,
            s.title,
            provider=s.provider,
            model=s.model,
            auto_summarize=s.auto_summarize if s.HasField("auto_summarize") else None,
            summarize_interval=s.summarize_interval,
            request_id=request_id,
        )
        return session_to_proto(session)

    async def GetSession(
        self, request: chat_pb2.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.Session:
        user_id, session_id, principal = _session_ref(request.name)
        if request.view not in _VIEWS:
            raise invalid("view", f"unknown session view {request.view}", reason="INVALID_ENUM")
        full = request.view != chat_pb2.SESSION_VIEW_BASIC
        session, messages = await self.manager.get_session(
            user_id, session_id, with_messages=full, touch=not principal.is_service
        )
        out = session_to_proto(session)
        if messages is not None:
            # within what a client receives by default (4 MiB; the page size of ListSessions): a
            # session whose context and transcript together are larger sends its latest messages
            with_recent_messages(out, messages, self.page_bytes)
        return out

    async def ListSessions(
        self, request: chat_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.ListSessionsResponse:
        user_id, _ = _owner(request.parent)
        size = page_size(request.page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        if request.status == chat_pb2.SESSION_STATUS_UNSPECIFIED:
            statuses = [SessionStatus.ACTIVE, SessionStatus.ARCHIVED]
        elif request.status in _STATUS_IN:
            statuses = [_STATUS_IN[request.status]]
        else:
            raise invalid("status", f"unknown session status {request.status}", reason="INVALID_ENUM")
        scope = f"{SERVICE}/ListSessions:{user_id}:{request.status}"
        after = None
        payload = self.page_tokens.decode(request.page_token, scope=scope)
        if payload is not None:
            try:
                after = (datetime.fromisoformat(str(payload["t"])), str(payload["id"]))
            except (KeyError, ValueError):
                raise invalid("page_token", "is malformed", reason="INVALID_PAGE_TOKEN") from None
        listed: dict[str, tuple[chat_pb2.Session, int]] = {}

        def measure(s: ChatSession) -> int:
            """The session's bytes in the response: the field key (1 byte), the length prefix, the
            session (its message and size kept for the page; the store calls this as it reads every
            session, off the event loop, and stops reading once the page is full)."""
            item = session_to_proto(s)
            n = field_size(item.ByteSize())
            listed[s.id] = (item, n)
            return n

        page = await self.manager.list_sessions(
            user_id, statuses, limit=size, after=after, max_bytes=self.page_bytes, measure=measure
        )
        sessions: list[chat_pb2.Session] = []
        next_after = page.next_after
        room = self.page_bytes
        for s in page.sessions:
            item, n = listed[s.id]
            if sessions and n > room:
                # the page is full: the next one starts after the last session listed
                last = page.sessions[len(sessions) - 1]
                assert last.last_accessed_at is not None
                next_after = (last.last_accessed_at, last.id)
                break
            room -= n
            sessions.append(item)
        resp = chat_pb2.ListSessionsResponse(sessions=sessions)
        if next_after is not None:
            resp.next_page_token = self.page_tokens.encode(
                {"t": next_after[0].isoformat(), "id": next_after[1]}, scope=scope
            )
        return resp

    async def DeleteSession(
        self, request: chat_pb2.DeleteSessionRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        user_id, session_id, _ = _session_ref(request.name)
        await self.manager.delete_session(user_id, session_id)
        return empty_pb2.Empty()

    async def SendMessage(
        self, request: chat_pb2.SendMessageRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[chat_pb2.SendMessageResponse | bytes]:
        user_id, session_id, _ = _session_ref(request.name)
        request_id = validate_request_id(request.request_id)
        remaining = context.time_remaining()
        deadline = time.monotonic() + remaining if remaining is not None else None
        events = self.manager.send_message(
            user_id, session_id, request.content, request_id=request_id, deadline=deadline
        )
        try:
            async for event in events:
                # A delta per read of the provider's stream (or per ``chat.delta_interval``,
                # which the compute stream paces): sent as bytes (see delta_bytes); the rest as
                # messages.
                yield delta_bytes(event.text) if type(event) is Delta else event_to_proto(event)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def UpdatePortfolioContext(
        self, request: chat_pb2.UpdatePortfolioContextRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.Session:
        user_id, session_id, principal = _session_ref(request.name)
        supplied = None
        if request.HasField("portfolio_context"):
            require_service(principal, operation="UpdatePortfolioContext with a supplied context")
            if request.portfolio_context.ByteSize() > MAX_CONTEXT_BYTES:
                # stored, it would make every read of the session (GetSession, a ListSessions page)
                # larger than a message may be
                raise invalid(
                    "portfolio_context",
                    f"is larger than {MAX_CONTEXT_BYTES} bytes serialized",
                    reason="CONTEXT_TOO_LARGE",
                    max_bytes=str(MAX_CONTEXT_BYTES),
                )
            supplied = context_from_proto(request.portfolio_context, self.manager.now())
            # as the session stores and returns it: empty currencies filled in (the base currency),
            # the snapshot time set, risk metrics without a reason given UNDEFINED, amounts in plain
            # notation (100 for 1E+2)
            stored = chat_pb2.PortfolioContext()
            context_to_proto(supplied, stored)
            if (size := stored.ByteSize()) > MAX_CONTEXT_BYTES:
                raise invalid(
                    "portfolio_context",
                    f"is larger than {MAX_CONTEXT_BYTES} bytes serialized as the session stores it ({size})",
                    reason="CONTEXT_TOO_LARGE",
                    max_bytes=str(MAX_CONTEXT_BYTES),
                    stored_bytes=str(size),
                )
        # a user's refresh is a write of the session (last_access_time); a service's is not
        session = await self.manager.update_context(user_id, session_id, supplied, touch=not principal.is_service)
        return session_to_proto(session)

    async def ArchiveSession(
        self, request: chat_pb2.ArchiveSessionRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.Session:
        user_id, session_id, principal = _session_ref(request.name)
        request_id = validate_request_id(request.request_id)
        remaining = context.time_remaining()
        deadline = time.monotonic() + remaining if remaining is not None else None
        session = await self.manager.archive_session(
            user_id,
            session_id,
            request_id=request_id,
            principal=_principal_key(principal),
            deadline=deadline,
            touch=not principal.is_service,
        )
        return session_to_proto(session)


"""Every read of a session fits a 4 MiB message, gRPC's default receive limit, whatever its context
holds: a supplied context is measured as the session stores and returns it, a snapshot is bounded in
the bytes its reads send (UTF-8, not characters), and GetSession's transcript keeps its latest
messages when the whole would not fit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import psycopg
import pytest
from psycopg.types.json import Jsonb

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from stack_cfo.api.servicers.chat import context_to_proto
from stack_cfo.core.chat.context_figures import ContextGroup, ContextMember
from stack_cfo.core.chat.models import RISK_FIGURES, ContextPosition, ContextRisk, PortfolioContext, RiskFigure
from stack_cfo.core.chat.portfolio_context import (
    MAX_CONTEXT_BYTES,
    MAX_SNAPSHOT_JSON,
    _json_size,
    bounded,
    context_wire_size,
    position_wire_size,
)
from tests.integration.chat.conftest import Chat, chat_server, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

P = portfolio_pb2.PositionSummary
FOUR_MIB = 4 * 1024 * 1024
LIMIT = FOUR_MIB - 16 * 1024
EMOJI = "\U0001f600"  # one character, four bytes of UTF-8
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _padded(n: int, target: int, **fields: object) -> chat_pb2.PortfolioContext:
    """``n`` positions (200-character sectors, baskets of 150 to 200 characters) ``target`` bytes
    serialized: the baskets grow one byte per character (their lengths and the positions' stay
    two-byte varints), so no re-measuring in a loop."""
    positions = [P(symbol=f"S{i:05d}", quantity="1", sector="x" * 200, basket="y" * 150, **fields)  # type: ignore[arg-type]
                 for i in range(n)]
    ctx = chat_pb2.PortfolioContext(base_currency="USD", positions=positions)
    extra = target - ctx.ByteSize()
    assert 0 <= extra <= 50 * n
    for p in ctx.positions:
        if not extra:
            break
        add = min(50, extra)
        p.basket = "y" * (150 + add)
        extra -= add
    assert ctx.ByteSize() == target
    return ctx


async def _update(chat: Chat, name: str, ctx: chat_pb2.PortfolioContext) -> chat_pb2.Session:
    return await chat.stub.UpdatePortfolioContext(
        chat_pb2.UpdatePortfolioContextRequest(name=name, portfolio_context=ctx), metadata=chat.service_md(),
        timeout=60,
    )


async def _list_one(chat: Chat, user: str) -> chat_pb2.ListSessionsResponse:
    return await chat.stub.ListSessions(
        chat_pb2.ListSessionsRequest(parent=f"users/{user}", page_size=1), metadata=chat.md(user), timeout=60
    )


async def test_a_supplied_context_is_measured_as_the_session_returns_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """10,000 positions without a currency, just under the limit as sent: the session stores each
    with the base currency (+5 bytes a position) and a snapshot time, ~50 KB more. Accepted, no
    client with gRPC's default limits could read the session (GetSession, ListSessions); refused."""
    user = new_user()
    ctx = _padded(10_000, LIMIT - 100)
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _update(chat, s.name, ctx)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, ei.value.details()
        info, bad = error_info(ei.value)
        assert info.reason == "CONTEXT_TOO_LARGE" and info.metadata["field"] == "portfolio_context"
        assert info.metadata["max_bytes"] == str(LIMIT)
        assert int(info.metadata["stored_bytes"]) > LIMIT
        assert bad is not None and [v.field for v in bad.field_violations] == ["portfolio_context"]
        # nothing was stored
        assert not (await chat.get(user, s.name, basic=True)).portfolio_context.positions

        # 150 positions fewer: within the limit as stored, accepted and readable by every read
        del ctx.positions[9_850:]
        stored = await _update(chat, s.name, ctx)
        assert len(stored.portfolio_context.positions) == 9_850
        assert stored.portfolio_context.positions[0].currency == "USD"
        assert stored.portfolio_context.ByteSize() <= LIMIT
        got = await chat.get(user, s.name, basic=True)
        assert got.portfolio_context == stored.portfolio_context and got.ByteSize() <= FOUR_MIB
        page = await _list_one(chat, user)
        assert [x.name for x in page.sessions] == [s.name] and page.ByteSize() <= FOUR_MIB


def _holdings(n: int) -> list[portfolio_pb2.Holding]:
    """Holdings whose texts are four-byte characters: 1,680 characters, ~6.7 KB of UTF-8 each."""
    return [
        portfolio_pb2.Holding(
            symbol=f"Q{i}", quantity="1", average_cost="10", sector=EMOJI * 200, basket=EMOJI * 199 + str(i % 10),
            tags=[EMOJI * 63 + chr(65 + k) for k in range(20)],
        )
        for i in range(n)
    ]


async def test_a_snapshot_with_non_ascii_text_is_bounded_in_bytes(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """700 holdings of emoji sectors, baskets and tags: 1.7 M characters of JSON (under the 4 MiB
    the snapshot was measured in), 4.7 MB serialized. The session was stored whole, its
    CreateSession answer could not be received, and from then on no ListSessions page of the user,
    even of one session. SyncPortfolio now refuses those holdings (their summary could not fit 4 MiB:
    PORTFOLIO_TOO_LARGE); the largest such portfolio it accepts gives a session every read of which
    fits a default client (the snapshot's bound in UTF-8 bytes: ``bounded``, tested below)."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.portfolio.SyncPortfolio(
                portfolio_pb2.SyncPortfolioRequest(
                    portfolio=f"users/{user}/portfolio", positions=_holdings(700), cash_balance="100",
                    base_currency="USD",
                ),
                metadata=chat.md(user), timeout=60,
            )
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(ei.value)[0].reason == "PORTFOLIO_TOO_LARGE"
        n = 700
        while True:  # the most of those holdings SyncPortfolio accepts
            n -= 25
            try:
                await chat.portfolio.SyncPortfolio(
                    portfolio_pb2.SyncPortfolioRequest(
                        portfolio=f"users/{user}/portfolio", positions=_holdings(n), cash_balance="100",
                        base_currency="USD",
                    ),
                    metadata=chat.md(user), timeout=60,
                )
                break
            except grpc.aio.AioRpcError as exc:
                assert error_info(exc)[0].reason == "PORTFOLIO_TOO_LARGE"
        s = await chat.create(user)
        ctx = s.portfolio_context
        assert s.ByteSize() <= FOUR_MIB and ctx.positions
        assert {p.sector for p in ctx.positions} == {EMOJI * 200}
        page = await _list_one(chat, user)
        assert [x.name for x in page.sessions] == [s.name] and page.ByteSize() <= FOUR_MIB
        assert (await chat.get(user, s.name)).portfolio_context == ctx


async def test_a_session_stored_too_large_before_the_bound_is_read_bounded(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A session an earlier version stored with a 4.7 MB context (the emoji portfolio above): every
    read of it, and every ListSessions page that reached it, failed for good. It is sent bounded as
    a snapshot is now."""
    user = new_user()
    positions = tuple(
        ContextPosition(symbol=f"Q{i}", quantity=Decimal(1), sector=EMOJI * 200, basket=EMOJI * 200,
                        tags=(EMOJI * 64,) * 20, market_value=Decimal(i + 1))
        for i in range(700)
    )
    legacy = PortfolioContext(snapshot_time=NOW, base_currency="USD", positions=positions)
    assert _wire(legacy) > FOUR_MIB
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE chat_sessions SET context = %s WHERE id = %s",
                         (Jsonb(legacy.to_json()), s.name.rsplit("/", 1)[-1]))
        got = await chat.get(user, s.name)
        assert got.ByteSize() <= FOUR_MIB and len(got.portfolio_context.positions) == 700
        assert not any(p.tags for p in got.portfolio_context.positions)
        page = await _list_one(chat, user)
        assert [x.name for x in page.sessions] == [s.name] and page.ByteSize() <= FOUR_MIB


def _wire(ctx: PortfolioContext) -> int:
    out = chat_pb2.PortfolioContext()
    context_to_proto(ctx, out)
    return out.ByteSize()


def _full_position(i: int, **changes: object) -> ContextPosition:
    p = ContextPosition(
        symbol=f"BRK.{i}", quantity=Decimal("-123456789012345678.123456789"), currency="EUR",
        sector=EMOJI * 200, basket="\u00e9" * 200, asset_class="CRYPTO", tags=tuple(EMOJI * 64 for _ in range(20)),
        average_cost=Decimal("1E-30"), cost_basis=Decimal("1E+17"), last_price=Decimal("999999999999.999999"),
        last_price_time=NOW, stale=True, market_value=Decimal("-0.000001"), weight=-1e12,
        unrealized_pnl=Decimal("-99999999999999999.99"), unrealized_pnl_percent=-1e-300,
        day_change=Decimal("-12345678901234567.89"), day_change_percent=1e12, invested_weight=0.5,
        exchange_rate=Decimal("1.2345678901234567890"), local_return=0.1, currency_effect=-0.2,
    )
    return dataclasses.replace(p, **changes)  # type: ignore[arg-type]


def test_the_wire_size_of_a_context_is_an_upper_bound_within_a_few_bytes() -> None:
    """The size the snapshot bound uses, against the generated code: never less than what is sent
    (else a snapshot could pass the limit), at most a few bytes more a position."""
    empty = PortfolioContext(snapshot_time=NOW, base_currency="USD")
    cases = [
        _full_position(1),
        _full_position(2, tags=(), sector="", basket="", last_price_time=None, weight=None,
                       unrealized_pnl_percent=None, day_change_percent=None, average_cost=None, market_value=None),
        ContextPosition(symbol="A", quantity=Decimal(0)),
        _full_position(3, last_price_time=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ]
    base = _wire(empty)
    for p in cases:
        actual = _wire(dataclasses.replace(empty, positions=(p,))) - base
        assert actual <= position_wire_size(p) <= actual + 16, (p.symbol, actual, position_wire_size(p))
    risk = ContextRisk(
        observation_count=2**31 - 1, start_date=date(1970, 1, 1), end_date=date(9999, 12, 31), risk_free_rate=1.0,
        benchmark_symbol="SPY", figures={n: RiskFigure(1e12) if k % 2 else RiskFigure(None, "INSUFFICIENT_HISTORY")
                                          for k, n in enumerate(RISK_FIGURES)},
    )
    whole = PortfolioContext(
        snapshot_time=NOW - timedelta(microseconds=1), base_currency="USD", total_value=Decimal("-1E+27"),
        total_return_amount=Decimal("1234567890.123456789"), total_return_percent=-5e11,
        day_change_amount=Decimal("-0.5"), day_change_percent=1e-9,
        positions=tuple(_full_position(i) for i in range(50)), risk=risk,
    )
    assert _wire(whole) <= context_wire_size(whole) <= _wire(whole) + 16 * 50 + 256


def test_a_snapshot_bound_counts_bytes_not_characters() -> None:
    """3,000 positions of emoji texts: ~3.7 M characters of JSON once their tags are left out,
    under the 4 MiB the bound counted in characters, but ~4.9 MB sent. Now within the limit, with
    the largest positions in their order (the totals and groups still whole)."""
    n = 3_000
    positions = tuple(
        ContextPosition(symbol=f"S{i}", quantity=Decimal(1), sector=EMOJI * 200, basket=EMOJI * 200,
                        tags=(EMOJI * 64,) * 20, market_value=Decimal(i + 1), weight=(i + 1) / n)
        for i in range(n)
    )
    members = tuple(ContextMember(p.symbol, {}) for p in positions)
    group = ContextGroup(name="g", market_value=Decimal(n), members=members)
    ctx = PortfolioContext(snapshot_time=NOW, base_currency="USD", total_value=Decimal(n * (n + 1) // 2),
                           positions=positions, baskets=(group,), sectors=(group,))
    out = bounded(ctx)
    assert _wire(out) <= MAX_CONTEXT_BYTES and _json_size(out.to_json()) <= MAX_SNAPSHOT_JSON
    kept = [p.symbol for p in out.positions]
    assert 2_000 < len(kept) < n  # ~1.6 KB each: most of them
    assert kept == [f"S{i}" for i in range(n - len(kept), n)]
    assert all(p.tags == () for p in out.positions) and out.total_value == ctx.total_value
    assert out.sectors[0].position_count == ctx.sectors[0].position_count
    # an ordinary portfolio of the same texts is kept as it is
    small = dataclasses.replace(ctx, positions=positions[:50], baskets=(), sectors=())
    assert bounded(small) is small


async def test_a_full_session_sends_its_latest_messages_within_4_mib(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A context at the limit and four long turns: the session with its whole transcript is past
    4 MiB, which no client with gRPC's default limits could receive; GetSession sends the latest
    messages that fit, oldest left out, and `message_count` still counts them all."""
    user = new_user()
    provider.default_reply = Reply.ok(text="Your holdings are spread across many names. " * 70)
    ctx = _padded(9_900, LIMIT - 200, currency="USD")
    ctx.snapshot_time.FromDatetime(datetime.now(UTC) - timedelta(seconds=5))
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        await _update(chat, s.name, ctx)
        small = await chat.create(user, title="small")
        ids: list[str] = []
        for k in range(4):
            accepted, _, completed = events(await chat.send(user, s.name, f"Question {k}: " + "how am I doing? " * 240,
                                                            request_id=rid(), timeout=60))
            assert not completed.offline
            ids += [accepted.user_message_id, accepted.assistant_message_id]
            await chat.send(user, small.name, f"Question {k}", request_id=rid())

        got = await chat.get(user, s.name)
        assert got.ByteSize() <= FOUR_MIB
        assert got.portfolio_context == (await chat.get(user, s.name, basic=True)).portfolio_context
        sent = [m.id for m in got.messages]
        assert 2 <= len(sent) < len(ids) and sent == ids[len(ids) - len(sent):]  # the latest, in order
        assert got.message_count == len(ids)
        # a session that fits sends its whole transcript
        whole = await chat.get(user, small.name)
        assert len(whole.messages) == whole.message_count == 8

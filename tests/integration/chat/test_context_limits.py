"""A service-supplied portfolio context follows SyncPortfolio's limits for the same fields, and
ListSessions pages of large (legal) contexts stay within the message size limits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from stack_cfo.core.chat.models import PortfolioContext
from tests.integration.chat.conftest import Chat, chat_server, error_info, new_user
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn

P = portfolio_pb2.PositionSummary
FOUR_MIB = 4 * 1024 * 1024


def _positions(n: int, **fields: object) -> list[portfolio_pb2.PositionSummary]:
    return [P(symbol=f"SYM{i}", quantity="1", **fields) for i in range(n)]  # type: ignore[arg-type]


def _with(i: int, **fields: object) -> chat_pb2.PortfolioContext:
    """Five good positions, the ``i``-th with ``fields`` changed."""
    positions = _positions(5)
    for k, v in fields.items():
        if k == "tags":
            positions[i].tags.extend(v)  # type: ignore[arg-type]
        else:
            setattr(positions[i], k, v)
    return chat_pb2.PortfolioContext(base_currency="USD", positions=positions)


async def _update(chat: Chat, name: str, ctx: chat_pb2.PortfolioContext) -> chat_pb2.Session:
    return await chat.stub.UpdatePortfolioContext(
        chat_pb2.UpdatePortfolioContextRequest(name=name, portfolio_context=ctx), metadata=chat.service_md(),
        timeout=60,
    )


BAD = [
    (chat_pb2.PortfolioContext(positions=_positions(10_001)), "portfolio_context.positions", "TOO_MANY_POSITIONS",
     {"limit": "10000"}),
    (_with(3, sector="S" * 201), "portfolio_context.positions[3].sector", "TEXT_TOO_LONG", {"max_chars": "200"}),
    (_with(3, sector="Z" * 65_000), "portfolio_context.positions[3].sector", "TEXT_TOO_LONG", {"max_chars": "200"}),
    (_with(1, basket="B" * 201), "portfolio_context.positions[1].basket", "TEXT_TOO_LONG", {"max_chars": "200"}),
    (_with(0, symbol="X" * 50_000), "portfolio_context.positions[0].symbol", "INVALID_SYMBOL", {}),
    (_with(2, symbol="AAPL\u202e"), "portfolio_context.positions[2].symbol", "INVALID_SYMBOL", {}),
    (_with(4, symbol="sym0"), "portfolio_context.positions[4].symbol", "DUPLICATE_SYMBOL", {"symbol": "SYM0"}),
    (_with(0, tags=["t"] * 21), "portfolio_context.positions[0].tags", "TOO_MANY_TAGS", {"limit": "20"}),
    (_with(0, tags=["T" * 50_000]), "portfolio_context.positions[0].tags[0]", "INVALID_TAG", {}),
    (_with(0, tags=["ok", ""]), "portfolio_context.positions[0].tags[1]", "INVALID_TAG", {}),
    (chat_pb2.PortfolioContext(risk=portfolio_pb2.RiskMetrics(benchmark_symbol="B" * 50_000)),
     "portfolio_context.risk.benchmark_symbol", "INVALID_SYMBOL", {}),
    (chat_pb2.PortfolioContext(snapshot_time=timestamp_pb2.Timestamp(seconds=4_102_444_800)),  # 2100-01-01
     "portfolio_context.snapshot_time", "FUTURE_DATE", {}),
]


async def test_a_supplied_context_has_syncportfolios_limits(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        for ctx, field, reason, metadata in BAD:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await _update(chat, s.name, ctx)
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, ei.value.details())
            info, bad = error_info(ei.value)
            assert info.reason == reason and info.metadata["field"] == field, (field, info)
            assert {k: info.metadata[k] for k in metadata} == metadata
            assert bad is not None and [v.field for v in bad.field_violations] == [field]
        # every field's problem in one error, in field order: the top-level fields' with the positions' and the risk's
        # (a position's problem hid those of total_value, base_currency and the rest)
        everything = chat_pb2.PortfolioContext(
            base_currency="usd", total_value="1e5", day_change_percent=float("nan"),
            positions=[P(symbol="AAPL"), P(symbol="MSFT", quantity="1"), P(symbol="X" * 50_000, quantity="1")],
            risk=portfolio_pb2.RiskMetrics(benchmark_symbol="B" * 50_000))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _update(chat, s.name, everything)
        info, bad = error_info(ei.value)
        assert bad is not None and [(v.field, v.reason) for v in bad.field_violations] == [
            ("portfolio_context.base_currency", "UNKNOWN_CURRENCY"),
            ("portfolio_context.total_value", "INVALID_DECIMAL"),
            ("portfolio_context.day_change_percent", "OUT_OF_RANGE"),
            ("portfolio_context.positions[0].quantity", "MISSING_FIELD"),
            ("portfolio_context.positions[2].symbol", "INVALID_SYMBOL"),
            ("portfolio_context.risk.benchmark_symbol", "INVALID_SYMBOL"),
        ], bad
        assert (info.reason, info.metadata["field"]) == ("UNKNOWN_CURRENCY", "portfolio_context.base_currency")
        # at most 50 in all, the fields' counted: the positions' report stops where the 50 are reached
        many = chat_pb2.PortfolioContext(base_currency="usd", total_value="1e5",
                                         positions=[P(symbol=f"S{i}") for i in range(60)])
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _update(chat, s.name, many)
        info, bad = error_info(ei.value)
        assert bad is not None and len(bad.field_violations) == 50
        assert (info.metadata["violation_count"], info.metadata["unchecked_from"]) == (
            "50", "portfolio_context.positions[48]")
        # nothing of them was stored
        assert not (await chat.get(user, s.name, basic=True)).portfolio_context.positions

        # at the limits: accepted, symbols upper-cased as SyncPortfolio stores them
        edge = _positions(10_000)
        edge[0].symbol, edge[0].sector, edge[0].basket = "brk.b", "S" * 200, "B" * 200
        edge[0].tags.extend(f"{k:02d}" + "t" * 62 for k in range(20))
        stored = await _update(chat, s.name, chat_pb2.PortfolioContext(
            base_currency="USD", positions=edge, risk=portfolio_pb2.RiskMetrics(benchmark_symbol="spy")))
        ctx = stored.portfolio_context
        assert len(ctx.positions) == 10_000 and ctx.positions[0].symbol == "BRK.B"
        assert ctx.positions[0].sector == "S" * 200 and len(ctx.positions[0].tags) == 20
        assert ctx.risk.benchmark_symbol == "SPY"


async def test_a_session_created_with_a_context_ignores_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """CreateSession takes no context (its comment: other fields are ignored): the user's own
    snapshot, empty without a portfolio, whatever the request carries."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user, portfolio_context=chat_pb2.PortfolioContext(
            positions=[P(symbol="X" * 50_000, quantity="1", sector="Z" * 65_000)]))
        assert not s.portfolio_context.positions


async def test_listing_sessions_with_large_contexts_pages_by_size(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """Legal contexts of ~3 MB each: the default page (20 sessions) of three is ~9 MB, over the
    8 MiB send limit; the page stops early instead and the token continues it."""
    user = new_user()
    fat = dict(sector="S" * 200, basket="B" * 200, tags=[f"{k:02d}" + "t" * 62 for k in range(20)],
               market_value="1234.56", last_price="12.3456", weight=0.0005)
    ctx = chat_pb2.PortfolioContext(base_currency="USD", positions=_positions(1_700, **fat))
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        names = []
        for k in range(3):
            s = await chat.create(user, title=f"s{k}")
            stored = await _update(chat, s.name, ctx)
            assert stored.ByteSize() > 2_900_000
            names.append(s.name)
        got = await chat.get(user, names[0], basic=True)
        assert len(got.portfolio_context.positions) == 1_700 and got.ByteSize() < FOUR_MIB

        listed: list[str] = []
        token, pages = "", 0
        while True:
            page = await chat.stub.ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}", page_token=token), metadata=chat.md(user),
                timeout=60,
            )
            pages += 1
            assert page.sessions and page.ByteSize() <= FOUR_MIB
            listed += [x.name for x in page.sessions]
            assert all(len(x.portfolio_context.positions) == 1_700 for x in page.sessions)
            token = page.next_page_token
            if not token:
                break
        assert sorted(listed) == sorted(names) and pages == 3

        # small sessions still share a page
        other = new_user()
        for k in range(3):
            await chat.create(other, title=f"t{k}")
        page = await chat.stub.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{other}"),
                                            metadata=chat.md(other))
        assert len(page.sessions) == 3 and not page.next_page_token


async def test_a_supplied_context_over_4_mib_is_refused_before_it_is_stored(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """Every position legal, the whole over 4 MiB serialized: stored, the session could be read
    by no call (its Session over the 8 MiB message limit at ~8 MB); refused instead."""
    user = new_user()
    # positions with a currency and a snapshot time: as the session stores them (the limit applies
    # to that too: tests/integration/chat/test_session_message_size.py)
    fat = dict(sector="S" * 200, basket="B" * 200, tags=[f"{k:02d}" + "t" * 62 for k in range(20)], currency="USD")
    ctx = chat_pb2.PortfolioContext(base_currency="USD", positions=_positions(2_500, **fat))
    ctx.snapshot_time.FromSeconds(1_700_000_000)
    assert ctx.ByteSize() > FOUR_MIB
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _update(chat, s.name, ctx)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, bad = error_info(ei.value)
        assert info.reason == "CONTEXT_TOO_LARGE" and info.metadata["field"] == "portfolio_context"
        assert info.metadata["max_bytes"] == str(FOUR_MIB - 16 * 1024)
        assert bad is not None and [v.field for v in bad.field_violations] == ["portfolio_context"]
        assert not (await chat.get(user, s.name, basic=True)).portfolio_context.positions
        # just under the limit: stored, and readable
        del ctx.positions[2_300:]
        assert ctx.ByteSize() <= FOUR_MIB
        stored = await _update(chat, s.name, ctx)
        assert len(stored.portfolio_context.positions) == 2_300
        assert len((await chat.get(user, s.name, basic=True)).portfolio_context.positions) == 2_300
        # the largest context accepted leaves the session within a 4 MiB message (clients' default
        # receive limit), with 16 KiB left for its title and other fields
        while ctx.ByteSize() <= FOUR_MIB - 16 * 1024:
            ctx.positions.append(ctx.positions[0])
            ctx.positions[-1].symbol = f"X{len(ctx.positions)}"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await _update(chat, s.name, ctx)
        del ctx.positions[-1]
        await _update(chat, s.name, ctx)
        assert (await chat.get(user, s.name, basic=False)).ByteSize() < FOUR_MIB


async def test_listing_large_sessions_decodes_about_a_page(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four sessions of ~3 MB contexts: a page holds one. The store stops reading once the page is
    full (two contexts decoded, the second to learn the first fills the page) instead of decoding
    every row the page size allows (all four) and trimming afterwards."""
    user = new_user()
    fat = dict(sector="S" * 200, basket="B" * 200, tags=[f"{k:02d}" + "t" * 62 for k in range(20)],
               market_value="1234.56", last_price="12.3456", weight=0.0005)
    ctx = chat_pb2.PortfolioContext(base_currency="USD", positions=_positions(1_700, **fat))
    decoded: list[int] = []
    from_json = PortfolioContext.from_json.__func__  # type: ignore[attr-defined]

    on_loop: list[bool] = []

    def counting(cls: type[PortfolioContext], raw: Any, **kw: Any) -> PortfolioContext:
        if raw and len(raw.get("positions") or ()) >= 1_700:
            decoded.append(1)
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
        return from_json(cls, raw, **kw)  # type: ignore[no-any-return]

    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        names = []
        for k in range(4):
            s = await chat.create(user, title=f"s{k}")
            await _update(chat, s.name, ctx)
            names.append(s.name)
        monkeypatch.setattr(PortfolioContext, "from_json", classmethod(counting))
        listed: list[str] = []
        token, calls = "", []
        while True:
            decoded.clear()
            page = await chat.stub.ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}", page_size=100, page_token=token),
                metadata=chat.md(user), timeout=60,
            )
            calls.append(len(decoded))
            assert len(page.sessions) == 1 and page.ByteSize() <= FOUR_MIB
            listed += [x.name for x in page.sessions]
            token = page.next_page_token
            if not token:
                break
        # newest access first: the last updated first
        assert listed == names[::-1]
        assert calls == [2, 2, 2, 1], calls
        # a large context is opened and parsed in a thread, not on the event loop other calls share
        assert on_loop and not any(on_loop)

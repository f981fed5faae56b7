"""Every read of a portfolio fits the 4 MiB a gRPC client receives by default. SyncPortfolio accepted
holdings whose summary took up to 25 MB (20 emoji tags a position, or a 200-character sector each):
no default client could read it (RESOURCE_EXHAUSTED), and past 8 MiB the server could not even send
it, so the portfolio became unreadable for good. Holdings whose texts leave no room for their figures
are now refused (PORTFOLIO_TOO_LARGE), and a summary of accepted holdings with long figures is sent
abridged (tags, then its smallest positions), saying so in a SUMMARY_ABRIDGED insight."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.portfolio.inputs import MAX_SUMMARY_MESSAGE_BYTES, HoldingInput, summary_size
from tests.integration.portfolio.support import (
    error_details,
    evening,
    holding,
    name,
    new_user,
    pdate,
    record,
    stub,
    summary,
    sync,
    trading_days,
)
from tests.support.server import RunningServer, running_server

DAY = trading_days(date(2024, 4, 1), 1)[0]
DEFAULT_RECEIVE_LIMIT = 4 * 1024 * 1024
SECTORS = ["Information Technology", "Health Care", "Financials", "Consumer Discretionary", "Industrials",
           "Communication Services", "Consumer Staples", "Energy", "Utilities", "Real Estate", "Materials"]
EMOJI = "\U0001f600"


def _symbol(i: int) -> str:
    return f"L{i:05d}".ljust(32, "X")  # the longest ticker a sync accepts


def _largest_accepted(count: int = 10_000) -> list[portfolio_pb2.Holding]:
    """``count`` positions with the longest symbols and the most tag text the size rule accepts,
    and quantities and costs with every digit a decimal may have."""

    def positions(tag_chars: int) -> list[HoldingInput]:
        return [HoldingInput(symbol=_symbol(i), quantity=Decimal(1), sector=SECTORS[i % 11],
                             basket=f"basket {i % 40}", tags=(f"{i:05d}" + EMOJI * tag_chars,)) for i in range(count)]

    low, high = 0, 59  # a tag is at most 64 characters
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if summary_size(positions(mid)) <= MAX_SUMMARY_MESSAGE_BYTES else (low, mid - 1)
    return [holding(h.symbol, f"{900_000_000_000 - i * 7_919}.123456789012345678", "987654321098.765432109876543211",
                    sector=h.sector or "", basket=h.basket or "", tags=h.tags) for i, h in enumerate(positions(low))]


async def _prices(srv: RunningServer, symbols: list[str], close: str = "999999999999.987654321098765432") -> None:
    await record(srv, [portfolio_pb2.PricePoint(symbol=s, date=pdate(DAY), close=close,
                                                previous_close="899999999999.123456789012345678", currency="USD")
                       for s in symbols])


async def _every_read(srv: RunningServer, user: str, symbols: list[str]) -> list[portfolio_pb2.PortfolioSummary]:
    """The summary as GetPortfolioSummary, StreamPortfolioSummary's first event and WatchPortfolio's
    first update send it, then a watch update after every price changed (``symbols``, each named in
    it), read by a client with gRPC's default limits (the test channel's)."""
    md = srv.auth(user)
    got = [await summary(srv, user)]
    stream = stub(srv).StreamPortfolioSummary(portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=name(user)),
                                              metadata=md, timeout=30)
    event = await stream.read()
    stream.cancel()
    assert event.WhichOneof("event") == "summary"
    got.append(event.summary)
    watch = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(
        portfolio=name(user), min_interval=Duration(seconds=1)), metadata=md, timeout=60)
    update = await watch.read()
    assert update.trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL
    assert update.ByteSize() <= DEFAULT_RECEIVE_LIMIT
    got.append(update.summary)
    await _prices(srv, symbols, close="999999999999.876543210987654321")
    seen: set[str] = set()
    most = portfolio_pb2.WatchPortfolioResponse()
    while seen != set(symbols):  # the changes come in one update or a few (coalesced)
        changed = await watch.read()
        assert changed.trigger == portfolio_pb2.WATCH_TRIGGER_PRICE_CHANGE
        assert changed.ByteSize() <= DEFAULT_RECEIVE_LIMIT
        seen.update(changed.changed_symbols)
        if len(changed.changed_symbols) > len(most.changed_symbols):
            most = changed
    watch.cancel()
    # thousands of changed symbols (about 340 KB): the summary beside them makes room for them
    assert len(most.changed_symbols) > 5_000
    note = most.summary.insights[-1]
    assert note.code == "SUMMARY_ABRIDGED"
    assert int(note.numbers["positions_left_out"]) > int(got[0].insights[-1].numbers["positions_left_out"])
    return got


async def test_the_largest_accepted_portfolio_is_readable_by_a_default_client(db_dsn: str, data_dir: Path) -> None:
    clock = FrozenClock(evening(DAY))
    positions = _largest_accepted()
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, positions, cash="1000")
        await _prices(srv, [h.symbol for h in positions])
        reads = await _every_read(srv, user, [h.symbol for h in positions])
    for got in reads:
        assert got.ByteSize() <= DEFAULT_RECEIVE_LIMIT
        assert got == reads[0]
    got = reads[0]
    note = got.insights[-1]
    assert note.code == "SUMMARY_ABRIDGED" and note.severity == portfolio_pb2.INSIGHT_SEVERITY_INFO
    left_out = int(note.numbers["positions_left_out"])
    assert note.numbers["left_out"].split(",")[0] == "tags"
    assert note.numbers["position_count"] == "10000" and len(got.positions) + left_out == 10_000
    assert note.numbers["max_bytes"] == str(MAX_SUMMARY_MESSAGE_BYTES)
    assert not any(p.tags for p in got.positions)
    # the largest positions, in order; the totals and groups still count every position
    assert [p.symbol for p in got.positions] == [h.symbol for h in positions[: len(got.positions)]]
    assert got.diversification.position_count == 10_000
    assert sum(g.position_count for g in got.sectors) == 10_000
    with localcontext(prec=60):
        assert Decimal(got.total_value) == Decimal(got.positions_value) + 1000
        assert Decimal(got.positions_value) > sum(Decimal(p.market_value) for p in got.positions)
    print(f"summary {got.ByteSize()} bytes, {len(got.positions)} positions kept, left out: {note.numbers}")


async def test_a_realistic_large_portfolio_is_accepted_and_read_whole(db_dsn: str, data_dir: Path) -> None:
    """10,000 positions with GICS sectors, a few baskets and 2-3 short tags: about 1.8 MB, whole."""
    clock = FrozenClock(evening(DAY))
    positions = [holding(f"R{i}", str(10 + i % 90), f"{20 + i % 300}.25", sector=SECTORS[i % 11],
                         basket=f"basket {i % 12}" if i % 3 else "",
                         tags=[f"tag{i % 7}", "dividend", "core"][: 2 + i % 2]) for i in range(10_000)]
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, user, positions)
        got = await summary(srv, user)
    assert len(got.positions) == 10_000
    assert sum(len(p.tags) for p in got.positions) == sum(len(h.tags) for h in positions)
    assert all(i.code != "SUMMARY_ABRIDGED" for i in got.insights)
    assert got.ByteSize() < 2 * 1024 * 1024


def _filled(make: Callable[[int], portfolio_pb2.Holding], limit: int = 8 * 1024 * 1024 - 64 * 1024
            ) -> list[portfolio_pb2.Holding]:
    """As many positions as a request within the server's 8 MiB message limit holds (``make(i)``
    makes positions of one size)."""
    each = portfolio_pb2.SyncPortfolioRequest(positions=[make(0)]).ByteSize()
    return [make(i) for i in range(min(10_000, limit // each))]


@pytest.mark.parametrize("kind", ["tags", "sectors"])
async def test_holdings_whose_summary_could_not_be_read_are_refused(
    db_dsn: str, data_dir: Path, kind: str
) -> None:
    """The largest requests the server took: 20 emoji tags of 64 characters a position (an 8.5 MB
    summary), or a 200-character sector and basket each (22 MB): refused, nothing stored."""
    if kind == "tags":
        positions = _filled(lambda i: holding(_symbol(i), "1", "1", sector=EMOJI * 200, basket=EMOJI * 200,
                                              tags=[EMOJI * 63 + chr(0x1F601 + j) for j in range(20)]))
    else:
        positions = _filled(lambda i: holding(_symbol(i), "1", "1", sector=f"{i:05d}" + EMOJI * 195,
                                              basket=f"{i:05d}" + EMOJI * 195))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAY))) as srv:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await sync(srv, user, positions)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(refused.value)
        assert info.reason == "PORTFOLIO_TOO_LARGE"
        assert info.metadata["max_bytes"] == str(MAX_SUMMARY_MESSAGE_BYTES)
        assert int(info.metadata["summary_bytes"]) > MAX_SUMMARY_MESSAGE_BYTES
        assert [f for f, _ in violations] == ["positions"]
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await summary(srv, user)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

        # the same holdings as one snapshot of an import: refused the same way, with its path
        request = portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), snapshots=[
            portfolio_pb2.DatedHoldings(effective_date=pdate(DAY), positions=positions[: len(positions) * 9 // 10])])
        with pytest.raises(grpc.aio.AioRpcError) as imported:
            await stub(srv).ImportHoldingsHistory(request, metadata=srv.auth(user), timeout=30)
        info, violations = error_details(imported.value)
        assert info.reason == "PORTFOLIO_TOO_LARGE"
        assert [f for f, _ in violations] == ["snapshots[0].positions"]

"""A request with more items than its documented maximum is refused from its counts, before any item is
parsed or checked. A tester sent a SyncPortfolio of 3,500,000 empty cash flows (7 MB, inside the 8 MiB
message limit): every flow was parsed, one by one on the event loop, for 138 s (another user's cached
GetPortfolioSummary went from 5 ms to 18 s, or timed out), and only then refused TOO_MANY_CASH_FLOWS; the
same with empty positions (84 s before TOO_MANY_POSITIONS). An import's cash flows, and a snapshot's
positions, were likewise counted only once parsed.

No timing here: the servicers' item parsers are counted (none may run), and so is the walk the request
decoder makes over the messages of a body with a zero byte (each empty item has one) to find strings holding
U+0000 (2 s for those 3,500,000 items); the refusal keeps today's shape (reason, field, metadata)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api import decoding
from stack_cfo.api.servicers import ledger as ledger_servicer
from stack_cfo.api.servicers import portfolio as portfolio_servicer
from stack_cfo.core.portfolio.inputs import MAX_CASH_FLOWS, MAX_POSITIONS
from tests.integration.portfolio.support import error_details, holding, name, new_user, pdate, stub
from tests.support.server import RunningServer, running_server

#: As the tester's: 7 MB of empty items (two bytes each), under the 8 MiB message limit.
ITEMS = 3_500_000
_EMPTY_POSITION = b"\x12\x00"  # SyncPortfolioRequest.positions (2) / DatedHoldings.positions (2), empty
_EMPTY_SYNC_FLOW = b"\x2a\x00"  # SyncPortfolioRequest.cash_flows (5), empty
_EMPTY_IMPORT_FLOW = b"\x22\x00"  # ImportHoldingsHistoryRequest.cash_flows (4), empty
#: Generous for a body of 7 MB (the write CPU budget is not what is tested here).
_OVERRIDES = {"rate_limits": {"user": {"write_cpu": "1000s/1s", "write_cpu_burst": "100000s"}}}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class _Counted:
    """Every call of the patched functions, by name."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        self._monkeypatch = monkeypatch

    def patch(self, module: Any, attribute: str, label: str = "") -> None:
        original: Callable[..., Any] = getattr(module, attribute)
        label = label or f"{module.__name__.rsplit('.', 1)[-1]}.{attribute}"

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[label] += 1
            return original(*args, **kwargs)

        self._monkeypatch.setattr(module, attribute, counted)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> _Counted:
    c = _Counted(monkeypatch)
    # the item parsers (one call per position or cash flow) and the decoder's walk (one call per message)
    for module in (portfolio_servicer, ledger_servicer):
        c.patch(module, "_holding")
        c.patch(module, "_flow")
    # (the walk's recursion: nul_fields itself before it had a bound)
    c.patch(decoding, "_walk" if hasattr(decoding, "_walk") else "nul_fields", "decoding.walk")
    return c


async def _refused(srv: RunningServer, method: str, body: bytes, user: str) -> grpc.aio.AioRpcError:
    """``body`` sent as it is to ``method`` as ``user``, while another user reads their summary (which
    must answer: not timed, only completed)."""
    send = srv.channel.unary_unary(f"/stack.cfo.v1.PortfolioSummaryService/{method}")
    other = new_user()
    await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
        portfolio=name(other), positions=[holding("AAPL", "1", "10")], cash_balance="5"),
        metadata=srv.auth(other), timeout=60)
    read = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(other))
    await stub(srv).GetPortfolioSummary(read, metadata=srv.auth(other), timeout=60)  # cached from here on

    async def call() -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await send(body, metadata=srv.auth(user), timeout=100)
        return refused.value

    err, summary = await asyncio.gather(
        call(), stub(srv).GetPortfolioSummary(read, metadata=srv.auth(other), timeout=100))
    assert summary.portfolio == name(other)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
    return err


def _assert_refusal(err: grpc.aio.AioRpcError, reason: str, field: str, limit: int) -> None:
    info, violations = error_details(err, reasons=True)
    assert info.reason == reason, err
    assert dict(info.metadata) == {"field": field, "limit": str(limit)}, info.metadata
    assert violations == [(field, reason)]


@pytest.mark.parametrize(("item", "reason", "field", "limit"), [
    (_EMPTY_SYNC_FLOW, "TOO_MANY_CASH_FLOWS", "cash_flows", MAX_CASH_FLOWS),
    (_EMPTY_POSITION, "TOO_MANY_POSITIONS", "positions", MAX_POSITIONS),
], ids=["cash_flows", "positions"])
async def test_a_sync_of_millions_of_empty_items_is_refused_without_parsing_any(
    db_dsn: str, data_dir: Path, counted: _Counted, item: bytes, reason: str, field: str, limit: int
) -> None:
    user = new_user()
    body = portfolio_pb2.SyncPortfolioRequest(portfolio=name(user)).SerializeToString() + item * ITEMS
    assert len(body) < 8 * 1024 * 1024
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        counted.calls.clear()  # (the other user's sync parsed its position)
        err = await _refused(srv, "SyncPortfolio", body, user)
    _assert_refusal(err, reason, field, limit)
    assert counted.calls["portfolio._holding"] == 1  # the other user's sync, before the refused one
    assert counted.calls["portfolio._flow"] == 0
    # the decoder walked the request's top message (and the other calls' few), not its millions of items
    assert counted.calls["decoding.walk"] < 20, counted.calls


def _import_body(user: str, positions: int, flows: int) -> bytes:
    """An import of one snapshot of ``positions`` empty positions and ``flows`` empty cash flows."""
    day = datetime.now(UTC).date() - timedelta(days=3)
    snapshot = portfolio_pb2.DatedHoldings(effective_date=pdate(day), cash_balance="5").SerializeToString()
    snapshot += _EMPTY_POSITION * positions
    head = portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user)).SerializeToString()
    return head + b"\x12" + _varint(len(snapshot)) + snapshot + _EMPTY_IMPORT_FLOW * flows


@pytest.mark.parametrize(("positions", "flows", "reason", "field", "limit"), [
    (1, ITEMS, "TOO_MANY_CASH_FLOWS", "cash_flows", MAX_CASH_FLOWS),
    # within the 200,000 positions of an import, but more than a snapshot may hold
    (MAX_POSITIONS + 1, 0, "TOO_MANY_POSITIONS", "snapshots[0].positions", MAX_POSITIONS),
], ids=["cash_flows", "snapshot_positions"])
async def test_an_import_of_too_many_items_is_refused_without_parsing_any(
    db_dsn: str, data_dir: Path, counted: _Counted, positions: int, flows: int, reason: str, field: str,
    limit: int,
) -> None:
    user = new_user()
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        counted.calls.clear()
        err = await _refused(srv, "ImportHoldingsHistory", _import_body(user, positions, flows), user)
    _assert_refusal(err, reason, field, limit)
    assert counted.calls["ledger._holding"] == 0 and counted.calls["ledger._flow"] == 0, counted.calls
    if positions + flows > decoding.MAX_NUL_WALK:  # (else walked, as any request within the limits)
        assert counted.calls["decoding.walk"] < 20, counted.calls

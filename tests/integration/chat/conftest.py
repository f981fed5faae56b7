"""ChatService against the real server, a per-test PostgreSQL and the 0G provider + chain stand-ins."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.core.clock import Clock
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn
from tests.support.secrets import ZEROG_PRIVATE_KEY
from tests.support.server import RunningServer, running_server

ONE_0G = 10**18


@pytest.fixture
async def chain() -> AsyncIterator[ChainStandIn]:
    async with ChainStandIn() as c:
        yield c


@pytest.fixture
async def provider(chain: ChainStandIn) -> AsyncIterator[ProviderStandIn]:
    """A registered, funded, verifiable provider the server's client talks to in direct mode."""
    from eth_account import Account

    wallet = Account.from_key(ZEROG_PRIVATE_KEY).address
    p = ProviderStandIn(chain=chain)
    await p.start()
    chain.set_ledger(wallet, 100 * ONE_0G)
    chain.add_service(p.service_entry())
    chain.set_account(wallet, p.address, balance=10_000 * ONE_0G)
    yield p
    await p.stop()


def compute_overrides(chain: ChainStandIn, provider: ProviderStandIn, **extra: Any) -> dict[str, Any]:
    """``zerog.compute`` pointing the server at the stand-ins on 127.0.0.1, with fast retries."""
    compute: dict[str, Any] = {
        "mode": "direct",
        "private_key": ZEROG_PRIVATE_KEY,
        "provider_id": provider.address,
        "chain_rpc_url": chain.url,
        "retry": {"max_attempts": 2, "base_delay": "10ms", "max_delay": "50ms"},
        "timeouts": {"connect": "2s", "first_byte": "3s", "idle": "3s", "total": "20s", "verify": "2s", "rpc": "5s"},
        "breaker": {"min_requests": 1000},
    }
    compute.update(extra)
    return {"zerog": {"compute": compute}}


@dataclass
class Chat:
    """A running server with stubs and the provider stand-in it talks to."""

    srv: RunningServer
    provider: ProviderStandIn
    stub: chat_pb2_grpc.ChatServiceStub
    portfolio: portfolio_pb2_grpc.PortfolioSummaryServiceStub

    def md(self, user: str) -> list[tuple[str, str]]:
        return self.srv.auth(user)

    def service_md(self) -> list[tuple[str, str]]:
        return self.srv.auth(service="backend")

    async def create(self, user: str, title: str = "Portfolio chat", **session: Any) -> chat_pb2.Session:
        return await self.stub.CreateSession(
            chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title=title, **session)),
            metadata=self.md(user),
            timeout=10,
        )

    async def send(
        self, user: str, session: str, content: str, *, request_id: str = "", timeout: float = 20
    ) -> list[chat_pb2.SendMessageResponse]:
        call = self.stub.SendMessage(
            chat_pb2.SendMessageRequest(name=session, content=content, request_id=request_id),
            metadata=self.md(user),
            timeout=timeout,
        )
        return [ev async for ev in call]

    async def get(self, user: str, session: str, *, basic: bool = False) -> chat_pb2.Session:
        view = chat_pb2.SESSION_VIEW_BASIC if basic else chat_pb2.SESSION_VIEW_UNSPECIFIED
        return await self.stub.GetSession(
            chat_pb2.GetSessionRequest(name=session, view=view), metadata=self.md(user), timeout=10
        )

    async def sync_portfolio(self, user: str, positions: list[portfolio_pb2.Holding], cash: str = "1000") -> None:
        await self.portfolio.SyncPortfolio(
            portfolio_pb2.SyncPortfolioRequest(
                portfolio=f"users/{user}/portfolio", positions=positions, cash_balance=cash, base_currency="USD"
            ),
            metadata=self.md(user),
            timeout=10,
        )

    async def record_prices(self, closes: dict[str, list[tuple[date, str]]]) -> None:
        points = [
            portfolio_pb2.PricePoint(
                symbol=sym, date={"year": d.year, "month": d.month, "day": d.day}, close=c, currency="USD"
            )
            for sym, rows in closes.items()
            for d, c in rows
        ]
        await self.portfolio.RecordPrices(
            portfolio_pb2.RecordPricesRequest(points=points), metadata=self.service_md(), timeout=10
        )


@asynccontextmanager
async def chat_server(
    db_dsn: str,
    data_dir: Path,
    chain: ChainStandIn,
    provider: ProviderStandIn,
    *,
    chat: dict[str, Any] | None = None,
    compute: dict[str, Any] | None = None,
    clock: Clock | None = None,
    config: dict[str, Any] | None = None,
) -> AsyncIterator[Chat]:
    """``config``: further top-level config blocks (``{"rate_limits": {...}}``)."""
    if clock is not None:  # the provider checks session-token expiry against the same clock
        provider.now = lambda: clock.now().timestamp()
    overrides = compute_overrides(chain, provider, **(compute or {}))
    if chat:
        overrides["chat"] = chat
    overrides.update(config or {})
    async with running_server(db_dsn, data_dir, overrides, clock=clock) as srv:
        yield Chat(
            srv,
            provider,
            chat_pb2_grpc.ChatServiceStub(srv.channel),
            portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel),
        )


def new_user() -> str:
    return str(uuid.uuid4())


def rid() -> str:
    return str(uuid.uuid4())


def events(evs: list[chat_pb2.SendMessageResponse]) -> tuple[
    chat_pb2.MessageAccepted, str, chat_pb2.MessageCompleted
]:
    """(accepted, concatenated deltas, completed) after checking the event order."""
    kinds = [e.WhichOneof("event") for e in evs]
    assert kinds[0] == "accepted" and kinds[-1] == "completed", kinds
    assert set(kinds[1:-1]) <= {"delta"}, kinds
    return evs[0].accepted, "".join(e.delta.text for e in evs[1:-1]), evs[-1].completed


def chat_requests(provider: ProviderStandIn) -> list[list[dict[str, str]]]:
    """The ``messages`` of every chat (not summary) request the provider received, in order."""
    out = []
    for r in provider.requests:
        if "chat/completions" not in r.path or not r.body:
            continue
        msgs = r.json["messages"]
        if msgs and msgs[0]["role"] == "system" and msgs[0]["content"].startswith("You keep the memory"):
            continue
        out.append(msgs)
    return out


def prompt_data(prompt: list[dict[str, str]]) -> dict[str, Any]:
    """The PORTFOLIO DATA block of a chat request (its second, system, message) as JSON."""
    content = prompt[1]["content"]
    body = content.split("<<<PORTFOLIO_DATA\n", 1)[1].split("\nPORTFOLIO_DATA>>>", 1)[0]
    return json.loads(body)  # type: ignore[no-any-return]


def summary_requests(provider: ProviderStandIn) -> list[list[dict[str, str]]]:
    out = []
    for r in provider.requests:
        if "chat/completions" in r.path and r.body:
            msgs = r.json["messages"]
            if msgs and msgs[0]["content"].startswith("You keep the memory"):
                out.append(msgs)
    return out


def error_info(err: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo, Any]:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, err
    info = error_details_pb2.ErrorInfo()
    retry = None
    bad = None
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            d.Unpack(info)
        elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            d.Unpack(retry)
        elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
    return info, retry or bad


def weekdays_before(end: date, n: int) -> list[date]:
    out: list[date] = []
    d = end
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return sorted(out)

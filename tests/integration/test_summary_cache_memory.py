"""What a summary costs in memory ends when the service's cache lets it go. A tester's run (one
user, 10,000 positions, 60 GetPortfolioSummary calls each at another ``as_of_time``) grew the
server by ~21.7 MB a call to 4.4 GB, still held minutes past ``portfolio.summary_cache_ttl`` and
after the user's EraseUserData: the servicer kept the last 256 views with their messages and bytes
(strongly, whatever the cache did), the cache dropped an expired entry only when its own key was
read again and counted a 10,000-position summary as one entry of 4,096, and one user's distinct
instants could push everyone's summaries out.

Here (views watched through weak references, ``gc.collect()``, not RSS): one user's summaries at
past instants are capped (8), an erase frees them all, the TTL frees them once anything uses the
cache, and the cache's weight budget (positions) bounds how many big summaries stay; the servicer's
tables keep no view alive."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as udpb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as udpb_grpc
from stack_cfo.api.servicers.portfolio import PortfolioServicer
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio import CacheSettings, PortfolioService
from stack_cfo.core.portfolio import service as service_module
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.views import SummaryView
from stack_cfo.core.portfolio.watch import WatchTrigger, WatchUpdate
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.portfolio.support import holding, name, new_user, stub, sync
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed
from tests.support.server import RunningServer, running_server


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[weakref.ref[SummaryView]]]:
    """Weak references to every summary view the service builds, by user."""
    views: dict[str, list[weakref.ref[SummaryView]]] = defaultdict(list)
    build = service_module.build_view

    def recording(user_id: str, *args: Any) -> SummaryView:
        view = build(user_id, *args)
        views[user_id].append(weakref.ref(view))
        return view

    monkeypatch.setattr(service_module, "build_view", recording)
    return views


async def _alive(refs: list[weakref.ref[SummaryView]]) -> int:
    """How many are still in memory (after one turn of the loop: the step that resumed this test
    holds the result it was woken with until it ends)."""
    await asyncio.sleep(0)
    gc.collect()
    return sum(1 for r in refs if r() is not None)


async def _summary_at(srv: RunningServer, user: str, at: datetime | None) -> portfolio_pb2.PortfolioSummary:
    req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
    if at is not None:
        req.as_of_time.FromDatetime(at)
    return await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(user), timeout=10)


_HOLDINGS = [holding(f"S{i}", "2", "10") for i in range(20)]


async def test_one_users_past_instants_are_capped_and_an_erase_frees_them(
    db_dsn: str, data_dir: Path, built: dict[str, list[weakref.ref[SummaryView]]]
) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        alice, bob = new_user(), new_user()
        await sync(srv, alice, _HOLDINGS, cash="5")
        await sync(srv, bob, _HOLDINGS[:3], cash="5")
        service = srv.container.portfolio
        await _summary_at(srv, bob, None)
        now = datetime.now(UTC)
        for i in range(12):
            got = await _summary_at(srv, alice, now - timedelta(minutes=i + 1))
            assert len(got.positions) == 20
        # the cache keeps alice's 8 latest instants; nothing else keeps any of them
        assert await _alive(built[alice]) == 8
        # bob's summary is still cached: alice's instants did not push it out
        hits = service.stats.summary_hits
        await _summary_at(srv, bob, None)
        assert service.stats.summary_hits == hits + 1 and len(built[bob]) == 1

        await udpb_grpc.UserDataServiceStub(srv.channel).EraseUserData(
            udpb.EraseUserDataRequest(name=f"users/{alice}"), metadata=srv.auth(alice), timeout=10
        )
        assert await _alive(built[alice]) == 0, "an erased user's summaries are still in memory"


async def test_summaries_past_the_ttl_are_freed_once_the_cache_is_used(
    db_dsn: str, data_dir: Path, built: dict[str, list[weakref.ref[SummaryView]]]
) -> None:
    async with running_server(db_dsn, data_dir, {"portfolio": {"summary_cache_ttl": 1}}) as srv:
        alice, bob = new_user(), new_user()
        await sync(srv, alice, _HOLDINGS, cash="5")
        await sync(srv, bob, _HOLDINGS[:3], cash="5")
        now = datetime.now(UTC)
        for i in range(4):
            await _summary_at(srv, alice, now - timedelta(minutes=i + 1))
        assert await _alive(built[alice]) == 4  # cached meanwhile
        await asyncio.sleep(1.3)
        await _summary_at(srv, bob, None)  # another user's call: alice's keys are never read again
        assert await _alive(built[alice]) == 0, "summaries past summary_cache_ttl are still in memory"


@pytest.fixture
async def small_budget(database: Database) -> AsyncIterator[tuple[PortfolioService, str]]:
    """A service whose summary cache holds 2 summaries of 50 positions (their weight is 51 each)."""
    now = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    svc = PortfolioService(PortfolioRepository(database), TestFeed(healthy=True), clock=FrozenClock(now),
                           settings=AnalyticsSettings(), cache=CacheSettings(max_summary_positions=2 * 51 + 50))
    await svc.astart()
    (user,) = await add_users(database, 1)
    await svc.record_prices([PriceInput(f"S{i}", now.date() - timedelta(days=1), Decimal("10"), "USD")
                             for i in range(50)], idempotency=None)
    with user_scope(user):
        await svc.sync(SyncCommand(user_id=user, positions=tuple(HoldingInput(f"S{i}", Decimal(2)) for i in range(50)),
                                   cash_balance=Decimal(0), base_currency="USD"))
    try:
        yield svc, user
    finally:
        await svc.aclose()


async def test_the_weight_budget_bounds_big_summaries_and_the_servicer_keeps_none(
    small_budget: tuple[PortfolioService, str], built: dict[str, list[weakref.ref[SummaryView]]]
) -> None:
    svc, user = small_budget
    servicer = PortfolioServicer(svc)
    now = svc._clock.now()  # type: ignore[attr-defined]
    for i in range(6):
        with user_scope(user):
            view = await svc.summary(user, now - timedelta(hours=i + 1))
        # what GetPortfolioSummary and WatchPortfolio derive from it, in the servicer's tables
        assert (await servicer._translation(view)).serialized()
        assert await servicer._watch_bytes(WatchUpdate(view, WatchTrigger.INITIAL, ()))
        assert await servicer._watch_bytes(WatchUpdate(view, WatchTrigger.PRICE_CHANGE, ("S1",)))
        del view
    # 6 summaries of 50 positions, a budget of 152 positions: the 2 latest stay, with their translations
    assert await _alive(built[user]) == 2
    assert len(servicer._messages) == 2 and len(servicer._watch_updates) == 4

    # the same translation for the same (cached) view; none for another view however its id compares
    with user_scope(user):
        cached = await svc.summary(user, now - timedelta(hours=6))
    assert await servicer._translation(cached) is await servicer._translation(cached)
    assert servicer._messages.get(id(cached), replace(cached)) is None
    del cached

    svc.forget_user(user)
    assert await _alive(built[user]) == 0, "the servicer's tables keep summaries the cache let go"
    assert len(servicer._messages) == 0 and len(servicer._watch_updates) == 0

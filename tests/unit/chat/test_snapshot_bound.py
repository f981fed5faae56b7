"""A session's snapshot of a huge portfolio (10,000 holdings with 200-character sectors and baskets and
20 tags each: about 17 MB) was stored whole, and then no read of the session fitted a message (and
every ListSessions page that reached it failed). Snapshots are bounded in size."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stack_cfo.core.chat.context_figures import ContextGroup, ContextMember
from stack_cfo.core.chat.models import ContextPosition, PortfolioContext
from stack_cfo.core.chat.portfolio_context import MAX_SNAPSHOT_JSON, bounded

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _context(n: int, *, tags: int) -> PortfolioContext:
    positions = tuple(
        ContextPosition(symbol=f"S{i}", quantity=Decimal(1), sector="s" * 200, basket="b" * 200,
                        tags=tuple(f"{j:02d}" + "t" * 62 for j in range(tags)), market_value=Decimal(i + 1),
                        weight=(i + 1) / n)
        for i in range(n)
    )
    members = tuple(ContextMember(p.symbol, {}) for p in positions)
    group = ContextGroup(name="s" * 200, market_value=Decimal(n), members=members)
    return PortfolioContext(snapshot_time=NOW, base_currency="USD", total_value=Decimal(n * (n + 1) // 2),
                            positions=positions, sectors=(group,), baskets=(group,))


def _size(ctx: PortfolioContext) -> int:
    return len(json.dumps(ctx.to_json(), separators=(",", ":"), ensure_ascii=False))


def test_an_ordinary_snapshot_is_kept_as_it_is() -> None:
    ctx = _context(200, tags=3)
    assert bounded(ctx) is ctx


def test_a_huge_snapshot_loses_tags_and_member_lists_first() -> None:
    ctx = _context(3_000, tags=20)
    assert _size(ctx) > MAX_SNAPSHOT_JSON
    out = bounded(ctx)
    assert _size(out) <= MAX_SNAPSHOT_JSON
    assert len(out.positions) == 3_000 and all(p.tags == () for p in out.positions)
    assert out.sectors[0].members == () and out.sectors[0].position_count == ctx.sectors[0].position_count
    assert out.total_value == ctx.total_value


def test_a_snapshot_still_too_large_keeps_its_largest_positions_in_order() -> None:
    ctx = _context(10_000, tags=0)
    out = bounded(ctx)
    assert _size(out) <= MAX_SNAPSHOT_JSON
    kept = [p.symbol for p in out.positions]
    assert 0 < len(kept) < 10_000
    assert kept == [f"S{i}" for i in range(10_000 - len(kept), 10_000)]  # the largest, in their order


async def test_a_large_portfolios_snapshot_is_built_off_the_event_loop(monkeypatch: Any) -> None:
    """10,000 positions: building and bounding the snapshot held the event loop ~0.5 s."""
    import threading
    from types import SimpleNamespace

    from stack_cfo.core.chat import portfolio_context as pc
    from stack_cfo.core.clock import FrozenClock

    threads: list[str] = []

    def fake(view: Any, *, taken_at: datetime | None = None) -> str:
        threads.append(threading.current_thread().name)
        return "ctx"

    monkeypatch.setattr(pc, "context_from_view", fake)

    class Service:
        def __init__(self, n: int) -> None:
            self.n = n

        async def summary(self, user_id: str) -> Any:
            return SimpleNamespace(summary=SimpleNamespace(positions=[object()] * self.n))

    main = threading.current_thread().name
    assert await pc.PortfolioServiceContext(Service(10), FrozenClock(NOW)).snapshot("u") == "ctx"  # type: ignore[arg-type]
    assert await pc.PortfolioServiceContext(Service(10_000), FrozenClock(NOW)).snapshot("u") == "ctx"  # type: ignore[arg-type]
    assert threads[0] == main and threads[1] != main

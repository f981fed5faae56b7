"""One user's large portfolio does not hold the event loop that serves everyone: checking the
positions of a sync, sealing and opening its rows and computing its summary run in a thread once a
portfolio has more than INLINE_POSITIONS positions (10,000 positions held other users' calls for up to
0.35 s before; a client's test). The figures are the same either way."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stack_cfo.core.portfolio import service as portfolio_service
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.portfolio.support import holding, new_user, summary, sync
from tests.support.server import running_server


@pytest.mark.parametrize("count", [3, INLINE_POSITIONS + 100])
async def test_a_large_portfolio_is_worked_on_off_the_event_loop(
    db_dsn: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    threads: dict[str, set[bool]] = {"compute": set(), "decode": set()}
    compute, decode = portfolio_service.compute_summary, PortfolioRepository._decode_portfolio

    def on_loop() -> bool:
        return threading.current_thread() is threading.main_thread()

    def computing(*args: Any, **kw: Any) -> Any:
        threads["compute"].add(on_loop())
        return compute(*args, **kw)

    def decoding(*args: Any) -> Any:
        threads["decode"].add(on_loop())
        return decode(*args)

    monkeypatch.setattr(portfolio_service, "compute_summary", computing)
    monkeypatch.setattr(PortfolioRepository, "_decode_portfolio", staticmethod(decoding))
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        await sync(srv, user, [holding(f"S{i}", "2", "10") for i in range(count)], cash="5")
        got = await summary(srv, user)
    assert len(got.positions) == count
    assert Decimal(got.total_value) == 20 * count + 5
    large = count > INLINE_POSITIONS
    assert threads == {"compute": {not large}, "decode": {not large}}, threads

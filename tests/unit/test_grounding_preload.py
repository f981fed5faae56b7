"""A process builds the grounding checker's table of listed companies at start (``Container.astart``), in a thread,
so that the first AI answer it checks does not hold the event loop (and every call on it) for the ~0.2 s the build
takes."""

from __future__ import annotations

import asyncio
from typing import Any

from stack_cfo.core.grounding import companies
from stack_cfo.wiring.container import Container


def test_astart_builds_the_company_table_off_the_loop() -> None:
    companies._tables.cache_clear()
    seen: list[bool] = []
    real = companies._tables.__wrapped__

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def spy() -> Any:
            try:
                asyncio.get_running_loop()
                seen.append(True)  # on the loop's thread
            except RuntimeError:
                seen.append(False)
            return real()

        companies._tables.cache_clear()
        original = companies._tables
        companies._tables = spy  # type: ignore[assignment]
        try:
            await Container(None, None).astart()  # type: ignore[arg-type]  # no part built: no config nor database
        finally:
            companies._tables = original  # type: ignore[assignment]
        assert loop.is_running()

    asyncio.run(main())
    assert seen == [False]  # built once, and not on the event loop's thread


def test_astart_loads_nyse_holidays_off_the_loop_for_this_year_and_the_last() -> None:
    """The first use of NYSE's calendar imports the holidays package's financial markets (~85 ms): at start, in the
    thread, not in the first chat answer whose "yesterday" is checked on the loop."""
    from datetime import UTC, datetime

    from stack_cfo.core import market_calendar
    from stack_cfo.core.clock import FrozenClock

    nyse = market_calendar._NYSE
    threads: list[bool] = []
    load = nyse._load

    def spy(year: int) -> None:
        try:
            asyncio.get_running_loop()
            threads.append(True)
        except RuntimeError:
            threads.append(False)
        load(year)

    nyse._years.discard(2027)
    nyse._years.discard(2028)
    nyse._load = spy  # type: ignore[method-assign]
    try:
        clock = FrozenClock(datetime(2028, 3, 1, 14, 0, tzinfo=UTC))  # 2 January a Saturday (2027), a Sunday (2028)
        asyncio.run(Container(None, None, clock=clock).astart())  # type: ignore[arg-type]
    finally:
        del nyse._load
    assert {2027, 2028} <= nyse._years
    assert threads and not any(threads)
    assert market_calendar.calendar_for("America/New_York") is nyse

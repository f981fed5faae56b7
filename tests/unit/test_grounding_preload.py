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

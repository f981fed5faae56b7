"""The event loop ``stack-cfo serve`` runs on (``server.event_loop``).

uvloop (libuv) is the default: grpc.aio works on any asyncio loop, and every call's Python-side
work (futures, tasks, callbacks the server and the database driver schedule) costs less on it.
Measured with ``bench/portfolio_summary.py``'s set-up (cached GetPortfolioSummary, 64 callers,
Go load generator): about 15% less server CPU per call. ``asyncio`` is the standard library's
loop, for anyone who needs it (a debugger, a platform without uvloop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def run_with(name: str, main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)`` on the loop named by ``server.event_loop``."""
    with asyncio.Runner(loop_factory=loop_factory(name)) as runner:
        return runner.run(main)

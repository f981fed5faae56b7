"""Awaiting work that must not be torn in half by the caller going away."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_to_end(aw: Awaitable[T], *, on_task: Callable[[asyncio.Task[Any]], None] | None = None) -> T:
    """Await ``aw`` to its end even if the caller is cancelled meanwhile, then re-raise that
    cancellation. ``on_task`` sees the task first (to track it until shutdown)."""
    task = asyncio.ensure_future(aw)
    if on_task is not None:
        on_task(task)
    interrupted = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError
    return task.result()

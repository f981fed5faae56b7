"""Awaiting work that must not be torn in half by the caller going away, and starting work that
belongs to the process rather than to the request that happens to start it."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def detached_task(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """A task of the process (a listener, a reclaimer), started in an empty context.

    ``asyncio.create_task`` copies the caller's context variables into the task. A process-wide
    loop started lazily by a request would keep that request's log fields (method, user id), its
    trace span as the parent of everything it does, its principal and its data scope, for the life
    of the process: every line it logs, hours later, would name that user and that trace."""
    return asyncio.get_running_loop().create_task(coro, name=name, context=contextvars.Context())


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

"""The caller's deadline for the work a request does, carried in a context variable.

The API sets it around each RPC (:func:`deadline_scope`); I/O adapters read it
(:func:`remaining`) and stop waiting when it runs out, so a database statement still running
after the caller gave up is cancelled instead of holding a connection.

Tasks spawned from a request inherit context variables; they are background work (lease
renewal, summaries, shared computations) and must not die with the request, so the deadline
only applies to the task that set it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from stack_cfo.core.errors import DeadlineExceeded

# (task that set it, deadline in ``time.monotonic()`` seconds)
_deadline: contextvars.ContextVar[tuple[object, float] | None] = contextvars.ContextVar(
    "request_deadline", default=None
)


@contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Bound this task's I/O by ``deadline`` (monotonic seconds; None = unbounded)."""
    token = enter(deadline)
    try:
        yield
    finally:
        leave(token)


def enter(deadline: float | None) -> contextvars.Token[tuple[object, float] | None] | None:
    """:func:`deadline_scope` without the context manager: :func:`leave` with the result after."""
    return None if deadline is None else _deadline.set((asyncio.current_task(), deadline))


def leave(token: contextvars.Token[tuple[object, float] | None] | None) -> None:
    if token is not None:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left for this task's I/O (None = unbounded); DeadlineExceeded once it has passed."""
    entry = _deadline.get()
    if entry is None or entry[0] is not asyncio.current_task():
        return None
    left = entry[1] - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the caller's deadline passed before the database call", reason="DEADLINE_EXCEEDED")
    return left

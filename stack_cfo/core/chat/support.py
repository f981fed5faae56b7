"""What the chat's parts share: the errors for a missing or closed session, the span helper,
error counting, and the background tasks that must finish even when the caller goes away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace

from stack_cfo.core.chat import metrics
from stack_cfo.core.chat.models import ChatSession
from stack_cfo.core.chat.transcript import session_name
from stack_cfo.core.errors import FailedPrecondition, NotFound, StackCfoError
from stack_cfo.core.tasks import run_to_end

T = TypeVar("T")

tracer = trace.get_tracer("stack_cfo.core.chat")


def session_not_found(user_id: str, session_id: str) -> NotFound:
    name = session_name(user_id, session_id)
    return NotFound(
        f"session {name!r} not found",
        reason="SESSION_NOT_FOUND",
        metadata={"resource_type": "session", "resource_name": name},
    )


def not_active(session: ChatSession) -> FailedPrecondition:
    return FailedPrecondition(
        f"session is {session.status.value}; it accepts no changes",
        reason="SESSION_NOT_ACTIVE",
        metadata={"status": session.status.value, "resource_name": session_name(session.user_id, session.id)},
    )


def named(exc: BaseException, user_id: str, session_id: str) -> BaseException:
    """``exc`` as the API names a session's errors: the store raises SESSION_NOT_FOUND and
    SESSION_NOT_ACTIVE with the session's bare id when the session went, or changed, during a call
    (deleted or erased during an archive's upload); those become the errors above, with
    ``resource_name``. Any other exception is ``exc`` itself."""
    if not isinstance(exc, StackCfoError) or "resource_name" in exc.metadata:
        return exc
    if exc.reason == "SESSION_NOT_FOUND":
        return session_not_found(user_id, session_id)
    if exc.reason == "SESSION_NOT_ACTIVE":
        return FailedPrecondition(
            exc.message,
            reason="SESSION_NOT_ACTIVE",
            metadata={"status": exc.metadata.get("status", ""), "resource_name": session_name(user_id, session_id)},
        )
    return exc


@contextlib.contextmanager
def session_errors(op: str, user_id: str, session_id: str) -> Iterator[None]:
    """Count an error of the manager's ``op`` and raise it as the API names a session's errors
    (``named``)."""
    try:
        yield
    except BaseException as exc:
        record_error(op, exc)
        if (renamed := named(exc, user_id, session_id)) is not exc:
            raise renamed from None
        raise


@contextlib.contextmanager
def current(span: trace.Span) -> Iterator[None]:
    """Make ``span`` current for a block that does not cross a ``yield``."""
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield
    finally:
        otel_context.detach(token)


def record_error(operation: str, exc: BaseException) -> None:
    """Count a failed chat operation by its stable reason (a caller going away is not an error)."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        return
    code = exc.reason if isinstance(exc, StackCfoError) else "INTERNAL"
    metrics.ERRORS.labels(operation, code).inc()


class Background:
    """Tasks that outlive the request that started them; awaited at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def finish(self, aw: Awaitable[T]) -> T:
        """Run ``aw`` to completion even if the caller is cancelled meanwhile (then re-raise)."""
        return await run_to_end(aw, on_task=self._track)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

"""Process-wide tasks started from inside a request do not inherit the request's context."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from stack_cfo.core import data_scope
from stack_cfo.core.tasks import detached_task
from stack_cfo.store.listen import PgListener
from stack_cfo.telemetry import logging as tlog

USER = "7f6c2b0e-4a51-4f0e-9d8e-2f1f3c0b5a11"
_marker: contextvars.ContextVar[str | None] = contextvars.ContextVar("marker", default=None)


async def test_a_detached_task_sees_none_of_its_starters_context_and_changes_nothing_of_it() -> None:
    _marker.set("request")
    with data_scope.user_scope(USER), tlog.bind(grpc_method="/x.Y/Z", user_id=USER):
        seen = await detached_task(_observe(), name="probe")
        assert data_scope.current() == data_scope.DataScope(user_id=USER)  # the starter keeps its own
    assert seen == (None, None, None)
    assert _marker.get() == "request"


async def _observe() -> tuple[object, object, object]:
    seen = (_marker.get(), data_scope.current(), tlog._context.get())
    _marker.set("task")  # changes the task's own context only
    return seen


class _Refused(PgListener):
    name = "pg-listen-test"


class _Lines(logging.Handler):
    """Formats each record as it is emitted, in the emitting task's context (as the real handler does)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(tlog.JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_a_listener_first_started_by_a_request_logs_without_that_requests_fields() -> None:
    """Seen as a client: the user-keys listener, started lazily by a user's SyncPortfolio, logged
    every reconnect with that call's trace id, method and user id."""
    tracer = TracerProvider().get_tracer("test")
    listener = _Refused("postgresql://127.0.0.1:1/none?connect_timeout=1", reconnect_initial=0.05)
    handler, logger = _Lines(), logging.getLogger("stack_cfo.store.listen")
    logger.addHandler(handler)
    try:
        with tracer.start_as_current_span("rpc"), data_scope.user_scope(USER), \
                tlog.bind(grpc_method="/stack.cfo.v1.X/Y", user_id=USER):
            assert trace.get_current_span().get_span_context().is_valid
            listener._start_task()
            for _ in range(100):
                if handler.lines:
                    break
                await asyncio.sleep(0.02)
        await listener.stop()
    finally:
        logger.removeHandler(handler)
    assert handler.lines, "the listener never tried to connect"
    for line in handler.lines:
        assert line["listener"] == "pg-listen-test"
        assert not {"grpc_method", "user_id", "trace_id", "span_id"} & line.keys(), line

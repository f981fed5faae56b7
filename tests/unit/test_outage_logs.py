"""An outage of the database is logged when it starts, then once a minute, and when it ends; not on
every reconnect attempt (a database down for an hour wrote thousands of lines per process)."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from stack_cfo.store import listen
from stack_cfo.store.listen import PgListener
from stack_cfo.telemetry.logging import RepeatLimiter


class _Listener(PgListener):
    channels = ("nothing_here",)
    name = "test-listener"

    def _dispatch(self, channel: str, payload: str) -> None:  # pragma: no cover - never connected
        pass


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_listener_warns_once_when_the_database_is_gone_then_periodically(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listen, "_STILL_DOWN_EVERY", 0.5)
    listener = _Listener(f"postgresql://x@127.0.0.1:{_closed_port()}/x", reconnect_initial=0.02, reconnect_max=0.05,
                         connect_timeout=1)
    with caplog.at_level(logging.DEBUG, logger="stack_cfo.store.listen"):
        listener._start_task()
        await asyncio.sleep(1.3)
        await listener.stop()
    records = [r for r in caplog.records if r.name == "stack_cfo.store.listen"]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    attempts = [r for r in records if r.getMessage() == "database listener reconnect failed"]
    assert warnings[0] == "database listener lost its connection; reconnecting"
    assert 1 <= warnings.count("database listener still reconnecting") <= 3  # every 0.5 s here, every 60 s for real
    assert len(attempts) >= 5  # the attempts themselves only at debug level
    assert all(r.levelno == logging.DEBUG for r in attempts)


def test_the_repeat_limiter_lets_a_message_through_once_per_window_and_counts_the_rest() -> None:
    limiter = RepeatLimiter(every=60)

    def record(at: float, msg: str = "error connecting in %r: %s") -> logging.LogRecord:
        r = logging.LogRecord("psycopg.pool", logging.WARNING, "", 0, msg, ("stack-cfo", "refused"), None)
        r.created = at
        return r

    first = record(0)
    assert limiter.filter(first) and not hasattr(first, "repeated")
    assert [limiter.filter(record(t)) for t in (1, 5, 30, 59)] == [False] * 4
    assert limiter.filter(record(3, "another message"))  # keyed by message
    later = record(61)
    assert limiter.filter(later) and later.repeated == 4
    assert not limiter.filter(record(62))


class _Context:
    def __init__(self) -> None:
        self.aborted = 0

    def set_code(self, code: object) -> None:
        self.aborted += 1

    def set_details(self, details: str) -> None:
        pass

    def set_trailing_metadata(self, metadata: object) -> None:
        pass


async def test_unavailable_calls_are_logged_once_per_method_and_reason_every_10_s(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stack_cfo.api import errors
    from stack_cfo.core.errors import Unavailable

    clock = [1000.0]
    monkeypatch.setattr(errors, "_FAILURES", RepeatLimiter(every=10.0))
    monkeypatch.setattr(errors, "_now", lambda: clock[0])
    ctx = _Context()
    down = Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE")
    with caplog.at_level(logging.WARNING, logger="stack_cfo.api"):
        for _ in range(50):  # an outage under load: every call fails
            errors.fail_with(ctx, down, "/stack.cfo.v1.ChatService/ListSessions")  # type: ignore[arg-type]
        errors.fail_with(ctx, down, "/stack.cfo.v1.ChatService/GetSession")  # type: ignore[arg-type]
        clock[0] += 10
        errors.fail_with(ctx, down, "/stack.cfo.v1.ChatService/ListSessions")  # type: ignore[arg-type]
    lines = [(r.getMessage(), getattr(r, "repeated", 0)) for r in caplog.records if r.name == "stack_cfo.api"]
    assert ctx.aborted == 52  # every call still gets its status
    assert lines == [
        ("/stack.cfo.v1.ChatService/ListSessions failed: DATABASE_UNAVAILABLE", 0),
        ("/stack.cfo.v1.ChatService/GetSession failed: DATABASE_UNAVAILABLE", 0),
        ("/stack.cfo.v1.ChatService/ListSessions failed: DATABASE_UNAVAILABLE", 49),
    ]


async def test_the_schedulers_periodic_jobs_log_a_database_outage_once_a_minute_not_per_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plan, reap, heartbeat, gauges and claim all fail every few seconds while PostgreSQL is down: an
    SRE saw 35 warnings in 51 s. One line a minute (with `repeated`) for the jobs; other failures pass."""
    from stack_cfo.core.errors import FailedPrecondition, Unavailable
    from stack_cfo.scheduler.process import _Ticker

    async def down() -> None:
        raise Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE")

    async def refused() -> None:
        raise FailedPrecondition("something else", reason="SOMETHING_ELSE")

    ticker = _Ticker()
    with caplog.at_level(logging.WARNING, logger="stack_cfo.scheduler.process"):
        for _ in range(10):
            for name in ("plan", "reap", "heartbeat", "gauges"):
                ticker.fire(name, down)
            ticker.fire("other", refused)
            await asyncio.gather(*ticker.running.values())
    failed = [r for r in caplog.records if r.getMessage() == "scheduler job failed"]
    assert [getattr(r, "reason", "") for r in failed].count("DATABASE_UNAVAILABLE") == 1, failed
    assert [getattr(r, "reason", "") for r in failed].count("SOMETHING_ELSE") == 10

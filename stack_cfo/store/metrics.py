"""How long each repository's operations take: ``<repository>_repo_duration_seconds``.

The seed's alert "Slow chat session queries" reads ``chat_session_repo_duration_seconds``; the
other repositories follow the same pattern. Labels stay bounded: ``operation`` is the method's
name (a fixed set per class), ``success`` is ``true`` or ``false``. The time includes waiting for
a pooled connection, which is what a caller feels.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from prometheus_client import Gauge, Histogram

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

T = TypeVar("T", bound=type)


def repo_histogram(repository: str, what: str) -> Histogram:
    return Histogram(
        f"{repository}_repo_duration_seconds",
        f"Duration of {what} repository operations (pool wait included), by operation and success.",
        ["operation", "success"],
        buckets=BUCKETS,
    )


CHAT_SESSION = repo_histogram("chat_session", "chat session, transcript and turn-lease")
PORTFOLIO = repo_histogram("portfolio", "portfolio, price and news")
SCHEDULER = repo_histogram("scheduler", "scheduler (outbox, planner, preferences, runs)")
ARCHIVE = repo_histogram("archive", "sealed archive and archive key")
USER_DATA = repo_histogram("user_data", "user data erasure")


# Counts over the whole database, the same whichever process reads them: with serve --workers N
# the page shows the latest of the live workers' readings (the largest), not one series per worker.
CHAT_SESSIONS_ACTIVE = Gauge("chat_sessions_active", "Chat sessions with status active (not deleted or archived).",
                             multiprocess_mode="livemax")
CHAT_SESSIONS_RECENT = Gauge("chat_sessions_recent", "Chat sessions used in the last 15 minutes.",
                             multiprocess_mode="livemax")
CHAT_USERS_RECENT = Gauge("chat_users_recent", "Users with a chat session used in the last 15 minutes.",
                          multiprocess_mode="livemax")


def timed(
    histogram: Histogram, *, skip: Iterable[str] = (), attempts: Mapping[str, str] | None = None
) -> Callable[[T], T]:
    """Class decorator: time every public coroutine method (inherited ones too) into ``histogram``.

    Methods in ``skip`` are left alone. ``attempts`` maps a public method that waits and retries
    (for a lease, say) to the private method of one attempt: the attempts are timed, under the
    public name, so waiting for another holder does not read as a slow query."""
    renamed = dict(attempts or {})
    skipped = frozenset(skip) | renamed.keys()

    def decorate(cls: T) -> T:
        for name in dir(cls):
            if name.startswith("_") or name in skipped:
                continue
            method = inspect.getattr_static(cls, name)
            if inspect.iscoroutinefunction(method):
                setattr(cls, name, _timed_method(method, histogram, name))
        for public, attempt in renamed.items():
            setattr(cls, attempt, _timed_method(inspect.getattr_static(cls, attempt), histogram, public))
        return cls

    return decorate


def _timed_method(method: Callable[..., Any], histogram: Histogram, operation: str) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = await method(*args, **kwargs)
        except Exception:  # a cancelled caller is not a failed query: not recorded
            histogram.labels(operation, "false").observe(time.perf_counter() - started)
            raise
        histogram.labels(operation, "true").observe(time.perf_counter() - started)
        return result

    return wrapper

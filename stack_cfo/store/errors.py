"""psycopg errors -> the domain error tree, in one place (like procrastinate's ``wrap_exceptions``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import psycopg_pool
from psycopg import errors as pg

from stack_cfo.core import errors as e

DATABASE_RETRY = {"retry_after_seconds": "1"}
"""DATABASE_UNAVAILABLE's metadata: clients get a RetryInfo of 1 s (readiness notices an outage within
about 4 s and calls fail at once while it lasts, so retrying sooner only adds load)."""


def map_exception(exc: BaseException) -> e.StackCfoError | None:
    """The domain error for a database exception, or ``None`` if it is not one we map."""
    if isinstance(exc, e.StackCfoError):
        return None
    if isinstance(exc, pg.UniqueViolation):
        constraint = getattr(exc.diag, "constraint_name", None) or ""
        return e.AlreadyExists("resource already exists", reason="ALREADY_EXISTS", metadata={"constraint": constraint})
    if isinstance(exc, pg.ForeignKeyViolation):
        constraint = getattr(exc.diag, "constraint_name", None) or ""
        return e.FailedPrecondition(
            "a referenced resource does not exist",
            reason="REFERENCED_RESOURCE_MISSING",
            metadata={"constraint": constraint},
        )
    if isinstance(exc, pg.SerializationFailure | pg.DeadlockDetected | pg.LockNotAvailable):
        return e.Aborted("concurrent update conflict, retry", reason="CONCURRENT_UPDATE")
    if isinstance(exc, pg.QueryCanceled):
        return e.DeadlineExceeded("database statement timed out", reason="DATABASE_TIMEOUT")
    if isinstance(exc, pg.CheckViolation | pg.NotNullViolation | pg.InvalidTextRepresentation):
        return e.InvalidArgument("value rejected by the database", reason="INVALID_VALUE")
    if isinstance(
        exc,
        psycopg.OperationalError
        | psycopg_pool.PoolTimeout
        | psycopg_pool.PoolClosed
        | pg.AdminShutdown
        | pg.CannotConnectNow
        | ConnectionError
        | OSError,
    ):
        return e.Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE", metadata=DATABASE_RETRY)
    return None


@contextlib.contextmanager
def wrap_exceptions() -> Iterator[None]:
    """Re-raise mapped database errors as domain errors; anything else passes through."""
    try:
        yield
    except Exception as exc:
        mapped = map_exception(exc)
        if mapped is None:
            raise
        raise mapped from exc

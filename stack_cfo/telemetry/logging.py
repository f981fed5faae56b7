"""JSON logs, one object per line: ts, level, logger, msg, trace_id, span_id and context fields.

Context fields come from ``extra={...}`` and from :func:`bind` (contextvars, per request).
Every configured secret value is redacted from the final line as a last line of defence.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import traceback
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)
_secrets: set[str] = set()
_process: dict[str, Any] = {}

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never appear in a log line (replaced by ``***``)."""
    for v in values:
        if v and len(v) >= 6:
            _secrets.add(v)


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add fields to every log line emitted inside the block (per task, via contextvars)."""
    token = push(fields)
    try:
        yield
    finally:
        pop(token)


def push(fields: dict[str, Any]) -> contextvars.Token[dict[str, Any] | None]:
    """:func:`bind` without the context manager (the API wrapper's per-call path): :func:`pop` after."""
    current = _context.get()
    return _context.set({**current, **fields} if current else fields)


def pop(token: contextvars.Token[dict[str, Any] | None]) -> None:
    _context.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        span = trace.get_current_span()
        ctx = span.get_span_context()
        if ctx.is_valid:
            out["trace_id"] = format(ctx.trace_id, "032x")
            out["span_id"] = format(ctx.span_id, "016x")
        if _process:
            out.update(_process)
        out.update(_context.get() or {})
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info))
        line = json.dumps(out, default=str, ensure_ascii=False)
        for s in _secrets:
            if s in line:
                line = line.replace(s, "***")
        return line


class RepeatLimiter(logging.Filter):
    """Lets a message (a logger's format string) through once per ``every`` seconds; the next one
    let through carries ``repeated``, how many were held back. For libraries that warn on every
    retry of an outage (psycopg's pool: every failed connection attempt)."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self._every = every
        self._last: dict[Hashable, tuple[float, int]] = {}

    def allow(self, key: Hashable, now: float) -> int | None:
        """None when ``key`` was let through less than ``every`` seconds ago (counted as held back);
        otherwise how many were held back since, and ``key`` is let through now."""
        seen = self._last.get(key)
        if seen is None or now - seen[0] >= self._every:
            self._last[key] = (now, 0)
            return seen[1] if seen is not None else 0
        self._last[key] = (seen[0], seen[1] + 1)
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        held = self.allow((record.name, str(record.msg)), record.created)
        if held:
            record.repeated = held
        return held is not None


#: The reason of the errors a store raises when PostgreSQL does not answer.
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"


class OutageLimiter(RepeatLimiter):
    """During a database outage every periodic job of a logger fails with DATABASE_UNAVAILABLE: one line
    a minute for all of them (with ``repeated``); the pool, the listener and readiness log the outage
    itself (when it starts, while it lasts, when it ends). Other records pass untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        if DATABASE_UNAVAILABLE not in (getattr(record, "reason", None), getattr(record, "error", None)):
            return True
        held = self.allow(record.name, record.created)
        if held:
            record.repeated = held
        return held is not None


def configure_logging(level: str = "INFO", stream: Any = None, **process_fields: Any) -> None:
    """JSON lines on ``stream`` (stderr). ``process_fields`` go on every line of this process (the
    ``worker`` index of ``serve --workers N``, so lines of two workers can be told apart)."""
    _process.clear()
    _process.update(process_fields)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
    # Python warnings (PyJWT's InsecureKeyLengthWarning, deprecations) as JSON lines too, not as
    # raw two-line text on stderr between them (logger "py.warnings").
    logging.captureWarnings(True)
    # Quiet chatty libraries; their warnings still come through.
    for noisy in ("grpc._cython", "psycopg.pool", "aiohttp.access", "pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # The pool warns on every failed connection attempt: during an outage, once a minute is enough.
    pool = logging.getLogger("psycopg.pool")
    for f in [f for f in pool.filters if isinstance(f, RepeatLimiter)]:
        pool.removeFilter(f)
    pool.addFilter(RepeatLimiter())

"""What the HTTP channels (FCM, APNs, webhooks) share: reading ``Retry-After``, verifying TLS."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

__all__ = ["retry_after_of", "tls_context"]

#: The longest wait a ``Retry-After`` asks for that is honoured as given.
_MAX_RETRY_AFTER = timedelta(days=7)


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying client context: the system's roots, plus ``ca_file`` when given (never verify=False)."""
    ctx = ssl.create_default_context()
    if ca_file is not None:
        ctx.load_verify_locations(cafile=str(ca_file))
    return ctx


def retry_after_of(headers: Any, now: datetime | None = None) -> timedelta | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # capped: a receiver's "Retry-After: 99999999999999999" must not overflow the datetime
        # arithmetic downstream (a notification's deadline is hours away anyway)
        return min(timedelta(seconds=int(value)) if len(value) <= 12 else _MAX_RETRY_AFTER, _MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(timedelta(0), when - (now or datetime.now(UTC))), _MAX_RETRY_AFTER)

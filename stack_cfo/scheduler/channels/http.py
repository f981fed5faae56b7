"""What the HTTP channels (FCM, APNs, webhooks) share: reading ``Retry-After``, verifying TLS."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

__all__ = ["retry_after_of", "tls_context"]


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
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - (now or datetime.now(UTC)))

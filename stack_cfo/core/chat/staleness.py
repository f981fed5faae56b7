"""When a session's portfolio context is too old to answer from (seed: 15 minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from stack_cfo.core.chat.models import PortfolioContext


def is_stale(context: PortfolioContext, now: datetime, limit: timedelta) -> bool:
    """True when the snapshot is older than ``limit``, or holds no portfolio data whatever its age (a session
    opened before the user's first sync: the portfolio may have appeared since; it answered "no portfolio data"
    for 15 minutes after it had). A zero limit refreshes before every message."""
    return now - context.snapshot_time > limit or context.is_empty

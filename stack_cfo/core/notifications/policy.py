"""Retry timing and grace windows: the delivery policy, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from stack_cfo.core.notifications.kinds import NotificationKind


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    """First retry waits about this long (x U(0.5, 1) jitter); each attempt doubles it."""
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 6

    def delay(self, attempts: int, jitter: float, retry_after: timedelta | None = None) -> timedelta:
        """Wait before the next attempt, after ``attempts`` attempts (>= 1).

        ``jitter`` in [0, 1) spreads retries of a fleet over [50%, 100%] of the step; a
        provider's ``Retry-After`` is a floor, never shortened.
        """
        exp = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** max(0, attempts - 1))
        wait = timedelta(seconds=exp * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0)))
        if retry_after is not None and retry_after > wait:
            wait = retry_after
        return wait

    def next_attempt(
        self,
        now: datetime,
        attempts: int,
        jitter: float,
        deadline: datetime,
        retry_after: timedelta | None = None,
    ) -> datetime | None:
        """When to try again, or ``None`` if that would be past the deadline (stale content)."""
        at = now + self.delay(attempts, jitter, retry_after)
        return at if at <= deadline else None


@dataclass(frozen=True, slots=True)
class GraceWindows:
    """How late a slot may still be sent; older slots are recorded ``missed``.

    Alerts keep only the latest slot (coalesced) and are never recorded as missed: an
    hour-old market move is not worth an audit row per user.
    """

    digest: timedelta = timedelta(hours=4)
    weekly: timedelta = timedelta(hours=24)
    alert: timedelta = timedelta(hours=1)

    def for_kind(self, kind: NotificationKind) -> timedelta:
        return {
            NotificationKind.DIGEST: self.digest,
            NotificationKind.WEEKLY: self.weekly,
            NotificationKind.ALERT: self.alert,
        }[kind]

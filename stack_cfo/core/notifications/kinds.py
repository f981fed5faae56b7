"""The vocabulary of notifications: kinds, channels, outbox states and skip reasons."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    """What is being sent. The value is the first segment of the idempotency key."""

    DIGEST = "digest"
    WEEKLY = "weekly"
    ALERT = "alert"

    @property
    def job_type(self) -> str:
        """The seed's ``job_type`` metric label for this kind."""
        return _JOB_TYPES[self]


_JOB_TYPES = {
    NotificationKind.DIGEST: "daily_digest",
    NotificationKind.WEEKLY: "weekly_summary",
    NotificationKind.ALERT: "performance_alert",
}


class Channel(StrEnum):
    EMAIL = "email"
    PUSH = "push"


class Platform(StrEnum):
    """Push platform of a registered device token."""

    FCM = "fcm"
    APNS = "apns"


class OutboxStatus(StrEnum):
    """Lifecycle of one outbox row (one notification to one target).

    ``pending``/``retry`` wait for ``next_attempt_at``; ``sending`` is claimed by a worker
    (``locked_by`` until ``locked_until``); the rest are final.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"  # attempts exhausted or a permanent provider error; can be re-queued
    MISSED = "missed"  # slot older than the grace window when first seen: recorded, never sent
    SKIPPED = "skipped"  # deliberately not sent; ``reason`` says why
    EXPIRED = "expired"  # still undelivered at its deadline (content would be stale)

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.MISSED, OutboxStatus.SKIPPED, OutboxStatus.EXPIRED}
)


class Reason(StrEnum):
    """Why a row was skipped, missed, expired or died. Shown to users in their history."""

    QUIET_HOURS = "quiet_hours"
    KIND_DISABLED = "kind_disabled"
    CHANNEL_DISABLED = "channel_disabled"
    NO_PREFERENCES = "no_preferences"
    NO_EMAIL_ADDRESS = "no_email_address"
    DEVICE_INACTIVE = "device_inactive"
    PLATFORM_UNSUPPORTED = "platform_unsupported"
    CHANNEL_NOT_CONFIGURED = "channel_not_configured"
    NO_PORTFOLIO = "no_portfolio"
    NO_ALERT = "no_alert"  # the portfolio alert rule did not fire
    MARKET_CLOSED = "market_closed"
    GRACE_EXCEEDED = "grace_exceeded"  # planner saw the slot only after its grace window
    DEADLINE_PASSED = "deadline_passed"
    INVALID_TARGET = "invalid_target"  # provider says the address/token is not valid
    PERMANENT_ERROR = "permanent_error"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"

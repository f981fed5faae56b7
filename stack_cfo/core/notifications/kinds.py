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
    WEBHOOK = "webhook"  # target: a webhook endpoint (the user's, or a service's)
    FEED = "feed"  # target: a service's notification feed; published by the worker, acknowledged by the service


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
    AWAITING_ACK = "awaiting_ack"  # on a feed, waiting for the service's acknowledgement (then ``sent``)

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.MISSED, OutboxStatus.SKIPPED, OutboxStatus.EXPIRED}
)


class Reason(StrEnum):
    """Why a row was skipped, missed, expired, failed or died: short codes shown in the user's history."""

    # skipped (decided before or instead of sending)
    QUIET_HOURS = "quiet_hours"
    KIND_DISABLED = "kind_disabled"
    CHANNEL_DISABLED = "channel_disabled"
    NO_EMAIL_ADDRESS = "no_email_address"
    NO_DEVICE = "no_device"  # the push device was deactivated or removed since planning
    NO_ENDPOINT = "no_endpoint"  # the webhook endpoint was disabled or deleted since planning
    NO_CHANNEL = "no_channel"  # RunJob: the user has no enabled channel with a target
    CHANNEL_NOT_CONFIGURED = "channel_not_configured"
    NO_PORTFOLIO = "no_portfolio"
    NO_ALERT = "no_alert"  # the portfolio alert rule did not fire
    DUPLICATE = "duplicate"  # RunJob: the period's notification already exists
    # missed / expired
    GRACE_EXCEEDED = "grace_exceeded"  # planner saw the slot only after its grace window
    DEADLINE_PASSED = "deadline_passed"
    # delivery failures (retry or dead)
    SMTP_4XX = "smtp_4xx"
    SMTP_5XX = "smtp_5xx"
    SMTP_UNAVAILABLE = "smtp_unavailable"
    PUSH_TOKEN_INVALID = "push_token_invalid"
    PUSH_RATE_LIMITED = "push_rate_limited"
    PUSH_UNAVAILABLE = "push_unavailable"
    PUSH_AUTH_FAILED = "push_auth_failed"
    PUSH_REJECTED = "push_rejected"
    WEBHOOK_5XX = "webhook_5xx"
    WEBHOOK_4XX = "webhook_4xx"  # any 4xx but 408 and 429: final
    WEBHOOK_RATE_LIMITED = "webhook_rate_limited"  # 429, retried honouring Retry-After
    WEBHOOK_REDIRECT = "webhook_redirect"  # 3xx: redirects are never followed
    WEBHOOK_TIMEOUT = "webhook_timeout"  # no answer in time, or 408 Request Timeout (retried, honouring Retry-After)
    WEBHOOK_UNREACHABLE = "webhook_unreachable"
    WEBHOOK_TLS = "webhook_tls"  # the certificate did not verify
    WEBHOOK_ADDRESS_BLOCKED = "webhook_address_blocked"  # resolved to a loopback/private/link-local address
    WEBHOOK_CIRCUIT_OPEN = "webhook_circuit_open"  # postponed: the endpoint's breaker is open
    WEBHOOK_PROBING = "webhook_probing"  # postponed: a non-answering endpoint gets one request at a time
    FEED_UNACKNOWLEDGED = "feed_unacknowledged"  # on a feed longer than the acknowledgement grace
    CONTENT_ERROR = "content_error"
    WORKER_LOST = "worker_lost"  # the claim expired before the worker wrote back (it died, or the database was
    # unavailable past the lease); the reaper returned the row
    MAX_ATTEMPTS = "max_attempts"

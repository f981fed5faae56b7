"""The notification scheduler's records: what the outbox, devices, runs and replicas look like to
the domain. The store reads and writes them; the notification service and the delivery worker
use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stack_cfo.core.notifications.keys import display_period
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform
from stack_cfo.core.notifications.webhooks import WebhookEndpoint


@dataclass(frozen=True, slots=True)
class PlannerState:
    kind: NotificationKind
    deploy_epoch: datetime
    planned_until: datetime | None
    last_run_at: datetime | None
    last_planned: int
    last_missed: int
    last_duration_ms: int


@dataclass(frozen=True, slots=True)
class PlanCounts:
    pending: int = 0
    missed: int = 0


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """One outbox row claimed by a worker (status ``sending``, ``attempts`` already counted)."""

    id: int
    key: str
    kind: NotificationKind
    user_id: str
    channel: Channel
    target_id: int
    period: str
    scheduled_for: datetime
    deadline: datetime
    attempts: int
    max_attempts: int
    run_id: str | None
    db_now: datetime
    manual: bool = False


@dataclass(frozen=True, slots=True)
class PushDevice:
    id: int
    user_id: str
    platform: Platform
    token: str
    display_name: str
    active: bool
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:  # tokens are credentials of a sort: keep them out of logs
        return (
            f"PushDevice(id={self.id}, user_id={self.user_id!r}, platform={self.platform.value}, active={self.active})"
        )


@dataclass(frozen=True, slots=True)
class DeliveryTargets:
    """What a batch of claimed rows is sent to, read fresh at claim time."""

    devices: Mapping[int, PushDevice] = field(default_factory=dict)
    endpoints: Mapping[int, WebhookEndpoint] = field(default_factory=dict)
    feeds: Mapping[int, str] = field(default_factory=dict)
    """Feed id -> the service that owns it."""


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """One row of a user's notification history."""

    id: int
    user_id: str
    kind: NotificationKind
    channel: Channel
    status: OutboxStatus
    reason: str
    period: str
    title: str
    target_id: int
    target_address: str
    scheduled_for: datetime
    sent_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    degraded_reason: str = ""
    """Why its AI-written text is not the AI's ("" when AI wrote it or it has none)."""
    receipt_ids: tuple[str, ...] = ()
    """Receipts of the AI texts it carries (portfolio paragraph first, then news summaries)."""
    manual: bool = False
    key: str = ""
    locale: str = ""
    """The locale its content was written in ("" before it was rendered)."""
    locale_fallback_from: str = ""
    """The user's unsupported locale when the content fell back to English."""

    @property
    def name(self) -> str:
        return f"users/{self.user_id}/notifications/{self.id}"

    @property
    def display_period(self) -> str:
        """The period as the API shows it: ``2026-03-08``, ``2026-W10``, ``2026-03-09T10`` (exchange hour)."""
        return display_period(self.period)

    @property
    def target(self) -> str:
        """The email address, the device's, webhook endpoint's or feed's resource name (the last two
        once a delivery was attempted)."""
        if self.channel is Channel.PUSH:
            return f"users/{self.user_id}/devices/{self.target_id}"
        return self.target_address


@dataclass(frozen=True, slots=True)
class Heartbeat:
    replica_id: str
    started_at: datetime
    last_tick: datetime
    version: str
    host: str
    pid: int
    last_planned: int
    stopped_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobRun:
    id: str
    request_id: str | None
    request_hash: str
    kind: NotificationKind
    user_id: str | None
    state: str
    planned: int
    sent: int
    skipped: int
    failed: int
    skipped_users: int = 0


@dataclass(frozen=True, slots=True)
class RunCandidate:
    key: str
    user_id: str
    channel: Channel
    target_id: int
    new_id: int | None
    existing_id: int | None


@dataclass(frozen=True, slots=True)
class OutboxGauges:
    waiting: int
    due: int
    oldest_due_age: timedelta

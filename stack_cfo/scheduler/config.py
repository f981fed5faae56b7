"""What the scheduler process runs with: the typed ``scheduler`` section and the delivery
channels of ``notifications``, grouped the way the planner and the worker read them.

Keys, defaults, bounds and environment names are declared once, in
:mod:`stack_cfo.config.scheduler` and :mod:`stack_cfo.config.notifications`; the defaults
here are read from those declarations.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, fields
from datetime import timedelta

from stack_cfo.config import Config, SchedulerSettings
from stack_cfo.config.notifications import (
    ApnsSettings,
    EmailSettings,
    FcmSettings,
    FeedSettings,
    NotificationsConfig,
    SmtpSettings,
    WebhookSettings,
)
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.policy import GraceWindows, RetryPolicy
from stack_cfo.core.notifications.schedules import CronSchedule

__all__ = [
    "ApnsSettings",
    "EmailSettings",
    "FcmSettings",
    "FeedSettings",
    "SchedulerConfig",
    "SmtpSettings",
    "WebhookSettings",
]

_KEYS = SchedulerSettings()
#: Keys read as they are (same name, same type); the others are renamed or grouped below.
_COPIED = frozenset(SchedulerSettings.model_fields) - {"replica_id"}


def _default_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _grace(s: SchedulerSettings) -> GraceWindows:
    return GraceWindows(digest=s.digest_grace, weekly=s.weekly_grace, alert=s.alert_grace)


def _retry(s: SchedulerSettings) -> RetryPolicy:
    return RetryPolicy(base=s.retry_base, cap=s.retry_cap, max_attempts=s.max_attempts)


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """Each field is the ``scheduler.*`` key of the same meaning (``daily_digest`` is the seed's
    ``daily_news_time``); ``grace`` and ``retry`` group the ``*_grace`` and ``retry_*`` keys."""

    enabled: bool = _KEYS.enabled
    daily_digest: CronSchedule = _KEYS.daily_news_time
    weekly_summary: CronSchedule = _KEYS.weekly_summary_time
    performance_alerts: CronSchedule = _KEYS.performance_alert_time
    enable_daily_digest: bool = _KEYS.enable_daily_digest
    enable_weekly_summary: bool = _KEYS.enable_weekly_summary
    enable_performance_alerts: bool = _KEYS.enable_performance_alerts
    batch_size: int = _KEYS.batch_size
    concurrency_limit: int = _KEYS.concurrency_limit
    grace: GraceWindows = field(default_factory=lambda: _grace(_KEYS))
    audit_horizon: timedelta = _KEYS.audit_horizon
    retry: RetryPolicy = field(default_factory=lambda: _retry(_KEYS))
    lease: timedelta = _KEYS.lease
    tick_interval: timedelta = _KEYS.tick_interval
    poll_interval: timedelta = _KEYS.poll_interval
    heartbeat_interval: timedelta = _KEYS.heartbeat_interval
    shutdown_grace: timedelta = _KEYS.shutdown_grace
    metrics_listen: str = _KEYS.metrics_listen
    news_feeds: tuple[str, ...] = _KEYS.news_feeds
    news_poll_interval: timedelta = _KEYS.news_poll_interval
    digest_news_items: int = _KEYS.digest_news_items
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    """notifications.email: the unsubscribe link every e-mail carries."""
    fcm: FcmSettings = field(default_factory=FcmSettings)
    apns: ApnsSettings = field(default_factory=ApnsSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    feed: FeedSettings = field(default_factory=FeedSettings)
    default_locale: str = "en"
    """notifications.default_locale: the locale of users who set none."""
    replica_id: str = field(default_factory=_default_replica_id)
    retention_enabled: bool = _KEYS.retention_enabled
    retention_interval: timedelta = _KEYS.retention_interval
    outbox_retention: timedelta = _KEYS.outbox_retention
    idempotency_retention: timedelta = _KEYS.idempotency_retention
    quote_retention: timedelta = _KEYS.quote_retention
    receipt_retention: timedelta = _KEYS.receipt_retention

    @classmethod
    def from_config(cls, config: Config) -> SchedulerConfig:
        return cls.from_sections(config.scheduler, config.notifications)

    @classmethod
    def from_sections(cls, s: SchedulerSettings, notifications: NotificationsConfig) -> SchedulerConfig:
        same = {f.name: getattr(s, f.name) for f in fields(cls) if f.name in _COPIED}
        return cls(
            **same,
            daily_digest=s.daily_news_time,
            weekly_summary=s.weekly_summary_time,
            performance_alerts=s.performance_alert_time,
            grace=_grace(s),
            retry=_retry(s),
            smtp=notifications.smtp,
            email=notifications.email,
            fcm=notifications.fcm,
            apns=notifications.apns,
            webhook=notifications.webhook,
            feed=notifications.feed,
            default_locale=notifications.default_locale,
            replica_id=s.replica_id or _default_replica_id(),
        )

    def schedule_for(self, kind: NotificationKind) -> CronSchedule:
        return {
            NotificationKind.DIGEST: self.daily_digest,
            NotificationKind.WEEKLY: self.weekly_summary,
            NotificationKind.ALERT: self.performance_alerts,
        }[kind]

    def enabled_for(self, kind: NotificationKind) -> bool:
        return {
            NotificationKind.DIGEST: self.enable_daily_digest,
            NotificationKind.WEEKLY: self.enable_weekly_summary,
            NotificationKind.ALERT: self.enable_performance_alerts,
        }[kind]

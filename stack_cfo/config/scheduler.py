"""``scheduler``: the notification scheduler's block (the seed's keys and environment names).

Cron times of digests and weekly summaries are evaluated in each user's time zone; alerts in
exchange time (America/New_York), NYSE sessions only. The scheduler process groups these
keys with the ``notifications`` channels into its own ``SchedulerConfig``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, field_validator

from stack_cfo.config.fields import Cron, Duration, ListenOrOff, Section, setting, split_list
from stack_cfo.core.notifications.policy import GraceWindows, RetryPolicy
from stack_cfo.core.notifications.schedules import CronSchedule

_GRACE = GraceWindows()
_RETRY = RetryPolicy()


def _feed_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


class SchedulerSettings(Section):
    enabled: bool = setting(True, env="SCHEDULER_ENABLED")
    """false makes stack-cfo scheduler idle (planner and worker off)."""
    daily_news_time: Cron = setting(CronSchedule.parse("0 8 * * *"), env="SCHEDULER_DAILY_DIGEST_TIME")
    """When the daily digest is sent, in each user's time zone. One digest per local day: a schedule
    that fires more than once a day (``0 8,20 * * *``) sends at its first time of each day only."""
    weekly_summary_time: Cron = setting(CronSchedule.parse("0 7 * * 1"), env="SCHEDULER_WEEKLY_SUMMARY_TIME")
    """When the weekly summary is sent, in each user's time zone (one per week: the week's first time
    the schedule names)."""
    performance_alert_time: Cron = setting(
        CronSchedule.parse("0 * 9-16 * * 1-5"), env="SCHEDULER_PERFORMANCE_ALERT_TIME"
    )
    """When performance alerts are checked, in exchange time (America/New_York), NYSE sessions only
    (from the 09:30 open to the close: the 9 o'clock hour's first check is at 09:30)."""
    enable_daily_digest: bool = setting(True, env="NOTIFICATION_ENABLE_DAILY_DIGEST")
    """Send daily digests."""
    enable_weekly_summary: bool = setting(True, env="NOTIFICATION_ENABLE_WEEKLY_SUMMARY")
    """Send weekly summaries."""
    enable_performance_alerts: bool = setting(True, env="NOTIFICATION_ENABLE_PERFORMANCE_ALERTS")
    """Send performance alerts."""
    batch_size: int = setting(50, env="SCHEDULER_BATCH_SIZE", ge=1, le=10_000)
    """Outbox rows one worker claim takes."""
    concurrency_limit: int = setting(10, env="SCHEDULER_CONCURRENCY_LIMIT", ge=1, le=1000)
    """Sends in flight per replica."""
    digest_grace: Duration = setting(_GRACE.digest, env="SCHEDULER_DIGEST_GRACE")
    """How late a daily digest slot may still be sent; older slots are recorded missed. Slots from before the
    scheduler's first start (its deploy epoch) are never planned, sent nor recorded."""
    weekly_grace: Duration = setting(_GRACE.weekly, env="SCHEDULER_WEEKLY_GRACE")
    """How late a weekly summary slot may still be sent."""
    alert_grace: Duration = setting(_GRACE.alert, env="SCHEDULER_ALERT_GRACE")
    """How late an alert slot may still be sent (only the latest slot is kept)."""
    audit_horizon: Duration = setting(timedelta(days=7), env="SCHEDULER_AUDIT_HORIZON")
    """How far back a planner looks for slots to record as missed."""
    retry_base: Duration = setting(_RETRY.base, env="SCHEDULER_RETRY_BASE")
    """First retry of a failed send waits about this long; each attempt doubles it."""
    retry_cap: Duration = setting(_RETRY.cap, env="SCHEDULER_RETRY_CAP")
    """Longest wait between two attempts."""
    max_attempts: int = setting(_RETRY.max_attempts, env="SCHEDULER_MAX_ATTEMPTS", ge=1, le=100)
    """Attempts per notification before it is recorded failed."""
    lease: Duration = setting(timedelta(minutes=2), env="SCHEDULER_LEASE", ge=timedelta(seconds=1))
    """How long a claim holds before the reaper returns the row."""
    tick_interval: Duration = setting(timedelta(seconds=30), env="SCHEDULER_TICK_INTERVAL", ge=timedelta(seconds=1))
    """Planner tick."""
    poll_interval: Duration = setting(
        timedelta(seconds=2), env="SCHEDULER_POLL_INTERVAL", ge=timedelta(milliseconds=50)
    )
    """Worker idle poll and reaper period."""
    heartbeat_interval: Duration = setting(
        timedelta(seconds=10), env="SCHEDULER_HEARTBEAT_INTERVAL", ge=timedelta(seconds=1)
    )
    """How often a replica records that it is alive."""
    shutdown_grace: Duration = setting(timedelta(seconds=30), env="SCHEDULER_SHUTDOWN_GRACE")
    """After SIGTERM, in-flight sends get this long to finish."""
    metrics_listen: ListenOrOff = setting("127.0.0.1:9465", env="SCHEDULER_METRICS_LISTEN")
    """The scheduler's own Prometheus /metrics address; "off" disables it."""
    news_feeds: Annotated[tuple[Annotated[str, AfterValidator(_feed_url)], ...], BeforeValidator(split_list)] = (
        setting((), env="NEWS_FEED_URLS")
    )
    """RSS/Atom URLs polled for articles about held symbols (comma-separated or a list)."""
    news_poll_interval: Duration = setting(
        timedelta(minutes=15), env="NEWS_POLL_INTERVAL", ge=timedelta(seconds=10)
    )
    """How often the news feeds are polled."""
    digest_news_items: int = setting(3, env="SCHEDULER_DIGEST_NEWS_ITEMS", ge=0, le=20)
    """News items per daily digest."""
    replica_id: str = setting("", env="SCHEDULER_REPLICA_ID")
    """This replica's name in heartbeats and claims; empty: hostname:pid."""
    retention_enabled: bool = setting(True, env="SCHEDULER_RETENTION_ENABLED")
    """Delete finished notifications, old request ids and old intraday quotes (docs/capacity.md)."""
    retention_interval: Duration = setting(
        timedelta(hours=1), env="SCHEDULER_RETENTION_INTERVAL", ge=timedelta(minutes=1)
    )
    """How often a replica runs the retention job, at least 1 minute (replicas take turns through an advisory lock)."""
    outbox_retention: Duration = setting(
        timedelta(days=90), env="SCHEDULER_OUTBOX_RETENTION", ge=timedelta(days=14)
    )
    """Sent, failed, missed, skipped and expired notifications (ListNotifications history, acknowledged feed
    items) and finished RunJob runs are deleted this long after they last changed."""
    idempotency_retention: Duration = setting(
        timedelta(days=30), env="SCHEDULER_IDEMPOTENCY_RETENTION", ge=timedelta(days=1)
    )
    """request_ids are remembered this long (the contract promises at least 24 hours)."""
    quote_retention: Duration = setting(
        timedelta(days=30), env="SCHEDULER_QUOTE_RETENTION", ge=timedelta(days=1)
    )
    """Intraday quotes are deleted this long after their instant (daily closes are kept)."""
    receipt_retention: Duration = setting(timedelta(0), env="SCHEDULER_RECEIPT_RETENTION")
    """AI receipts (the audit record of every AI text) are deleted this long after they were written; 0 (the
    default) keeps them for ever. At least 30 days when set: docs/capacity.md shows when to set it."""

    @field_validator("receipt_retention")
    @classmethod
    def _receipt_window(cls, value: timedelta) -> timedelta:
        if timedelta(0) < value < timedelta(days=30):
            raise ValueError("must be 0 (keep for ever) or at least 30 days")
        return value

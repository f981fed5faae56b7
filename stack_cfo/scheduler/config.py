"""Scheduler configuration: one frozen object from the seed's ``scheduler:`` block and env.

Environment variables (the seed's names plus ours) win over the file. An invalid value
raises :class:`~stack_cfo.core.errors.InvalidArgument` whose field names the key it came
from (``SCHEDULER_DAILY_DIGEST_TIME`` or ``scheduler.daily_news_time``); the CLI prints it
and exits 2.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from stack_cfo.config import parse_duration
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.policy import GraceWindows, RetryPolicy
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.secret import Secret


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = ""
    """SMTP server (``SMTP_HOST``); empty disables email."""
    port: int = 587
    """``SMTP_PORT``."""
    starttls: bool = True
    """Upgrade with STARTTLS before authenticating (``SMTP_STARTTLS``)."""
    implicit_tls: bool = False
    """TLS from the first byte, usually port 465 (``SMTP_TLS``)."""
    username: str = ""
    """``SMTP_USERNAME``; empty means no AUTH."""
    password: Secret | None = None
    """``SMTP_PASSWORD``; never logged."""
    sender: str = "STACK <notifications@localhost>"
    """``From:`` header and envelope sender (``SMTP_FROM``)."""
    ca_file: Path | None = None
    """Extra CA bundle to trust for the server certificate (``SMTP_CA_FILE``)."""
    timeout: float = 30.0
    """Seconds for connect and each SMTP command."""
    message_id_domain: str = "stack-cfo"
    """Right-hand side of ``Message-ID`` (``<key@domain>``)."""

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True, slots=True)
class FcmSettings:
    project_id: str = ""
    """Firebase project (``FCM_PROJECT_ID``); empty disables push."""
    service_account_file: Path | None = None
    """Service-account JSON (``FCM_SERVICE_ACCOUNT_FILE`` or ``GOOGLE_APPLICATION_CREDENTIALS``)."""
    endpoint: str = "https://fcm.googleapis.com"
    """FCM base URL (``FCM_ENDPOINT``); tests point it at a local stand-in."""
    timeout: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.project_id and self.service_account_file)


def _default_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    enabled: bool = True
    """``scheduler.enabled``: false makes ``stack-cfo scheduler`` idle (planner and worker off)."""
    daily_digest: CronSchedule = field(default_factory=lambda: CronSchedule.parse("0 8 * * *"))
    """``SCHEDULER_DAILY_DIGEST_TIME``, evaluated in each user's time zone."""
    weekly_summary: CronSchedule = field(default_factory=lambda: CronSchedule.parse("0 7 * * 1"))
    """``SCHEDULER_WEEKLY_SUMMARY_TIME``, each user's time zone."""
    performance_alerts: CronSchedule = field(default_factory=lambda: CronSchedule.parse("0 * 9-16 * * 1-5"))
    """``SCHEDULER_PERFORMANCE_ALERT_TIME``, exchange time (America/New_York), NYSE sessions only."""
    enable_daily_digest: bool = True
    enable_weekly_summary: bool = True
    enable_performance_alerts: bool = True
    batch_size: int = 50
    """``SCHEDULER_BATCH_SIZE``: rows claimed per worker claim."""
    concurrency_limit: int = 10
    """``SCHEDULER_CONCURRENCY_LIMIT``: sends in flight per replica."""
    grace: GraceWindows = field(default_factory=GraceWindows)
    """Catch-up per kind: digest 4 h, weekly 24 h, alerts 1 h (latest slot only)."""
    audit_horizon: timedelta = timedelta(days=7)
    """How far back a planner looks for slots to record as ``missed``."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Backoff base/cap and ``SCHEDULER_MAX_ATTEMPTS``."""
    lease: timedelta = timedelta(minutes=2)
    """How long a claim holds before the reaper returns the row (``SCHEDULER_LEASE``)."""
    tick_interval: timedelta = timedelta(seconds=30)
    """Planner tick (``SCHEDULER_TICK_INTERVAL``)."""
    poll_interval: timedelta = timedelta(seconds=2)
    """Worker idle poll and reaper period (``SCHEDULER_POLL_INTERVAL``)."""
    heartbeat_interval: timedelta = timedelta(seconds=10)
    shutdown_grace: timedelta = timedelta(seconds=30)
    """After SIGTERM, in-flight sends get this long to finish."""
    metrics_listen: str = "127.0.0.1:9465"
    """``SCHEDULER_METRICS_LISTEN``: the scheduler's own ``/metrics``; empty disables it."""
    news_feeds: tuple[str, ...] = ()
    """RSS/Atom URLs polled for articles about held symbols (``NEWS_FEED_URLS``, comma-separated)."""
    news_poll_interval: timedelta = timedelta(minutes=15)
    digest_news_items: int = 3
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    fcm: FcmSettings = field(default_factory=FcmSettings)
    replica_id: str = field(default_factory=_default_replica_id)

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

    @classmethod
    def from_mapping(
        cls,
        scheduler: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        notifications: Mapping[str, Any] | None = None,
    ) -> SchedulerConfig:
        """Build from the seed's ``scheduler:`` block, the ``notifications:`` block (smtp, fcm)
        and the environment (``os.environ`` when ``env`` is None)."""
        r = _Reader(scheduler or {}, notifications or {}, os.environ if env is None else env)
        retry = RetryPolicy(
            base=r.duration("SCHEDULER_RETRY_BASE", "retry_base", "30s"),
            cap=r.duration("SCHEDULER_RETRY_CAP", "retry_cap", "30m"),
            max_attempts=r.int("SCHEDULER_MAX_ATTEMPTS", "max_attempts", 6, minimum=1, maximum=100),
        )
        grace = GraceWindows(
            digest=r.duration("SCHEDULER_DIGEST_GRACE", "digest_grace", "4h"),
            weekly=r.duration("SCHEDULER_WEEKLY_GRACE", "weekly_grace", "24h"),
            alert=r.duration("SCHEDULER_ALERT_GRACE", "alert_grace", "1h"),
        )
        smtp_password = r.text("SMTP_PASSWORD", "smtp.password", "")
        ca = r.text("SMTP_CA_FILE", "smtp.ca_file", "")
        smtp = SmtpSettings(
            host=r.text("SMTP_HOST", "smtp.host", ""),
            port=r.int("SMTP_PORT", "smtp.port", 587, minimum=1, maximum=65535),
            starttls=r.bool("SMTP_STARTTLS", "smtp.starttls", True),
            implicit_tls=r.bool("SMTP_TLS", "smtp.tls", False),
            username=r.text("SMTP_USERNAME", "smtp.username", ""),
            password=Secret(smtp_password) if smtp_password else None,
            sender=r.text("SMTP_FROM", "smtp.from", "STACK <notifications@localhost>"),
            ca_file=Path(ca) if ca else None,
            timeout=r.duration("SMTP_TIMEOUT", "smtp.timeout", "30s").total_seconds(),
            message_id_domain=r.text("SMTP_MESSAGE_ID_DOMAIN", "smtp.message_id_domain", "stack-cfo"),
        )
        if smtp.starttls and smtp.implicit_tls:
            raise InvalidArgument.field("SMTP_TLS", "choose STARTTLS or implicit TLS, not both")
        sa = r.text("FCM_SERVICE_ACCOUNT_FILE", "fcm.service_account_file", "") or r.env.get(
            "GOOGLE_APPLICATION_CREDENTIALS", ""
        )
        fcm = FcmSettings(
            project_id=r.text("FCM_PROJECT_ID", "fcm.project_id", ""),
            service_account_file=Path(sa) if sa else None,
            endpoint=r.text("FCM_ENDPOINT", "fcm.endpoint", "https://fcm.googleapis.com").rstrip("/"),
            timeout=r.duration("FCM_TIMEOUT", "fcm.timeout", "10s").total_seconds(),
        )
        if fcm.project_id and fcm.service_account_file is None:
            raise InvalidArgument.field("FCM_SERVICE_ACCOUNT_FILE", "is required when FCM_PROJECT_ID is set")
        if fcm.service_account_file is not None:
            _check_service_account(fcm.service_account_file)
        if fcm.service_account_file is not None and not fcm.project_id:
            fcm = FcmSettings(
                project_id=_service_account_project(fcm.service_account_file),
                service_account_file=fcm.service_account_file,
                endpoint=fcm.endpoint,
                timeout=fcm.timeout,
            )
        feeds = tuple(u.strip() for u in r.text("NEWS_FEED_URLS", "news_feeds", "").split(",") if u.strip())
        for url in feeds:
            if not url.startswith(("http://", "https://")):
                raise InvalidArgument.field(r.key("NEWS_FEED_URLS", "news_feeds"), f"not an http(s) URL: {url!r}")
        metrics = r.text("SCHEDULER_METRICS_LISTEN", "metrics_listen", "127.0.0.1:9465")
        if metrics in ("off", "none"):
            metrics = ""
        if metrics:
            host, sep, port = metrics.rpartition(":")
            if not sep or not host or not port.isdigit() or int(port) > 65535:
                raise InvalidArgument.field(
                    r.key("SCHEDULER_METRICS_LISTEN", "metrics_listen"), f"must be host:port, got {metrics!r}"
                )
        return cls(
            enabled=r.bool("SCHEDULER_ENABLED", "enabled", True),
            daily_digest=r.cron("SCHEDULER_DAILY_DIGEST_TIME", "daily_news_time", "0 8 * * *"),
            weekly_summary=r.cron("SCHEDULER_WEEKLY_SUMMARY_TIME", "weekly_summary_time", "0 7 * * 1"),
            performance_alerts=r.cron("SCHEDULER_PERFORMANCE_ALERT_TIME", "performance_alert_time", "0 * 9-16 * * 1-5"),
            enable_daily_digest=r.bool("NOTIFICATION_ENABLE_DAILY_DIGEST", "enable_daily_digest", True),
            enable_weekly_summary=r.bool("NOTIFICATION_ENABLE_WEEKLY_SUMMARY", "enable_weekly_summary", True),
            enable_performance_alerts=r.bool(
                "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS", "enable_performance_alerts", True
            ),
            batch_size=r.int("SCHEDULER_BATCH_SIZE", "batch_size", 50, minimum=1, maximum=10_000),
            concurrency_limit=r.int("SCHEDULER_CONCURRENCY_LIMIT", "concurrency_limit", 10, minimum=1, maximum=1000),
            grace=grace,
            audit_horizon=r.duration("SCHEDULER_AUDIT_HORIZON", "audit_horizon", "168h"),
            retry=retry,
            lease=r.duration("SCHEDULER_LEASE", "lease", "2m", minimum=timedelta(seconds=1)),
            tick_interval=r.duration("SCHEDULER_TICK_INTERVAL", "tick_interval", "30s", minimum=timedelta(seconds=1)),
            poll_interval=r.duration(
                "SCHEDULER_POLL_INTERVAL", "poll_interval", "2s", minimum=timedelta(milliseconds=50)
            ),
            heartbeat_interval=r.duration(
                "SCHEDULER_HEARTBEAT_INTERVAL", "heartbeat_interval", "10s", minimum=timedelta(seconds=1)
            ),
            shutdown_grace=r.duration("SCHEDULER_SHUTDOWN_GRACE", "shutdown_grace", "30s"),
            metrics_listen=metrics,
            news_feeds=feeds,
            news_poll_interval=r.duration(
                "NEWS_POLL_INTERVAL", "news_poll_interval", "15m", minimum=timedelta(seconds=10)
            ),
            digest_news_items=r.int("SCHEDULER_DIGEST_NEWS_ITEMS", "digest_news_items", 3, minimum=0, maximum=20),
            smtp=smtp,
            fcm=fcm,
            replica_id=r.text("SCHEDULER_REPLICA_ID", "replica_id", "") or _default_replica_id(),
        )


def _check_service_account(path: Path) -> None:
    if not path.is_file():
        raise InvalidArgument.field("FCM_SERVICE_ACCOUNT_FILE", f"file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise InvalidArgument.field("FCM_SERVICE_ACCOUNT_FILE", "is not a JSON file") from None
    missing = [k for k in ("client_email", "private_key", "token_uri") if not data.get(k)]
    if missing:
        raise InvalidArgument.field("FCM_SERVICE_ACCOUNT_FILE", f"service-account JSON lacks {', '.join(missing)}")


def _service_account_project(path: Path) -> str:
    project = json.loads(path.read_text("utf-8")).get("project_id", "")
    if not project:
        raise InvalidArgument.field("FCM_PROJECT_ID", "is required (the service-account JSON has no project_id)")
    return str(project)


class _Reader:
    """Env first (named by its variable), then the file block (named by its dotted path)."""

    def __init__(self, block: Mapping[str, Any], notifications: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.block = block
        self.notifications = notifications
        self.env = env

    def key(self, env_name: str, path: str) -> str:
        if self.env.get(env_name, "") != "":
            return env_name
        section = "notifications" if path.split(".")[0] in ("smtp", "fcm") else "scheduler"
        return f"{section}.{path}"

    def raw(self, env_name: str, path: str) -> Any:
        value = self.env.get(env_name, "")
        if value != "":
            return value
        parts = path.split(".")
        # smtp/fcm live under notifications: (the server config); scheduler: is accepted too
        sources: list[Any] = [self.notifications, self.block] if parts[0] in ("smtp", "fcm") else [self.block]
        for node in sources:
            for part in parts:
                node = node.get(part) if isinstance(node, Mapping) else None
            if node is not None and node != "":
                return node
        return None

    def text(self, env_name: str, path: str, default: str) -> str:
        v = self.raw(env_name, path)
        if v is None:
            return default
        if isinstance(v, list):
            return ",".join(str(x) for x in v)
        if isinstance(v, Mapping):
            raise InvalidArgument.field(self.key(env_name, path), "must be a string")
        return str(v).strip()

    def int(self, env_name: str, path: str, default: int, *, minimum: int, maximum: int) -> int:
        v = self.raw(env_name, path)
        if v is None:
            return default
        try:
            if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                raise ValueError
            out = int(str(v).strip()) if not isinstance(v, int | float) else int(v)
        except ValueError:
            raise InvalidArgument.field(self.key(env_name, path), f"must be an integer, got {v!r}") from None
        if not minimum <= out <= maximum:
            raise InvalidArgument.field(self.key(env_name, path), f"must be between {minimum} and {maximum}, got {out}")
        return out

    def bool(self, env_name: str, path: str, default: bool) -> bool:
        v = self.raw(env_name, path)
        if v is None:
            return default
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in {"1", "true", "yes", "on"}:
            return True
        if s in {"0", "false", "no", "off"}:
            return False
        raise InvalidArgument.field(self.key(env_name, path), f"must be true or false, got {v!r}")

    def duration(self, env_name: str, path: str, default: str, *, minimum: timedelta = timedelta(0)) -> timedelta:
        v = self.raw(env_name, path)
        try:
            out = parse_duration(default if v is None else v)
        except ValueError as exc:
            raise InvalidArgument.field(self.key(env_name, path), str(exc)) from None
        if out < minimum:
            raise InvalidArgument.field(self.key(env_name, path), f"must be at least {minimum.total_seconds()}s")
        return out

    def cron(self, env_name: str, path: str, default: str) -> CronSchedule:
        v = self.raw(env_name, path)
        return CronSchedule.parse(default if v is None else str(v), key=self.key(env_name, path))

"""Scheduler configuration: seed keys, env precedence, errors that name the key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from stack_cfo.config import build_config
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.wiring.scheduler import main
from tests.support.secrets import SMTP_PASSWORD

SEED_BLOCK = {
    "enabled": True,
    "daily_news_time": "0 8 * * *",
    "weekly_summary_time": "0 7 * * 1",
    "batch_size": 50,
    "concurrency_limit": 10,
    "enable_daily_digest": True,
    "enable_weekly_summary": True,
    "enable_performance_alerts": True,
}


def test_defaults_follow_the_seed() -> None:
    c = SchedulerConfig.from_mapping(SEED_BLOCK, {})
    assert str(c.daily_digest) == "0 8 * * *" and str(c.weekly_summary) == "0 7 * * 1"
    assert str(c.performance_alerts) == "0 * 9-16 * * 1-5" and c.performance_alerts.seconds_first
    assert (c.batch_size, c.concurrency_limit) == (50, 10)
    assert all(c.enabled_for(k) for k in NotificationKind)
    assert c.grace.digest == timedelta(hours=4) and c.grace.weekly == timedelta(hours=24)
    assert c.grace.alert == timedelta(hours=1) and c.retry.max_attempts == 6
    assert not c.smtp.configured and not c.fcm.configured


def test_environment_wins_over_the_file() -> None:
    c = SchedulerConfig.from_mapping(
        SEED_BLOCK,
        {
            "SCHEDULER_DAILY_DIGEST_TIME": "30 6 * * *",
            "SCHEDULER_BATCH_SIZE": "20",
            "SCHEDULER_CONCURRENCY_LIMIT": "4",
            "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS": "false",
            "SCHEDULER_DIGEST_GRACE": "2h",
            "SMTP_HOST": "smtp.example.com",
            "SMTP_PORT": "2525",
            "SMTP_PASSWORD": SMTP_PASSWORD,
            "NEWS_FEED_URLS": "https://a.example/rss, https://b.example/atom",
        },
        notifications={"smtp": {"host": "ignored.example", "username": "mailer", "from": "STACK <n@stack.example>"}},
    )
    assert str(c.daily_digest) == "30 6 * * *" and (c.batch_size, c.concurrency_limit) == (20, 4)
    assert not c.enabled_for(NotificationKind.ALERT) and c.grace.digest == timedelta(hours=2)
    assert (c.smtp.host, c.smtp.port, c.smtp.username, c.smtp.sender) == (
        "smtp.example.com",
        2525,
        "mailer",
        "STACK <n@stack.example>",
    )
    assert c.smtp.password is not None and c.smtp.password.get() == SMTP_PASSWORD
    assert SMTP_PASSWORD not in repr(c)
    assert c.news_feeds == ("https://a.example/rss", "https://b.example/atom")


@pytest.mark.parametrize(
    ("block", "env", "field"),
    [
        ({"daily_news_time": "61 8 * * *"}, {}, "scheduler.daily_news_time"),
        ({}, {"SCHEDULER_DAILY_DIGEST_TIME": "0 8 * *"}, "SCHEDULER_DAILY_DIGEST_TIME"),
        ({}, {"SCHEDULER_WEEKLY_SUMMARY_TIME": "0 7 * * mon-xyz"}, "SCHEDULER_WEEKLY_SUMMARY_TIME"),
        ({"performance_alert_time": "* * 9-16 * * 1-5"}, {}, "scheduler.performance_alert_time"),
        ({"batch_size": 0}, {}, "scheduler.batch_size"),
        ({}, {"SCHEDULER_CONCURRENCY_LIMIT": "ten"}, "SCHEDULER_CONCURRENCY_LIMIT"),
        ({}, {"NOTIFICATION_ENABLE_DAILY_DIGEST": "maybe"}, "NOTIFICATION_ENABLE_DAILY_DIGEST"),
        ({}, {"SCHEDULER_DIGEST_GRACE": "4 hours"}, "SCHEDULER_DIGEST_GRACE"),
        ({}, {"FCM_PROJECT_ID": "p"}, "FCM_SERVICE_ACCOUNT_FILE"),
        ({}, {"SCHEDULER_METRICS_LISTEN": "nine"}, "SCHEDULER_METRICS_LISTEN"),
    ],
)
def test_invalid_values_name_their_key(block: dict[str, object], env: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        SchedulerConfig.from_mapping(block, env)
    assert info.value.violations[0].field == field


def test_fcm_project_comes_from_the_service_account(tmp_path: Path) -> None:
    sa = tmp_path / "sa.json"
    sa.write_text(json.dumps({"project_id": "p1", "client_email": "a@b", "private_key": "k", "token_uri": "http://t"}))
    c = SchedulerConfig.from_mapping({}, {"FCM_SERVICE_ACCOUNT_FILE": str(sa)})
    assert c.fcm.configured and c.fcm.project_id == "p1"
    sa.write_text("{}")
    with pytest.raises(InvalidArgument) as info:
        SchedulerConfig.from_mapping({}, {"FCM_SERVICE_ACCOUNT_FILE": str(sa)})
    assert "client_email" in info.value.message


def test_cli_entry_exits_2_naming_the_bad_cron(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCHEDULER_DAILY_DIGEST_TIME", "every morning")
    assert main(build_config({})) == 2
    err = capsys.readouterr().err
    assert "SCHEDULER_DAILY_DIGEST_TIME" in err and "every morning" in err

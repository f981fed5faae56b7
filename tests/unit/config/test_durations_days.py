"""Durations take days (``365d``, ``1d12h``): docs/capacity.md tells operators to set
``SCHEDULER_RECEIPT_RETENTION=365d`` and the retention limits are written in days, but ``d``
was refused ("must be a duration such as 30s, 1m30s or 250ms"). Every other form still reads
the same, and durations are still written back in hours (the generated docs stay as they are)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stack_cfo.config import ConfigError, build_config
from stack_cfo.durations import format_seconds, parse_seconds

DAY = 86400.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("365d", 365 * DAY),
        ("14d", 14 * DAY),
        ("1d12h", 1.5 * DAY),
        ("1d1h1m1s", DAY + 3661),
        ("2d500ms", 2 * DAY + 0.5),
        ("0.5d", 0.5 * DAY),
        (" 30D ", 30 * DAY),
        ("0d", 0.0),
        # the forms that always worked
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("45", 45.0),
        ("1.5", 1.5),
        (45, 45.0),
        (0.25, 0.25),
    ],
)
def test_days_and_every_older_form_are_read(text: object, seconds: float) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["d", "1dd", "1 d", "-1d", "1w", "d1", "1d-2h", "36526d"])
def test_malformed_days_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_seconds(text)


def test_the_refusal_mentions_days() -> None:
    with pytest.raises(ValueError) as info:
        parse_seconds("365 days")
    assert str(info.value) == "must be a duration such as 30s, 1m30s, 250ms or 14d, got '365 days'"


def test_the_receipt_retention_of_the_capacity_guide_is_read_from_the_environment() -> None:
    config = build_config({}, {"SCHEDULER_RECEIPT_RETENTION": "365d"})
    assert config.scheduler.receipt_retention == timedelta(days=365)
    assert config.origin("scheduler.receipt_retention").name == "SCHEDULER_RECEIPT_RETENTION"


def test_retention_windows_in_days_from_the_file_and_their_limits() -> None:
    config = build_config(
        {
            "scheduler": {
                "outbox_retention": "14d",
                "idempotency_retention": "1d12h",
                "quote_retention": "7d",
                "receipt_retention": "30d",
            }
        }
    )
    s = config.scheduler
    assert s.outbox_retention == timedelta(days=14) and s.idempotency_retention == timedelta(days=1, hours=12)
    assert s.quote_retention == timedelta(days=7) and s.receipt_retention == timedelta(days=30)
    with pytest.raises(ConfigError) as info:
        build_config({}, {"SCHEDULER_RECEIPT_RETENTION": "29d"})
    assert info.value.key == "SCHEDULER_RECEIPT_RETENTION (scheduler.receipt_retention)"
    assert info.value.problem == "must be 0 (keep for ever) or at least 30 days"
    with pytest.raises(ConfigError) as info:
        build_config({"scheduler": {"outbox_retention": "13d"}})
    assert info.value.key == "scheduler.outbox_retention"


def test_a_bad_duration_names_its_variable_and_mentions_days() -> None:
    with pytest.raises(ConfigError) as info:
        build_config({}, {"SCHEDULER_OUTBOX_RETENTION": "90days"})
    assert info.value.key == "SCHEDULER_OUTBOX_RETENTION (scheduler.outbox_retention)"
    assert info.value.problem == "must be a duration such as 30s, 1m30s, 250ms or 14d, got '90days'"


def test_durations_are_still_written_in_hours_and_read_back() -> None:
    """``config show`` and the generated README/config.example.yaml keep ``2160h`` (not ``90d``)."""
    for seconds, text in ((90 * DAY, "2160h"), (365 * DAY, "8760h"), (1.5 * DAY, "36h"), (DAY + 0.25, "24h0.25s")):
        assert format_seconds(seconds) == text
        assert parse_seconds(text) == seconds

"""Preferences validation and the send-time decision (quiet hours across midnight)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.core.notifications.preferences import (
    Action,
    NotificationPreferences,
    apply_update,
    decide,
)
from stack_cfo.core.notifications.quiet_hours import QuietHours, parse_quiet_hours

NIGHT = QuietHours(time(22), time(7))
BASE = NotificationPreferences(user_id="u1", time_zone="Europe/Berlin", quiet_hours=NIGHT)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 59), False),
        (time(22), True),
        (time(23, 30), True),
        (time(0), True),
        (time(6, 59), True),
        (time(7), False),
        (time(12), False),
    ],
)
def test_quiet_hours_spanning_midnight(local: time, quiet: bool) -> None:
    assert NIGHT.contains(local) is quiet


def test_daytime_quiet_window_does_not_wrap() -> None:
    qh = QuietHours(time(12), time(14))
    assert qh.contains(time(13)) and not qh.contains(time(23)) and not qh.contains(time(14))


def test_digest_in_quiet_hours_waits_until_local_end_next_morning() -> None:
    now = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)  # 23:30 in Berlin (CET)
    decision = decide(BASE, NotificationKind.DIGEST, Channel.EMAIL, now)
    assert decision.action is Action.DEFER and decision.reason is Reason.QUIET_HOURS
    assert decision.until == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 07:00 CET


def test_quiet_end_after_midnight_the_same_night() -> None:
    now = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 02:00 Berlin
    decision = decide(BASE, NotificationKind.WEEKLY, Channel.PUSH, now)
    assert decision.until == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def test_quiet_end_uses_the_new_offset_after_a_dst_change() -> None:
    # Berlin springs forward on 2026-03-29: 23:00 CET on the 28th, quiet end 07:00 CEST = 05:00 UTC
    decision = decide(BASE, NotificationKind.DIGEST, Channel.EMAIL, datetime(2026, 3, 28, 22, tzinfo=UTC))
    assert decision.until == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_alert_in_quiet_hours_is_dropped_not_deferred() -> None:
    decision = decide(BASE, NotificationKind.ALERT, Channel.PUSH, datetime(2026, 3, 9, 23, tzinfo=UTC))
    assert decision.action is Action.SKIP and decision.reason is Reason.QUIET_HOURS


def test_outside_quiet_hours_everything_sends() -> None:
    noon = datetime(2026, 3, 9, 11, tzinfo=UTC)
    for kind in NotificationKind:
        assert decide(BASE, kind, Channel.EMAIL, noon).action is Action.SEND


def test_disabled_kind_and_channel_and_missing_prefs_skip_with_reason() -> None:
    noon = datetime(2026, 3, 9, 11, tzinfo=UTC)
    no_digest = apply_update(BASE, {"digest_enabled": False})
    assert decide(no_digest, NotificationKind.DIGEST, Channel.EMAIL, noon).reason is Reason.KIND_DISABLED
    no_push = apply_update(BASE, {"push_enabled": False})
    assert decide(no_push, NotificationKind.ALERT, Channel.PUSH, noon).reason is Reason.CHANNEL_DISABLED
    assert decide(None, NotificationKind.DIGEST, Channel.EMAIL, noon).reason is Reason.NO_PREFERENCES


def test_unknown_time_zone_is_rejected_with_its_field() -> None:
    for bad in ["Mars/Olympus_Mons", "", "../../etc/passwd", "Europe/Nowhere"]:
        with pytest.raises(InvalidArgument) as info:
            apply_update(BASE, {"time_zone": bad})
        assert info.value.violations[0].field == "time_zone"
        assert info.value.reason == "UNKNOWN_TIME_ZONE"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("25:00", "07:00", "quiet_hours.start"),
        ("22:00", "7am", "quiet_hours.end"),
        ("22:00", None, "quiet_hours.end"),
        ("", "07:00", "quiet_hours.start"),
        ("22:00", "22:00", "quiet_hours.end"),
    ],
)
def test_malformed_quiet_hours_are_rejected(start: str, end: str | None, field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"quiet_hours": (start, end)})
    assert info.value.violations[0].field == field


def test_update_applies_only_named_fields_and_validates_all_of_them() -> None:
    updated = apply_update(BASE, {"quiet_hours": ("23:15", "06:45"), "alert_threshold_sigma": 3.0})
    assert updated.quiet_hours == QuietHours(time(23, 15), time(6, 45))
    assert updated.alert_threshold_sigma == 3.0 and updated.time_zone == "Europe/Berlin"
    cleared = apply_update(updated, {"quiet_hours": None, "email_address": ""})
    assert cleared.quiet_hours is None and cleared.email_address is None
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"alert_threshold_sigma": float("nan")})
    assert info.value.violations[0].field == "alert_threshold_sigma"
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"email_address": "not an address"})
    assert info.value.violations[0].field == "email_address"
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"user_id": "someone-else"})
    assert info.value.violations[0].field == "update_mask"


def test_parse_quiet_hours_both_empty_means_off() -> None:
    assert parse_quiet_hours(None, None) is None
    assert parse_quiet_hours("", "") is None

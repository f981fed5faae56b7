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
    default_preferences,
)
from stack_cfo.core.notifications.quiet_hours import QuietHours

NIGHT = QuietHours(time(22), time(7))
BASE = NotificationPreferences(
    user_id="u1",
    time_zone="Europe/Berlin",
    email_address="ada@example.com",
    quiet_hours_start=time(22),
    quiet_hours_end=time(7),
)


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
        for channel in Channel:
            assert decide(BASE, kind, channel, noon).action is Action.SEND


def test_disabled_kind_channel_or_missing_address_skip_with_reason() -> None:
    noon = datetime(2026, 3, 9, 11, tzinfo=UTC)
    no_digest = apply_update(BASE, {"daily_digest_enabled": False})
    assert decide(no_digest, NotificationKind.DIGEST, Channel.EMAIL, noon).reason is Reason.KIND_DISABLED
    no_push = apply_update(BASE, {"push_enabled": False})
    assert decide(no_push, NotificationKind.ALERT, Channel.PUSH, noon).reason is Reason.CHANNEL_DISABLED
    no_address = apply_update(BASE, {"email_address": ""})
    assert decide(no_address, NotificationKind.DIGEST, Channel.EMAIL, noon).reason is Reason.NO_EMAIL_ADDRESS


def test_defaults_are_everything_on_in_utc_with_the_account_email() -> None:
    p = default_preferences("u9", "  bo@example.com ")
    assert p.time_zone == "UTC" and p.email_address == "bo@example.com"
    assert all(p.kind_enabled(k) for k in NotificationKind) and p.quiet_hours is None
    assert not default_preferences("u9", None).channel_enabled(Channel.EMAIL)


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", " ", " UTC", "../../etc/passwd", "Europe/Nowhere",
                                 "localtime", "posix/Europe/Berlin", "right/UTC", "Factory"])
def test_unknown_time_zone_is_rejected_with_its_field(bad: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"time_zone": bad})
    assert info.value.violations[0].field == "time_zone"
    assert info.value.reason == "UNKNOWN_TIME_ZONE"
    assert info.value.metadata["time_zone"] == bad  # the message's value, for clients that read metadata


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quiet_hours_start": "25:00"}, "quiet_hours_start"),
        ({"quiet_hours_end": "7am"}, "quiet_hours_end"),
        ({"quiet_hours_end": None}, "quiet_hours_end"),  # only one side unset
        ({"quiet_hours_start": (24, 0)}, "quiet_hours_start.hours"),  # a TimeOfDay: its own field named
        ({"quiet_hours_end": (6, 60)}, "quiet_hours_end.minutes"),
        ({"quiet_hours_start": "07:00"}, "quiet_hours_end"),  # start == end
    ],
)
def test_malformed_quiet_hours_are_rejected(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, changes)
    assert info.value.violations[0].field == field
    assert info.value.reason == "INVALID_QUIET_HOURS"


def test_update_applies_only_named_fields_and_reports_every_violation() -> None:
    updated = apply_update(
        BASE, {"quiet_hours_start": "23:15", "quiet_hours_end": (6, 45), "alert_threshold_sigma": 3.0}
    )
    assert updated.quiet_hours == QuietHours(time(23, 15), time(6, 45))
    assert updated.alert_threshold_sigma == 3.0 and updated.time_zone == "Europe/Berlin"
    cleared = apply_update(updated, {"quiet_hours_start": None, "quiet_hours_end": None})
    assert cleared.quiet_hours is None
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"alert_threshold_sigma": float("nan"), "email_address": "not an address"})
    assert [v.field for v in info.value.violations] == ["email_address", "alert_threshold_sigma"]
    assert info.value.reason == "INVALID_EMAIL"
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"alert_threshold_percent": 0})
    assert info.value.reason == "INVALID_THRESHOLD"
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"user_id": "someone-else"})
    assert info.value.violations[0].field == "update_mask" and info.value.reason == "INVALID_UPDATE_MASK"


@pytest.mark.parametrize(
    ("zone", "window", "now", "until"),
    [
        # New York falls back on 2026-11-01: 01:00-02:00 happens twice. At 01:00 EST (the second
        # pass) the end 01:30 EDT is past; the next end is 01:30 EST.
        ("America/New_York", (time(22), time(1, 30)), datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
         datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        # During the first pass the first occurrence is still ahead.
        ("America/New_York", (time(22), time(1, 30)), datetime(2026, 11, 1, 5, 10, tzinfo=UTC),
         datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("Europe/London", (time(23), time(1, 45)), datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
         datetime(2026, 10, 25, 1, 45, tzinfo=UTC)),
        # Lord Howe's clocks go back half an hour (02:00 +11 -> 01:30 +10:30).
        ("Australia/Lord_Howe", (time(22), time(1, 50)), datetime(2026, 4, 4, 15, 5, tzinfo=UTC),
         datetime(2026, 4, 4, 15, 20, tzinfo=UTC)),
        # An end inside the skipped hour (spring forward) moves forward.
        ("America/New_York", (time(22), time(2, 30)), datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
         datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ],
)
def test_quiet_end_in_a_repeated_hour_is_never_in_the_past(
    zone: str, window: tuple[time, time], now: datetime, until: datetime
) -> None:
    from zoneinfo import ZoneInfo

    qh = QuietHours(*window)
    assert qh.is_quiet(now, ZoneInfo(zone))
    assert qh.ends_after(now, ZoneInfo(zone)) == until


@pytest.mark.parametrize("address", ["jörg@example.com", "joe@exämple.com", "a@b@example.com", '"a b"@example.com',
                                     "user@[127.0.0.1]", "a(b@example.com", "a b@example.com"])
def test_addresses_are_ascii_rfc_5322(address: str) -> None:
    """A non-ASCII local part needs SMTPUTF8, which mail servers may not offer: refused up front."""
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"email_address": address})
    assert info.value.reason == "INVALID_EMAIL"
    assert apply_update(BASE, {"email_address": "a.b+tag@example.co.uk"}).email_address == "a.b+tag@example.co.uk"


def test_both_parts_of_a_time_of_day_out_of_range_are_named() -> None:
    with pytest.raises(InvalidArgument) as info:
        apply_update(BASE, {"quiet_hours_start": (25, 99), "quiet_hours_end": (6, 0)})
    assert [v.field for v in info.value.violations] == ["quiet_hours_start.hours", "quiet_hours_start.minutes"]
    assert info.value.reason == "INVALID_QUIET_HOURS"

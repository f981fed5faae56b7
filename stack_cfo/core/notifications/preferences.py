"""Per-user notification preferences, their validation, and the send-time decision."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stack_cfo.core.errors import FieldViolation, InvalidArgument
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.core.notifications.quiet_hours import QuietHours, parse_quiet_hours

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A validated IANA zone; unknown names raise InvalidArgument on ``time_zone``."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise InvalidArgument.field(
            "time_zone", f"unknown IANA time zone {name!r}", reason="UNKNOWN_TIME_ZONE"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidArgument.field(
            "time_zone", f"unknown IANA time zone {name!r}", reason="UNKNOWN_TIME_ZONE"
        ) from None


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """What one user wants. Defaults apply until the user saves something."""

    user_id: str
    time_zone: str = "UTC"
    """IANA zone; digests and weekly summaries follow the user's local clock."""
    digest_enabled: bool = True
    weekly_enabled: bool = True
    alerts_enabled: bool = True
    email_enabled: bool = True
    push_enabled: bool = True
    email_address: str | None = None
    """Where digests go; ``None`` means the account's email."""
    quiet_hours: QuietHours | None = None
    alert_threshold_sigma: float = 2.0
    """Alert when the move is at least this many standard deviations of the portfolio's own volatility."""
    alert_min_move: float = 0.01
    """... and at least this large in absolute terms (fraction: 0.01 = 1%)."""
    opted_in_at: datetime | None = None
    updated_at: datetime | None = None

    def kind_enabled(self, kind: NotificationKind) -> bool:
        return {
            NotificationKind.DIGEST: self.digest_enabled,
            NotificationKind.WEEKLY: self.weekly_enabled,
            NotificationKind.ALERT: self.alerts_enabled,
        }[kind]

    def channel_enabled(self, channel: Channel) -> bool:
        return self.email_enabled if channel is Channel.EMAIL else self.push_enabled

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)


#: Fields a caller may change (``update_mask`` paths); quiet hours are set as a pair.
UPDATABLE_FIELDS = frozenset(
    {
        "time_zone",
        "digest_enabled",
        "weekly_enabled",
        "alerts_enabled",
        "email_enabled",
        "push_enabled",
        "email_address",
        "quiet_hours",
        "alert_threshold_sigma",
        "alert_min_move",
    }
)


def validate(prefs: NotificationPreferences) -> NotificationPreferences:
    """Every violation at once, as BadRequest field violations."""
    violations: list[FieldViolation] = []
    try:
        zone(prefs.time_zone)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if prefs.email_address is not None and (
        len(prefs.email_address) > 254 or not _EMAIL.match(prefs.email_address)
    ):
        violations.append(FieldViolation("email_address", "must be an email address like name@example.com"))
    s = prefs.alert_threshold_sigma
    if not (isinstance(s, int | float) and math.isfinite(s) and 0 < s <= 10):
        violations.append(FieldViolation("alert_threshold_sigma", "must be a number in (0, 10]"))
    m = prefs.alert_min_move
    if not (isinstance(m, int | float) and math.isfinite(m) and 0 <= m <= 1):
        violations.append(FieldViolation("alert_min_move", "must be a fraction in [0, 1] (0.01 = 1%)"))
    if prefs.quiet_hours is not None and not prefs.quiet_hours.enabled:
        violations.append(FieldViolation("quiet_hours", "start and end must differ"))
    if violations:
        reason = "UNKNOWN_TIME_ZONE" if violations[0].field == "time_zone" else "INVALID_PREFERENCES"
        raise InvalidArgument(
            "; ".join(f"{v.field}: {v.description}" for v in violations), violations=violations, reason=reason
        )
    return prefs


def apply_update(prefs: NotificationPreferences, changes: Mapping[str, object]) -> NotificationPreferences:
    """Apply the fields named in ``changes`` (an update mask's paths -> new values) and validate.

    ``quiet_hours`` takes ``None`` (off), a :class:`QuietHours`, or a ``(start, end)`` pair of
    ``"HH:MM"`` strings; an empty ``email_address`` means "use the account email".
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidArgument.field(
            "update_mask",
            f"unknown or read-only field(s): {', '.join(unknown)}",
            reason="INVALID_UPDATE_MASK",
        )
    values: dict[str, object] = {}
    for name, value in changes.items():
        if name == "quiet_hours":
            if value is None or isinstance(value, QuietHours):
                values[name] = value
            elif isinstance(value, tuple | list) and len(value) == 2:
                values[name] = parse_quiet_hours(value[0], value[1])
            else:
                raise InvalidArgument.field(
                    "quiet_hours", "must be a (start, end) pair", reason="INVALID_QUIET_HOURS"
                )
        elif name == "email_address":
            values[name] = (str(value).strip() or None) if value is not None else None
        elif name == "time_zone":
            values[name] = str(value).strip()
        else:
            expected = {f.name: f.type for f in fields(NotificationPreferences)}[name]
            if "bool" in str(expected) and not isinstance(value, bool):
                raise InvalidArgument.field(name, "must be true or false")
            values[name] = value
    return validate(replace(prefs, **values))  # type: ignore[arg-type]


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class SendDecision:
    action: Action
    reason: Reason | None = None
    until: datetime | None = None  # for DEFER: the UTC instant quiet hours end


def decide(
    prefs: NotificationPreferences | None,
    kind: NotificationKind,
    channel: Channel,
    now: datetime,
) -> SendDecision:
    """Send-time check: preferences may have changed since the row was planned.

    Quiet hours defer digests and weekly summaries to the end of the window and drop
    alerts (an hourly alert is stale by morning).
    """
    if prefs is None:
        return SendDecision(Action.SKIP, Reason.NO_PREFERENCES)
    if not prefs.kind_enabled(kind):
        return SendDecision(Action.SKIP, Reason.KIND_DISABLED)
    if not prefs.channel_enabled(channel):
        return SendDecision(Action.SKIP, Reason.CHANNEL_DISABLED)
    qh = prefs.quiet_hours
    if qh is not None and qh.is_quiet(now, prefs.tz):
        if kind is NotificationKind.ALERT:
            return SendDecision(Action.SKIP, Reason.QUIET_HOURS)
        return SendDecision(Action.DEFER, Reason.QUIET_HOURS, qh.ends_after(now, prefs.tz))
    return SendDecision(Action.SEND)

"""Per-user notification preferences, their validation, and the send-time decision.

Field names follow the API (``daily_digest_enabled``, ``quiet_hours_start``,
``alert_threshold_percent`` ...), so an update mask's paths apply directly.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stack_cfo.core.errors import FieldViolation, InvalidArgument
from stack_cfo.core.i18n import canonical_tag
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.core.notifications.quiet_hours import QuietHours, parse_clock_time

#: The local part is printable ASCII without the characters an unquoted one may not hold
#: ("(),:;<>@[\] and space): a non-ASCII local part needs SMTPUTF8 (RFC 6531), which mail servers
#: may not offer, so every send would fail.
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)(?!.*\.@)"  # no dot first, doubled or last in the local part (RFC 5322 dot-atom)
    r"[!#-'*+\-./0-9=?A-Z^-~]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z"
)


@functools.cache
def _iana_zones() -> frozenset[str]:
    """The zone names of the time zone database (once per process, ~30 ms), less the ones that are
    not places: ``localtime`` (whatever the server's host uses) and ``Factory``."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A validated IANA zone; unknown names raise InvalidArgument on ``time_zone``."""
    bad = InvalidArgument.field("time_zone", f"unknown IANA time zone {name!r}", reason="UNKNOWN_TIME_ZONE")
    if not name or name != name.strip() or name.startswith("/") or ".." in name or len(name) > 64:
        raise bad
    if name not in _iana_zones():  # "localtime" (the host's zone), "posix/...", "right/...", "Factory"
        raise bad
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise bad from None


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """What one user wants. Users who never saved any get :func:`default_preferences`."""

    user_id: str
    time_zone: str = "UTC"
    """IANA zone; digests, weekly summaries and quiet hours follow the user's local clock."""
    daily_digest_enabled: bool = True
    weekly_summary_enabled: bool = True
    performance_alerts_enabled: bool = True
    email_enabled: bool = True
    """Effective only with an ``email_address``."""
    push_enabled: bool = True
    webhook_enabled: bool = True
    """Deliveries to the user's own webhook endpoints and to services' endpoints."""
    feed_enabled: bool = True
    """The user's notifications on services' notification feeds."""
    email_address: str = ""
    """Where email goes; empty means no email."""
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    alert_threshold_percent: float = 2.0
    """Alert on a move of at least this many percentage points ..."""
    alert_threshold_sigma: float = 2.0
    """... or of at least this many standard deviations of the portfolio's own volatility."""
    locale: str = ""
    """BCP 47 tag the user's digests, summaries and alerts are written in ("" = the configured
    ``notifications.default_locale``). Stored as given (canonical case) even when unsupported:
    rendering then falls back to English and records it (``core.i18n.resolve_locale``)."""
    opted_in_at: datetime | None = None
    """When the user started receiving notifications; slots before it are never planned."""
    update_time: datetime | None = None

    @property
    def quiet_hours(self) -> QuietHours | None:
        if self.quiet_hours_start is None or self.quiet_hours_end is None:
            return None
        return QuietHours(self.quiet_hours_start, self.quiet_hours_end)

    def kind_enabled(self, kind: NotificationKind) -> bool:
        return {
            NotificationKind.DIGEST: self.daily_digest_enabled,
            NotificationKind.WEEKLY: self.weekly_summary_enabled,
            NotificationKind.ALERT: self.performance_alerts_enabled,
        }[kind]

    def channel_enabled(self, channel: Channel) -> bool:
        if channel is Channel.EMAIL:
            return self.email_enabled and bool(self.email_address)
        if channel is Channel.WEBHOOK:
            return self.webhook_enabled
        if channel is Channel.FEED:
            return self.feed_enabled
        return self.push_enabled

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)


def default_preferences(user_id: str, account_email: str | None = None) -> NotificationPreferences:
    """Everything on, UTC, email to the account's address if it has one."""
    return NotificationPreferences(user_id=user_id, email_address=(account_email or "").strip())


#: The on/off switches, in the contract's order.
BOOL_FIELDS = (
    "daily_digest_enabled",
    "weekly_summary_enabled",
    "performance_alerts_enabled",
    "email_enabled",
    "push_enabled",
    "webhook_enabled",
    "feed_enabled",
)
_BOOLS = frozenset(BOOL_FIELDS)
#: Paths a caller may change (update mask). ``name``/``update_time`` are ignored by the API layer.
UPDATABLE_FIELDS = _BOOLS | {
    "time_zone",
    "email_address",
    "quiet_hours_start",
    "quiet_hours_end",
    "alert_threshold_percent",
    "alert_threshold_sigma",
    "locale",
}


def validate(prefs: NotificationPreferences) -> NotificationPreferences:
    """Every violation at once, as BadRequest field violations, each with its reason; the error's reason is
    the first one's."""
    violations: list[tuple[str, FieldViolation]] = []
    values: dict[str, str] = {}  # the dynamic values of the messages (ErrorInfo metadata)
    try:
        zone(prefs.time_zone)
    except InvalidArgument as exc:
        violations.append(("UNKNOWN_TIME_ZONE", exc.violations[0]))
        values["time_zone"] = prefs.time_zone
    try:
        canonical_tag(prefs.locale)
    except InvalidArgument as exc:
        violations.append(("INVALID_LOCALE", exc.violations[0]))
        values["locale"] = prefs.locale
    address = prefs.email_address
    if address and (len(address) > 254 or not _EMAIL.match(address)):
        violations.append(
            ("INVALID_EMAIL", FieldViolation("email_address", "must be an email address like name@example.com"))
        )
    start, end = prefs.quiet_hours_start, prefs.quiet_hours_end
    if (start is None) != (end is None):
        missing = "quiet_hours_start" if start is None else "quiet_hours_end"
        violations.append(("INVALID_QUIET_HOURS", FieldViolation(missing, "quiet hours need both a start and an end")))
    elif start is not None and start == end:
        violations.append(
            (
                "INVALID_QUIET_HOURS",
                FieldViolation("quiet_hours_end", "must differ from quiet_hours_start (unset both to disable)"),
            )
        )
    for name, value in (
        ("alert_threshold_percent", prefs.alert_threshold_percent),
        ("alert_threshold_sigma", prefs.alert_threshold_sigma),
    ):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not 0 < value <= 100:
            violations.append(("INVALID_THRESHOLD", FieldViolation(name, "must be a number > 0 and <= 100")))
    if violations:
        raise InvalidArgument(
            "; ".join(f"{v.field}: {v.description}" for _, v in violations),
            # each violation with its own reason (an e-mail's INVALID_EMAIL beside a time zone's
            # UNKNOWN_TIME_ZONE), the error's the first one's
            violations=[replace(v, reason=reason) for reason, v in violations],
            reason=violations[0][0],
            metadata=values,
        )
    return prefs


def _clock(value: Any, field: str) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, tuple | list) and len(value) == 2:  # (hours, minutes) as in TimeOfDay
        h, m = value
        # the fields that are out of range named ("quiet_hours_start.hours"), as TimeOfDay's fields are, both when
        # both are
        problems = [
            InvalidArgument.field(f"{field}.{name}", f"must be 0 to {top}, got {value!r}", reason="INVALID_QUIET_HOURS")
            for name, value, top in (("hours", h, 23), ("minutes", m, 59))
            if not (isinstance(value, int) and 0 <= value <= top)
        ]
        if problems:
            raise InvalidArgument.combine(problems)
        return time(h, m)
    return parse_clock_time(value, field)


def apply_update(prefs: NotificationPreferences, changes: Mapping[str, Any]) -> NotificationPreferences:
    """Apply the fields named in ``changes`` (update-mask paths -> new values) and validate.

    Quiet hours take ``None`` (unset), a ``time``, ``"HH:MM"`` or ``(hours, minutes)``; to turn
    them off name both ``quiet_hours_start`` and ``quiet_hours_end`` with ``None``.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidArgument.field(
            "update_mask", f"unknown or read-only path(s): {', '.join(unknown)}", reason="INVALID_UPDATE_MASK"
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _BOOLS:
            if not isinstance(value, bool):
                raise InvalidArgument.field(name, "must be true or false")
            values[name] = value
        elif name in ("quiet_hours_start", "quiet_hours_end"):
            values[name] = _clock(value, name)
        elif name == "email_address":
            values[name] = "" if value is None else str(value).strip()
        elif name == "time_zone":  # as sent: a refusal names the value the client sent (" " is not "")
            values[name] = "" if value is None else str(value)
        elif name == "locale":
            if value is not None and not isinstance(value, str):
                raise InvalidArgument.field(name, "must be a BCP 47 language tag", reason="INVALID_LOCALE")
            values[name] = canonical_tag((value or "").strip())
        else:
            values[name] = value
    return validate(replace(prefs, **values))


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class SendDecision:
    action: Action
    reason: Reason | None = None
    until: datetime | None = None  # for DEFER: the UTC instant quiet hours end


def decide(prefs: NotificationPreferences, kind: NotificationKind, channel: Channel, now: datetime) -> SendDecision:
    """Send-time check: preferences may have changed since the row was planned.

    Quiet hours defer digests and weekly summaries to the end of the window and drop
    alerts (an hourly alert is stale by morning).
    """
    if not prefs.kind_enabled(kind):
        return SendDecision(Action.SKIP, Reason.KIND_DISABLED)
    if channel is Channel.EMAIL and prefs.email_enabled and not prefs.email_address:
        return SendDecision(Action.SKIP, Reason.NO_EMAIL_ADDRESS)
    if not prefs.channel_enabled(channel):
        return SendDecision(Action.SKIP, Reason.CHANNEL_DISABLED)
    qh = prefs.quiet_hours
    if qh is not None and qh.is_quiet(now, prefs.tz):
        if kind is NotificationKind.ALERT:
            return SendDecision(Action.SKIP, Reason.QUIET_HOURS)
        return SendDecision(Action.DEFER, Reason.QUIET_HOURS, qh.ends_after(now, prefs.tz))
    return SendDecision(Action.SEND)

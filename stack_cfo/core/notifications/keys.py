"""Idempotency keys: ``{kind}:{user}:{local period}:{channel}:{target}``.

The period is a *local calendar* label, never a UTC instant, so a repeated DST hour, a
second replica's tick or a user moving time zone cannot produce a second key for the
same notification:

- digest: the user's local date, ``2026-03-08``
- weekly: the ISO week of the user's local date, ``2026-W10``
- alert:  the exchange-local hour, ``XNYS-2026-03-09T10``

A manual ``RunJob`` uses the current period followed by ``~m`` and a tag of the run (``2026-03-08~m1a2b3c4d5e6f``)
in its keys, so it never takes, nor replaces, the scheduled notification's key; the row's ``slot_local``
keeps the plain period (the content is the period's).

The target is ``0`` for email (one address per user), the push device id for push, the webhook
endpoint id for webhooks and the feed id for a service's notification feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from stack_cfo.core.notifications.kinds import Channel, NotificationKind

EMAIL_TARGET = 0


def digest_period(local_day: date) -> str:
    return local_day.isoformat()


def weekly_period(local_day: date) -> str:
    year, week, _ = local_day.isocalendar()
    return f"{year}-W{week:02d}"


def alert_period(exchange_local: datetime, exchange: str = "XNYS") -> str:
    return f"{exchange}-{exchange_local:%Y-%m-%dT%H}"


def manual_tag(run_id: str) -> str:
    """The tag of a manual run's keys: the first 12 hex digits of its UUID."""
    return run_id.replace("-", "")[:12]


def display_period(period: str) -> str:
    """The period as the API shows it: ``2026-03-08``, ``2026-W10``, ``2026-03-09T10`` (exchange hour)."""
    exchange, sep, rest = period.partition("-")
    return rest if sep and exchange.isalpha() and exchange.isupper() else period


def idempotency_key(
    kind: NotificationKind | str, user_id: str, period: str, channel: Channel | str, target: int
) -> str:
    return f"{NotificationKind(kind).value}:{user_id}:{period}:{Channel(channel).value}:{target}"


@dataclass(frozen=True, slots=True)
class KeyParts:
    kind: NotificationKind
    user_id: str
    period: str
    channel: Channel
    target: int


def parse_key(key: str) -> KeyParts:
    parts = key.split(":")
    if len(parts) != 5:
        raise ValueError(f"not an idempotency key: {key!r}")
    kind, user, period, channel, target = parts
    return KeyParts(NotificationKind(kind), user, period, Channel(channel), int(target))


def message_id(key: str, domain: str) -> str:
    """An RFC 5322 ``Message-ID`` derived from the key, so a duplicate is recognisable downstream.

    ``:`` is not allowed in the id's left part (dot-atom), so segments are joined with ``.``.
    """
    left = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]", ".", key.replace(":", "."))
    return f"<{left}@{domain}>"


def collapse_id(kind: NotificationKind | str, period: str) -> str:
    """``apns-collapse-id`` (at most 64 bytes): a duplicate replaces the earlier notification."""
    return f"{NotificationKind(kind).value}-{display_period(period)}"[:64]

"""Delivery channels: SMTP email, FCM and APNs push, signed webhooks, behind one small Protocol.

A channel never raises for delivery problems; it classifies them:

- :class:`Sent`: the provider accepted it (``provider_id`` for the record),
- :class:`Retry`: temporary (SMTP 4xx, connection refused, FCM/APNs 429/5xx, webhook 5xx/408/429/timeouts),
  maybe with ``Retry-After``; an attempt was spent,
- :class:`Postponed`: not tried at all (the webhook endpoint's circuit breaker is open): the row waits
  ``retry_after`` and the attempt is given back,
- :class:`Skipped`: deliberately not sent (no sender for this device's platform is configured),
- :class:`Permanent`: retrying cannot help (SMTP 5xx, a malformed request, a webhook 4xx or redirect),
- :class:`InvalidTarget`: the address or device token is gone; the device is deactivated.

(The feed channel sends nothing: the worker publishes feed rows itself.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from stack_cfo.core.notifications.content import Rendered
from stack_cfo.core.notifications.kinds import Channel, Reason
from stack_cfo.core.notifications.webhooks import WebhookEndpoint


@dataclass(frozen=True, slots=True)
class Delivery:
    """One rendered notification to one target."""

    key: str
    user_id: str
    rendered: Rendered
    deadline: datetime
    email_to: str = ""
    device_token: str = ""
    device_platform: str = ""
    notification: str = ""
    """The notification's resource name, ``users/{user}/notifications/{id}``."""
    manual: bool = False
    webhook: WebhookEndpoint | None = None

    def __repr__(self) -> str:
        return f"Delivery(key={self.key!r})"


@dataclass(frozen=True, slots=True)
class Sent:
    provider_id: str


@dataclass(frozen=True, slots=True)
class Retry:
    reason: Reason
    error: str
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Postponed:
    reason: Reason
    retry_after: timedelta


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: Reason


@dataclass(frozen=True, slots=True)
class Permanent:
    reason: Reason
    error: str


@dataclass(frozen=True, slots=True)
class InvalidTarget:
    reason: Reason
    error: str


SendOutcome = Sent | Retry | Postponed | Skipped | Permanent | InvalidTarget


class DeliveryChannel(Protocol):
    @property
    def channel(self) -> Channel: ...

    async def send(self, delivery: Delivery) -> SendOutcome: ...

    async def aclose(self) -> None: ...


__all__ = [
    "Delivery",
    "DeliveryChannel",
    "InvalidTarget",
    "Permanent",
    "Postponed",
    "Retry",
    "SendOutcome",
    "Sent",
    "Skipped",
]

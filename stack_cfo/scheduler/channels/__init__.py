"""Delivery channels: SMTP email and FCM push, behind one small Protocol.

A channel never raises for delivery problems; it classifies them:

- :class:`Sent`: the provider accepted it (``provider_id`` for the record),
- :class:`Retry`: temporary (SMTP 4xx, connection refused, FCM 429/5xx), maybe with ``Retry-After``,
- :class:`Permanent`: retrying cannot help (SMTP 5xx, a malformed request),
- :class:`InvalidTarget`: the address or device token is gone; the device is deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from stack_cfo.core.notifications.content import Rendered
from stack_cfo.core.notifications.kinds import Channel, Reason


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
class Permanent:
    reason: Reason
    error: str


@dataclass(frozen=True, slots=True)
class InvalidTarget:
    reason: Reason
    error: str


SendOutcome = Sent | Retry | Permanent | InvalidTarget


class DeliveryChannel(Protocol):
    @property
    def channel(self) -> Channel: ...

    async def send(self, delivery: Delivery) -> SendOutcome: ...

    async def aclose(self) -> None: ...


__all__ = ["Delivery", "DeliveryChannel", "InvalidTarget", "Permanent", "Retry", "SendOutcome", "Sent"]

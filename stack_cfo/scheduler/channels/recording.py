"""A channel that records deliveries in memory: for demos and unit tests of the worker."""

from __future__ import annotations

from collections.abc import Callable

from stack_cfo.core.notifications.kinds import Channel
from stack_cfo.scheduler.channels import Delivery, SendOutcome, Sent


class RecordingChannel:
    def __init__(self, channel: Channel, outcome: Callable[[Delivery], SendOutcome] | None = None) -> None:
        self.channel = channel
        self.deliveries: list[Delivery] = []
        self._outcome = outcome

    async def send(self, delivery: Delivery) -> SendOutcome:
        self.deliveries.append(delivery)
        if self._outcome is not None:
            return self._outcome(delivery)
        return Sent(provider_id=f"recorded-{len(self.deliveries)}")

    async def aclose(self) -> None:
        return None

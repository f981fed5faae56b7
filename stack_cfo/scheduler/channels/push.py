"""Push to the service of the device's platform: FCM devices through FCM, APNS devices straight to APNs.

A device registered as APNS carries an APNs device token, which FCM cannot deliver; without an APNs
sender such rows are skipped (``channel_not_configured``), and likewise FCM devices without FCM.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from stack_cfo.core.notifications.kinds import Channel, Platform, Reason
from stack_cfo.scheduler.channels import Delivery, DeliveryChannel, SendOutcome, Skipped


class PushRouter:
    channel = Channel.PUSH

    def __init__(self, senders: Mapping[Platform, DeliveryChannel]) -> None:
        self.senders = dict(senders)

    async def send(self, delivery: Delivery) -> SendOutcome:
        try:
            sender = self.senders.get(Platform(delivery.device_platform))
        except ValueError:
            sender = None
        if sender is None:
            return Skipped(Reason.CHANNEL_NOT_CONFIGURED)
        return await sender.send(delivery)

    async def aclose(self) -> None:
        for sender in self.senders.values():
            with contextlib.suppress(Exception):
                await sender.aclose()

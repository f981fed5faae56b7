"""What every part of the scheduler repository shares: the named statements and the pool."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from stack_cfo.core.errors import NotFound
from stack_cfo.crypto.fields import CLEAR, SealerSource, UserCipher
from stack_cfo.store.db import Database
from stack_cfo.store.queries import load_queries

Q = load_queries("scheduler")
QD = load_queries("delivery")


def user_uuid(user_id: str, field: str = "user") -> uuid.UUID:
    try:
        return uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound.resource("user", f"users/{user_id}") from None


#: Sealed columns (see :mod:`stack_cfo.crypto.fields`), each bound to its row: prefs and devices to
#: the user, outbox columns to the outbox row id, webhook secrets to the endpoint id.
EMAIL = "notification_prefs.email_address"
PUSH_TOKEN = "push_devices.token"
OUTBOX_TITLE = "notification_outbox.title"
OUTBOX_TARGET = "notification_outbox.target_address"
OUTBOX_CONTENT = "notification_outbox.content"
WEBHOOK_SECRET = "webhook_endpoints.secret"
WEBHOOK_PREVIOUS_SECRET = "webhook_endpoints.previous_secret"
WEBHOOK_URL = "webhook_endpoints.url"
WEBHOOK_DESCRIPTION = "webhook_endpoints.description"
DEVICE_NAME = "push_devices.display_name"


class Repo:
    def __init__(self, db: Database, *, sealer: SealerSource = CLEAR) -> None:
        self.db = db
        self.sealer = sealer
        """Seals addresses, push tokens, outbox texts and webhook secrets under their owner's data key."""

    async def sealer_ciphers(self, owners: Iterable[str]) -> dict[str, UserCipher]:
        """Read ciphers of ``owners`` (each fetched once)."""
        return {o: await self.sealer.cipher(o) for o in dict.fromkeys(owners)}

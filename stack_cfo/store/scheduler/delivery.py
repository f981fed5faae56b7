"""Webhook endpoints and notification feeds: their tables, and the feed channel's side of the outbox
(publish under a per-feed lock, stream, acknowledge, expire)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.notification_feed import FeedItem, FeedWakeups, NotificationFeed
from stack_cfo.core.notifications.records import ClaimedRow
from stack_cfo.core.notifications.webhooks import Owner, WebhookEndpoint
from stack_cfo.crypto.fields import UserCipher
from stack_cfo.secret import Secret
from stack_cfo.store.listen import PgListener
from stack_cfo.store.scheduler._base import (
    OUTBOX_CONTENT,
    OUTBOX_TARGET,
    OUTBOX_TITLE,
    QD,
    WEBHOOK_DESCRIPTION,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    Repo,
    user_uuid,
)
from stack_cfo.store.scheduler.users import record_from_row

log = logging.getLogger(__name__)


def _owner_params(owner: Owner) -> dict[str, Any]:
    return {"user_id": user_uuid(owner.user_id) if owner.user_id else None, "service": owner.service}


def endpoint_from_row(r: Mapping[str, Any], cipher: UserCipher | None) -> WebhookEndpoint:
    """An endpoint; a user's secrets opened with their ``cipher`` (a service's endpoints have none:
    their secrets are the service's, not personal data, and stay as stored)."""
    owner = Owner(user_id=str(r["user_id"])) if r["user_id"] else Owner(service=r["service"])
    rid = str(r["id"])

    def secret(value: str) -> str:
        return cipher.open(WEBHOOK_SECRET, rid, value) if cipher is not None else value

    def text(column: str, value: str) -> str:
        return cipher.open(column, rid, value) if cipher is not None and value else value

    return WebhookEndpoint(
        id=r["id"],
        owner=owner,
        url=text(WEBHOOK_URL, r["url"]),
        description=text(WEBHOOK_DESCRIPTION, r["description"]),
        kinds=tuple(NotificationKind(k) for k in r["kinds"]),
        disabled=r["disabled"],
        secret=Secret(secret(r["secret"])),
        previous_secret=Secret(secret(r["previous_secret"])) if r["previous_secret"] else None,
        previous_secret_expires_at=r["previous_secret_expires_at"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


class DeliveryQueries(Repo):
    # -- webhook endpoints ----------------------------------------------------------------------

    async def _owner_cipher(self, owner: Owner, *, create: bool = False) -> UserCipher | None:
        return await self.sealer.cipher(str(user_uuid(owner.user_id)), create=create) if owner.user_id else None

    async def _endpoints(
        self, rows: Sequence[Mapping[str, Any]], *, skip_unreadable: bool = False
    ) -> list[WebhookEndpoint]:
        ciphers = await self.sealer_ciphers(str(r["user_id"]) for r in rows if r["user_id"])
        out = []
        for r in rows:
            try:
                out.append(endpoint_from_row(r, ciphers[str(r["user_id"])] if r["user_id"] else None))
            except StackCfoError as exc:
                if not skip_unreadable:
                    raise
                log.warning("a sealed webhook endpoint does not open; left out of this delivery",
                            extra={"endpoint_id": r["id"], "reason": exc.reason})
        return out

    async def create_webhook_endpoint(
        self,
        owner: Owner,
        *,
        url: str,
        description: str,
        kinds: Sequence[NotificationKind],
        disabled: bool,
        secret: str,
        limit: int,
    ) -> WebhookEndpoint | None:
        cipher = await self._owner_cipher(owner, create=True)
        params = {
            **_owner_params(owner),
            "url": url,
            "description": description,
            "kinds": [k.value for k in kinds],
            "disabled": disabled,
            "secret": secret,
            "limit": limit,
        }
        async with self.db.transaction() as conn:
            await conn.execute(QD.lock_owner, params)
            # The id first: the sealed secret is bound to its row.
            new_id = (await (await conn.execute(QD.next_webhook_endpoint_id)).fetchone())["id"]  # type: ignore[index]
            params["id"] = new_id
            if cipher is not None:
                params["secret"] = cipher.seal(WEBHOOK_SECRET, str(new_id), secret)
                params["url"] = cipher.seal(WEBHOOK_URL, str(new_id), url)
                if description:
                    params["description"] = cipher.seal(WEBHOOK_DESCRIPTION, str(new_id), description)
            row = await (await conn.execute(QD.create_webhook_endpoint, params)).fetchone()
        return endpoint_from_row(row, cipher) if row else None

    async def get_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> WebhookEndpoint | None:
        async with self.db.connection() as conn:
            row = await (
                await conn.execute(QD.get_webhook_endpoint, {**_owner_params(owner), "id": endpoint_id})
            ).fetchone()
        return endpoint_from_row(row, await self._owner_cipher(owner)) if row else None

    async def list_webhook_endpoints(self, owner: Owner, *, limit: int, after_id: int) -> list[WebhookEndpoint]:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    QD.list_webhook_endpoints, {**_owner_params(owner), "limit": limit, "after_id": after_id}
                )
            ).fetchall()
        return await self._endpoints(rows)

    async def update_webhook_endpoint(
        self, owner: Owner, endpoint_id: int, changes: Mapping[str, Any]
    ) -> WebhookEndpoint | None:
        cipher = await self._owner_cipher(owner, create=True)
        sealed = dict(changes)
        if cipher is not None:
            rid = str(endpoint_id)
            if sealed.get("url") is not None:
                sealed["url"] = cipher.seal(WEBHOOK_URL, rid, sealed["url"])
            if sealed.get("description"):
                sealed["description"] = cipher.seal(WEBHOOK_DESCRIPTION, rid, sealed["description"])
        params = {**_owner_params(owner), "id": endpoint_id, "url": None, "description": None, "kinds": None,
                  "disabled": None, **sealed}
        async with self.db.connection() as conn:
            row = await (await conn.execute(QD.update_webhook_endpoint, params)).fetchone()
        return endpoint_from_row(row, cipher) if row else None

    async def delete_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> bool:
        async with self.db.connection() as conn:
            row = await (
                await conn.execute(QD.delete_webhook_endpoint, {**_owner_params(owner), "id": endpoint_id})
            ).fetchone()
        return row is not None

    async def rotate_webhook_secret(
        self, owner: Owner, endpoint_id: int, *, secret: str, previous_until: datetime
    ) -> WebhookEndpoint | None:
        cipher = await self._owner_cipher(owner, create=True)
        sealed = cipher.seal(WEBHOOK_SECRET, str(endpoint_id), secret) if cipher is not None else secret
        params = {**_owner_params(owner), "id": endpoint_id, "secret": sealed, "previous_until": previous_until}
        async with self.db.connection() as conn:
            row = await (await conn.execute(QD.rotate_webhook_secret, params)).fetchone()
        return endpoint_from_row(row, cipher) if row else None

    async def webhook_endpoints(self, ids: Sequence[int], *, skip_unreadable: bool = False
                                ) -> dict[int, WebhookEndpoint]:
        if not ids:
            return {}
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QD.endpoints_by_ids, {"ids": list(ids)})).fetchall()
        return {e.id: e for e in await self._endpoints(rows, skip_unreadable=skip_unreadable)}

    # -- notification feeds ---------------------------------------------------------------------

    async def get_feed(self, service: str) -> NotificationFeed | None:
        async with self.db.connection() as conn:
            r = await (await conn.execute(QD.get_feed, {"service": service})).fetchone()
        if r is None:
            return None
        return NotificationFeed(
            service=r["service"],
            enabled=r["enabled"],
            kinds=tuple(NotificationKind(k) for k in r["kinds"]),
            id=r["id"],
            unacknowledged=r["unacknowledged"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )

    async def save_feed(self, service: str, *, enabled: bool, kinds: Sequence[NotificationKind]) -> NotificationFeed:
        async with self.db.connection() as conn:
            params = {"service": service, "enabled": enabled, "kinds": [k.value for k in kinds]}
            await conn.execute(QD.save_feed, params)
        saved = await self.get_feed(service)
        assert saved is not None
        return saved

    async def feed_services(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QD.feeds_by_ids, {"ids": list(ids)})).fetchall()
        return {r["id"]: r["service"] for r in rows}

    async def publish_to_feed(
        self,
        row: ClaimedRow,
        worker: str,
        *,
        document: Mapping[str, Any],
        grace: timedelta,
        title: str,
        target: str,
        now: datetime | None,
        degraded_reason: str = "",
        receipt_ids: Sequence[str] = (),
    ) -> int | None:
        """Put a claimed feed row on its feed (fenced, with the provenance of its AI texts); its cursor,
        or None if the claim was lost."""
        cipher = await self.sealer.cipher(row.user_id, create=True)
        rid = str(row.id)
        params = {
            "id": row.id,
            "worker": worker,
            "attempts": row.attempts,
            "content": Jsonb(cipher.seal_json(OUTBOX_CONTENT, rid, document),
                             dumps=lambda d: json.dumps(d, ensure_ascii=False)),
            "grace": grace,
            "title": cipher.seal(OUTBOX_TITLE, rid, title),
            "target": cipher.seal(OUTBOX_TARGET, rid, target),
            "now": now,
            "feed_id": row.target_id,
            "degraded_reason": degraded_reason,
            "receipt_ids": list(receipt_ids),
            **_locale_of(document),
        }
        async with self.db.transaction() as conn:
            await conn.execute(QD.lock_feed, params)
            r = await (await conn.execute(QD.publish_feed, params)).fetchone()
            if r is not None:
                await conn.execute(QD.notify_feed, params)
        return r["feed_seq"] if r else None

    async def feed_last_seq(self, feed_id: int) -> int:
        async with self.db.connection() as conn:
            r = await (await conn.execute(QD.feed_last_seq, {"feed_id": feed_id})).fetchone()
        return int(r["last"]) if r else 0

    async def feed_items(self, feed_id: int, *, after_seq: int, limit: int) -> list[FeedItem]:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(QD.feed_items, {"feed_id": feed_id, "after_seq": after_seq, "limit": limit})
            ).fetchall()
        ciphers = await self.sealer_ciphers(str(r["user_id"]) for r in rows)
        items = []
        for r in rows:
            cipher = ciphers[str(r["user_id"])]
            content = cipher.open_json(OUTBOX_CONTENT, str(r["id"]), r["content"]) if r["content"] else {}
            items.append(FeedItem(r["feed_seq"], record_from_row(r, cipher), content or {}))
        return items

    async def acknowledge(self, feed_id: int, notifications: Sequence[tuple[str, int]]) -> int:
        params = {"feed_id": feed_id, "users": [u for u, _ in notifications], "ids": [i for _, i in notifications]}
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QD.acknowledge_feed, params)).fetchall()
        return len(rows)

    async def expire_feed_rows(self, *, now: datetime | None = None, limit: int = 1000) -> int:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QD.expire_feed, {"now": now, "limit": limit})).fetchall()
        return len(rows)


FEED_CHANNEL = "stack_cfo_feed"


class PgFeedListener(PgListener):
    """Wakes WatchNotifications streams when a notification is published on their feed (NOTIFY with the
    feed id, sent in the publishing transaction); after a reconnect every stream looks again."""

    channels = (FEED_CHANNEL,)
    name = "notification-feed"

    def __init__(self, conninfo: str, wakeups: FeedWakeups, **kw: Any) -> None:
        super().__init__(conninfo, **kw)
        self.wakeups = wakeups

    async def start(self) -> None:
        self._start_task()

    async def aclose(self) -> None:
        await self.stop()

    def _dispatch(self, channel: str, payload: str) -> None:
        if payload.isascii() and payload.isdigit() and len(payload) <= 18:
            self.wakeups.notify(int(payload))

    def _on_connect(self) -> None:
        self.wakeups.notify_all()


def _locale_of(document: Mapping[str, Any]) -> dict[str, str | None]:
    """The locale columns of a feed row, from its document's content (notification_document)."""
    data = document.get("data")
    content = data.get("content") if isinstance(data, Mapping) else None
    if not isinstance(content, Mapping):
        return {"locale": None, "locale_fallback_from": None}
    return {
        "locale": str(content.get("locale") or "") or None,
        "locale_fallback_from": str(content.get("locale_fallback_from") or "") or None,
    }

"""Webhook endpoints and notification feeds: their tables, and the feed channel's side of the outbox
(publish under a per-feed lock, stream, acknowledge, expire)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.notification_feed import FeedItem, FeedWakeups, NotificationFeed
from stack_cfo.core.notifications.records import ClaimedRow
from stack_cfo.core.notifications.webhooks import Owner, WebhookEndpoint
from stack_cfo.secret import Secret
from stack_cfo.store.listen import PgListener
from stack_cfo.store.scheduler._base import QD, Repo, user_uuid
from stack_cfo.store.scheduler.users import record_from_row


def _owner_params(owner: Owner) -> dict[str, Any]:
    return {"user_id": user_uuid(owner.user_id) if owner.user_id else None, "service": owner.service}


def endpoint_from_row(r: Mapping[str, Any]) -> WebhookEndpoint:
    owner = Owner(user_id=str(r["user_id"])) if r["user_id"] else Owner(service=r["service"])
    return WebhookEndpoint(
        id=r["id"],
        owner=owner,
        url=r["url"],
        description=r["description"],
        kinds=tuple(NotificationKind(k) for k in r["kinds"]),
        disabled=r["disabled"],
        secret=Secret(r["secret"]),
        previous_secret=Secret(r["previous_secret"]) if r["previous_secret"] else None,
        previous_secret_expires_at=r["previous_secret_expires_at"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


class DeliveryQueries(Repo):
    # -- webhook endpoints ----------------------------------------------------------------------

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
            row = await (await conn.execute(QD.create_webhook_endpoint, params)).fetchone()
        return endpoint_from_row(row) if row else None

    async def get_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> WebhookEndpoint | None:
        async with self.db.connection() as conn:
            row = await (
                await conn.execute(QD.get_webhook_endpoint, {**_owner_params(owner), "id": endpoint_id})
            ).fetchone()
        return endpoint_from_row(row) if row else None

    async def list_webhook_endpoints(self, owner: Owner, *, limit: int, after_id: int) -> list[WebhookEndpoint]:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    QD.list_webhook_endpoints, {**_owner_params(owner), "limit": limit, "after_id": after_id}
                )
            ).fetchall()
        return [endpoint_from_row(r) for r in rows]

    async def update_webhook_endpoint(
        self, owner: Owner, endpoint_id: int, changes: Mapping[str, Any]
    ) -> WebhookEndpoint | None:
        params = {**_owner_params(owner), "id": endpoint_id, "url": None, "description": None, "kinds": None,
                  "disabled": None, **changes}
        async with self.db.connection() as conn:
            row = await (await conn.execute(QD.update_webhook_endpoint, params)).fetchone()
        return endpoint_from_row(row) if row else None

    async def delete_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> bool:
        async with self.db.connection() as conn:
            row = await (
                await conn.execute(QD.delete_webhook_endpoint, {**_owner_params(owner), "id": endpoint_id})
            ).fetchone()
        return row is not None

    async def rotate_webhook_secret(
        self, owner: Owner, endpoint_id: int, *, secret: str, previous_until: datetime
    ) -> WebhookEndpoint | None:
        params = {**_owner_params(owner), "id": endpoint_id, "secret": secret, "previous_until": previous_until}
        async with self.db.connection() as conn:
            row = await (await conn.execute(QD.rotate_webhook_secret, params)).fetchone()
        return endpoint_from_row(row) if row else None

    async def webhook_endpoints(self, ids: Sequence[int]) -> dict[int, WebhookEndpoint]:
        if not ids:
            return {}
        async with self.db.connection() as conn:
            rows = await (await conn.execute(QD.endpoints_by_ids, {"ids": list(ids)})).fetchall()
        return {r["id"]: endpoint_from_row(r) for r in rows}

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
        params = {
            "id": row.id,
            "worker": worker,
            "attempts": row.attempts,
            "content": Jsonb(document, dumps=lambda d: json.dumps(d, ensure_ascii=False)),
            "grace": grace,
            "title": title,
            "target": target,
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

    async def feed_items(self, feed_id: int, *, after_seq: int, limit: int) -> list[FeedItem]:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(QD.feed_items, {"feed_id": feed_id, "after_seq": after_seq, "limit": limit})
            ).fetchall()
        return [FeedItem(r["feed_seq"], record_from_row(r), r["content"] or {}) for r in rows]

    async def acknowledge(self, feed_id: int, notification_ids: Sequence[int]) -> int:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(QD.acknowledge_feed, {"feed_id": feed_id, "ids": list(notification_ids)})
            ).fetchall()
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
        if payload.isdigit():
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

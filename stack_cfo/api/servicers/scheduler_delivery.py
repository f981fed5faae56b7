"""SchedulerService's webhook endpoint and notification feed methods: translation between the contract and
:class:`~stack_cfo.core.notifications.webhooks.WebhookEndpointService` /
:class:`~stack_cfo.core.notifications.notification_feed.FeedService`.

Mixed into :class:`~stack_cfo.api.servicers.scheduler.SchedulerServicer`, which provides ``webhooks``,
``feed``, ``page_tokens`` and ``idempotency``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import grpc
from google.protobuf import duration_pb2, empty_pb2

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo.api.auth import current_principal, require_service
from stack_cfo.api.resources import parse_own_service_singleton, parse_owner, parse_owner_child, parse_user_child
from stack_cfo.api.servicers.scheduler_messages import KINDS, KINDS_OUT
from stack_cfo.api.validation import PageTokens, invalid, set_timestamp
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import each_checked
from stack_cfo.core.idempotency import IdempotencyStore, request_key
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.notification_feed import FeedService, NotificationFeed, check_ack_count
from stack_cfo.core.notifications.webhooks import Owner, WebhookEndpoint, WebhookEndpointService

_ENDPOINT_PATHS = ("url", "description", "kinds", "disabled")
_FEED_PATHS = ("enabled", "kinds")


def _kinds_in(values: Any, field: str) -> list[NotificationKind]:
    out = []
    for i, v in enumerate(values):
        if v not in KINDS:
            raise invalid(f"{field}[{i}]", f"unknown notification kind {v}", reason="INVALID_ENUM")
        out.append(KINDS[v])
    return out


def endpoint_to_proto(e: WebhookEndpoint, *, with_secret: bool = False) -> pb.WebhookEndpoint:
    out = pb.WebhookEndpoint(
        name=e.name,
        url=e.url,
        description=e.description,
        kinds=sorted(KINDS_OUT[k] for k in e.kinds),  # (stored as a set: in the enum's order)
        disabled=e.disabled,
        secret=e.secret.get() if with_secret else "",
    )
    if e.previous_secret is not None:
        set_timestamp(out.previous_secret_expire_time, e.previous_secret_expires_at)
    set_timestamp(out.create_time, e.created_at)
    set_timestamp(out.update_time, e.updated_at)
    return out


def feed_to_proto(feed: NotificationFeed, grace: Any) -> pb.NotificationFeed:
    out = pb.NotificationFeed(
        name=feed.name,
        enabled=feed.enabled,
        kinds=sorted(KINDS_OUT[k] for k in feed.kinds),
        unacknowledged_count=feed.unacknowledged,
    )
    d = duration_pb2.Duration()
    d.FromTimedelta(grace)
    out.acknowledgement_grace.CopyFrom(d)
    set_timestamp(out.create_time, feed.created_at)
    set_timestamp(out.update_time, feed.updated_at)
    return out


def content_to_proto(document: Mapping[str, Any]) -> pb.NotificationContent:
    """``data.content`` of a notification document (document.py) as NotificationContent."""
    c = document.get("data", {}).get("content", {})
    out = pb.NotificationContent(
        title=c.get("title", ""),
        body=c.get("body", ""),
        subject=c.get("subject", ""),
        text=c.get("text", ""),
        html=c.get("html", ""),
        deep_link=c.get("deep_link", ""),
        data={str(k): str(v) for k, v in c.get("data", {}).items()},
        receipts=[str(r) for r in c.get("receipts", [])],
        locale=str(c.get("locale") or ""),
        locale_fallback_from=str(c.get("locale_fallback_from") or ""),
        figures=[pb.ContentFigure(name=f["name"], value=f["value"], unit=f["unit"]) for f in c.get("figures", [])],
    )
    for b in c.get("blocks", []):
        block = out.blocks.add(type=b.get("type", ""), text=b.get("text", ""))
        for item in b.get("items", []):
            block.items.add(text=item.get("text", ""), url=item.get("url", ""), detail=item.get("detail", ""))
        for point in b.get("points", []):
            day = date.fromisoformat(point["date"])
            p = block.points.add(value=point["value"])
            p.date.year, p.date.month, p.date.day = day.year, day.month, day.day
    return out


def _endpoint_changes(request: pb.UpdateWebhookEndpointRequest) -> dict[str, Any]:
    e = request.webhook_endpoint
    paths = list(request.update_mask.paths)
    if not paths:
        paths = [p for p in ("url", "description") if getattr(e, p)]
        paths += ["kinds"] if e.kinds else []
        paths += ["disabled"] if e.disabled else []
    elif "*" in paths:  # full replacement (AIP-134), as UpdateNotificationPreferences accepts it
        paths = list(_ENDPOINT_PATHS)
    changes: dict[str, Any] = {}
    for path in paths:
        if path == "kinds":
            changes[path] = _kinds_in(e.kinds, "webhook_endpoint.kinds")
        elif path in _ENDPOINT_PATHS:
            changes[path] = getattr(e, path)
        else:
            changes[path] = None  # unknown path: the domain rejects it naming the mask
    return changes


class DeliveryRpcs:
    """Webhook endpoints (users' and services') and the notification feed of services."""

    webhooks: WebhookEndpointService
    feed: FeedService
    page_tokens: PageTokens
    idempotency: IdempotencyStore

    # -- webhook endpoints -------------------------------------------------------------------------

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.WebhookEndpoint:
        user_id, service = parse_owner(request.parent, field="parent")
        e = request.webhook_endpoint
        kinds = _kinds_in(e.kinds, "webhook_endpoint.kinds")
        key = request_key("CreateWebhookEndpoint", current_principal().key, request)

        async def work() -> bytes:
            created = await self.webhooks.create(
                Owner(user_id, service), url=e.url, description=e.description, kinds=kinds, disabled=e.disabled
            )
            return endpoint_to_proto(created, with_secret=True).SerializeToString()

        return pb.WebhookEndpoint.FromString(await self.idempotency.run(key, work))

    async def GetWebhookEndpoint(
        self, request: pb.GetWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.WebhookEndpoint:
        user_id, service, endpoint_id = parse_owner_child(request.name, "webhookEndpoints")
        return endpoint_to_proto(await self.webhooks.get(Owner(user_id, service), endpoint_id))

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWebhookEndpointsResponse:
        user_id, service = parse_owner(request.parent, field="parent")
        scope = f"ListWebhookEndpoints:{request.parent}"
        after = self.page_tokens.decode_after_id(request.page_token, scope=scope)
        page = await self.webhooks.list(Owner(user_id, service), page_size=request.page_size, after_id=after)
        return pb.ListWebhookEndpointsResponse(
            webhook_endpoints=[endpoint_to_proto(e) for e in page.items],
            next_page_token=self.page_tokens.encode_after_id(page.next_after, scope=scope),
        )

    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.WebhookEndpoint:
        user_id, service, endpoint_id = parse_owner_child(
            request.webhook_endpoint.name, "webhookEndpoints", field="webhook_endpoint.name"
        )
        updated = await self.webhooks.update(Owner(user_id, service), endpoint_id, _endpoint_changes(request))
        return endpoint_to_proto(updated)

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        user_id, service, endpoint_id = parse_owner_child(request.name, "webhookEndpoints")
        await self.webhooks.delete(Owner(user_id, service), endpoint_id)
        return empty_pb2.Empty()

    async def RotateWebhookEndpointSecret(
        self, request: pb.RotateWebhookEndpointSecretRequest, context: grpc.aio.ServicerContext
    ) -> pb.WebhookEndpoint:
        user_id, service, endpoint_id = parse_owner_child(request.name, "webhookEndpoints")
        key = request_key("RotateWebhookEndpointSecret", current_principal().key, request)

        async def work() -> bytes:
            rotated = await self.webhooks.rotate_secret(Owner(user_id, service), endpoint_id)
            return endpoint_to_proto(rotated, with_secret=True).SerializeToString()

        return pb.WebhookEndpoint.FromString(await self.idempotency.run(key, work))

    # -- the notification feed -------------------------------------------------------------------------

    @staticmethod
    def _own_feed(name: str, field: str, operation: str) -> str:
        require_service(current_principal(), operation=operation)
        return parse_own_service_singleton(name, "notificationFeed", field=field)

    async def GetNotificationFeed(
        self, request: pb.GetNotificationFeedRequest, context: grpc.aio.ServicerContext
    ) -> pb.NotificationFeed:
        service = self._own_feed(request.name, "name", "GetNotificationFeed")
        with system_scope("notification-feed"):  # unacknowledged_count counts many users' notifications
            return feed_to_proto(await self.feed.get(service), self.feed.ack_grace)

    async def UpdateNotificationFeed(
        self, request: pb.UpdateNotificationFeedRequest, context: grpc.aio.ServicerContext
    ) -> pb.NotificationFeed:
        service = self._own_feed(request.feed.name, "feed.name", "UpdateNotificationFeed")
        changes: dict[str, Any] = {}
        paths = list(request.update_mask.paths) or list(_FEED_PATHS)
        for path in list(_FEED_PATHS) if "*" in paths else paths:  # "*": full replacement (AIP-134)
            if path == "kinds":
                changes[path] = _kinds_in(request.feed.kinds, "feed.kinds")
            else:
                changes[path] = getattr(request.feed, path) if path in _FEED_PATHS else None
        with system_scope("notification-feed"):  # unacknowledged_count counts many users' notifications
            return feed_to_proto(await self.feed.update(service, changes), self.feed.ack_grace)

    async def AcknowledgeNotifications(
        self, request: pb.AcknowledgeNotificationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcknowledgeNotificationsResponse:
        service = self._own_feed(request.feed, "feed", "AcknowledgeNotifications")
        check_ack_count(len(request.notifications))

        def notification_id(name: str, i: int) -> tuple[str, int] | None:
            user_id, raw = parse_user_child(name, "notifications", field=f"notifications[{i}]")
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
                return None  # well formed, but no notification has such an id: unknown, ignored
            return user_id, int(raw)

        ids = [n for n in each_checked(request.notifications, notification_id, prefix="notifications") if n]
        if not ids:
            return pb.AcknowledgeNotificationsResponse(acknowledged_count=0)
        with system_scope("notification-feed"):  # the acknowledged rows are many users' notifications
            acknowledged = await self.feed.acknowledge(service, ids)
        return pb.AcknowledgeNotificationsResponse(acknowledged_count=acknowledged)

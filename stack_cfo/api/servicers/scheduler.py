"""SchedulerService: translation between the contract and
:class:`~stack_cfo.core.notifications.service.NotificationService`.

The service reads and writes the scheduler's tables; it never calls the scheduler process.
``RunJob`` delivers the rows it planned from this process (same claim fencing as the
scheduler), so a manual run completes even when no scheduler replica is up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import time
from typing import Any

import grpc
from google.protobuf import duration_pb2, empty_pb2

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal, require_service
from stack_cfo.api.provenance import receipt_to_proto
from stack_cfo.api.resources import authorize, parse_user, parse_user_child, parse_user_singleton
from stack_cfo.api.servicers.scheduler_delivery import DeliveryRpcs, content_to_proto
from stack_cfo.api.servicers.scheduler_messages import (
    CHANNELS_OUT,
    KINDS,
    KINDS_OUT,
    STATUSES,
    STATUSES_OUT,
    UNSUBSCRIBE_SCOPES,
)
from stack_cfo.api.validation import PageTokens, invalid, set_timestamp
from stack_cfo.core import data_scope
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import FieldViolation, InvalidArgument, PermissionDenied
from stack_cfo.core.i18n import resolve_locale
from stack_cfo.core.idempotency import IdempotencyStore, request_key, validate_request_id
from stack_cfo.core.notifications.kinds import OutboxStatus, Platform
from stack_cfo.core.notifications.notification_feed import FeedService
from stack_cfo.core.notifications.preferences import BOOL_FIELDS, NotificationPreferences, default_preferences
from stack_cfo.core.notifications.records import NotificationRecord
from stack_cfo.core.notifications.service import NotificationService, RunStage
from stack_cfo.core.notifications.webhooks import WebhookEndpointService
from stack_cfo.core.provenance import Receipt

STAGES = {
    RunStage.PLANNED: pb.RUN_JOB_STAGE_PLANNED,
    RunStage.SENT: pb.RUN_JOB_STAGE_SENT,
    RunStage.SKIPPED: pb.RUN_JOB_STAGE_SKIPPED,
    RunStage.FAILED: pb.RUN_JOB_STAGE_FAILED,
    RunStage.DONE: pb.RUN_JOB_STAGE_DONE,
    RunStage.USER_SKIPPED: pb.RUN_JOB_STAGE_USER_SKIPPED,
}
PLATFORMS = {pb.DEVICE_PLATFORM_FCM: Platform.FCM, pb.DEVICE_PLATFORM_APNS: Platform.APNS}
PLATFORMS_OUT = {v: k for k, v in PLATFORMS.items()}

_OPTIONAL_BOOLS = BOOL_FIELDS
_MASKABLE = (
    "time_zone",
    *_OPTIONAL_BOOLS,
    "email_address",
    "quiet_hours_start",
    "quiet_hours_end",
    "alert_threshold_percent",
    "alert_threshold_sigma",
    "locale",
)
#: Mask paths whose zero (unset) value is not allowed and so stands for the field's default.
_DEFAULT_WHEN_ZERO = ("alert_threshold_percent", "alert_threshold_sigma")


def _time_of_day(target: Any, value: time | None) -> None:
    if value is not None:
        target.hours, target.minutes = value.hour, value.minute


def preferences_to_proto(prefs: NotificationPreferences, default_locale: str = "en") -> pb.NotificationPreferences:
    out = pb.NotificationPreferences(
        name=f"users/{prefs.user_id}/notificationPreferences",
        time_zone=prefs.time_zone,
        daily_digest_enabled=prefs.daily_digest_enabled,
        weekly_summary_enabled=prefs.weekly_summary_enabled,
        performance_alerts_enabled=prefs.performance_alerts_enabled,
        email_enabled=prefs.email_enabled,
        push_enabled=prefs.push_enabled,
        webhook_enabled=prefs.webhook_enabled,
        feed_enabled=prefs.feed_enabled,
        email_address=prefs.email_address,
        alert_threshold_percent=prefs.alert_threshold_percent,
        alert_threshold_sigma=prefs.alert_threshold_sigma,
        locale=prefs.locale,
        effective_locale=resolve_locale(prefs.locale, default_locale).tag,
    )
    _time_of_day(out.quiet_hours_start, prefs.quiet_hours_start)
    _time_of_day(out.quiet_hours_end, prefs.quiet_hours_end)
    set_timestamp(out.update_time, prefs.update_time)
    return out


def preference_changes(request: pb.UpdateNotificationPreferencesRequest) -> dict[str, Any]:
    """Update-mask paths -> values (AIP-134: no mask means every populated field)."""
    p = request.preferences
    # "name" and "update_time" in the mask are ignored (the contract): the name picks the user, the
    # time is output only.
    paths = [path for path in request.update_mask.paths if path not in ("name", "update_time")]
    if not request.update_mask.paths:
        paths = [f for f in _OPTIONAL_BOOLS if p.HasField(f)]
        paths += [f for f in ("time_zone", "email_address", "locale") if getattr(p, f)]
        paths += [f for f in ("quiet_hours_start", "quiet_hours_end") if p.HasField(f)]
        paths += [f for f in ("alert_threshold_percent", "alert_threshold_sigma") if getattr(p, f)]
    elif "*" in paths:
        return _replacement(p)
    changes: dict[str, Any] = {}
    defaults = default_preferences("")
    for path in paths:
        if path in ("quiet_hours_start", "quiet_hours_end"):
            changes[path] = (getattr(p, path).hours, getattr(p, path).minutes) if p.HasField(path) else None
        elif path in _OPTIONAL_BOOLS:
            # AIP-134: a field named in the mask but not set goes back to its default (as with "*")
            changes[path] = getattr(p, path) if p.HasField(path) else getattr(defaults, path)
        elif path == "time_zone":
            changes[path] = p.time_zone or defaults.time_zone
        elif path in _DEFAULT_WHEN_ZERO:
            # the thresholds must be > 0: an unset (zero) one named in the mask means its default, 2.0
            changes[path] = getattr(p, path) or getattr(defaults, path)
        elif path in _MASKABLE:
            # email_address and locale: empty is their own meaning (no e-mail; the server default)
            changes[path] = getattr(p, path)
        else:
            changes[path] = None  # unknown path: the domain rejects it naming the mask
    return changes


def _replacement(p: pb.NotificationPreferences) -> dict[str, Any]:
    """Mask "*": every field from ``p``, the default where ``p`` leaves it unset (an optional bool
    absent, an empty string, a zero threshold, quiet hours unset: off)."""
    defaults = default_preferences("")
    changes: dict[str, Any] = {}
    for path in _MASKABLE:
        if path in ("quiet_hours_start", "quiet_hours_end"):
            changes[path] = (getattr(p, path).hours, getattr(p, path).minutes) if p.HasField(path) else None
        elif path in _OPTIONAL_BOOLS:
            changes[path] = getattr(p, path) if p.HasField(path) else getattr(defaults, path)
        else:
            changes[path] = getattr(p, path) or getattr(defaults, path)
    return changes


def device_to_proto(d: Any) -> pb.Device:
    out = pb.Device(
        name=f"users/{d.user_id}/devices/{d.id}",
        platform=PLATFORMS_OUT.get(d.platform, pb.DEVICE_PLATFORM_UNSPECIFIED),
        display_name=d.display_name,
        active=d.active,
    )
    set_timestamp(out.create_time, d.created_at)
    set_timestamp(out.update_time, d.updated_at)
    return out


def notification_to_proto(r: NotificationRecord, receipts: Mapping[str, Receipt] | None = None) -> pb.Notification:
    out = pb.Notification(
        name=r.name,
        kind=KINDS_OUT.get(r.kind, pb.NOTIFICATION_KIND_UNSPECIFIED),
        channel=CHANNELS_OUT.get(r.channel, pb.NOTIFICATION_CHANNEL_UNSPECIFIED),
        status=STATUSES_OUT.get(r.status, pb.NOTIFICATION_STATUS_UNSPECIFIED),
        reason=r.reason or "",
        period=r.display_period,
        title=r.title or "",
        target=r.target,
        attempt_count=r.attempts,
        manual=r.manual,
        idempotency_key=r.key,
        locale=r.locale,
        locale_fallback_from=r.locale_fallback_from,
    )
    set_timestamp(out.schedule_time, r.scheduled_for)
    set_timestamp(out.send_time, r.sent_at)
    if r.status is OutboxStatus.RETRY:
        set_timestamp(out.next_attempt_time, r.next_attempt_at)
    set_timestamp(out.create_time, r.created_at)
    out.degraded_reason = r.degraded_reason
    for rid in r.receipt_ids:
        receipt = (receipts or {}).get(rid)
        if receipt is not None:
            receipt_to_proto(receipt, out.receipts.add())
    return out


class SchedulerServicer(DeliveryRpcs, pb_grpc.SchedulerServiceServicer):
    def __init__(
        self,
        service: NotificationService,
        page_tokens: PageTokens,
        idempotency: IdempotencyStore,
        webhooks: WebhookEndpointService,
        feed: FeedService,
    ) -> None:
        self.service = service
        self.page_tokens = page_tokens
        self.idempotency = idempotency
        self.webhooks = webhooks
        self.feed = feed

    async def GetSchedulerStatus(
        self, request: pb.GetSchedulerStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.SchedulerStatus:
        require_service(current_principal(), operation="GetSchedulerStatus")
        st = await self.service.status()  # in the system scope: counts over every user
        out = pb.SchedulerStatus()
        for j in st.jobs:
            job = out.jobs.add(
                kind=KINDS_OUT[j.kind], schedule=j.schedule, time_zone=j.time_zone, enabled=j.enabled
            )
            set_timestamp(job.next_run_time, j.next_run_time)
            set_timestamp(job.last_run_time, j.last_run_time)
            for status, n in sorted(j.counts.items(), key=lambda kv: STATUSES_OUT[kv[0]]):
                job.counts.add(status=STATUSES_OUT[status], count=n)
            age = duration_pb2.Duration()
            age.FromTimedelta(j.oldest_pending_age)
            job.oldest_pending_age.CopyFrom(age)
        for r in st.replicas:
            rep = out.replicas.add(replica_id=r.replica_id, alive=r.alive, version=r.version)
            set_timestamp(rep.start_time, r.start_time)
            set_timestamp(rep.heartbeat_time, r.heartbeat_time)
        set_timestamp(out.read_time, st.read_time)
        return out

    async def RunJob(
        self, request: pb.RunJobRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        require_service(current_principal(), operation="RunJob")
        kind = KINDS.get(request.kind)
        if kind is None:
            if request.kind:
                raise invalid("kind", f"unknown notification kind {request.kind}", reason="INVALID_ENUM")
            raise invalid("kind", "is required (DAILY_DIGEST, WEEKLY_SUMMARY or PERFORMANCE_ALERT)",
                          reason="MISSING_FIELD")
        user_id = parse_user(request.user, field="user") if request.user else None
        request_id = validate_request_id(request.request_id)
        events = self.service.run_job(
            kind=kind, user_id=user_id, request_id=request_id or None, principal=current_principal().key
        )
        # An operator's job over every user (or one): run_job runs in the system scope.
        try:
            async for ev in events:
                out = pb.RunJobResponse(
                    stage=STAGES[ev.stage],
                    counts=pb.JobCounts(
                        planned=ev.counts.planned,
                        sent=ev.counts.sent,
                        skipped=ev.counts.skipped,
                        failed=ev.counts.failed,
                        skipped_users=ev.counts.skipped_users,
                    ),
                    notification=ev.notification,
                    channel=CHANNELS_OUT[ev.channel] if ev.channel else pb.NOTIFICATION_CHANNEL_UNSPECIFIED,
                    reason=ev.reason,
                    user=f"users/{ev.user_id}" if ev.user_id else "",
                )
                set_timestamp(out.event_time, ev.event_time)
                yield out
        finally:
            closer = getattr(events, "aclose", None)
            if closer is not None:
                await closer()

    async def GetNotificationPreferences(
        self, request: pb.GetNotificationPreferencesRequest, context: grpc.aio.ServicerContext
    ) -> pb.NotificationPreferences:
        user_id = parse_user_singleton(request.name, "notificationPreferences", field="name")
        authorize(user_id, request.name)
        own = current_principal().user_id == user_id  # a service's read creates no user
        prefs = await self.service.preferences(user_id, create=own)
        return preferences_to_proto(prefs, self.service.default_locale)

    async def UpdateNotificationPreferences(
        self, request: pb.UpdateNotificationPreferencesRequest, context: grpc.aio.ServicerContext
    ) -> pb.NotificationPreferences:
        name = request.preferences.name
        user_id = parse_user_singleton(name, "notificationPreferences", field="preferences.name")
        authorize(user_id, name)
        changes = preference_changes(request)
        try:
            prefs = await self.service.update_preferences(user_id, changes)
        except InvalidArgument as exc:
            raise _in_request(exc, "preferences.") from None
        return preferences_to_proto(prefs, self.service.default_locale)

    async def Unsubscribe(
        self, request: pb.UnsubscribeRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnsubscribeResponse:
        scope = UNSUBSCRIBE_SCOPES.get(request.scope)
        if scope is None:
            raise invalid("scope", f"unknown unsubscribe scope {request.scope}", reason="INVALID_ENUM")
        token = self.service.read_unsubscribe_token(request.token)
        principal = current_principal()
        if not (principal.is_service or principal.user_id == token.user_id):
            # the token is valid (it verified): saying so to another user leaks nothing they do not hold
            raise PermissionDenied(
                "this unsubscribe token is another user's: only that user or a service principal may apply it",
                reason="UNSUBSCRIBE_TOKEN_OF_ANOTHER_USER",
            )
        data_scope.act_for(token.user_id)
        prefs = await self.service.unsubscribe(token.user_id, token.kind, scope)
        return pb.UnsubscribeResponse(
            user=f"users/{token.user_id}",
            kind=KINDS_OUT[token.kind],
            preferences=preferences_to_proto(prefs, self.service.default_locale),
        )

    async def RegisterDevice(
        self, request: pb.RegisterDeviceRequest, context: grpc.aio.ServicerContext
    ) -> pb.Device:
        user_id = parse_user(request.parent, field="parent")
        principal = authorize(user_id, request.parent)
        key = request_key("RegisterDevice", principal.key, request)
        platform = PLATFORMS.get(request.device.platform)
        if platform is None:
            if request.device.platform:
                raise invalid("device.platform", f"unknown device platform {request.device.platform}",
                              reason="INVALID_ENUM")
            raise invalid("device.platform", "is required (FCM or APNS)", reason="MISSING_FIELD")

        async def work() -> bytes:
            device = await self.service.register_device(
                user_id, platform=platform, token=request.device.token, display_name=request.device.display_name
            )
            return device_to_proto(device).SerializeToString()

        stored = await self.idempotency.run(key, work)
        return pb.Device.FromString(stored)

    async def DeleteDevice(
        self, request: pb.DeleteDeviceRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        user_id, device_id = parse_user_child(request.name, "devices", field="name")
        authorize(user_id, request.name)
        await self.service.delete_device(user_id, device_id)
        return empty_pb2.Empty()

    async def ListDevices(
        self, request: pb.ListDevicesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDevicesResponse:
        user_id = parse_user(request.parent, field="parent")
        authorize(user_id, request.parent)
        scope = f"ListDevices:{user_id}"
        after = self.page_tokens.decode_after_id(request.page_token, scope=scope)
        page = await self.service.list_devices(user_id, page_size=request.page_size, after_id=after)
        return pb.ListDevicesResponse(devices=[device_to_proto(d) for d in page.items],
                                      next_page_token=self.page_tokens.encode_after_id(page.next_after, scope=scope))

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListNotificationsResponse:
        user_id = parse_user(request.parent, field="parent")
        principal = authorize(user_id, request.parent)
        # An unknown filter value is an error, not "no filter" (it returned every notification).
        if request.kind and request.kind not in KINDS:
            raise invalid("kind", f"unknown notification kind {request.kind}", reason="INVALID_ENUM")
        if request.status and request.status not in STATUSES:
            raise invalid("status", f"unknown notification status {request.status}", reason="INVALID_ENUM")
        scope = f"ListNotifications:{user_id}:{request.kind}:{request.status}"
        cursor = self.page_tokens.decode(request.page_token, scope=scope)
        page = await self.service.list_notifications(
            user_id,
            page_size=request.page_size,
            cursor=cursor,
            kind=KINDS.get(request.kind),
            status=STATUSES.get(request.status),
            own=principal.user_id == user_id,
        )
        out = pb.ListNotificationsResponse(
            notifications=[notification_to_proto(r, page.receipts) for r in page.notifications]
        )
        if page.next_cursor is not None:
            out.next_page_token = self.page_tokens.encode(page.next_cursor, scope=scope)
        return out

    async def WatchNotifications(
        self, request: pb.WatchNotificationsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchNotificationsResponse]:
        service = self._own_feed(request.feed, "feed", "WatchNotifications")
        # The feed carries every user's notifications to this service.
        with system_scope("notification-feed"):
            events = self.feed.watch(service, request.cursor)
            try:
                async for ev in events:
                    yield pb.WatchNotificationsResponse(
                        notification=notification_to_proto(ev.item.notification, ev.receipts),
                        content=content_to_proto(ev.item.document),
                        cursor=ev.cursor,
                        redelivered=ev.redelivered,
                    )
            finally:
                await events.aclose()  # type: ignore[attr-defined]


def _in_request(exc: InvalidArgument, prefix: str) -> InvalidArgument:
    """``exc`` with its fields as request paths (the domain names ``time_zone``; the request's field
    is ``preferences.time_zone``). Paths already in the request (``update_mask``) are kept."""

    def path(field: str) -> str:
        return field if field.startswith(prefix) or field.startswith("update_mask") else prefix + field

    violations = [FieldViolation(path(v.field), v.description, v.reason) for v in exc.violations]
    metadata = {**exc.metadata, **({"field": path(exc.metadata["field"])} if "field" in exc.metadata else {})}
    message = "; ".join(f"{v.field}: {v.description}" for v in violations) if violations else exc.message
    return InvalidArgument(message, violations=violations, reason=exc.reason, metadata=metadata)

import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stack_cfo._proto.stack.cfo.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_DAILY_DIGEST: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_WEEKLY_SUMMARY: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_PERFORMANCE_ALERT: _ClassVar[NotificationKind]

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_PUSH: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_WEBHOOK: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_FEED: _ClassVar[NotificationChannel]

class NotificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_STATUS_UNSPECIFIED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_PENDING: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SENDING: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SENT: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_RETRY: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_DEAD: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_MISSED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SKIPPED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_EXPIRED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_AWAITING_ACK: _ClassVar[NotificationStatus]

class RunJobStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_JOB_STAGE_UNSPECIFIED: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_PLANNED: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_SENT: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_SKIPPED: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_FAILED: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_DONE: _ClassVar[RunJobStage]
    RUN_JOB_STAGE_USER_SKIPPED: _ClassVar[RunJobStage]

class UnsubscribeScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNSUBSCRIBE_SCOPE_UNSPECIFIED: _ClassVar[UnsubscribeScope]
    UNSUBSCRIBE_SCOPE_EMAIL: _ClassVar[UnsubscribeScope]
    UNSUBSCRIBE_SCOPE_KIND: _ClassVar[UnsubscribeScope]

class DevicePlatform(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVICE_PLATFORM_UNSPECIFIED: _ClassVar[DevicePlatform]
    DEVICE_PLATFORM_FCM: _ClassVar[DevicePlatform]
    DEVICE_PLATFORM_APNS: _ClassVar[DevicePlatform]
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_DAILY_DIGEST: NotificationKind
NOTIFICATION_KIND_WEEKLY_SUMMARY: NotificationKind
NOTIFICATION_KIND_PERFORMANCE_ALERT: NotificationKind
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
NOTIFICATION_CHANNEL_PUSH: NotificationChannel
NOTIFICATION_CHANNEL_WEBHOOK: NotificationChannel
NOTIFICATION_CHANNEL_FEED: NotificationChannel
NOTIFICATION_STATUS_UNSPECIFIED: NotificationStatus
NOTIFICATION_STATUS_PENDING: NotificationStatus
NOTIFICATION_STATUS_SENDING: NotificationStatus
NOTIFICATION_STATUS_SENT: NotificationStatus
NOTIFICATION_STATUS_RETRY: NotificationStatus
NOTIFICATION_STATUS_DEAD: NotificationStatus
NOTIFICATION_STATUS_MISSED: NotificationStatus
NOTIFICATION_STATUS_SKIPPED: NotificationStatus
NOTIFICATION_STATUS_EXPIRED: NotificationStatus
NOTIFICATION_STATUS_AWAITING_ACK: NotificationStatus
RUN_JOB_STAGE_UNSPECIFIED: RunJobStage
RUN_JOB_STAGE_PLANNED: RunJobStage
RUN_JOB_STAGE_SENT: RunJobStage
RUN_JOB_STAGE_SKIPPED: RunJobStage
RUN_JOB_STAGE_FAILED: RunJobStage
RUN_JOB_STAGE_DONE: RunJobStage
RUN_JOB_STAGE_USER_SKIPPED: RunJobStage
UNSUBSCRIBE_SCOPE_UNSPECIFIED: UnsubscribeScope
UNSUBSCRIBE_SCOPE_EMAIL: UnsubscribeScope
UNSUBSCRIBE_SCOPE_KIND: UnsubscribeScope
DEVICE_PLATFORM_UNSPECIFIED: DevicePlatform
DEVICE_PLATFORM_FCM: DevicePlatform
DEVICE_PLATFORM_APNS: DevicePlatform

class GetSchedulerStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusCount(_message.Message):
    __slots__ = ("status", "count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    status: NotificationStatus
    count: int
    def __init__(self, status: _Optional[_Union[NotificationStatus, str]] = ..., count: _Optional[int] = ...) -> None: ...

class JobStatus(_message.Message):
    __slots__ = ("kind", "schedule", "time_zone", "enabled", "next_run_time", "last_run_time", "counts", "oldest_pending_age")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_AGE_FIELD_NUMBER: _ClassVar[int]
    kind: NotificationKind
    schedule: str
    time_zone: str
    enabled: bool
    next_run_time: _timestamp_pb2.Timestamp
    last_run_time: _timestamp_pb2.Timestamp
    counts: _containers.RepeatedCompositeFieldContainer[StatusCount]
    oldest_pending_age: _duration_pb2.Duration
    def __init__(self, kind: _Optional[_Union[NotificationKind, str]] = ..., schedule: _Optional[str] = ..., time_zone: _Optional[str] = ..., enabled: _Optional[bool] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., counts: _Optional[_Iterable[_Union[StatusCount, _Mapping]]] = ..., oldest_pending_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReplicaStatus(_message.Message):
    __slots__ = ("replica_id", "start_time", "heartbeat_time", "alive", "version")
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    ALIVE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    replica_id: str
    start_time: _timestamp_pb2.Timestamp
    heartbeat_time: _timestamp_pb2.Timestamp
    alive: bool
    version: str
    def __init__(self, replica_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alive: _Optional[bool] = ..., version: _Optional[str] = ...) -> None: ...

class SchedulerStatus(_message.Message):
    __slots__ = ("jobs", "replicas", "read_time")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[JobStatus]
    replicas: _containers.RepeatedCompositeFieldContainer[ReplicaStatus]
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, jobs: _Optional[_Iterable[_Union[JobStatus, _Mapping]]] = ..., replicas: _Optional[_Iterable[_Union[ReplicaStatus, _Mapping]]] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunJobRequest(_message.Message):
    __slots__ = ("kind", "user", "request_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    kind: NotificationKind
    user: str
    request_id: str
    def __init__(self, kind: _Optional[_Union[NotificationKind, str]] = ..., user: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class JobCounts(_message.Message):
    __slots__ = ("planned", "sent", "skipped", "failed", "skipped_users")
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_USERS_FIELD_NUMBER: _ClassVar[int]
    planned: int
    sent: int
    skipped: int
    failed: int
    skipped_users: int
    def __init__(self, planned: _Optional[int] = ..., sent: _Optional[int] = ..., skipped: _Optional[int] = ..., failed: _Optional[int] = ..., skipped_users: _Optional[int] = ...) -> None: ...

class RunJobResponse(_message.Message):
    __slots__ = ("stage", "counts", "notification", "channel", "reason", "event_time", "user")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    stage: RunJobStage
    counts: JobCounts
    notification: str
    channel: NotificationChannel
    reason: str
    event_time: _timestamp_pb2.Timestamp
    user: str
    def __init__(self, stage: _Optional[_Union[RunJobStage, str]] = ..., counts: _Optional[_Union[JobCounts, _Mapping]] = ..., notification: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., reason: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user: _Optional[str] = ...) -> None: ...

class NotificationPreferences(_message.Message):
    __slots__ = ("name", "time_zone", "daily_digest_enabled", "weekly_summary_enabled", "performance_alerts_enabled", "email_enabled", "push_enabled", "email_address", "quiet_hours_start", "quiet_hours_end", "alert_threshold_percent", "alert_threshold_sigma", "update_time", "webhook_enabled", "feed_enabled", "locale", "effective_locale")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    DAILY_DIGEST_ENABLED_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_SUMMARY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_ALERTS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    PUSH_ENABLED_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    ALERT_THRESHOLD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ALERT_THRESHOLD_SIGMA_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ENABLED_FIELD_NUMBER: _ClassVar[int]
    FEED_ENABLED_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_LOCALE_FIELD_NUMBER: _ClassVar[int]
    name: str
    time_zone: str
    daily_digest_enabled: bool
    weekly_summary_enabled: bool
    performance_alerts_enabled: bool
    email_enabled: bool
    push_enabled: bool
    email_address: str
    quiet_hours_start: _common_pb2.TimeOfDay
    quiet_hours_end: _common_pb2.TimeOfDay
    alert_threshold_percent: float
    alert_threshold_sigma: float
    update_time: _timestamp_pb2.Timestamp
    webhook_enabled: bool
    feed_enabled: bool
    locale: str
    effective_locale: str
    def __init__(self, name: _Optional[str] = ..., time_zone: _Optional[str] = ..., daily_digest_enabled: _Optional[bool] = ..., weekly_summary_enabled: _Optional[bool] = ..., performance_alerts_enabled: _Optional[bool] = ..., email_enabled: _Optional[bool] = ..., push_enabled: _Optional[bool] = ..., email_address: _Optional[str] = ..., quiet_hours_start: _Optional[_Union[_common_pb2.TimeOfDay, _Mapping]] = ..., quiet_hours_end: _Optional[_Union[_common_pb2.TimeOfDay, _Mapping]] = ..., alert_threshold_percent: _Optional[float] = ..., alert_threshold_sigma: _Optional[float] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., webhook_enabled: _Optional[bool] = ..., feed_enabled: _Optional[bool] = ..., locale: _Optional[str] = ..., effective_locale: _Optional[str] = ...) -> None: ...

class UnsubscribeRequest(_message.Message):
    __slots__ = ("token", "scope")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    token: str
    scope: UnsubscribeScope
    def __init__(self, token: _Optional[str] = ..., scope: _Optional[_Union[UnsubscribeScope, str]] = ...) -> None: ...

class UnsubscribeResponse(_message.Message):
    __slots__ = ("user", "kind", "preferences")
    USER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    user: str
    kind: NotificationKind
    preferences: NotificationPreferences
    def __init__(self, user: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., preferences: _Optional[_Union[NotificationPreferences, _Mapping]] = ...) -> None: ...

class GetNotificationPreferencesRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateNotificationPreferencesRequest(_message.Message):
    __slots__ = ("preferences", "update_mask")
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    preferences: NotificationPreferences
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, preferences: _Optional[_Union[NotificationPreferences, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class Device(_message.Message):
    __slots__ = ("name", "platform", "token", "display_name", "active", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    platform: DevicePlatform
    token: str
    display_name: str
    active: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., platform: _Optional[_Union[DevicePlatform, str]] = ..., token: _Optional[str] = ..., display_name: _Optional[str] = ..., active: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterDeviceRequest(_message.Message):
    __slots__ = ("parent", "device", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    device: Device
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., device: _Optional[_Union[Device, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteDeviceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices", "next_page_token")
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    next_page_token: str
    def __init__(self, devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("name", "kind", "channel", "status", "reason", "period", "title", "target", "schedule_time", "send_time", "attempt_count", "next_attempt_time", "create_time", "degraded_reason", "receipts", "manual", "idempotency_key", "locale", "locale_fallback_from")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FALLBACK_FROM_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: NotificationKind
    channel: NotificationChannel
    status: NotificationStatus
    reason: str
    period: str
    title: str
    target: str
    schedule_time: _timestamp_pb2.Timestamp
    send_time: _timestamp_pb2.Timestamp
    attempt_count: int
    next_attempt_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    degraded_reason: str
    receipts: _containers.RepeatedCompositeFieldContainer[_common_pb2.Receipt]
    manual: bool
    idempotency_key: str
    locale: str
    locale_fallback_from: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., status: _Optional[_Union[NotificationStatus, str]] = ..., reason: _Optional[str] = ..., period: _Optional[str] = ..., title: _Optional[str] = ..., target: _Optional[str] = ..., schedule_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt_count: _Optional[int] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., degraded_reason: _Optional[str] = ..., receipts: _Optional[_Iterable[_Union[_common_pb2.Receipt, _Mapping]]] = ..., manual: _Optional[bool] = ..., idempotency_key: _Optional[str] = ..., locale: _Optional[str] = ..., locale_fallback_from: _Optional[str] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "kind", "status")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    kind: NotificationKind
    status: NotificationStatus
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., status: _Optional[_Union[NotificationStatus, str]] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WebhookEndpoint(_message.Message):
    __slots__ = ("name", "url", "description", "kinds", "disabled", "secret", "previous_secret_expire_time", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    description: str
    kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    disabled: bool
    secret: str
    previous_secret_expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., description: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., disabled: _Optional[bool] = ..., secret: _Optional[str] = ..., previous_secret_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWebhookEndpointRequest(_message.Message):
    __slots__ = ("parent", "webhook_endpoint", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    webhook_endpoint: WebhookEndpoint
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetWebhookEndpointRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsResponse(_message.Message):
    __slots__ = ("webhook_endpoints", "next_page_token")
    WEBHOOK_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoints: _containers.RepeatedCompositeFieldContainer[WebhookEndpoint]
    next_page_token: str
    def __init__(self, webhook_endpoints: _Optional[_Iterable[_Union[WebhookEndpoint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateWebhookEndpointRequest(_message.Message):
    __slots__ = ("webhook_endpoint", "update_mask")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteWebhookEndpointRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RotateWebhookEndpointSecretRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class NotificationFeed(_message.Message):
    __slots__ = ("name", "enabled", "kinds", "acknowledgement_grace", "unacknowledged_count", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENT_GRACE_FIELD_NUMBER: _ClassVar[int]
    UNACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    enabled: bool
    kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    acknowledgement_grace: _duration_pb2.Duration
    unacknowledged_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., enabled: _Optional[bool] = ..., kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., acknowledgement_grace: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., unacknowledged_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetNotificationFeedRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateNotificationFeedRequest(_message.Message):
    __slots__ = ("feed", "update_mask")
    FEED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    feed: NotificationFeed
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, feed: _Optional[_Union[NotificationFeed, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class WatchNotificationsRequest(_message.Message):
    __slots__ = ("feed", "cursor")
    FEED_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    feed: str
    cursor: str
    def __init__(self, feed: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class WatchNotificationsResponse(_message.Message):
    __slots__ = ("notification", "content", "cursor", "redelivered")
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    REDELIVERED_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    content: NotificationContent
    cursor: str
    redelivered: bool
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ..., content: _Optional[_Union[NotificationContent, _Mapping]] = ..., cursor: _Optional[str] = ..., redelivered: _Optional[bool] = ...) -> None: ...

class AcknowledgeNotificationsRequest(_message.Message):
    __slots__ = ("feed", "notifications")
    FEED_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    feed: str
    notifications: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feed: _Optional[str] = ..., notifications: _Optional[_Iterable[str]] = ...) -> None: ...

class AcknowledgeNotificationsResponse(_message.Message):
    __slots__ = ("acknowledged_count",)
    ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    acknowledged_count: int
    def __init__(self, acknowledged_count: _Optional[int] = ...) -> None: ...

class NotificationContent(_message.Message):
    __slots__ = ("title", "body", "subject", "text", "html", "blocks", "figures", "deep_link", "data", "receipts", "locale", "locale_fallback_from")
    class DataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    HTML_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    DEEP_LINK_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FALLBACK_FROM_FIELD_NUMBER: _ClassVar[int]
    title: str
    body: str
    subject: str
    text: str
    html: str
    blocks: _containers.RepeatedCompositeFieldContainer[ContentBlock]
    figures: _containers.RepeatedCompositeFieldContainer[ContentFigure]
    deep_link: str
    data: _containers.ScalarMap[str, str]
    receipts: _containers.RepeatedScalarFieldContainer[str]
    locale: str
    locale_fallback_from: str
    def __init__(self, title: _Optional[str] = ..., body: _Optional[str] = ..., subject: _Optional[str] = ..., text: _Optional[str] = ..., html: _Optional[str] = ..., blocks: _Optional[_Iterable[_Union[ContentBlock, _Mapping]]] = ..., figures: _Optional[_Iterable[_Union[ContentFigure, _Mapping]]] = ..., deep_link: _Optional[str] = ..., data: _Optional[_Mapping[str, str]] = ..., receipts: _Optional[_Iterable[str]] = ..., locale: _Optional[str] = ..., locale_fallback_from: _Optional[str] = ...) -> None: ...

class ContentBlock(_message.Message):
    __slots__ = ("type", "text", "items", "points")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    type: str
    text: str
    items: _containers.RepeatedCompositeFieldContainer[ContentItem]
    points: _containers.RepeatedCompositeFieldContainer[ChartPoint]
    def __init__(self, type: _Optional[str] = ..., text: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ContentItem, _Mapping]]] = ..., points: _Optional[_Iterable[_Union[ChartPoint, _Mapping]]] = ...) -> None: ...

class ContentItem(_message.Message):
    __slots__ = ("text", "url", "detail")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    text: str
    url: str
    detail: str
    def __init__(self, text: _Optional[str] = ..., url: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ChartPoint(_message.Message):
    __slots__ = ("date", "value")
    DATE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.Date
    value: str
    def __init__(self, date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., value: _Optional[str] = ...) -> None: ...

class ContentFigure(_message.Message):
    __slots__ = ("name", "value", "unit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    unit: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

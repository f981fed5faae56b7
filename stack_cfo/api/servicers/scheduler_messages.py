"""SchedulerService enums shared by its methods: kinds, channels, statuses and unsubscribe scopes
(domain <-> proto)."""

from __future__ import annotations

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus
from stack_cfo.core.notifications.unsubscribe import UnsubscribeScope

KINDS = {
    pb.NOTIFICATION_KIND_DAILY_DIGEST: NotificationKind.DIGEST,
    pb.NOTIFICATION_KIND_WEEKLY_SUMMARY: NotificationKind.WEEKLY,
    pb.NOTIFICATION_KIND_PERFORMANCE_ALERT: NotificationKind.ALERT,
}
KINDS_OUT = {v: k for k, v in KINDS.items()}
CHANNELS_OUT = {
    Channel.EMAIL: pb.NOTIFICATION_CHANNEL_EMAIL,
    Channel.PUSH: pb.NOTIFICATION_CHANNEL_PUSH,
    Channel.WEBHOOK: pb.NOTIFICATION_CHANNEL_WEBHOOK,
    Channel.FEED: pb.NOTIFICATION_CHANNEL_FEED,
}
STATUSES = {
    pb.NOTIFICATION_STATUS_PENDING: OutboxStatus.PENDING,
    pb.NOTIFICATION_STATUS_SENDING: OutboxStatus.SENDING,
    pb.NOTIFICATION_STATUS_SENT: OutboxStatus.SENT,
    pb.NOTIFICATION_STATUS_RETRY: OutboxStatus.RETRY,
    pb.NOTIFICATION_STATUS_DEAD: OutboxStatus.DEAD,
    pb.NOTIFICATION_STATUS_MISSED: OutboxStatus.MISSED,
    pb.NOTIFICATION_STATUS_SKIPPED: OutboxStatus.SKIPPED,
    pb.NOTIFICATION_STATUS_EXPIRED: OutboxStatus.EXPIRED,
    pb.NOTIFICATION_STATUS_AWAITING_ACK: OutboxStatus.AWAITING_ACK,
}
STATUSES_OUT = {v: k for k, v in STATUSES.items()}
#: UnsubscribeRequest.scope; UNSPECIFIED is EMAIL (the contract's default).
UNSUBSCRIBE_SCOPES = {
    pb.UNSUBSCRIBE_SCOPE_UNSPECIFIED: UnsubscribeScope.EMAIL,
    pb.UNSUBSCRIBE_SCOPE_EMAIL: UnsubscribeScope.EMAIL,
    pb.UNSUBSCRIBE_SCOPE_KIND: UnsubscribeScope.KIND,
}

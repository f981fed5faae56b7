"""A service principal's notification feed (``services/{service}/notificationFeed``): the use cases behind
GetNotificationFeed, UpdateNotificationFeed, WatchNotifications and AcknowledgeNotifications.

While a feed is enabled the planner gives every notification one more row, on channel ``feed``. The
delivery worker renders it like any other and *publishes* it instead of sending it: the row becomes
``awaiting_ack`` with its document and a cursor (``feed_seq``): the next value of the feed's own counter,
taken under a per-feed lock held until commit, so cursors become visible in increasing order and a reader
that saw cursor N can never later find a new row below N. Each feed counts 1, 2, 3... by itself (a shared
counter would tell one service how much the others get), and the counter is never lowered, so a cursor
the feed handed out stays a valid resume point after its rows are gone (acknowledged and deleted by
retention, or erased with their user). A stream sends, in cursor order, every row that is neither
acknowledged nor expired: first what is already there, then what is published while it waits (woken
through :class:`FeedWakeups` by PostgreSQL NOTIFY, with a poll as fallback). Acknowledged rows become ``sent``
and are never streamed again; rows unacknowledged past their deadline (publication + ack grace) become
``expired``. So nothing is lost, and a notification is streamed more than once only while it is
unacknowledged (the documented duplicate window).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from stack_cfo.core.errors import FailedPrecondition, InvalidArgument
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.records import NotificationRecord
from stack_cfo.core.portfolio.watch import shutting_down
from stack_cfo.core.provenance.model import Receipt

UPDATABLE = frozenset({"enabled", "kinds"})
MAX_ACKS = 1000


@dataclass(frozen=True, slots=True)
class NotificationFeed:
    service: str
    enabled: bool = False
    kinds: tuple[NotificationKind, ...] = ()
    id: int | None = None
    """None until the feed was first saved."""
    unacknowledged: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"services/{self.service}/notificationFeed"


@dataclass(frozen=True, slots=True)
class FeedItem:
    seq: int
    notification: NotificationRecord
    document: Mapping[str, Any]
    """The published JSON document (see ``document.py``)."""


@dataclass(frozen=True, slots=True)
class FeedEvent:
    item: FeedItem
    cursor: str
    redelivered: bool
    receipts: Mapping[str, Receipt] = field(default_factory=dict)
    """The receipts the notification names (without data snapshots), by id."""


class FeedStore(Protocol):
    async def get_feed(self, service: str) -> NotificationFeed | None: ...
    async def save_feed(
        self, service: str, *, enabled: bool, kinds: Sequence[NotificationKind]
    ) -> NotificationFeed: ...
    async def feed_last_seq(self, feed_id: int) -> int:
        """The highest cursor the feed ever handed out, 0 when none (its rows may be gone since)."""
        ...

    async def feed_items(self, feed_id: int, *, after_seq: int, limit: int) -> list[FeedItem]:
        """Awaiting-acknowledgement, unexpired rows of the feed with ``feed_seq > after_seq``, in order."""
        ...
    async def receipts(self, ids: Sequence[str]) -> dict[str, Receipt]:
        """Receipts of the AI texts notifications carry, without their data snapshots."""
        ...
    async def acknowledge(self, feed_id: int, notifications: Sequence[tuple[str, int]]) -> int:
        """Acknowledge the feed's awaiting rows among ``(user id, notification id)`` pairs (a pair whose
        user is not the notification's matches nothing); how many were acknowledged."""
        ...


class FeedWakeups:
    """Wakes the streams waiting on a feed. The store's LISTEN connection calls :meth:`notify` for each
    NOTIFY (payload: the feed id) and :meth:`notify_all` after a reconnect (anything may have been missed).
    A stream subscribes *before* it queries, so a publication between its query and its wait is not lost."""

    def __init__(self) -> None:
        self._waiters: dict[int, set[asyncio.Event]] = {}
        self.closed = False
        """Set by :meth:`close` (shutdown): the streams end, new ones are refused."""

    def close(self) -> None:
        """Shutdown begins: wake every stream so it ends (UNAVAILABLE, reconnect with its cursor)."""
        self.closed = True
        self.notify_all()

    def notify(self, feed_id: int) -> None:
        for event in self._waiters.get(feed_id, ()):
            event.set()

    def notify_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    @contextlib.contextmanager
    def subscription(self, feed_id: int) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiters.setdefault(feed_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiters.get(feed_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiters[feed_id]


@dataclass
class FeedService:
    store: FeedStore
    wakeups: FeedWakeups = field(default_factory=FeedWakeups)
    ack_grace: timedelta = timedelta(hours=24)
    poll_interval: float = 5.0
    """Fallback poll while no NOTIFY arrives (the listener may be reconnecting)."""
    batch: int = 100
    start_listening: Callable[[], Awaitable[None]] | None = None
    """Starts the process's LISTEN connection on first use (idempotent)."""

    async def get(self, service: str) -> NotificationFeed:
        return await self.store.get_feed(service) or NotificationFeed(service)

    async def update(self, service: str, changes: Mapping[str, Any]) -> NotificationFeed:
        unknown = sorted(set(changes) - UPDATABLE)
        if unknown:
            raise InvalidArgument.field(
                "update_mask", f"unknown or read-only path(s): {', '.join(unknown)}", reason="INVALID_UPDATE_MASK"
            )
        current = await self.get(service)
        enabled = bool(changes.get("enabled", current.enabled))
        kinds = [NotificationKind(k) for k in changes.get("kinds", current.kinds)]
        if current.id is None and not enabled:
            # Never enabled, and still not: nothing is created (no create_time; a watch is still
            # FEED_NOT_ENABLED), as the contract says of a feed that was never enabled.
            return dataclasses.replace(current, kinds=tuple(sorted(set(kinds))))
        return await self.store.save_feed(service, enabled=enabled, kinds=sorted(set(kinds)))

    async def watch(self, service: str, cursor: str = "") -> AsyncIterator[FeedEvent]:
        """Every unacknowledged, unexpired notification of the feed in cursor order, then new ones as they
        are published, until the caller stops iterating (or shutdown: :meth:`end_watches`)."""
        if self.wakeups.closed:
            raise shutting_down()
        resume = parse_cursor(cursor)
        feed = await self.store.get_feed(service)
        if feed is None or feed.id is None:
            raise FailedPrecondition(
                f"the notification feed of service {service!r} was never enabled",
                reason="FEED_NOT_ENABLED",
                metadata={"feed": f"services/{service}/notificationFeed"},
            )
        if resume and resume > await self.store.feed_last_seq(feed.id):
            raise _bad_cursor()
        if self.start_listening is not None:
            await self.start_listening()
        last = 0
        while True:
            if self.wakeups.closed:
                raise shutting_down()
            with self.wakeups.subscription(feed.id) as woken:
                items = await self.store.feed_items(feed.id, after_seq=last, limit=self.batch)
                # one query a batch for the receipts the items name (Notification.receipts)
                wanted = [rid for item in items for rid in item.notification.receipt_ids]
                receipts = await self.store.receipts(wanted) if wanted else {}
                for item in items:
                    last = item.seq
                    yield FeedEvent(item, str(item.seq), item.seq <= resume, receipts)
                if len(items) < self.batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(woken.wait(), timeout=self.poll_interval)

    def end_watches(self) -> None:
        """End every open stream with UNAVAILABLE SERVER_SHUTTING_DOWN (the consumer reconnects to
        another replica with its cursor) and refuse new ones: shutdown begins. Unbounded streams
        must not hold the process for the whole shutdown grace."""
        self.wakeups.close()

    async def acknowledge(self, service: str, notifications: Sequence[tuple[str, int]]) -> int:
        """``notifications``: ``(user id, notification id)``, as the names ``users/{user}/notifications/{id}``
        say; an id under another user's name is unknown and ignored."""
        check_ack_count(len(notifications))
        feed = await self.store.get_feed(service)
        if feed is None or feed.id is None:
            return 0
        return await self.store.acknowledge(feed.id, sorted(set(notifications)))


def check_ack_count(count: int) -> None:
    """An acknowledgement names 1 to :data:`MAX_ACKS` notifications."""
    if not count:
        raise InvalidArgument.field("notifications", "name at least one notification", reason="MISSING_FIELD")
    if count > MAX_ACKS:
        raise InvalidArgument.field("notifications", f"at most {MAX_ACKS} per call", reason="TOO_MANY_NOTIFICATIONS")


def parse_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise _bad_cursor()
    return int(cursor)


def _bad_cursor() -> InvalidArgument:
    return InvalidArgument.field("cursor", "is not a cursor this feed sent", reason="INVALID_CURSOR")

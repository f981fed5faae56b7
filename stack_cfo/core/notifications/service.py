"""The use cases behind the gRPC ``SchedulerService``: :class:`NotificationService` (the servicer
only translates).

They read and write the scheduler's tables through :class:`NotificationStore`; none of them
calls the scheduler process. ``RunJob`` delivers the rows it planned in the calling process
through a :class:`Deliverer` (the scheduler's delivery worker, same claim fencing), so a
manual run completes even when no scheduler replica is up.

- :meth:`NotificationService.status`               -> GetSchedulerStatus
- :meth:`NotificationService.run_job`              -> RunJob (async iterator of :class:`RunJobEvent`)
- :meth:`NotificationService.preferences`          -> GetNotificationPreferences
- :meth:`NotificationService.update_preferences`   -> UpdateNotificationPreferences
- :meth:`NotificationService.read_unsubscribe_token`, :meth:`NotificationService.unsubscribe` -> Unsubscribe
- :meth:`NotificationService.register_device`      -> RegisterDevice
- :meth:`NotificationService.delete_device`        -> DeleteDevice
- :meth:`NotificationService.list_devices`         -> ListDevices
- :meth:`NotificationService.list_notifications`   -> ListNotifications
- :meth:`NotificationService.requeue_dead_letters` -> operators' redrive of dead rows
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from stack_cfo.core.clock import Clock
from stack_cfo.core.data_scope import in_system_scope, iterate_in_system_scope
from stack_cfo.core.errors import FailedPrecondition, InvalidArgument, NotFound
from stack_cfo.core.market_calendar import MarketCalendar, NyseCalendar
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform, Reason
from stack_cfo.core.notifications.pages import IdPage, id_page, page_limit
from stack_cfo.core.notifications.planning import local_period_for, next_run
from stack_cfo.core.notifications.ports import Deliverer, JobSettings, NotificationStore
from stack_cfo.core.notifications.preferences import NotificationPreferences, apply_update
from stack_cfo.core.notifications.records import (
    NotificationRecord,
    PushDevice,
)
from stack_cfo.core.notifications.schedules import Slot
from stack_cfo.core.notifications.unsubscribe import (
    UnsubscribeScope,
    UnsubscribeToken,
    not_configured,
    parse_token,
    read_token,
    switch_for,
)
from stack_cfo.core.provenance.model import Receipt
from stack_cfo.secret import Secret

log = logging.getLogger(__name__)

STATUS_RETENTION = timedelta(days=30)
MAX_DISPLAY_NAME = 200  # Device.display_name (scheduler.proto)
_TOKEN_OK = re.compile(r"^[\x21-\x7e]+\Z")  # printable ASCII, no spaces
_APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{32,200}\Z")


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobStatus:
    kind: NotificationKind
    schedule: str
    time_zone: str
    """``"user"`` (each user's zone) or the exchange zone for alerts."""
    enabled: bool
    next_run_time: datetime | None
    last_run_time: datetime | None
    counts: dict[OutboxStatus, int]
    oldest_pending_age: timedelta


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    replica_id: str
    start_time: datetime
    heartbeat_time: datetime
    alive: bool
    version: str


@dataclass(frozen=True, slots=True)
class SchedulerStatus:
    jobs: list[JobStatus]
    replicas: list[ReplicaStatus]
    read_time: datetime


class RunStage(StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    DONE = "done"
    USER_SKIPPED = "user_skipped"  # a user got nothing at all; ``reason`` says why


@dataclass(frozen=True, slots=True)
class JobCounts:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    skipped_users: int = 0


@dataclass(frozen=True, slots=True)
class RunJobEvent:
    stage: RunStage
    counts: JobCounts
    notification: str = ""
    """``users/{user}/notifications/{id}``; empty for PLANNED and DONE."""
    channel: Channel | None = None
    reason: str = ""
    event_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    user_id: str = ""
    """The user the event is about; empty for PLANNED and DONE."""


@dataclass(slots=True)
class _Tally:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    skipped_users: int = 0

    def freeze(self) -> JobCounts:
        return JobCounts(self.planned, self.sent, self.skipped, self.failed, self.skipped_users)


def _stage_of(status: OutboxStatus) -> RunStage | None:
    if status in (OutboxStatus.SENT, OutboxStatus.AWAITING_ACK):  # on a feed: delivered as far as the run goes
        return RunStage.SENT
    if status in (OutboxStatus.SKIPPED, OutboxStatus.EXPIRED, OutboxStatus.MISSED):
        return RunStage.SKIPPED
    if status in (OutboxStatus.RETRY, OutboxStatus.DEAD):
        return RunStage.FAILED
    return None


def _counts(t: _Tally) -> dict[str, int]:
    return {"planned": t.planned, "sent": t.sent, "skipped": t.skipped, "failed": t.failed,
            "skipped_users": t.skipped_users}


def validate_device_token(platform: Platform, token: str) -> None:
    if not token:
        raise InvalidArgument.field("device.token", "is required", reason="MISSING_FIELD")
    if len(token) > 4096 or not _TOKEN_OK.match(token):
        raise InvalidArgument.field(
            "device.token", "must be at most 4,096 printable characters without spaces", reason="INVALID_DEVICE_TOKEN"
        )
    if platform is Platform.APNS and not _APNS_TOKEN.match(token):
        raise InvalidArgument.field(
            "device.token", "an APNs device token is 32 to 200 hexadecimal digits", reason="INVALID_DEVICE_TOKEN"
        )


@dataclass(frozen=True, slots=True)
class NotificationPage:
    notifications: list[NotificationRecord]
    next_cursor: dict[str, Any] | None
    """Opaque continuation for the next page (encode it as the page token); None on the last page."""
    receipts: dict[str, Receipt] = field(default_factory=dict)
    """The receipts the notifications name (without data snapshots), by id."""


class NotificationService:
    """Scheduler status, manual runs, preferences, devices and history for the API.

    ``deliverer`` builds the in-process delivery worker for :meth:`run_job` on first use; without
    one, a run only plans and reports what the scheduler process delivers.
    """

    def __init__(
        self,
        store: NotificationStore,
        settings: JobSettings,
        *,
        deliverer: Callable[[], Deliverer] | None = None,
        calendar: MarketCalendar | None = None,
        clock: Clock | None = None,
        default_locale: str = "en",
        max_devices: int = 20,
        unsubscribe_secret: Secret | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.default_locale = default_locale
        """notifications.default_locale: the locale of users who set none."""
        self.max_devices = max_devices
        """notifications.max_devices_per_user: push devices one user may keep."""
        self.unsubscribe_secret = unsubscribe_secret
        """notifications.email.unsubscribe_secret: the key of e-mails' unsubscribe tokens (None: not configured)."""
        self.calendar = calendar or NyseCalendar()
        self.clock = clock
        self._make_deliverer = deliverer
        self._deliverer: Deliverer | None = None
        #: Per kind, the next run last computed: (schedule, zones, computed after, slot). Still the next run while
        #: now is before it (no slot lies between), so a status page polled often costs croniter nothing.
        self._next_runs: dict[NotificationKind, tuple[str, frozenset[str], datetime, Slot | None]] = {}

    def deliverer(self) -> Deliverer | None:
        if self._deliverer is None and self._make_deliverer is not None:
            self._deliverer = self._make_deliverer()
        return self._deliverer

    # -- status -------------------------------------------------------------------------------

    @in_system_scope("scheduler-status")  # counts over every user's notifications
    async def status(self) -> SchedulerStatus:
        config, cal, repo = self.settings, self.calendar, self.store
        counts, oldest, now = await repo.status_counts(STATUS_RETENTION)
        states = await repo.planner_states()
        zones = await repo.distinct_time_zones()
        jobs: list[JobStatus] = []
        for kind in NotificationKind:
            enabled = config.enabled and config.enabled_for(kind)
            upcoming = self._next_run(kind, zones, now) if enabled else None
            state = states.get(kind)
            oldest_due = oldest.get(kind)
            jobs.append(
                JobStatus(
                    kind=kind,
                    schedule=config.schedule_for(kind).expression,
                    time_zone=str(cal.tz.key) if kind is NotificationKind.ALERT else "user",
                    enabled=enabled,
                    next_run_time=upcoming.at if upcoming else None,
                    last_run_time=state.last_run_at if state else None,
                    counts={s: n for s, n in counts[kind].items() if n},
                    oldest_pending_age=max(timedelta(0), now - oldest_due) if oldest_due else timedelta(0),
                )
            )
        alive_within = 3 * config.heartbeat_interval
        replicas = [
            ReplicaStatus(
                replica_id=h.replica_id,
                start_time=h.started_at,
                heartbeat_time=h.last_tick,
                alive=h.stopped_at is None and now - h.last_tick <= alive_within,
                version=h.version,
            )
            for h in await repo.heartbeats()
        ]
        return SchedulerStatus(jobs, replicas, now)

    def _next_run(self, kind: NotificationKind, zones: Iterable[str], now: datetime) -> Slot | None:
        """:func:`next_run`, remembered until that run is due (or the schedule or the users' zones change)."""
        schedule = self.settings.schedule_for(kind)
        # alerts run in exchange time: the users' zones do not move them
        key = (schedule.expression, frozenset() if kind is NotificationKind.ALERT else frozenset(zones))
        cached = self._next_runs.get(kind)
        if cached is not None and (cached[0], cached[1]) == key and cached[2] <= now:
            slot = cached[3]
            if slot is not None and now < slot.at:
                return slot
        slot = next_run(kind, schedule, zones, after=now, calendar=self.calendar)
        self._next_runs[kind] = (*key, now, slot)
        return slot

    def run_job(
        self,
        *,
        kind: NotificationKind,
        user_id: str | None = None,
        request_id: str | None = None,
        principal: str = "",
        deliver: bool = True,
        wait_for_others: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.5,
    ) -> AsyncIterator[RunJobEvent]:
        """Plan ``kind`` now for every user (or one) and deliver it, streaming progress (see
        :meth:`_run_job`). An operator's job that spans users: it runs in the system scope.
        ``request_id`` is ``principal``'s: another caller's same id is another run."""
        return iterate_in_system_scope("run-job", self._run_job(
            kind=kind, user_id=user_id, request_id=request_id, principal=principal, deliver=deliver,
            wait_for_others=wait_for_others, poll_interval=poll_interval,
        ))

    async def _run_job(
        self,
        *,
        kind: NotificationKind,
        user_id: str | None = None,
        request_id: str | None = None,
        principal: str = "",
        deliver: bool = True,
        wait_for_others: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.5,
    ) -> AsyncIterator[RunJobEvent]:
        """Plan ``kind`` now for every user (or one) and deliver it, streaming progress.

        Keys are the current period's followed by ``~m`` and a tag of this run, so a manual run never
        takes (nor replaces) the scheduled notification of the period, and each run delivers anew. After
        PLANNED, one USER_SKIPPED event names each user who got no notification at all and why
        (``kind_disabled``, ``no_channel``). With ``deliver`` (and a
        deliverer) the rows are delivered right here (claimed by run id, same fencing as the scheduler);
        rows another replica claimed first are reported once they settle (up to
        ``wait_for_others``). Otherwise the scheduler process delivers them and this
        iterator reports what it observes. A notification deferred by quiet hours is reported
        SKIPPED with reason ``quiet_hours`` and stays pending. Closing the iterator early leaves
        planned rows to the scheduler process.

        A retried ``request_id`` yields a single DONE with the original run's counts (once that run
        has ended, waiting up to ``wait_for_others`` for it);
        reusing it for another kind or user raises InvalidArgument (REQUEST_ID_REUSED).
        """
        config = self.settings
        repo = self.store
        worker = self.deliverer() if deliver else None
        if not config.enabled_for(kind):
            raise FailedPrecondition(
                f"the {kind.job_type} job is switched off in the configuration",
                reason="JOB_DISABLED",
                metadata={"kind": kind.value},
            )
        if user_id is not None and not await repo.user_exists(user_id):
            raise NotFound.resource("user", f"users/{user_id}")
        request_hash = f"{kind.value}:{user_id or '*'}"
        run, created = await repo.create_run(
            request_id=request_id or None, request_hash=request_hash, kind=kind, user_id=user_id,
            principal=principal,
        )
        if not created:
            if run.request_hash != request_hash:
                raise InvalidArgument.field(
                    "request_id", "was already used for a different RunJob request", reason="REQUEST_ID_REUSED"
                )
            # A retry while the first call still runs follows it to its end (its final counts), for
            # at most ``wait_for_others``: a run whose process died never ends.
            loop = asyncio.get_running_loop()
            give_up = loop.time() + wait_for_others.total_seconds()
            while run.state != "done" and loop.time() < give_up:
                await asyncio.sleep(poll_interval)
                run = await repo.get_run(run.id) or run
            yield RunJobEvent(
                RunStage.DONE, JobCounts(run.planned, run.sent, run.skipped, run.failed, run.skipped_users)
            )
            return

        cal = self.calendar
        now = self.clock.now() if self.clock is not None else await repo.db_now()
        zones = await repo.distinct_time_zones()
        periods = {tz: local_period_for(kind, now, tz, cal) for tz in zones}
        candidates = await repo.plan_run(
            run.id,
            kind,
            periods=periods,
            now=now,
            deadline=now + config.grace.for_kind(kind),
            max_attempts=config.retry.max_attempts,
            user_id=user_id,
        )
        tally = _Tally(planned=len(candidates))
        await repo.update_run(run.id, planned=tally.planned, sent=0, skipped=0, failed=0, done=False)
        yield RunJobEvent(RunStage.PLANNED, tally.freeze())
        for skipped_user, why in await repo.run_skipped_users(run.id, kind, user_id):
            tally.skipped_users += 1
            yield RunJobEvent(RunStage.USER_SKIPPED, tally.freeze(), reason=why, user_id=skipped_user)
        if tally.skipped_users:
            await repo.update_run(run.id, **_counts(tally), done=False)

        reported: set[int] = set()
        for c in candidates:
            if c.new_id is None and c.existing_id is not None:
                tally.skipped += 1
                reported.add(c.existing_id)
                yield RunJobEvent(
                    RunStage.SKIPPED,
                    tally.freeze(),
                    f"users/{c.user_id}/notifications/{c.existing_id}",
                    c.channel,
                    Reason.DUPLICATE.value,
                    user_id=c.user_id,
                )
        ours = {c.new_id for c in candidates if c.new_id is not None}

        def record(row_id: int, uid: str, channel: Channel, stage: RunStage, reason: str) -> RunJobEvent | None:
            if row_id in reported:
                return None
            reported.add(row_id)
            if stage is RunStage.SENT:
                tally.sent += 1
            elif stage is RunStage.SKIPPED:
                tally.skipped += 1
            else:
                tally.failed += 1
            return RunJobEvent(
                stage, tally.freeze(), f"users/{uid}/notifications/{row_id}", channel, reason, user_id=uid
            )

        def stage_of(status: OutboxStatus, reason: str) -> RunStage | None:
            if status is OutboxStatus.PENDING and reason == Reason.QUIET_HOURS.value:
                return RunStage.SKIPPED  # deferred to the end of quiet hours; still pending
            return _stage_of(status)

        try:
            if worker is not None and ours:
                async for o in worker.drain_iter(run_id=run.id):
                    reason = o.reason.value if o.reason else ""
                    stage = stage_of(o.status, reason)
                    event = record(o.row_id, o.user_id, o.channel, stage, reason) if stage else None
                    if event is not None:
                        await repo.update_run(run.id, **_counts(tally), done=False)
                        yield event
            loop = asyncio.get_running_loop()
            give_up = loop.time() + (wait_for_others.total_seconds() if worker is not None else float("inf"))
            while ours - reported and loop.time() < give_up:
                progressed = False
                for row_id, uid, channel, status, reason in await repo.run_rows(run.id):
                    stage = stage_of(status, reason)
                    if row_id not in ours or stage is None:
                        continue
                    event = record(row_id, uid, channel, stage, reason)
                    if event is not None:
                        progressed = True
                        await repo.update_run(run.id, **_counts(tally), done=False)
                        yield event
                if not progressed:
                    await asyncio.sleep(poll_interval)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(repo.update_run(run.id, **_counts(tally), done=True))
        yield RunJobEvent(RunStage.DONE, tally.freeze())

    # -- preferences, devices, history ------------------------------------------------------------

    async def preferences(self, user_id: str, *, create: bool = True) -> NotificationPreferences:
        """The user's preferences, or the defaults when they never saved any. Users are created on
        their own first use (the calling backend owns identities); with ``create`` false (a service
        reading someone's preferences) an unknown user is NOT_FOUND (USER_NOT_FOUND), and the read
        has no side effect."""
        if create:
            await self.store.ensure_user(user_id)
        return await self.store.get_preferences(user_id)

    async def update_preferences(self, user_id: str, changes: Mapping[str, Any]) -> NotificationPreferences:
        """Apply ``changes`` (update-mask path -> value, e.g. ``{"time_zone": "Europe/Berlin",
        "quiet_hours_start": (22, 0), "quiet_hours_end": (7, 0)}``) atomically and return the result.

        Validation errors are InvalidArgument with field violations and the reasons of the
        contract (UNKNOWN_TIME_ZONE, INVALID_QUIET_HOURS, INVALID_EMAIL, INVALID_THRESHOLD,
        INVALID_UPDATE_MASK).
        """
        await self.store.ensure_user(user_id)
        prefs = await self.store.get_preferences(user_id)
        apply_update(prefs, changes)  # validate before taking the lock
        return await self.store.save_preferences(prefs, modify=lambda current: apply_update(current, changes))

    def read_unsubscribe_token(self, token: str) -> UnsubscribeToken:
        """The user and kind an e-mail's unsubscribe token names. Checked in the order a client fixes
        things: INVALID_ARGUMENT (INVALID_UNSUBSCRIBE_TOKEN naming ``token``) when it is missing or
        malformed, then FAILED_PRECONDITION (UNSUBSCRIBE_NOT_CONFIGURED) without a secret, then
        INVALID_ARGUMENT (INVALID_UNSUBSCRIBE_TOKEN) when it was not signed with this server's secret."""
        if self.unsubscribe_secret is None:
            parse_token(token)
            raise not_configured()
        return read_token(self.unsubscribe_secret, token)

    async def unsubscribe(
        self, user_id: str, kind: NotificationKind, scope: UnsubscribeScope
    ) -> NotificationPreferences:
        """Switch off ``email_enabled`` (scope EMAIL) or ``kind`` (scope KIND) and return the preferences.
        Idempotent: when the switch is already off nothing is written. Never creates the user: an unknown
        or erased one is NOT_FOUND (USER_NOT_FOUND)."""
        if not await self.store.user_exists(user_id):
            raise NotFound.resource("user", f"users/{user_id}")
        switch = switch_for(scope, kind)
        prefs = await self.store.get_preferences(user_id)
        if not getattr(prefs, switch):
            return prefs
        return await self.store.save_preferences(prefs, modify=lambda current: apply_update(current, {switch: False}))

    async def register_device(
        self, user_id: str, *, platform: Platform, token: str, display_name: str = ""
    ) -> PushDevice:
        """Register (or re-register and reactivate) a push device. ALREADY_EXISTS (DEVICE_TOKEN_IN_USE)
        when another user registered the token."""
        validate_device_token(platform, token)
        if platform is Platform.APNS:
            token = token.lower()  # hex: "CD..." and "cd..." are one device token
        if len(display_name) > MAX_DISPLAY_NAME:
            raise InvalidArgument.too_long("device.display_name", MAX_DISPLAY_NAME)
        await self.store.ensure_user(user_id)
        return await self.store.register_device(
            user_id, platform=platform, token=token, display_name=display_name.strip(), limit=self.max_devices
        )

    async def delete_device(self, user_id: str, device_id: str) -> None:
        """Unregister a device; NOT_FOUND (DEVICE_NOT_FOUND) when it is not the user's or is gone.
        Rows planned for it are skipped at send time (``no_device``)."""
        name = f"users/{user_id}/devices/{device_id}"
        if not device_id.isdigit() or not await self.store.delete_device(user_id, int(device_id)):
            raise NotFound.resource("device", name)

    async def list_devices(self, user_id: str, *, page_size: int = 0, after_id: int = 0) -> IdPage[PushDevice]:
        """The user's push devices, oldest first (keyset pagination on the id)."""
        return await id_page(lambda limit: self.store.list_devices(user_id, limit=limit, after_id=after_id), page_size)

    async def list_notifications(
        self,
        user_id: str,
        *,
        page_size: int = 0,
        cursor: Mapping[str, Any] | None = None,
        kind: NotificationKind | None = None,
        status: OutboxStatus | None = None,
        own: bool = False,
    ) -> NotificationPage:
        """The user's notifications, newest ``schedule_time`` first (keyset pagination).

        ``own``: the user asks for their own list, which is empty (not NOT_FOUND) before their first
        notification or after they erased their data. For anyone else (a service) a user the service
        has never seen is NOT_FOUND (USER_NOT_FOUND). The read creates no user either way."""
        size = page_limit(page_size)
        after: tuple[datetime, int] | None = None
        if cursor:
            try:
                after = (datetime.fromisoformat(str(cursor["t"])), int(cursor["i"]))
            except (KeyError, TypeError, ValueError):
                raise InvalidArgument.field("page_token", "is malformed", reason="INVALID_PAGE_TOKEN") from None
        repo = self.store
        rows = await repo.list_notifications(user_id, limit=size + 1, after=after, kind=kind, status=status)
        if not rows and cursor is None and not own and not await repo.user_exists(user_id):
            raise NotFound.resource("user", f"users/{user_id}")
        page, more = rows[:size], len(rows) > size
        next_cursor = {"t": page[-1].scheduled_for.isoformat(), "i": page[-1].id} if more and page else None
        receipts = await repo.receipts([rid for r in page for rid in r.receipt_ids])
        return NotificationPage(page, next_cursor, receipts)

    @in_system_scope("requeue-dead-letters")  # an operator's repair over every user's rows
    async def requeue_dead_letters(
        self, *, ids: list[int] | None = None, kind: NotificationKind | None = None
    ) -> list[int]:
        """Redrive: dead rows go back to ``retry`` with attempts reset and a fresh grace window."""
        grace = self.settings.grace
        extend = grace.for_kind(kind) if kind else grace.digest
        return await self.store.requeue_dead(ids=ids, kind=kind, extend=extend)

"""The delivery worker: claim due rows, decide, render, send, write back.

- Claims up to ``batch_size`` rows with ``FOR UPDATE SKIP LOCKED`` and commits the claim
  before any network call; never holds a transaction across SMTP or HTTP.
- At most ``concurrency_limit`` sends in flight. A send and the write-back of its result
  happen under the same semaphore slot, so if this process dies, at most
  ``concurrency_limit`` notifications can have been accepted by a provider without being
  marked sent: that is the documented duplicate window (collapse ids and Message-ID make
  such a duplicate recognisable or replace it on the device).
- ``sent`` write-backs that finish at the same time share one transaction (:class:`SentMarks`): one WAL
  flush for several rows instead of one each, while each send still holds its slot until its own row is
  marked.
- Every write-back is fenced (``WHERE locked_by = me AND attempts = <claimed attempt> AND
  status = 'sending'``): a worker whose claim was reaped cannot overwrite the row's newer
  state, even when the same replica claimed the row again. A row is not started (nor sent)
  when less than a fifth of its lease is left; the lease must exceed the channel timeouts.
- The write-back of a send's outcome is retried with back-off while the database is unavailable, as long as
  the claim lasts (:meth:`DeliveryWorker._write_back`): a live process that knows it sent does not leave the
  row to the reaper (which would send it again) because of a short outage. Only when the lease is about to run
  out does it give up, and says that a duplicate may follow.
- On stop: no new claims, in-flight sends finish (bounded by ``shutdown_grace``), rows
  claimed but not started are released with their attempt given back. The same when the consumer of
  :meth:`process_rows` leaves early (a cancelled RunJob): sends under way are never cancelled (the provider
  may have accepted them) but finish in the background (:meth:`aclose` waits for them), and rows not
  started are given back for the scheduler process.
- Feed rows are rendered like the others but *published* (``awaiting_ack``, with a cursor) instead of
  sent; the service that owns the feed acknowledges them through the API. A channel that answers
  ``Postponed`` (an open webhook breaker) gets the row back later without spending its attempt.

Why this module is longer than most (about 730 lines): it is one row's state machine (claim, lease check,
render, send or publish, settle and its write-back while the claim lasts, retry, defer, release on stop), and
the fences above only hold if every transition sits next to the others; the rendering and the channels
already live elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from opentelemetry import trace
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential
from tenacity.stop import stop_base

from stack_cfo.core.clock import Clock
from stack_cfo.core.data_scope import in_system_scope, system_scope
from stack_cfo.core.errors import StackCfoError, Unavailable
from stack_cfo.core.notifications.content import Rendered
from stack_cfo.core.notifications.document import notification_document
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Reason
from stack_cfo.core.notifications.preferences import Action, NotificationPreferences, decide
from stack_cfo.core.notifications.records import ClaimedRow, DeliveryTargets, PushDevice
from stack_cfo.core.notifications.webhooks import WebhookEndpoint
from stack_cfo.scheduler.channels import (
    Delivery,
    DeliveryChannel,
    InvalidTarget,
    Permanent,
    Postponed,
    Retry,
    SendOutcome,
    Sent,
    Skipped,
)
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.content import ContentService
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.store.scheduler.outbox import Rendition, SentMark
from stack_cfo.telemetry.logging import OutageLimiter

log = logging.getLogger(__name__)
log.addFilter(OutageLimiter())  # a database outage: one line a minute, not one per job and try
tracer = trace.get_tracer("stack_cfo.scheduler")

PROCESS_SPANS = {
    NotificationKind.DIGEST: "scheduler.process_daily_digest_user",
    NotificationKind.WEEKLY: "scheduler.process_weekly_summary_user",
    NotificationKind.ALERT: "scheduler.process_performance_alert_user",
}
#: The write-back of a send's outcome is retried until this share of the lease is left (measured from when the
#: claim returned, which is after the database started the lease): the row is never written back on a claim
#: the reaper may already have handed out (the fence would refuse such a write anyway).
WRITE_BACK_MARGIN = 0.1
#: Back-off between write-back tries while the database is unavailable (full jitter, seconds).
WRITE_BACK_BACKOFF = wait_random_exponential(multiplier=0.25, max=2.0)

_T = TypeVar("_T")


class _GivenUp(Exception):
    """A row's rendering was cut short: its worker is stopping or its RunJob was cancelled."""


SEND_SPANS = {
    Channel.EMAIL: "notification_service.send_email",
    Channel.PUSH: "notification_service.send_push",
    Channel.WEBHOOK: "notification_service.send_webhook",
}


class SentMarks:
    """Group commit of ``sent`` write-backs: calls that arrive while a flush is running are written together by
    the next flush, in one transaction. Each caller waits for its own row's result, so a send keeps its slot
    until its row is marked (the duplicate window stays ``concurrency_limit``)."""

    def __init__(self, repo: SchedulerRepo) -> None:
        self._repo = repo
        self._queue: list[tuple[SentMark, asyncio.Future[datetime | None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def mark(self, mark: SentMark) -> datetime | None:
        fut: asyncio.Future[datetime | None] = asyncio.get_running_loop().create_future()
        self._queue.append((mark, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await fut

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._repo.mark_sent_many([m for m, _ in batch])
            except BaseException as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc if isinstance(exc, Exception) else Unavailable("write-back cancelled"))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, fut), sent_at in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(sent_at)


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happened to one claimed row. ``status`` is the row's new state (``pending`` when
    deferred to the end of quiet hours); ``lost_claim`` when the fenced write-back found the
    row no longer ours (reaped while we worked)."""

    row_id: int
    user_id: str
    kind: NotificationKind
    channel: Channel
    status: OutboxStatus
    reason: Reason | None = None
    error: str = ""
    lost_claim: bool = False


def rendition_of(rendered: Rendered | None) -> Rendition | None:
    """What a write-back records of rendered content (None: nothing was rendered)."""
    if rendered is None:
        return None
    return Rendition(
        locale=rendered.locale,
        locale_fallback_from=rendered.locale_fallback_from,
        degraded_reason=rendered.degraded_reason,
        receipt_ids=rendered.receipt_ids,
    )


def _log_failure(task: asyncio.Task[RowOutcome | None]) -> None:
    """A detached send that failed unexpectedly: logged (its claim expires and the reaper returns the row)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a detached send failed", exc_info=task.exception())


_ADDRESS = re.compile(r"[^\s@<>\"',;:()\[\]]+@[^\s@<>\"',;:()\[\]]+")


def loggable_error(error: str) -> str:
    """A delivery error for a log line: e-mail addresses masked (logs keep user ids only, which
    erasure accounts for), cut to 300 characters (a webhook's answer may be long)."""
    text = _ADDRESS.sub("<address>", error or "")
    return text if len(text) <= 300 else text[:300] + "..."


class DeliveryWorker:
    def __init__(
        self,
        repo: SchedulerRepo,
        content: ContentService,
        channels: Mapping[Channel, DeliveryChannel],
        config: SchedulerConfig,
        *,
        worker_id: str | None = None,
        metrics: SchedulerMetrics | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.repo = repo
        self.content = content
        self.channels = dict(channels)
        self.config = config
        self.worker_id = worker_id or config.replica_id
        self.metrics = metrics
        self.clock = clock
        self.rng = rng or random.Random()
        self._sem = asyncio.Semaphore(config.concurrency_limit)
        self._stopping = False
        #: Set with ``_stopping``: wakes a row that is still rendering (see :meth:`_unless_given_up`).
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[RowOutcome | None]] = set()
        self._sent_marks = SentMarks(repo)
        self.sent_count = 0

    # -- clocks -------------------------------------------------------------------------

    def _mark_now(self) -> datetime | None:
        """What write-backs pass as "now": the injected clock, else NULL (the DB's now())."""
        return self.clock.now() if self.clock is not None else None

    @staticmethod
    def _db_time(rows: Sequence[ClaimedRow], mono: float) -> datetime:
        return rows[0].db_now + timedelta(seconds=time.monotonic() - mono)

    # -- claiming -------------------------------------------------------------------------

    @in_system_scope("outbox-worker")  # claims due rows of every user
    async def claim(self, limit: int, *, run_id: str | None = None) -> list[ClaimedRow]:
        return await self.repo.claim(
            self.worker_id, limit=limit, lease=self.config.lease, now=self._mark_now(), run_id=run_id
        )

    async def process_rows(self, rows: Sequence[ClaimedRow]) -> AsyncIterator[RowOutcome]:
        """Process claimed rows with bounded concurrency, yielding outcomes as they finish."""
        if not rows:
            return
        mono = time.monotonic()
        abandoned = asyncio.Event()
        with system_scope("outbox-worker"):  # not across the yields: the consumer keeps its own scope
            prefs, targets = await self.repo.context_for(rows)
            tasks = [asyncio.ensure_future(self._guarded(r, prefs, targets, mono, rows, abandoned)) for r in rows]
        try:
            for fut in asyncio.as_completed(tasks):
                outcome = await fut
                if outcome is not None:
                    yield outcome
        finally:
            # The consumer stopped early (a cancelled RunJob): a send already under way is never cancelled
            # (the provider may have accepted it; cancelling would leave the row "sending" for the reaper,
            # which sends it again): it finishes and records its outcome in the background. Rows not started
            # yet are given back for the scheduler process to deliver.
            abandoned.set()
            self._detach(t for t in tasks if not t.done())

    async def drain(self, *, run_id: str | None = None, max_rows: int | None = None) -> list[RowOutcome]:
        """Claim and process until nothing is due (tests, RunJob, one-shot runs)."""
        out: list[RowOutcome] = []
        async for o in self.drain_iter(run_id=run_id, max_rows=max_rows):
            out.append(o)
        return out

    async def drain_iter(self, *, run_id: str | None = None, max_rows: int | None = None) -> AsyncIterator[RowOutcome]:
        done = 0
        while max_rows is None or done < max_rows:
            limit = self.config.batch_size if max_rows is None else min(self.config.batch_size, max_rows - done)
            rows = await self.claim(limit, run_id=run_id)
            if not rows:
                return
            done += len(rows)
            async for o in self.process_rows(rows):
                yield o

    def _detach(self, tasks: Iterable[asyncio.Task[RowOutcome | None]]) -> None:
        """Keep ``tasks`` running after their consumer left; :meth:`aclose` (or :meth:`shutdown`) waits for
        them."""
        for t in tasks:
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
            t.add_done_callback(_log_failure)

    # -- the long-running loop -----------------------------------------------------------------

    @in_system_scope("outbox-worker")
    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Claim continuously while there is room for half a batch; sleep ``poll_interval`` when idle."""
        self._stopping = False
        self._stop.clear()
        batch = self.config.batch_size
        poll = self.config.poll_interval.total_seconds()
        while not stop.is_set():
            room = batch - len(self._tasks)
            claimed: list[ClaimedRow] = []
            if room >= max(1, batch // 2) or not self._tasks:
                try:
                    claimed = await self.claim(room)
                    if claimed:
                        mono = time.monotonic()
                        prefs, targets = await self.repo.context_for(claimed)
                        for row in claimed:
                            t = asyncio.ensure_future(self._guarded(row, prefs, targets, mono, claimed))
                            self._tasks.add(t)
                            t.add_done_callback(self._tasks.discard)
                except StackCfoError as exc:
                    log.warning("claim failed; will retry", extra={"error": exc.reason})
                    claimed = []
            if claimed and len(self._tasks) < batch // 2:
                continue
            waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
            if wake is not None:
                waiters.append(asyncio.ensure_future(wake.wait()))
            if self._tasks:
                waiters.append(
                    asyncio.ensure_future(asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED))
                )
            try:
                await asyncio.wait(
                    waiters, timeout=None if (self._tasks and claimed) else poll, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for w in waiters:
                    w.cancel()
            if wake is not None:
                wake.clear()
        await self.shutdown()

    @in_system_scope("outbox-worker")
    async def aclose(self, grace: float | None = None) -> None:
        """Stop starting rows and let in-flight sends finish (bounded by ``shutdown_grace``); rows not started
        are given back one by one (fenced). The API process closes its RunJob worker this way: its worker id
        is shared by every API replica, so it never releases by worker id."""
        self._stopping = True
        self._stop.set()
        grace = self.config.shutdown_grace.total_seconds() if grace is None else grace
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for t in pending:
                t.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*pending, return_exceptions=True)

    @in_system_scope("outbox-worker")
    async def shutdown(self, grace: float | None = None) -> None:
        """Stop taking rows, let in-flight sends finish, release what never started."""
        await self.aclose(grace)
        try:
            released = await self.repo.release(self.worker_id, now=self._mark_now())
        except StackCfoError:
            log.warning("could not release claims at shutdown; the reaper will return them")
            return
        if released:
            log.info("released claimed rows at shutdown", extra={"rows": released})

    @in_system_scope("reaper")  # returns every worker's stale claims
    async def reap(self) -> int:
        """Return rows whose claim expired (their worker died, or could not write back before its lease ran
        out), and expire feed rows left unacknowledged past their grace."""
        returned = await self.repo.reap(now=self._mark_now())
        if returned:
            log.warning("reaped rows whose claims expired", extra={"rows": len(returned)})
            if self.metrics:
                self.metrics.reaped.inc(len(returned))
        expired = await self.repo.expire_feed_rows(now=self._mark_now())
        if expired:
            log.info("feed notifications expired unacknowledged", extra={"rows": expired})
        return len(returned)

    # -- one row ------------------------------------------------------------------------------

    async def _guarded(
        self,
        row: ClaimedRow,
        prefs: Mapping[str, NotificationPreferences],
        targets: DeliveryTargets,
        mono: float,
        batch: Sequence[ClaimedRow],
        abandoned: asyncio.Event | None = None,
    ) -> RowOutcome | None:
        async with self._sem:
            given_up = self._stopping or (abandoned is not None and abandoned.is_set())
            if given_up or not self._lease_ok(mono):
                # stopping (or the RunJob that claimed it was cancelled), or the row waited so long that its
                # claim may already have been reaped and handed out again: never send on a claim we may no
                # longer hold
                if not given_up:
                    log.warning("claim too old to start; giving the row back", extra={"key": row.key})
                with contextlib.suppress(StackCfoError):
                    await self.repo.release_row(row, self.worker_id, now=self._mark_now())
                return None
            if self.metrics:
                self.metrics.in_flight.inc()
            try:
                now = self.clock.now() if self.clock is not None else self._db_time(batch, mono)
                return await self._process(row, prefs.get(row.user_id), targets, now, mono, abandoned)
            except StackCfoError as exc:  # the database went away mid-row (a send's write-back: see _write_back)
                log.warning("write-back failed; the claim will expire", extra={"row": row.id, "error": exc.reason})
                return None
            finally:
                if self.metrics:
                    self.metrics.in_flight.dec()

    async def _final(
        self,
        row: ClaimedRow,
        status: OutboxStatus,
        reason: Reason,
        error: str = "",
        *,
        title: str | None = None,
        target: str | None = None,
        attempted: bool = True,
        rendered: Rendered | None = None,
    ) -> RowOutcome:
        """``attempted=False``: settled before any delivery was tried (skipped, expired): the
        claim's attempt is given back, so ``attempt_count`` counts real attempts only. ``rendered``: the
        content was rendered (its locale and provenance are recorded whatever the outcome)."""
        ok = await self.repo.mark_final(
            row,
            self.worker_id,
            status=status,
            reason=reason,
            error=error or None,
            title=title,
            target=target,
            attempted=attempted,
            now=self._mark_now(),
            rendition=rendition_of(rendered),
        )
        self._count(row, status, reason, ok)
        if status is OutboxStatus.DEAD and ok:  # given up: say why where operators look first
            log.warning(
                "delivery failed for good (dead letter)",
                extra={"key": row.key, "reason": reason.value, "attempt": row.attempts, "error": loggable_error(error)},
            )
        return RowOutcome(row.id, row.user_id, row.kind, row.channel, status, reason, error, not ok)

    def _count(self, row: ClaimedRow, status: OutboxStatus, reason: Reason | None, ok: bool) -> None:
        if not self.metrics or not ok:
            return
        job = row.kind.job_type
        self.metrics.users_processed.labels(job).inc()
        if status in (OutboxStatus.RETRY, OutboxStatus.DEAD):
            self.metrics.job_failures.labels(job).inc()
        if status is not OutboxStatus.SENT:
            self.metrics.notifications_outcome.labels(job, status.value, reason.value if reason else "").inc()

    def _lease_ok(self, claimed_mono: float) -> bool:
        """Is at least a fifth of the claim's lease left (by this process's clock)?"""
        return time.monotonic() - claimed_mono < 0.8 * self.config.lease.total_seconds()

    async def _process(
        self,
        row: ClaimedRow,
        prefs: NotificationPreferences | None,
        targets: DeliveryTargets,
        now: datetime,
        claimed_mono: float,
        abandoned: asyncio.Event | None = None,
    ) -> RowOutcome | None:
        with tracer.start_as_current_span(PROCESS_SPANS[row.kind]) as span:
            span.set_attribute("user_id", row.user_id)
            span.set_attribute("notification.key", row.key)
            span.set_attribute("notification.channel", row.channel.value)
            span.set_attribute("notification.attempt", row.attempts)
            if now > row.deadline:
                return await self._final(row, OutboxStatus.EXPIRED, Reason.DEADLINE_PASSED, attempted=False)
            if prefs is None:  # the user was deleted; the row goes with it (cascade)
                return None
            # NOTIFICATION_ENABLE_* switched off since planning; a manual run's rows were checked by the RunJob
            # that made them (on an API replica whose configuration has the kind on), so a scheduler replica
            # running other kinds only delivers them, never skips them as though the user had switched it off
            if not row.manual and not self.config.enabled_for(row.kind):
                return await self._final(row, OutboxStatus.SKIPPED, Reason.KIND_DISABLED, attempted=False)
            decision = decide(prefs, row.kind, row.channel, now)
            if decision.action is Action.SKIP:
                assert decision.reason is not None
                return await self._final(row, OutboxStatus.SKIPPED, decision.reason, attempted=False)
            if decision.action is Action.DEFER:
                assert decision.until is not None
                deadline = max(row.deadline, decision.until + self.config.grace.for_kind(row.kind))
                return await self._defer(row, decision.until, deadline, Reason.QUIET_HOURS)
            channel = self.channels.get(row.channel)
            if channel is None and row.channel is not Channel.FEED:
                return await self._final(row, OutboxStatus.SKIPPED, Reason.CHANNEL_NOT_CONFIGURED, attempted=False)
            device: PushDevice | None = None
            endpoint: WebhookEndpoint | None = None
            if row.channel is Channel.PUSH:
                device = targets.devices.get(row.target_id)
                if device is None or not device.active:
                    return await self._final(row, OutboxStatus.SKIPPED, Reason.NO_DEVICE, attempted=False)
                target = f"users/{row.user_id}/devices/{device.id}"
            elif row.channel is Channel.WEBHOOK:
                endpoint = targets.endpoints.get(row.target_id)
                if endpoint is None or endpoint.disabled:
                    return await self._final(row, OutboxStatus.SKIPPED, Reason.NO_ENDPOINT, attempted=False)
                target = endpoint.name
            elif row.channel is Channel.FEED:
                service = targets.feeds.get(row.target_id)
                if service is None:
                    return await self._final(row, OutboxStatus.SKIPPED, Reason.NO_ENDPOINT, attempted=False)
                target = f"services/{service}/notificationFeed"
            else:
                target = prefs.email_address
            try:
                rendered = await self._unless_given_up(self.content.render(
                    row.kind, row.user_id, row.period, row.key, prefs, now,
                    notification=f"users/{row.user_id}/notifications/{row.id}",
                    occasion=row.run_id or row.scheduled_for.isoformat(),
                ), abandoned)
            except _GivenUp:
                # stopping, or the RunJob that claimed it was cancelled, while the content (its AI texts) was
                # being written: nothing was sent, so the row goes back whole (no attempt spent, no AI paid on)
                with contextlib.suppress(StackCfoError):
                    await self.repo.release_row(row, self.worker_id, now=self._mark_now())
                return None
            except Unavailable as exc:
                # our own dependency (database, portfolio store) is down: not the notification's
                # fault, so no attempt is spent; if even the release fails, the reaper returns it
                log.warning("content unavailable; giving the row back", extra={"key": row.key, "error": exc.reason})
                await self.repo.release_row(row, self.worker_id, now=self._mark_now())
                return None
            except Exception as exc:
                log.exception("rendering failed", extra={"key": row.key})
                return await self._retry(
                    row, now, Retry(Reason.CONTENT_ERROR, f"{type(exc).__name__}: {exc}"), None, target
                )
            if isinstance(rendered, Reason):
                return await self._final(row, OutboxStatus.SKIPPED, rendered, target=target, attempted=False)
            title = rendered.email.subject if row.channel is Channel.EMAIL else rendered.push.title
            name = f"users/{row.user_id}/notifications/{row.id}"
            if not self._lease_ok(claimed_mono):  # rendering took most of the lease
                log.warning("claim expired while rendering; giving the row back", extra={"key": row.key})
                await self.repo.release_row(row, self.worker_id, now=self._mark_now())
                return None
            if self._stopping or (abandoned is not None and abandoned.is_set()):
                # given up while rendering finished: no send starts after its RunJob was cancelled or the process
                # began stopping (scheduler.proto: "Cancelling the call stops planning and starting sends")
                with contextlib.suppress(StackCfoError):
                    await self.repo.release_row(row, self.worker_id, now=self._mark_now())
                return None
            if channel is None:  # the feed: published for its service to stream and acknowledge
                return await self._publish(row, rendered, name, title, target)
            delivery = Delivery(
                key=row.key,
                user_id=row.user_id,
                rendered=rendered,
                deadline=row.deadline,
                email_to=prefs.email_address if row.channel is Channel.EMAIL else "",
                device_token=device.token if device else "",
                device_platform=device.platform.value if device else "",
                notification=name,
                manual=row.manual,
                webhook=endpoint,
            )
            sending = time.monotonic()
            with tracer.start_as_current_span(SEND_SPANS[row.channel]):
                outcome = await channel.send(delivery)
            # a retry's back-off (and a Retry-After) counts from the answer, not from before the send:
            # a 10 s timeout was retried at once, a slow 429 sooner than it asked
            if self.clock is not None:
                now = self.clock.now()
            else:
                now += timedelta(seconds=time.monotonic() - sending)
            return await self._write_back(
                row, outcome, claimed_mono, lambda: self._settle(row, now, outcome, rendered, title, target, device)
            )

    async def _unless_given_up(self, work: Awaitable[_T], abandoned: asyncio.Event | None) -> _T:
        """``work``'s result, or :class:`_GivenUp` (``work`` cancelled) once the worker stops or ``abandoned`` is
        set: the row's content is written by AI calls that may take a minute, and nothing of it reached anyone."""
        task = asyncio.ensure_future(work)
        waiters = [asyncio.ensure_future(self._stop.wait())]
        if abandoned is not None:
            waiters.append(asyncio.ensure_future(abandoned.wait()))
        try:
            await asyncio.wait([task, *waiters], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            if not task.done():
                task.cancel()
        if task.cancelled() or not task.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise _GivenUp
        return task.result()

    async def _write_back(
        self,
        row: ClaimedRow,
        outcome: SendOutcome,
        claimed_mono: float,
        settle: Callable[[], Awaitable[RowOutcome]],
    ) -> RowOutcome | None:
        """Record a send's ``outcome`` (``settle``), trying again with back-off while the database is
        unavailable, until the claim's lease is about to run out (:data:`WRITE_BACK_MARGIN`).

        The send cannot be taken back: a "sent" never written back leaves the row ``sending`` and the reaper
        hands it out again once the lease ends, so a one-try write-back turned a short outage into a duplicate
        although no process died. Every try is fenced like any write-back (``locked_by``, ``attempts``,
        ``status = 'sending'``): one that lands after the reaper returned the row changes nothing. The send
        keeps its concurrency slot while it retries, so what an outage can leave unrecorded stays bounded by
        ``concurrency_limit``. None when it gave up (the reaper returns the row)."""
        deadline = claimed_mono + (1 - WRITE_BACK_MARGIN) * self.config.lease.total_seconds()

        class while_claimed(stop_base):
            """Stop when the next try would start after the deadline."""

            def __call__(self, state: RetryCallState) -> bool:
                return time.monotonic() + (state.upcoming_sleep or 0.0) >= deadline

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "write-back failed; trying again while the claim lasts",
                extra={"key": row.key, "try": state.attempt_number, "next_in": round(state.upcoming_sleep, 3),
                       "error": exc.reason if isinstance(exc, StackCfoError) else repr(exc)},
            )

        retrying = AsyncRetrying(
            stop=while_claimed(),
            wait=WRITE_BACK_BACKOFF,
            retry=retry_if_exception_type(Unavailable),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await settle()
        except Unavailable as exc:
            tries = retrying.statistics.get("attempt_number", 1)
            if isinstance(outcome, Sent):
                # "cause", not "error": a possible duplicate is logged for each row, not once a minute
                log.warning(
                    "sent, but the database did not take the write-back before the claim's lease ran out: "
                    "the reaper will return the row and a duplicate may follow",
                    extra={"key": row.key, "row": row.id, "tries": tries, "cause": exc.reason},
                )
            else:
                log.warning(
                    "the database did not take the write-back before the claim's lease ran out; the reaper returns "
                    "the row",
                    extra={"key": row.key, "row": row.id, "tries": tries, "cause": exc.reason},
                )
            return None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _defer(
        self, row: ClaimedRow, until: datetime, deadline: datetime, reason: Reason,
        *, title: str | None = None, target: str | None = None, rendered: Rendered | None = None,
    ) -> RowOutcome:
        """Back to ``pending`` until ``until``, the attempt given back (quiet hours, an open breaker)."""
        ok = await self.repo.mark_deferred(
            row, self.worker_id, until=until, deadline=deadline, now=self._mark_now(), reason=reason,
            title=title, target=target, rendition=rendition_of(rendered),
        )
        self._count(row, OutboxStatus.PENDING, reason, ok)
        return RowOutcome(row.id, row.user_id, row.kind, row.channel, OutboxStatus.PENDING, reason, "", not ok)

    async def _publish(self, row: ClaimedRow, rendered: Rendered, name: str, title: str, target: str) -> RowOutcome:
        document = notification_document(
            rendered, user_id=row.user_id, notification=name, key=row.key, manual=row.manual,
            now=self.clock.now() if self.clock is not None else None,
        )
        published_at = self._mark_now()
        cursor = await self.repo.publish_to_feed(
            row, self.worker_id, document=document, grace=self.config.feed.ack_grace, title=title, target=target,
            now=published_at, degraded_reason=rendered.degraded_reason, receipt_ids=rendered.receipt_ids,
        )
        if cursor is not None and self.metrics:
            # counted as a send is (_settle): the feed channel's deliveries are in the same figures
            job = row.kind.job_type
            self.metrics.notifications_sent.labels(job, row.channel.value).inc()
            self.metrics.users_processed.labels(job).inc()
            at = published_at if published_at is not None else datetime.now(UTC)
            self.metrics.delivery_lag.labels(job).observe(max(0.0, (at - row.scheduled_for).total_seconds()))
        return RowOutcome(
            row.id, row.user_id, row.kind, row.channel, OutboxStatus.AWAITING_ACK, None, "", cursor is None
        )

    async def _settle(
        self,
        row: ClaimedRow,
        now: datetime,
        outcome: SendOutcome,
        rendered: Rendered,
        title: str,
        target: str,
        device: PushDevice | None,
    ) -> RowOutcome:
        if isinstance(outcome, Sent):
            sent_at = await self._sent_marks.mark(
                SentMark(
                    row,
                    self.worker_id,
                    outcome.provider_id,
                    title,
                    target,
                    self._mark_now(),
                    degraded_reason=rendered.degraded_reason,
                    receipt_ids=rendered.receipt_ids,
                    locale=rendered.locale,
                    locale_fallback_from=rendered.locale_fallback_from,
                )
            )
            if sent_at is None:
                log.warning("sent, but the claim was lost (reaped): possible duplicate", extra={"key": row.key})
            else:
                self.sent_count += 1
                if self.metrics:
                    job = row.kind.job_type
                    self.metrics.notifications_sent.labels(job, row.channel.value).inc()
                    self.metrics.users_processed.labels(job).inc()
                    self.metrics.delivery_lag.labels(job).observe(
                        max(0.0, (sent_at - row.scheduled_for).total_seconds())
                    )
            return RowOutcome(row.id, row.user_id, row.kind, row.channel, OutboxStatus.SENT, None, "", sent_at is None)
        if isinstance(outcome, Retry):
            return await self._retry(row, now, outcome, title, target, rendered)
        if isinstance(outcome, Postponed):  # nothing was sent: no attempt spent
            until = now + outcome.retry_after
            if until > row.deadline:
                return await self._final(row, OutboxStatus.EXPIRED, Reason.DEADLINE_PASSED, outcome.reason.value,
                                         title=title, target=target, attempted=False, rendered=rendered)
            return await self._defer(row, until, row.deadline, outcome.reason, title=title, target=target,
                                     rendered=rendered)
        if isinstance(outcome, Skipped):
            return await self._final(row, OutboxStatus.SKIPPED, outcome.reason, target=target, rendered=rendered)
        if isinstance(outcome, InvalidTarget) and device is not None:
            await self.repo.deactivate_device(device.id, outcome.reason.value, now=self._mark_now())
            log.info("push token rejected; device deactivated", extra={"device_id": device.id})
        assert isinstance(outcome, Permanent | InvalidTarget)
        return await self._final(
            row, OutboxStatus.DEAD, outcome.reason, outcome.error, title=title, target=target, rendered=rendered
        )

    async def _retry(
        self, row: ClaimedRow, now: datetime, outcome: Retry, title: str | None, target: str | None,
        rendered: Rendered | None = None,
    ) -> RowOutcome:
        if row.attempts >= row.max_attempts:
            return await self._final(
                row,
                OutboxStatus.DEAD,
                Reason.MAX_ATTEMPTS,
                f"{outcome.reason.value}: {outcome.error}",
                title=title,
                target=target,
                rendered=rendered,
            )
        at = self.config.retry.next_attempt(now, row.attempts, self.rng.random(), row.deadline, outcome.retry_after)
        if at is None:
            return await self._final(
                row,
                OutboxStatus.EXPIRED,
                Reason.DEADLINE_PASSED,
                f"{outcome.reason.value}: {outcome.error}",
                title=title,
                target=target,
                rendered=rendered,
            )
        ok = await self.repo.mark_retry(
            row,
            self.worker_id,
            next_attempt_at=at,
            reason=outcome.reason,
            error=outcome.error,
            title=title,
            target=target,
            now=self._mark_now(),
            rendition=rendition_of(rendered),
        )
        self._count(row, OutboxStatus.RETRY, outcome.reason, ok)
        log.info(
            "delivery failed; will retry",
            extra={"key": row.key, "reason": outcome.reason.value, "attempt": row.attempts, "next": at.isoformat(),
                   "error": loggable_error(outcome.error)},
        )
        return RowOutcome(
            row.id, row.user_id, row.kind, row.channel, OutboxStatus.RETRY, outcome.reason, outcome.error, not ok
        )

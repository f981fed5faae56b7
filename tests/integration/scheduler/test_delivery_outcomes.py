"""What a delivery leaves behind, whatever happens to it: a cancelled RunJob does not cancel sends already
under way (no second e-mail from the reaper), a 408 is a timeout and not rate limiting, a row being sent
shows no stale reason, unsent rows show where they go, and rendered content records its locale even when
the delivery fails."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from stack_cfo.config.notifications import WebhookSettings
from stack_cfo.core.data_scope import system_scope, user_scope
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Reason
from stack_cfo.core.notifications.records import NotificationRecord
from stack_cfo.core.notifications.service import NotificationService, RunStage
from stack_cfo.core.notifications.webhooks import new_secret
from stack_cfo.scheduler.channels import Delivery, Retry, SendOutcome
from stack_cfo.scheduler.channels.fcm import FcmChannel
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.channels.webhook import WebhookChannel
from stack_cfo.scheduler.config import FcmSettings
from stack_cfo.scheduler.process import build_worker
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.integration.scheduler.conftest import (
    add_device,
    add_users,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
    write_fcm_account,
)
from tests.integration.scheduler.test_webhooks import delivery, endpoint
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink, make_self_signed_cert

DIGEST_ONLY = {"enable_weekly_summary": False, "enable_performance_alerts": False}


class _SlowAnswers:
    """SMTP that accepts every message at once, but whose answer to the second and later ones only reaches the
    worker when ``gate`` opens: the e-mail is delivered while the worker still waits for the reply."""

    def __init__(self, inner: SmtpChannel) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()
        self.calls = 0

    @property
    def channel(self) -> Channel:
        return Channel.EMAIL

    async def send(self, d: Delivery) -> SendOutcome:
        self.calls += 1
        first = self.calls == 1
        outcome = await self.inner.send(d)
        if not first:
            self.waiting.set()
            await self.gate.wait()
        return outcome

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _records(repo: SchedulerRepo, user: str) -> list[NotificationRecord]:
    with user_scope(user):
        return await repo.list_notifications(user, limit=50)


async def _db_now(database: Database) -> datetime:
    async with database.connection() as conn:
        row = await (await conn.execute("SELECT now() AS now")).fetchone()
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]


async def test_cancelling_run_job_mid_send_lets_claimed_sends_finish_and_nothing_is_sent_twice(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """The contract: "Cancelling the call stops planning new sends; notifications already planned are still
    delivered". A send under way when the call was cancelled was itself cancelled: SMTP had accepted the
    e-mail, the row stayed SENDING, the reaper returned it ("worker died") and it was sent a second time."""
    users = await add_users(database, 3, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY, concurrency_limit=1)  # one send at a time: one under way, one waiting
    slow = _SlowAnswers(SmtpChannel(smtp_settings(smtp_sink)))
    worker = build_worker(database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: slow})
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)
    first_sent = asyncio.Event()

    async def call() -> None:  # the RunJob call, as the gRPC handler iterates it
        async for event in service.run_job(kind=NotificationKind.DIGEST, request_id=str(uuid.uuid4())):
            if event.stage is RunStage.SENT:
                first_sent.set()

    task = asyncio.ensure_future(call())
    await asyncio.wait_for(first_sent.wait(), 20)
    await asyncio.wait_for(slow.waiting.wait(), 20)  # the second e-mail is accepted, its answer on its way
    assert len(smtp_sink.received()) == 2
    task.cancel()  # the client cancels the call
    with contextlib.suppress(asyncio.CancelledError):
        await task
    slow.gate.set()

    rows: list[dict[str, object]] = []
    for _ in range(100):  # the send under way records its outcome; the one never started is given back
        rows = await outbox(database)
        if not any(r["status"] == "sending" for r in rows):
            break
        await asyncio.sleep(0.05)
    assert sorted(str(r["status"]) for r in rows) == ["pending", "sent", "sent"]
    waiting = next(r for r in rows if r["status"] == "pending")
    assert waiting["attempts"] == 0  # given back with its attempt: nothing was tried

    # later, the scheduler process: its reaper finds nothing whose worker "died", and it delivers the rest
    later = await _db_now(database) + config.lease + timedelta(seconds=30)
    h = make_harness(database, config, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, start=later)
    assert await h.worker.reap() == 0
    [o] = await h.worker.drain()
    assert o.status is OutboxStatus.SENT and not o.lost_claim
    rows = await outbox(database)
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * 3
    ids = smtp_sink.message_ids()
    assert len(smtp_sink.received()) == 3 and set(ids.values()) == {1}  # every e-mail once
    assert {m.rcpt_tos[0] for m in smtp_sink.received()} == {f"user{u}@example.com" for u in users}


async def test_the_worker_waits_for_a_detached_send_when_it_closes(database: Database, smtp_sink: SmtpSink) -> None:
    """What the API process does at shutdown: a send a cancelled RunJob left under way is waited for."""
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY)
    slow = _SlowAnswers(SmtpChannel(smtp_settings(smtp_sink)))
    worker = build_worker(database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: slow})
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)
    events = service.run_job(kind=NotificationKind.DIGEST)
    async for event in events:
        if event.stage is RunStage.SENT:
            break
    await asyncio.wait_for(slow.waiting.wait(), 20)
    await events.aclose()  # type: ignore[attr-defined]
    asyncio.get_running_loop().call_later(0.3, slow.gate.set)
    await worker.aclose()
    assert [r["status"] for r in await outbox(database)] == ["sent", "sent"]
    assert set(smtp_sink.message_ids().values()) == {1}


async def test_cancelling_run_job_while_its_content_is_written_stops_it_and_sends_nothing(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """Rows still rendering (a digest's AI texts take seconds each) when the RunJob is cancelled, or the process
    stops, stop there: nothing is sent and the rows go back whole. They went on rendering (paying the AI provider)
    and then sent, after the call had ended (a fault tester: AI texts and a webhook POST after SIGTERM's grace)."""
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY, concurrency_limit=2)
    worker = build_worker(database, config, portfolio=static_portfolio(),
                          channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    real_render = worker.content.render
    started: list[str] = []
    cancelled: list[str] = []
    both = asyncio.Event()

    async def slow_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(args[1])
        if len(started) == 2:
            both.set()
        try:
            await asyncio.sleep(3600)  # the AI provider, writing
        except asyncio.CancelledError:
            cancelled.append(args[1])
            raise
        return await real_render(*args, **kwargs)

    worker.content.render = slow_render  # type: ignore[method-assign]
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)

    async def call() -> None:
        async for _ in service.run_job(kind=NotificationKind.DIGEST, request_id=str(uuid.uuid4())):
            pass

    task = asyncio.ensure_future(call())
    await asyncio.wait_for(both.wait(), 20)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.wait_for(worker.aclose(grace=10), 20)  # nothing left to wait for: the renders stopped
    assert sorted(cancelled) == sorted(started)
    rows = await outbox(database)
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)] * 2
    assert smtp_sink.received() == []


async def test_a_cancelled_run_job_cancels_the_shared_rendering_itself(database: Database, smtp_sink: SmtpSink) -> None:
    """The row's render waits for a rendering shared by the user's rows (asyncio.shield): cancelling the wait left
    the shared rendering, its AI calls, running (a reviewer). The last row leaving cancels it."""
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY)
    worker = build_worker(database, config, portfolio=static_portfolio(),
                          channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    rendering = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow_render_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        rendering.set()
        try:
            await asyncio.sleep(3600)  # the AI provider, writing the digest's paragraph
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker.content._render_once = slow_render_once  # type: ignore[method-assign]
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)

    async def call() -> None:
        async for _ in service.run_job(kind=NotificationKind.DIGEST, request_id=str(uuid.uuid4())):
            pass

    task = asyncio.ensure_future(call())
    await asyncio.wait_for(rendering.wait(), 20)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.wait_for(cancelled.wait(), 10)  # the shared rendering itself stopped
    await asyncio.wait_for(worker.aclose(grace=10), 20)
    assert smtp_sink.received() == []


async def test_a_worker_that_stops_ends_its_renders_and_sends_nothing(database: Database, smtp_sink: SmtpSink) -> None:
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY)
    worker = build_worker(database, config, portfolio=static_portfolio(),
                          channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    rendering = asyncio.Event()

    async def slow_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        rendering.set()
        await asyncio.sleep(3600)

    worker.content.render = slow_render  # type: ignore[method-assign]
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)
    events = service.run_job(kind=NotificationKind.DIGEST)
    drain = asyncio.ensure_future(anext(events))  # PLANNED
    await drain
    rest = asyncio.ensure_future(anext(events))
    await asyncio.wait_for(rendering.wait(), 20)
    await asyncio.wait_for(worker.aclose(grace=10), 20)  # the process stops: the render ends at once
    for _ in range(100):  # the row goes back (from the RunJob's own task, which still runs)
        [row] = await outbox(database)
        if row["status"] != "sending":
            break
        await asyncio.sleep(0.05)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    rest.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await rest
    await events.aclose()  # type: ignore[attr-defined]
    assert smtp_sink.received() == []


@contextlib.asynccontextmanager
async def _answering(tmp_path: Path, status: int, headers: dict[str, str]) -> AsyncIterator[tuple[str, Path]]:
    """An HTTPS endpoint that answers every POST with ``status``; its URL and certificate."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=status, headers=headers)

    cert, key = make_self_signed_cert(tmp_path)
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://localhost:{port}/hook", cert
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "reason"), [(408, Reason.WEBHOOK_TIMEOUT), (429, Reason.WEBHOOK_RATE_LIMITED)]
)
async def test_a_408_is_retried_as_a_timeout_not_as_rate_limiting(
    tmp_path: Path, status: int, reason: Reason
) -> None:
    async with _answering(tmp_path, status, {"Retry-After": "30"}) as (url, cert):
        channel = WebhookChannel(WebhookSettings(allow_private_networks=True, ca_file=cert, timeout=1.0))
        try:
            outcome = await channel.send(delivery(endpoint(url, new_secret())))
        finally:
            await channel.aclose()
    assert isinstance(outcome, Retry)  # still retried, honouring Retry-After
    assert outcome.reason is reason and outcome.retry_after == timedelta(seconds=30)
    assert outcome.error.startswith(f"HTTP {status}")


async def test_a_row_being_sent_shows_no_reason_and_a_claim_given_back_keeps_it(
    database: Database, smtp_sink: SmtpSink
) -> None:
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    h = make_harness(
        database, test_config(**DIGEST_ONLY), {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    smtp_sink.fail_next("451 4.3.0 try again later")
    [o] = await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert (o.status, o.reason) == (OutboxStatus.RETRY, Reason.SMTP_4XX)
    [retry] = await _records(h.repo, user)
    assert (retry.status, retry.reason) == (OutboxStatus.RETRY, "smtp_4xx")

    h.clock.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    [claimed] = await h.worker.claim(10)  # a worker took it: being sent
    [sending] = await _records(h.repo, user)
    assert (sending.status, sending.reason) == (OutboxStatus.SENDING, "")  # not the previous attempt's

    with system_scope("test"):  # never started (e.g. shutdown): back to RETRY, with why it is retried
        assert await h.repo.release_row(claimed, h.worker.worker_id, now=h.clock.now())
    [back] = await _records(h.repo, user)
    assert (back.status, back.reason) == (OutboxStatus.RETRY, "smtp_4xx")


async def test_unsent_email_and_feed_rows_show_where_they_go(database: Database, smtp_sink: SmtpSink) -> None:
    [saved] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    [defaults] = await add_users(database, 1)  # never saved preferences: the account's address
    repo = SchedulerRepo(database)
    await repo.save_feed("acme-backend", enabled=True, kinds=())
    h = make_harness(
        database, test_config(**DIGEST_ONLY), {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    h.clock.set(datetime(2026, 3, 10, 8, tzinfo=UTC))
    await h.planner.tick()  # planned, not sent yet

    for user in (saved, defaults):
        pending = {r.channel: r for r in await _records(repo, user)}
        assert {r.status for r in pending.values()} == {OutboxStatus.PENDING}
        assert pending[Channel.EMAIL].target == f"user{user}@example.com"
        assert pending[Channel.FEED].target == "services/acme-backend/notificationFeed"

    # the address can change before the send; an unsent row shows where it will go now
    with system_scope("test-seed"):
        async with database.connection() as conn:
            await conn.execute(
                "UPDATE notification_prefs SET email_address = 'moved@example.com' WHERE user_id = %s", (saved,)
            )
    [email] = [r for r in await _records(repo, saved) if r.channel is Channel.EMAIL]
    assert email.target == "moved@example.com"

    await h.worker.drain()
    [email] = [r for r in await _records(repo, saved) if r.channel is Channel.EMAIL]
    assert (email.status, email.target) == (OutboxStatus.SENT, "moved@example.com")
    assert {m.rcpt_tos[0] for m in smtp_sink.received()} == {"moved@example.com", f"user{defaults}@example.com"}


async def test_an_email_row_skipped_before_any_send_shows_the_current_address(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """A skipped e-mail (e-mail switched off after it was planned) showed an empty target although the user
    still has an address (scheduler.proto, Notification.target: "until it is sent, the user's current
    notification address"); found by a contract tester."""
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    repo = SchedulerRepo(database)
    h = make_harness(
        database, test_config(**DIGEST_ONLY), {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    h.clock.set(datetime(2026, 3, 10, 8, tzinfo=UTC))
    await h.planner.tick()
    with system_scope("test-seed"):
        async with database.connection() as conn:
            await conn.execute("UPDATE notification_prefs SET email_enabled = false WHERE user_id = %s", (user,))
    await h.worker.drain()
    [email] = [r for r in await _records(repo, user) if r.channel is Channel.EMAIL]
    assert (email.status, email.reason) == (OutboxStatus.SKIPPED, "channel_disabled")
    assert email.target == f"user{user}@example.com"
    assert smtp_sink.received() == []


async def _set_locale(db: Database, user: str, locale: str) -> None:
    with system_scope("test-seed"):
        async with db.connection() as conn:
            await conn.execute("UPDATE notification_prefs SET locale = %s WHERE user_id = %s", (locale, user))


@pytest.mark.parametrize(
    ("locale", "expected", "fail"),
    [
        ("de", ("de", None), "unregistered"),  # DEAD: the token is gone
        ("xx-YY", ("en", "xx-YY"), "503"),  # RETRY: FCM unavailable
    ],
)
async def test_rendered_push_that_fails_records_its_locale(
    database: Database, fcm: FcmStandIn, tmp_path: Path, locale: str, expected: tuple[str, str | None], fail: str
) -> None:
    [user] = await add_users(database, 1, email=False, prefs={"time_zone": "UTC"})
    await _set_locale(database, user, locale)
    await add_device(database, user, "the-token")
    if fail == "unregistered":
        fcm.unregistered.add("the-token")
    else:
        fcm.fail_next(503)
    settings = FcmSettings(
        project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path), endpoint=fcm.base_url
    )
    async with aiohttp.ClientSession() as session:
        h = make_harness(
            database, test_config(**DIGEST_ONLY), {Channel.PUSH: FcmChannel(settings, session=session)},
            start=datetime(2026, 3, 10, 7, tzinfo=UTC),
        )
        await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
        [o] = await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert o.status is (OutboxStatus.DEAD if fail == "unregistered" else OutboxStatus.RETRY)
    [row] = await outbox(database)
    assert (row["locale"], row["locale_fallback_from"]) == expected
    [record] = await _records(h.repo, user)
    assert (record.locale, record.locale_fallback_from) == (expected[0], expected[1] or "")

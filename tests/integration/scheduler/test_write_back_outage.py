"""A send whose "sent" write-back meets a database outage: a live worker keeps trying the (fenced) write-back
while its claim lasts, so the reaper does not hand the row out again and the notification goes out once.
Only a lease that runs out first leaves the row to the reaper, and says a duplicate may follow."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from stack_cfo.core.errors import Unavailable
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.scheduler.channels import Delivery, SendOutcome, Sent
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.store.db import Database
from stack_cfo.store.errors import DATABASE_RETRY
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.store.scheduler.outbox import SentMark
from stack_cfo.telemetry.logging import OutageLimiter
from tests.integration.scheduler.conftest import (
    add_users,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
)
from tests.standins.smtp import SmtpSink
from tests.support.tcp_proxy import PgProxy

DIGEST_ONLY = {"enable_weekly_summary": False, "enable_performance_alerts": False}
PLANNED = datetime(2026, 3, 10, 7, tzinfo=UTC)
DUE = datetime(2026, 3, 10, 8, tzinfo=UTC)


def _down() -> Unavailable:
    return Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE", metadata=DATABASE_RETRY)


class _FlakyMarks:
    """``mark_sent_many`` of the real store, failing DATABASE_UNAVAILABLE (as the store does in an outage) for
    its first ``failures`` calls (every call when None)."""

    def __init__(self, repo: SchedulerRepo, failures: int | None) -> None:
        self._real = repo.mark_sent_many
        self.failures = failures
        self.calls = 0

    async def __call__(self, marks: Sequence[SentMark]) -> list[datetime | None]:
        self.calls += 1
        if self.failures is None or self.calls <= self.failures:
            raise _down()
        return await self._real(marks)


async def test_sent_write_back_is_retried_through_an_outage(
    database: Database, smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write-back after a send fails three times: the worker tries again, the row ends ``sent`` on its
    first attempt, and the reaper (run after the lease, when a one-try write-back left the row ``sending``)
    finds nothing to send again."""
    users = await add_users(database, 3, prefs={"time_zone": "UTC"})
    h = make_harness(database, test_config(**DIGEST_ONLY), {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
                     start=PLANNED)  # fmt: skip
    await h.step(PLANNED)
    flaky = _FlakyMarks(h.worker.repo, failures=3)
    monkeypatch.setattr(h.worker.repo, "mark_sent_many", flaky)
    outcomes = await h.step(DUE)
    # past the lease: whatever a failed write-back left "sending" the reaper returns, and the next drain sends
    h.clock.set(DUE + h.config.lease + timedelta(minutes=1))
    reaped = await h.worker.reap()
    outcomes += await h.worker.drain()

    counts = smtp_sink.message_ids()
    assert len(counts) == len(users) and set(counts.values()) == {1}, counts
    rows = await outbox(database, "kind = 'digest'")
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * len(users)
    assert reaped == 0
    assert sorted(o.user_id for o in outcomes if o.status is OutboxStatus.SENT and not o.lost_claim) == sorted(users)
    assert flaky.calls > 3  # it was tried again after the failures


async def test_write_back_gives_up_when_the_lease_runs_out(
    database: Database, smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An outage longer than the claim: the worker stops trying before the lease ends (the row stays
    ``sending`` for the reaper) and says a duplicate may follow."""
    caplog.set_level(logging.WARNING, logger="stack_cfo.scheduler.worker")
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    h = make_harness(database, test_config(lease=timedelta(seconds=2), **DIGEST_ONLY),
                     {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, start=PLANNED)  # fmt: skip
    await h.step(PLANNED)
    flaky = _FlakyMarks(h.worker.repo, failures=None)
    monkeypatch.setattr(h.worker.repo, "mark_sent_many", flaky)
    assert await h.step(DUE) == []

    assert flaky.calls > 1
    [row] = await outbox(database, "kind = 'digest'")
    assert (row["status"], row["locked_by"]) == ("sending", h.config.replica_id)
    gave_up = [r for r in caplog.records if "a duplicate may follow" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].key == row["idempotency_key"]  # type: ignore[attr-defined]
    assert len(smtp_sink.message_ids()) == 1


class _CutAfter:
    """SMTP whose ``nth`` accepted message takes the database away (the proxy in front of it): that send's
    "sent" write-back meets the outage."""

    def __init__(self, inner: SmtpChannel, proxy: PgProxy, nth: int) -> None:
        self.inner = inner
        self.proxy = proxy
        self.nth = nth
        self.sent = 0
        self.cut = asyncio.Event()

    @property
    def channel(self) -> Channel:
        return Channel.EMAIL

    async def send(self, d: Delivery) -> SendOutcome:
        outcome = await self.inner.send(d)
        if isinstance(outcome, Sent):
            self.sent += 1
            if self.sent == self.nth:
                self.proxy.cut()
                self.cut.set()
        return outcome

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def own_outage_log_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler loggers' once-a-minute outage windows, fresh for this test and put back afterwards: the
    outage here must not hold back another test's first outage line."""
    for name in ("stack_cfo.scheduler.process", "stack_cfo.scheduler.worker"):
        for f in logging.getLogger(name).filters:
            if isinstance(f, OutageLimiter):
                monkeypatch.setattr(f, "_last", {})


@pytest.mark.usefixtures("own_outage_log_windows")
async def test_outage_after_a_send_sends_nothing_twice(database: Database, smtp_sink: SmtpSink) -> None:
    """The SRE scenario, shortened: one send at a time, the database goes away just as the provider accepted
    the third e-mail and is back well inside the lease. Every user gets exactly one e-mail and every row ends
    ``sent``."""
    users = 6
    await add_users(database, users)
    repo = SchedulerRepo(database)
    now = await repo.db_now()
    slot = now - timedelta(minutes=2)
    await repo.set_planner_state(NotificationKind.DIGEST, epoch=now - timedelta(hours=1))
    config = test_config(
        daily_digest=CronSchedule.parse(f"{slot.minute} {slot.hour} * * *"),
        lease=timedelta(seconds=20),
        concurrency_limit=1,
        **DIGEST_ONLY,
    )
    await Planner(repo, config).tick()
    proxy = PgProxy(database.conninfo)
    await proxy.start()
    channel = _CutAfter(SmtpChannel(smtp_settings(smtp_sink)), proxy, nth=3)
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        run_scheduler(config, stop_event=stop, conninfo=proxy.dsn(), portfolio=static_portfolio(),
                      channels={Channel.EMAIL: channel}, planner_enabled=False)
    )  # fmt: skip
    try:
        await asyncio.wait_for(channel.cut.wait(), 30)
        await asyncio.sleep(2)  # the outage: shorter than the lease
        proxy.restore()
        loop = asyncio.get_running_loop()
        end = loop.time() + 90
        while len(await outbox(database, "status = 'sent'")) < users:
            assert loop.time() < end, Counter(r["status"] for r in await outbox(database))
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await proxy.close()
    counts = smtp_sink.message_ids()
    assert len(counts) == users and set(counts.values()) == {1}, counts
    rows = await outbox(database, "kind = 'digest'")
    assert [r["status"] for r in rows] == ["sent"] * users

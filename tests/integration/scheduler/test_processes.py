"""Real OS processes: two replicas at once, a replica killed with SIGKILL, a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import Channel, NotificationKind
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.process import build_worker
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.integration.scheduler.conftest import add_users, outbox, smtp_settings, static_portfolio, test_config
from tests.standins.smtp import SmtpSink
from tests.support import logcapture

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


class Replica:
    def __init__(self, name: str, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.name = name
        self.proc = proc
        self.log_path = log_path

    @classmethod
    async def start(cls, name: str, dsn: str, smtp_port: int, *args: str) -> Replica:
        log_path = Path(tempfile.gettempdir()) / f"stack-cfo-replica-{name}-{os.getpid()}.log"
        with log_path.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.integration.scheduler.replica",
                "--dsn", dsn, "--smtp-port", str(smtp_port), "--replica", name, *args,
                cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
        return cls(name, proc, log_path)

    async def ready(self, timeout: float = 30) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        assert line.strip() == b"ready", line + self.log_path.read_bytes()[-2000:]

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, int | None]:
        """Send ``sig``; returns (exit code, the replica's own count of sent notifications)."""
        self.proc.send_signal(sig)
        assert self.proc.stdout is not None
        out = await asyncio.wait_for(self.proc.stdout.read(), timeout)
        code = await self.proc.wait()
        logcapture.record_output(f"replica {self.name}", self.log_path.read_bytes() + out)
        sent = next((int(x.split(b"=")[1]) for x in out.split() if x.startswith(b"sent=")), None)
        return code, sent


async def _plan_due_digests(database: Database) -> str:
    """Make today's digest slot five minutes ago (UTC users), with the deploy epoch an hour back."""
    repo = SchedulerRepo(database)
    now = await repo.db_now()
    slot = now - timedelta(minutes=5)
    await repo.set_planner_state(NotificationKind.DIGEST, epoch=now - timedelta(hours=1))
    return f"{slot.minute} {slot.hour} * * *"


async def _wait_sent(database: Database, count: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        with system_scope("test-inspect"):  # every user's rows
            async with database.connection() as conn:
                row = await (
                    await conn.execute("SELECT count(*) AS n FROM notification_outbox WHERE status = 'sent'")
                ).fetchone()
        assert row is not None
        if row["n"] >= count:
            return
        assert loop.time() < end, f"only {row['n']} of {count} sent"
        await asyncio.sleep(0.2)


async def test_two_scheduler_processes_over_2000_users_deliver_each_key_once(
    database: Database, db_dsn: str, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 2000)
    cron = await _plan_due_digests(database)
    smtp_sink.delay = 0.005
    start_at = f"{time.time() + 4:.3f}"
    a, b = [
        await Replica.start(name, db_dsn, smtp_sink.port, "--digest-cron", cron, "--start-at", start_at)
        for name in ("replica-a", "replica-b")
    ]
    await asyncio.gather(a.ready(), b.ready())
    await _wait_sent(database, 2000, timeout=120)
    (code_a, sent_a), (code_b, sent_b) = await asyncio.gather(a.stop(), b.stop())
    assert (code_a, code_b) == (0, 0)
    assert sent_a and sent_b and sent_a + sent_b == 2000  # both worked, neither twice

    rows = await outbox(database)
    assert len(rows) == 2000 and {r["status"] for r in rows} == {"sent"}
    ids = smtp_sink.message_ids()
    assert len(ids) == 2000 and max(ids.values()) == 1
    assert {m.rcpt_tos[0] for m in smtp_sink.received()} == {f"user{r['user_id']}@example.com" for r in rows}


async def test_worker_killed_mid_batch_loses_nothing_and_duplicates_stay_within_the_window(
    database: Database, db_dsn: str, smtp_sink: SmtpSink
) -> None:
    users = 300
    concurrency = 10
    await add_users(database, users)
    cron = await _plan_due_digests(database)
    config = test_config(
        enable_weekly_summary=False,
        enable_performance_alerts=False,
        concurrency_limit=concurrency,
        lease=timedelta(seconds=2),
        daily_digest=CronSchedule.parse(cron),
    )
    repo = SchedulerRepo(database)
    [plan] = [r for r in await Planner(repo, config).tick() if r.kind is NotificationKind.DIGEST]
    assert plan.pending == users
    smtp_sink.delay = 0.05  # each message takes 50 ms, so the batch is mid-flight when killed

    victim = await Replica.start(
        "victim", db_dsn, smtp_sink.port, "--no-planner", "--lease", "2s", "--concurrency", str(concurrency)
    )
    await victim.ready()
    await smtp_sink.wait_for(40, timeout=60)
    code, _ = await victim.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    stranded = await outbox(database, "status = 'sending'")
    assert stranded, "the kill should leave claimed rows behind"
    assert {r["locked_by"] for r in stranded} == {"victim"}

    survivor = build_worker(
        database,
        config,
        portfolio=static_portfolio(),
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        worker_id="survivor",
    )
    loop = asyncio.get_running_loop()
    end = loop.time() + 60
    reaped = 0
    while len(await outbox(database, "status = 'sent'")) < users:
        assert loop.time() < end
        reaped += await survivor.reap()
        await survivor.drain()
        await asyncio.sleep(0.2)
    assert reaped >= len(stranded)

    rows = await outbox(database)
    assert {r["status"] for r in rows} == {"sent"}
    counts = Counter(m.message_id for m in smtp_sink.received())
    assert len(counts) == users  # every notification delivered
    duplicates = sum(counts.values()) - users
    # the documented window: only sends in flight at the kill (at most the concurrency limit)
    assert 0 <= duplicates <= concurrency, f"{duplicates} duplicates"
    print(f"SIGKILL: {len(stranded)} rows stranded, {reaped} reaped, {duplicates} duplicate deliveries")


async def test_sigterm_finishes_in_flight_sends_and_releases_the_rest(
    database: Database, db_dsn: str, smtp_sink: SmtpSink
) -> None:
    users = 200
    await add_users(database, users)
    cron = await _plan_due_digests(database)
    smtp_sink.delay = 0.05
    replica = await Replica.start("graceful", db_dsn, smtp_sink.port, "--digest-cron", cron, "--concurrency", "5")
    await replica.ready()
    await smtp_sink.wait_for(20, timeout=60)
    code, sent = await replica.stop(signal.SIGTERM)
    assert code == 0
    rows = await outbox(database)
    by_status = Counter(r["status"] for r in rows)
    assert by_status["sending"] == 0  # nothing left claimed
    assert by_status["sent"] == sent == len(smtp_sink.received())  # every accepted message is recorded
    waiting = [r for r in rows if r["status"] in ("pending", "retry")]
    assert waiting and all(r["attempts"] == 0 and r["locked_by"] is None for r in waiting)
    heartbeat = await SchedulerRepo(database).heartbeats()
    assert [(h.replica_id, h.stopped_at is not None) for h in heartbeat] == [("graceful", True)]

"""``stack-cfo scheduler`` through the real CLI: starts, heartbeats, stops on SIGTERM with exit 0;
a bad cron exits 2 naming the key."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.support import logcapture
from tests.support.secrets import ARCHIVE_MASTER_KEYS, SMTP_PASSWORD

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def _env(db_dsn: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEDULER_", "NOTIFICATION_", "SMTP_", "FCM_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": db_dsn,
            "SCHEDULER_METRICS_LISTEN": "127.0.0.1:0",
            "SCHEDULER_REPLICA_ID": "cli-replica",
            "SCHEDULER_HEARTBEAT_INTERVAL": "1s",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": "1",
            "SMTP_STARTTLS": "false",
            "SMTP_USERNAME": "mailer",
            "SMTP_PASSWORD": SMTP_PASSWORD,
            "STACK_CFO_LOG_LEVEL": "INFO",
            # An external database needs the archive master keys (never generated per pod).
            "STACK_CFO_ARCHIVE_MASTER_KEYS": ARCHIVE_MASTER_KEYS,
            **extra,
        }
    )
    return env


async def test_scheduler_command_runs_until_sigterm(database: Database, db_dsn: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stack_cfo.cli", "scheduler", cwd=ROOT, env=_env(db_dsn),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    repo = SchedulerRepo(database)
    try:
        for _ in range(150):
            beats = await repo.heartbeats()
            if beats:
                break
            await asyncio.sleep(0.1)
        assert [b.replica_id for b in beats] == ["cli-replica"] and beats[0].stopped_at is None
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        logcapture.record_output("stack-cfo scheduler", out + err)
    assert proc.returncode == 0, err.decode()[-2000:]
    [beat] = await repo.heartbeats()
    assert beat.stopped_at is not None
    assert SMTP_PASSWORD.encode() not in out + err


async def test_invalid_cron_exits_2_naming_the_key(db_dsn: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stack_cfo.cli", "scheduler", cwd=ROOT,
        env=_env(db_dsn, SCHEDULER_WEEKLY_SUMMARY_TIME="0 7 * * funday"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    logcapture.record_output("stack-cfo scheduler (bad cron)", out + err)
    assert proc.returncode == 2
    assert b"SCHEDULER_WEEKLY_SUMMARY_TIME" in err


def _get(port: int, path: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


async def _until(port: int, path: str, status: int, timeout: float = 30, contains: str = "") -> str:
    """The body of the first answer with ``status`` (and ``contains`` in its body)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last: tuple[int, str] | None = None
    while loop.time() < end:
        try:
            last = await asyncio.to_thread(_get, port, path)
        except OSError:
            last = None
        if last is not None and last[0] == status and contains in last[1]:
            return last[1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never answered {status} with {contains!r}: {last}")


async def test_an_unmigrated_database_makes_the_scheduler_wait_not_ready_and_say_so_once(empty_db_dsn: str) -> None:
    """No "scheduler job crashed" every tick: it waits (live, not ready, the reason on /readyz),
    logs the reason once, and starts by itself once the migrations are at head."""
    from stack_cfo.store.migrations import Migrator
    from tests.support.proc import free_port

    port = free_port()
    env = _env(empty_db_dsn, SCHEDULER_METRICS_LISTEN=f"127.0.0.1:{port}", SCHEDULER_TICK_INTERVAL="1s",
               SCHEDULER_POLL_INTERVAL="200ms")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stack_cfo.cli", "scheduler", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await _until(port, "/livez", 200)
        # Not ready from the start ("start-up"), then with the reason once the schema was checked.
        reason = await _until(port, "/readyz", 503, contains="schema")
        assert "schema at version 0" in reason, reason
        await asyncio.sleep(3)  # many ticks' worth of waiting
        assert (await asyncio.to_thread(_get, port, "/livez"))[0] == 200
        await Migrator(empty_db_dsn).up()
        assert (await _until(port, "/readyz", 200, timeout=15)).strip() == "ready"
        status, body = await asyncio.to_thread(_get, port, "/metrics")
        assert status == 200
        assert "stack_cfo_ready 1.0" in body  # the process's default registry is on the page too
        assert 'notification_scheduler_job_failures_total{job_type="daily_digest"} 0.0' in body
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        logcapture.record_output("stack-cfo scheduler (unmigrated)", out + err)
    assert proc.returncode == 0, err.decode()[-2000:]
    log = err.decode()
    assert log.count("database schema is not at head") == 1, log[-3000:]
    assert "scheduler job crashed" not in log and "scheduler job failed" not in log, log[-3000:]
    assert "database schema is at head; starting" in log


async def test_a_schema_newer_than_the_release_says_so_instead_of_asking_for_migrate_up(empty_db_dsn: str) -> None:
    """A rollback, or an old pod restarting after a newer release migrated: `migrate up` cannot help (it
    applies nothing), so the reason on /readyz and in the logs says what can."""
    import psycopg

    from stack_cfo.store.migrations import Migrator

    migrator = Migrator(empty_db_dsn)
    await migrator.up()
    head = (await migrator.status()).head
    async with await psycopg.AsyncConnection.connect(empty_db_dsn, autocommit=True) as conn:
        await conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, 'future', 'x')",
                           (head + 1,))
    status = await migrator.status()
    assert status.ahead and not status.at_head
    assert status.waiting_for() == (
        f"database schema at version {head + 1} is newer than this release's {head}: run the release that "
        f"migrated it (to go back, first its `stack-cfo migrate down --target {head}`)")
    assert "migrate up" not in status.waiting_for()

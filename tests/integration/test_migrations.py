"""Migrations: up, down, up on a fresh database; concurrent ``migrate up`` from two processes."""

from __future__ import annotations

import subprocess
import sys

import psycopg

from stack_cfo.store.migrations import Migrator, discover


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


async def test_up_down_up_on_fresh_database(empty_db_dsn: str) -> None:
    m = Migrator(empty_db_dsn)
    assert m.head == max(x.version for x in discover())
    status = await m.status()
    assert status.applied == [] and not status.at_head

    applied = await m.up()
    assert applied == [x.version for x in discover()]
    assert {"users", "chat_sessions", "idempotency_keys", "schema_migrations"} <= _tables(empty_db_dsn)
    assert (await m.status()).at_head

    reverted = await m.down(target=0)
    assert reverted == sorted(applied, reverse=True)
    assert _tables(empty_db_dsn) == {"schema_migrations"}

    assert await m.up() == applied
    assert (await m.status()).at_head
    # A second run is a no-op.
    assert await m.up() == []


async def test_seed_chat_sessions_indexes_exist(db_dsn: str) -> None:
    with psycopg.connect(db_dsn) as conn:
        idx = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chat_sessions'"
            ).fetchall()
        }
    for name in (
        "idx_chat_sessions_user_id",
        "idx_chat_sessions_status",
        "idx_chat_sessions_user_status",
        "idx_chat_sessions_last_accessed",
        "idx_chat_sessions_user_last_accessed",
    ):
        assert name in idx
    assert "USING gin (messages)" in idx["idx_chat_sessions_messages_gin"]
    assert "USING gin (metadata)" in idx["idx_chat_sessions_metadata_gin"]


def test_concurrent_migrate_up_from_two_processes(empty_db_dsn: str) -> None:
    cmd = [sys.executable, "-m", "stack_cfo.cli", "migrate", "up"]
    env = {"DATABASE_URL": empty_db_dsn, "PATH": "/usr/bin:/bin", "STACK_CFO_LOG_LEVEL": "INFO"}
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
    with psycopg.connect(empty_db_dsn) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [m.version for m in discover()]

"""The wired archive store on PostgreSQL: sealed per user, erase destroys readability,
master-key rotation keeps old archives readable."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from stack_cfo.core.archive import CHAT_SESSIONS, ArchiveKeyDestroyed
from stack_cfo.core.data_scope import user_scope
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.wiring.container import build_container
from tests.support.server import test_config


async def _store(db_dsn: str, data_dir: Path, master: str | None = None):  # type: ignore[no-untyped-def]
    overrides = {"archive": {"master_keys": master}} if master else {}
    container = build_container(test_config(db_dsn, data_dir, overrides), db_dsn)
    await container.db.open()
    return container, container.archive


async def test_round_trip_is_sealed_at_rest_and_erase_makes_it_unreadable(db_dsn: str, data_dir: Path) -> None:
    user = str(uuid.uuid4())
    container, store = await _store(db_dsn, data_dir)
    try:
        secret_text = b'{"messages": ["my salary is 123456"]}'
        with user_scope(user):  # as in the user's requests (row-level security)
            address = await store.put(CHAT_SESSIONS, "s1", secret_text, owner=user)
            assert address.startswith("pg:")
            assert await store.get(address, owner=user) == secret_text
        with psycopg.connect(db_dsn) as conn:
            (content,) = conn.execute("SELECT content FROM archive_objects WHERE address = %s", (address,)).fetchone()
        assert b"salary" not in bytes(content)  # sealed before it reached the backend

        with user_scope(user):  # EraseUserData acts in the user's scope
            assert await store.erase(user) == 1
            with pytest.raises(ArchiveKeyDestroyed):
                await store.get(address, owner=user)
        with psycopg.connect(db_dsn) as conn:
            row = conn.execute("SELECT wrapped_dek, destroyed_at FROM archive_data_keys WHERE user_id = %s",
                               (user,)).fetchone()
        assert row[0] is None and row[1] is not None
    finally:
        await container.aclose()
        await container.db.close()


async def test_master_key_rotation_keeps_old_archives_readable(db_dsn: str, data_dir: Path) -> None:
    user = str(uuid.uuid4())
    _, old = MasterKeys.generate("old")
    _, new = MasterKeys.generate("new")
    c1, store1 = await _store(db_dsn, data_dir, old)
    try:
        with user_scope(user):
            address = await store1.put(CHAT_SESSIONS, "s1", b"transcript", owner=user)
    finally:
        await c1.db.close()
    # New primary first, old one kept for reading.
    c2, store2 = await _store(db_dsn, data_dir, f"{new},{old}")
    try:
        with user_scope(user):
            assert await store2.get(address, owner=user) == b"transcript"
    finally:
        await c2.db.close()

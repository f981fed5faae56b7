"""A chat session's receipts share one copy of the data the AI was given: the snapshot is stored
once per (user, content) in ``ai_receipt_snapshots`` and every receipt reads it back whole, with
the hash it was receipted under. Receipts from before, and other users' identical data, keep their
own copies; retention removes a copy only once no receipt points at it."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import common_pb2, receipt_pb2, receipt_pb2_grpc
from stack_cfo.core.clock import FrozenClock
from stack_cfo.store.db import Database
from stack_cfo.store.migrations import Migrator
from stack_cfo.store.retention import RetentionRepo, RetentionWindows
from tests.integration.chat.conftest import Chat, chat_server, events, new_user
from tests.integration.chat.test_chat_grounding import T0, _portfolio
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn


def _raw(dsn: str, query: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


async def _turns(chat: Chat, user: str, n: int) -> list[common_pb2.Receipt]:
    """``n`` answers in one session; the full receipt of each, through ReceiptService."""
    s = await chat.create(user)
    stub = receipt_pb2_grpc.ReceiptServiceStub(chat.srv.channel)
    out = []
    for i in range(n):
        _, _, done = events(await chat.send(user, s.name, f"How is my portfolio doing? ({i})"))
        out.append(await stub.GetReceipt(receipt_pb2.GetReceiptRequest(name=done.assistant_message.receipt.name),
                                         metadata=chat.md(user)))
    return out


@contextlib.asynccontextmanager
async def _answered(db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, user: str,
                    n: int) -> AsyncIterator[tuple[Chat, list[common_pb2.Receipt]]]:
    """A server, ``user``'s portfolio, and the receipts of ``n`` answers in one session."""
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        yield chat, await _turns(chat, user, n)


async def test_a_sessions_receipts_share_one_copy_of_the_data_and_each_reads_it_whole(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, other = new_user(), new_user()
    async with _answered(db_dsn, data_dir, chain, provider, user, 3) as (chat, receipts):
        await _portfolio(chat, other)  # the same holdings and prices: the same data, another user
        theirs = await _turns(chat, other, 1)
    snapshot = receipts[0].data_snapshot
    assert snapshot and all(r.data_snapshot == snapshot for r in receipts)
    assert all(r.data_sha256 == hashlib.sha256(snapshot.encode()).hexdigest() for r in receipts)
    assert len({r.name for r in receipts}) == 3
    # One stored copy for the user's three receipts, which carry none of their own.
    rows = _raw(db_dsn, "SELECT data_sha256 FROM ai_receipt_snapshots WHERE user_id = %s", user)
    assert rows == [(receipts[0].data_sha256,)]
    inline = _raw(db_dsn, "SELECT data_snapshot, snapshot_shared FROM ai_receipts WHERE user_id = %s", user)
    assert len(inline) == 3 and all(row == ("", True) for row in inline)
    # The other user's identical data is theirs: their own row, sealed under their key.
    assert theirs[0].data_snapshot == snapshot
    assert _raw(db_dsn, "SELECT count(*) FROM ai_receipt_snapshots WHERE user_id = %s", other) == [(1,)]


async def test_a_receipt_written_before_keeps_and_reads_its_own_copy(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with _answered(db_dsn, data_dir, chain, provider, user, 1) as (chat, (receipt,)):
        rid = receipt.name.rsplit("/", 1)[1]
        # As a receipt of the previous release: the snapshot inline (plaintext then), no shared row.
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE ai_receipts SET data_snapshot = %s, snapshot_shared = false WHERE id = %s",
                         (receipt.data_snapshot, rid))
            conn.execute("DELETE FROM ai_receipt_snapshots WHERE user_id = %s", (user,))
        stub = receipt_pb2_grpc.ReceiptServiceStub(chat.srv.channel)
        again = await stub.GetReceipt(receipt_pb2.GetReceiptRequest(name=receipt.name), metadata=chat.md(user))
    assert again.data_snapshot == receipt.data_snapshot
    assert hashlib.sha256(again.data_snapshot.encode()).hexdigest() == again.data_sha256


async def test_retention_keeps_a_copy_while_a_receipt_points_at_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with _answered(db_dsn, data_dir, chain, provider, user, 2) as (_, (first, second)):
        pass
    ids = [r.name.rsplit("/", 1)[1] for r in (first, second)]
    with psycopg.connect(db_dsn) as conn:  # both receipts and their copy are a year old
        conn.execute("UPDATE ai_receipts SET created_at = now() - interval '400 days' WHERE id = ANY(%s::uuid[])",
                     (ids,))
        conn.execute("UPDATE ai_receipt_snapshots SET created_at = now() - interval '400 days', "
                     "last_used_at = now() - interval '400 days' WHERE user_id = %s", (user,))
        conn.execute("UPDATE ai_receipts SET created_at = now() WHERE id = %s", (ids[1],))  # the second is new
    windows = RetentionWindows(outbox=None, idempotency_keys=None, quotes=None, receipts=timedelta(days=365))
    db = Database(db_dsn)
    await db.open()
    try:
        repo = RetentionRepo(db)
        deleted = await repo.prune(windows)
        assert deleted["ai_receipts"] == 1 and deleted["ai_receipt_snapshots"] == 0  # the new receipt needs it
        assert _raw(db_dsn, "SELECT count(*) FROM ai_receipt_snapshots WHERE user_id = %s", user) == [(1,)]
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE ai_receipts SET created_at = now() - interval '400 days' WHERE id = %s", (ids[1],))
        deleted = await repo.prune(windows)
        assert deleted["ai_receipts"] == 1 and deleted["ai_receipt_snapshots"] == 1
        assert _raw(db_dsn, "SELECT count(*) FROM ai_receipt_snapshots WHERE user_id = %s", user) == [(0,)]
    finally:
        await db.close()


async def test_reverting_the_migration_refuses_while_sealed_copies_exist_and_restores_plain_ones(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with _answered(db_dsn, data_dir, chain, provider, user, 1) as (_, (receipt,)):
        pass
    migrator = Migrator(db_dsn)
    with psycopg.connect(db_dsn) as conn:  # a sealed copy (encryption at rest): the older code could not open it
        conn.execute("UPDATE ai_receipt_snapshots SET data_snapshot = 'sc1:' || md5(data_snapshot) WHERE user_id = %s",
                     (user,))
    with pytest.raises(Exception, match="cannot be reverted"):
        await migrator.down(target=14)
    with psycopg.connect(db_dsn) as conn:  # as written with encryption off
        conn.execute("UPDATE ai_receipt_snapshots SET data_snapshot = %s WHERE user_id = %s",
                     (receipt.data_snapshot, user))
    await migrator.down(target=14)
    rid = receipt.name.rsplit("/", 1)[1]
    assert _raw(db_dsn, "SELECT data_snapshot FROM ai_receipts WHERE id = %s", rid) == [(receipt.data_snapshot,)]
    await migrator.up()

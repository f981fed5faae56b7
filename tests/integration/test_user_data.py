"""EraseUserData over a real server: every user row goes, the archive key is destroyed (archived
copies become unreadable), others' data is untouched, retries are safe."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as pb_grpc
from stack_cfo.core.archive import CHAT_SESSIONS, ArchiveKeyDestroyed, ArchiveNotFound
from stack_cfo.core.data_scope import user_scope
from tests.support.server import running_server


async def _sync(srv, user: str) -> None:  # type: ignore[no-untyped-def]
    stub = ppb_grpc.PortfolioSummaryServiceStub(srv.channel)
    await stub.SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio",
            base_currency="USD",
            cash_balance="100.00",
            positions=[
                ppb.Holding(symbol="AAPL", quantity="3", average_cost="150.25", currency="USD", sector="Tech"),
                ppb.Holding(symbol="XOM", quantity="2", average_cost="90", currency="USD", sector="Energy"),
            ],
        ),
        metadata=srv.auth(user),
        timeout=10,
    )


def _count(dsn: str, table: str, column: str, user: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", (user,)).fetchone()[0])


async def test_erase_removes_everything_and_makes_archives_unreadable(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        await _sync(srv, alice)
        await _sync(srv, bob)
        archive = srv.container.archive
        # As the chat archiver does, inside each user's request (row-level security: their scope).
        with user_scope(alice):
            address = await archive.put(CHAT_SESSIONS, "s1", b"alice transcript", owner=alice)
        with user_scope(bob):
            bob_address = await archive.put(CHAT_SESSIONS, "s1", b"bob transcript", owner=bob)
        with psycopg.connect(db_dsn) as conn:
            conn.execute(
                "INSERT INTO push_devices (user_id, platform, token) VALUES (%s, 'fcm', 'tok-alice')", (alice,)
            )

        stub = pb_grpc.UserDataServiceStub(srv.channel)
        # Bob cannot erase Alice (NOT_FOUND: existence does not leak).
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.EraseUserData(pb.EraseUserDataRequest(name=f"users/{alice}"), metadata=srv.auth(bob), timeout=10)
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        rid = str(uuid.uuid4())
        resp = await stub.EraseUserData(  # the id in capitals: the same user, answered by the service's spelling
            pb.EraseUserDataRequest(name=f"users/{alice.upper()}", request_id=rid), metadata=srv.auth(alice),
            timeout=10,
        )
        assert resp.position_count == 2 and resp.name == f"users/{alice}"
        assert resp.device_count == 1
        assert resp.archive_count == 1
        # rows removed through cascades are counted too (they were not reported: a privacy review)
        assert resp.other_counts["holdings_history"] == 2 and resp.other_counts["cash_balance_history"] == 1
        assert resp.data_key_destroyed
        assert resp.erase_time.seconds > 0

        for table, column in (("positions", "user_id"), ("portfolios", "user_id"), ("push_devices", "user_id"),
                              ("archive_objects", "owner")):
            assert _count(db_dsn, table, column, alice) == 0, table
        assert _count(db_dsn, "positions", "user_id", bob) == 2  # others untouched
        # The PostgreSQL copy is deleted; any copy elsewhere (0G cannot delete) has lost its key.
        with pytest.raises((ArchiveNotFound, ArchiveKeyDestroyed)), user_scope(alice):
            await archive.get(address, owner=alice)
        with psycopg.connect(db_dsn) as conn:
            keys = conn.execute("SELECT wrapped_dek FROM archive_data_keys WHERE user_id = %s", (alice,)).fetchall()
        assert keys and all(k[0] is None for k in keys)
        with user_scope(bob):
            assert await archive.get(bob_address, owner=bob) == b"bob transcript"

        # The portfolio is gone for the API too.
        pstub = ppb_grpc.PortfolioSummaryServiceStub(srv.channel)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await pstub.GetPortfolioSummary(
                ppb.GetPortfolioSummaryRequest(portfolio=f"users/{alice}/portfolio"),
                metadata=srv.auth(alice),
                timeout=10,
            )
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        # A retry with the same request id replays the first answer; a new erase finds nothing.
        again = await stub.EraseUserData(
            pb.EraseUserDataRequest(name=f"users/{alice.upper()}", request_id=rid), metadata=srv.auth(alice),
            timeout=10,
        )
        assert again == resp
        empty = await stub.EraseUserData(
            pb.EraseUserDataRequest(name=f"users/{alice}"), metadata=srv.auth(service="privacy-desk"), timeout=10
        )
        assert empty.position_count == 0 and not empty.data_key_destroyed


async def test_a_request_id_erases_once_and_a_reused_one_erases_nothing(db_dsn: str, data_dir: Path) -> None:
    """The id is checked before anything is erased: a retry replays the first answer and keeps data
    stored since; the same id for another user is REQUEST_ID_REUSED and erases nothing."""
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        await _sync(srv, alice)
        await _sync(srv, bob)
        stub = pb_grpc.UserDataServiceStub(srv.channel)
        ops = srv.auth(service="privacy-desk")
        rid = str(uuid.uuid4())
        first = await stub.EraseUserData(pb.EraseUserDataRequest(name=f"users/{alice}", request_id=rid),
                                         metadata=ops, timeout=10)
        assert first.position_count == 2
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.EraseUserData(pb.EraseUserDataRequest(name=f"users/{bob}", request_id=rid),
                                     metadata=ops, timeout=10)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _count(db_dsn, "positions", "user_id", bob) == 2  # nothing of Bob's erased

        await _sync(srv, alice)  # Alice comes back after the erasure
        again = await stub.EraseUserData(pb.EraseUserDataRequest(name=f"users/{alice}", request_id=rid.upper()),
                                         metadata=ops, timeout=10)
        assert again == first
        assert _count(db_dsn, "positions", "user_id", alice) == 2  # the retry erased nothing new


async def test_archived_session_reads_back_and_detects_tampering(db_dsn: str, data_dir: Path) -> None:
    from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as cpb
    from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc as cpb_grpc

    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:
        chat = cpb_grpc.ChatServiceStub(srv.channel)
        session = await chat.CreateSession(
            cpb.CreateSessionRequest(parent=f"users/{alice}", session=cpb.Session(title="Q4 review")),
            metadata=srv.auth(alice), timeout=10,
        )
        async for _ in chat.SendMessage(
            cpb.SendMessageRequest(name=session.name, content="How is my portfolio doing?",
                                   request_id=str(uuid.uuid4())),
            metadata=srv.auth(alice), timeout=30,
        ):
            pass
        stub = pb_grpc.UserDataServiceStub(srv.channel)
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # not archived yet
            await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=session.name),
                                          metadata=srv.auth(alice), timeout=10)
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        archived = await chat.ArchiveSession(
            cpb.ArchiveSessionRequest(name=session.name, request_id=str(uuid.uuid4())),
            metadata=srv.auth(alice), timeout=30,
        )
        assert archived.archive_address.startswith("pg:")

        back = await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=session.name),
                                             metadata=srv.auth(alice), timeout=10)
        assert back.archive_address == archived.archive_address
        assert back.session.archive_address == archived.archive_address  # the session as archived has it
        assert back.session.name == session.name and back.session.title == "Q4 review"
        assert back.session.messages[0].content == "How is my portfolio doing?"
        assert len(back.session.messages) == 2
        assert back.archive_time.seconds > 0

        with pytest.raises(grpc.aio.AioRpcError) as ei:  # someone else's archive does not exist for Bob
            await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=session.name),
                                          metadata=srv.auth(bob), timeout=10)
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        # Flip one byte of the stored (sealed) blob: authentication fails -> DATA_LOSS, never bad data.
        with psycopg.connect(db_dsn) as conn:
            (content,) = conn.execute("SELECT content FROM archive_objects WHERE address = %s",
                                      (archived.archive_address,)).fetchone()
            tampered = bytearray(content)
            tampered[-5] ^= 0x01
            conn.execute("ALTER TABLE archive_objects DROP CONSTRAINT IF EXISTS archive_objects_check")
            conn.execute("UPDATE archive_objects SET content = %s WHERE address = %s",
                         (bytes(tampered), archived.archive_address))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=session.name),
                                          metadata=srv.auth(alice), timeout=10)
        assert ei.value.code() == grpc.StatusCode.DATA_LOSS

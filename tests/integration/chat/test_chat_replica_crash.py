"""A replica killed while it streams an answer does not hold its session's turn lease for the TTL.

Before, ``kill -9`` of a ``stack-cfo serve`` mid-answer left the session's lease held for its 30 s
TTL: a client retrying the same request_id on another replica with a 30 s deadline waited ~27 s,
the paid provider call started then was cut by the deadline, and the cut-off answer was stored for
that request_id. Now each replica beats a heartbeat (every 2 s, migration 22); a lease whose
replica has not been seen for 6 s is free to a replica whose own heartbeat has run without a break
for that long. A live replica keeps its lease for as long as its answer runs, and after a database
outage (every heartbeat stale) a live holder is not robbed the moment the database is back.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from stack_cfo.api.auth import mint_token
from stack_cfo.core.chat.models import NewSession, PortfolioContext
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import Aborted
from stack_cfo.secret import Secret
from stack_cfo.store.chat import LEASE_TTL, ChatRepository
from stack_cfo.store.chat.replica import REPLICA_STALE_AFTER, ReplicaHeartbeat
from stack_cfo.store.db import Database
from tests.integration.chat.conftest import events
from tests.standins.zerog_provider import Reply, RouterStandIn
from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready
from tests.support.secrets import JWT_SECRET, ZEROG_API_KEY, production_auth
from tests.support.tcp_proxy import PgProxy

pytestmark = pytest.mark.slow

NOW = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)

RETRY_DEADLINE = 15.0
"""The retry's deadline on the surviving replica: half the lease TTL."""

SLOW_WORDS = 40
SLOW_ANSWER = " ".join(f"slow{i}" for i in range(SLOW_WORDS))
"""Replica A's answer: 40 chunks 0.25 s apart (10 s, longer than the stale threshold)."""
QUICK_ANSWER = "The quick answer."


def md(user: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {mint_token(Secret(JWT_SECRET), user_id=user, cfg=production_auth())}"),)


# ---------------------------------------------------------------------------------------------------- processes


@dataclass
class Pair:
    """Two ``stack-cfo serve`` processes on one database, the router stand-in both talk to."""

    targets: list[str]
    router: RouterStandIn
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    """The prompt (its messages as text) of each chat request the router got, in order."""


@pytest.fixture
async def pair(db_dsn: str, tmp_path: Path) -> AsyncIterator[Pair]:
    async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
        fleet = Pair([], router)

        def reply_for(body: dict[str, Any]) -> Reply | None:
            users = [m for m in body.get("messages", []) if m.get("role") == "user"]
            if not users:
                return None
            fleet.asked.append(str(body["messages"]))
            if len(fleet.asked) == 1:  # the first turn is the long one
                return Reply.ok(SLOW_ANSWER, chunks=SLOW_WORDS, chunk_delay=0.25)
            return Reply.ok(QUICK_ANSWER)

        router.reply_for = reply_for
        common = {
            "DATABASE_URL": db_dsn,
            "ZEROG_COMPUTE_MODE": "router",
            "ZEROG_COMPUTE_BROKER_ENDPOINT": router.base_url,
            "ZEROG_COMPUTE_API_KEY": ZEROG_API_KEY,
            "STACK_CFO_DRAIN_DELAY": "0.1s",
            "STACK_CFO_SHUTDOWN_GRACE": "5s",
        }
        try:
            for i in range(2):
                port = free_port()
                proc = start_cli(["serve"], cli_env({
                    **common, "STACK_CFO_LISTEN": f"127.0.0.1:{port}", "STACK_CFO_DATA_DIR": str(tmp_path / f"s{i}"),
                }))  # fmt: skip
                fleet.procs.append((f"stack-cfo serve #{i} (replica crash)", proc))
                fleet.targets.append(f"127.0.0.1:{port}")
            for target in fleet.targets:
                await wait_ready(target)
            yield fleet
        finally:
            for _, proc in fleet.procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for label, proc in fleet.procs:
                try:
                    await asyncio.to_thread(finish, proc, label, 30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    await asyncio.to_thread(finish, proc, label, 10)


async def _session(ch: grpc.aio.Channel, user: str) -> str:
    created = await chat_pb2_grpc.ChatServiceStub(ch).CreateSession(
        chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="Replica crash")),
        metadata=md(user), timeout=10,
    )
    return str(created.name)


async def _lease(db_dsn: str, session: str) -> tuple[Any, Any]:
    async with await psycopg.AsyncConnection.connect(db_dsn) as conn:
        cur = await conn.execute("SELECT lease_owner, lease_replica FROM chat_sessions WHERE id = %s",
                                 (session.rsplit("/", 1)[1],))
        row = await cur.fetchone()
    assert row is not None
    return row[0], row[1]


async def test_a_retry_on_another_replica_after_a_kill_9_answers_well_within_its_deadline(
    pair: Pair, db_dsn: str
) -> None:
    user = str(uuid.uuid4())
    request_id = str(uuid.uuid4())
    (label_a, proc_a) = pair.procs[0]
    async with grpc.aio.insecure_channel(pair.targets[0]) as a, grpc.aio.insecure_channel(pair.targets[1]) as b:
        session = await _session(a, user)
        call = chat_pb2_grpc.ChatServiceStub(a).SendMessage(
            chat_pb2.SendMessageRequest(name=session, content="How is my week?", request_id=request_id),
            metadata=md(user), timeout=60,
        )
        async for ev in call:
            if ev.WhichOneof("event") == "delta":
                break
        owner, replica = await _lease(db_dsn, session)
        assert owner is not None and replica is not None, "replica A holds the lease and names its replica"
        proc_a.send_signal(signal.SIGKILL)  # mid-answer, nothing released
        await asyncio.to_thread(proc_a.wait, 10)
        with pytest.raises(grpc.aio.AioRpcError):
            async for _ in call:
                pass
        assert await _lease(db_dsn, session) == (owner, replica), "the dead replica's lease is left behind"

        started = time.monotonic()
        retry = chat_pb2_grpc.ChatServiceStub(b).SendMessage(
            chat_pb2.SendMessageRequest(name=session, content="How is my week?", request_id=request_id),
            metadata=md(user), timeout=RETRY_DEADLINE,
        )
        _accepted, text, completed = events([ev async for ev in retry])
        took = time.monotonic() - started
        print(f"\nretry on replica B answered {took:.2f} s after replica A was killed")
        assert text == QUICK_ANSWER
        assert completed.assistant_message.content == QUICK_ANSWER and not completed.assistant_message.incomplete
        # The lease was free once A's heartbeat was stale (at most 6 s after the kill), not after the TTL.
        assert took < REPLICA_STALE_AFTER + 3.0 < RETRY_DEADLINE - 5.0 < LEASE_TTL

        got = await chat_pb2_grpc.ChatServiceStub(b).GetSession(
            chat_pb2.GetSessionRequest(name=session), metadata=md(user), timeout=10)
    assert [m.role for m in got.messages] == [chat_pb2.CHAT_ROLE_USER, chat_pb2.CHAT_ROLE_ASSISTANT]
    assert got.messages[1].content == QUICK_ANSWER  # the whole answer, stored for that request_id
    assert len(pair.asked) == 2  # A's cut-off call and B's: one more provider call, no more
    assert (await _lease(db_dsn, session))[0] is None
    pair.procs[0] = (f"{label_a} (killed)", proc_a)


async def test_a_live_replica_keeps_its_lease_for_an_answer_longer_than_the_stale_threshold(
    pair: Pair, db_dsn: str
) -> None:
    user = str(uuid.uuid4())
    async with grpc.aio.insecure_channel(pair.targets[0]) as a, grpc.aio.insecure_channel(pair.targets[1]) as b:
        session = await _session(a, user)
        long_call = chat_pb2_grpc.ChatServiceStub(a).SendMessage(
            chat_pb2.SendMessageRequest(name=session, content="Tell me everything.", request_id=str(uuid.uuid4())),
            metadata=md(user), timeout=60,
        )
        first = await long_call.read()
        assert first.WhichOneof("event") == "accepted"
        began = time.monotonic()

        async def other() -> tuple[float, list[chat_pb2.SendMessageResponse]]:
            evs = [ev async for ev in chat_pb2_grpc.ChatServiceStub(b).SendMessage(
                chat_pb2.SendMessageRequest(name=session, content="And briefly?", request_id=str(uuid.uuid4())),
                metadata=md(user), timeout=40,
            )]
            return time.monotonic() - began, evs

        waiting = asyncio.create_task(other())
        rest = []
        while (ev := await long_call.read()) is not grpc.aio.EOF:
            rest.append(ev)
        long_done = time.monotonic() - began
        _, text, completed = events([first, *rest])
        assert text == SLOW_ANSWER and not completed.assistant_message.incomplete
        assert long_done > REPLICA_STALE_AFTER + 2.0
        waited, evs = await waiting
        _, text_b, _ = events(evs)
        assert text_b == QUICK_ANSWER
    # B waited for A's turn (its lease kept all along): its prompt holds A's whole, stored answer.
    assert waited >= long_done - 0.5
    assert len(pair.asked) == 2 and "And briefly?" in pair.asked[1] and SLOW_ANSWER in pair.asked[1]


# ---------------------------------------------------------------------------------------------------- the store


async def _new_session(repo: ChatRepository) -> str:
    return (await repo.create_session(NewSession(
        id=str(uuid.uuid4()), user_id=str(uuid.uuid4()), title="t", provider="router", model="m",
        context=PortfolioContext.empty(NOW), auto_summarize=False, summarize_interval=20, created_at=NOW,
    ))).id


EVERY, STALE = 0.25, 1.0
"""Heartbeat timing of the store tests (the service's is 2 s and 6 s)."""


def _replica(dsn: str, database: Database) -> ReplicaHeartbeat:
    return ReplicaHeartbeat(dsn, role=database.role, every=EVERY, stale_after=STALE)


async def _until(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.02)


async def _crash(repo: ChatRepository) -> None:
    """The process dies: its heartbeat stops, its row stays (nothing deleted)."""
    task, repo._replica._task = repo._replica._task, None
    assert task is not None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    repo._replica._close()


async def test_a_crashed_replicas_lease_is_taken_once_its_heartbeat_is_stale(database: Database) -> None:
    with system_scope("test-chat-replica"):
        a = ChatRepository(database, lease_ttl=30, replica=_replica(database.conninfo, database))
        b = ChatRepository(database, lease_ttl=30, replica=_replica(database.conninfo, database))
        await a.astart()
        await b.astart()
        try:
            sid = await _new_session(a)
            await _until(lambda: a._replica.continuous() and b._replica.continuous())
            async with a.lease(sid) as held:
                assert held.renewer is not None
                # While A beats, B does not get the lease (waits three times the stale threshold).
                with pytest.raises(Aborted) as busy:
                    async with b.lease(sid, wait_until=time.monotonic() + 3 * STALE):
                        pass
                assert busy.value.reason == "SESSION_BUSY"
                # A dies holding it: its lease renewer and heartbeat stop, the row is left behind.
                held.renewer.cancel()
                held.held = False
                await _crash(a)
                crashed = time.monotonic()
                async with b.lease(sid, wait_until=time.monotonic() + 10):
                    took = time.monotonic() - crashed
                    with psycopg.connect(database.conninfo) as conn:
                        row = conn.execute("SELECT lease_replica::text FROM chat_sessions WHERE id = %s",
                                           (sid,)).fetchone()
                    assert row == (b._replica.id,)
            assert STALE - EVERY - 0.1 < took < STALE + 1.0 < 30
        finally:
            await a.aclose()
            await b.aclose()
        with psycopg.connect(database.conninfo) as conn:  # B stopped: its row deleted; A's (crashed) stays
            ids = {r[0] for r in conn.execute("SELECT id::text FROM server_replicas").fetchall()}
        assert b._replica.id not in ids and a._replica.id in ids


async def test_after_a_database_outage_a_live_holder_keeps_its_lease(database: Database) -> None:
    """Every heartbeat is stale after an outage: a replica takes a stale lease only once its own
    heartbeat has beaten without a break for the stale threshold, by when the live holder's beats
    again."""
    proxy = PgProxy(database.conninfo)
    await proxy.start()
    with system_scope("test-chat-replica"):
        a = ChatRepository(database, lease_ttl=30, replica=_replica(proxy.dsn(), database))
        b = ChatRepository(database, lease_ttl=30, replica=_replica(proxy.dsn(), database))
        await a.astart()
        await b.astart()
        try:
            sid = await _new_session(a)
            await _until(lambda: a._replica.continuous() and b._replica.continuous())
            async with a.lease(sid) as held:
                proxy.cut()  # the heartbeats' database goes away for four stale thresholds
                await _until(lambda: not b._replica.continuous())
                with pytest.raises(Aborted):  # A's row is stale, but B's own heartbeat fails too
                    async with b.lease(sid, wait_until=time.monotonic() + 4 * STALE):
                        pass
                proxy.restore()
                # B retries from the moment the database is back, for four stale thresholds: A, still
                # alive, beats again before B's heartbeat has run long enough to take stale leases.
                with pytest.raises(Aborted):
                    async with b.lease(sid, wait_until=time.monotonic() + 4 * STALE):
                        pass
                assert b._replica.continuous() and a._replica.continuous()
                assert held.held
                held.renewer.cancel()  # type: ignore[union-attr]
                held.held = False
                await _crash(a)  # now A dies: B takes the lease after the stale threshold
                async with b.lease(sid, wait_until=time.monotonic() + 10):
                    pass
        finally:
            await a.aclose()
            await b.aclose()
            await proxy.close()


async def test_a_lease_without_a_replica_heartbeat_expires_by_its_ttl_only(database: Database) -> None:
    """A lease taken by a process without a heartbeat (or before migration 22) names no replica:
    the TTL rule alone, as before."""
    with system_scope("test-chat-replica"):
        old = ChatRepository(database, lease_ttl=30)  # never started: no heartbeat
        b = ChatRepository(database, lease_ttl=30, replica=_replica(database.conninfo, database))
        await b.astart()
        try:
            sid = await _new_session(old)
            await _until(b._replica.continuous)
            async with old.lease(sid) as held:
                with psycopg.connect(database.conninfo) as conn:
                    row = conn.execute("SELECT lease_replica FROM chat_sessions WHERE id = %s", (sid,)).fetchone()
                assert row == (None,)
                held.renewer.cancel()  # type: ignore[union-attr]
                with pytest.raises(Aborted):
                    async with b.lease(sid, wait_until=time.monotonic() + 3 * STALE):
                        pass
        finally:
            await old.aclose()
            await b.aclose()


async def test_a_stalled_database_leaks_no_heartbeat_connections(database: Database) -> None:
    """Each beat abandoned mid-connect during a stall closes its socket at once (a bare libpq
    connection, as the readiness probe's): when the server answers again, one heartbeat
    connection is left, not one per beat of the stall."""
    proxy = PgProxy(database.conninfo)
    await proxy.start()
    replica = _replica(proxy.dsn(), database)
    gc.disable()  # nothing the collector might do hides a leak
    try:
        replica.start()
        await _until(replica.continuous)
        proxy.silence()  # the connection is kept but nothing answers; new ones are accepted, unanswered
        await _until(lambda: not replica.continuous())
        await asyncio.sleep(8 * EVERY)  # several beats abandoned while connecting
        proxy.restore()
        await _until(replica.continuous)

        def heartbeats() -> int:
            with psycopg.connect(database.conninfo) as conn:
                # this database's only: pg_stat_activity is the whole cluster's, where other servers beat too
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                   "'stack-cfo-replica' AND datname = current_database()").fetchone()
            return int(row[0]) if row else 0

        deadline = time.monotonic() + 5
        while (count := await asyncio.to_thread(heartbeats)) > 1:
            assert time.monotonic() < deadline, f"{count} heartbeat connections after the stall"
            await asyncio.sleep(0.1)
        await replica.stop()
        assert await asyncio.to_thread(heartbeats) == 0
    finally:
        gc.enable()
        await replica.stop()
        await proxy.close()

"""Master key rotation without downtime: ``stack-cfo keys rotate`` re-wraps every user data key
under the new primary while a real server keeps serving sealed data, with no failed call; then
the old master key can be removed."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from pathlib import Path

import psycopg

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.support.proc import cli_env, finish, start_cli
from tests.support.secrets import ARCHIVE_MASTER_KEYS
from tests.support.server import RunningServer, running_server

NEW_KEY = "rot2:" + base64.b64encode(os.urandom(32)).decode()
OLD_ID = ARCHIVE_MASTER_KEYS.split(":", 1)[0]


def _keys(overrides: str) -> dict[str, object]:
    return {"archive": {"master_keys": overrides}}


async def _session(srv: RunningServer, user: str, title: str) -> str:
    chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
    md = srv.auth(user)
    s = await chat.CreateSession(chat_pb2.CreateSessionRequest(parent=f"users/{user}",
                                                               session=chat_pb2.Session(title=title)),
                                 metadata=md, timeout=10)
    async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(name=s.name, content=f"question of {title}",
                                                                request_id=str(uuid.uuid4())),
                                    metadata=md, timeout=30):
        pass
    return str(s.name)


def _live_keks(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT kek_id, count(*) FROM archive_data_keys WHERE destroyed_at IS NULL "
                            "GROUP BY kek_id").fetchall()
    return {k: int(n) for k, n in rows}


async def test_keys_rotate_while_serving_then_the_old_master_key_can_go(db_dsn: str, tmp_path: Path) -> None:
    users = [str(uuid.uuid4()) for _ in range(12)]
    sessions: dict[str, str] = {}
    async with running_server(db_dsn, tmp_path) as srv:  # the old master key only
        for i, user in enumerate(users):
            sessions[user] = await _session(srv, user, f"T{i}")
    assert _live_keks(db_dsn) == {OLD_ID: len(users)}

    # Step 1 of a rotation: every replica gets the new key first in the list (primary), old kept.
    both = f"{NEW_KEY},{ARCHIVE_MASTER_KEYS}"
    async with running_server(db_dsn, tmp_path, _keys(both)) as srv:
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        failures: list[Exception] = []
        calls = 0
        stop = asyncio.Event()

        async def traffic(worker: int) -> None:
            nonlocal calls
            n = 0
            while not stop.is_set():
                user = users[(worker + n) % len(users)]
                n += 1
                try:
                    got = await chat.GetSession(chat_pb2.GetSessionRequest(name=sessions[user]),
                                                metadata=srv.auth(user), timeout=10)
                    assert got.title.startswith("T") and got.messages[0].content.startswith("question of T")
                    if n % 5 == 0:  # new users get keys (under the new primary) meanwhile
                        await _session(srv, str(uuid.uuid4()), f"new{worker}-{n}")
                    calls += 1
                except Exception as exc:  # every failure is the finding
                    failures.append(exc)

        workers = [asyncio.create_task(traffic(w)) for w in range(3)]
        await asyncio.sleep(0.3)
        # Step 2: re-wrap, online, from another process (as an operator or a Job would).
        # The keys from a mounted file (the *_FILE form of a secret).
        key_file = tmp_path / "master-keys"
        key_file.write_text(both + "\n")
        env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                       "STACK_CFO_ARCHIVE_MASTER_KEYS_FILE": str(key_file)})
        env.pop("STACK_CFO_ARCHIVE_MASTER_KEYS", None)
        rc, out, err = await asyncio.to_thread(finish, start_cli(["keys", "rotate"], env), "keys rotate", 60)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*workers)
        assert rc == 0, err
        assert f"rewrapped={len(users)}" in out, out
        assert not failures, failures[:3]
        assert calls >= 10
        assert OLD_ID not in _live_keks(db_dsn)

        # Running it again finds nothing to do.
        rc, out, _ = await asyncio.to_thread(finish, start_cli(["keys", "rotate"], env), "keys rotate again", 60)
        assert rc == 0 and "rewrapped=0" in out

    # Step 3: the old key is removed from the configuration; everything still reads.
    async with running_server(db_dsn, tmp_path, _keys(NEW_KEY)) as srv:
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        for i, user in enumerate(users):
            got = await chat.GetSession(chat_pb2.GetSessionRequest(name=sessions[user]),
                                        metadata=srv.auth(user), timeout=10)
            assert got.title == f"T{i}" and got.messages[0].content == f"question of T{i}"


async def test_a_server_without_the_master_key_that_wrapped_a_user_key_answers_a_clear_error(
    db_dsn: str, tmp_path: Path
) -> None:
    """Wrong master key configured: the user's calls answer FAILED_PRECONDITION naming the missing
    key id (never INTERNAL); keys rotate refuses to run (exit 1) rather than skip the user."""
    import grpc
    import pytest

    user = str(uuid.uuid4())
    async with running_server(db_dsn, tmp_path) as srv:
        name = await _session(srv, user, "T")
    async with running_server(db_dsn, tmp_path, _keys(NEW_KEY)) as srv:
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await chat.GetSession(chat_pb2.GetSessionRequest(name=name), metadata=srv.auth(user), timeout=10)
        assert info.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert OLD_ID in (info.value.details() or "")
    env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                   "STACK_CFO_ARCHIVE_MASTER_KEYS": NEW_KEY})
    rc, _, err = finish(start_cli(["keys", "rotate"], env), "keys rotate without the old key", 60)
    assert rc == 1 and OLD_ID in err

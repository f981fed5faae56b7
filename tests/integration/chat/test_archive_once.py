"""ArchiveSession on the 0G Storage backend archives a session once and pays the Flow fee once,
across retries with the same request_id: after finality timed out, and after the server was
stopped mid-upload and another server process retried (migration 0023: the sealed transcript is
kept before it is uploaded, so a retry uploads the same bytes and the client resumes the earlier
submission instead of paying for a new file); and while the storage node has not yet heard of the
first submission, or its transaction is still pending or was lost (migration 0024: the signed
Flow.submit transaction is kept with the transcript before it is sent)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from eth_account import Account
from psycopg.rows import dict_row

from stack_cfo._proto.stack.cfo.v1 import (
    chat_pb2,
    chat_pb2_grpc,
    portfolio_pb2_grpc,
    user_data_pb2,
    user_data_pb2_grpc,
)
from stack_cfo.zerog.storage.client import parse_address
from tests.integration.chat.conftest import Chat, compute_overrides, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn
from tests.standins.zerog_storage import ZeroGStorageNetwork
from tests.support.server import running_server

STORAGE_WALLET = Account.create()


@pytest.fixture
async def net() -> AsyncIterator[ZeroGStorageNetwork]:
    async with ZeroGStorageNetwork() as network:
        yield network


@asynccontextmanager
async def archive_server(
    db_dsn: str,
    data_dir: Path,
    chain: ChainStandIn,
    provider: ProviderStandIn,
    net: ZeroGStorageNetwork,
    *,
    finality_timeout: str = "1s",
    receipt_timeout: str = "5s",
) -> AsyncIterator[Chat]:
    overrides: dict[str, Any] = compute_overrides(chain, provider)
    overrides["archive"] = {"backend": "0g"}
    overrides["zerog"]["storage"] = {
        "indexer_url": net.indexer_url,
        "rpc_endpoint": net.node_url,
        "chain_rpc_url": net.chain_url,
        "private_key": STORAGE_WALLET.key.hex(),
        "timeout": "5s",
        "receipt_timeout": receipt_timeout,
        "finality_timeout": finality_timeout,
        "poll_interval": "20ms",
        "retry_base_delay": "10ms",
        "retry_max_delay": "20ms",
    }
    async with running_server(db_dsn, data_dir, overrides) as srv:
        yield Chat(
            srv,
            provider,
            chat_pb2_grpc.ChatServiceStub(srv.channel),
            portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel),
        )


def paid_submissions(net: ZeroGStorageNetwork) -> list[Any]:
    """Flow.submit transactions that were mined and paid a fee."""
    return [t for t in net.transactions.values() if t.status == 1 and t.logs and t.value > 0]


def pending_rows(db_dsn: str, session_id: str) -> int:
    with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM chat_archive_uploads WHERE session_id = %s", (session_id,)
        ).fetchone()
    assert row is not None
    return int(row["n"])


def kept_submission(db_dsn: str, session_id: str) -> tuple[str | None, int | None]:
    """The Flow.submit transaction remembered with the kept transcript (hash, nonce)."""
    with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT submit_tx_hash, submit_nonce FROM chat_archive_uploads WHERE session_id = %s", (session_id,)
        ).fetchone()
    assert row is not None
    return row["submit_tx_hash"], row["submit_nonce"]


async def archive_fails(chat: Chat, user: str, name: str, request_id: str) -> tuple[grpc.StatusCode, str, str]:
    """An ArchiveSession that fails: (code, reason, cause)."""
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=name, request_id=request_id), metadata=chat.md(user), timeout=30
        )
    info, _ = error_info(ei.value)
    return ei.value.code(), info.reason, info.metadata["cause"]


async def read_archive(chat: Chat, user: str, name: str) -> user_data_pb2.ArchivedSession:
    """The transcript read back from 0G through the API (decrypted, checked against its root)."""
    stub = user_data_pb2_grpc.UserDataServiceStub(chat.srv.channel)
    return await stub.GetArchivedSession(
        user_data_pb2.GetArchivedSessionRequest(session=name), metadata=chat.md(user), timeout=30
    )


async def assert_archived_once(
    chat: Chat, user: str, name: str, net: ZeroGStorageNetwork, db_dsn: str, archived: chat_pb2.Session
) -> None:
    """ARCHIVED at the address of the one paid submission, with the transcript's archive_time."""
    assert archived.status == chat_pb2.SESSION_STATUS_ARCHIVED
    paid = paid_submissions(net)
    assert len(paid) == 1, [(t.tx_hash, t.value) for t in paid]
    root = parse_address(archived.archive_address)
    assert root in net.files and net.files[root].finalized
    assert net.files[root].fee_paid == paid[0].value
    transcript = await read_archive(chat, user, name)
    got = await chat.get(user, name)
    assert got.archive_address == archived.archive_address == transcript.archive_address
    # the transcript's archive time (as written in the archive) is the session's
    assert transcript.session.archive_time == got.archive_time == archived.archive_time
    assert transcript.archive_time == got.archive_time
    assert pending_rows(db_dsn, name.rsplit("/", 1)[1]) == 0


async def test_a_retry_after_finality_timed_out_pays_nothing_again(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    user = new_user()
    async with archive_server(db_dsn, data_dir, chain, provider, net) as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        r = rid()
        net.finalize = False  # segments accepted, the file never finalizes
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=chat.md(user), timeout=30
            )
        info, _ = error_info(ei.value)
        assert ei.value.code() == grpc.StatusCode.UNAVAILABLE
        assert (info.reason, info.metadata["cause"]) == ("ARCHIVE_STORE_UNAVAILABLE", "ARCHIVE_NOT_FINALIZED")
        assert len(paid_submissions(net)) == 1
        assert (await chat.get(user, s.name)).status == chat_pb2.SESSION_STATUS_ACTIVE
        # Reading the session between the attempts does not make it another transcript.
        await asyncio.sleep(0.01)
        await chat.get(user, s.name)

        net.finalize = True
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=chat.md(user), timeout=30
        )
        await assert_archived_once(chat, user, s.name, net, db_dsn, archived)


async def test_a_changed_session_is_archived_as_it_is_now(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """A message added after a failed attempt is in the archive (a new transcript, paid again)."""
    user = new_user()
    async with archive_server(db_dsn, data_dir, chain, provider, net) as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "First question"))
        net.finalize = False
        with pytest.raises(grpc.aio.AioRpcError):
            await chat.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
            )
        events(await chat.send(user, s.name, "Second question"))
        net.finalize = True
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
        )
        transcript = await read_archive(chat, user, s.name)
        assert [m.content for m in transcript.session.messages if m.role == chat_pb2.CHAT_ROLE_USER] == [
            "First question",
            "Second question",
        ]
        assert transcript.session.archive_time == archived.archive_time == transcript.archive_time
        assert len(paid_submissions(net)) == 2
        assert pending_rows(db_dsn, s.name.rsplit("/", 1)[1]) == 0


async def test_a_retry_on_another_server_after_a_stop_mid_upload_pays_nothing_again(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    user = new_user()
    r = rid()
    net.node_sync_after_polls = 10**9  # the node never hears of the submission
    async with archive_server(db_dsn, data_dir, chain, provider, net, finality_timeout="60s") as first:
        s = await first.create(user, "To archive")
        events(await first.send(user, s.name, "Keep this for my records"))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await first.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=first.md(user), timeout=3
            )
        assert ei.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert len(paid_submissions(net)) == 1  # submitted and paid, then waiting for the node
        # the server stops with the upload still waiting for the node

    net.node_sync_after_polls = 0  # the node has caught up
    async with archive_server(db_dsn, data_dir, chain, provider, net) as second:
        archived = await second.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=second.md(user), timeout=30
        )
        await assert_archived_once(second, user, s.name, net, db_dsn, archived)
        again = await second.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=second.md(user), timeout=30
        )
        assert again.archive_address == archived.archive_address
        assert len(paid_submissions(net)) == 1


async def test_the_kept_transcript_goes_with_the_session_and_the_user(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """The sealed transcript of a failed attempt holds user content: DeleteSession and
    EraseUserData remove it."""
    user = new_user()
    net.finalize = False
    async with archive_server(db_dsn, data_dir, chain, provider, net) as chat:
        kept, deleted = await chat.create(user, "Kept"), await chat.create(user, "Deleted")
        for s in (kept, deleted):
            events(await chat.send(user, s.name, "Something private"))
            with pytest.raises(grpc.aio.AioRpcError):
                await chat.stub.ArchiveSession(
                    chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
                )
            assert pending_rows(db_dsn, s.name.rsplit("/", 1)[1]) == 1
        with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
            row = conn.execute(
                "SELECT sealed FROM chat_archive_uploads WHERE session_id = %s", (kept.name.rsplit("/", 1)[1],)
            ).fetchone()
        assert row is not None and b"Something private" not in bytes(row["sealed"])  # sealed, not plaintext

        await chat.stub.DeleteSession(
            chat_pb2.DeleteSessionRequest(name=deleted.name), metadata=chat.md(user), timeout=10
        )
        assert pending_rows(db_dsn, deleted.name.rsplit("/", 1)[1]) == 0
        assert pending_rows(db_dsn, kept.name.rsplit("/", 1)[1]) == 1

        stub = user_data_pb2_grpc.UserDataServiceStub(chat.srv.channel)
        await stub.EraseUserData(
            user_data_pb2.EraseUserDataRequest(name=f"users/{user}", request_id=rid()),
            metadata=chat.srv.auth(service="backend"),
            timeout=30,
        )
        assert pending_rows(db_dsn, kept.name.rsplit("/", 1)[1]) == 0


async def test_an_upload_the_nodes_pruned_is_sealed_anew_on_the_next_attempt(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """Pruned before it finalized, the kept bytes are dropped: uploading them again would meet the
    same pruned file for good (FAILED_PRECONDITION ARCHIVE_PRUNED every time)."""
    user = new_user()
    async with archive_server(db_dsn, data_dir, chain, provider, net) as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        net.finalize = False
        with pytest.raises(grpc.aio.AioRpcError):
            await chat.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
            )
        (first,) = net.submissions
        net.prune(first.root)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
            )
        info, _ = error_info(ei.value)
        assert (ei.value.code(), info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ARCHIVE_PRUNED")
        assert pending_rows(db_dsn, s.name.rsplit("/", 1)[1]) == 0

        net.finalize = True
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30
        )
        assert archived.status == chat_pb2.SESSION_STATUS_ARCHIVED
        assert parse_address(archived.archive_address) != first.root
        assert len(paid_submissions(net)) == 2


async def test_a_retry_before_the_node_has_seen_the_submission_pays_nothing_again(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """The storage node learns of a submission some blocks after it is mined (zgs_getFileInfo is
    null until then): a retry in that window finds the remembered transaction, not a new payment."""
    user = new_user()
    r = rid()
    net.node_sync_after_polls = 10**9  # the node lags behind the chain
    async with archive_server(db_dsn, data_dir, chain, provider, net) as chat:
        s = await chat.create(user, "To archive")
        session_id = s.name.rsplit("/", 1)[1]
        events(await chat.send(user, s.name, "Keep this for my records"))
        for _ in range(2):  # the first attempt pays; the retry waits for the same submission
            assert await archive_fails(chat, user, s.name, r) == (
                grpc.StatusCode.UNAVAILABLE,
                "ARCHIVE_STORE_UNAVAILABLE",
                "ARCHIVE_NOT_FINALIZED",
            )
            assert len(paid_submissions(net)) == 1
            assert len(net.sends) == 1  # nothing else was even sent
            assert (await chat.get(user, s.name)).status == chat_pb2.SESSION_STATUS_ACTIVE
        (paid,) = paid_submissions(net)
        assert kept_submission(db_dsn, session_id) == (paid.tx_hash, paid.nonce)

        net.node_sync_after_polls = 0  # the node has caught up
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=chat.md(user), timeout=30
        )
        await assert_archived_once(chat, user, s.name, net, db_dsn, archived)


async def test_a_retry_while_the_submission_is_pending_waits_for_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """No receipt before receipt_timeout: the retry sends the same signed transaction (the pool
    answers 'already known') and waits again; it never sends one at the next nonce."""
    user = new_user()
    r = rid()
    net.mine = False  # transactions wait in the pool
    async with archive_server(db_dsn, data_dir, chain, provider, net, receipt_timeout="1s") as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        for _ in range(2):
            assert await archive_fails(chat, user, s.name, r) == (
                grpc.StatusCode.UNAVAILABLE,
                "ARCHIVE_STORE_UNAVAILABLE",
                "ZEROG_RECEIPT_TIMEOUT",
            )
            assert len(net.pending) == 1 and not net.transactions
        assert len(net.sends) == 2 and len(set(net.sends)) == 1  # the same bytes, sent again

        net.mine_pending()
        net.mine = True
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=chat.md(user), timeout=30
        )
        await assert_archived_once(chat, user, s.name, net, db_dsn, archived)


async def test_a_submission_lost_before_it_was_mined_is_sent_again_as_it_is(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """The node answered with the hash and dropped the transaction (as a server stopped right
    after remembering it would leave it): the retry sends the kept signed bytes, and pays once."""
    user = new_user()
    r = rid()
    net.lose_next_sends = 1
    async with archive_server(db_dsn, data_dir, chain, provider, net, receipt_timeout="1s") as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        assert await archive_fails(chat, user, s.name, r) == (
            grpc.StatusCode.UNAVAILABLE,
            "ARCHIVE_STORE_UNAVAILABLE",
            "ZEROG_RECEIPT_TIMEOUT",
        )
        assert not net.transactions and not net.pending
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r), metadata=chat.md(user), timeout=30
        )
        await assert_archived_once(chat, user, s.name, net, db_dsn, archived)
        assert len(set(net.sends)) == 1  # the very transaction remembered


@pytest.mark.parametrize("how", ["delete", "erase"])
async def test_a_session_gone_during_the_upload_is_named_as_every_session_error_is(
    how: str, db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, net: ZeroGStorageNetwork
) -> None:
    """Deleted (or its user's data erased) while the archive's payment waits to be mined: the archive
    ends with the error every ChatService call gives for that session, with its resource name (the
    store's own error named the bare session id, without resource_name)."""
    user = new_user()
    net.mine = False  # the payment waits in the pool while the session goes
    async with archive_server(db_dsn, data_dir, chain, provider, net, receipt_timeout="5s") as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        archiving = asyncio.ensure_future(chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=30))
        for _ in range(200):  # until the payment waits in the pool
            if net.pending:
                break
            await asyncio.sleep(0.05)
        assert net.pending
        if how == "delete":
            await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=s.name), metadata=chat.md(user),
                                          timeout=10)
        else:
            await user_data_pb2_grpc.UserDataServiceStub(chat.srv.channel).EraseUserData(
                user_data_pb2.EraseUserDataRequest(name=f"users/{user}"), metadata=chat.md(user), timeout=30)
        net.mine_pending()
        net.mine = True
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await archiving
        info, _ = error_info(ei.value)
        assert info.metadata.get("resource_name") == s.name, info.metadata
        assert "session_id" not in info.metadata
        if how == "delete":
            assert (ei.value.code(), info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SESSION_NOT_ACTIVE")
            assert info.metadata["status"] == "deleted"
        else:
            assert (ei.value.code(), info.reason) == (grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")
            assert s.name in (ei.value.details() or "")

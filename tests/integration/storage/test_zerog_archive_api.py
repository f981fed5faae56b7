"""The 0G Storage archive through the real gRPC API answers as the contract says (chat.proto
ArchiveSession and Session.archive_address; user_data.proto GetArchivedSession and EraseUserData):
addresses are "0g:0x<merkle root hex>", reads fail with the listed codes and reasons (the storage
network's own reason in ErrorInfo metadata "cause"), a wallet that cannot pay is RESOURCE_EXHAUSTED,
and erasure counts the archives 0G keeps. The storage network is the stand-in over real HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from eth_account import Account
from google.rpc import error_details_pb2

from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as cpb
from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc as cpb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.zerog.storage.client import parse_address
from tests.integration.chat.conftest import error_info
from tests.standins.zerog_storage import ZeroGStorageNetwork
from tests.support.server import RunningServer, running_server

WALLET = Account.create()
CONTRACT_ADDRESS = re.compile(r"^0g:0x[0-9a-f]{64}\Z")


@asynccontextmanager
async def zerog_server(
    db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork, **storage: Any
) -> AsyncIterator[RunningServer]:
    settings: dict[str, Any] = {
        "indexer_url": net.indexer_url,
        "rpc_endpoint": net.node_url,
        "chain_rpc_url": net.chain_url,
        "private_key": WALLET.key.hex(),
        "timeout": "5s",
        "receipt_timeout": "5s",
        "finality_timeout": "2s",
        "poll_interval": "10ms",
        "max_retries": 2,
        "retry_base_delay": "10ms",
        "retry_max_delay": "20ms",
        **storage,
    }
    overrides = {"archive": {"backend": "0g"}, "zerog": {"storage": settings}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        yield srv


@pytest.fixture
async def net() -> AsyncIterator[ZeroGStorageNetwork]:
    async with ZeroGStorageNetwork() as network:
        yield network


async def new_session(srv: RunningServer, user: str, title: str = "Q4 review") -> cpb.Session:
    chat = cpb_grpc.ChatServiceStub(srv.channel)
    return await chat.CreateSession(
        cpb.CreateSessionRequest(parent=f"users/{user}", session=cpb.Session(title=title)),
        metadata=srv.auth(user),
        timeout=10,
    )


async def archive(srv: RunningServer, user: str, name: str) -> cpb.Session:
    chat = cpb_grpc.ChatServiceStub(srv.channel)
    return await chat.ArchiveSession(
        cpb.ArchiveSessionRequest(name=name, request_id=str(uuid.uuid4())), metadata=srv.auth(user), timeout=30
    )


async def read_back(srv: RunningServer, user: str, name: str) -> upb.ArchivedSession:
    stub = upb_grpc.UserDataServiceStub(srv.channel)
    return await stub.GetArchivedSession(
        upb.GetArchivedSessionRequest(session=name), metadata=srv.auth(user), timeout=30
    )


async def refused(call: Any) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo, Any, str]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await call
    info, retry = error_info(ei.value)
    return ei.value.code(), info, retry, ei.value.details() or ""


async def status_of(srv: RunningServer, user: str, name: str) -> int:
    chat = cpb_grpc.ChatServiceStub(srv.channel)
    got = await chat.GetSession(cpb.GetSessionRequest(name=name), metadata=srv.auth(user), timeout=10)
    return int(got.status)


# ----------------------------------------------------------------------------- addresses


async def test_archive_address_has_the_contract_form_and_older_ones_still_read(
    db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork
) -> None:
    user = str(uuid.uuid4())
    async with zerog_server(db_dsn, data_dir, net) as srv:
        session = await new_session(srv, user)
        archived = await archive(srv, user, session.name)
        assert CONTRACT_ADDRESS.match(archived.archive_address), archived.archive_address
        assert parse_address(archived.archive_address) in net.files

        back = await read_back(srv, user, session.name)
        assert back.archive_address == archived.archive_address
        assert back.session.title == "Q4 review"

        # A session archived by an earlier version recorded "0g://0x<root>": still readable, and shown
        # in the contract's form.
        old_form = archived.archive_address.replace("0g:", "0g://", 1)
        with psycopg.connect(db_dsn) as conn:
            conn.execute(
                "UPDATE chat_sessions SET archive_address = %s WHERE id = %s",
                (old_form, session.name.rsplit("/", 1)[1]),
            )
        again = await read_back(srv, user, session.name)
        assert again.archive_address == archived.archive_address and again.session.title == "Q4 review"
        assert again.session.archive_address == archived.archive_address
        shown = await cpb_grpc.ChatServiceStub(srv.channel).GetSession(
            cpb.GetSessionRequest(name=session.name), metadata=srv.auth(user), timeout=10
        )
        assert shown.archive_address == archived.archive_address


# ----------------------------------------------------------------------------- GetArchivedSession


async def test_get_archived_session_answers_with_the_contracts_codes(
    db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork
) -> None:
    """user_data.proto: FAILED_PRECONDITION (ARCHIVE_NOT_FINALIZED, ARCHIVE_PRUNED), UNAVAILABLE
    (ARCHIVE_STORE_UNAVAILABLE), NOT_FOUND (ARCHIVE_NOT_FOUND)."""
    user = str(uuid.uuid4())
    # the breaker stays closed here (its own answer is the next test)
    async with zerog_server(db_dsn, data_dir, net, breaker={"min_requests": 1000}) as srv:
        session = await new_session(srv, user)
        archived = await archive(srv, user, session.name)
        read = lambda: read_back(srv, user, session.name)  # noqa: E731

        net.gateway_code = 103  # the indexer knows the file, its nodes have not finalized it
        code, info, _, _ = await refused(read())
        assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ARCHIVE_NOT_FINALIZED")

        net.gateway_code = 101
        code, info, _, _ = await refused(read())
        assert (code, info.reason) == (grpc.StatusCode.NOT_FOUND, "ARCHIVE_NOT_FOUND")

        net.gateway_code = 105  # the gateway refuses to serve it (too large for its limit)
        code, info, _, message = await refused(read())
        assert (code, info.reason) == (grpc.StatusCode.UNAVAILABLE, "ARCHIVE_STORE_UNAVAILABLE")
        assert info.metadata["cause"] == "ZEROG_STORAGE_REJECTED" and "refused to serve" in message

        net.gateway_code = None
        net.gateway_600 = True  # the gateway fails (retried, then given up)
        code, info, _, _ = await refused(read())
        assert (code, info.reason) == (grpc.StatusCode.UNAVAILABLE, "ARCHIVE_STORE_UNAVAILABLE")
        assert info.metadata["cause"] == "ZEROG_STORAGE_UNAVAILABLE"

        net.gateway_600 = False
        net.gateway_fail_next = 100  # HTTP 503
        code, info, _, _ = await refused(read())
        assert (code, info.reason, info.metadata["cause"]) == (
            grpc.StatusCode.UNAVAILABLE,
            "ARCHIVE_STORE_UNAVAILABLE",
            "ZEROG_STORAGE_UNAVAILABLE",
        )

        net.gateway_fail_next = 0
        assert (await read()).archive_address == archived.archive_address  # recovered

        net.prune(parse_address(archived.archive_address))  # the network dropped the bytes
        code, info, _, _ = await refused(read())
        assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ARCHIVE_PRUNED")


async def test_an_open_breaker_is_archive_store_unavailable(
    db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork
) -> None:
    user = str(uuid.uuid4())
    breaker = {"min_requests": 2, "failure_ratio": 0.5, "open_for": "60s"}
    async with zerog_server(db_dsn, data_dir, net, breaker=breaker, max_retries=1) as srv:
        session = await new_session(srv, user)
        await archive(srv, user, session.name)
        net.gateway_600 = True
        causes = []
        for _ in range(4):
            code, info, _, _ = await refused(read_back(srv, user, session.name))
            assert (code, info.reason) == (grpc.StatusCode.UNAVAILABLE, "ARCHIVE_STORE_UNAVAILABLE")
            causes.append(info.metadata["cause"])
        assert causes[-1] == "ZEROG_BREAKER_OPEN", causes
        assert set(causes) <= {"ZEROG_STORAGE_UNAVAILABLE", "ZEROG_BREAKER_OPEN"}


# ----------------------------------------------------------------------------- ArchiveSession


@pytest.mark.parametrize("where", ["estimate", "send"])
async def test_archive_session_with_a_wallet_that_cannot_pay_is_resource_exhausted(
    db_dsn: str, data_dir: Path, where: str
) -> None:
    """chat.proto: RESOURCE_EXHAUSTED (STORAGE_BALANCE_INSUFFICIENT), not a retryable UNAVAILABLE."""
    # "estimate": the fee alone is more than the wallet holds (eth_estimateGas refuses);
    # "send": no fee to pay, but the gas is (eth_sendRawTransaction refuses)
    async with ZeroGStorageNetwork(price_per_sector=10**9 if where == "estimate" else 0) as net:
        net.balance = 0
        user = str(uuid.uuid4())
        async with zerog_server(db_dsn, data_dir, net) as srv:
            session = await new_session(srv, user)
            code, info, retry, message = await refused(archive(srv, user, session.name))
            assert (code, info.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STORAGE_BALANCE_INSUFFICIENT")
            assert retry is None  # nothing promises that trying again will work
            assert "insufficient funds" in message and "top it up" in message
            assert info.metadata["wallet"] == WALLET.address
            assert net.transactions == {} and net.files == {}
            assert await status_of(srv, user, session.name) == cpb.SESSION_STATUS_ACTIVE

            net.balance = 10**18  # topped up: the same call now archives
            archived = await archive(srv, user, session.name)
            assert archived.status == cpb.SESSION_STATUS_ARCHIVED


async def test_archive_session_refused_by_the_network_says_what_happened(
    db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork
) -> None:
    user = str(uuid.uuid4())
    async with zerog_server(db_dsn, data_dir, net) as srv:
        net.revert = "estimate"  # the Flow contract refuses the submission
        first = await new_session(srv, user, "first")
        code, info, retry, message = await refused(archive(srv, user, first.name))
        assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ZEROG_TX_REVERTED")
        assert retry is None
        assert message == (
            "the 0G Flow contract refuses the storage submission (Flow: submission rejected): nothing was sent or paid"
        )
        assert net.transactions == {}

        net.revert = None
        net.reject_segments = "invalid proof"  # the storage node refuses the data after it was paid for
        second = await new_session(srv, user, "second")
        code, info, retry, message = await refused(archive(srv, user, second.name))
        assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ZEROG_STORAGE_REJECTED")
        assert "refused the file's data" in message and "invalid proof" in message
        assert "the submission is paid but the file cannot be finalized" in message
        for s in (first, second):
            assert await status_of(srv, user, s.name) == cpb.SESSION_STATUS_ACTIVE


# ----------------------------------------------------------------------------- EraseUserData


async def test_erase_counts_the_archives_kept_on_0g(db_dsn: str, data_dir: Path, net: ZeroGStorageNetwork) -> None:
    """user_data.proto archive_count: "Archived objects made unreadable by destroying the data key"."""
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    async with zerog_server(db_dsn, data_dir, net) as srv:
        for title in ("one", "two"):
            await archive(srv, alice, (await new_session(srv, alice, title)).name)
        await new_session(srv, alice, "never archived")
        kept = await new_session(srv, bob, "bob's")
        await archive(srv, bob, kept.name)

        stub = upb_grpc.UserDataServiceStub(srv.channel)
        resp = await stub.EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{alice}", request_id=str(uuid.uuid4())),
            metadata=srv.auth(alice),
            timeout=30,
        )
        assert resp.archive_count == 2 and resp.data_key_destroyed and resp.session_count == 3
        assert "external_archives" not in resp.other_counts
        assert len(net.files) == 3  # 0G cannot delete: the bytes stay, unreadable without the key

        again = await stub.EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{alice}"), metadata=srv.auth(alice), timeout=30
        )
        assert again.archive_count == 0
        assert (await read_back(srv, bob, kept.name)).session.title == "bob's"  # others untouched

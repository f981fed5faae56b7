"""ZeroGStorageStore against stand-ins of the chain, a storage node and the indexer (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from eth_account import Account
from prometheus_client import REGISTRY

from stack_cfo.core.archive import (
    AI_SUMMARIES,
    CHAT_SESSIONS,
    ArchiveCorrupted,
    ArchiveKeyDestroyed,
    ArchiveNotFinalized,
    ArchiveNotFound,
    ArchivePruned,
    ArchiveStore,
    ArchiveStoreUnavailable,
)
from stack_cfo.core.errors import InvalidArgument, Unavailable
from stack_cfo.crypto.envelope import EncryptingArchiveStore, InMemoryKeyRing, MasterKeys
from stack_cfo.secret import Secret
from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.config import BreakerPolicy
from stack_cfo.zerog.errors import BreakerOpen, ChainError, TransactionReverted
from stack_cfo.zerog.storage.client import ZeroGStorageStore, content_address, parse_address
from stack_cfo.zerog.storage.config import StorageConfig
from stack_cfo.zerog.storage.errors import (
    StorageBalanceInsufficient,
    StorageRejected,
    StorageUnavailable,
    UploadNotFinalized,
    UploadsDisabled,
)
from stack_cfo.zerog.storage.merkle import merkle_tree
from tests.standins.zerog_storage import ZeroGStorageNetwork

OWNER = "6f1f4a52-2b8e-4a8e-9d35-6c0a4d1e0a01"
WALLET = Account.create()


def sample(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def config_for(net: ZeroGStorageNetwork, **changes: Any) -> StorageConfig:
    base = StorageConfig(
        indexer_url=net.indexer_url,
        node_urls=(net.node_url,),
        chain_rpc_url=net.chain_url,
        private_key=Secret(WALLET.key.hex()),
        timeout=5.0,
        max_retries=3,
        retry_base_delay=0.01,
        retry_max_delay=0.02,
        receipt_timeout=5.0,
        finality_timeout=5.0,
        poll_interval=0.01,
    )
    return base.model_copy(update=changes)


def store_for(net: ZeroGStorageNetwork, **changes: Any) -> ZeroGStorageStore:
    cfg = config_for(net, **changes)
    return ZeroGStorageStore(cfg, chain=ChainRpc(cfg.chain_rpc_url, timeout=5.0, poll_interval=0.01))


@pytest.fixture
async def net() -> AsyncIterator[ZeroGStorageNetwork]:
    async with ZeroGStorageNetwork(price_per_sector=3 * 10**9) as network:
        yield network


@pytest.fixture
async def store(net: ZeroGStorageNetwork) -> AsyncIterator[ZeroGStorageStore]:
    s = store_for(net)
    yield s
    await s.close()


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", [1, 600_000])
async def test_upload_then_download_round_trip(net: ZeroGStorageNetwork, store: ZeroGStorageStore, size: int) -> None:
    assert isinstance(store, ArchiveStore)
    data = sample(size)
    ups, up_bytes = metric("zerog_storage_uploads_total"), metric("zerog_storage_bytes_total", direction="up")

    address = await store.put(CHAT_SESSIONS, "session-1", data, owner=OWNER)

    tree = merkle_tree(data)
    assert address == content_address(tree.root) == f"0g:0x{tree.root.hex()}"  # the contract's form
    # what the network saw: one paid submission by our wallet, the whole file, finalized
    [stored] = net.submissions
    assert stored.root == tree.root and stored.finalized and stored.content() == data
    assert stored.submitter == WALLET.address
    [tx] = net.transactions.values()
    assert tx.sender == WALLET.address and tx.status == 1
    assert tx.value == tx.fee == tree.sectors * 3 * 10**9

    assert await store.get(address, owner=OWNER) == data
    assert metric("zerog_storage_uploads_total") == ups + 1
    assert metric("zerog_storage_bytes_total", direction="up") == up_bytes + size


async def test_several_segments_nodes_from_the_indexer(net: ZeroGStorageNetwork) -> None:
    data = sample(3 * 1024 * 1024 + 17, seed=2)
    store = store_for(net, node_urls=(), segments_per_request=4)
    try:
        address = await store.put(AI_SUMMARIES, "digest", data, owner=OWNER)
        assert await store.get(address, owner=OWNER) == data
    finally:
        await store.close()
    assert ("indexer", "indexer_getShardedNodes") in net.requests
    assert sum(1 for server, method in net.requests if method == "zgs_uploadSegmentsByTxSeq") == 4  # 13 segments / 4


async def test_same_bytes_again_costs_nothing(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    data = sample(5000)
    first = await store.upload(data)
    again = await store.upload(data)
    assert again.address == first.address and again.already_stored and again.fee == 0
    assert len(net.transactions) == 1


async def test_node_slow_to_sync_and_busy_is_waited_for(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    net.node_sync_after_polls = 3
    net.finalize_after_polls = 2
    net.busy_uploads = 1  # "too many data writing" once
    data = sample(300_000)
    address = await store.put(CHAT_SESSIONS, "s", data, owner=OWNER)
    assert await store.get(address, owner=OWNER) == data


async def test_transient_gateway_failures_are_retried(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    address = await store.put(CHAT_SESSIONS, "s", b"transcript", owner=OWNER)
    net.gateway_fail_next = 2
    assert await store.get(address, owner=OWNER) == b"transcript"
    assert net.downloads == 3


# ----------------------------------------------------------------------------- download errors


@pytest.mark.parametrize(
    ("code", "error", "reason", "cause"),
    [
        (101, ArchiveNotFound, "ARCHIVE_NOT_FOUND", None),
        (102, ArchivePruned, "ARCHIVE_PRUNED", None),
        (103, ArchiveNotFinalized, "ARCHIVE_NOT_FINALIZED", None),
        (104, ArchiveNotFound, "ARCHIVE_NOT_FOUND", None),
        (105, ArchiveStoreUnavailable, "ARCHIVE_STORE_UNAVAILABLE", "ZEROG_STORAGE_REJECTED"),
        (106, ArchiveStoreUnavailable, "ARCHIVE_STORE_UNAVAILABLE", "ZEROG_STORAGE_REJECTED"),
        (1, ArchiveStoreUnavailable, "ARCHIVE_STORE_UNAVAILABLE", "ZEROG_STORAGE_REJECTED"),
    ],
)
async def test_every_gateway_code_is_a_typed_error(
    net: ZeroGStorageNetwork, store: ZeroGStorageStore, code: int, error: type[Exception], reason: str, cause: str
) -> None:
    net.gateway_code = code
    with pytest.raises(error) as info:
        await store.get(content_address(bytes(range(32))), owner=OWNER)
    assert info.value.reason == reason  # type: ignore[attr-defined]
    assert info.value.metadata.get("cause") == cause  # type: ignore[attr-defined]
    assert info.value.metadata["gateway_code"] == str(code)  # type: ignore[attr-defined]
    assert net.downloads == 1  # definite answers are not retried


async def test_http_600_is_unavailable_after_retries(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    net.gateway_600 = True
    before = metric("zerog_storage_failures_total", operation="download", error_type="storage_unavailable")
    with pytest.raises(ArchiveStoreUnavailable) as info:
        await store.get(content_address(bytes(32)), owner=OWNER)
    assert isinstance(info.value, Unavailable) and info.value.cause == "ZEROG_STORAGE_UNAVAILABLE"
    assert info.value.metadata["http_status"] == "600"
    assert isinstance(info.value.__cause__, StorageUnavailable) and info.value.__cause__.status == 600
    assert net.downloads == 3
    assert metric("zerog_storage_failures_total", operation="download", error_type="storage_unavailable") == before + 1


async def test_real_unknown_unfinalized_and_pruned_files(net: ZeroGStorageNetwork) -> None:
    store = store_for(net, finality_timeout=0.3)
    try:
        await _unknown_unfinalized_pruned(net, store)
    finally:
        await store.close()


async def _unknown_unfinalized_pruned(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    with pytest.raises(ArchiveNotFound):
        await store.get(content_address(merkle_tree(b"never uploaded").root), owner=OWNER)

    net.finalize = False
    with pytest.raises(UploadNotFinalized) as info:  # a writer may try again: Unavailable
        await store.put(CHAT_SESSIONS, "s", b"stuck", owner=OWNER)
    assert isinstance(info.value, Unavailable) and info.value.reason == "ARCHIVE_NOT_FINALIZED"
    address = content_address(merkle_tree(b"stuck").root)
    assert info.value.metadata["tx_seq"] == "0" and info.value.metadata["tx_hash"].startswith("0x")
    with pytest.raises(ArchiveNotFinalized):  # a reader must wait: FailedPrecondition
        await store.get(address, owner=OWNER)

    # trying again once the network recovers finishes the upload without paying twice
    net.finalize = True
    assert await store.put(CHAT_SESSIONS, "s", b"stuck", owner=OWNER) == address
    assert await store.get(address, owner=OWNER) == b"stuck"
    assert len(net.transactions) == 1

    kept = await store.put(CHAT_SESSIONS, "s2", b"kept a while", owner=OWNER)
    net.prune(parse_address(kept))
    with pytest.raises(ArchivePruned):
        await store.get(kept, owner=OWNER)


async def test_tampered_download_is_rejected(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    address = await store.put(CHAT_SESSIONS, "s", sample(70_000), owner=OWNER)
    net.tamper = True
    with pytest.raises(ArchiveCorrupted) as info:
        await store.get(address, owner=OWNER)
    assert info.value.detail == "root_mismatch" and info.value.reason == "ARCHIVE_CORRUPTED"
    assert net.downloads == 3  # retried in case another node serves honest bytes


# ----------------------------------------------------------------------------- upload errors


async def test_chain_down_is_unavailable_and_nothing_is_submitted(net: ZeroGStorageNetwork) -> None:
    await net.stop_chain()
    store = store_for(net)
    try:
        with pytest.raises(ChainError) as info:
            await store.put(CHAT_SESSIONS, "s", b"hello", owner=OWNER)
    finally:
        await store.close()
    assert isinstance(info.value, Unavailable)
    assert net.files == {} and net.transactions == {}


@pytest.mark.parametrize("where", ["estimate", "receipt"])
async def test_reverted_submission_is_typed_and_nothing_is_recorded(
    net: ZeroGStorageNetwork, store: ZeroGStorageStore, where: str
) -> None:
    net.revert = where
    before = metric("zerog_storage_failures_total", operation="upload", error_type="reverted")
    with pytest.raises(TransactionReverted) as info:
        await store.put(CHAT_SESSIONS, "s", b"hello", owner=OWNER)
    assert info.value.reason == "ZEROG_TX_REVERTED"
    # says who refused, why, and what happened to the money
    if where == "estimate":
        assert info.value.message == (
            "the 0G Flow contract refuses the storage submission (Flow: submission rejected): nothing was sent or paid"
        )
    else:
        assert info.value.message.startswith("the 0G Flow contract reverted storage submission 0x")
        assert info.value.message.endswith("the storage fee was not taken, only gas")
    assert net.files == {}  # no submission on the "chain", no segments anywhere
    assert all(tx.status == 0 for tx in net.transactions.values())
    assert metric("zerog_storage_failures_total", operation="upload", error_type="reverted") == before + 1


@pytest.mark.parametrize("where", ["estimate", "send"])
async def test_a_wallet_that_cannot_pay_is_resource_exhausted(net: ZeroGStorageNetwork, where: str) -> None:
    """The chain's "insufficient funds" is not an outage: retrying cannot help until the wallet is
    topped up, so it is not Unavailable and carries no retry hint."""
    store = store_for(net)
    fee = merkle_tree(b"hello").sectors * net.price_per_sector
    # "estimate": less than the fee itself; "send": the fee, not the gas on top of it
    net.balance = fee - 1 if where == "estimate" else fee
    try:
        with pytest.raises(StorageBalanceInsufficient) as info:
            await store.put(CHAT_SESSIONS, "s", b"hello", owner=OWNER)
    finally:
        await store.close()
    err = info.value
    assert err.reason == "STORAGE_BALANCE_INSUFFICIENT" and err.retry_after is None
    assert not isinstance(err, Unavailable) and isinstance(err.__cause__, ChainError)
    assert "insufficient funds" in err.message and WALLET.address in err.message
    assert err.metadata["wallet"] == WALLET.address and err.metadata["fee_neuron"] == str(fee)
    assert net.transactions == {} and net.files == {}


async def test_addresses_of_earlier_versions_are_still_read(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    address = await store.put(CHAT_SESSIONS, "s", b"kept since last year", owner=OWNER)
    old_form = address.replace("0g:", "0g://", 1)
    assert parse_address(old_form) == parse_address(address)
    assert await store.get(old_form, owner=OWNER) == b"kept since last year"


async def test_missing_submit_event_is_refused(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    net.drop_submit_event = True
    with pytest.raises(StorageRejected, match="without a Submit event"):
        await store.put(CHAT_SESSIONS, "s", b"hello", owner=OWNER)


async def test_segments_refused_by_the_node(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    net.reject_segments = "invalid proof"
    with pytest.raises(StorageRejected, match=r"refused the file's data .*invalid proof"):
        await store.put(CHAT_SESSIONS, "s", b"hello", owner=OWNER)


async def test_bad_requests(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    with pytest.raises(InvalidArgument) as info:
        await store.put("other/", "k", b"x", owner=OWNER)
    assert info.value.reason == "ARCHIVE_NAMESPACE_UNKNOWN"
    with pytest.raises(InvalidArgument):
        await store.put(CHAT_SESSIONS, "k", b"", owner=OWNER)
    for bad in ("0x" + "ab" * 32, "0g://0x1234", "0g:0x1234", "0g:" + "ab" * 32, "pg://whatever"):
        with pytest.raises(InvalidArgument) as info:
            await store.get(bad, owner=OWNER)
        assert info.value.reason == "ARCHIVE_ADDRESS_INVALID"

    read_only = store_for(net, private_key=None)
    try:
        with pytest.raises(UploadsDisabled):
            await read_only.put(CHAT_SESSIONS, "k", b"x", owner=OWNER)
    finally:
        await read_only.close()
    assert net.transactions == {}


async def test_breaker_opens_after_repeated_failures(net: ZeroGStorageNetwork) -> None:
    net.gateway_600 = True
    store = store_for(net, max_retries=1, breaker=BreakerPolicy(min_requests=3, failure_ratio=0.6, open_for=60))
    try:
        for _ in range(3):
            with pytest.raises(ArchiveStoreUnavailable) as info:
                await store.get(content_address(bytes(32)), owner=OWNER)
            assert info.value.cause == "ZEROG_STORAGE_UNAVAILABLE"
        seen = net.downloads
        with pytest.raises(ArchiveStoreUnavailable) as info:
            await store.get(content_address(bytes(32)), owner=OWNER)
        assert info.value.cause == "ZEROG_BREAKER_OPEN" and isinstance(info.value.__cause__, BreakerOpen)
        assert net.downloads == seen  # the open breaker did not call the gateway
    finally:
        await store.close()


# ----------------------------------------------------------------------------- with encryption


async def test_encrypted_archives_on_0g_and_erasure(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    keks, _ = MasterKeys.generate("k1")
    ring = InMemoryKeyRing()
    archive = EncryptingArchiveStore(store, ring, keks)
    transcript = b'{"messages":[{"role":"user","content":"Should I rebalance my ETFs?"}]}'

    address = await archive.put(CHAT_SESSIONS, "session-7", transcript, owner=OWNER)

    on_network = net.files[parse_address(address)].content()
    assert b"rebalance" not in on_network and OWNER.encode() not in on_network
    assert await archive.get(address, owner=OWNER, namespace=CHAT_SESSIONS, key="session-7") == transcript

    await archive.erase(OWNER)
    with pytest.raises(ArchiveKeyDestroyed):
        await archive.get(address, owner=OWNER)
    assert net.files[parse_address(address)].content() == on_network  # 0G still holds it: only noise now


# ----------------------------------------------------------------------------- stand-in fidelity and spans


async def test_the_node_stand_in_refuses_segments_that_do_not_prove(net: ZeroGStorageNetwork) -> None:
    """Guards the round-trip tests: a segment whose proof does not hold is refused, as a node would."""
    import aiohttp

    data = sample(600_000, seed=5)
    net.finalize = False  # keep the file open for more uploads
    store = store_for(net, finality_timeout=0.2)
    try:
        with pytest.raises(UploadNotFinalized):
            await store.upload(data)
    finally:
        await store.close()
    tree = merkle_tree(data)
    good = tree.segment(1).to_json()
    bad_data = dict(good, data=tree.segment(0).to_json()["data"])  # segment 0's bytes, segment 1's proof
    bad_index = dict(good, index=2)
    async with aiohttp.ClientSession() as http:
        for seg, why in ((bad_data, "invalid proof"), (bad_index, "must be")):
            body = {"jsonrpc": "2.0", "id": 1, "method": "zgs_uploadSegmentsByTxSeq", "params": [[seg], 0]}
            async with http.post(net.node_url, json=body) as resp:
                answer = await resp.json()
            assert why in answer["error"]["data"]
        body = {"jsonrpc": "2.0", "id": 2, "method": "zgs_uploadSegmentsByTxSeq", "params": [[good], 0]}
        async with http.post(net.node_url, json=body) as resp:
            assert "error" not in await resp.json()


async def test_spans_are_named_as_in_the_seed(net: ZeroGStorageNetwork, store: ZeroGStorageStore) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.skip("another tracer provider is installed globally")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    address = await store.put(CHAT_SESSIONS, "s", b"traced", owner=OWNER)
    net.gateway_code = 101
    with pytest.raises(ArchiveNotFound):
        await store.get(address, owner=OWNER)

    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["0g_storage.store"].attributes["zerog.storage.root"] == address.removeprefix("0g:")
    fetch = spans["0g_storage.fetch"]
    assert fetch.attributes["zerog.storage.error_type"] == "not_found"
    assert not fetch.status.is_ok
    assert OWNER not in str(spans["0g_storage.store"].attributes)
    exporter.shutdown()

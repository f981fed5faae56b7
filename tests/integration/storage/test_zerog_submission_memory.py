"""ZeroGStorageStore.put_once against the chain, node and indexer stand-ins (real HTTP on 127.0.0.1):
the Flow.submit transaction is remembered before it is sent, and a retry uses it rather than paying
again while the node has not heard of it; a remembered transaction that can never be mined (its
nonce taken by another) leaves the file to be submitted anew. ChatService's memory (the kept
transcript's row) is exercised end to end in tests/integration/chat/test_archive_once.py."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from eth_account import Account

from stack_cfo.core.archive import CHAT_SESSIONS, StoreSubmission
from stack_cfo.secret import Secret
from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.errors import ReceiptTimeout
from stack_cfo.zerog.storage.client import ZeroGStorageStore, content_address
from stack_cfo.zerog.storage.config import StorageConfig
from stack_cfo.zerog.storage.errors import UploadNotFinalized
from stack_cfo.zerog.storage.merkle import merkle_tree
from tests.standins.zerog_storage import ZeroGStorageNetwork

OWNER = "6f1f4a52-2b8e-4a8e-9d35-6c0a4d1e0a01"


class Memory:
    """A SubmissionMemory held in a list (as the caller's row holds it)."""

    def __init__(self) -> None:
        self.kept: list[StoreSubmission] = []

    async def recall(self) -> StoreSubmission | None:
        return self.kept[-1] if self.kept else None

    async def remember(self, submission: StoreSubmission) -> None:
        self.kept.append(submission)


def store_for(net: ZeroGStorageNetwork, wallet: Any, **changes: Any) -> ZeroGStorageStore:
    cfg = StorageConfig(
        indexer_url=net.indexer_url,
        node_urls=(net.node_url,),
        chain_rpc_url=net.chain_url,
        private_key=Secret(wallet.key.hex()),
        timeout=5.0,
        max_retries=3,
        retry_base_delay=0.01,
        retry_max_delay=0.02,
        receipt_timeout=5.0,
        finality_timeout=0.5,
        poll_interval=0.01,
    ).model_copy(update=changes)
    return ZeroGStorageStore(cfg, chain=ChainRpc(cfg.chain_rpc_url, timeout=5.0, poll_interval=0.01))


@pytest.fixture
async def net() -> AsyncIterator[ZeroGStorageNetwork]:
    async with ZeroGStorageNetwork() as network:
        yield network


def paid(net: ZeroGStorageNetwork) -> list[Any]:
    return [t for t in net.transactions.values() if t.status == 1 and t.logs and t.value > 0]


async def test_waiting_for_the_node_names_the_submission_and_a_retry_pays_nothing(net: ZeroGStorageNetwork) -> None:
    data = random.Random(3).randbytes(5_000)
    memory = Memory()
    net.node_sync_after_polls = 10**9
    store = store_for(net, Account.create())
    try:
        for _ in range(2):
            with pytest.raises(UploadNotFinalized) as ei:
                await store.put_once(CHAT_SESSIONS, "s.json", data, owner=OWNER, memory=memory)
            (tx,) = paid(net)
            # the error says which submission the nodes are still to pick up
            assert ei.value.metadata["tx_hash"] == tx.tx_hash == memory.kept[0].tx_hash
            assert ei.value.metadata["tx_seq"] == "0"
            assert len(net.sends) == 1
        assert memory.kept[0].nonce == tx.nonce == 0
        net.node_sync_after_polls = 0
        address = await store.put_once(CHAT_SESSIONS, "s.json", data, owner=OWNER, memory=memory)
        assert address == content_address(merkle_tree(data).root)
        assert net.files[merkle_tree(data).root].finalized and len(paid(net)) == 1
    finally:
        await store.close()


async def test_a_remembered_transaction_whose_nonce_went_elsewhere_is_submitted_anew(
    net: ZeroGStorageNetwork,
) -> None:
    """Lost before it was mined, then its nonce used by another transaction of the wallet: it can
    never be mined, so the file is paid for once, by a new transaction."""
    wallet = Account.create()
    data, other = random.Random(4).randbytes(3_000), random.Random(5).randbytes(3_000)
    memory = Memory()
    first = store_for(net, wallet, receipt_timeout=0.3)
    net.lose_next_sends = 1
    try:
        with pytest.raises(ReceiptTimeout):
            await first.put_once(CHAT_SESSIONS, "s.json", data, owner=OWNER, memory=memory)
    finally:
        await first.close()
    (lost,) = memory.kept
    assert not net.transactions

    second = store_for(net, wallet)  # another process: reads the nonce from the chain
    try:
        await second.put(CHAT_SESSIONS, "o.json", other, owner=OWNER)
        assert [t.nonce for t in paid(net)] == [lost.nonce]  # the nonce went to the other file
        address = await second.put_once(CHAT_SESSIONS, "s.json", data, owner=OWNER, memory=memory)
    finally:
        await second.close()
    assert address == content_address(merkle_tree(data).root)
    assert lost.tx_hash not in net.transactions
    assert [t.nonce for t in paid(net)] == [0, 1] and memory.kept[-1].nonce == 1

"""0G Storage as an :class:`~stack_cfo.core.archive.ArchiveStore`.

Upload (``put``), as the official clients do it:

1. Merkle tree of the bytes (:mod:`.merkle`); the content address is ``0g:0x<root>`` (addresses
   written as ``0g://0x<root>`` by earlier versions are still read).
2. Storage nodes: the configured ones, or the indexer's trusted nodes (``indexer_getShardedNodes``).
   If a node already holds the file finalized, stop here (same bytes, nothing to pay). If a node
   knows the file (submitted before), resume it: pay nothing, go to 5.
   With a :class:`~stack_cfo.core.archive.SubmissionMemory` (``put_once``), a submission
   remembered for these bytes comes next: the node may not have picked up its ``Submit`` event
   yet. Its receipt (``eth_getTransactionReceipt``) gives the ``txSeq``; a transaction still
   pending (the pool answers "already known" to the very same signed bytes) or lost (sent again
   as it is) is waited for; only a transaction that reverted, or whose nonce went to another
   transaction, leaves the file to be submitted anew. Nothing is ever sent at a second nonce
   while the first may still be mined.
3. Fee: ``Flow.market()`` -> ``pricePerSector()``; ``fee = sum(2**height) * price`` over the
   submission nodes. ``Flow.submit`` is signed locally, written to the memory (hash, nonce, signed
   bytes) and only then sent with ``value = fee``.
4. The receipt's ``Submit`` event gives ``txSeq``; wait until the nodes have synced it.
5. Push every data segment with its proof (``zgs_uploadSegmentsByTxSeq``) to the nodes whose
   shard holds it; poll ``zgs_getFileInfo(root, true)`` until finalized (or time out).

Download (``get``): ``GET {indexer}/file?root=0x...``. Success is an attachment
(``Content-Disposition``); errors come as HTTP 200 with ``{"code": N}`` (101 not found, 102
pruned, 103 not finalized, 104 path not found, 105 too large, 106 unsupported, 1 invalid
parameter) or HTTP 600 (internal). The bytes are re-hashed and must give the root. ``get``
reports what the archive port promises readers (:mod:`stack_cfo.core.archive`): not found,
pruned, not finalized, corrupted, or ``ArchiveStoreUnavailable`` (cause: the transport error's
reason) for everything that keeps the gateway from serving the file now.

Upload errors a caller sees: ``UploadNotFinalized`` (Unavailable: try again), ``ArchivePruned``
(FailedPrecondition: the nodes dropped the file before finalizing it),
``StorageBalanceInsufficient`` (ResourceExhausted: the wallet cannot pay),
``TransactionReverted`` / ``StorageRejected`` (FailedPrecondition: the Flow contract or a node
refused the file), ``UploadsDisabled``, ``ChainError`` / ``StorageUnavailable`` (Unavailable).

Transient failures (connection errors, 5xx/600, chain RPC errors, a node still syncing, bytes
that fail the root check) are retried with tenacity; the ``submit`` transaction is never
re-sent blindly (``ChainRpc`` handles nonces and re-pricing). A circuit breaker (the compute
client's rule) stops calling a storage network that keeps failing. Metrics:
``zerog_storage_*`` (:mod:`.metrics`); spans ``0g_storage.store`` and ``0g_storage.fetch``.

Why this module is longer than most (about 750 lines): it is the two halves of one protocol
(upload, download, and an upload's resumption from a remembered submission) over one set of
plumbing (HTTP session, JSON-RPC, retries, breaker) whose failure rules must stay identical for
all; the Merkle tree, the Flow contract, the errors and the metrics are separate modules.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from stack_cfo.core.archive import (
    ArchiveCorrupted,
    ArchiveNotFinalized,
    ArchiveNotFound,
    ArchivePruned,
    ArchiveStoreUnavailable,
    StoreSubmission,
    SubmissionMemory,
    invalid_address,
)
from stack_cfo.core.errors import InvalidArgument, StackCfoError, Unavailable
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.breaker import ProviderBreaker
from stack_cfo.zerog.chain import ChainRpc, insufficient_funds
from stack_cfo.zerog.errors import BreakerOpen, ChainError, ReceiptTimeout, TransactionReverted, clip
from stack_cfo.zerog.storage import flow, metrics
from stack_cfo.zerog.storage.config import StorageConfig
from stack_cfo.zerog.storage.errors import (
    StorageBalanceInsufficient,
    StorageRejected,
    StorageUnavailable,
    UploadNotFinalized,
    UploadsDisabled,
)
from stack_cfo.zerog.storage.merkle import SEGMENT_MAX_CHUNKS, EmptyDataError, FileMerkleTree, merkle_tree

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("stack_cfo.zerog.storage")

__all__ = ["ADDRESS_PREFIX", "UploadReceipt", "ZeroGStorageStore", "content_address", "parse_address"]

ADDRESS_PREFIX = "0g:"
#: ``0g:0x<root>``, and ``0g://0x<root>`` as stored by earlier versions (the same file).
_ADDRESS = re.compile(r"^0g:(?://)?0x([0-9a-f]{64})\Z")
_ERROR_STRING = bytes.fromhex("08c379a0")  # selector of Solidity's Error(string)
_HTTP_INTERNAL = 600  # the gateway's status for internal errors
_T = TypeVar("_T")
#: Trees of bigger blobs are built off the event loop.
_THREAD_ABOVE = 256 * 1024


def content_address(root: bytes) -> str:
    """``0g:0x<64 hex>``: the address ``put`` returns for a file with this root."""
    return f"{ADDRESS_PREFIX}0x{root.hex()}"


def parse_address(address: str) -> bytes:
    """The root in a ``0g:0x...`` (or older ``0g://0x...``) address; ``InvalidArgument`` for
    anything else."""
    m = _ADDRESS.match(address.strip().lower()) if isinstance(address, str) else None
    if m is None:
        raise invalid_address(str(address), "not a 0G Storage address (0g:0x + 64 hex digits)")
    return bytes.fromhex(m.group(1))


@dataclass(frozen=True, slots=True)
class UploadReceipt:
    """What an upload did. ``tx_hash`` is empty when the file was already stored."""

    address: str
    root: bytes
    size: int
    tx_hash: str
    tx_seq: int
    fee: int
    """Storage fee paid, in neuron (``value`` of the submit transaction)."""
    already_stored: bool = False


class _RpcFault(Exception):
    """A JSON-RPC error object from a storage node or the indexer."""

    def __init__(self, method: str, code: Any, message: str, data: Any) -> None:
        super().__init__(f"{method}: RPC error {code}: {message}")
        self.method, self.code, self.message, self.data = method, code, message, data

    @property
    def text(self) -> str:
        return f"{self.message} {self.data if isinstance(self.data, str) else ''}".lower()


@dataclass(frozen=True, slots=True)
class _Node:
    url: str
    shard_id: int
    num_shard: int

    def holds(self, flow_segment: int) -> bool:
        return self.num_shard < 2 or flow_segment % self.num_shard == self.shard_id


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, ReceiptTimeout):
        return False
    if isinstance(exc, ArchiveCorrupted):
        return exc.detail == "root_mismatch"  # another attempt may reach an honest node
    return isinstance(exc, StorageUnavailable | ChainError)


def _error_type(exc: BaseException) -> str:
    match exc:
        case ArchivePruned():
            return "pruned"
        case ArchiveNotFound():
            return "not_found"
        case ArchiveNotFinalized():
            return "not_finalized"
        case UploadNotFinalized():
            return "not_finalized"
        case StorageBalanceInsufficient():
            return "insufficient_funds"
        case ArchiveCorrupted():
            return "corrupted"
        case TransactionReverted():
            return "reverted"
        case BreakerOpen():
            return "breaker_open"
        case ChainError():
            return "chain_unavailable"
        case StorageUnavailable():
            return "storage_unavailable"
        case StorageRejected():
            return "rejected"
        case UploadsDisabled():
            return "no_wallet"
        case InvalidArgument():
            return "invalid"
    return "other"


class ZeroGStorageStore:
    """Archive blobs on 0G Storage. Share one instance; close it on shutdown.

    ``session`` and ``chain`` may be injected (tests, shared pools); otherwise they are made
    from ``config`` and closed by :meth:`close`.
    """

    def __init__(
        self,
        config: StorageConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        chain: ChainRpc | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._chain = chain or ChainRpc(config.chain_rpc_url, session=session, timeout=config.timeout)
        self._owns_chain = chain is None
        self._account = Account.from_key(config.private_key.get()) if config.private_key else None
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._breaker = ProviderBreaker("0g-storage", config.breaker, now=now)
        self._ids = itertools.count(1)
        self._flow_address = config.flow_address
        self._prefixes = frozenset(config.namespaces.values())

    def __repr__(self) -> str:
        return f"ZeroGStorageStore(indexer={self.config.indexer_url!r}, uploads={self._account is not None})"

    async def close(self) -> None:
        if self._owns_chain:
            await self._chain.close()
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    # ------------------------------------------------------------------ ArchiveStore

    async def put(self, namespace: str, key: str, data: bytes, *, owner: str) -> str:
        """Upload and wait for finality; returns ``0g:0x<root>``. ``key`` and ``owner`` stay
        local (nothing but the bytes reaches the network)."""
        return await self._put(namespace, key, data, None)

    async def put_once(self, namespace: str, key: str, data: bytes, *, owner: str, memory: SubmissionMemory) -> str:
        """As :meth:`put`; the ``Flow.submit`` transaction is written to ``memory`` before it is
        sent, and one found there is waited for and resumed rather than paying again (the node
        may not know the file yet: it learns of a submission some blocks after it is mined)."""
        return await self._put(namespace, key, data, memory)

    async def _put(self, namespace: str, key: str, data: bytes, memory: SubmissionMemory | None) -> str:
        if namespace not in self._prefixes:
            raise InvalidArgument.field(
                "namespace", f"must be one of {', '.join(sorted(self._prefixes))}", reason="ARCHIVE_NAMESPACE_UNKNOWN"
            )
        if not key:
            raise InvalidArgument.field("key", "must not be empty")
        return (await self.upload(data, namespace=namespace, memory=memory)).address

    async def get(self, address: str, *, owner: str) -> bytes:
        """Download through the indexer gateway; the bytes are checked against the root.

        A gateway that cannot serve the file now (unreachable, failing, refusing it) or an open
        breaker is :class:`ArchiveStoreUnavailable`, its ``cause`` the transport error's reason."""
        root = parse_address(address)
        try:
            return await self.download(root)
        except (Unavailable, StorageRejected) as exc:
            if isinstance(exc, StorageRejected):
                message = f"0G Storage refused to serve archive {address}: {exc.message}"
            else:
                message = f"0G Storage cannot serve archive {address} now: {exc.message}; try again later"
            raise ArchiveStoreUnavailable(address, exc.reason, message, metadata=exc.metadata) from exc

    # ------------------------------------------------------------------ upload

    async def upload(
        self, data: bytes, *, namespace: str = "", memory: SubmissionMemory | None = None
    ) -> UploadReceipt:
        data = bytes(data)
        metrics.UPLOADS.inc()
        started = time.monotonic()
        with _tracer.start_as_current_span("0g_storage.store") as span:
            span.set_attribute("zerog.storage.size", len(data))
            if namespace:
                span.set_attribute("zerog.storage.namespace", namespace)
            try:
                if self._account is None:
                    raise UploadsDisabled("0G Storage uploads need zerog.storage.private_key (none configured)")
                if not data:
                    raise InvalidArgument.field("data", "0G Storage cannot hold an empty file")
                receipt = await self._guarded(lambda: self._upload(data, span, memory))
            except Exception as exc:
                self._failed("upload", exc, span)
                raise
            finally:
                metrics.DURATION.labels("upload").observe(time.monotonic() - started)
            metrics.BYTES.labels("up").inc(0 if receipt.already_stored else len(data))
            span.set_attribute("zerog.storage.tx_seq", receipt.tx_seq)
            log.info(
                "0g storage: archived %d bytes as %s (txSeq %d, fee %d neuron%s)",
                receipt.size,
                receipt.address,
                receipt.tx_seq,
                receipt.fee,
                ", already stored" if receipt.already_stored else "",
            )
            return receipt

    async def _upload(self, data: bytes, span: trace.Span, memory: SubmissionMemory | None) -> UploadReceipt:
        assert self._account is not None
        tree = await self._tree(data)
        address = content_address(tree.root)
        span.set_attribute("zerog.storage.root", "0x" + tree.root.hex())
        nodes = await self._nodes()
        existing = await self._file_info(nodes, tree.root, need_available=False)
        known = existing is not None and all(i is not None for i in existing)
        if known and all(i.get("finalized") for i in existing or () if i is not None):
            seq = int(existing[0]["tx"]["seq"])  # type: ignore[index]
            return UploadReceipt(address, tree.root, tree.size, "", seq, 0, already_stored=True)

        deadline = time.monotonic() + self.config.finality_timeout
        if known:
            # Submitted before (an earlier attempt timed out, or someone stored the same bytes):
            # pay nothing again, just finish pushing the segments.
            tx_hash, fee = "", 0
            infos = [i for i in existing or () if i is not None]
            tx_seq = int(infos[0]["tx"]["seq"])
            log.info("0g storage: 0x%s already submitted as txSeq %d, resuming", tree.root.hex(), tx_seq)
        else:
            earlier = await self._earlier_submission(tree, nodes, memory) if memory is not None else None
            if earlier is not None:
                # Submitted and paid before, but the node has not picked up the Submit event yet.
                (tx_hash, tx_seq), fee = earlier, 0
                log.info(
                    "0g storage: 0x%s was submitted as txSeq %d in %s; waiting for the node, paying nothing again",
                    tree.root.hex(),
                    tx_seq,
                    tx_hash,
                )
            else:
                tx_hash, tx_seq, fee = await self._submit(tree, nodes, memory)
            span.set_attribute("zerog.storage.tx_hash", tx_hash)
            try:
                infos = await self._poll(nodes, tree.root, deadline, need_available=False, finalized=False)
            except UploadNotFinalized as exc:
                exc.metadata.update(tx_hash=tx_hash, tx_seq=str(tx_seq))
                raise
        start_segment = int(infos[0]["tx"].get("startEntryIndex", 0)) // SEGMENT_MAX_CHUNKS
        await self._push_segments(nodes, tree, tx_seq, start_segment)
        try:
            await self._poll(nodes, tree.root, deadline, need_available=True, finalized=True)
        except UploadNotFinalized as exc:
            exc.metadata.update(tx_hash=tx_hash, tx_seq=str(tx_seq))
            raise
        return UploadReceipt(address, tree.root, tree.size, tx_hash, tx_seq, fee)

    async def _submit(
        self, tree: FileMerkleTree, nodes: Sequence[_Node], memory: SubmissionMemory | None
    ) -> tuple[str, int, int]:
        """Pay for and submit the file on the Flow contract: ``(tx_hash, tx_seq, fee)``. The signed
        transaction is written to ``memory`` before it is sent."""
        assert self._account is not None
        flow_address = await self._flow(nodes[0])
        market = flow.decode_address(await self._retry(self._chain.eth_call, flow_address, flow.MARKET_SELECTOR))
        price = flow.decode_uint(await self._retry(self._chain.eth_call, market, flow.PRICE_PER_SECTOR_SELECTOR))
        fee = tree.sectors * price
        calldata = flow.encode_submit(tree.size, self.config.tags, tree.submission_nodes, self._account.address)
        before_send = None
        if memory is not None:

            async def before_send(tx_hash: str, nonce: int, raw: bytes) -> None:
                await memory.remember(StoreSubmission(tx_hash, nonce, raw))

        # Never retried here: a second send could pay twice. ChainRpc re-prices and re-numbers.
        try:
            tx_hash = await self._chain.send_transaction(
                self._account, flow_address, calldata, value=fee, before_send=before_send
            )
            receipt = await self._chain.wait_for_receipt(tx_hash, self.config.receipt_timeout)
        except ChainError as exc:
            if insufficient_funds(exc):
                raise self._balance_insufficient(exc, fee) from exc
            raise
        except TransactionReverted as exc:
            raise _flow_refused(exc, fee) from exc
        tx_seq = self._submitted_seq(receipt, flow_address, tree, tx_hash)
        log.info("0g storage: submitted 0x%s as txSeq %d in %s (fee %d neuron)", tree.root.hex(), tx_seq, tx_hash, fee)
        return tx_hash, tx_seq, fee

    async def _earlier_submission(
        self, tree: FileMerkleTree, nodes: Sequence[_Node], memory: SubmissionMemory
    ) -> tuple[str, int] | None:
        """``(tx_hash, tx_seq)`` of the submission remembered for these bytes, once mined; None when
        there is none, or it can never pay for the file (reverted, or its nonce went to another
        transaction): then the file is submitted anew. A transaction still pending is waited for
        (``ReceiptTimeout``, Unavailable, when it stays pending: the next retry waits again)."""
        remembered = await memory.recall()
        if remembered is None:
            return None
        tx_hash = remembered.tx_hash
        flow_address = await self._flow(nodes[0])
        receipt = await self._retry(self._chain.get_receipt, tx_hash)
        if receipt is None:
            # Pending, lost (never sent: the process stopped first; dropped from the pool), or its
            # nonce taken by another transaction. The same signed bytes again tell which, and can
            # only ever be mined once.
            try:
                outcome = await self._retry(self._chain.rebroadcast, remembered.raw)
            except ChainError as exc:
                if insufficient_funds(exc):
                    raise self._balance_insufficient(exc, 0) from exc
                raise
            if outcome == "nonce_used":
                receipt = await self._retry(self._chain.get_receipt, tx_hash)  # mined meanwhile?
                if receipt is None:
                    log.info(
                        "0g storage: remembered submission %s of 0x%s lost its nonce %d to another transaction; "
                        "submitting anew",
                        tx_hash,
                        tree.root.hex(),
                        remembered.nonce,
                    )
                    return None
            else:
                log.info(
                    "0g storage: remembered submission %s of 0x%s is pending (%s)", tx_hash, tree.root.hex(), outcome
                )
        if receipt is None:
            try:
                receipt = await self._chain.wait_for_receipt(tx_hash, self.config.receipt_timeout)
            except TransactionReverted:
                receipt = {"status": "0x0"}
        if not _succeeded(receipt):
            log.info("0g storage: remembered submission %s reverted (no fee taken); submitting anew", tx_hash)
            return None
        return tx_hash, self._submitted_seq(receipt, flow_address, tree, tx_hash)

    @staticmethod
    def _submitted_seq(receipt: dict[str, Any], flow_address: str, tree: FileMerkleTree, tx_hash: str) -> int:
        events = [e for e in flow.submit_events(receipt, flow_address) if e.nodes == tree.submission_nodes]
        if not events:
            raise StorageRejected(
                f"transaction {tx_hash} was mined without a Submit event for root 0x{tree.root.hex()}",
                metadata={"tx_hash": tx_hash},
            )
        return events[0].tx_seq

    def _balance_insufficient(self, exc: ChainError, fee: int) -> StorageBalanceInsufficient:
        """The error for a node that refused a transaction the wallet cannot pay for."""
        assert self._account is not None
        wallet = self._account.address
        return StorageBalanceInsufficient(
            f"the 0G Storage wallet {wallet} cannot pay the storage fee of {fee} neuron plus gas "
            f"({clip(exc.rpc_message or exc.message, 200)}): top it up, then archive again",
            metadata={"wallet": wallet, "fee_neuron": fee, "method": exc.method},
        )

    async def _tree(self, data: bytes) -> FileMerkleTree:
        try:
            if len(data) > _THREAD_ABOVE:
                return await asyncio.to_thread(merkle_tree, data)
            return merkle_tree(data)
        except EmptyDataError:
            raise InvalidArgument.field("data", "0G Storage cannot hold an empty file") from None

    async def _nodes(self) -> list[_Node]:
        if self.config.node_urls:
            nodes = []
            for url in self.config.node_urls:
                shard = await self._retry(self._rpc, url, "zgs_getShardConfig", [])
                nodes.append(_node(url, shard if isinstance(shard, dict) else {}))
            return nodes
        sharded = await self._retry(self._rpc, self.config.indexer_url, "indexer_getShardedNodes", [])
        trusted = sharded.get("trusted") if isinstance(sharded, dict) else None
        nodes = [_node(str(n["url"]).rstrip("/"), n.get("config") or {}) for n in trusted or [] if n.get("url")]
        if not nodes:
            raise StorageUnavailable("the indexer lists no trusted storage node", endpoint=self.config.indexer_url)
        return nodes

    async def _flow(self, node: _Node) -> str:
        if not self._flow_address:
            status = await self._retry(self._rpc, node.url, "zgs_getStatus", [])
            try:
                self._flow_address = str(status["networkIdentity"]["flowAddress"])
            except (KeyError, TypeError):
                raise StorageUnavailable("zgs_getStatus did not name the Flow contract", endpoint=node.url) from None
        return self._flow_address

    async def _file_info(
        self, nodes: Sequence[_Node], root: bytes, *, need_available: bool
    ) -> list[dict[str, Any] | None] | None:
        """``zgs_getFileInfo`` from every node; None if the first node does not know the file."""
        infos: list[dict[str, Any] | None] = []
        for node in nodes:
            info = await self._retry(self._rpc, node.url, "zgs_getFileInfo", ["0x" + root.hex(), need_available])
            if not isinstance(info, dict):
                if not infos:
                    return None
                info = None
            infos.append(info)
        return infos

    async def _poll(
        self, nodes: Sequence[_Node], root: bytes, deadline: float, *, need_available: bool, finalized: bool
    ) -> list[dict[str, Any]]:
        """Poll every node until it knows the file (and, with ``finalized``, has finalized it)."""
        while True:
            infos = await self._file_info(nodes, root, need_available=need_available) or [None]
            if any(isinstance(i, dict) and i.get("pruned") for i in infos):
                # FailedPrecondition: the same bytes uploaded again would find the same pruned file
                raise ArchivePruned(
                    content_address(root),
                    f"0G storage nodes pruned 0x{root.hex()} before it was finalized: this upload cannot complete",
                )
            if all(isinstance(i, dict) and (not finalized or i.get("finalized")) for i in infos):
                return [i for i in infos if isinstance(i, dict)]
            if time.monotonic() >= deadline:
                what = "finalize" if finalized else "sync the submission of"
                raise UploadNotFinalized(
                    f"0G storage nodes did not {what} 0x{root.hex()} within {self.config.finality_timeout:g}s",
                    address=content_address(root),
                )
            await asyncio.sleep(min(self.config.poll_interval, max(0.0, deadline - time.monotonic())))

    async def _push_segments(self, nodes: Sequence[_Node], tree: FileMerkleTree, tx_seq: int, start: int) -> None:
        plan: dict[str, list[int]] = {n.url: [] for n in nodes}
        for index in range(tree.num_data_segments):
            holders = [n for n in nodes if n.holds(start + index)]
            if not holders:
                raise StorageRejected(f"no storage node serves the shard of segment {index}")
            for n in holders:
                plan[n.url].append(index)
        step = self.config.segments_per_request
        for url, indexes in plan.items():
            for i in range(0, len(indexes), step):
                batch = [tree.segment(j).to_json() for j in indexes[i : i + step]]
                await self._retry(self._upload_batch, url, batch, tx_seq)

    async def _upload_batch(self, url: str, batch: list[dict[str, Any]], tx_seq: int) -> None:
        try:
            await self._rpc(url, "zgs_uploadSegmentsByTxSeq", [batch, tx_seq])
        except _RpcFault as fault:
            text = fault.text
            if "already uploaded and finalized" in text:
                return
            if "too many data writing" in text:
                raise StorageUnavailable(f"node busy: {clip(fault.message, 200)}", endpoint=url) from None
            detail = clip(f"{fault.message} {fault.data if isinstance(fault.data, str) else ''}", 200)
            raise StorageRejected(
                f"the 0G storage node refused the file's data (segments {batch[0]['index']}..{batch[-1]['index']}"
                f" of txSeq {tx_seq}: {detail}); the submission is paid but the file cannot be finalized",
                metadata={"endpoint": url, "tx_seq": tx_seq, "rpc_code": fault.code},
            ) from None

    # ------------------------------------------------------------------ download

    async def download(self, root: bytes) -> bytes:
        address = content_address(root)
        metrics.DOWNLOADS.inc()
        started = time.monotonic()
        with _tracer.start_as_current_span("0g_storage.fetch") as span:
            span.set_attribute("zerog.storage.root", "0x" + root.hex())
            try:
                data = await self._guarded(lambda: self._retry(self._fetch, root, address))
            except Exception as exc:
                self._failed("download", exc, span)
                raise
            finally:
                metrics.DURATION.labels("download").observe(time.monotonic() - started)
            span.set_attribute("zerog.storage.size", len(data))
            metrics.BYTES.labels("down").inc(len(data))
            return data

    async def _fetch(self, root: bytes, address: str) -> bytes:
        url = f"{self.config.indexer_url}/file"
        limit = self.config.max_download_bytes
        body: bytes | None = None
        status, text = 0, ""
        try:
            async with self._http().get(url, params={"root": "0x" + root.hex()}, timeout=self._timeout) as resp:
                if resp.status == _HTTP_INTERNAL or resp.status >= 500:
                    detail = clip(await resp.text(errors="replace"), 200)
                    raise StorageUnavailable(
                        f"indexer gateway failed (HTTP {resp.status}): {detail}", endpoint=url, status=resp.status
                    )
                if resp.status == 200 and "Content-Disposition" in resp.headers:
                    if (resp.content_length or 0) > limit:
                        raise StorageRejected(f"archive {address} is larger than {limit} bytes")
                    pieces: list[bytes] = []
                    received = 0
                    async for piece in resp.content.iter_chunked(1 << 16):
                        received += len(piece)
                        if received > limit:
                            raise StorageRejected(f"archive {address} is larger than {limit} bytes")
                        pieces.append(piece)
                    body = b"".join(pieces)
                    if resp.content_length is not None and len(body) != resp.content_length:
                        raise StorageUnavailable("download cut short", endpoint=url)
                else:
                    status, text = resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StorageUnavailable(f"indexer gateway unreachable ({type(exc).__name__})", endpoint=url) from exc
        if body is None:
            raise _gateway_error(status, text, address, url)
        await self._verify(body, root, address)
        return body

    async def _verify(self, body: bytes, root: bytes, address: str) -> None:
        try:
            tree = await self._tree(body)
        except InvalidArgument:
            tree = None
        if tree is None or tree.root != root:
            got = "nothing" if tree is None else "0x" + tree.root.hex()
            raise ArchiveCorrupted(
                address,
                f"downloaded bytes hash to {got}, not to 0x{root.hex()}: refused",
                detail="root_mismatch",
            )

    # ------------------------------------------------------------------ plumbing

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _rpc(self, url: str, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            # (not elsewhere: a node listed by the indexer could redirect the upload to any address)
            async with self._http().post(url, json=body, timeout=self._timeout, allow_redirects=False) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StorageUnavailable(f"{method}: {url} unreachable ({type(exc).__name__})", endpoint=url) from exc
        if status != 200:
            raise StorageUnavailable(f"{method}: HTTP {status}: {clip(text, 200)}", endpoint=url, status=status)
        try:
            payload = json_loads(text)
        except ValueError:
            raise StorageUnavailable(f"{method}: answer is not JSON", endpoint=url) from None
        if not isinstance(payload, dict):
            raise StorageUnavailable(f"{method}: unexpected JSON-RPC answer", endpoint=url)
        error = payload.get("error")
        if error is not None:
            err = error if isinstance(error, dict) else {"message": str(error)}
            fault = _RpcFault(method, err.get("code"), str(err.get("message", "")), err.get("data"))
            if method == "zgs_uploadSegmentsByTxSeq":
                raise fault
            if err.get("code") in (-32603, -32000):  # internal / server error: transient
                raise StorageUnavailable(clip(str(fault), 300), endpoint=url)
            raise StorageRejected(clip(str(fault), 300), metadata={"endpoint": url}) from None
        return payload.get("result")

    async def _retry(self, fn: Callable[..., Awaitable[_T]], *args: Any) -> _T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_retries),
            wait=wait_random_exponential(multiplier=self.config.retry_base_delay, max=self.config.retry_max_delay),
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await fn(*args)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _guarded(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        ticket = self._breaker.acquire()
        try:
            result = await operation()
        except (StorageUnavailable, ChainError) as exc:
            self._breaker.failure(ticket, exc)
            raise
        except ArchiveCorrupted as exc:
            if exc.detail == "root_mismatch":
                self._breaker.failure(ticket, exc)
            else:
                self._breaker.release(ticket)
            raise
        except BaseException:
            self._breaker.release(ticket)
            raise
        self._breaker.success(ticket)
        return result

    @staticmethod
    def _failed(operation: str, exc: BaseException, span: trace.Span) -> None:
        error_type = _error_type(exc)
        metrics.FAILURES.labels(operation, error_type).inc()
        span.set_attribute("zerog.storage.error_type", error_type)
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, exc.message if isinstance(exc, StackCfoError) else type(exc).__name__))


def _node(url: str, config: dict[str, Any]) -> _Node:
    try:
        return _Node(url, int(config.get("shardId", 0)), int(config.get("numShard", 1)))
    except (TypeError, ValueError):
        return _Node(url, 0, 1)


def _succeeded(receipt: dict[str, Any]) -> bool:
    """A mined receipt whose status is 1 (a receipt without a status, pre-Byzantium, counts)."""
    status = receipt.get("status")
    try:
        return status is None or int(str(status), 0) == 1
    except ValueError:
        return False


def _gateway_error(status: int, text: str, address: str, url: str) -> Exception:
    """Map a gateway answer without an attachment (HTTP 200 + ``{"code": N}``) to a typed error."""
    try:
        payload = json_loads(text)
        code = int(payload["code"])
        message = str(payload.get("message", ""))
    except (ValueError, TypeError, KeyError):
        return StorageUnavailable(
            f"indexer gateway answered HTTP {status} without a file or an error code", endpoint=url, status=status
        )
    md = {"gateway_code": code}
    if code == 101:
        return ArchiveNotFound(address, f"0G Storage has no file at {address}", metadata=md)
    if code == 102:
        return ArchivePruned(address, metadata=md)
    if code == 103:
        return ArchiveNotFinalized(address, metadata=md)
    if code == 104:
        return ArchiveNotFound(address, f"path not found in {address}: {clip(message, 200)}", metadata=md)
    if code in (1, 105, 106):
        return StorageRejected(f"indexer gateway refused the download (code {code}: {clip(message, 200)})", metadata=md)
    return StorageUnavailable(f"indexer gateway error code {code}: {clip(message, 200)}", endpoint=url, metadata=md)


def _flow_refused(exc: TransactionReverted, fee: int) -> TransactionReverted:
    """The Flow contract's refusal with a message that says what happened to the money."""
    why = ""
    if exc.revert_data[:4] == _ERROR_STRING:
        try:
            (why,) = decode(["string"], exc.revert_data[4:])
        except (DecodingError, ValueError, OverflowError):
            why = ""
    why = clip(str(why), 200) if why else "no reason given"
    if exc.tx_hash:
        message = (
            f"the 0G Flow contract reverted storage submission {exc.tx_hash} ({why}): "
            "the storage fee was not taken, only gas"
        )
    else:
        message = f"the 0G Flow contract refuses the storage submission ({why}): nothing was sent or paid"
    return TransactionReverted(
        message, tx_hash=exc.tx_hash, revert_data=exc.revert_data, metadata={**exc.metadata, "fee_neuron": fee}
    )

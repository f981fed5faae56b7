"""Stand-ins for the 0G Storage network over real HTTP/JSON-RPC on 127.0.0.1.

Three servers sharing one state, each on its own port:

* **chain** (EVM JSON-RPC): ``eth_chainId``, ``eth_call`` for ``Flow.market()`` and
  ``pricePerSector()``, ``eth_getTransactionCount``, ``eth_gasPrice``, ``eth_estimateGas``,
  ``eth_sendRawTransaction`` (the signed transaction is RLP-decoded, its sender recovered, the
  ``submit`` calldata ABI-decoded and the paid value checked against the fee, as the contract
  would) and ``eth_getTransactionReceipt`` with an ABI-encoded ``Submit`` log. With ``mine`` off,
  accepted transactions wait in a pool (no receipt, counted by ``eth_getTransactionCount(...,
  "pending")``, the very same bytes again answered "already known", as geth) until
  :meth:`ZeroGStorageNetwork.mine_pending`; ``lose_next_sends`` makes the node answer with the hash
  and forget the transaction (a pool that dropped it, a send that never arrived).
* **storage node** (``zgs_*`` JSON-RPC): status, shard config, file info, and segment upload
  that checks every segment's Merkle proof against the root the chain recorded (derived from
  the submission, not from the uploader's claim); a file is finalized once all its data
  segments arrived.
* **indexer**: the REST gateway ``GET /file?root=`` (attachment on success; ``{"code": N}``
  with HTTP 200, or HTTP 600, on error) and JSON-RPC ``indexer_getShardedNodes``.

Knobs (attributes of :class:`ZeroGStorageNetwork`) make each fault happen on demand; the
recorded submissions, payments and segments let tests assert what reached the "network".
The proof check and the root derivation are written here independently of the code under test.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any

import rlp
from aiohttp import web
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

CHUNK = 256
SEGMENT_CHUNKS = 1024
SEGMENT = CHUNK * SEGMENT_CHUNKS
_DATA = "(uint256,bytes,(bytes32,uint256)[])"
SUBMIT_SELECTOR = keccak(text=f"submit(({_DATA},address))")[:4]
SUBMIT_TOPIC = keccak(text=f"Submit(address,bytes32,uint256,uint256,uint256,{_DATA})")
MARKET_SELECTOR = keccak(text="market()")[:4]
PRICE_SELECTOR = keccak(text="pricePerSector()")[:4]
EMPTY_CHUNK_HASH = keccak(bytes(CHUNK))

FLOW_ADDRESS = to_checksum_address("0x22e03a6a89b950f1c82ec5e74f8eca321a105296")
MARKET_ADDRESS = to_checksum_address("0x26c9bd2b6bbc5b6b3e2b1a0a46e1a4d1c2d0b0a1")
CHAIN_ID = 16602
GAS_PRICE = 4_000_000_000


def _json_rpc_error(code: int, message: str, data: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return err


class _RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.error = _json_rpc_error(code, message, data)


# ----------------------------------------------------------------------------- independent Merkle bits


def _tree_root(leaves: list[bytes]) -> bytes:
    level = leaves
    while len(level) > 1:
        nxt = [keccak(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _padded_chunks(chunks: int) -> int:
    pow2 = 1 << max(0, (chunks - 1).bit_length())
    if pow2 == chunks:
        return chunks
    unit = max(1, pow2 // 16)
    return math.ceil(chunks / unit) * unit


def _root_from_submission(nodes: list[tuple[bytes, int]]) -> bytes:
    """A file root from its submission: later (smaller) subtrees hang off the right."""
    root = nodes[-1][0]
    for node_root, _ in reversed(nodes[:-1]):
        root = keccak(node_root + root)
    return root


def _verify_proof(root: bytes, leaf: bytes, position: int, leaves: int, lemma: list[bytes], path: list[bool]) -> str:
    """'' when the proof holds, else why not."""
    if not path:
        return "" if lemma == [root] and leaf == root else "single-leaf proof mismatch"
    if len(lemma) != len(path) + 2:
        return "wrong lemma length"
    if lemma[0] != leaf:
        return "leaf mismatch"
    if lemma[-1] != root:
        return "root mismatch"
    pos, n = 0, leaves
    for is_left in reversed(path):
        left = (1 << (n - 1).bit_length()) // 2
        if is_left:
            n = left
        else:
            pos, n = pos + left, n - left
    if pos != position:
        return f"proof is for position {pos}, not {position}"
    h = lemma[0]
    for is_left, sibling in zip(path, lemma[1:-1], strict=True):
        h = keccak(h + sibling) if is_left else keccak(sibling + h)
    return "" if h == root else "proof does not reach the root"


# ----------------------------------------------------------------------------- state


@dataclass
class StoredFile:
    root: bytes
    size: int
    tx_seq: int
    start_entry: int
    submitter: str
    fee_paid: int
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False
    pruned: bool = False

    @property
    def chunks(self) -> int:
        return -(-self.size // CHUNK)

    @property
    def data_segments(self) -> int:
        return -(-self.chunks // SEGMENT_CHUNKS)

    @property
    def padded_segments(self) -> int:
        return -(-_padded_chunks(self.chunks) // SEGMENT_CHUNKS)

    def content(self) -> bytes:
        return b"".join(self.segments[i] for i in range(self.data_segments))[: self.size]

    def expected_leaf(self, index: int, data: bytes) -> bytes:
        in_segment = min(SEGMENT_CHUNKS, self.chunks - index * SEGMENT_CHUNKS)
        padded = _padded_chunks(self.chunks)
        want = (
            min(SEGMENT_CHUNKS, padded - index * SEGMENT_CHUNKS)
            if index == self.padded_segments - 1
            else SEGMENT_CHUNKS
        )
        leaves = [keccak(data[i : i + CHUNK]) for i in range(0, len(data), CHUNK)]
        leaves += [EMPTY_CHUNK_HASH] * (want - in_segment)
        return _tree_root(leaves)


@dataclass
class Transaction:
    tx_hash: str
    sender: str
    nonce: int
    value: int
    fee: int
    status: int
    logs: list[dict[str, Any]]
    block: int


class ZeroGStorageNetwork:
    """The three stand-ins. ``async with ZeroGStorageNetwork() as net:`` then use the URLs."""

    def __init__(self, *, price_per_sector: int = 10**9, finalize_after_polls: int = 0) -> None:
        self.price_per_sector = price_per_sector
        # --- knobs
        self.revert: str | None = None  # "estimate": gas estimate reverts; "receipt": mined, status 0
        self.drop_submit_event = False  # receipts without the Submit log
        self.finalize = True  # False: segments are accepted but the file never finalizes
        self.finalize_after_polls = finalize_after_polls  # extra getFileInfo polls before "finalized"
        self.node_sync_after_polls = 0  # getFileInfo returns null this many times after submission
        self.reject_segments: str | None = None  # a JSON-RPC error message for every upload
        self.busy_uploads = 0  # next N uploads answer "too many data writing"
        self.gateway_code: int | None = None  # force this JSON error code on GET /file
        self.gateway_600 = False  # answer HTTP 600 (internal error)
        self.gateway_fail_next = 0  # next N downloads answer HTTP 503
        self.tamper = False  # flip one byte of every served file
        self.chain_fail_next = 0  # next N chain requests answer HTTP 502
        self.mine = True  # False: accepted transactions stay pending until mine_pending()
        self.lose_next_sends = 0  # next N accepted transactions are answered, then forgotten
        # every sender's balance in neuron (None: unlimited); as geth, a send whose gas * price + value
        # exceeds it and an estimate whose value exceeds it answer -32000 "insufficient funds ..."
        self.balance: int | None = None
        # --- observations
        self.files: dict[bytes, StoredFile] = {}
        self.transactions: dict[str, Transaction] = {}
        self.nonces: dict[str, int] = {}
        self.pending: dict[str, bytes] = {}  # tx hash -> signed bytes, in arrival order
        self.sends: list[str] = []  # hash of every eth_sendRawTransaction, as received
        self.requests: list[tuple[str, str]] = []  # (server, method or path)
        self.downloads = 0
        self._flow_length = 0
        self._polls: dict[bytes, int] = {}
        self._runners: list[web.AppRunner] = []
        self.chain_url = self.node_url = self.indexer_url = ""

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> ZeroGStorageNetwork:
        self.chain_url = await self._serve(self._chain_app())
        self.node_url = await self._serve(self._node_app())
        self.indexer_url = await self._serve(self._indexer_app())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for runner in self._runners:
            await runner.cleanup()

    async def stop_chain(self) -> None:
        """Take the chain RPC down (its port stops listening)."""
        await self._runners[0].cleanup()

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    @property
    def submissions(self) -> list[StoredFile]:
        return sorted(self.files.values(), key=lambda f: f.tx_seq)

    def prune(self, root: bytes) -> None:
        f = self.files[root]
        f.pruned, f.finalized = True, False

    # ------------------------------------------------------------------ JSON-RPC plumbing

    def _rpc_app(self, name: str, handlers: dict[str, Any]) -> web.Application:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            if name == "chain" and self.chain_fail_next > 0:
                self.chain_fail_next -= 1
                return web.Response(status=502, text="bad gateway")
            body = await request.json()
            calls = body if isinstance(body, list) else [body]
            answers = []
            for call in calls:
                method = call.get("method")
                self.requests.append((name, method))
                answer: dict[str, Any] = {"jsonrpc": "2.0", "id": call.get("id")}
                handler = handlers.get(method)
                try:
                    if handler is None:
                        raise _RpcError(-32601, f"the method {method} does not exist/is not available")
                    answer["result"] = handler(*call.get("params", []))
                except _RpcError as exc:
                    answer["error"] = exc.error
                answers.append(answer)
            return web.json_response(answers if isinstance(body, list) else answers[0])

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/", endpoint)
        return app

    # ------------------------------------------------------------------ chain

    def _chain_app(self) -> web.Application:
        return self._rpc_app(
            "chain",
            {
                "eth_chainId": lambda: hex(CHAIN_ID),
                "eth_gasPrice": lambda: hex(GAS_PRICE),
                "eth_blockNumber": lambda: hex(100 + len(self.transactions)),
                "eth_getTransactionCount": self._transaction_count,
                "eth_call": self._eth_call,
                "eth_estimateGas": self._estimate_gas,
                "eth_sendRawTransaction": self._send_raw,
                "eth_getTransactionReceipt": self._receipt,
            },
        )

    def _eth_call(self, tx: dict[str, Any], block: str = "latest") -> str:
        to = to_checksum_address(tx["to"])
        data = bytes.fromhex(str(tx.get("data") or tx.get("input") or "0x")[2:])
        if to == FLOW_ADDRESS and data[:4] == MARKET_SELECTOR:
            return "0x" + encode(["address"], [MARKET_ADDRESS]).hex()
        if to == MARKET_ADDRESS and data[:4] == PRICE_SELECTOR:
            return "0x" + encode(["uint256"], [self.price_per_sector]).hex()
        raise _RpcError(3, "execution reverted", "0x")

    def _fee(self, nodes: list[tuple[bytes, int]]) -> int:
        return sum(1 << height for _, height in nodes) * self.price_per_sector

    def _decode_submit(self, data: bytes) -> tuple[int, bytes, list[tuple[bytes, int]], str]:
        if data[:4] != SUBMIT_SELECTOR:
            raise _RpcError(3, "execution reverted: unknown function")
        ((length, tags, nodes), submitter) = decode([f"({_DATA},address)"], data[4:])[0]
        return int(length), bytes(tags), [(bytes(r), int(h)) for r, h in nodes], to_checksum_address(submitter)

    def _estimate_gas(self, tx: dict[str, Any], *rest: Any) -> str:
        if self.revert == "estimate":
            reason = encode(["string"], ["Flow: submission rejected"])
            raise _RpcError(3, "execution reverted: Flow: submission rejected", "0x08c379a0" + reason.hex())
        if self.balance is not None and int(str(tx.get("value") or "0x0"), 16) > self.balance:
            raise _RpcError(-32000, "insufficient funds for transfer")
        data = bytes.fromhex(str(tx.get("data") or tx.get("input") or "0x")[2:])
        if to_checksum_address(tx["to"]) == FLOW_ADDRESS and data:
            _, _, nodes, _ = self._decode_submit(data)
            if int(str(tx.get("value") or "0x0"), 16) < self._fee(nodes):
                raise _RpcError(3, "execution reverted: Not enough fee")
        return hex(250_000)

    def mine_pending(self) -> None:
        """Mine every pending transaction, in order."""
        pending, self.pending = self.pending, {}
        for raw in pending.values():
            self._execute(raw)

    def _transaction_count(self, addr: str, block: str = "latest") -> str:
        sender = to_checksum_address(addr)
        count = self.nonces.get(sender, 0)
        if block == "pending":
            count += sum(1 for raw in self.pending.values() if self._sender(raw) == sender)
        return hex(count)

    @staticmethod
    def _sender(raw: bytes) -> str:
        return to_checksum_address(Account.recover_transaction(raw))

    def _send_raw(self, raw_hex: str) -> str:
        raw = bytes.fromhex(raw_hex[2:])
        tx_hash = "0x" + keccak(raw).hex()
        self.sends.append(tx_hash)
        if tx_hash in self.pending:
            raise _RpcError(-32000, "already known")
        if tx_hash in self.transactions:
            raise _RpcError(-32000, "nonce too low")
        if self.mine and not self.lose_next_sends:
            return self._execute(raw)
        self._decode_raw(raw, pending=True)  # what the node checks on admission
        if self.lose_next_sends:
            self.lose_next_sends -= 1
        else:
            self.pending[tx_hash] = raw
        return tx_hash

    def _decode_raw(self, raw: bytes, *, pending: bool = False) -> tuple[str, int, bytes, int, bytes, int, int]:
        """``(sender, nonce, to, value, data, price, gas)`` of a signed transaction the node accepts."""
        if raw[0] == 2:  # EIP-1559: 0x02 || rlp([chainId, nonce, tip, maxFee, gas, to, value, data, access, v, r, s])
            fields = rlp.decode(raw[1:])
            chain_id, nonce, to, value, data = (
                int.from_bytes(fields[0], "big"),
                int.from_bytes(fields[1], "big"),
                fields[5],
                int.from_bytes(fields[6], "big"),
                fields[7],
            )
            price, gas = int.from_bytes(fields[3], "big"), int.from_bytes(fields[4], "big")
        else:  # legacy EIP-155: rlp([nonce, gasPrice, gas, to, value, data, v, r, s])
            fields = rlp.decode(raw)
            nonce, to, value, data = (
                int.from_bytes(fields[0], "big"),
                fields[3],
                int.from_bytes(fields[4], "big"),
                fields[5],
            )
            price, gas = int.from_bytes(fields[1], "big"), int.from_bytes(fields[2], "big")
            chain_id = (int.from_bytes(fields[6], "big") - 35) // 2
        if chain_id != CHAIN_ID:
            raise _RpcError(-32000, f"invalid chain id {chain_id}")
        sender = self._sender(raw)
        expected = self.nonces.get(sender, 0)
        if pending:  # after the ones already waiting in the pool
            expected = int(self._transaction_count(sender, "pending"), 16)
        if nonce < expected:
            raise _RpcError(-32000, "nonce too low")
        if nonce > expected:
            raise _RpcError(-32000, f"nonce too high: expected {expected}")
        cost = gas * price + value
        if self.balance is not None and cost > self.balance:
            raise _RpcError(
                -32000,
                f"insufficient funds for gas * price + value: balance {self.balance}, tx cost {cost}, "
                f"overshot {cost - self.balance}",
            )
        return sender, nonce, bytes(to), value, bytes(data), price, gas

    def _execute(self, raw: bytes) -> str:
        """Mine a signed transaction now (the Flow contract records the submission)."""
        sender, nonce, to, value, data, price, _gas = self._decode_raw(raw)
        tx_hash = "0x" + keccak(raw).hex()
        self.nonces[sender] = nonce + 1
        block = 100 + len(self.transactions) + 1
        status, logs, fee = 1, [], 0
        if to_checksum_address(to) != FLOW_ADDRESS:
            status = 0
        else:
            length, tags, nodes, submitter = self._decode_submit(bytes(data))
            fee = self._fee(nodes)
            if value < fee or self.revert == "receipt" or not nodes:
                status = 0  # the contract's require() fails: nothing is recorded
            else:
                logs = [self._record_submission(length, tags, nodes, submitter, sender, value, tx_hash, block)]
                if self.drop_submit_event:
                    logs = []
        self.transactions[tx_hash] = Transaction(tx_hash, sender, nonce, value, fee, status, logs, block)
        if self.balance is not None:
            self.balance -= 180_000 * price + (value if status == 1 else 0)
        return tx_hash

    def _record_submission(
        self,
        length: int,
        tags: bytes,
        nodes: list[tuple[bytes, int]],
        submitter: str,
        sender: str,
        value: int,
        tx_hash: str,
        block: int,
    ) -> dict[str, Any]:
        tx_seq = len(self.files)
        align = 1 << nodes[0][1]
        start = -(-self._flow_length // align) * align
        self._flow_length = start + sum(1 << h for _, h in nodes)
        root = _root_from_submission(nodes)
        self.files[root] = StoredFile(root, length, tx_seq, start, submitter, value)
        self._polls[root] = 0
        identity = keccak(encode([_DATA], [(length, tags, [(r, h) for r, h in nodes])]))
        payload = encode(
            ["uint256", "uint256", "uint256", _DATA],
            [tx_seq, start, sum(1 << h for _, h in nodes), (length, tags, [(r, h) for r, h in nodes])],
        )
        return {
            "address": FLOW_ADDRESS.lower(),
            "topics": ["0x" + SUBMIT_TOPIC.hex(), "0x" + bytes(12).hex() + sender[2:].lower(), "0x" + identity.hex()],
            "data": "0x" + payload.hex(),
            "blockNumber": hex(block),
            "transactionHash": tx_hash,
            "logIndex": "0x0",
            "removed": False,
        }

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        tx = self.transactions.get(tx_hash)
        if tx is None:
            return None
        return {
            "transactionHash": tx.tx_hash,
            "blockNumber": hex(tx.block),
            "from": tx.sender,
            "to": FLOW_ADDRESS,
            "status": hex(tx.status),
            "gasUsed": hex(180_000),
            "effectiveGasPrice": hex(GAS_PRICE),
            "logs": tx.logs,
        }

    # ------------------------------------------------------------------ storage node

    def _node_app(self) -> web.Application:
        return self._rpc_app(
            "node",
            {
                "zgs_getStatus": lambda: {
                    "connectedPeers": 3,
                    "logSyncHeight": 100 + len(self.transactions),
                    "logSyncBlock": "0x" + bytes(32).hex(),
                    "nextTxSeq": len(self.files),
                    "networkIdentity": {
                        "chainId": CHAIN_ID,
                        "flowAddress": FLOW_ADDRESS,
                        "p2pProtocolVersion": {"major": 0, "minor": 4, "build": 0},
                    },
                },
                "zgs_getShardConfig": lambda: {"shardId": 0, "numShard": 1},
                "zgs_getFileInfo": self._file_info,
                "zgs_uploadSegmentsByTxSeq": self._upload_segments,
            },
        )

    def _file_info(self, root_hex: str, need_available: bool = False) -> dict[str, Any] | None:
        f = self.files.get(bytes.fromhex(root_hex[2:]))
        if f is None:
            return None
        self._polls[f.root] += 1
        if self._polls[f.root] <= self.node_sync_after_polls:
            return None  # the node has not synced the Submit log yet
        finalized = f.finalized and self._polls[f.root] > self.node_sync_after_polls + self.finalize_after_polls
        return {
            "tx": {
                "streamIds": [],
                "data": "",
                "dataMerkleRoot": "0x" + f.root.hex(),
                "merkleNodes": [],
                "startEntryIndex": f.start_entry,
                "size": f.size,
                "seq": f.tx_seq,
            },
            "finalized": finalized,
            "isCached": False,
            "uploadedSegNum": len(f.segments),
            "pruned": f.pruned,
        }

    def _upload_segments(self, segments: list[dict[str, Any]], tx_seq: int) -> None:
        if self.busy_uploads > 0:
            self.busy_uploads -= 1
            raise _RpcError(-32000, "too many data writing, please try again later")
        if self.reject_segments:
            raise _RpcError(-32602, "Invalid params", self.reject_segments)
        by_seq = {f.tx_seq: f for f in self.files.values()}
        f = by_seq.get(tx_seq)
        if f is None:
            raise _RpcError(-32602, "Invalid params", f"tx {tx_seq} not found")
        if f.finalized:
            raise _RpcError(-32602, "Invalid params", "already uploaded and finalized")
        for seg in segments:
            root = bytes.fromhex(str(seg["root"])[2:])
            index = int(seg["index"])
            data = base64.b64decode(seg["data"])
            if root != f.root:
                raise _RpcError(-32602, "Invalid params", "root mismatch with the submitted transaction")
            if int(seg["fileSize"]) != f.size or not 0 <= index < f.data_segments:
                raise _RpcError(-32602, "Invalid params", f"segment index {index} or file size out of range")
            want = min(SEGMENT, (f.chunks - index * SEGMENT_CHUNKS) * CHUNK)
            if len(data) != want:
                raise _RpcError(-32602, "Invalid params", f"segment {index} must be {want} bytes, got {len(data)}")
            lemma = [bytes.fromhex(str(h)[2:]) for h in seg["proof"]["lemma"]]
            why = _verify_proof(
                f.root, f.expected_leaf(index, data), index, f.padded_segments, lemma, list(seg["proof"]["path"])
            )
            if why:
                raise _RpcError(-32602, "Invalid params", f"invalid proof for segment {index}: {why}")
            f.segments[index] = data
        if self.finalize and len(f.segments) == f.data_segments:
            f.finalized = True
        return None

    # ------------------------------------------------------------------ indexer

    def _indexer_app(self) -> web.Application:
        rpc = self._rpc_app(
            "indexer",
            {
                "indexer_getShardedNodes": lambda: {
                    "trusted": [{"url": self.node_url, "config": {"shardId": 0, "numShard": 1}, "latency": 3}],
                    "discovered": [],
                }
            },
        )
        rpc.router.add_get("/file", self._download)
        return rpc

    async def _download(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(("indexer", "GET /file"))
        self.downloads += 1

        def error(code: int, message: str, data: Any = None, status: int = 200) -> web.Response:
            return web.Response(
                status=status,
                text=json.dumps({"code": code, "message": message, "data": data}),
                content_type="application/json",
            )

        if self.gateway_fail_next > 0:
            self.gateway_fail_next -= 1
            return web.Response(status=503, text="upstream unavailable")
        if self.gateway_600:
            return error(2, "Internal server error", "failed to download file", status=600)
        if self.gateway_code is not None:
            messages = {
                1: "Invalid parameter",
                101: "File not found",
                102: "File already pruned",
                103: "File not finalized yet",
                104: "File path not found",
                105: "File size too large",
                106: "File type unsupported",
            }
            return error(self.gateway_code, messages.get(self.gateway_code, "error"))
        root_hex = request.query.get("root", "")
        if not root_hex and "txSeq" not in request.query:
            return error(1, "Invalid parameter", "Either 'root' or 'txSeq' must be provided")
        try:
            root = bytes.fromhex(root_hex[2:] if root_hex.startswith("0x") else root_hex)
        except ValueError:
            return error(1, "Invalid parameter", "invalid root")
        f = self.files.get(root)
        if f is None:
            return error(101, "File not found")
        if f.pruned:
            return error(102, "File already pruned")
        if not f.finalized:
            return error(103, "File not finalized yet")
        body = bytearray(f.content())
        if self.tamper:
            body[len(body) // 2] ^= 0x01
        name = request.query.get("name") or "0x" + root.hex()
        return web.Response(
            body=bytes(body),
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Content-Type": "application/octet-stream",
            },
        )

"""A small EVM JSON-RPC client over aiohttp: reads, local signing, one writer per key.

Stable interface (0G Storage uses it too)::

    rpc = ChainRpc("https://evmrpc-testnet.0g.ai", session=None, timeout=10.0)
    await rpc.call(method, params)                      # raw JSON-RPC, returns "result"
    await rpc.eth_call(to, data) -> bytes               # view call at "latest"
    await rpc.chain_id() -> int                         # read once, then cached
    await rpc.send_transaction(account, to, data, value=0, before_send=None) -> "0x<tx hash>"
    await rpc.rebroadcast(raw) -> "sent" | "known" | "nonce_used"  # a tx signed earlier, as it is
    await rpc.wait_for_receipt(tx_hash, timeout) -> dict  # raises TransactionReverted on status 0
    await rpc.close()

``account`` is an ``eth_account`` ``LocalAccount`` (``Account.from_key``); keys never leave
the process: transactions are signed here and sent with ``eth_sendRawTransaction``.

Transactions from one address are serialised (an ``asyncio.Lock`` per address) and numbered
from a local nonce counter, read once from ``eth_getTransactionCount(addr, "pending")`` and
re-read when a node answers "nonce too low". On "underpriced"/"fee too low" the gas price is
raised by x1.1 and the transaction re-signed with the same nonce (replacement). EIP-1559
transactions use ``maxFeePerGas = maxPriorityFeePerGas = eth_gasPrice`` like the official
0G SDK; pass ``eip1559=False`` for legacy (type 0, EIP-155) transactions. ``before_send`` is
awaited with each signed transaction (hash, nonce, raw bytes) before it is broadcast, so a caller
can write down a payment before it can happen (if it raises, nothing is sent); ``rebroadcast``
sends such bytes again unchanged: the same hash and nonce, so it can never be a second payment.

Errors: :class:`~stack_cfo.zerog.errors.ChainError` (Unavailable) for transport and RPC
errors, :class:`~stack_cfo.zerog.errors.TransactionReverted` (FailedPrecondition) when a call,
a gas estimate or a mined transaction reverts, :class:`~stack_cfo.zerog.errors.ReceiptTimeout`.
A sender that cannot pay (the node's "insufficient funds ...") is a ``ChainError`` for which
:func:`insufficient_funds` is true: callers map it to their own "top up the wallet" error, since
sending again cannot help.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import aiohttp
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.errors import ChainError, ReceiptTimeout, TransactionReverted, clip

log = logging.getLogger(__name__)

__all__ = ["ChainError", "ChainRpc", "ReceiptTimeout", "TransactionReverted", "insufficient_funds"]

_UNDERPRICED = ("underpriced", "fee too low", "mempool", "max fee per gas less than block base fee")
_NONCE_TOO_LOW = ("nonce too low", "invalid nonce", "nonce has already been used")
_ALREADY_KNOWN = ("already known", "known transaction")
#: geth and its forks: "insufficient funds for gas * price + value" (sendRawTransaction, and
#: estimateGas with a gas price), "insufficient funds for transfer" (estimateGas).
_INSUFFICIENT_FUNDS = ("insufficient funds",)


def insufficient_funds(exc: BaseException) -> bool:
    """Did the node refuse a transaction (or its gas estimate) because the sender cannot pay
    value + gas? Such a ``ChainError`` is not transient: sending again fails alike."""
    if not isinstance(exc, ChainError) or exc.method not in ("eth_sendRawTransaction", "eth_estimateGas"):
        return False
    text = (exc.rpc_message or "").lower()
    return any(s in text for s in _INSUFFICIENT_FUNDS)


def _hex(n: int) -> str:
    return hex(n)


def _quantity(v: Any, method: str) -> int:
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.startswith(("0x", "0X")):
        return int(v, 16)
    raise ChainError(f"{method}: expected a hex quantity", method=method)


def _hexbytes(v: Any, method: str) -> bytes:
    if not isinstance(v, str) or not v.startswith(("0x", "0X")):
        raise ChainError(f"{method}: expected hex data", method=method)
    try:
        return bytes.fromhex(v[2:])
    except ValueError:
        raise ChainError(f"{method}: malformed hex data", method=method) from None


class ChainRpc:
    """JSON-RPC client for one EVM endpoint. Safe to share between tasks."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        eip1559: bool = True,
        gas_multiplier: float = 1.2,
        max_send_attempts: int = 5,
        poll_interval: float = 1.0,
    ) -> None:
        self.url = url
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._eip1559 = eip1559
        self._gas_multiplier = gas_multiplier
        self._max_send_attempts = max_send_attempts
        self._poll_interval = poll_interval
        self._ids = itertools.count(1)
        self._chain_id: int | None = None
        self._chain_id_lock = asyncio.Lock()
        self._locks: dict[str, asyncio.Lock] = {}
        self._nonces: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ChainRpc(url={self.url!r})"

    # ------------------------------------------------------------------ plumbing

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def call(self, method: str, params: Sequence[Any]) -> Any:
        """One JSON-RPC request; returns ``result`` or raises a typed error."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        try:
            async with self._http().post(
                self.url, json=body, timeout=self._timeout, headers={"Accept": "application/json"},
                allow_redirects=False,
            ) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise ChainError(
                        f"{method}: HTTP {resp.status} from chain RPC: {clip(text, 200)}",
                        method=method,
                        metadata={"http_status": resp.status},
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChainError(f"{method}: chain RPC unreachable ({type(exc).__name__})", method=method) from exc
        try:
            payload = json_loads(text)
        except ValueError:
            raise ChainError(f"{method}: chain RPC answered non-JSON", method=method) from None
        if not isinstance(payload, dict):
            raise ChainError(f"{method}: unexpected JSON-RPC answer", method=method)
        err = payload.get("error")
        if err is not None:
            raise self._rpc_error(method, err)
        if "result" not in payload:
            raise ChainError(f"{method}: JSON-RPC answer without result", method=method)
        return payload["result"]

    @staticmethod
    def _rpc_error(method: str, err: Any) -> Exception:
        code = err.get("code") if isinstance(err, dict) else None
        message = str(err.get("message", "")) if isinstance(err, dict) else str(err)
        data = err.get("data") if isinstance(err, dict) else None
        if isinstance(data, dict):  # some nodes nest {"data": {"data": "0x..."}}
            data = data.get("data")
        revert = b""
        if isinstance(data, str) and data.startswith("0x"):
            try:
                revert = bytes.fromhex(data[2:])
            except ValueError:
                revert = b""
        if code == 3 or "revert" in message.lower():
            return TransactionReverted(
                f"{method}: execution reverted{': ' + clip(message, 200) if message else ''}",
                revert_data=revert,
                metadata={"method": method},
            )
        return ChainError(
            f"{method}: RPC error {code}: {clip(message, 200)}",
            method=method,
            rpc_code=code if isinstance(code, int) else None,
            rpc_message=message,
        )

    # ------------------------------------------------------------------ reads

    async def chain_id(self) -> int:
        """``eth_chainId``, read once and cached."""
        if self._chain_id is None:
            async with self._chain_id_lock:
                if self._chain_id is None:
                    self._chain_id = _quantity(await self.call("eth_chainId", []), "eth_chainId")
        return self._chain_id

    async def eth_call(self, to: str, data: bytes, *, block: str = "latest", sender: str | None = None) -> bytes:
        """Run a view call; returns the ABI-encoded return data."""
        tx: dict[str, str] = {"to": to_checksum_address(to), "data": "0x" + data.hex()}
        if sender:
            tx["from"] = to_checksum_address(sender)
        return _hexbytes(await self.call("eth_call", [tx, block]), "eth_call")

    async def get_transaction_count(self, address: str, block: str = "pending") -> int:
        return _quantity(
            await self.call("eth_getTransactionCount", [to_checksum_address(address), block]),
            "eth_getTransactionCount",
        )

    async def gas_price(self) -> int:
        return _quantity(await self.call("eth_gasPrice", []), "eth_gasPrice")

    async def estimate_gas(self, tx: dict[str, Any]) -> int:
        return _quantity(await self.call("eth_estimateGas", [tx]), "eth_estimateGas")

    async def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = await self.call("eth_getTransactionReceipt", [tx_hash])
        return result if isinstance(result, dict) else None

    # ------------------------------------------------------------------ writes

    def _lock_for(self, address: str) -> asyncio.Lock:
        lock = self._locks.get(address)
        if lock is None:
            lock = self._locks[address] = asyncio.Lock()
        return lock

    async def send_transaction(
        self,
        account: LocalAccount,
        to: str,
        data: bytes,
        value: int = 0,
        *,
        gas: int | None = None,
        before_send: Callable[[str, int, bytes], Awaitable[None]] | None = None,
    ) -> str:
        """Sign locally and broadcast; returns the transaction hash (``0x``-hex).

        Serialised per sender address. Raises :class:`TransactionReverted` when the gas
        estimate reverts (nothing is sent) and :class:`ChainError` on other failures.
        ``before_send(tx_hash, nonce, raw)`` is awaited before each broadcast (a re-priced or
        re-numbered transaction is a new one, announced again); if it raises, nothing is sent.
        """
        sender = to_checksum_address(account.address)
        to = to_checksum_address(to)
        async with self._lock_for(sender):
            chain_id = await self.chain_id()
            nonce = self._nonces.get(sender)
            if nonce is None:
                nonce = await self.get_transaction_count(sender, "pending")
            price = await self.gas_price()
            if gas is None:
                estimate = await self.estimate_gas(
                    {"from": sender, "to": to, "data": "0x" + data.hex(), "value": _hex(value)}
                )
                gas = int(estimate * self._gas_multiplier)
            last: ChainError | None = None
            for _ in range(self._max_send_attempts):
                tx: dict[str, Any] = {
                    "chainId": chain_id,
                    "nonce": nonce,
                    "to": to,
                    "value": value,
                    "data": data,
                    "gas": gas,
                }
                if self._eip1559:
                    tx.update(type=2, maxFeePerGas=price, maxPriorityFeePerGas=price)
                else:
                    tx["gasPrice"] = price
                signed = account.sign_transaction(tx)
                tx_hash = "0x" + bytes(signed.hash).hex()
                raw = bytes(signed.raw_transaction)
                if before_send is not None:
                    await before_send(tx_hash, nonce, raw)
                try:
                    await self.call("eth_sendRawTransaction", ["0x" + raw.hex()])
                except ChainError as exc:
                    msg = (exc.rpc_message or exc.message).lower()
                    last = exc
                    if any(s in msg for s in _ALREADY_KNOWN):
                        break  # the very same signed tx is already in the pool
                    if any(s in msg for s in _NONCE_TOO_LOW):
                        nonce = await self.get_transaction_count(sender, "pending")
                        log.info("chain: nonce too low for %s, resynced to %d", sender, nonce)
                        continue
                    if any(s in msg for s in _UNDERPRICED):
                        price = max(price + 1, int(price * 1.1))
                        log.info("chain: underpriced, bumping gas price to %d", price)
                        continue
                    self._nonces.pop(sender, None)  # unknown state: re-read next time
                    raise
                break
            else:
                self._nonces.pop(sender, None)
                assert last is not None
                raise last
            self._nonces[sender] = nonce + 1
            log.info("chain: sent tx %s from %s nonce %d", tx_hash, sender, nonce)
            return tx_hash

    async def rebroadcast(self, raw: bytes) -> Literal["sent", "known", "nonce_used"]:
        """Send a transaction signed earlier exactly as it is (same hash, same nonce: it can only
        ever be mined once). ``"sent"``: the node took it now; ``"known"``: its pool already holds
        it; ``"nonce_used"``: its nonce is spent, by this transaction (mined: look for the receipt)
        or by another one (then this one can never be mined). Other refusals are
        :class:`ChainError` (``insufficient_funds`` tells a wallet that cannot pay)."""
        try:
            await self.call("eth_sendRawTransaction", ["0x" + bytes(raw).hex()])
        except ChainError as exc:
            msg = (exc.rpc_message or exc.message).lower()
            if any(s in msg for s in _ALREADY_KNOWN):
                return "known"
            if any(s in msg for s in _NONCE_TOO_LOW):
                return "nonce_used"
            raise
        return "sent"

    async def wait_for_receipt(self, tx_hash: str, timeout: float = 300.0) -> dict[str, Any]:
        """Poll ``eth_getTransactionReceipt`` until mined. Raises :class:`ReceiptTimeout`,
        or :class:`TransactionReverted` when the receipt's status is 0."""
        deadline = time.monotonic() + timeout
        delay = min(0.05, self._poll_interval)
        while True:
            try:
                receipt = await self.get_receipt(tx_hash)
            except ChainError:
                receipt = None  # transient: keep polling until the deadline
                if time.monotonic() >= deadline:
                    raise
            if receipt is not None:
                status = receipt.get("status")
                if status is not None and _quantity(status, "eth_getTransactionReceipt") == 0:
                    raise TransactionReverted(f"transaction {tx_hash} reverted", tx_hash=tx_hash)
                return receipt
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReceiptTimeout(tx_hash, timeout)
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, self._poll_interval)

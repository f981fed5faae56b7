"""A JSON-RPC stand-in for the 0G chain (EVM), speaking the real wire protocol on 127.0.0.1.

It holds the contract state the compute client reads (InferenceServing services and
accounts, LedgerManager ledgers and service registry) and answers:

* ``eth_chainId``, ``eth_blockNumber``, ``eth_gasPrice``, ``eth_getTransactionCount``,
  ``eth_estimateGas``, ``eth_getTransactionReceipt``;
* ``eth_call`` with ABI-encoded results, and reverts carrying the contract's custom errors
  (``AccountNotExists``, ``LedgerNotExists``, ``ServiceNotExist``, ``LimitTooLarge``) as
  JSON-RPC error code 3 with the revert data, like geth;
* ``eth_sendRawTransaction``: decodes the raw transaction (typed EIP-1559 or legacy EIP-155),
  recovers the sender, checks chain id, nonce and gas price, decodes the call data and applies
  ``LedgerManager.transferFund`` to the state (reverting like the contract would). Every
  accepted transaction is kept in :attr:`ChainStandIn.txs` for assertions;
* batch requests (a JSON array).

The ABI type strings here are written out from the Solidity sources on purpose, separately from
``stack_cfo.zerog.contracts``, so that a mistake there does not hide itself. To add contracts
(0G Storage's Flow, for instance), subclass and register handlers in :attr:`call_handlers`
(``(contract address lower, selector) -> handler(args_bytes) -> bytes``) and
:attr:`tx_handlers`.

Failures on demand: :meth:`ChainStandIn.fail_next_send` queues RPC error messages (``"nonce too
low"``, ``"replacement transaction underpriced"``) returned by the next ``eth_sendRawTransaction``
calls; ``receipt_after_polls`` delays receipts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from eth_abi import decode, encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

TESTNET_INFERENCE = "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E"
TESTNET_LEDGER = "0xE70830508dAc0A97e6c087c75f402f9Be669E406"
ONE_0G = 10**18

# struct Service (InferenceService.sol)
_SERVICE_T = "(address,string,string,uint256,uint256,uint256,string,string,string,address,bool)"
# struct Account with Refund[] (InferenceAccount.sol)
_REFUND_T = "(uint256,uint256,uint256,bool)"
_ACCOUNT_T = f"(address,address,uint256,uint256,uint256,{_REFUND_T}[],string,bool,uint256,uint256,uint256)"
# struct Ledger, struct ServiceInfo (LedgerManager.sol)
_LEDGER_T = "(address,uint256,uint256,string)"
_SERVICE_INFO_T = "(address,address,string,string,string,string,bool,uint256)"


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


SEL_GET_SERVICE = selector("getService(address)")
SEL_GET_ALL_SERVICES = selector("getAllServices(uint256,uint256)")
SEL_GET_ACCOUNT = selector("getAccount(address,address)")
SEL_GET_LEDGER = selector("getLedger(address)")
SEL_GET_SERVICE_INFO = selector("getServiceInfo(address)")
SEL_TRANSFER_FUND = selector("transferFund(address,string,uint256)")


class Revert(Exception):
    """A contract revert: ``data`` is selector + ABI-encoded arguments."""

    def __init__(self, signature: str, types: list[str] | None = None, args: list[Any] | None = None) -> None:
        super().__init__(signature)
        self.data = selector(signature) + (encode(types or [], args or []) if types else b"")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


@dataclass
class ServiceEntry:
    provider: str
    url: str
    model: str = "gpt-oss-120b"
    service_type: str = "chatbot"
    input_price: int = 100_000_000_000  # neuron per token (0.1 0G per 1M tokens)
    output_price: int = 490_000_000_000
    updated_at: int = 1_760_000_000
    verifiability: str = "TeeML"
    additional_info: str = '{"ProviderType":"decentralized"}'
    tee_signer: str = "0x" + "00" * 20
    tee_signer_acknowledged: bool = True

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.provider,
            self.service_type,
            self.url,
            self.input_price,
            self.output_price,
            self.updated_at,
            self.model,
            self.verifiability,
            self.additional_info,
            self.tee_signer,
            self.tee_signer_acknowledged,
        )


@dataclass
class AccountEntry:
    user: str
    provider: str
    balance: int = 0
    pending_refund: int = 0
    acknowledged: bool = True
    generation: int = 0
    revoked_bitmap: int = 0
    nonce: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.pending_refund

    def as_tuple(self) -> tuple[Any, ...]:
        refunds: list[tuple[int, int, int, bool]] = []
        if self.pending_refund:
            refunds.append((0, self.pending_refund, 1_760_000_000, False))
        return (
            self.user,
            self.provider,
            self.nonce,
            self.balance,
            self.pending_refund,
            refunds,
            "",
            self.acknowledged,
            len(refunds),
            self.generation,
            self.revoked_bitmap,
        )


@dataclass
class LedgerEntry:
    user: str
    available: int
    total: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.user, self.available, self.total, "")


@dataclass
class SentTx:
    """An accepted raw transaction, decoded."""

    hash: str
    sender: str
    nonce: int
    chain_id: int
    type: int
    to: str
    value: int
    gas: int
    gas_price: int
    data: bytes
    function: str | None = None
    args: tuple[Any, ...] = ()
    status: int = 1
    revert: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def _key(a: str) -> str:
    return a.lower()


class ChainStandIn:
    def __init__(
        self,
        *,
        chain_id: int = 16602,
        inference_address: str = TESTNET_INFERENCE,
        ledger_address: str = TESTNET_LEDGER,
        service_name: str = "inference-v1.0",
        gas_price: int = 4_000_000_000,
        min_gas_price: int | None = None,
        receipt_after_polls: int = 0,
    ) -> None:
        self.chain_id = chain_id
        self.inference_address = to_checksum_address(inference_address)
        self.ledger_address = to_checksum_address(ledger_address)
        self.service_name = service_name
        self.gas_price = gas_price
        self.min_gas_price = min_gas_price if min_gas_price is not None else gas_price
        self.receipt_after_polls = receipt_after_polls
        self.services: dict[str, ServiceEntry] = {}
        self.accounts: dict[tuple[str, str], AccountEntry] = {}
        self.ledgers: dict[str, LedgerEntry] = {}
        self.nonces: dict[str, int] = {}
        self.txs: list[SentTx] = []
        self.receipt_polls: dict[str, int] = {}
        self.calls: list[tuple[str, list[Any]]] = []
        self.send_errors: list[str] = []
        self.block = 1000
        self.call_handlers: dict[tuple[str, bytes], Callable[[bytes], bytes]] = {
            (_key(self.inference_address), SEL_GET_SERVICE): self._get_service,
            (_key(self.inference_address), SEL_GET_ALL_SERVICES): self._get_all_services,
            (_key(self.inference_address), SEL_GET_ACCOUNT): self._get_account,
            (_key(self.ledger_address), SEL_GET_LEDGER): self._get_ledger,
            (_key(self.ledger_address), SEL_GET_SERVICE_INFO): self._get_service_info,
        }
        self.tx_handlers: dict[tuple[str, bytes], Callable[[SentTx, bytes], None]] = {
            (_key(self.ledger_address), SEL_TRANSFER_FUND): self._transfer_fund,
        }
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ state helpers

    def add_service(self, entry: ServiceEntry) -> ServiceEntry:
        entry.provider = to_checksum_address(entry.provider)
        self.services[_key(entry.provider)] = entry
        return entry

    def set_account(self, user: str, provider: str, **values: Any) -> AccountEntry:
        k = (_key(user), _key(provider))
        acct = self.accounts.get(k) or AccountEntry(to_checksum_address(user), to_checksum_address(provider))
        for name, v in values.items():
            setattr(acct, name, v)
        self.accounts[k] = acct
        return acct

    def account(self, user: str, provider: str) -> AccountEntry | None:
        return self.accounts.get((_key(user), _key(provider)))

    def set_ledger(self, user: str, available: int, total: int | None = None) -> LedgerEntry:
        entry = LedgerEntry(to_checksum_address(user), available, total if total is not None else available)
        self.ledgers[_key(user)] = entry
        return entry

    def revoke_all_tokens(self, user: str, provider: str) -> None:
        """``InferenceServing.revokeAllTokens``: bump the generation."""
        acct = self.account(user, provider)
        assert acct is not None
        acct.generation += 1

    def fail_next_send(self, *messages: str) -> None:
        self.send_errors.extend(messages)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    # ------------------------------------------------------------------ server

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ChainStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            error = {"code": -32700, "message": "parse error"}
            return web.json_response({"jsonrpc": "2.0", "id": None, "error": error})
        if isinstance(body, list):
            return web.json_response([self._one(b) for b in body])
        return web.json_response(self._one(body))

    def _one(self, req: Any) -> dict[str, Any]:
        rid = req.get("id") if isinstance(req, dict) else None
        try:
            method = req["method"]
            params = req.get("params", [])
            self.calls.append((method, params))
            handler = getattr(self, "rpc_" + method, None)
            if handler is None:
                raise RpcError(-32601, f"the method {method} does not exist/is not available")
            return {"jsonrpc": "2.0", "id": rid, "result": handler(*params)}
        except Revert as rev:
            return {
                "jsonrpc": "2.0",
                "id": rid,
                "error": {"code": 3, "message": "execution reverted", "data": "0x" + rev.data.hex()},
            }
        except RpcError as err:
            e: dict[str, Any] = {"code": err.code, "message": err.message}
            if err.data is not None:
                e["data"] = err.data
            return {"jsonrpc": "2.0", "id": rid, "error": e}

    # ------------------------------------------------------------------ JSON-RPC methods

    def rpc_eth_chainId(self) -> str:
        return hex(self.chain_id)

    def rpc_eth_blockNumber(self) -> str:
        return hex(self.block)

    def rpc_eth_gasPrice(self) -> str:
        return hex(self.gas_price)

    def rpc_eth_getTransactionCount(self, address: str, block: str = "latest") -> str:
        return hex(self.nonces.get(_key(address), 0))

    def rpc_eth_estimateGas(self, tx: dict[str, Any], block: str | None = None) -> str:
        return hex(90_000)

    def rpc_eth_call(self, tx: dict[str, Any], block: str = "latest") -> str:
        to = _key(tx["to"])
        data = bytes.fromhex(tx.get("data", tx.get("input", "0x"))[2:])
        handler = self.call_handlers.get((to, data[:4]))
        if handler is None:
            raise Revert("UnknownFunction()")
        return "0x" + handler(data[4:]).hex()

    def rpc_eth_sendRawTransaction(self, raw_hex: str) -> str:
        if self.send_errors:
            raise RpcError(-32000, self.send_errors.pop(0))
        raw = bytes.fromhex(raw_hex[2:])
        sender = Account.recover_transaction(raw)
        if raw[0] <= 0x7F:
            fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            tx_type = int(fields["type"]) if not isinstance(fields["type"], str) else int(fields["type"], 16)
            chain_id = int(fields["chainId"])
            price = int(fields.get("maxFeePerGas", fields.get("gasPrice", 0)))
        else:
            import rlp
            from eth_account._utils.legacy_transactions import Transaction

            fields = rlp.decode(raw, Transaction).as_dict()
            tx_type = 0
            v = int(fields["v"])
            if v < 35:
                raise RpcError(-32000, "only replay-protected (EIP-155) transactions allowed over RPC")
            chain_id = (v - 35) // 2
            price = int(fields["gasPrice"])
        if chain_id != self.chain_id:
            raise RpcError(-32000, f"invalid chain id for signer: have {chain_id} want {self.chain_id}")
        expected = self.nonces.get(_key(sender), 0)
        nonce = int(fields["nonce"])
        if nonce < expected:
            raise RpcError(-32000, f"nonce too low: next nonce {expected}, tx nonce {nonce}")
        if nonce > expected:
            raise RpcError(-32000, f"nonce too high: next nonce {expected}, tx nonce {nonce}")
        if price < self.min_gas_price:
            raise RpcError(-32000, "transaction underpriced")
        to = to_checksum_address(bytes(fields["to"]))
        data = bytes(fields["data"])
        tx = SentTx(
            hash="0x" + keccak(raw).hex(),
            sender=sender,
            nonce=nonce,
            chain_id=chain_id,
            type=tx_type,
            to=to,
            value=int(fields["value"]),
            gas=int(fields["gas"]),
            gas_price=price,
            data=data,
            fields=dict(fields),
        )
        self.nonces[_key(sender)] = nonce + 1
        handler = self.tx_handlers.get((_key(to), data[:4]))
        try:
            if handler is None:
                raise Revert("UnknownFunction()")
            handler(tx, data[4:])
        except Revert as rev:
            tx.status = 0
            tx.revert = "0x" + rev.data.hex()
        self.txs.append(tx)
        self.block += 1
        return tx.hash

    def rpc_eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        tx = next((t for t in self.txs if t.hash == tx_hash), None)
        if tx is None:
            return None
        polls = self.receipt_polls.get(tx_hash, 0) + 1
        self.receipt_polls[tx_hash] = polls
        if polls <= self.receipt_after_polls:
            return None
        return {
            "transactionHash": tx.hash,
            "status": hex(tx.status),
            "blockNumber": hex(self.block),
            "from": tx.sender,
            "to": tx.to,
            "gasUsed": hex(60_000),
            "logs": [],
        }

    # ------------------------------------------------------------------ contract logic

    def _get_service(self, args: bytes) -> bytes:
        (provider,) = decode(["address"], args)
        svc = self.services.get(_key(provider))
        if svc is None:
            raise Revert("ServiceNotExist(address)", ["address"], [provider])
        return encode([_SERVICE_T], [svc.as_tuple()])

    def _get_all_services(self, args: bytes) -> bytes:
        offset, limit = decode(["uint256", "uint256"], args)
        if limit > 50:
            raise Revert("LimitTooLarge(uint256,uint256)", ["uint256", "uint256"], [limit, 50])
        limit = limit or 50
        all_services = list(self.services.values())
        page = all_services[offset : offset + limit]
        return encode([f"{_SERVICE_T}[]", "uint256"], [[s.as_tuple() for s in page], len(all_services)])

    def _get_account(self, args: bytes) -> bytes:
        user, provider = decode(["address", "address"], args)
        acct = self.account(user, provider)
        if acct is None:
            raise Revert("AccountNotExists(address,address)", ["address", "address"], [user, provider])
        return encode([_ACCOUNT_T], [acct.as_tuple()])

    def _get_ledger(self, args: bytes) -> bytes:
        (user,) = decode(["address"], args)
        ledger = self.ledgers.get(_key(user))
        if ledger is None:
            raise Revert("LedgerNotExists(address)", ["address"], [user])
        return encode([_LEDGER_T], [ledger.as_tuple()])

    def _get_service_info(self, args: bytes) -> bytes:
        (address,) = decode(["address"], args)
        if _key(address) != _key(self.inference_address):
            zero = "0x" + "00" * 20
            return encode([_SERVICE_INFO_T], [(zero, zero, "", "", "", "", False, 0)])
        service_type, _, version = self.service_name.partition("-")
        info = (
            self.inference_address,
            self.inference_address,
            service_type,
            version,
            self.service_name,
            "inference serving",
            True,
            1_750_000_000,
        )
        return encode([_SERVICE_INFO_T], [info])

    def _transfer_fund(self, tx: SentTx, args: bytes) -> None:
        provider, service_name, amount = decode(["address", "string", "uint256"], args)
        tx.function = "transferFund"
        tx.args = (to_checksum_address(provider), service_name, amount)
        if service_name != self.service_name:
            raise Revert("ServiceNotFound(address)", ["address"], ["0x" + "00" * 20])
        ledger = self.ledgers.get(_key(tx.sender))
        if ledger is None:
            raise Revert("LedgerNotExists(address)", ["address"], [tx.sender])
        acct = self.account(tx.sender, provider)
        cancel = 0
        if acct is None:
            if amount < ONE_0G:
                raise Revert("MinimumDepositRequired(uint256,uint256)", ["uint256", "uint256"], [amount, ONE_0G])
        else:
            cancel = min(amount, acct.pending_refund)
        transfer = amount - cancel
        if ledger.available < transfer:
            raise Revert(
                "InsufficientAvailableBalance(uint256,uint256)", ["uint256", "uint256"], [ledger.available, transfer]
            )
        ledger.available -= transfer
        if acct is None:
            self.set_account(tx.sender, provider, balance=amount, acknowledged=True)
        else:
            acct.pending_refund -= cancel
            acct.balance += transfer

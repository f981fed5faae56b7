"""Sub-account funding for direct mode: reading balances and topping up with ``transferFund``.

Rule (research/zerog.md §3.2-3.3, seed ``funding`` block): keep each provider sub-account's
available funds (``balance - pendingRefund``) at or above
``max(min_balance, unsettled_fee + headroom)``. When short, move
``max(topup_amount, deficit, 1 0G)`` from the ledger with
``LedgerManager.transferFund(provider, serviceName, amount)``, where ``serviceName`` is
``LedgerManager.getServiceInfo(<InferenceServing address>).fullName`` (read once, never
hard-coded). A new sub-account needs at least 1 0G (``MIN_TRANSFER_AMOUNT``) and is
acknowledged by the transfer itself. Top-ups are serialised per provider and followed by a
cool-down, because providers cache account data.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from stack_cfo.core.errors import FailedPrecondition, StackCfoError
from stack_cfo.zerog import metrics
from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.config import FundingPolicy, to_0g, to_neuron
from stack_cfo.zerog.contracts import (
    ACCOUNT_NOT_EXISTS,
    GET_ACCOUNT,
    GET_LEDGER,
    GET_SERVICE_INFO,
    LEDGER_NOT_EXISTS,
    TRANSFER_FUND,
    AccountRecord,
    LedgerRecord,
    ServiceInfoRecord,
)
from stack_cfo.zerog.errors import InsufficientFunds, TransactionReverted

log = logging.getLogger(__name__)

MIN_TRANSFER_NEURON = 10**18  # LedgerManager.MIN_TRANSFER_AMOUNT for a new sub-account

_BALANCE_TEXT = re.compile(r"locked balance is ([\d.]+) 0G, but the required minimum is ([\d.]+) 0G", re.IGNORECASE)


def parse_insufficient(text: str) -> tuple[int, int] | None:
    """(locked, required) in neuron from the provider's "insufficient balance" message."""
    m = _BALANCE_TEXT.search(text)
    if not m:
        return None
    try:
        return to_neuron(Decimal(m.group(1))), to_neuron(Decimal(m.group(2)))
    except InvalidOperation:
        return None


class Funding:
    """Balance reads and top-ups for one wallet."""

    def __init__(
        self,
        chain: ChainRpc,
        account: LocalAccount,
        *,
        ledger_address: str,
        inference_address: str,
        policy: FundingPolicy,
        expected_chain_id: int | None = None,
        receipt_timeout: float = 300.0,
        now: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._chain = chain
        self._account = account
        self._ledger = to_checksum_address(ledger_address)
        self._inference = to_checksum_address(inference_address)
        self.policy = policy
        self._expected_chain_id = expected_chain_id
        self._receipt_timeout = receipt_timeout
        self._now = now
        self._service_name: str | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_topup: dict[str, float] = {}
        self._last_check: dict[str, float] = {}
        self._wall_clock = wall_clock
        self.last_topup_time: datetime | None = None
        """When the last top-up transaction was mined (UTC), for GetComputeAccount."""

    def __repr__(self) -> str:
        return f"Funding(address={self._account.address!r}, auto_topup={self.policy.auto_topup})"

    @property
    def address(self) -> str:
        return self._account.address

    # ------------------------------------------------------------------ reads

    async def service_name(self) -> str:
        if self._service_name is None:
            data = await self._chain.eth_call(self._ledger, GET_SERVICE_INFO.encode_call(self._inference))
            (raw,) = GET_SERVICE_INFO.decode_result(data)
            info = ServiceInfoRecord.from_tuple(raw)
            if not info.full_name:
                raise InsufficientFunds(
                    "the ledger does not know the inference service; cannot transfer funds",
                    provider="ledger",
                    reason="ZEROG_SERVICE_NOT_REGISTERED",
                )
            self._service_name = info.full_name
        return self._service_name

    async def sub_account(self, provider: str) -> AccountRecord | None:
        """The sub-account with ``provider``, or None when it does not exist yet."""
        try:
            data = await self._chain.eth_call(
                self._inference, GET_ACCOUNT.encode_call(self._account.address, to_checksum_address(provider))
            )
        except TransactionReverted as exc:
            if ACCOUNT_NOT_EXISTS.matches(exc.revert_data) or not exc.revert_data:
                return None
            raise
        (raw,) = GET_ACCOUNT.decode_result(data)
        return AccountRecord.from_tuple(raw)

    async def generation(self, provider: str) -> int:
        """Token generation of the sub-account (0 when there is none yet)."""
        acct = await self.sub_account(provider)
        return acct.generation if acct is not None else 0

    async def ledger(self) -> LedgerRecord | None:
        try:
            data = await self._chain.eth_call(self._ledger, GET_LEDGER.encode_call(self._account.address))
        except TransactionReverted as exc:
            if LEDGER_NOT_EXISTS.matches(exc.revert_data) or not exc.revert_data:
                return None
            raise
        (raw,) = GET_LEDGER.decode_result(data)
        return LedgerRecord.from_tuple(raw)

    # ------------------------------------------------------------------ top-up

    def required(self, unsettled: int) -> int:
        """Funds the sub-account should hold, in neuron."""
        return max(to_neuron(self.policy.min_balance), unsettled + to_neuron(self.policy.headroom))

    def recently_topped_up(self, provider: str) -> bool:
        at = self._last_topup.get(provider.lower())
        return at is not None and self._now() - at < self.policy.cooldown

    def check_due(self, provider: str) -> bool:
        """Whether a proactive check is due (and marks it as started)."""
        key = provider.lower()
        at = self._last_check.get(key)
        if at is not None and self._now() - at < self.policy.check_interval:
            return False
        self._last_check[key] = self._now()
        return True

    async def top_up(
        self,
        provider: str,
        *,
        unsettled: int = 0,
        provider_required: int | None = None,
        provider_locked: int | None = None,
        receipt_timeout: float | None = None,
    ) -> str | None:
        """Bring the sub-account up to the target. Returns the mined transaction hash, or None
        when no transfer was needed (or one was made moments ago).

        ``provider_required``/``provider_locked`` come from a provider's refusal and win over our
        own view when larger (the provider counts its own reserve). Raises
        :class:`InsufficientFunds` when the ledger cannot cover it, :class:`TransactionReverted`
        or :class:`~stack_cfo.zerog.errors.ChainError` when the transfer fails.
        """
        provider = to_checksum_address(provider)
        key = provider.lower()
        async with self._locks.setdefault(key, asyncio.Lock()):
            if self.recently_topped_up(provider):
                return None
            acct = await self.sub_account(provider)
            available = acct.available if acct is not None else 0
            target = self.required(unsettled)
            deficit = target - available
            if provider_required is not None:
                locked = provider_locked if provider_locked is not None else available
                deficit = max(deficit, provider_required - locked + to_neuron(self.policy.headroom))
            if deficit <= 0:
                return None
            amount = max(to_neuron(self.policy.topup_amount), deficit, MIN_TRANSFER_NEURON)
            ledger = await self.ledger()
            if ledger is None or ledger.available_balance < amount:
                have = ledger.available_balance if ledger is not None else 0
                metrics.TOPUPS.labels(provider, "failed").inc()
                raise InsufficientFunds(
                    f"ledger holds {to_0g(have)} 0G available, a top-up of {to_0g(amount)} 0G is needed; "
                    "deposit funds into the 0G ledger",
                    provider=provider,
                    reason="ZEROG_LEDGER_INSUFFICIENT",
                    metadata={"ledger_available_0g": to_0g(have), "topup_amount_0g": to_0g(amount)},
                )
            name = await self.service_name()
            chain_id = await self._chain.chain_id()
            if self._expected_chain_id is not None and chain_id != self._expected_chain_id:
                raise FailedPrecondition(
                    f"chain RPC reports chain id {chain_id}, configuration expects {self._expected_chain_id}; "
                    "refusing to sign",
                    reason="ZEROG_CHAIN_ID_MISMATCH",
                    metadata={"chain_id": chain_id, "expected_chain_id": self._expected_chain_id},
                )
            data = TRANSFER_FUND.encode_call(provider, name, amount)
            try:
                tx_hash = await self._chain.send_transaction(self._account, self._ledger, data)
                await self._chain.wait_for_receipt(tx_hash, receipt_timeout or self._receipt_timeout)
            except StackCfoError:
                metrics.TOPUPS.labels(provider, "failed").inc()
                raise
            self._last_topup[key] = self._now()
            self.last_topup_time = self._wall_clock().astimezone(UTC)
            metrics.TOPUPS.labels(provider, "sent").inc()
            log.info("zerog: topped up %s with %s 0G (tx %s)", provider, to_0g(amount), tx_hash)
            return tx_hash

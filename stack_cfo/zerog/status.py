"""Operator view of the compute account (the seed's "check 0G compute balance")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """One upstream: a direct provider (``kind="direct"``) or the 0G Router (``kind="router"``).

    Amounts are 0G (1 0G = 1e18 neuron); ``None`` means "could not be read", with the
    reason in ``error`` (a stable UPPER_SNAKE_CASE code, never a secret).
    """

    name: str
    """Provider address, or ``router``."""
    kind: str
    """``direct`` or ``router``."""
    url: str
    """Provider broker URL or router base URL."""
    model: str
    """Model served (direct: from the service record; router: the default model)."""
    verifiability: str
    """``TeeML`` etc. from the service record; empty when unknown."""
    verifiable: bool
    """Answers carry a TEE signature that the client checks."""
    breaker_state: str
    """``closed``, ``open`` or ``half_open``."""
    tee_signer_address: str = ""
    """Address answers must be signed by (TEE signer, or ``TargetTeeAddress``); empty when unknown."""
    balance: Decimal | None = None
    """Direct: sub-account balance minus pending refunds. Router: deposit balance."""
    pending_refund: Decimal | None = None
    """Direct: funds on their way back to the ledger."""
    unsettled_fee: Decimal | None = None
    """Direct: fees the provider has billed but not yet settled on-chain."""
    total_balance: Decimal | None = None
    """Router: total balance."""
    input_price_per_million: Decimal | None = None
    """0G per million prompt tokens."""
    output_price_per_million: Decimal | None = None
    """0G per million completion tokens."""
    error: str | None = None
    """Why some figures are missing (e.g. ``ZEROG_CHAIN_ERROR``)."""


@dataclass(frozen=True, slots=True)
class ComputeAccountStatus:
    """Everything an operator needs to see about the compute account at one instant."""

    mode: str
    """``router``, ``direct`` (possibly with router failover) or ``offline``."""
    wallet_address: str | None
    """Direct mode wallet (public address only)."""
    providers: tuple[ProviderStatus, ...]
    """Upstreams in failover order."""
    ledger_available: Decimal | None
    """Direct: LedgerManager available balance (not yet given to any provider)."""
    ledger_total: Decimal | None
    """Direct: LedgerManager total balance."""
    auto_topup: bool
    min_balance: Decimal
    topup_amount: Decimal
    headroom: Decimal
    checked_at: datetime
    """When these figures were read (UTC)."""
    error: str | None = None
    """Why wallet-level figures are missing, if they are."""
    last_topup_time: datetime | None = None
    """When this process last topped a provider sub-account up (UTC); None if it has not since start."""

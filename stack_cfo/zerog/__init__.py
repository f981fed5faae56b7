"""0G Compute client: router, direct and offline modes behind :class:`stack_cfo.core.ai.ComputeClient`.

Public surface::

    from stack_cfo.zerog import ComputeConfig, build_compute_client
    client = build_compute_client(config.zerog.compute)   # a ComputeConfig, from stack_cfo.config
    async for delta in client.stream(messages, options=CompletionOptions(fallback=text)): ...
    status = await client.account_status()      # ComputeAccountStatus, for the operator RPC
    await client.close()

Errors (all in the :mod:`stack_cfo.core.errors` tree) are listed in :mod:`stack_cfo.zerog.errors`.
``stack_cfo.zerog.chain.ChainRpc`` is the JSON-RPC client shared with 0G Storage.
"""

from stack_cfo.zerog import _recursion  # noqa: F401, I001  (first: see its docstring)
from stack_cfo.core.ai.offline import OFFLINE_BANNER
from stack_cfo.zerog.client import ComputeStream, ZeroGComputeClient
from stack_cfo.zerog.config import (
    BreakerPolicy,
    ComputeConfig,
    ComputeMode,
    FundingPolicy,
    RetryPolicy,
    Timeouts,
)
from stack_cfo.zerog.errors import (
    BreakerOpen,
    ChainError,
    InsufficientFunds,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    ReceiptTimeout,
    SessionRejected,
    TransactionReverted,
)
from stack_cfo.zerog.factory import build_compute_client
from stack_cfo.zerog.status import ComputeAccountStatus, ProviderStatus

__all__ = [
    "OFFLINE_BANNER",
    "BreakerOpen",
    "BreakerPolicy",
    "ChainError",
    "ComputeAccountStatus",
    "ComputeConfig",
    "ComputeMode",
    "ComputeStream",
    "FundingPolicy",
    "InsufficientFunds",
    "ProviderRateLimited",
    "ProviderRejected",
    "ProviderStatus",
    "ProviderUnavailable",
    "ReceiptTimeout",
    "RetryPolicy",
    "SessionRejected",
    "Timeouts",
    "TransactionReverted",
    "ZeroGComputeClient",
    "build_compute_client",
]

"""Errors raised by the 0G compute client, all inside the domain tree of :mod:`stack_cfo.core.errors`.

::

    Unavailable
    ├── ProviderUnavailable     ZEROG_PROVIDER_UNAVAILABLE   connect error, timeout, 5xx before any byte
    │   ├── ProviderRateLimited ZEROG_RATE_LIMITED            429 (retry_after_seconds in metadata)
    │   └── BreakerOpen         ZEROG_BREAKER_OPEN            the provider's circuit is open
    └── ChainError              ZEROG_CHAIN_ERROR             JSON-RPC transport/RPC error (chain.py)
        └── ReceiptTimeout      ZEROG_RECEIPT_TIMEOUT         no receipt before the timeout
    FailedPrecondition
    ├── InsufficientFunds       ZEROG_INSUFFICIENT_BALANCE    provider 400 "insufficient balance", router 402,
    │                                                         or a ledger too small for a top-up
    ├── ProviderRejected        ZEROG_PROVIDER_REJECTED       400/401/403/404/410/413 (never retried)
    │   └── SessionRejected     ZEROG_SESSION_REJECTED        the app-sk session token was refused
    └── TransactionReverted     ZEROG_TX_REVERTED             a call or transaction reverted (chain.py)

Only :class:`ProviderUnavailable` and its subclasses lead to a retry (when the rules allow) and to
the offline fallback. Metadata never contains keys, tokens or request text; provider messages are
cut to 300 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from stack_cfo.core.errors import FailedPrecondition, Unavailable

_MAX_MESSAGE = 300


def clip(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Shorten a remote message for errors and logs."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProviderUnavailable(Unavailable):
    """The provider (or router) could not serve the request before sending any answer byte."""

    default_reason = "ZEROG_PROVIDER_UNAVAILABLE"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        md: dict[str, object] = {"provider": provider, **(metadata or {})}
        if status is not None:
            md["http_status"] = status
        if retry_after is not None:
            md["retry_after_seconds"] = f"{retry_after:g}"
        super().__init__(message, reason=reason, metadata=md)
        self.provider = provider
        self.status = status
        #: May the same request be sent again to the same provider?
        self.retryable = retryable
        #: Seconds the provider asked us to wait (``Retry-After``), if any.
        self.retry_after = retry_after

    @property
    def error_type(self) -> str:
        """Bounded label for ``zerog_compute_request_errors_total``: the HTTP status, else what the reason says (an
        answer cut short was labelled "timeout", though it arrived in 0.05 s: an operator's tester)."""
        if self.status is not None:
            return f"http_{self.status}"
        by_reason = _ERROR_TYPES.get(self.reason)
        if by_reason is not None:
            return by_reason
        return "connection" if self.retryable else "other"


#: ``error_type`` labels of failures without an HTTP status, by reason.
_ERROR_TYPES = {
    "ZEROG_DEADLINE": "deadline",
    "ZEROG_FIRST_BYTE_TIMEOUT": "timeout",
    "ZEROG_STREAM_TRUNCATED": "stream_truncated",
    "ZEROG_STREAM_BROKEN": "stream_broken",
    "ZEROG_STREAM_ERROR": "stream_error",
    "ZEROG_ANSWER_TOO_LONG": "answer_too_long",
}


class ProviderRateLimited(ProviderUnavailable):
    """HTTP 429 from a provider or the router."""

    default_reason = "ZEROG_RATE_LIMITED"

    @property
    def retry_after_delta(self) -> timedelta | None:
        return None if self.retry_after is None else timedelta(seconds=self.retry_after)


class BreakerOpen(ProviderUnavailable):
    """The circuit breaker of this provider is open (or its half-open trials are taken)."""

    default_reason = "ZEROG_BREAKER_OPEN"

    def __init__(self, provider: str, *, state: str) -> None:
        super().__init__(
            f"circuit breaker for provider {provider} is {state}",
            provider=provider,
            retryable=False,
            metadata={"breaker_state": state},
        )

    @property
    def error_type(self) -> str:
        return "breaker_open"


class InsufficientFunds(FailedPrecondition):
    """The compute account cannot pay for the request. Amounts are decimal 0G strings in metadata."""

    default_reason = "ZEROG_INSUFFICIENT_BALANCE"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        locked_neuron: int | None = None,
        required_neuron: int | None = None,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata={"provider": provider, **(metadata or {})})
        self.provider = provider
        #: The provider's own figures from its refusal, when it gave them.
        self.locked_neuron = locked_neuron
        self.required_neuron = required_neuron

    error_type = "insufficient_balance"


class ProviderRejected(FailedPrecondition):
    """The provider refused the request (4xx other than 429/insufficient balance). Never retried."""

    default_reason = "ZEROG_PROVIDER_REJECTED"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(
            message, reason=reason, metadata={"provider": provider, "http_status": status, **(metadata or {})}
        )
        self.provider = provider
        self.status = status

    @property
    def error_type(self) -> str:
        return f"http_{self.status}"


class SessionRejected(ProviderRejected):
    """The provider refused our ``app-sk`` session token (expired, revoked, wrong generation)."""

    default_reason = "ZEROG_SESSION_REJECTED"

    @property
    def error_type(self) -> str:
        return "session_rejected"


class ChainError(Unavailable):
    """A JSON-RPC request to the chain failed (transport error, HTTP error or an RPC error object).

    ``rpc_code``/``rpc_message`` keep the JSON-RPC error when there was one.
    """

    default_reason = "ZEROG_CHAIN_ERROR"

    def __init__(
        self,
        message: str,
        *,
        method: str,
        rpc_code: int | None = None,
        rpc_message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        md: dict[str, object] = {"method": method, **(metadata or {})}
        if rpc_code is not None:
            md["rpc_code"] = rpc_code
        super().__init__(message, reason=reason, metadata=md)
        self.method = method
        self.rpc_code = rpc_code
        self.rpc_message = rpc_message


class ReceiptTimeout(ChainError):
    """A sent transaction had no receipt before the timeout; it may still be mined later."""

    default_reason = "ZEROG_RECEIPT_TIMEOUT"

    def __init__(self, tx_hash: str, timeout: float) -> None:
        super().__init__(
            f"no receipt for {tx_hash} after {timeout:g}s",
            method="eth_getTransactionReceipt",
            metadata={"tx_hash": tx_hash, "timeout_seconds": f"{timeout:g}"},
        )
        self.tx_hash = tx_hash


class TransactionReverted(FailedPrecondition):
    """A contract call or transaction reverted. ``revert_data`` keeps the raw revert bytes
    (a 4-byte custom-error selector plus ABI arguments, or ``Error(string)``)."""

    default_reason = "ZEROG_TX_REVERTED"

    def __init__(
        self,
        message: str,
        *,
        tx_hash: str | None = None,
        revert_data: bytes = b"",
        metadata: Mapping[str, object] | None = None,
    ) -> None:
        md: dict[str, object] = dict(metadata or {})
        if tx_hash:
            md["tx_hash"] = tx_hash
        if revert_data:
            md["revert_selector"] = "0x" + revert_data[:4].hex()
        super().__init__(message, metadata=md)
        self.tx_hash = tx_hash
        self.revert_data = revert_data

    @property
    def selector(self) -> bytes:
        return self.revert_data[:4]

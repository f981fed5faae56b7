"""Transport errors of the 0G Storage backend (the archive outcomes live in :mod:`stack_cfo.core.archive`).

::

    Unavailable
    ├── StorageUnavailable     ZEROG_STORAGE_UNAVAILABLE   node/indexer unreachable, 5xx, HTTP 600,
    │                                                      JSON-RPC error, or an answer we cannot read
    └── UploadNotFinalized     ARCHIVE_NOT_FINALIZED       an upload the nodes did not finalize in time;
                                                           uploading the same bytes again resumes it
    ResourceExhausted
    └── StorageBalanceInsufficient STORAGE_BALANCE_INSUFFICIENT  the wallet cannot pay the storage fee
                                                           plus gas (chain: "insufficient funds"); not
                                                           retryable until the wallet is topped up
    FailedPrecondition
    ├── StorageRejected        ZEROG_STORAGE_REJECTED      the node or gateway refused our request
    │                                                      (bad segment/proof, code 1/105/106)
    └── UploadsDisabled        ZEROG_STORAGE_NO_WALLET     no private key configured: read-only

Chain failures keep their own types from :mod:`stack_cfo.zerog.errors` (``ChainError`` is
Unavailable, ``TransactionReverted`` FailedPrecondition), except a wallet that cannot pay
(:class:`StorageBalanceInsufficient`). Reads (``ZeroGStorageStore.get``) report every
Unavailable or refused download as :class:`~stack_cfo.core.archive.ArchiveStoreUnavailable`
with the reason above as ``cause``.
"""

from __future__ import annotations

from collections.abc import Mapping

from stack_cfo.core.errors import FailedPrecondition, ResourceExhausted, Unavailable


class StorageUnavailable(Unavailable):
    """A storage node or the indexer could not serve the request. Retried, then raised."""

    default_reason = "ZEROG_STORAGE_UNAVAILABLE"

    def __init__(
        self, message: str, *, endpoint: str, status: int | None = None, metadata: Mapping[str, object] | None = None
    ) -> None:
        md: dict[str, object] = {"endpoint": endpoint, **(metadata or {})}
        if status is not None:
            md["http_status"] = status
        super().__init__(message, metadata=md)
        self.endpoint = endpoint
        self.status = status


class StorageRejected(FailedPrecondition):
    """The node or the gateway understood and refused the request; retrying will not help."""

    default_reason = "ZEROG_STORAGE_REJECTED"


class UploadsDisabled(FailedPrecondition):
    """No wallet key is configured, so nothing can be submitted to the Flow contract."""

    default_reason = "ZEROG_STORAGE_NO_WALLET"


class UploadNotFinalized(Unavailable):
    """The storage nodes did not finalize an upload before ``finality_timeout``. Nothing may be
    recorded for it; uploading the same bytes again resumes the submission without paying twice.
    (A file the nodes pruned before finalizing it is :class:`~stack_cfo.core.archive.ArchivePruned`:
    uploading the same bytes again cannot help.)"""

    default_reason = "ARCHIVE_NOT_FINALIZED"

    def __init__(self, message: str, *, address: str, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(message, metadata={"address": address, **(metadata or {})})
        self.address = address


class StorageBalanceInsufficient(ResourceExhausted):
    """The wallet cannot pay the storage fee plus gas. Nothing was submitted; retrying will not
    help until the wallet (metadata ``wallet``) is topped up, so no ``retry_after`` is given."""

    default_reason = "STORAGE_BALANCE_INSUFFICIENT"

"""Transport errors of the 0G Storage backend (the archive outcomes live in :mod:`stack_cfo.core.archive`).

::

    Unavailable
    └── StorageUnavailable     ZEROG_STORAGE_UNAVAILABLE   node/indexer unreachable, 5xx, HTTP 600,
                                                           JSON-RPC error, or an answer we cannot read
    FailedPrecondition
    ├── StorageRejected        ZEROG_STORAGE_REJECTED      the node or gateway refused our request
    │                                                      (bad segment/proof, code 1/105/106)
    └── UploadsDisabled        ZEROG_STORAGE_NO_WALLET     no private key configured: read-only

Chain failures keep their own types from :mod:`stack_cfo.zerog.errors` (``ChainError`` is
Unavailable, ``TransactionReverted`` FailedPrecondition).
"""

from __future__ import annotations

from collections.abc import Mapping

from stack_cfo.core.errors import FailedPrecondition, Unavailable


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

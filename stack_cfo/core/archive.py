"""The archive port: write-once, content-addressed blobs (chat transcripts, AI texts).

Implemented by the PostgreSQL store (the default) and by
:class:`stack_cfo.zerog.storage.client.ZeroGStorageStore` (0G Storage), and wrapped by
:class:`stack_cfo.crypto.envelope.EncryptingArchiveStore`, which seals every blob under the
owner's data key so that destroying that key erases the archive everywhere, even on storage
that cannot delete.

Errors (all in the tree of :mod:`stack_cfo.core.errors`); what a reader of an archive sees
(UserDataService.GetArchivedSession answers with these codes and reasons)::

    NotFound
    └── ArchiveNotFound        ARCHIVE_NOT_FOUND         no archive at this address (or not yours)
    FailedPrecondition
    ├── ArchivePruned          ARCHIVE_PRUNED            the storage network dropped the bytes
    ├── ArchiveNotFinalized    ARCHIVE_NOT_FINALIZED     uploaded, not final yet: read it later
    ├── ArchiveKeyDestroyed    ARCHIVE_KEY_DESTROYED     the owner's data key was erased
    └── ArchiveKeyMismatch     ARCHIVE_KEY_MISMATCH      the configured master key cannot unwrap
                                                         the owner's data key
    DataLoss
    └── ArchiveCorrupted       ARCHIVE_CORRUPTED         bytes do not match the address, or the
                                                         sealed blob does not authenticate
    Unavailable
    └── ArchiveStoreUnavailable ARCHIVE_STORE_UNAVAILABLE the store cannot serve the read now; the
                                                         store's own reason is metadata ``cause``
    InvalidArgument            ARCHIVE_ADDRESS_INVALID   an address no backend can parse

Writers (``put``) see the stores' own errors: an ``Unavailable`` one means "try again" (ChatService
reports it as ARCHIVE_STORE_UNAVAILABLE with the store's reason as ``cause``), a
``ResourceExhausted`` one that the store's account cannot pay, a ``FailedPrecondition`` one that
the store refused the upload.

Stores retry transient failures themselves; an :class:`ArchiveCorrupted` is raised only once
a store has given up (it never returns bytes that failed their check).

A store that pays for each upload (0G Storage: a ``Flow.submit`` transaction) and can be retried
with the same bytes accepts a :class:`SubmissionMemory` (:class:`PaidArchiveStore`): it writes its
signed payment there *before* sending it, and on a retry looks there first, so it finds a payment
it made (or may have made) even where the storage network has not heard of it yet, and waits for
that one instead of paying again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from stack_cfo.core.errors import DataLoss, FailedPrecondition, InvalidArgument, NotFound, Unavailable

__all__ = [
    "AI_ARTIFACTS",
    "AI_SUMMARIES",
    "CHAT_SESSIONS",
    "NAMESPACES",
    "ArchiveCorrupted",
    "ArchiveKeyDestroyed",
    "ArchiveKeyMismatch",
    "ArchiveNotFinalized",
    "ArchiveNotFound",
    "ArchivePruned",
    "ArchiveStore",
    "ArchiveStoreUnavailable",
    "PaidArchiveStore",
    "StoreSubmission",
    "SubmissionMemory",
    "invalid_address",
]

AI_SUMMARIES = "ai-summaries/"
"""AI-written digest and summary texts."""
AI_ARTIFACTS = "ai-artifacts/"
"""Other AI outputs worth keeping (reports, structured answers)."""
CHAT_SESSIONS = "chat-sessions/"
"""Transcripts of archived chat sessions."""
NAMESPACES: frozenset[str] = frozenset({AI_SUMMARIES, AI_ARTIFACTS, CHAT_SESSIONS})


@runtime_checkable
class ArchiveStore(Protocol):
    """Write-once blob storage addressed by content.

    ``owner`` is the user the blob belongs to (user id). Backends that hold plaintext use it
    for access checks; the encrypting wrapper binds the sealed blob to it.
    """

    async def put(self, namespace: str, key: str, data: bytes, *, owner: str) -> str:
        """Store ``data`` under ``namespace`` + ``key`` and return its content address.

        Returns only once the blob is durable and retrievable (for 0G: finalized); a caller
        may record the address as soon as this returns, and must not record anything when
        it raises.
        """
        ...

    async def get(self, address: str, *, owner: str) -> bytes:
        """The bytes stored at ``address``; checked against the address before returning.

        A store that cannot serve the read now raises :class:`ArchiveStoreUnavailable` (its own
        reason as ``cause``), so every reader answers alike whatever the backend."""
        ...


class SealedArchive(ArchiveStore, Protocol):
    """An archive store that seals each blob for its owner (envelope encryption) and can make all
    of an owner's blobs unreadable at once."""

    async def get(self, address: str, *, owner: str, namespace: str | None = None, key: str | None = None) -> bytes:
        """The plaintext at ``address``; with ``namespace``/``key``, the blob must have been filed
        under them (else :class:`ArchiveCorrupted`)."""
        ...

    async def erase(self, owner: str) -> int:
        """Destroy the owner's data keys; returns how many live keys were destroyed."""
        ...

    async def seal(self, namespace: str, key: str, data: bytes, *, owner: str) -> bytes:
        """``data`` sealed for ``owner``, not stored (a fresh nonce each call: different bytes)."""
        ...

    async def put_sealed(
        self, namespace: str, key: str, sealed: bytes, *, owner: str, memory: SubmissionMemory | None = None
    ) -> str:
        """Store bytes made by :meth:`seal` as they are (as :meth:`put`); the same bytes, the same
        address: a retry with them is the same upload. ``memory``: kept with these bytes, where a
        paying backend (:class:`PaidArchiveStore`) remembers its payment for the next retry."""
        ...

    async def open_sealed(self, sealed: bytes, *, owner: str, namespace: str, key: str) -> bytes:
        """The plaintext of bytes made by :meth:`seal` for ``owner`` under ``namespace``/``key``."""
        ...


@dataclass(frozen=True, slots=True)
class StoreSubmission:
    """A payment a store signed for an upload (0G Storage: the ``Flow.submit`` transaction),
    remembered before it is sent: what a retry needs to find it again and never to send another."""

    tx_hash: str
    """``0x`` + hex of the transaction hash (keccak of ``raw``)."""
    nonce: int
    """The sender's nonce the transaction uses: a payment at another nonce is another payment."""
    raw: bytes
    """The signed transaction as sent; sending these bytes again can never pay twice."""


class SubmissionMemory(Protocol):
    """Where a :class:`PaidArchiveStore` keeps the payment of one upload (the caller keeps it with
    the bytes it will retry, and forgets it with them)."""

    async def recall(self) -> StoreSubmission | None:
        """The payment remembered for these bytes (None: none was made)."""
        ...

    async def remember(self, submission: StoreSubmission) -> None:
        """Keep ``submission`` (replacing an earlier one); raises when it cannot, and then the
        store does not send it."""
        ...


@runtime_checkable
class PaidArchiveStore(ArchiveStore, Protocol):
    """A store that pays for each upload and can remember the payment with the caller."""

    async def put_once(self, namespace: str, key: str, data: bytes, *, owner: str, memory: SubmissionMemory) -> str:
        """As :meth:`ArchiveStore.put`; the payment is written to ``memory`` before it is sent, and
        a payment found there is waited for and used rather than paying again."""
        ...


def _md(address: str, extra: Mapping[str, object] | None) -> dict[str, object]:
    return {"address": address, **(extra or {})}


class ArchiveNotFound(NotFound):
    """Nothing is stored at this address (or it belongs to someone else)."""

    default_reason = "ARCHIVE_NOT_FOUND"

    def __init__(self, address: str, message: str = "", *, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(message or f"no archive at {address}", metadata=_md(address, metadata))
        self.address = address


class ArchivePruned(FailedPrecondition):
    """The storage network has pruned the bytes: the address is known but cannot be served.
    Reading again will not help."""

    default_reason = "ARCHIVE_PRUNED"

    def __init__(self, address: str, message: str = "", *, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(
            message or f"archive {address} was pruned by the storage network", metadata=_md(address, metadata)
        )
        self.address = address


class ArchiveNotFinalized(FailedPrecondition):
    """The file is known to the store but not final yet (0G: segments still replicating), so it
    cannot be read now. Read it again once the store has finalized it."""

    default_reason = "ARCHIVE_NOT_FINALIZED"

    def __init__(self, address: str, message: str = "", *, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(message or f"archive {address} is not finalized yet", metadata=_md(address, metadata))
        self.address = address


class ArchiveStoreUnavailable(Unavailable):
    """The store cannot serve this read now (unreachable, failing, its circuit breaker open, or it
    refused to serve the file). ``cause`` (also in metadata) is the store's own reason, for
    example ``ZEROG_STORAGE_UNAVAILABLE`` or ``ZEROG_BREAKER_OPEN``."""

    default_reason = "ARCHIVE_STORE_UNAVAILABLE"

    def __init__(
        self, address: str, cause: str, message: str = "", *, metadata: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(
            message or f"the archive store cannot serve {address} now; try again later",
            metadata={**_md(address, metadata), "cause": cause},
        )
        self.address = address
        self.cause = cause


class ArchiveCorrupted(DataLoss):
    """The bytes do not match their address, or a sealed blob fails authentication.

    ``detail`` (also in metadata) is one of ``root_mismatch``, ``authentication_failed``,
    ``context_mismatch`` or ``malformed``.
    """

    default_reason = "ARCHIVE_CORRUPTED"

    def __init__(
        self, address: str, message: str, *, detail: str, metadata: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message, metadata={**_md(address, metadata), "detail": detail})
        self.address = address
        self.detail = detail


class ArchiveKeyDestroyed(FailedPrecondition):
    """The owner's data key was destroyed (erasure): the archive can never be read again."""

    default_reason = "ARCHIVE_KEY_DESTROYED"

    def __init__(self, address: str, message: str = "", *, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(
            message or f"archive {address} was erased: its data key has been destroyed",
            metadata=_md(address, metadata),
        )
        self.address = address


class ArchiveKeyMismatch(FailedPrecondition):
    """The configured master key(s) cannot unwrap the owner's data key (wrong or missing key id)."""

    default_reason = "ARCHIVE_KEY_MISMATCH"

    def __init__(self, message: str, *, kek_id: str, metadata: Mapping[str, object] | None = None) -> None:
        super().__init__(message, metadata={"kek_id": kek_id, **(metadata or {})})
        self.kek_id = kek_id


def invalid_address(address: str, why: str) -> InvalidArgument:
    """The error for an address no backend understands."""
    return InvalidArgument.field("address", f"{why}: {address!r}", reason="ARCHIVE_ADDRESS_INVALID")


def canonical_address(address: str | None) -> str | None:
    """An archive address in the contract's form: ``0g:0x<root>`` for one an earlier version
    recorded as ``0g://0x<root>`` (both read the same file); others as they are."""
    if address is not None and address.startswith("0g://"):
        return "0g:" + address[len("0g://"):]
    return address

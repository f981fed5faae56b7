"""Envelope encryption of archives: per-user data keys, wrapped by a rotating master key.

Why: 0G Storage cannot delete. Every archived blob is sealed with AES-256-GCM under its
owner's **data key** (DEK); the DEK is stored only *wrapped* (AES-256-GCM) under a **master
key** (KEK) from configuration. Erasing a user destroys their DEKs, after which every copy of
their archives, wherever it lives, is noise.

Master keys rotate: several may be configured, each with an id. New DEKs are wrapped with the
primary; a wrapped DEK records the id of the KEK that wrapped it, and unwrapping uses that id,
so archives sealed before a rotation stay readable as long as the old KEK stays configured.
To retire a KEK, re-wrap the DEKs that use it with :func:`rewrap` (the DEKs, and so the
archives, do not change).

Formats (all integers big-endian; ``lp(x)`` = 4-byte length + UTF-8 bytes)::

    wrapped DEK  = 0x01 | nonce(12) | AES-GCM(KEK, DEK(32), aad)
      aad        = "stack-cfo/dek/v1" | lp(user) | u32 version | lp(kek id)
    sealed blob  = header | AES-GCM(DEK, plaintext, aad = header | lp(owner))
      header     = "SCFA" | 0x01 | u8 len(kek id) | kek id | u32 dek version | nonce(12)
      plaintext  = lp(namespace) | lp(key) | data

The owner is bound by the AAD (not written in the blob: the user id never goes to public
storage in clear); namespace and key travel inside the ciphertext, so they are authenticated
too, and :meth:`EncryptingArchiveStore.get` can insist on them. The header's KEK id is the one
that wrapped the DEK when the blob was sealed (informational; the key ring is authoritative).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stack_cfo.core.archive import (
    ArchiveCorrupted,
    ArchiveKeyDestroyed,
    ArchiveKeyMismatch,
    ArchiveNotFound,
    ArchiveStore,
    PaidArchiveStore,
    SubmissionMemory,
)
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.secret import Secret

__all__ = [
    "EncryptingArchiveStore",
    "InMemoryKeyRing",
    "KeyRing",
    "MasterKey",
    "MasterKeys",
    "OpenedArchive",
    "WrappedDek",
    "rewrap",
]

MAGIC = b"SCFA"
FORMAT_VERSION = 1
_WRAP_VERSION = 1
_DEK_AAD = b"stack-cfo/dek/v1"
_NONCE = 12
_KEY_BYTES = 32
_KEK_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
#: Blobs above this size are sealed/opened off the event loop.
_THREAD_ABOVE = 1 << 20


def _lp(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


# --------------------------------------------------------------------------- master keys


class MasterKey:
    """One key-encryption key: an id and 32 secret bytes. Never shows the bytes."""

    __slots__ = ("_aead", "kek_id")

    def __init__(self, kek_id: str, key: bytes) -> None:
        if not _KEK_ID.match(kek_id):
            raise ValueError("a master key id is 1-64 characters of letters, digits, '.', '_' or '-'")
        if len(key) != _KEY_BYTES:
            raise ValueError(f"master key {kek_id!r} must be 32 bytes (AES-256), got {len(key)}")
        self.kek_id = kek_id
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"MasterKey(kek_id={self.kek_id!r}, key=***)"

    def __reduce__(self) -> Any:
        raise TypeError("master keys cannot be pickled")

    def wrap(self, user_id: str, version: int, dek: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return bytes([_WRAP_VERSION]) + nonce + self._aead.encrypt(nonce, dek, self._aad(user_id, version))

    def unwrap(self, user_id: str, version: int, wrapped: bytes) -> bytes:
        """The DEK, or :class:`ArchiveKeyMismatch` when this KEK did not wrap it (for this user/version)."""
        if len(wrapped) != 1 + _NONCE + _KEY_BYTES + 16 or wrapped[0] != _WRAP_VERSION:
            raise ArchiveKeyMismatch(
                f"the stored data key of this user is not in a format master key {self.kek_id!r} wraps",
                kek_id=self.kek_id,
            )
        nonce, body = wrapped[1 : 1 + _NONCE], wrapped[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, self._aad(user_id, version))
        except InvalidTag:
            raise ArchiveKeyMismatch(
                f"master key {self.kek_id!r} does not unwrap the user's data key: "
                "the configured key with this id is not the one that wrapped it",
                kek_id=self.kek_id,
            ) from None

    def _aad(self, user_id: str, version: int) -> bytes:
        return _DEK_AAD + _lp(user_id) + struct.pack(">I", version) + _lp(self.kek_id)


class MasterKeys:
    """The configured master keys: one primary (wraps new DEKs) and any older ones (unwrap only)."""

    def __init__(self, keys: Iterable[MasterKey], primary: str) -> None:
        self._keys: dict[str, MasterKey] = {}
        for key in keys:
            if key.kek_id in self._keys:
                raise ValueError(f"master key id {key.kek_id!r} is configured twice")
            self._keys[key.kek_id] = key
        if primary not in self._keys:
            raise ValueError(f"primary master key {primary!r} is not among the configured keys")
        self.primary = self._keys[primary]

    def __repr__(self) -> str:
        return f"MasterKeys(primary={self.primary.kek_id!r}, ids={sorted(self._keys)!r})"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def get(self, kek_id: str) -> MasterKey:
        try:
            return self._keys[kek_id]
        except KeyError:
            raise ArchiveKeyMismatch(
                f"the user's data key is wrapped by master key {kek_id!r}, which is not configured "
                f"(configured: {', '.join(sorted(self._keys))})",
                kek_id=kek_id,
            ) from None

    @classmethod
    def from_config(cls, value: Any, *, field: str = "archive.master_keys") -> MasterKeys:
        """Parse the ``archive.master_keys`` setting.

        Either a string ``"id:KEY[,id:KEY...]"`` whose **first** entry is the primary (the
        ``STACK_CFO_ARCHIVE_MASTER_KEYS`` form), or a mapping
        ``{primary: id, keys: {id: KEY, ...}}``. ``KEY`` is 32 bytes as base64 (44 chars)
        or hex (64 chars); a :class:`~stack_cfo.secret.Secret` is unwrapped.
        """
        if isinstance(value, Secret):
            value = value.get()
        pairs: list[tuple[str, str]] = []
        primary: str | None = None
        if isinstance(value, str):
            for item in (p.strip() for p in value.split(",")):
                if not item:
                    continue
                kek_id, sep, material = item.partition(":")
                if not sep:
                    raise _bad(field, "entries must look like id:base64key")
                pairs.append((kek_id.strip(), material.strip()))
            primary = pairs[0][0] if pairs else None
        elif isinstance(value, Mapping):
            raw_keys = value.get("keys")
            if not isinstance(raw_keys, Mapping):
                raise _bad(field, "needs a 'keys' mapping of id -> key")
            pairs = [(str(k), v.get() if isinstance(v, Secret) else str(v)) for k, v in raw_keys.items()]
            primary = str(value.get("primary") or (pairs[0][0] if pairs else ""))
        else:
            raise _bad(field, "must be 'id:key,...' or a mapping with 'primary' and 'keys'")
        if not pairs or not primary:
            raise _bad(field, "no master key configured")
        try:
            return cls((MasterKey(kek_id, _decode_key(material)) for kek_id, material in pairs), primary)
        except ValueError as exc:
            raise _bad(field, str(exc)) from None

    @classmethod
    def generate(cls, kek_id: str = "k1") -> tuple[MasterKeys, str]:
        """A fresh single-key ring and its config string (for set-up scripts and tests)."""
        key = AESGCM.generate_key(bit_length=256)
        return cls([MasterKey(kek_id, key)], kek_id), f"{kek_id}:{base64.b64encode(key).decode()}"


def _decode_key(material: str) -> bytes:
    if re.fullmatch(r"[0-9a-fA-F]{64}", material):
        return bytes.fromhex(material)
    try:
        return base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a master key must be 32 bytes as base64 or hex") from None


def _bad(field: str, description: str) -> InvalidArgument:
    return InvalidArgument.field(field, description, reason="CONFIG_INVALID")


# --------------------------------------------------------------------------- key ring


@dataclass(frozen=True, slots=True)
class WrappedDek:
    """One stored data key. ``wrapped`` is None once destroyed (the bytes are gone)."""

    user_id: str
    version: int
    kek_id: str
    wrapped: bytes | None
    created_at: datetime
    destroyed_at: datetime | None = None

    @property
    def destroyed(self) -> bool:
        return self.wrapped is None


class KeyRing(Protocol):
    """Where wrapped DEKs live. The PostgreSQL implementation belongs to the store layer.

    Table it needs (one row per user and key version)::

        CREATE TABLE archive_data_keys (
            user_id      UUID        NOT NULL,
            version      INTEGER     NOT NULL CHECK (version > 0),
            kek_id       TEXT        NOT NULL,
            wrapped_dek  BYTEA,                       -- NULL once destroyed
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            destroyed_at TIMESTAMPTZ,
            PRIMARY KEY (user_id, version),
            CHECK ((wrapped_dek IS NULL) = (destroyed_at IS NOT NULL))
        );
        -- at most one live key per user; a race to create one has a single winner
        CREATE UNIQUE INDEX archive_data_keys_live ON archive_data_keys (user_id)
            WHERE destroyed_at IS NULL;
    """

    async def get_wrapped(self, user_id: str, version: int | None = None) -> WrappedDek | None:
        """``version=None``: the user's live key (None if there is none). A version: that
        key, destroyed or not (None if it never existed)."""
        ...

    async def put_wrapped(self, user_id: str, wrapped: bytes, kek_id: str, version: int) -> WrappedDek:
        """Store a new live key as ``version`` unless the user already has a live key, in
        which case return that one (``INSERT ... ON CONFLICT DO NOTHING`` then ``SELECT``).
        ``version`` is one more than the highest version the user ever had."""
        ...

    async def next_version(self, user_id: str) -> int:
        """One more than the highest version the user ever had (1 for a new user)."""
        ...

    async def destroy(self, user_id: str) -> int:
        """Erase every key of the user: ``wrapped_dek = NULL, destroyed_at = now()``. Rows stay,
        so reads can tell "erased" from "never existed". Returns how many keys were live."""
        ...


class InMemoryKeyRing:
    """A :class:`KeyRing` in a dict: for tests and single-process tools."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, int], WrappedDek] = {}
        self._lock = asyncio.Lock()

    async def get_wrapped(self, user_id: str, version: int | None = None) -> WrappedDek | None:
        if version is not None:
            return self._rows.get((user_id, version))
        live = [r for (u, _), r in self._rows.items() if u == user_id and not r.destroyed]
        return live[0] if live else None

    async def next_version(self, user_id: str) -> int:
        return 1 + max((v for (u, v) in self._rows if u == user_id), default=0)

    async def put_wrapped(self, user_id: str, wrapped: bytes, kek_id: str, version: int) -> WrappedDek:
        async with self._lock:
            existing = await self.get_wrapped(user_id)
            if existing is not None:
                return existing
            if (user_id, version) in self._rows:
                raise ValueError(f"key version {version} of this user already exists")
            row = WrappedDek(user_id, version, kek_id, bytes(wrapped), datetime.now(UTC))
            self._rows[(user_id, version)] = row
            return row

    async def destroy(self, user_id: str) -> int:
        async with self._lock:
            now = datetime.now(UTC)
            count = 0
            for k, row in list(self._rows.items()):
                if k[0] == user_id and not row.destroyed:
                    self._rows[k] = replace(row, wrapped=None, destroyed_at=now)
                    count += 1
            return count

    def replace_wrapped(self, user_id: str, version: int, wrapped: bytes, kek_id: str) -> None:
        """Store a re-wrapped DEK (see :func:`rewrap`)."""
        row = self._rows[(user_id, version)]
        self._rows[(user_id, version)] = replace(row, wrapped=bytes(wrapped), kek_id=kek_id)


def rewrap(record: WrappedDek, keys: MasterKeys) -> tuple[bytes, str]:
    """Re-wrap a live DEK under the primary master key: ``(wrapped, kek_id)`` to store.

    Run over ``SELECT ... WHERE kek_id = '<old>' AND destroyed_at IS NULL`` before removing
    an old master key from the configuration; the archives themselves do not change.
    """
    if record.wrapped is None:
        raise ValueError("a destroyed key cannot be re-wrapped")
    dek = keys.get(record.kek_id).unwrap(record.user_id, record.version, record.wrapped)
    primary = keys.primary
    return primary.wrap(record.user_id, record.version, dek), primary.kek_id


# --------------------------------------------------------------------------- sealing


@dataclass(frozen=True, slots=True)
class OpenedArchive:
    """A sealed blob, opened: where it was filed and its bytes."""

    namespace: str
    key: str
    data: bytes
    dek_version: int


def seal(dek: bytes, *, dek_version: int, kek_id: str, owner: str, namespace: str, key: str, data: bytes) -> bytes:
    """Seal ``data`` for ``owner`` under ``dek`` (see the module docstring for the format)."""
    kid = kek_id.encode("ascii")
    nonce = os.urandom(_NONCE)
    header = MAGIC + bytes([FORMAT_VERSION, len(kid)]) + kid + struct.pack(">I", dek_version) + nonce
    plaintext = _lp(namespace) + _lp(key) + data
    return header + AESGCM(dek).encrypt(nonce, plaintext, header + _lp(owner))


@dataclass(frozen=True, slots=True)
class _Header:
    kek_id: str
    dek_version: int
    nonce: bytes
    length: int


def _parse_header(blob: bytes, address: str) -> _Header:
    def malformed(why: str) -> ArchiveCorrupted:
        return ArchiveCorrupted(address, f"archive {address} is not a sealed archive: {why}", detail="malformed")

    if len(blob) < 6 or blob[:4] != MAGIC:
        raise malformed("no SCFA header")
    if blob[4] != FORMAT_VERSION:
        raise malformed(f"unknown format version {blob[4]}")
    kid_len = blob[5]
    end = 6 + kid_len + 4 + _NONCE
    if len(blob) < end + 16:
        raise malformed("truncated")
    try:
        kek_id = blob[6 : 6 + kid_len].decode("ascii")
    except UnicodeDecodeError:
        raise malformed("bad key id") from None
    (dek_version,) = struct.unpack(">I", blob[6 + kid_len : 10 + kid_len])
    return _Header(kek_id, dek_version, blob[10 + kid_len : end], end)


def _open(dek: bytes, header: _Header, blob: bytes, owner: str, address: str) -> OpenedArchive:
    head = blob[: header.length]
    try:
        plaintext = AESGCM(dek).decrypt(header.nonce, blob[header.length :], head + _lp(owner))
    except InvalidTag:
        raise ArchiveCorrupted(
            address,
            f"archive {address} does not open for this owner: it was altered, or sealed for someone else",
            detail="authentication_failed",
        ) from None
    fields: list[str] = []
    pos = 0
    for _ in range(2):
        (n,) = struct.unpack(">I", plaintext[pos : pos + 4])
        fields.append(plaintext[pos + 4 : pos + 4 + n].decode("utf-8"))
        pos += 4 + n
    return OpenedArchive(fields[0], fields[1], plaintext[pos:], header.dek_version)


# --------------------------------------------------------------------------- the store


class EncryptingArchiveStore:
    """An :class:`~stack_cfo.core.archive.ArchiveStore` that seals before ``put`` and opens after ``get``.

    ``inner`` never sees plaintext or the owner's identity in clear (it still receives
    ``owner`` for its own bookkeeping). Erasing a user (:meth:`erase`) destroys their data
    keys; reading their archives afterwards raises
    :class:`~stack_cfo.core.archive.ArchiveKeyDestroyed`.
    """

    def __init__(self, inner: ArchiveStore, keys: KeyRing, keks: MasterKeys) -> None:
        self._inner = inner
        self._keys = keys
        self._keks = keks

    async def put(self, namespace: str, key: str, data: bytes, *, owner: str) -> str:
        return await self.put_sealed(namespace, key, await self.seal(namespace, key, data, owner=owner), owner=owner)

    async def seal(self, namespace: str, key: str, data: bytes, *, owner: str) -> bytes:
        """``data`` sealed for ``owner`` under their live data key, not stored. Every call draws a
        fresh random nonce, so sealing the same data twice gives different bytes (and a different
        address): a caller that may retry an upload keeps these bytes and retries with them
        (:meth:`put_sealed`)."""
        version, kek_id, dek = await self._dek_for_sealing(owner)
        args: dict[str, Any] = dict(
            dek_version=version, kek_id=kek_id, owner=owner, namespace=namespace, key=key, data=bytes(data)
        )
        return await asyncio.to_thread(seal, dek, **args) if len(data) > _THREAD_ABOVE else seal(dek, **args)

    async def put_sealed(
        self, namespace: str, key: str, sealed: bytes, *, owner: str, memory: SubmissionMemory | None = None
    ) -> str:
        """Store bytes made by :meth:`seal` as they are and return their address: the same bytes
        give the same address (0G Storage resumes an earlier upload of them without paying again).
        ``memory`` goes to a backend that pays per upload (:class:`PaidArchiveStore`): it keeps the
        payment there before making it, so a retry finds it even before the network has."""
        if memory is not None and isinstance(self._inner, PaidArchiveStore):
            return await self._inner.put_once(namespace, key, bytes(sealed), owner=owner, memory=memory)
        return await self._inner.put(namespace, key, bytes(sealed), owner=owner)

    async def open_sealed(self, sealed: bytes, *, owner: str, namespace: str, key: str) -> bytes:
        """The plaintext of bytes made by :meth:`seal` (not read from storage); they must have been
        sealed for ``owner`` under ``namespace``/``key`` (else ``ArchiveCorrupted``)."""
        opened = await self._open_blob(bytes(sealed), owner, "(unstored)")
        if opened.namespace != namespace or opened.key != key:
            raise ArchiveCorrupted(
                "(unstored)", "the sealed blob was filed under another namespace/key", detail="context_mismatch"
            )
        return opened.data

    async def get(self, address: str, *, owner: str, namespace: str | None = None, key: str | None = None) -> bytes:
        """The plaintext at ``address``. If ``namespace``/``key`` are given, the sealed blob
        must have been filed under them (else ``ArchiveCorrupted``, detail ``context_mismatch``)."""
        opened = await self.open(address, owner=owner)
        if (namespace is not None and opened.namespace != namespace) or (key is not None and opened.key != key):
            raise ArchiveCorrupted(
                address,
                f"archive {address} was filed under another namespace/key than the one asked for",
                detail="context_mismatch",
            )
        return opened.data

    async def open(self, address: str, *, owner: str) -> OpenedArchive:
        """Like :meth:`get`, also returning the namespace and key the blob was filed under."""
        return await self._open_blob(await self._inner.get(address, owner=owner), owner, address)

    async def _open_blob(self, blob: bytes, owner: str, address: str) -> OpenedArchive:
        header = _parse_header(blob, address)
        record = await self._keys.get_wrapped(owner, header.dek_version)
        if record is None:
            raise ArchiveNotFound(address, f"archive {address} was not sealed for this owner")
        if record.wrapped is None:
            raise ArchiveKeyDestroyed(address, metadata={"dek_version": record.version})
        dek = self._keks.get(record.kek_id).unwrap(owner, record.version, record.wrapped)
        if len(blob) > _THREAD_ABOVE:
            return await asyncio.to_thread(_open, dek, header, blob, owner, address)
        return _open(dek, header, blob, owner, address)

    async def erase(self, owner: str) -> int:
        """Destroy every data key of ``owner``: all their archives become unreadable. Returns the
        number of live keys destroyed. New archives for the owner get a new key."""
        return await self._keys.destroy(owner)

    async def _dek_for_sealing(self, owner: str) -> tuple[int, str, bytes]:
        record = await self._keys.get_wrapped(owner)
        if record is None:
            primary = self._keks.primary
            dek = AESGCM.generate_key(bit_length=256)
            version = await self._keys.next_version(owner)
            record = await self._keys.put_wrapped(owner, primary.wrap(owner, version, dek), primary.kek_id, version)
        assert record.wrapped is not None
        return (
            record.version,
            record.kek_id,
            self._keks.get(record.kek_id).unwrap(owner, record.version, record.wrapped),
        )

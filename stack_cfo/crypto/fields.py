"""Sealed columns: row fields encrypted under their owner's data key (encryption at rest).

The archive's envelope scheme (:mod:`stack_cfo.crypto.envelope`) reused for single values: each
user has one data key (DEK, 32 random bytes) stored only wrapped by a master key in
``archive_data_keys``; the same key seals their archives and their rows. Fields use a subkey
derived from it (HKDF-SHA256, info ``stack-cfo/fields/v1``) so a field token can never be
confused with an archive blob.

A sealed value is text, so it fits the existing TEXT/JSONB columns::

    token = "sc1:" + base64url(u32 dek version | nonce(12) | AES-256-GCM(subkey, plaintext, aad))
    aad   = "stack-cfo/field/v1" | lp(owner) | lp(column) | lp(row identity) | u32 dek version

``column`` is ``table.column`` and the row identity is what the repository names the row by
(a message id, an outbox idempotency key): a token copied to another row, column or user does not
open. Values written before encryption (no ``sc1:`` prefix) are read as they are.

Erasing a user destroys the DEK (``archive_data_keys.wrapped_dek = NULL``); every token sealed
under it, including copies in backups, no longer opens (:class:`UserKeyDestroyed`). Rotating
the master key re-wraps DEKs (:func:`rewrap_all`); tokens do not change.

DEKs are cached per process (bounded, with a time to live so an erasure in another process is
seen within ``ttl`` seconds); the cache holds AEAD objects, never the wrapped form.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from cachetools import TTLCache
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stack_cfo.core.errors import DataLoss, FailedPrecondition
from stack_cfo.crypto.envelope import KeyRing, MasterKeys, WrappedDek

__all__ = [
    "CLEAR",
    "PREFIX",
    "FieldSealer",
    "SealedValueUnreadable",
    "SealerSource",
    "UserCipher",
    "UserKeyDestroyed",
    "is_sealed",
]

PREFIX = "sc1:"
_AAD = b"stack-cfo/field/v1"
_INFO = b"stack-cfo/fields/v1"
_NONCE = 12
_HEAD = 4 + _NONCE
#: Texts of at least this many bytes are compressed (zlib) before sealing when that makes them
#: smaller: data snapshots, portfolio contexts, session windows are JSON that shrinks ~4x, and a
#: sealed value never compresses afterwards (PostgreSQL's TOAST cannot compress ciphertext).
COMPRESS_FROM = 1024
#: The top bit of the 4-byte key version says the plaintext is compressed. The header is bound into
#: the associated data as written, so the flag cannot be flipped, and a value without it (every value
#: sealed before compression existed) has the same associated data as before.
_COMPRESSED = 0x8000_0000


def _lp(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


def is_sealed(value: object) -> bool:
    """True for a token this module wrote (a str with the ``sc1:`` prefix)."""
    return isinstance(value, str) and value.startswith(PREFIX)


class UserKeyDestroyed(FailedPrecondition):
    """The value was sealed under a data key that was erased (the user's data was erased)."""

    default_reason = "USER_DATA_KEY_DESTROYED"


class SealedValueUnreadable(DataLoss):
    """A sealed value does not open: altered, moved from another row, or sealed under another key."""

    default_reason = "SEALED_VALUE_UNREADABLE"


def _subkey(dek: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(dek))


class UserCipher:
    """One user's field cipher: seals with the live key, opens tokens of that key (sync, no I/O).

    ``version`` is None when the user has no live key (never had one, or erased): such a cipher
    opens plaintext values only, and sealing with it is refused.
    """

    __slots__ = ("_aead", "owner", "sealing", "version")

    def __init__(self, owner: str, version: int | None, aead: AESGCM | None, *, sealing: bool = True) -> None:
        self.owner = owner
        self.version = version
        self._aead = aead
        self.sealing = sealing
        """False: :meth:`seal` returns the text as is (encryption at rest turned off; reads still open)."""

    def __repr__(self) -> str:
        return f"UserCipher(owner={self.owner!r}, version={self.version!r})"

    def _aad(self, column: str, row: str, header: int) -> bytes:
        return _AAD + _lp(self.owner) + _lp(column) + _lp(row) + struct.pack(">I", header)

    def seal(self, column: str, row: str, text: str) -> str:
        """``text`` sealed for this row of ``column`` (``table.column``); compressed first when it is
        at least :data:`COMPRESS_FROM` bytes and compression makes it smaller."""
        if not self.sealing:
            return text
        if self._aead is None or self.version is None:
            raise RuntimeError("a cipher without a live key cannot seal (ask FieldSealer.cipher(create=True))")
        data, header = text.encode("utf-8"), self.version
        if len(data) >= COMPRESS_FROM:
            packed = zlib.compress(data, 6)
            if len(packed) < len(data):
                data, header = packed, self.version | _COMPRESSED
        nonce = os.urandom(_NONCE)
        body = self._aead.encrypt(nonce, data, self._aad(column, row, header))
        raw = struct.pack(">I", header) + nonce + body
        return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")

    def open(self, column: str, row: str, value: str) -> str:
        """The plaintext of ``value``; a value without the prefix (written before encryption) as is."""
        if not value.startswith(PREFIX):
            return value
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return value  # not a token: a plaintext value that happens to start with the prefix
        if len(raw) < _HEAD + 16:
            return value
        (header,) = struct.unpack(">I", raw[:4])
        version = header & ~_COMPRESSED
        if version != self.version or self._aead is None:
            raise UserKeyDestroyed(
                f"{column} of this row was sealed under a data key that no longer exists "
                "(the user's data was erased)",
                metadata={"column": column, "dek_version": version},
            )
        try:
            plain = self._aead.decrypt(raw[4:_HEAD], raw[_HEAD:], self._aad(column, row, header))
        except InvalidTag:
            raise SealedValueUnreadable(
                f"{column} of this row does not open: the stored value was altered or moved from another row",
                metadata={"column": column},
            ) from None
        if header & _COMPRESSED:
            plain = zlib.decompress(plain)  # authenticated above: written by seal(), never altered
        return plain.decode("utf-8")

    def seal_json(self, column: str, row: str, value: Any) -> Any:
        """A JSON value sealed (store it as a JSON string in a JSONB column)."""
        if not self.sealing:
            return value  # type: ignore[no-any-return]
        return self.seal(column, row, json.dumps(value, separators=(",", ":"), sort_keys=True))

    def open_json(self, column: str, row: str, value: Any) -> Any:
        """A JSONB value read back: a sealed string opened and parsed; anything else as stored."""
        if is_sealed(value):
            opened = self.open(column, row, value)
            if opened is not value:
                return json.loads(opened)
        return value


class FieldSealer:
    """Gets and caches each user's field cipher from the key ring.

    ``max_users`` bounds the cache; ``ttl`` (seconds) is how long a process may keep using a key
    after another process erased it (this process's own erasures call :meth:`forget`).
    """

    def __init__(
        self,
        keys: KeyRing,
        keks: MasterKeys,
        *,
        max_users: int = 10_000,
        ttl: float = 60.0,
        sealing: bool = True,
        timer: Callable[[], float] = time.monotonic,
        on_first_use: Callable[[], None] | None = None,
    ) -> None:
        self._keys = keys
        self._keks = keks
        self.sealing = sealing
        self._on_first_use = on_first_use
        """Called once, on the event loop, before the first key is looked up (starts the process's
        erasure listener, so a key destroyed elsewhere leaves this cache at once, not after ``ttl``)."""
        self._cache: TTLCache[str, UserCipher] = TTLCache(maxsize=max_users, ttl=ttl, timer=timer)

    async def cipher(self, owner: str, *, create: bool = False) -> UserCipher:
        """The cipher of ``owner``. With ``create`` a user without a live key gets one (writes);
        without it such a user gets a cipher that only reads plaintext (reads never write)."""
        if self._on_first_use is not None:
            start, self._on_first_use = self._on_first_use, None
            start()
        if create and not self.sealing:
            create = False
        cached = self._cache.get(owner)
        if cached is not None:
            return cached
        # Concurrent misses may both read the ring; creation has one winner (put_wrapped).
        record = await self._keys.get_wrapped(owner)
        if record is None and create:
            record = await self._create(owner)
        made = self._from_record(owner, record)
        if made.version is not None:  # a user without a key may get one in another process: ask again
            self._cache[owner] = made
        return made

    async def ciphers(self, owners: Iterable[str]) -> dict[str, UserCipher]:
        """Read ciphers of several owners (no keys created)."""
        return {o: await self.cipher(o) for o in dict.fromkeys(owners)}

    def forget(self, owner: str) -> None:
        """Drop the cached key of ``owner`` (after erasing it)."""
        self._cache.pop(owner, None)

    def clear(self) -> None:
        self._cache.clear()

    async def _create(self, owner: str) -> WrappedDek:
        primary = self._keks.primary
        dek = AESGCM.generate_key(bit_length=256)
        version = await self._keys.next_version(owner)
        return await self._keys.put_wrapped(owner, primary.wrap(owner, version, dek), primary.kek_id, version)

    def _from_record(self, owner: str, record: WrappedDek | None) -> UserCipher:
        if record is None or record.wrapped is None:
            return UserCipher(owner, None, None, sealing=self.sealing)
        dek = self._keks.get(record.kek_id).unwrap(owner, record.version, record.wrapped)
        return UserCipher(owner, record.version, _subkey(dek), sealing=self.sealing)


class SealerSource(Protocol):
    """What repositories take (a :class:`FieldSealer`, or :data:`CLEAR` to store in the clear)."""

    async def cipher(self, owner: str, *, create: bool = False) -> UserCipher: ...


class _ClearSealer:
    """No keys: values are stored as given and only plaintext reads back (repositories built
    without a sealer, as unit tests build them; the server always has a :class:`FieldSealer`)."""

    async def cipher(self, owner: str, *, create: bool = False) -> UserCipher:
        return UserCipher(owner, None, None, sealing=False)


CLEAR: SealerSource = _ClearSealer()

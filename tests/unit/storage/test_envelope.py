"""Envelope encryption of archives: what a user (or an auditor of an erasure) would observe."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from stack_cfo.core.archive import (
    AI_SUMMARIES,
    CHAT_SESSIONS,
    ArchiveCorrupted,
    ArchiveKeyDestroyed,
    ArchiveKeyMismatch,
    ArchiveNotFound,
    ArchiveStore,
)
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.crypto.envelope import (
    EncryptingArchiveStore,
    InMemoryKeyRing,
    MasterKey,
    MasterKeys,
    rewrap,
)
from stack_cfo.secret import Secret

ALICE = "6f1f4a52-2b8e-4a8e-9d35-6c0a4d1e0a01"
BOB = "0b8d2c71-90aa-4c41-8a38-3e0f5a9e1b02"


class DictStore:
    """A plaintext-blind inner store: keeps exactly the bytes it is given, by sha256 address."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, namespace: str, key: str, data: bytes, *, owner: str) -> str:
        address = "mem://" + hashlib.sha256(data).hexdigest()
        self.blobs[address] = bytes(data)
        return address

    async def get(self, address: str, *, owner: str) -> bytes:
        try:
            return self.blobs[address]
        except KeyError:
            raise ArchiveNotFound(address) from None


def keys(*pairs: tuple[str, bytes], primary: str | None = None) -> MasterKeys:
    return MasterKeys([MasterKey(i, k) for i, k in pairs], primary or pairs[0][0])


K1 = ("k1", os.urandom(32))
K2 = ("k2", os.urandom(32))


@pytest.fixture
def inner() -> DictStore:
    return DictStore()


@pytest.fixture
def ring() -> InMemoryKeyRing:
    return InMemoryKeyRing()


async def test_round_trip_and_inner_store_never_sees_plaintext(inner: DictStore, ring: InMemoryKeyRing) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    assert isinstance(store, ArchiveStore)
    transcript = b'{"messages":[{"role":"user","content":"How is my portfolio doing?"}]}'
    address = await store.put(CHAT_SESSIONS, "session-42", transcript, owner=ALICE)

    assert await store.get(address, owner=ALICE) == transcript
    sealed = inner.blobs[address]
    assert b"portfolio" not in sealed and ALICE.encode() not in sealed and b"session-42" not in sealed
    opened = await store.open(address, owner=ALICE)
    assert (opened.namespace, opened.key, opened.dek_version) == (CHAT_SESSIONS, "session-42", 1)


async def test_same_content_twice_gives_different_blobs(inner: DictStore, ring: InMemoryKeyRing) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    a = await store.put(AI_SUMMARIES, "d1", b"same text", owner=ALICE)
    b = await store.put(AI_SUMMARIES, "d1", b"same text", owner=ALICE)
    assert a != b  # fresh nonce per seal: equal plaintexts are not linkable on public storage


async def test_erase_then_read_fails_for_every_archive_but_new_ones_work(
    inner: DictStore, ring: InMemoryKeyRing
) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    old = [await store.put(CHAT_SESSIONS, f"s{i}", f"chat {i}".encode(), owner=ALICE) for i in range(3)]
    bobs = await store.put(CHAT_SESSIONS, "s9", b"bob's chat", owner=BOB)

    assert await store.erase(ALICE) == 1
    for address in old:
        with pytest.raises(ArchiveKeyDestroyed) as info:
            await store.get(address, owner=ALICE)
        assert info.value.reason == "ARCHIVE_KEY_DESTROYED"
    # the key bytes are really gone, not just flagged
    destroyed = await ring.get_wrapped(ALICE, 1)
    assert destroyed is not None and destroyed.wrapped is None and destroyed.destroyed_at is not None
    # other users are untouched; the erased user can archive again under a new key
    assert await store.get(bobs, owner=BOB) == b"bob's chat"
    fresh = await store.put(CHAT_SESSIONS, "s10", b"after erasure", owner=ALICE)
    assert (await store.open(fresh, owner=ALICE)).dek_version == 2
    with pytest.raises(ArchiveKeyDestroyed):
        await store.get(old[0], owner=ALICE)


async def test_master_key_rotation_keeps_old_archives_readable(inner: DictStore, ring: InMemoryKeyRing) -> None:
    before = EncryptingArchiveStore(inner, ring, keys(K1))
    old = await before.put(CHAT_SESSIONS, "s1", b"sealed under k1", owner=ALICE)

    rotated = EncryptingArchiveStore(inner, ring, keys(K2, K1, primary="k2"))
    assert await rotated.get(old, owner=ALICE) == b"sealed under k1"
    new_user = await rotated.put(CHAT_SESSIONS, "s2", b"bob after rotation", owner=BOB)
    assert (await ring.get_wrapped(BOB)).kek_id == "k2"  # type: ignore[union-attr]
    assert await rotated.get(new_user, owner=BOB) == b"bob after rotation"

    # retiring k1: re-wrap Alice's key under k2, then k1 can leave the configuration
    record = await ring.get_wrapped(ALICE)
    assert record is not None and record.kek_id == "k1"
    wrapped, kek_id = rewrap(record, keys(K2, K1, primary="k2"))
    ring.replace_wrapped(ALICE, record.version, wrapped, kek_id)
    only_k2 = EncryptingArchiveStore(inner, ring, keys(K2))
    assert await only_k2.get(old, owner=ALICE) == b"sealed under k1"


async def test_wrong_master_key_is_a_key_mismatch(inner: DictStore, ring: InMemoryKeyRing) -> None:
    address = await EncryptingArchiveStore(inner, ring, keys(K1)).put(CHAT_SESSIONS, "s", b"x", owner=ALICE)

    impostor = EncryptingArchiveStore(inner, ring, keys(("k1", os.urandom(32))))
    with pytest.raises(ArchiveKeyMismatch) as info:
        await impostor.get(address, owner=ALICE)
    assert info.value.reason == "ARCHIVE_KEY_MISMATCH" and info.value.metadata["kek_id"] == "k1"

    missing = EncryptingArchiveStore(inner, ring, keys(K2))
    with pytest.raises(ArchiveKeyMismatch, match="not configured"):
        await missing.get(address, owner=ALICE)
    with pytest.raises(ArchiveKeyMismatch):  # sealing for her also needs her key unwrapped
        await missing.put(CHAT_SESSIONS, "s2", b"y", owner=ALICE)


async def test_blob_moved_to_another_user_does_not_open(inner: DictStore, ring: InMemoryKeyRing) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    alices = await store.put(CHAT_SESSIONS, "s1", b"alice's secrets", owner=ALICE)
    await store.put(CHAT_SESSIONS, "s2", b"bob has a key too", owner=BOB)

    with pytest.raises(ArchiveCorrupted) as info:
        await store.get(alices, owner=BOB)
    assert info.value.detail == "authentication_failed"

    # the same blob re-stored as if it were Bob's (an attacker copying it over) still fails
    moved = await inner.put(CHAT_SESSIONS, "s1", inner.blobs[alices], owner=BOB)
    with pytest.raises(ArchiveCorrupted):
        await store.get(moved, owner=BOB)

    # a user who never archived anything has no key for it
    with pytest.raises(ArchiveNotFound):
        await store.get(alices, owner="11111111-1111-1111-1111-111111111111")


async def test_namespace_and_key_are_bound(inner: DictStore, ring: InMemoryKeyRing) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    address = await store.put(AI_SUMMARIES, "digest-2026-01-05", b"weekly digest", owner=ALICE)
    assert await store.get(address, owner=ALICE, namespace=AI_SUMMARIES, key="digest-2026-01-05") == b"weekly digest"
    with pytest.raises(ArchiveCorrupted) as info:
        await store.get(address, owner=ALICE, namespace=CHAT_SESSIONS, key="digest-2026-01-05")
    assert info.value.detail == "context_mismatch"


async def test_tampered_blob_is_rejected(inner: DictStore, ring: InMemoryKeyRing) -> None:
    store = EncryptingArchiveStore(inner, ring, keys(K1))
    address = await store.put(CHAT_SESSIONS, "s1", b"original", owner=ALICE)
    blob = bytearray(inner.blobs[address])
    blob[-20] ^= 1
    inner.blobs[address] = bytes(blob)
    with pytest.raises(ArchiveCorrupted) as info:
        await store.get(address, owner=ALICE)
    assert info.value.detail == "authentication_failed"

    inner.blobs[address] = b"not a sealed archive at all"
    with pytest.raises(ArchiveCorrupted) as info:
        await store.get(address, owner=ALICE)
    assert info.value.detail == "malformed"


async def test_concurrent_first_archives_share_one_key(inner: DictStore, ring: InMemoryKeyRing) -> None:
    import asyncio

    store = EncryptingArchiveStore(inner, ring, keys(K1))
    addresses = await asyncio.gather(
        *(store.put(CHAT_SESSIONS, f"s{i}", f"chat {i}".encode(), owner=ALICE) for i in range(5))
    )
    for i, address in enumerate(addresses):
        assert await store.get(address, owner=ALICE) == f"chat {i}".encode()
    assert {(await store.open(a, owner=ALICE)).dek_version for a in addresses} == {1}


def test_master_keys_from_config_forms_and_errors() -> None:
    k_a, k_b = os.urandom(32), os.urandom(32)
    ring = MasterKeys.from_config(Secret(f"new:{base64.b64encode(k_b).decode()},old:{k_a.hex()}"))
    assert ring.primary.kek_id == "new" and set(ring.ids) == {"new", "old"}
    assert "KEY" not in repr(ring) and k_b.hex() not in repr(ring.primary)

    mapping = MasterKeys.from_config({"primary": "old", "keys": {"new": k_b.hex(), "old": k_a.hex()}})
    assert mapping.primary.kek_id == "old"

    for bad in ("", "k1", "k1:short", f"k1:{k_a.hex()},k1:{k_b.hex()}", 42, {"primary": "x", "keys": {}}):
        with pytest.raises(InvalidArgument) as info:
            MasterKeys.from_config(bad)
        assert info.value.metadata["field"] == "archive.master_keys"

    generated, text = MasterKeys.generate("k9")
    assert MasterKeys.from_config(text).primary.kek_id == "k9" and generated.ids == ("k9",)


def test_master_keys_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(MasterKey("k1", os.urandom(32)))

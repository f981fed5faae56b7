"""Sealed row fields (stack_cfo/crypto/fields.py) over an in-memory key ring."""

from __future__ import annotations

import base64
import json
import os
import struct

import pytest

from stack_cfo.crypto import fields
from stack_cfo.crypto.envelope import InMemoryKeyRing, MasterKeys
from stack_cfo.crypto.fields import COMPRESS_FROM, PREFIX, FieldSealer, SealedValueUnreadable, UserKeyDestroyed

ALICE, BOB = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"


KEYS, _ = MasterKeys.generate("k1")


def _sealer(ring: InMemoryKeyRing | None = None, **kw: object) -> tuple[FieldSealer, InMemoryKeyRing]:
    ring = ring or InMemoryKeyRing()
    return FieldSealer(ring, KEYS, **kw), ring  # type: ignore[arg-type]


async def test_round_trip_and_every_part_of_the_identity_is_bound() -> None:
    sealer, _ = _sealer()
    alice = await sealer.cipher(ALICE, create=True)
    token = alice.seal("chat_messages.content", "s1/m1", "Sell my Zebediah shares? ✓")
    assert token.startswith(PREFIX) and "Zebediah" not in token
    assert alice.open("chat_messages.content", "s1/m1", token) == "Sell my Zebediah shares? ✓"
    assert alice.seal("t.c", "r", "same") != alice.seal("t.c", "r", "same")  # fresh nonce each time
    for column, row in (("chat_messages.content", "s1/m2"), ("chat_sessions.title", "s1/m1")):
        with pytest.raises(SealedValueUnreadable):
            alice.open(column, row, token)
    bob = await sealer.cipher(BOB, create=True)
    with pytest.raises((SealedValueUnreadable, UserKeyDestroyed)):
        bob.open("chat_messages.content", "s1/m1", token)


async def test_plaintext_from_before_reads_as_is_and_tampering_is_a_clear_error() -> None:
    sealer, _ = _sealer()
    alice = await sealer.cipher(ALICE, create=True)
    assert alice.open("t.c", "r", "an old plain value") == "an old plain value"
    assert alice.open("t.c", "r", "sc1:not base64!") == "sc1:not base64!"  # not a token: plain text
    token = alice.seal("t.c", "r", "value")
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX):]))
    raw[-5] ^= 0x01  # one bit of the ciphertext (a base64 character near the padding may carry none)
    flipped = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(SealedValueUnreadable) as info:
        alice.open("t.c", "r", flipped)
    assert info.value.reason == "SEALED_VALUE_UNREADABLE" and info.value.metadata == {"column": "t.c"}


async def test_json_values_and_sealing_off() -> None:
    sealer, ring = _sealer()
    alice = await sealer.cipher(ALICE, create=True)
    sealed = alice.seal_json("o.content", "7", {"b": [1, "x"], "a": None})
    assert isinstance(sealed, str) and alice.open_json("o.content", "7", sealed) == {"a": None, "b": [1, "x"]}
    assert alice.open_json("o.content", "7", {"legacy": True}) == {"legacy": True}
    off, _ = _sealer(ring, sealing=False)
    reader = await off.cipher(ALICE, create=True)
    assert reader.seal("t.c", "r", "clear") == "clear"
    assert reader.open("t.c", "r", alice.seal("t.c", "r", "still opens")) == "still opens"


async def test_erasing_the_key_makes_every_copy_unreadable_and_reads_never_create_keys() -> None:
    sealer, ring = _sealer()
    assert (await sealer.cipher(ALICE)).version is None and await ring.get_wrapped(ALICE) is None
    alice = await sealer.cipher(ALICE, create=True)
    backup = alice.seal("t.c", "r", "secret")
    assert await ring.destroy(ALICE) == 1
    # This process still holds the key until it forgets it (the erasure path calls forget; other
    # processes drop it after key_cache_ttl).
    assert (await sealer.cipher(ALICE)).open("t.c", "r", backup) == "secret"
    sealer.forget(ALICE)
    with pytest.raises(UserKeyDestroyed) as info:
        (await sealer.cipher(ALICE)).open("t.c", "r", backup)
    assert info.value.reason == "USER_DATA_KEY_DESTROYED"
    fresh, _ = _sealer(ring)  # a restored backup read by a new process: same
    with pytest.raises(UserKeyDestroyed):
        (await fresh.cipher(ALICE)).open("t.c", "r", backup)
    renewed = await sealer.cipher(ALICE, create=True)  # new data after erasure gets a new key
    assert renewed.version == 2 and renewed.open("t.c", "r", renewed.seal("t.c", "r", "new")) == "new"


async def test_the_key_cache_is_bounded_and_expires() -> None:
    now = [0.0]
    sealer, _ = _sealer(max_users=2, ttl=10.0, timer=lambda: now[0])
    for user in (ALICE, BOB, "00000000-0000-4000-8000-00000000000c"):
        await sealer.cipher(user, create=True)
    assert len(sealer._cache) == 2
    now[0] = 11.0
    assert len(sealer._cache) == 0


async def test_large_texts_are_compressed_before_sealing_and_the_flag_is_authenticated() -> None:
    sealer, _ = _sealer()
    alice = await sealer.cipher(ALICE, create=True)
    snapshot = json.dumps({"positions": [{"symbol": f"S{i:03d}", "quantity": "10", "weight": 0.02}
                                         for i in range(50)]})
    assert len(snapshot.encode()) >= COMPRESS_FROM
    token = alice.seal("ai_receipt_snapshots.data_snapshot", "sha", snapshot)
    assert token.startswith(PREFIX) and len(token) < len(snapshot) / 2  # compressed, then sealed
    assert alice.open("ai_receipt_snapshots.data_snapshot", "sha", token) == snapshot
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX):]))
    assert raw[0] & 0x80  # the compression flag, in the key version's top bit
    raw[0] &= 0x7F  # cleared: the same bytes would now read as uncompressed text
    with pytest.raises(SealedValueUnreadable):
        alice.open("ai_receipt_snapshots.data_snapshot", "sha", PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode())


async def test_short_or_incompressible_texts_and_values_sealed_before_compression_read_as_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sealer, _ = _sealer()
    alice = await sealer.cipher(ALICE, create=True)
    large = "y" * 3000
    with monkeypatch.context() as m:  # compression that would not make it smaller: sealed as it is
        m.setattr(fields.zlib, "compress", lambda data, level: data + b"!")
        sealed_as_is = alice.seal("t.c", "r", large)
    for text, token in (("short", alice.seal("t.c", "r", "short")), (large, sealed_as_is)):
        assert not base64.urlsafe_b64decode(token[len(PREFIX):])[0] & 0x80
        assert alice.open("t.c", "r", token) == text
    # A large value sealed by the previous release (no compression): version header, same associated data.
    big = "x" * 5000
    assert alice.version is not None
    nonce = os.urandom(12)
    body = alice._aead.encrypt(nonce, big.encode(), alice._aad("t.c", "r", alice.version))  # type: ignore[union-attr]
    old = PREFIX + base64.urlsafe_b64encode(struct.pack(">I", alice.version) + nonce + body).decode()
    assert alice.open("t.c", "r", old) == big

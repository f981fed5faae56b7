"""Merkle proofs, flow padding and fee sectors of 0G files (roots themselves: the SDK oracle test)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from stack_cfo.zerog.storage.merkle import (
    CHUNK_SIZE,
    SEGMENT_SIZE,
    Proof,
    ProofError,
    flow_padded_chunks,
    merkle_root,
    merkle_tree,
    num_segments_padded,
    padded_segment_root,
)

KIB, MIB = 1024, 1024 * 1024


@pytest.mark.parametrize(
    ("chunks", "padded"),
    [(1, 1), (2, 2), (3, 3), (5, 5), (16, 16), (17, 18), (1025, 1152), (12289, 13312), (16385, 18432)],
)
def test_flow_padding(chunks: int, padded: int) -> None:
    assert flow_padded_chunks(chunks)[0] == padded


@pytest.mark.parametrize("size", [1, 257, 256 * KIB + 1, 600_000, 3 * MIB + 17, 4 * MIB + 256 * KIB + 5])
def test_every_uploaded_segment_proves_against_the_root(size: int) -> None:
    data = random.Random(size).randbytes(size)
    tree = merkle_tree(data)
    assert tree.num_segments == num_segments_padded(size)
    sent = list(tree.segments())
    assert len(sent) == tree.num_data_segments
    assert b"".join(s.data for s in sent)[:size] == data  # segments carry the file, in order
    for seg in sent:
        assert len(seg.data) % CHUNK_SIZE == 0 and len(seg.data) <= SEGMENT_SIZE
        # the node recomputes the leaf from the bytes it receives, padding included
        leaf = padded_segment_root(seg.index, seg.data, size)
        seg.proof.verify(tree.root, leaf, seg.index, tree.num_segments)
        assert Proof.from_json(seg.to_json()["proof"]) == seg.proof


def test_a_proof_fails_for_other_bytes_positions_and_roots() -> None:
    data = random.Random(1).randbytes(3 * MIB + 17)
    tree = merkle_tree(data)
    seg = tree.segment(5)
    leaf = padded_segment_root(5, seg.data, tree.size)
    n = tree.num_segments

    tampered = bytearray(seg.data)
    tampered[0] ^= 1
    with pytest.raises(ProofError, match="another leaf"):
        seg.proof.verify(tree.root, padded_segment_root(5, bytes(tampered), tree.size), 5, n)
    with pytest.raises(ProofError, match="another position"):
        seg.proof.verify(tree.root, leaf, 6, n)
    with pytest.raises(ProofError, match="another root"):
        seg.proof.verify(merkle_root(data[:-1]), leaf, 5, n)
    forged = replace(seg.proof, lemma=(*seg.proof.lemma[:2], bytes(32), *seg.proof.lemma[3:]))
    with pytest.raises(ProofError, match="does not hash up"):
        forged.verify(tree.root, leaf, 5, n)
    with pytest.raises(ProofError, match="wrong number"):
        replace(seg.proof, lemma=seg.proof.lemma[:-2] + seg.proof.lemma[-1:]).verify(tree.root, leaf, 5, n)
    with pytest.raises(ProofError, match="malformed"):
        Proof.from_json({"lemma": ["0x12"], "path": []})


def test_single_segment_file_has_a_root_only_proof() -> None:
    tree = merkle_tree(b"hello 0G")
    proof = tree.proof(0)
    assert proof.lemma == (tree.root,) and proof.path == ()
    proof.verify(tree.root, padded_segment_root(0, tree.segment(0).data, tree.size), 0, 1)


def test_fee_sectors_are_the_padded_chunks() -> None:
    # 600,000 bytes = 2,344 chunks, padded to 2,560 = nodes of 2^11 and 2^9 chunks
    tree = merkle_tree(bytes(600_000))
    assert [n.height for n in tree.submission_nodes] == [11, 9]
    assert tree.sectors == 2560


def test_one_changed_byte_changes_the_root() -> None:
    data = bytearray(random.Random(3).randbytes(2 * MIB + 3))
    before = merkle_root(bytes(data))
    data[-1] ^= 0x80
    assert merkle_root(bytes(data)) != before


def test_the_root_does_not_commit_to_trailing_zeros_of_the_last_chunk() -> None:
    # 0G zero-fills the last chunk, so b"a" and b"a\0" share a root; the Flow submission carries
    # the length. A download is therefore sealed (EncryptingArchiveStore) so such padding fails.
    assert merkle_root(b"a") == merkle_root(b"a\x00")


def test_fallback_keccak_backend_gives_the_same_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without safe-pysha3 the tree hashes through eth_hash; the bulk helpers must agree."""
    import importlib
    import sys

    from stack_cfo.zerog.storage import _keccak

    data = random.Random(9).randbytes(64 * CHUNK_SIZE)
    fast = (_keccak.hash_pieces(data, CHUNK_SIZE), _keccak.hash_pairs(_keccak.hash_pieces(data, 64)))
    monkeypatch.setitem(sys.modules, "sha3", None)  # makes "from sha3 import ..." fail
    try:
        slow = importlib.reload(_keccak)
        assert slow.BACKEND == "eth_hash"
        assert slow.hash_pieces(data, CHUNK_SIZE) == fast[0]
        assert slow.hash_pairs(slow.hash_pieces(data, 64)) == fast[1]
    finally:
        monkeypatch.delitem(sys.modules, "sha3")
        importlib.reload(_keccak)

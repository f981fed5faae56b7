"""The optional C keccak extension: same digests as eth_hash, same trees and proofs as the pure path."""

from __future__ import annotations

import random

import pytest
from eth_hash.auto import keccak as eth_keccak

from stack_cfo.zerog.storage import merkle
from stack_cfo.zerog.storage.merkle import EmptyDataError, merkle_tree, padded_segment_root, segment_root

ext = pytest.importorskip("stack_cfo.zerog.storage._keccak_ext")

KIB, MIB = 1024, 1024 * 1024
LENGTHS = [*range(501), 135, 136, 137, 271, 272, 273, 1000, 4096, 70_001]


def test_the_merkle_code_uses_the_extension_when_it_is_built() -> None:
    assert merkle.HASH_BULK and merkle._bulk is ext


def test_keccak256_matches_eth_hash_on_every_length() -> None:
    rng = random.Random(7)
    for n in LENGTHS:
        data = rng.randbytes(n)
        assert ext.keccak256(data) == eth_keccak(data), n
    assert ext.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_bulk_digests_match_one_hash_per_piece() -> None:
    rng = random.Random(8)
    for size, chunk in [(0, 256), (1, 256), (255, 256), (256, 256), (257, 256), (5000, 256), (1000, 136), (999, 7)]:
        data = rng.randbytes(size)
        expected = b"".join(eth_keccak(data[i : i + chunk].ljust(chunk, b"\0")) for i in range(0, size, chunk))
        assert ext.leaf_digests(data, chunk) == expected, (size, chunk)
        assert ext.leaf_digests(bytearray(data), chunk=chunk) == expected  # any bytes-like object
        assert ext.leaf_digests(memoryview(data)[:], chunk) == expected
    pairs = rng.randbytes(64 * 300)
    assert ext.pair_digests(pairs) == b"".join(eth_keccak(pairs[i : i + 64]) for i in range(0, len(pairs), 64))
    assert ext.pair_digests(b"") == b""


def test_bulk_digests_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError, match="multiple of 64"):
        ext.pair_digests(bytes(65))
    with pytest.raises(ValueError, match="positive"):
        ext.leaf_digests(b"abc", 0)
    with pytest.raises(TypeError):
        ext.keccak256("text")  # type: ignore[arg-type]
    with pytest.raises(BufferError):
        ext.keccak256(memoryview(bytes(64))[::2])  # not contiguous


def _everything(data: bytes) -> tuple[object, ...]:
    tree = merkle_tree(data)
    proofs = tuple(tree.proof(i) for i in range(tree.num_segments))
    leaves = tuple(padded_segment_root(s.index, s.data, s.file_size) for s in tree.segments())
    return tree.root, tree.segment_roots, tree.submission_nodes, proofs, leaves


@pytest.mark.parametrize(
    "size",
    [1, 255, 256, 257, 4097, 256 * KIB - 1, 256 * KIB, 256 * KIB + 1, 600_000, 2 * MIB + 123, 5 * MIB + 7],
)
def test_c_and_pure_paths_give_the_same_roots_nodes_and_proofs(size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = random.Random(size).randbytes(size)
    with_ext = _everything(data)
    monkeypatch.setattr(merkle, "_bulk", None)
    assert _everything(data) == with_ext


def test_c_and_pure_paths_agree_on_segments_and_empty_input(monkeypatch: pytest.MonkeyPatch) -> None:
    data = random.Random(3).randbytes(1000)
    with_ext = [segment_root(data[:n], pad) for n in (0, 1, 256, 1000) for pad in (0, 1, 5) if n or pad]
    with pytest.raises(EmptyDataError):
        merkle_tree(b"")
    monkeypatch.setattr(merkle, "_bulk", None)
    assert [segment_root(data[:n], pad) for n in (0, 1, 256, 1000) for pad in (0, 1, 5) if n or pad] == with_ext
    with pytest.raises(EmptyDataError):
        merkle_tree(b"")

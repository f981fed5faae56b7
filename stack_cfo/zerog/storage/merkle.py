"""0G Storage content addressing: the file Merkle tree, its segments, proofs and Flow submission.

The rules, as the reference clients apply them (Go ``core/merkle`` and ``core/dataflow.go``, the
TS SDK ``file/MerkleTree`` and ``file/AbstractFile``), re-derived here:

* A file is cut into 256-byte **chunks**; the last one is zero-filled. A leaf is
  ``keccak256(chunk)``; an interior node is ``keccak256(left || right)``.
* **Flow padding**: with ``c`` chunks and ``p2`` the next power of two ``>= c``, the file is padded
  with empty (all-zero) chunks up to a multiple of ``max(1, p2 // 16)`` chunks (a power of two
  stays as it is). Padding chunks hash to :data:`EMPTY_CHUNK_HASH`.
* The padded chunks form **segments** of 1,024 chunks (256 KiB); the last may be shorter.
  A segment root is the tree over its chunk leaves; the **file root** is the tree over the
  segment roots.
* Every tree is built level by level, pairing neighbours left to right; an odd node at the end
  of a level is carried up unchanged (never duplicated).
* An upload proves each segment with a :class:`Proof` against the file root (leaf = segment
  root, position = segment index, leaves = number of padded segments).
* The Flow submission splits the padded chunks into descending powers of two; each
  :class:`SubmissionNode` is the root of that aligned run of chunks with ``height = log2(chunks)``.
  The storage fee is ``sum(2**height) * pricePerSector``.

Hashing: with the optional C extension (:data:`HASH_BULK` true) every level of a tree is one
call that hashes all its nodes; without it, the per-hash helpers of ``_keccak``. Same bytes.

An empty file has no tree: the TS SDK's ``merkleTree()`` yields ``null`` and the Go client
refuses it ("data is empty"), so :func:`merkle_tree` raises :class:`EmptyDataError`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from stack_cfo.zerog.storage._keccak import BACKEND as HASH_BACKEND
from stack_cfo.zerog.storage._keccak import BULK as _bulk
from stack_cfo.zerog.storage._keccak import hash_pairs, hash_pieces, keccak256

__all__ = [
    "CHUNK_SIZE",
    "EMPTY_CHUNK_HASH",
    "HASH_BACKEND",
    "HASH_BULK",
    "SEGMENT_MAX_CHUNKS",
    "SEGMENT_SIZE",
    "EmptyDataError",
    "FileMerkleTree",
    "Proof",
    "ProofError",
    "SegmentWithProof",
    "SubmissionNode",
    "flow_padded_chunks",
    "keccak256",
    "merkle_root",
    "merkle_tree",
    "num_chunks",
    "num_segments_padded",
    "padded_segment_root",
    "segment_root",
    "tree_root",
]

CHUNK_SIZE = 256
SEGMENT_MAX_CHUNKS = 1024
SEGMENT_SIZE = CHUNK_SIZE * SEGMENT_MAX_CHUNKS
_SEGMENT_DEPTH = SEGMENT_MAX_CHUNKS.bit_length() - 1  # 10 levels of pairing in a full segment
EMPTY_CHUNK_HASH = keccak256(bytes(CHUNK_SIZE))
HASH_BULK = _bulk is not None  # the C extension is in use (tests switch ``_bulk`` off to compare)
_HASH_SIZE = 32


class EmptyDataError(ValueError):
    """0G Storage has no Merkle tree (and so no address) for a zero-byte file."""


class ProofError(ValueError):
    """A Merkle proof does not prove the claimed leaf at the claimed position under the root."""


def num_chunks(size: int) -> int:
    """Chunks a ``size``-byte file occupies (the last one zero-filled)."""
    return -(-size // CHUNK_SIZE)


def _next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def flow_padded_chunks(chunks: int) -> tuple[int, int]:
    """``(padded_chunks, next_pow2)`` for a file of ``chunks`` chunks (0G's flow padding)."""
    pow2 = _next_pow2(chunks)
    if pow2 == chunks:
        return chunks, pow2
    unit = pow2 // 16 if pow2 >= 16 else 1
    return -(-chunks // unit) * unit, pow2


def num_segments_padded(size: int) -> int:
    """Segments of the flow-padded file: the number of leaves of the file tree."""
    padded, _ = flow_padded_chunks(num_chunks(size))
    return -(-padded // SEGMENT_MAX_CHUNKS)


def _split_hashes(blob: bytes) -> list[bytes]:
    """Concatenated 32-byte hashes, one list item each."""
    ends = range(_HASH_SIZE, len(blob) + _HASH_SIZE, _HASH_SIZE)
    return list(map(blob.__getitem__, map(slice, range(0, len(blob), _HASH_SIZE), ends)))


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """All levels of the tree over ``leaves``, bottom first; the odd last node is carried up."""
    levels = [leaves]
    level = leaves
    while len(level) > 1:
        if _bulk is not None:
            paired = (len(level) & ~1) * _HASH_SIZE
            upper = _split_hashes(_bulk.pair_digests(memoryview(b"".join(level))[:paired]))
        else:
            upper = hash_pairs(level)  # ignores a trailing odd node...
        if len(level) % 2:
            upper.append(level[-1])  # ...which is carried up as it is
        levels.append(upper)
        level = upper
    return levels


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the 0G tree over leaf hashes (at least one)."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    return _levels(list(leaves))[-1][0]


def _chunk_leaves(data: bytes | memoryview) -> list[bytes]:
    """Leaf hashes of ``data`` cut into chunks, the last one zero-filled."""
    view = memoryview(data).cast("B")
    if _bulk is not None:
        return _split_hashes(_bulk.leaf_digests(view, CHUNK_SIZE))  # zero-fills the last chunk too
    whole = len(view) - len(view) % CHUNK_SIZE
    leaves = hash_pieces(view[:whole], CHUNK_SIZE)
    if whole < len(view):
        leaves.append(keccak256(bytes(view[whole:]).ljust(CHUNK_SIZE, b"\0")))
    return leaves


def segment_root(chunks: bytes | memoryview, empty_chunks: int = 0) -> bytes:
    """Root of one segment: its chunk leaves, then ``empty_chunks`` padding leaves."""
    leaves = _chunk_leaves(chunks) + [EMPTY_CHUNK_HASH] * empty_chunks
    return tree_root(leaves)


def padded_segment_root(index: int, data: bytes | memoryview, file_size: int) -> bytes:
    """The leaf a storage node expects for uploaded segment ``index`` of a ``file_size``-byte file.

    ``data`` is the segment as uploaded (whole chunks; the last data segment stops at the last
    data chunk). The padding chunks that the flow layout puts in this segment are added back.
    """
    chunks = num_chunks(file_size)
    padded, _ = flow_padded_chunks(chunks)
    segments = -(-padded // SEGMENT_MAX_CHUNKS)
    start = index * SEGMENT_MAX_CHUNKS
    in_segment = max(0, min(start + SEGMENT_MAX_CHUNKS, chunks) - start)
    if len(data) != in_segment * CHUNK_SIZE or in_segment == 0:
        raise ValueError(f"segment {index} must hold {in_segment * CHUNK_SIZE} bytes, got {len(data)}")
    expected = min(SEGMENT_MAX_CHUNKS, padded - start) if index == segments - 1 else SEGMENT_MAX_CHUNKS
    return segment_root(data, max(0, expected - in_segment))


def _full_segment_roots(data: bytes | memoryview, segments: int) -> list[bytes]:
    """Roots of ``segments`` full segments whose first ``len(data)`` bytes are ``data``."""
    if _bulk is not None and segments:
        # The same rounds on one buffer of concatenated hashes: eleven calls for any file size.
        level = _bulk.leaf_digests(memoryview(data).cast("B"), CHUNK_SIZE)
        level += EMPTY_CHUNK_HASH * (segments * SEGMENT_MAX_CHUNKS - len(level) // _HASH_SIZE)
        for _ in range(_SEGMENT_DEPTH):
            level = _bulk.pair_digests(level)
        return _split_hashes(level)
    leaves = _chunk_leaves(data)
    leaves.extend([EMPTY_CHUNK_HASH] * (segments * SEGMENT_MAX_CHUNKS - len(leaves)))
    # Full segments are complete trees of 1,024 leaves: pairing over all of them at once
    # never crosses a segment boundary, so ten rounds give every full segment's root.
    for _ in range(_SEGMENT_DEPTH if leaves else 0):
        leaves = hash_pairs(leaves)
    return leaves


@dataclass(frozen=True, slots=True)
class Proof:
    """A Merkle path in 0G's shape.

    ``lemma`` is ``[leaf, siblings bottom-up..., root]`` (just ``[root]`` for a one-leaf tree);
    ``path[i]`` is True when the node proven at that step is the left child.
    """

    lemma: tuple[bytes, ...]
    path: tuple[bool, ...]

    def to_json(self) -> dict[str, Any]:
        return {"lemma": ["0x" + h.hex() for h in self.lemma], "path": list(self.path)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Proof:
        try:
            lemma = tuple(bytes.fromhex(_strip0x(h)) for h in obj["lemma"])
            path = tuple(bool(p) for p in obj["path"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProofError(f"malformed proof: {exc}") from exc
        if any(len(h) != 32 for h in lemma) or any(not isinstance(p, bool) for p in obj["path"]):
            raise ProofError("malformed proof: hashes must be 32 bytes and path entries booleans")
        return cls(lemma, path)

    def position(self, num_leaves: int) -> int:
        """The leaf index this path leads to in a tree of ``num_leaves`` leaves."""
        position = 0
        for is_left in reversed(self.path):
            left_leaves = (1 << (num_leaves - 1).bit_length()) >> 1 if num_leaves > 0 else 0
            if is_left:
                num_leaves = left_leaves
            else:
                position += left_leaves
                num_leaves -= left_leaves
        return position

    def verify(self, root: bytes, leaf: bytes, position: int, num_leaves: int) -> None:
        """Raise :class:`ProofError` unless this proves ``leaf`` at ``position`` under ``root``."""
        if len(self.lemma) != (1 if not self.path else len(self.path) + 2):
            raise ProofError("proof has the wrong number of hashes for its path")
        if self.lemma[0] != leaf:
            raise ProofError("proof is for another leaf")
        if self.lemma[-1] != root:
            raise ProofError("proof is for another root")
        if self.position(num_leaves) != position:
            raise ProofError(f"proof leads to another position than {position}")
        node = self.lemma[0]
        for is_left, sibling in zip(self.path, self.lemma[1:-1], strict=True):
            node = keccak256(node + sibling if is_left else sibling + node)
        if node != root:
            raise ProofError("proof does not hash up to the root")


@dataclass(frozen=True, slots=True)
class SubmissionNode:
    """One node of a Flow submission: the root of ``2**height`` aligned chunks."""

    root: bytes
    height: int


@dataclass(frozen=True, slots=True)
class SegmentWithProof:
    """A segment as pushed to a storage node (``zgs_uploadSegmentsByTxSeq``)."""

    root: bytes
    index: int
    data: bytes
    proof: Proof
    file_size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "root": "0x" + self.root.hex(),
            "data": base64.b64encode(self.data).decode("ascii"),
            "index": self.index,
            "proof": self.proof.to_json(),
            "fileSize": self.file_size,
        }


class FileMerkleTree:
    """The Merkle tree of one file: root, segment roots, proofs, upload segments, submission."""

    def __init__(self, data: bytes) -> None:
        size = len(data)
        if size == 0:
            raise EmptyDataError("0G Storage cannot address an empty file (the SDKs build no tree for it)")
        self._data = data
        self.size = size
        self.num_chunks = num_chunks(size)
        self.padded_chunks, self._pow2 = flow_padded_chunks(self.num_chunks)

        full_segments = self.padded_chunks // SEGMENT_MAX_CHUNKS
        full_chunks = full_segments * SEGMENT_MAX_CHUNKS
        view = memoryview(data)
        data_in_full = min(size, full_chunks * CHUNK_SIZE)
        segment_roots = _full_segment_roots(view[:data_in_full], full_segments)

        tail_chunks = self.padded_chunks - full_chunks
        self._tail_leaves: list[bytes] = []
        if tail_chunks:
            tail = _chunk_leaves(view[data_in_full:])
            tail.extend([EMPTY_CHUNK_HASH] * (tail_chunks - len(tail)))
            self._tail_leaves = tail
            segment_roots.append(tree_root(tail))

        self.segment_roots: tuple[bytes, ...] = tuple(segment_roots)
        self._levels = _levels(segment_roots)
        self.root: bytes = self._levels[-1][0]

    @property
    def num_segments(self) -> int:
        """Leaves of the file tree (segments of the padded file)."""
        return len(self.segment_roots)

    @property
    def num_data_segments(self) -> int:
        """Segments that carry file bytes: the ones an upload sends."""
        return -(-self.num_chunks // SEGMENT_MAX_CHUNKS)

    def proof(self, index: int) -> Proof:
        """Proof of segment ``index`` against :attr:`root`."""
        if not 0 <= index < self.num_segments:
            raise IndexError(f"segment {index} out of range 0..{self.num_segments - 1}")
        if self.num_segments == 1:
            return Proof((self.root,), ())
        lemma = [self._levels[0][index]]
        path: list[bool] = []
        for level in self._levels[:-1]:
            if index % 2:
                lemma.append(level[index - 1])
                path.append(False)
            elif index + 1 < len(level):
                lemma.append(level[index + 1])
                path.append(True)
            index //= 2
        lemma.append(self.root)
        return Proof(tuple(lemma), tuple(path))

    def segment(self, index: int) -> SegmentWithProof:
        """Data segment ``index`` with its proof; the last one stops at the last data chunk."""
        if not 0 <= index < self.num_data_segments:
            raise IndexError(f"data segment {index} out of range 0..{self.num_data_segments - 1}")
        start = index * SEGMENT_SIZE
        end = min(start + SEGMENT_SIZE, self.num_chunks * CHUNK_SIZE)
        data = self._data[start:end].ljust(end - start, b"\0")
        return SegmentWithProof(self.root, index, data, self.proof(index), self.size)

    def segments(self) -> Iterator[SegmentWithProof]:
        for index in range(self.num_data_segments):
            yield self.segment(index)

    @cached_property
    def submission_nodes(self) -> tuple[SubmissionNode, ...]:
        """The Flow submission's nodes: descending power-of-two runs of the padded chunks."""
        nodes: list[SubmissionNode] = []
        offset = 0
        remaining = self.padded_chunks
        size = self._pow2
        while remaining:
            if remaining >= size:
                nodes.append(SubmissionNode(self._run_root(offset, size), size.bit_length() - 1))
                offset += size
                remaining -= size
            size //= 2
        return tuple(nodes)

    @property
    def sectors(self) -> int:
        """Sectors the fee is charged for: ``sum(2**height)`` over the submission nodes."""
        return sum(1 << node.height for node in self.submission_nodes)

    def _run_root(self, offset: int, chunks: int) -> bytes:
        # Runs of a segment or more cover whole full segments; shorter runs lie in the tail.
        if chunks >= SEGMENT_MAX_CHUNKS:
            first = offset // SEGMENT_MAX_CHUNKS
            return tree_root(self.segment_roots[first : first + chunks // SEGMENT_MAX_CHUNKS])
        start = offset - (self.padded_chunks - len(self._tail_leaves))
        return tree_root(self._tail_leaves[start : start + chunks])


def merkle_tree(data: bytes) -> FileMerkleTree:
    """Build the 0G Merkle tree of ``data``; raises :class:`EmptyDataError` for ``b""``."""
    return FileMerkleTree(bytes(data))


def merkle_root(data: bytes) -> bytes:
    """The 32-byte 0G root hash of ``data`` (the content address is ``0x`` + its hex)."""
    return merkle_tree(data).root


def _strip0x(value: str) -> str:
    return value[2:] if value[:2] in ("0x", "0X") else value

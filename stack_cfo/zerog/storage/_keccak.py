"""Keccak-256 in bulk: the one primitive the 0G Merkle tree spends its time in.

A 16 MiB file is 65,536 leaf hashes plus 65,535 interior hashes, so the cost per call matters
more than the speed of the permutation. ``safe-pysha3`` (a small C extension) has the cheapest
call; ``eth_hash`` (pycryptodome behind it) is the fallback that always exists because
``eth-account`` depends on it. Loops stay inside ``map`` so the interpreter does not run one
bytecode loop iteration per hash.

Faster still is :data:`BULK`, the optional C extension ``_keccak_ext`` built at install time: it
hashes a whole level of the tree per call (no Python work per hash). When it is not importable
(no compiler at install time, another interpreter) :data:`BULK` is ``None`` and the Merkle code
uses the per-hash helpers below; both give the same bytes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Protocol


class BulkKeccak(Protocol):
    """What ``_keccak_ext`` offers (see ``_keccak_ext.pyi``)."""

    def keccak256(self, data: bytes | bytearray | memoryview, /) -> bytes: ...

    def leaf_digests(self, data: bytes | bytearray | memoryview, chunk: int = 256) -> bytes: ...

    def pair_digests(self, data: bytes | bytearray | memoryview, /) -> bytes: ...


BULK: BulkKeccak | None
try:  # pragma: no cover - which branch runs depends on the build
    from stack_cfo.zerog.storage import _keccak_ext

    BULK = _keccak_ext
except ImportError:  # pragma: no cover
    BULK = None

BACKEND: str
_new: Callable[[bytes | memoryview], object] | None
keccak256: Callable[[bytes], bytes]

try:  # pragma: no cover - which branch runs depends on the environment
    from sha3 import keccak_256 as _pysha3

    def _keccak256_pysha3(data: bytes) -> bytes:
        return _pysha3(data).digest()

    keccak256 = _keccak256_pysha3
    _new = _pysha3
    _digest: Callable[[object], bytes] = _pysha3.digest
    BACKEND = "pysha3"
except ImportError:  # pragma: no cover
    from eth_hash.auto import keccak as _eth_keccak

    def _keccak256_eth(data: bytes) -> bytes:
        return _eth_keccak(bytes(data))

    keccak256 = _keccak256_eth
    _new = None
    BACKEND = "eth_hash"


def hash_pieces(data: bytes | memoryview, piece: int) -> list[bytes]:
    """keccak256 of every ``piece``-byte slice of ``data`` (``len(data)`` is a multiple of ``piece``)."""
    n = len(data)
    view = memoryview(data)
    slices = map(slice, range(0, n, piece), range(piece, n + piece, piece))
    if _new is not None:
        return list(map(_digest, map(_new, map(view.__getitem__, slices))))
    return [keccak256(bytes(view[s])) for s in slices]


def hash_pairs(level: list[bytes]) -> list[bytes]:
    """keccak256(left || right) of consecutive pairs; ``len(level)`` must be even."""
    joined = map(operator.add, level[0::2], level[1::2])
    if _new is not None:
        return list(map(_digest, map(_new, joined)))
    return list(map(keccak256, joined))

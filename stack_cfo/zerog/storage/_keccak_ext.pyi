"""Bulk Ethereum keccak256 for the 0G Storage Merkle tree (optional C accelerator, ``_keccak_ext.c``)."""

from typing_extensions import Buffer

def keccak256(data: Buffer, /) -> bytes:
    """The 32-byte keccak256 digest of ``data``."""

def leaf_digests(data: Buffer, chunk: int = 256) -> bytes:
    """keccak256 of each consecutive ``chunk``-byte piece, concatenated (32 bytes each).

    A shorter last piece is zero-filled to ``chunk`` bytes before hashing; ``b""`` gives ``b""``.
    """

def pair_digests(data: Buffer, /) -> bytes:
    """keccak256 of each consecutive 64-byte piece (``left || right``), concatenated.

    ``len(data)`` must be a multiple of 64 (``ValueError`` otherwise).
    """

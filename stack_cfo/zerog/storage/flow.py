"""The slice of the 0G Flow and market contracts an upload touches (ABI of SDK 1.2.8's FixedPriceFlow).

::

    Flow.market() view returns (address)
    Market.pricePerSector() view returns (uint256)
    Flow.submit(Submission{SubmissionData{uint256 length, bytes tags, SubmissionNode{bytes32 root,
                uint256 height}[] nodes}, address submitter}) payable
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex,
                 uint256 startPos, uint256 length, SubmissionData submission)

``submissionIndex`` is the file's ``txSeq``; ``startPos`` its first entry (chunk) in the flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from stack_cfo.zerog.storage.merkle import SubmissionNode

_DATA = "(uint256,bytes,(bytes32,uint256)[])"
SUBMIT_SELECTOR = keccak(text=f"submit(({_DATA},address))")[:4]
SUBMIT_TOPIC = keccak(text=f"Submit(address,bytes32,uint256,uint256,uint256,{_DATA})")
MARKET_SELECTOR = keccak(text="market()")[:4]
PRICE_PER_SECTOR_SELECTOR = keccak(text="pricePerSector()")[:4]


def encode_submit(length: int, tags: bytes, nodes: Sequence[SubmissionNode], submitter: str) -> bytes:
    """Calldata of ``Flow.submit``."""
    data = (length, tags, [(n.root, n.height) for n in nodes])
    return SUBMIT_SELECTOR + encode([f"({_DATA},address)"], [(data, to_checksum_address(submitter))])


def decode_address(ret: bytes) -> str:
    (addr,) = decode(["address"], ret)
    return to_checksum_address(addr)


def decode_uint(ret: bytes) -> int:
    (value,) = decode(["uint256"], ret)
    return int(value)


@dataclass(frozen=True, slots=True)
class SubmitEvent:
    """A decoded ``Submit`` log."""

    sender: str
    identity: bytes
    tx_seq: int
    start_pos: int
    length: int
    data_length: int
    tags: bytes
    nodes: tuple[SubmissionNode, ...]


def submit_events(receipt: Mapping[str, Any], flow_address: str) -> list[SubmitEvent]:
    """Every ``Submit`` event the Flow contract emitted in ``receipt`` (malformed logs are skipped)."""
    flow = flow_address.lower()
    events: list[SubmitEvent] = []
    for log in receipt.get("logs") or []:
        try:
            topics = [bytes.fromhex(str(t)[2:]) for t in log.get("topics") or []]
            if str(log.get("address", "")).lower() != flow or len(topics) != 3 or topics[0] != SUBMIT_TOPIC:
                continue
            index, start, length, (data_length, tags, nodes) = decode(
                ["uint256", "uint256", "uint256", _DATA], bytes.fromhex(str(log["data"])[2:])
            )
        except (DecodingError, ValueError, TypeError, KeyError, AttributeError):
            continue
        events.append(
            SubmitEvent(
                sender=to_checksum_address(topics[1][-20:]),
                identity=topics[2],
                tx_seq=int(index),
                start_pos=int(start),
                length=int(length),
                data_length=int(data_length),
                tags=bytes(tags),
                nodes=tuple(SubmissionNode(bytes(root), int(height)) for root, height in nodes),
            )
        )
    return events

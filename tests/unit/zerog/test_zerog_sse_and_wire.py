"""SSE decoding at any chunk boundary, Retry-After, the provider's balance text, ABI round-trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from eth_abi import encode

from stack_cfo.zerog.contracts import ACCOUNT, GET_ACCOUNT, GET_ALL_SERVICES, SERVICE, AccountRecord, ServiceRecord
from stack_cfo.zerog.funding import parse_insufficient
from stack_cfo.zerog.sse import SSEDecoder
from stack_cfo.zerog.transport import parse_retry_after

STREAM = (
    b": keep-alive comment\n\n"
    b'data: {"choices":[{"delta":{"content":"H\xc3\xa9llo"}}]}\n\n'
    b"event: message\nid: 7\n"
    b'data: {"a":\n'
    b"data: 1}\n\n"
    b"retry: 1000\n"
    b"data:[DONE]\n\n"
)
EXPECTED = ['{"choices":[{"delta":{"content":"Héllo"}}]}', '{"a":\n1}', "[DONE]"]


def decode_in_pieces(data: bytes, size: int) -> list[str]:
    d = SSEDecoder()
    out: list[str] = []
    for i in range(0, len(data), size):
        out.extend(d.feed(data[i : i + size]))
    out.extend(d.flush())
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_events_survive_any_chunk_boundary(size: int):
    assert decode_in_pieces(STREAM, size) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
@pytest.mark.parametrize("size", [1, 5, 10_000])
def test_crlf_and_cr_line_ends(newline: bytes, size: int):
    assert decode_in_pieces(STREAM.replace(b"\n", newline), size) == EXPECTED


def test_bom_and_unterminated_last_event():
    assert decode_in_pieces(b"\xef\xbb\xbfdata: x\n\ndata: tail", 3) == ["x", "tail"]


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0 ") == 0.0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    when = format_datetime(now + timedelta(seconds=5), usegmt=True)
    assert parse_retry_after(when, now=now.timestamp()) == pytest.approx(5.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_provider_insufficient_balance_text():
    text = (
        "validate request: insufficient balance: your locked balance is 0.250000 0G, but the required minimum "
        "is 1.750000 0G (breakdown: ...)"
    )
    assert parse_insufficient(text) == (25 * 10**16, 175 * 10**16)
    assert parse_insufficient("insufficient balance, total fee of 5 exceeds") is None


def test_service_and_account_decoding():
    svc = (
        "0x" + "11" * 20,
        "chatbot",
        "https://p.example/",
        100,
        490,
        1_760_000_000,
        "gpt-oss-120b",
        "TeeML",
        json.dumps({"TargetSeparated": True, "TargetTeeAddress": "0x" + "22" * 20, "ProviderType": "decentralized"}),
        "0x" + "33" * 20,
        True,
    )
    (page, total) = GET_ALL_SERVICES.decode_result(encode([f"{SERVICE}[]", "uint256"], [[svc], 7]))
    rec = ServiceRecord.from_tuple(page[0])
    assert total == 7
    assert rec.url == "https://p.example" and rec.model == "gpt-oss-120b" and rec.verifiable
    assert rec.expected_signer.lower() == "0x" + "22" * 20  # TargetSeparated wins over the TEE signer
    assert rec.fee(10, 20) == 10 * 100 + 20 * 490
    centralized = ServiceRecord.from_tuple(
        (
            *svc[:8],
            json.dumps({"TargetSeparated": True, "ProviderType": "centralized", "TargetTeeAddress": "0x" + "22" * 20}),
            *svc[9:],
        )
    )
    assert centralized.expected_signer.lower() == "0x" + "33" * 20

    acct = ("0x" + "44" * 20, "0x" + "11" * 20, 0, 5 * 10**18, 10**18, [(0, 10**18, 1, False)], "", True, 1, 2, 0)
    (raw,) = GET_ACCOUNT.decode_result(encode([ACCOUNT], [acct]))
    a = AccountRecord.from_tuple(raw)
    assert a.available == 4 * 10**18 and a.generation == 2 and a.acknowledged

"""The ``app-sk-`` session token: a known-answer test derived independently, and the per-provider cache."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime

import pytest
from eth_account import Account
from eth_hash.auto import keccak as keccak256
from eth_keys import keys

from stack_cfo.core.clock import FrozenClock
from stack_cfo.zerog.session_token import SessionTokens, sign_session_token
from tests.support.node import ensure_node_modules

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
PROVIDER = "0xBB3f5b0b5062CB5B3245222C5917afD1f6e13aF6"
TS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NONCE = "00112233445566778899aabbccddeeff"

# What the provider will parse: the exact text, in this key order, compact.
EXPECTED_JSON = (
    '{"address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",'
    '"provider":"0xBB3f5b0b5062CB5B3245222C5917afD1f6e13aF6",'
    '"timestamp":1767225600000,"expiresAt":1767312000000,'
    '"nonce":"00112233445566778899aabbccddeeff","generation":3,"tokenId":255}'
)


def independent_header(json_text: str, key_hex: str) -> str:
    """Derived without eth-account's message helpers: raw keccak, the EIP-191 prefix by hand,
    secp256k1 signing with eth_keys, v shifted to 27/28."""
    digest = keccak256(json_text.encode())
    prefixed = keccak256(b"\x19Ethereum Signed Message:\n32" + digest)
    sig = keys.PrivateKey(bytes.fromhex(key_hex[2:])).sign_msg_hash(prefixed)
    raw_sig = sig.r.to_bytes(32, "big") + sig.s.to_bytes(32, "big") + bytes([sig.v + 27])
    return "Bearer app-sk-" + base64.b64encode(f"{json_text}|0x{raw_sig.hex()}".encode()).decode()


def test_known_answer():
    account = Account.from_key(KEY)
    assert account.address == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    token = sign_session_token(account, PROVIDER.lower(), timestamp_ms=TS, generation=3, nonce=NONCE)
    assert token.raw_json == EXPECTED_JSON
    assert token.authorization == independent_header(EXPECTED_JSON, KEY)
    assert token.expires_at_ms - token.timestamp_ms == 86_400_000
    # the payload round-trips the way the provider splits it: on the first "|"
    decoded = base64.b64decode(token.authorization.removeprefix("Bearer app-sk-")).decode()
    raw, _, sig = decoded.partition("|")
    assert raw == EXPECTED_JSON and sig.startswith("0x") and len(sig) == 132
    assert sig[-2:] in ("1b", "1c")  # v = 27/28


def test_matches_ethers_the_library_the_official_sdk_signs_with():
    _ORACLE = ensure_node_modules() / "ethers"
    script = (
        "const {Wallet, keccak256, toUtf8Bytes, getBytes} = require('ethers');"
        "const [key, raw] = process.argv.slice(1);"
        "new Wallet(key).signMessage(getBytes(keccak256(toUtf8Bytes(raw))))"
        ".then(sig => console.log('Bearer app-sk-' + Buffer.from(raw + '|' + sig).toString('base64')));"
    )
    out = subprocess.run(
        ["node", "-e", script, KEY, EXPECTED_JSON],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={"NODE_PATH": str(_ORACLE.parent), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    ).stdout.strip()
    token = sign_session_token(Account.from_key(KEY), PROVIDER, timestamp_ms=TS, generation=3, nonce=NONCE)
    assert token.authorization == out


def test_rejects_ephemeral_tokens_longer_than_a_day():
    with pytest.raises(ValueError):
        sign_session_token(Account.from_key(KEY), PROVIDER, timestamp_ms=TS, ttl_ms=86_400_001)


def test_repr_hides_the_bearer_value():
    token = sign_session_token(Account.from_key(KEY), PROVIDER, timestamp_ms=TS, nonce=NONCE)
    assert "app-sk" not in repr(token) and token.signature not in repr(token)


async def test_cache_reuses_renews_and_rereads_generation():
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    generations = iter([0, 0, 5])
    reads: list[str] = []

    async def generation_of(provider: str) -> int:
        reads.append(provider)
        return next(generations)

    tokens = SessionTokens(Account.from_key(KEY), generation_of, clock=clock)
    first = await tokens.token(PROVIDER)
    assert await tokens.token(PROVIDER) is first
    clock.advance(hours=22, minutes=59)  # 61 minutes left
    assert await tokens.token(PROVIDER) is first
    clock.advance(minutes=2)  # 59 minutes left: renewed
    second = await tokens.token(PROVIDER)
    assert second is not first and second.timestamp_ms == int(clock.now().timestamp() * 1000)
    tokens.invalidate(PROVIDER)  # e.g. "revoked (generation expired)"
    third = await tokens.token(PROVIDER)
    assert third.generation == 5
    assert len(reads) == 3 and tokens.issued == 3
    assert json.loads(third.raw_json)["generation"] == 5

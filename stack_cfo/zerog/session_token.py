"""The ``app-sk-`` session token that authenticates every direct-mode request to a provider.

Format (what current provider brokers validate; see research/zerog.md §1.3)::

    json   = {"address":<wallet>,"provider":<provider>,"timestamp":<ms>,"expiresAt":<ms>,
              "nonce":<random hex>,"generation":<account generation>,"tokenId":255}
             (this key order, compact separators)
    digest = keccak256(utf8(json))
    sig    = EIP-191 personal_sign of the 32 digest bytes -> 0x + r||s||v (v = 27/28)
    header = "Bearer app-sk-" + base64std(utf8(json + "|" + sig))

Ephemeral tokens (``tokenId`` 255) must expire within 24 h of ``timestamp``; the provider
compares ``generation`` with ``InferenceServing.getAccount(user, provider).generation`` and
rejects older ones ("revoked (generation expired)").
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from stack_cfo.core.clock import Clock, SystemClock

EPHEMERAL_TOKEN_ID = 255
MAX_EPHEMERAL_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class SessionToken:
    """A signed token. ``authorization`` is the full header value; it is a bearer credential."""

    raw_json: str
    signature: str
    authorization: str
    provider: str
    timestamp_ms: int
    expires_at_ms: int
    generation: int

    def __repr__(self) -> str:
        return (
            f"SessionToken(provider={self.provider!r}, generation={self.generation}, "
            f"expires_at_ms={self.expires_at_ms}, authorization='***')"
        )


def token_json(
    address: str,
    provider: str,
    *,
    timestamp_ms: int,
    expires_at_ms: int,
    nonce: str,
    generation: int,
    token_id: int = EPHEMERAL_TOKEN_ID,
) -> str:
    """The exact JSON text that is hashed and signed (key order matters)."""
    return json.dumps(
        {
            "address": address,
            "provider": provider,
            "timestamp": timestamp_ms,
            "expiresAt": expires_at_ms,
            "nonce": nonce,
            "generation": generation,
            "tokenId": token_id,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def sign_session_token(
    account: LocalAccount,
    provider: str,
    *,
    timestamp_ms: int,
    ttl_ms: int = MAX_EPHEMERAL_MS,
    generation: int = 0,
    nonce: str | None = None,
    token_id: int = EPHEMERAL_TOKEN_ID,
) -> SessionToken:
    """Build and sign one token. ``nonce`` defaults to 16 random bytes in hex."""
    if token_id == EPHEMERAL_TOKEN_ID and not 0 < ttl_ms <= MAX_EPHEMERAL_MS:
        raise ValueError("ephemeral tokens must expire within 24 h")
    provider = to_checksum_address(provider)
    expires = timestamp_ms + ttl_ms
    raw = token_json(
        account.address,
        provider,
        timestamp_ms=timestamp_ms,
        expires_at_ms=expires,
        nonce=nonce if nonce is not None else secrets.token_hex(16),
        generation=generation,
        token_id=token_id,
    )
    digest = keccak(raw.encode("utf-8"))
    signed = Account.sign_message(encode_defunct(primitive=digest), account.key)
    sig_hex = "0x" + bytes(signed.signature).hex()
    payload = base64.b64encode(f"{raw}|{sig_hex}".encode()).decode("ascii")
    return SessionToken(
        raw_json=raw,
        signature=sig_hex,
        authorization="Bearer app-sk-" + payload,
        provider=provider,
        timestamp_ms=timestamp_ms,
        expires_at_ms=expires,
        generation=generation,
    )


GenerationSource = Callable[[str], Awaitable[int]]


class SessionTokens:
    """One cached ephemeral token per provider, renewed before it runs out.

    ``generation_of(provider)`` reads the account generation from the chain; it is called
    when a token is (re)built, so a revocation (``revokeAllTokens``) is picked up by
    :meth:`invalidate` followed by the next :meth:`authorization`.
    """

    def __init__(
        self,
        account: LocalAccount,
        generation_of: GenerationSource,
        *,
        clock: Clock | None = None,
        ttl: float = 86_400.0,
        renew_before: float = 3_600.0,
    ) -> None:
        self._account = account
        self._generation_of = generation_of
        self._clock = clock or SystemClock()
        self._ttl_ms = int(ttl * 1000)
        self._renew_before_ms = int(renew_before * 1000)
        self._tokens: dict[str, SessionToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.issued = 0  # tokens signed so far (observability, tests)

    def __repr__(self) -> str:
        return f"SessionTokens(address={self._account.address!r}, cached={len(self._tokens)})"

    @property
    def address(self) -> str:
        return self._account.address

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    def _fresh(self, token: SessionToken | None, now_ms: int) -> bool:
        return token is not None and token.expires_at_ms - now_ms > self._renew_before_ms

    async def token(self, provider: str) -> SessionToken:
        """A valid token for ``provider``: the cached one, or a new one."""
        key = provider.lower()
        token = self._tokens.get(key)
        if self._fresh(token, self._now_ms()):
            assert token is not None
            return token
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            token = self._tokens.get(key)
            now = self._now_ms()
            if self._fresh(token, now):
                assert token is not None
                return token
            generation = await self._generation_of(provider)
            token = sign_session_token(
                self._account, provider, timestamp_ms=self._now_ms(), ttl_ms=self._ttl_ms, generation=generation
            )
            self._tokens[key] = token
            self.issued += 1
            return token

    async def authorization(self, provider: str) -> str:
        """The ``Authorization`` header value for ``provider``."""
        return (await self.token(provider)).authorization

    def invalidate(self, provider: str) -> None:
        """Forget the cached token (after the provider refused it)."""
        self._tokens.pop(provider.lower(), None)

"""Signing keys of identity providers, from their JWKS URLs.

Keys are cached by key id. A token naming a key id not in the cache refetches the sets (a
provider rotating its keys publishes the new one before using it), but at most once per
``min_refresh`` per process, so tokens with made-up key ids cannot turn us into a flood of
requests to the provider; the sets are also refetched after ``max_age`` whatever the tokens
say. One fetch runs at a time; a failed fetch keeps the keys we had.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import jwt

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[dict[str, Any]]]


async def _http_fetch(url: str) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
        resp.raise_for_status()
        body = await resp.read()
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("a JWKS document is a JSON object")
    return data


class JwksCache:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        min_refresh: float = 30.0,
        max_age: float = 3600.0,
        fetch: Fetch | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._urls = list(urls)
        self._min_refresh = min_refresh
        self._max_age = max_age
        self._fetch = fetch or _http_fetch
        self._clock = clock
        self._keys: list[jwt.PyJWK] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def known(self, header: dict[str, object]) -> list[object]:
        """The cached keys that may have signed a token with ``header`` (no fetch)."""
        kid = header.get("kid")
        alg = header.get("alg")
        out: list[object] = []
        for k in self._keys:
            if kid is not None and k.key_id != kid:
                continue
            if k.algorithm_name and alg and k.algorithm_name != alg:
                continue
            out.append(k.key)
        return out

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_refresh

    async def keys_for(self, header: dict[str, object]) -> list[object]:
        """The keys for ``header``, refetching the sets when its key id is unknown or they are old."""
        found = self.known(header)
        if (found and not self._stale()) or not self._may_fetch():
            return found
        async with self._lock:
            if self._may_fetch() and (self._stale() or not self.known(header)):
                await self._refresh()
        return self.known(header)

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        keys: list[jwt.PyJWK] = []
        failed = False
        for url in self._urls:
            try:
                document = await self._fetch(url)
                self.fetches += 1
                for entry in document.get("keys", []):
                    try:
                        keys.append(jwt.PyJWK(entry))
                    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                        continue  # a key type or algorithm we do not use
            except Exception as exc:
                failed = True
                log.warning("JWKS fetch failed; keeping the keys we had",
                            extra={"url": url, "error": type(exc).__name__})
        if keys or not failed:
            self._keys = keys if not failed else [*keys, *(k for k in self._keys if k not in keys)]
            self._fetched_at = self._clock()

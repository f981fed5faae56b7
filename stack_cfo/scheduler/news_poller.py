"""Optional RSS/Atom poller: fetches configured feeds, keeps the articles that mention a held
symbol, and stores them in ``news_articles`` with those symbols (idempotent on id and URL)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

import aiohttp

from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.core.notifications.feeds import FeedError, parse_feed, to_news_item
from stack_cfo.core.notifications.ports import NewsItem

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024


class FeedPoller:
    def __init__(
        self,
        feeds: Sequence[str],
        *,
        held_symbols: Callable[[], Awaitable[Iterable[str]]],
        store: Callable[[Sequence[NewsItem]], Awaitable[int]],
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.feeds = list(feeds)
        self._held = held_symbols
        self._store = store
        self._own_session = session is None
        self._session = session
        self._timeout = timeout
        self._validators: dict[str, dict[str, str]] = {}  # url -> ETag / Last-Modified

    @in_system_scope("news-poller")  # the symbols every user holds
    async def poll_once(self) -> int:
        """Fetch every feed once; returns how many new articles were stored."""
        if not self.feeds:
            return 0
        held = list(await self._held())
        if not held:
            return 0
        if self._session is None:
            self._session = aiohttp.ClientSession()
        stored = 0
        for url in self.feeds:
            try:
                body = await self._fetch(url)
            except (aiohttp.ClientError, TimeoutError, FeedError) as exc:
                log.warning("news feed fetch failed", extra={"feed": url, "error": f"{type(exc).__name__}: {exc}"})
                continue
            if body is None:
                continue
            try:
                entries = parse_feed(body)
            except FeedError as exc:
                log.warning("news feed unreadable", extra={"feed": url, "error": str(exc)})
                continue
            now = datetime.now(UTC)
            items = [i for i in (to_news_item(e, held, fetched_at=now) for e in entries) if i is not None]
            if items:
                stored += await self._store(items)
        return stored

    async def _fetch(self, url: str) -> bytes | None:
        assert self._session is not None
        headers = dict(self._validators.get(url, {}))
        async with self._session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=self._timeout)) as resp:
            if resp.status == 304:
                return None
            if resp.status != 200:
                raise FeedError(f"HTTP {resp.status}")
            body = await resp.content.read(MAX_FEED_BYTES + 1)
            if len(body) > MAX_FEED_BYTES:
                raise FeedError("feed larger than 5 MB")
            validators = {}
            if resp.headers.get("ETag"):
                validators["If-None-Match"] = resp.headers["ETag"]
            if resp.headers.get("Last-Modified"):
                validators["If-Modified-Since"] = resp.headers["Last-Modified"]
            self._validators[url] = validators
            return body

    async def aclose(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

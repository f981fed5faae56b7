"""RSS 2.0 / Atom parsing and symbol matching for the news poller (pure).

An article "mentions" a symbol when it carries the cashtag (``$AAPL``) or, for symbols of
three or more letters, the ticker as an upper-case word (``AAPL``, ``(NASDAQ: MSFT)``).
Short tickers (``A``, ``IT``, ``ON``) are ordinary words and need the cashtag.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from stack_cfo.core.notifications.ports import NewsItem

_ATOM = "{http://www.w3.org/2005/Atom}"
_TAGS = re.compile(r"<[^>]+>")
_CASHTAG = re.compile(r"(?<![A-Za-z0-9])\$([A-Za-z][A-Za-z0-9.]{0,9})(?![A-Za-z0-9])")
_WORD = re.compile(r"(?<![A-Za-z0-9$.])([A-Z][A-Z0-9]{2,9}(?:\.[A-Z])?)(?![A-Za-z0-9])")


class FeedError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str
    title: str
    summary: str
    url: str
    published_at: datetime | None
    source: str


def _text(el: ET.Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _plain(markup: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", markup)).split())


def _date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)  # RFC 822 (RSS)
    except (TypeError, ValueError):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))  # RFC 3339 (Atom)
        except ValueError:
            return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Entries of an RSS 2.0 or Atom document; raises :class:`FeedError` for anything else."""
    if b"<!ENTITY" in data[:4096]:
        raise FeedError("feeds with entity declarations are refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"not XML: {exc}") from None
    entries: list[FeedEntry] = []
    if root.tag == "rss" or root.find("channel") is not None:
        channel = root.find("channel")
        if channel is None:
            raise FeedError("RSS without a channel")
        source = _text(channel.find("title"))
        for item in channel.findall("item"):
            link = _text(item.find("link"))
            entries.append(
                FeedEntry(
                    guid=_text(item.find("guid")) or link or _text(item.find("title")),
                    title=_plain(_text(item.find("title"))),
                    summary=_plain(_text(item.find("description"))),
                    url=link,
                    published_at=_date(_text(item.find("pubDate"))),
                    source=source,
                )
            )
        return entries
    if root.tag == f"{_ATOM}feed":
        source = _text(root.find(f"{_ATOM}title"))
        for entry in root.findall(f"{_ATOM}entry"):
            link = ""
            for el in entry.findall(f"{_ATOM}link"):
                if el.get("rel", "alternate") == "alternate" and el.get("href"):
                    link = el.get("href", "")
                    break
            summary = entry.find(f"{_ATOM}summary")
            if summary is None:
                summary = entry.find(f"{_ATOM}content")
            entries.append(
                FeedEntry(
                    guid=_text(entry.find(f"{_ATOM}id")) or link,
                    title=_plain(_text(entry.find(f"{_ATOM}title"))),
                    summary=_plain(_text(summary)),
                    url=link,
                    published_at=_date(_text(entry.find(f"{_ATOM}published")) or _text(entry.find(f"{_ATOM}updated"))),
                    source=source,
                )
            )
        return entries
    raise FeedError(f"neither RSS nor Atom (root element {root.tag!r})")


def mentioned_symbols(text: str, held: Iterable[str]) -> tuple[str, ...]:
    """Held symbols the text mentions (cashtags always; bare tickers of 3+ characters)."""
    universe = {s.upper() for s in held}
    found = {m.group(1).upper() for m in _CASHTAG.finditer(text)} & universe
    found |= {m.group(1) for m in _WORD.finditer(text) if len(m.group(1)) >= 3} & universe
    return tuple(sorted(found))


def to_news_item(entry: FeedEntry, held: Iterable[str], *, fetched_at: datetime) -> NewsItem | None:
    """A storable article when it mentions a held symbol; ``None`` otherwise."""
    symbols = mentioned_symbols(f"{entry.title} {entry.summary}", held)
    if not symbols or not entry.title:
        return None
    digest = hashlib.sha256((entry.guid or entry.url or entry.title).encode()).hexdigest()[:32]
    published = entry.published_at or fetched_at
    return NewsItem(
        id=f"feed:{digest}",
        title=entry.title[:500],
        summary=entry.summary[:4000],
        url=entry.url[:2000],
        source=(entry.source or "feed")[:200],
        published_at=min(published, fetched_at),
        symbols=symbols,
    )

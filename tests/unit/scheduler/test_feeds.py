"""RSS/Atom parsing and the symbols an article mentions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stack_cfo.core.notifications.feeds import FeedError, mentioned_symbols, parse_feed, to_news_item

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Market Wire</title>
<item><title>Apple (NASDAQ: AAPL) beats estimates</title><link>https://wire.example/a</link>
<guid>wire-1</guid><pubDate>Mon, 09 Mar 2026 13:30:00 GMT</pubDate>
<description>&lt;p&gt;Shares of $aapl rose &amp;amp; Microsoft too.&lt;/p&gt;</description></item>
<item><title>It is on: a quiet day</title><link>https://wire.example/b</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Chip News</title>
<entry><id>urn:chip:1</id><title>NVDA and $AMD rally</title>
<link rel="alternate" href="https://chips.example/1"/><updated>2026-03-09T14:00:00Z</updated>
<summary>Graphics demand.</summary></entry></feed>"""


def test_rss_entries_with_plain_text_and_utc_dates() -> None:
    [a, b] = parse_feed(RSS)
    assert a.title == "Apple (NASDAQ: AAPL) beats estimates" and a.source == "Market Wire"
    assert a.summary == "Shares of $aapl rose & Microsoft too."
    assert a.published_at == datetime(2026, 3, 9, 13, 30, tzinfo=UTC) and a.guid == "wire-1"
    assert b.published_at is None and b.guid == "https://wire.example/b"


def test_atom_entries() -> None:
    [e] = parse_feed(ATOM)
    assert (e.title, e.url, e.source) == ("NVDA and $AMD rally", "https://chips.example/1", "Chip News")
    assert e.published_at == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_symbols_need_a_cashtag_when_short_and_must_be_held() -> None:
    held = ["AAPL", "MSFT", "IT", "ON", "AMD", "NVDA"]
    assert mentioned_symbols("Apple (NASDAQ: AAPL) and $aapl", held) == ("AAPL",)
    assert mentioned_symbols("IT is ON today", held) == ()
    assert mentioned_symbols("Gartner $IT and $ON Semi", held) == ("IT", "ON")
    assert mentioned_symbols("NVDA and $AMD rally; TSLA flat", held) == ("AMD", "NVDA")
    assert mentioned_symbols("aapl lower case is not a ticker", held) == ()


def test_only_articles_about_held_symbols_become_news_items() -> None:
    now = datetime(2026, 3, 9, 15, tzinfo=UTC)
    entries = parse_feed(RSS)
    item = to_news_item(entries[0], ["AAPL"], fetched_at=now)
    assert item is not None and item.symbols == ("AAPL",) and item.id.startswith("feed:")
    assert item.id == to_news_item(entries[0], ["AAPL", "MSFT"], fetched_at=now).id  # type: ignore[union-attr]
    assert to_news_item(entries[1], ["AAPL"], fetched_at=now) is None


@pytest.mark.parametrize(
    "doc",
    [b"not xml", b"<html><body/></html>", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><rss><channel/></rss>'],
)
def test_unreadable_feeds_are_refused(doc: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(doc)

"""A digest "reports the last trading day before, and the news since" (scheduler.proto): its news begins with the
reported session, however long ago that closed, and covers at least the last 36 hours."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from stack_cfo.core.notifications.ports import NewsItem, StaticNewsReader
from stack_cfo.scheduler.content import NEWS_LOOKBACK, news_since

FRIDAY_CLOSE = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)  # 16:00 New York
MONDAY_CLOSE = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def _item(n: int, at: datetime) -> NewsItem:
    return NewsItem(f"id{n}", f"t{n}", "", f"https://news.example/{n}", "src", at, ("AAPL",))


def test_a_monday_digest_has_fridays_evening_and_the_weekends_news() -> None:
    now = datetime(2026, 12, 7, 16, 53, tzinfo=UTC)  # Monday morning in New York: the digest reports Friday
    items = [_item(1, FRIDAY_CLOSE + timedelta(hours=1)), _item(2, datetime(2026, 12, 5, 15, tzinfo=UTC)),
             _item(3, datetime(2026, 12, 7, 12, tzinfo=UTC)), _item(4, FRIDAY_CLOSE - timedelta(days=2))]
    since = news_since(now, FRIDAY_CLOSE)
    assert since < FRIDAY_CLOSE  # the reported session's own news too (it was now - 36 h: Saturday 04:53)
    got = asyncio.run(StaticNewsReader(items).news_for_symbols(["AAPL"], since, now, 50))
    assert [n.id for n in got] == ["id3", "id2", "id1"]  # Wednesday's is before the reported session


def test_a_digest_the_day_after_its_session_keeps_the_last_36_hours() -> None:
    now = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)  # Tuesday: reports Monday
    assert news_since(now, MONDAY_CLOSE) == now - NEWS_LOOKBACK
    assert news_since(now, None) == now - NEWS_LOOKBACK

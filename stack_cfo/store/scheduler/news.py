"""News articles and their shared AI summaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stack_cfo.core.notifications.ports import NewsItem, StoredSummary
from stack_cfo.core.provenance import Receipt
from stack_cfo.store.receipts import insert_receipt
from stack_cfo.store.scheduler._base import Q, Repo


class NewsQueries(Repo):
    # -- news ---------------------------------------------------------------------------------

    async def get_summary(self, article_id: str) -> StoredSummary | None:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_summary, {"article_id": article_id})).fetchone()
        if row is None:
            return None
        return StoredSummary(row["summary"], str(row["receipt_id"]) if row["receipt_id"] else None)

    async def put_summary(self, article_id: str, summary: str, *, receipt: Receipt) -> None:
        """Keep an AI summary and its receipt together (one transaction)."""
        async with self.db.transaction() as conn:
            await insert_receipt(conn, receipt)
            await conn.execute(
                Q.put_summary,
                {
                    "article_id": article_id,
                    "summary": summary,
                    "model": receipt.model,
                    "provider": receipt.provider,
                    "receipt_id": receipt.id,
                },
            )

    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        """:class:`~stack_cfo.core.notifications.ports.NewsReader` over ``news_articles``."""
        if not symbols:
            return []
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    Q.news_for_symbols,
                    {"symbols": [s.upper() for s in symbols], "since": since, "until": until, "limit": limit},
                )
            ).fetchall()
        return [
            NewsItem(
                id=r["id"],
                title=r["title"] or "",
                summary=r["summary"] or "",
                url=r["url"] or "",
                source=r["source"] or "",
                published_at=r["published_at"],
                symbols=tuple(r["symbols"] or ()),
            )
            for r in rows
        ]

    async def store_articles(self, items: Sequence[NewsItem]) -> int:
        """Insert articles (``ON CONFLICT DO NOTHING``); returns how many were new."""
        new = 0
        async with self.db.transaction() as conn:
            for n in items:
                row = await (
                    await conn.execute(
                        Q.store_article,
                        {
                            "id": n.id,
                            "source": n.source,
                            "published_at": n.published_at,
                            "title": n.title,
                            "summary": n.summary,
                            "url": n.url,
                            "symbols": list(n.symbols),
                        },
                    )
                ).fetchone()
                new += row is not None
        return new

    async def held_symbols(self) -> list[str]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.held_symbols)).fetchall()
        return [r["symbol"] for r in rows]

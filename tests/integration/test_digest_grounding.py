"""AI digests as the seed asks, checked like every AI text: the portfolio paragraph of a daily digest is
written by AI from the user's figures; a paragraph stating figures the server did not compute is never
sent (the deterministic paragraph goes, marked AI_UNGROUNDED), a news summary whose figures are not the
article's is never kept, and the notification lists the receipts of what it carried."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from google.protobuf import timestamp_pb2

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from tests.standins.smtp import SmtpSink
from tests.standins.zerog_provider import Reply, RouterStandIn
from tests.support.contract import market_today
from tests.support.secrets import ZEROG_API_KEY
from tests.support.server import running_server

PARAGRAPH_PROMPT = "You write the portfolio paragraph"
NEWS_PROMPT = "You summarise financial news"


def _replies(paragraph: str, news: str) -> Callable[[dict[str, Any]], Reply | None]:
    def reply(body: dict[str, Any]) -> Reply | None:
        system = body["messages"][0]["content"]
        if system.startswith(PARAGRAPH_PROMPT):
            return Reply.ok(paragraph)
        if system.startswith(NEWS_PROMPT):
            return Reply.ok(news)
        return None

    return reply


async def _digest(db_dsn: str, data_dir: Path, router: RouterStandIn, sink: SmtpSink) -> tuple[str, Any, str]:
    """Run one daily digest for a new user through RunJob; (user, their notification, e-mail text)."""
    user = str(uuid.uuid4())
    overrides = {
        "notifications": {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False, "timeout": "5s"}},
        "zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url, "api_key": ZEROG_API_KEY}},
    }
    async with running_server(db_dsn, data_dir, overrides) as srv:
        portfolio = ppb_grpc.PortfolioSummaryServiceStub(srv.channel)
        await portfolio.SyncPortfolio(
            ppb.SyncPortfolioRequest(
                portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="100",
                positions=[ppb.Holding(symbol="AAPL", quantity="5", average_cost="150", currency="USD")],
            ),
            metadata=srv.auth(user), timeout=10,
        )
        published = timestamp_pb2.Timestamp()
        published.GetCurrentTime()
        await portfolio.IngestNews(
            ppb.IngestNewsRequest(articles=[ppb.NewsArticle(
                id="n-1", source="wire", publish_time=published, title="Apple results",
                summary="Apple reported quarterly revenue of $94.9 billion, up 6% from a year ago.",
                url="https://news.example/apple", symbols=["AAPL"],
            )]),
            metadata=srv.auth(service="news-feed"), timeout=10,
        )
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        await stub.UpdateNotificationPreferences(
            pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
                name=f"users/{user}/notificationPreferences", email_address="investor@example.com",
            )),
            metadata=srv.auth(user), timeout=10,
        )
        events = [e async for e in stub.RunJob(
            pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}"),
            metadata=srv.auth(service="ops"), timeout=60,
        )]
        assert events[-1].counts.sent == 1, events
        listed = await stub.ListNotifications(
            pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
        )
    mail = (await sink.wait_for(1))[0]
    (notification,) = listed.notifications
    return user, notification, mail.part("plain")


async def test_a_digest_paragraph_with_invented_figures_is_never_sent(db_dsn: str, data_dir: Path) -> None:
    invented_paragraph = "Your portfolio is worth $1,250,000 after a 12% jump in AAPL."
    invented_news = "Apple shares rose 37% as revenue hit $120 billion."
    sink = await SmtpSink().start()
    try:
        async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
            router.reply_for = _replies(invented_paragraph, invented_news)
            user, n, text = await _digest(db_dsn, data_dir, router, sink)
            paragraph_calls = sum(
                1 for r in router.requests if r.body and r.json["messages"][0]["content"].startswith(PARAGRAPH_PROMPT)
            )
    finally:
        await sink.stop()
    assert paragraph_calls == 2  # one regeneration, then the deterministic paragraph
    assert "1,250,000" not in text and "37%" not in text and "$120 billion" not in text
    assert "Apple reported quarterly revenue of $94.9 billion" in text  # the article's own first sentence
    assert n.degraded_reason == "AI_UNGROUNDED"
    (paragraph,) = n.receipts  # the rejected news summary was never kept, so it has no receipt
    assert paragraph.surface == common_pb2.AI_SURFACE_DAILY_DIGEST and paragraph.name.startswith(f"users/{user}/")
    assert paragraph.text == invented_paragraph and paragraph.degraded_reason == "AI_UNGROUNDED"
    assert paragraph.grounding.status == common_pb2.GROUNDING_STATUS_UNGROUNDED
    assert {f.text for f in paragraph.grounding.figures if not f.grounded} >= {"$1,250,000", "12%"}
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM news_summaries WHERE article_id = 'n-1'").fetchone() == (0,)


async def test_a_grounded_digest_is_ai_written_with_receipts_for_every_ai_text(db_dsn: str, data_dir: Path) -> None:
    paragraph_text = "AAPL is your only holding; cash is $100.00 of it."
    news_text = "Apple's quarterly revenue was $94.9 billion, up 6% on the year."
    sink = await SmtpSink().start()
    try:
        async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
            router.reply_for = _replies(paragraph_text, news_text)
            user, n, text = await _digest(db_dsn, data_dir, router, sink)
    finally:
        await sink.stop()
    assert paragraph_text in text and news_text in text
    assert n.degraded_reason == ""
    paragraph, news = n.receipts
    assert paragraph.surface == common_pb2.AI_SURFACE_DAILY_DIGEST and paragraph.text == paragraph_text
    assert paragraph.name.startswith(f"users/{user}/receipts/")
    assert paragraph.subject == n.name  # the notification's resource name (it was its idempotency key)
    assert paragraph.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
    assert {f.fact for f in paragraph.grounding.figures} == {"cash"}
    assert news.surface == common_pb2.AI_SURFACE_NEWS_SUMMARY and news.name.startswith("receipts/")
    assert news.subject == "news/n-1" and news.text == news_text
    assert news.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
    assert all(f.fact.startswith("article") for f in news.grounding.figures)
    with psycopg.connect(db_dsn) as conn:
        row = conn.execute("SELECT summary, receipt_id FROM news_summaries WHERE article_id = 'n-1'").fetchone()
    assert row is not None and row[0] == news_text and news.name == f"receipts/{row[1]}"


async def test_a_weekly_summary_with_invented_figures_is_never_sent(db_dsn: str, data_dir: Path) -> None:
    invented = "A strong week: your portfolio gained 18% while SPY fell 9%."
    sink = await SmtpSink().start()
    try:
        async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
            router.reply_for = lambda body: (
                Reply.ok(invented) if body["messages"][0]["content"].startswith("You write the summary paragraph")
                else None
            )
            user = str(uuid.uuid4())
            overrides = {
                "notifications": {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False,
                                           "timeout": "5s"}},
                "zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url,
                                      "api_key": ZEROG_API_KEY}},
            }
            async with running_server(db_dsn, data_dir, overrides) as srv:
                # held since before the reported week: a week that began before the first snapshot
                # has no weekly summary (no value at its start)
                since = market_today() - timedelta(days=21)
                await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
                    ppb.SyncPortfolioRequest(
                        portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="100",
                        positions=[ppb.Holding(symbol="AAPL", quantity="5", average_cost="150", currency="USD")],
                        effective_date=common_pb2.Date(year=since.year, month=since.month, day=since.day),
                    ),
                    metadata=srv.auth(user), timeout=10,
                )
                stub = pb_grpc.SchedulerServiceStub(srv.channel)
                await stub.UpdateNotificationPreferences(
                    pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
                        name=f"users/{user}/notificationPreferences", email_address="investor@example.com",
                    )),
                    metadata=srv.auth(user), timeout=10,
                )
                events = [e async for e in stub.RunJob(
                    pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_WEEKLY_SUMMARY, user=f"users/{user}"),
                    metadata=srv.auth(service="ops"), timeout=60,
                )]
                assert events[-1].counts.sent == 1, events
                (n,) = (await stub.ListNotifications(
                    pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
                )).notifications
            text = (await sink.wait_for(1))[0].part("plain")
    finally:
        await sink.stop()
    assert "18%" not in text and "Automatic summary (not AI-generated)" in text
    assert n.degraded_reason == "AI_UNGROUNDED"
    (receipt,) = n.receipts
    assert receipt.surface == common_pb2.AI_SURFACE_WEEKLY_SUMMARY and receipt.text == invented
    assert {f.text for f in receipt.grounding.figures if not f.grounded} == {"18%", "9%"}

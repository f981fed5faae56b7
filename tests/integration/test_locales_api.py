"""Languages through the real gRPC server: the `locale` preference (checked, stored, its fallback shown),
and a daily digest for a German user whose AI paragraph was asked for in German, written in German
number formats, grounded against the server's figures (or, when it invents one, replaced)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from tests.standins.smtp import SmtpSink
from tests.standins.zerog_provider import Reply, RouterStandIn
from tests.support.secrets import ZEROG_API_KEY
from tests.support.server import RunningServer, running_server

PARAGRAPH_PROMPT = "You write the portfolio paragraph"
NBSP = "\u00a0"


def _violation(err: grpc.aio.AioRpcError) -> tuple[str, str]:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    reason = field = ""
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            reason = info.reason
        if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            d.Unpack(bad)
            field = bad.field_violations[0].field
    return reason, field


async def _set_locale(srv: RunningServer, user: str, locale: str, **extra: Any) -> pb.NotificationPreferences:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    return await stub.UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(
            preferences=pb.NotificationPreferences(
                name=f"users/{user}/notificationPreferences", locale=locale, **extra
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["locale", *extra]),
        ),
        metadata=srv.auth(user),
        timeout=10,
    )


async def test_the_locale_preference_is_checked_stored_and_its_fallback_shown(db_dsn: str, data_dir: Path) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, {"notifications": {"default_locale": "fr"}}) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        name = f"users/{user}/notificationPreferences"
        await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
            ppb.SyncPortfolioRequest(portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="1"),
            metadata=srv.auth(user), timeout=10,
        )
        fresh = await stub.GetNotificationPreferences(
            pb.GetNotificationPreferencesRequest(name=name), metadata=srv.auth(user), timeout=10
        )
        assert (fresh.locale, fresh.effective_locale) == ("", "fr")  # the configured default

        saved = await _set_locale(srv, user, "DE-at")
        assert (saved.locale, saved.effective_locale) == ("de-AT", "de-AT")  # canonical case, regional formats
        got = await stub.GetNotificationPreferences(
            pb.GetNotificationPreferencesRequest(name=name), metadata=srv.auth(user), timeout=10
        )
        assert got.locale == "de-AT"

        for malformed in ("de_DE", "e", "english!", "zh-Hans-", "x" * 80):
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await _set_locale(srv, user, malformed)
            assert exc.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert _violation(exc.value) == ("INVALID_LOCALE", "preferences.locale"), malformed
        unchanged = await stub.GetNotificationPreferences(
            pb.GetNotificationPreferencesRequest(name=name), metadata=srv.auth(user), timeout=10
        )
        assert unchanged.locale == "de-AT"  # a rejected update changes nothing

        unsupported = await _set_locale(srv, user, "xx-YY")
        assert (unsupported.locale, unsupported.effective_locale) == ("xx-YY", "en")  # accepted, falls back
        undetermined = await _set_locale(srv, user, "und")
        assert (undetermined.locale, undetermined.effective_locale) == ("und", "en")  # "und" is no language
        # Zones that are not places, and addresses that are not RFC 5322 dot-atoms, are named by their
        # request path (they were stored; the path said "time_zone").
        for field, value, reason in (("time_zone", "localtime", "UNKNOWN_TIME_ZONE"),
                                     ("time_zone", "posix/Europe/Berlin", "UNKNOWN_TIME_ZONE"),
                                     ("email_address", "a..b@example.com", "INVALID_EMAIL"),
                                     ("email_address", ".a@example.com", "INVALID_EMAIL")):
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
                    preferences=pb.NotificationPreferences(name=name, **{field: value}),
                    update_mask=field_mask_pb2.FieldMask(paths=[field])), metadata=srv.auth(user), timeout=10)
            assert _violation(exc.value) == (reason, f"preferences.{field}"), value
        # Several problems at once: each field violation has its own reason (they all carried the first
        # one's: an e-mail refused as UNKNOWN_TIME_ZONE), the error the first one's.
        with pytest.raises(grpc.aio.AioRpcError) as several:
            await stub.UpdateNotificationPreferences(pb.UpdateNotificationPreferencesRequest(
                preferences=pb.NotificationPreferences(name=name, time_zone="Nope/Nope", email_address="bad",
                                                       alert_threshold_percent=-5),
                update_mask=field_mask_pb2.FieldMask(paths=["time_zone", "email_address", "alert_threshold_percent"])),
                metadata=srv.auth(user), timeout=10)
        st = rpc_status.from_call(several.value)  # type: ignore[arg-type]
        assert st is not None
        found = []
        for d in st.details:
            if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                d.Unpack(bad)
                found = [(v.field, v.reason) for v in bad.field_violations]
        assert found == [("preferences.time_zone", "UNKNOWN_TIME_ZONE"), ("preferences.email_address", "INVALID_EMAIL"),
                         ("preferences.alert_threshold_percent", "INVALID_THRESHOLD")]
        assert _violation(several.value)[0] == "UNKNOWN_TIME_ZONE"
        traditional = await _set_locale(srv, user, "zh-Hant")
        assert (traditional.locale, traditional.effective_locale) == ("zh-Hant", "en")
        simplified = await _set_locale(srv, user, "zh")
        assert (simplified.locale, simplified.effective_locale) == ("zh", "zh-Hans")


NEWS_PROMPT = "You summarise financial news"
GERMAN_NEWS = "Apple meldete einen Quartalsumsatz von 94,9 Mrd. $, ein Plus von 6 % zum Vorjahr."


Prompts = list[list[dict[str, str]]]


def _paragraph(text: str, seen: Prompts, news: Prompts | None = None) -> Callable[[dict[str, Any]], Reply | None]:
    def reply(body: dict[str, Any]) -> Reply | None:
        if body["messages"][0]["content"].startswith(PARAGRAPH_PROMPT):
            seen.append(body["messages"])
            return Reply.ok(text)
        if news is not None and body["messages"][0]["content"].startswith(NEWS_PROMPT):
            news.append(body["messages"])
            return Reply.ok(GERMAN_NEWS)
        return None

    return reply


@pytest.mark.parametrize(
    ("paragraph", "grounded"),
    [
        (f"AAPL ist Ihre einzige Position; davon sind 100,00{NBSP}$ Bargeld.", True),
        (f"Ihr Portfolio ist 1.250.000,00{NBSP}$ wert, nach einem Plus von 12{NBSP}% bei AAPL.", False),
    ],
)
async def test_a_german_users_digest_asks_the_ai_for_german_and_checks_its_german_figures(
    db_dsn: str, data_dir: Path, paragraph: str, grounded: bool
) -> None:
    user = str(uuid.uuid4())
    article = f"n-{uuid.uuid4().hex[:8]}"
    seen: list[list[dict[str, str]]] = []
    news: list[list[dict[str, str]]] = []
    sink = await SmtpSink().start()
    try:
        async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
            router.reply_for = _paragraph(paragraph, seen, news)
            overrides = {
                "notifications": {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False,
                                           "timeout": "5s"}},
                "zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url,
                                      "api_key": ZEROG_API_KEY}},
            }
            async with running_server(db_dsn, data_dir, overrides) as srv:
                await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
                    ppb.SyncPortfolioRequest(
                        portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="100",
                        positions=[ppb.Holding(symbol="AAPL", quantity="5", average_cost="150", currency="USD")],
                    ),
                    metadata=srv.auth(user), timeout=10,
                )
                published = timestamp_pb2.Timestamp()
                published.GetCurrentTime()
                await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).IngestNews(
                    ppb.IngestNewsRequest(articles=[ppb.NewsArticle(
                        id=article, source="wire", publish_time=published, title="Apple results",
                        summary="Apple reported quarterly revenue of $94.9 billion, up 6% from a year ago.",
                        url="https://news.example/apple", symbols=["AAPL"],
                    )]),
                    metadata=srv.auth(service="news-feed"), timeout=10,
                )
                await _set_locale(srv, user, "de", email_address="anleger@example.com")
                stub = pb_grpc.SchedulerServiceStub(srv.channel)
                events = [e async for e in stub.RunJob(
                    pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}"),
                    metadata=srv.auth(service="ops"), timeout=60,
                )]
                assert events[-1].counts.sent == 1, events
                (n,) = (await stub.ListNotifications(
                    pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
                )).notifications
        mail = (await sink.wait_for(1))[0]
    finally:
        await sink.stop()

    # the provider stand-in received the instruction to write German, beside the unchanged data rules
    assert seen, "the paragraph was never asked for"
    for messages in seen:
        systems = [m["content"] for m in messages if m["role"] == "system"]
        assert any(s.startswith("Write your whole answer in German (Deutsch),") for s in systems)
        assert "1.234,56" in " ".join(systems)  # the example of German number formats
    text = mail.part("plain")
    assert mail.subject.strip().startswith("Ihr Portfolio am ") and "Nachrichten zu Ihren Positionen" in text
    # the article's summary was asked for in German too, kept (its figures are the article's) and cached per
    # article and language
    (summary_prompt,) = news
    assert summary_prompt[1]["content"].startswith("Write your whole answer in German (Deutsch),")
    assert GERMAN_NEWS in text
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute(
            "SELECT summary FROM news_summaries WHERE article_id = %s", (f"{article}@de",)
        ).fetchone() == (GERMAN_NEWS,)
    assert (n.locale, n.locale_fallback_from) == ("de", "")
    if grounded:
        assert len(seen) == 1 and paragraph in text and n.degraded_reason == ""
        assert n.receipts[0].grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
        assert {f.fact for f in n.receipts[0].grounding.figures} == {"cash"}  # "100,00 $" read as the cash
    else:
        assert len(seen) == 2  # one regeneration, then the deterministic German paragraph
        assert "1.250.000" not in text and n.degraded_reason == "AI_UNGROUNDED"
        assert "Ihr Portfolio war am " in text or "Automatische Zusammenfassung" in text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", ["[Automatische Zusammenfassung — KI nicht verfügbar]",
                "Automatische Zusammenfassung, berechnet aus Ihren Portfoliodaten (nicht KI-generiert).",
                "ist Ihr Portfolio 100,00\u00a0$ wert, davon 100,00\u00a0$ in bar"]),
        ("zh", ["[自动摘要 — AI 暂不可用]", "根据您的投资组合数据自动计算的摘要(非 AI 生成)。", "价值 US$100.00"]),
        ("xx-YY", ["[Automated summary — AI unavailable]", "(not AI-generated)", "is worth $100.00"]),
    ],
)
async def test_the_deterministic_portfolio_narrative_is_in_the_users_language(
    db_dsn: str, data_dir: Path, locale: str, expected: list[str]
) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir) as srv:  # no AI provider: the deterministic narrative
        portfolio = ppb_grpc.PortfolioSummaryServiceStub(srv.channel)
        await portfolio.SyncPortfolio(
            ppb.SyncPortfolioRequest(portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="100"),
            metadata=srv.auth(user), timeout=10,
        )
        await _set_locale(srv, user, locale)
        events = [e async for e in portfolio.StreamPortfolioSummary(
            ppb.StreamPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio"), metadata=srv.auth(user),
            timeout=20,
        )]
    done = events[-1].narrative_completed
    assert done.offline and "".join(e.narrative_delta.text for e in events[1:-1]) == done.text
    for part in expected:
        assert part in done.text, (part, done.text)


async def test_a_services_feed_carries_each_users_locale_and_the_fallback(db_dsn: str, data_dir: Path) -> None:
    german, unknown = str(uuid.uuid4()), str(uuid.uuid4())
    svc = f"inbox-{uuid.uuid4().hex[:6]}"
    feed = f"services/{svc}/notificationFeed"
    async with running_server(db_dsn, data_dir) as srv:
        stub = pb_grpc.SchedulerServiceStub(srv.channel)
        me = srv.auth(service=svc)
        await stub.UpdateNotificationFeed(
            pb.UpdateNotificationFeedRequest(feed=pb.NotificationFeed(name=feed, enabled=True)), metadata=me
        )
        for user, tag in ((german, "de"), (unknown, "xx-YY")):
            await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
                ppb.SyncPortfolioRequest(
                    portfolio=f"users/{user}/portfolio", base_currency="EUR", cash_balance="934.5",
                    positions=[ppb.Holding(symbol="SAP", quantity="2", average_cost="150", currency="EUR")],
                ),
                metadata=srv.auth(user), timeout=10,
            )
            await _set_locale(srv, user, tag)
            events = [e async for e in stub.RunJob(
                pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}"),
                metadata=srv.auth(service="ops"), timeout=60,
            )]
            assert events[-1].counts.skipped == 0, [(e.stage, e.reason) for e in events]
        call = stub.WatchNotifications(pb.WatchNotificationsRequest(feed=feed), metadata=me)
        got = {}
        async for item in call:
            got[item.notification.name.split("/")[1]] = item
            if len(got) == 2:
                break
        call.cancel()
    de, en = got[german], got[unknown]
    assert (de.content.locale, de.notification.locale, de.notification.locale_fallback_from) == ("de", "de", "")
    assert de.content.title.startswith(("Portfolio gestern", "Portfolio am ")) and f"1.234,50{NBSP}€" in de.content.text
    assert (en.content.locale, en.content.locale_fallback_from) == ("en", "xx-YY")
    assert (en.notification.locale, en.notification.locale_fallback_from) == ("en", "xx-YY")
    assert "€1,234.50" in en.content.text

"""Languages through the real scheduler (planner, outbox, worker, SMTP over a socket, PostgreSQL): a daily
digest for a German user arrives in German with German number formats, a Chinese one in Chinese, an
unknown locale falls back to English and says so on the notification and in the metric, and two replicas
stepping the same 08:00 still send each user one e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import Channel
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.store.db import Database
from stack_cfo.telemetry.metrics import LOCALE_FALLBACKS
from tests.integration.scheduler.conftest import add_users, local, make_harness, outbox, smtp_settings, test_config
from tests.standins.smtp import SmtpSink

DIGEST_ONLY = {"enable_weekly_summary": False, "enable_performance_alerts": False}
NBSP = "\u00a0"


async def _set_locale(db: Database, user: str, locale: str) -> None:
    with system_scope("test-seed"):  # seeding (row-level security)
        async with db.connection() as conn:
            await conn.execute("UPDATE notification_prefs SET locale = %s WHERE user_id = %s", (locale, user))


async def test_digests_arrive_in_the_users_language_once_and_unknown_locales_fall_back(
    database: Database, smtp_sink: SmtpSink
) -> None:
    de, zh, fr, unknown, unset = await add_users(database, 5, prefs={"time_zone": "Europe/Berlin"})
    for user, tag in ((de, "de"), (zh, "zh-Hans"), (fr, "fr-CA"), (unknown, "xx-YY")):
        await _set_locale(database, user, tag)
    config = test_config(**DIGEST_ONLY)
    channels = {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    day = datetime(2026, 3, 10).date()
    start = local(day, time(7, 0), "Europe/Berlin")
    replica_a = make_harness(database, config, channels, start=start)
    replica_b = make_harness(database, test_config(**DIGEST_ONLY), channels, start=start)
    fallbacks_before = LOCALE_FALLBACKS.labels("digest")._value.get()

    for replica in (replica_a, replica_b):
        await replica.step(start)  # both running before 08:00
    eight = local(day, time(8, 0), "Europe/Berlin") + timedelta(seconds=5)
    for replica in (replica_a, replica_b, replica_a):  # two replicas, one of them twice
        await replica.step(eight)
    await replica_b.step(eight + timedelta(minutes=1))

    mails = {m.rcpt_tos[0].split("@")[0].removeprefix("user"): m for m in smtp_sink.received()}
    assert len(smtp_sink.received()) == 5 and set(smtp_sink.message_ids().values()) == {1}  # nothing twice

    german = mails[de]
    text = german.part("plain")
    # DIGEST facts: $107,250.00, +$812.40, +0.76 % on Monday 9 March 2026, in German words and CLDR "de" formats
    assert german.subject.startswith("Ihr Portfolio am ")  # no leading space (a folded subject had one)
    assert german.message["Content-Language"] == "de"
    assert f"Wert: 107.250,00{NBSP}$" in text
    assert f"+812,40{NBSP}$ (+0,76{NBSP}%)" in text
    assert "Ihre STACK-Übersicht für Montag, 9. März 2026." in text
    assert "[Automatische Zusammenfassung — KI nicht verfügbar]" in text  # no AI configured: the offline writer
    assert f"Ihr Portfolio war am 09.03.2026 107.250,00{NBSP}$ wert, ein Plus von 812,40{NBSP}$ (+0,76{NBSP}%)" in text
    assert "Nachrichten zu Ihren Positionen" in text and "Yesterday" not in text
    assert '<html lang="de">' in german.part("html")

    chinese = mails[zh].part("plain")
    assert "您的 STACK 2026年3月9日星期一摘要。" in chinese and "价值:US$107,250.00" in chinese
    assert "[自动摘要 — AI 暂不可用]" in chinese and "当日上涨 US$812.40(+0.76%)" in chinese
    assert mails[zh].message["Content-Language"] == "zh-Hans"

    canadian = mails[fr].part("plain")  # French words, Canadian French formats
    assert "Valeur : 107 250,00 $ US" in canadian.replace(NBSP, " ").replace("\u202f", " ")
    assert "Votre synthèse STACK du lundi 9 mars 2026." in canadian

    for user in (unknown, unset):
        english = mails[user]
        assert english.subject.startswith("Your portfolio on ") and english.message["Content-Language"] == "en"
        assert "Value: $107,250.00" in english.part("plain")
        assert "[Automated summary — AI unavailable]" in english.part("plain")

    rows = {str(r["user_id"]): r for r in await outbox(database, "kind = 'digest'")}
    assert len(rows) == 5 and {r["status"] for r in rows.values()} == {"sent"}
    assert (rows[de]["locale"], rows[de]["locale_fallback_from"]) == ("de", None)
    assert (rows[zh]["locale"], rows[fr]["locale"], rows[unset]["locale"]) == ("zh-Hans", "fr-CA", "en")
    assert (rows[unknown]["locale"], rows[unknown]["locale_fallback_from"]) == ("en", "xx-YY")
    assert rows[unset]["locale_fallback_from"] is None
    assert LOCALE_FALLBACKS.labels("digest")._value.get() == fallbacks_before + 1
    assert all(r["sent_at"] < datetime(2026, 3, 10, 8, tzinfo=UTC) for r in rows.values())

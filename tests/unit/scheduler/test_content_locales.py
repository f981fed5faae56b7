"""Digests, weekly summaries and alerts in each supported locale: the catalogue's words, CLDR formats,
and deterministic paragraphs whose every figure still grounds against the data block."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from stack_cfo.core.i18n import localizer
from stack_cfo.core.notifications.ai_texts import digest_document, digest_fallback, weekly_document, weekly_paragraph
from stack_cfo.core.notifications.content import render_alert, render_weekly
from stack_cfo.core.notifications.document import notification_document
from stack_cfo.core.notifications.ports import AlertFacts, Mover
from tests.unit.scheduler.test_ai_texts import DIGEST, WEEKLY
from tests.unit.scheduler.test_content import HISTORY

NBSP = "\u00a0"
LOCALES = ["en", "es", "de", "fr", "zh-Hans", "de-CH", "fr-CA", "es-MX", "zh-CN"]
ALERT = AlertFacts(
    at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC),
    currency="USD",
    value=Decimal("96800"),
    change=Decimal("-3200"),
    move=-0.032,
    sigma=-2.84,
    threshold_sigma=2.0,
    drivers=(Mover("NVDA", -0.081, Decimal("-2400")),),
)


@pytest.mark.parametrize("tag", LOCALES)
def test_deterministic_paragraphs_ground_in_every_locale(tag: str) -> None:
    lc = localizer(tag)
    for text, doc, currency in (
        (digest_fallback(DIGEST, lc), digest_document(DIGEST), "USD"),
        (weekly_paragraph(WEEKLY, lc), weekly_document(WEEKLY), "EUR"),
    ):
        result = check(text, facts_from_data(doc, currency=currency))
        assert result.status is GroundingStatus.GROUNDED, (text, [f.raw for f in result.ungrounded])
        assert result.figure_count >= 3, text


def test_a_german_alert() -> None:
    r = render_alert(ALERT, period="XNYS-2026-03-09T11", key="k", l10n=localizer("de"))
    assert r.email.subject == f"Ungewöhnliche Bewegung: Portfolio -3,20{NBSP}% (2,8σ)"
    assert f"Ihr Portfolio liegt heute 3,20{NBSP}% im Minus (-3.200,00{NBSP}$), Stand 11:00 Uhr New Yorker Zeit." \
        in r.email.text
    assert "Das ist eine Bewegung von 2,8 Standardabweichungen" in r.email.text
    assert f"NVDA -8,10{NBSP}% (-2.400,00{NBSP}$)" in r.email.text
    assert r.push.title == f"Portfolio 3,20{NBSP}% im Minus" and r.push.data["locale"] == "de"
    assert r.push.data["move"] == "-0.032000"  # machine fields stay locale-free
    assert (r.locale, r.locale_fallback_from) == ("de", "")


def test_a_chinese_weekly_summary_and_its_webhook_document() -> None:
    r = render_weekly(WEEKLY, period="2026-W11", key="k", summary="", l10n=localizer("zh"))
    assert r.push.title == "您的每周摘要" and r.email.subject.startswith("您的一周 3月2日周一 – 3月6日周五:-1.99%")
    assert "价值:€10,000.00 → €9,800.50" in r.email.text and "变动最大的持仓" in r.email.text
    doc = notification_document(r, user_id="u", notification="users/u/notifications/1", key="k")
    assert doc["data"]["content"]["locale"] == "zh-Hans"  # webhook bodies and feed items say it too


def test_an_unknown_locale_renders_english_and_says_so() -> None:
    r = render_alert(ALERT, period="p", key="k", l10n=localizer("xx-YY"))
    assert r.email.subject == "Unusual move: portfolio -3.20% (2.8σ)"
    assert (r.locale, r.locale_fallback_from) == ("en", "xx-YY")


def test_a_german_weekly_summary_reads_as_german_to_a_screen_reader_too() -> None:
    weekly = dataclasses.replace(WEEKLY, history=HISTORY)
    r = render_weekly(weekly, period="2026-W11", key="k", summary="", l10n=localizer("de"))
    november = dataclasses.replace(weekly, week_start=date(2026, 11, 23), week_end=date(2026, 11, 29))
    first = render_weekly(november, period="2026-W48", key="k", l10n=localizer("de")).email.text.splitlines()[0]
    assert first == "Ihre STACK-Wochenübersicht, Mo., 23. Nov. – So., 29. Nov."  # not "Nov.."
    # the chart's label (its title and aria-label): the catalogue's words and the locale's dates
    label = r.email.html.split('aria-label="', 1)[1].split('"', 1)[0]
    assert " bis " in label and " to " not in label and "2026-" not in label
    english = render_weekly(weekly, period="2026-W11", key="k", summary="").email.html
    assert 'aria-label="Portfolio value: ' in english and " to " in english


@pytest.mark.parametrize(("tag", "word"), [("de", " gegenüber "), ("fr", " contre "), ("es", " frente a "),
                                           ("zh", "对比")])
def test_a_weekly_push_body_compares_in_its_own_language(tag: str, word: str) -> None:
    """"+3,50 % vs SPY +4,31 %": the push body kept the English "vs" (its subject was translated; an i18n tester)."""
    body = render_weekly(WEEKLY, period="2026-W11", key="k", summary="", l10n=localizer(tag)).push.body
    assert word in body and " vs " not in body, body
    assert render_weekly(WEEKLY, period="2026-W11", key="k", summary="").push.body.startswith("-1.99% vs ")

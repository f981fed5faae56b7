"""The deterministic chat answer in the user's language: the same sections and figures as in English,
in the catalogue's words and the locale's CLDR formats, and every figure still a fact of the data block."""

from __future__ import annotations

import dataclasses
import re

import pytest

from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from stack_cfo.core.i18n import localizer
from tests.unit.chat.seed_portfolio import NOW, seed_context
from tests.unit.chat.test_offline import QUESTIONS

LOCALES = ["es", "de", "fr", "zh-Hans"]


@pytest.mark.parametrize("tag", LOCALES)
@pytest.mark.parametrize("question", QUESTIONS)
def test_every_figure_of_a_localised_answer_is_a_fact_of_the_data_block(tag: str, question: str) -> None:
    ctx = seed_context()
    facts = facts_from_data(context_document(ctx, NOW))
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer(tag))
    result = check(text, facts)
    assert result.status in (GroundingStatus.GROUNDED, GroundingStatus.NO_FIGURES), [
        (c.figure.raw, c.figure.context) for c in result.checks if not c.grounded
    ]
    english = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE")
    assert len(text.splitlines()) == len(english.splitlines())  # the same sections, in another language
    # the same figures, give or take small counts ("3 positions" is a counted noun only in English)
    assert len(result.checks) >= len(check(english, facts).checks) - 1


def test_the_seed_question_in_german() -> None:
    text = offline_answer(
        seed_context(), NOW, "Why is my tech basket underperforming this week?", reason="COMPUTE_UNAVAILABLE",
        l10n=localizer("de"),
    )
    assert text.startswith(
        "Dies ist eine automatische Zusammenfassung Ihrer Zahlen, keine KI-Analyse: "
        "der KI-Dienst hat nicht geantwortet."
    )
    assert ("In der letzten Woche erzielte der Korb Tech -3,24\u00a0% (-240,00\u00a0$), gegenüber +1,00\u00a0% für "
            "SPY: eine Überrendite von -4,24 Prozentpunkte.") in text
    assert text.endswith(
        "Ihre Frage ist gespeichert. Wenn Sie gleich noch einmal fragen, erhalten Sie möglicherweise eine KI-Antwort."
    )


def test_the_notice_and_next_step_in_chinese() -> None:
    text = offline_answer(seed_context(), NOW, "hello", reason="COMPUTE_NOT_CONFIGURED", l10n=localizer("zh"))
    assert text.startswith("这是根据您的数据自动生成的摘要,并非 AI 分析:此服务尚未配置 AI 服务提供方。")
    assert text.endswith("您的问题已保存。运营人员配置 AI 服务提供方后,即可获得 AI 回答。")
    assert "US$" in text and "USD" not in text.replace("US$", "")


@pytest.mark.parametrize(
    ("tag", "question", "expected"),
    [
        ("de", "Wie viel Bargeld habe ich?", "Barmittel: "),
        ("zh-Hans", "我有多少现金?", "现金:"),
        ("es", "¿Cuál es mi ratio de Sharpe?", "Ratio de Sharpe "),
        ("fr", "Quelle est la volatilité de mon portefeuille ?", "Volatilité annualisée "),
        ("de", "Wie riskant ist mein Portfolio?", "Maximaler Drawdown "),
        ("zh-Hans", "我的投资组合本周表现如何?", "过去一周"),
        ("es", "¿Debo vender NVDA?", "No puedo dar, modificar ni confirmar órdenes"),
    ],
)
def test_a_question_in_the_users_language_gets_the_section_it_asks_for(tag: str, question: str, expected: str) -> None:
    ctx = seed_context()
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer(tag))
    assert expected in text, text
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status in (GroundingStatus.GROUNDED, GroundingStatus.NO_FIGURES), [
        c.figure.raw for c in result.checks if not c.grounded
    ]


@pytest.mark.parametrize(
    ("tag", "question", "expected"),
    [
        ("en", "What is my Sharpe ratio?", "Sharpe ratio: not available (not enough history yet)"),
        ("de", "Wie hoch ist meine Sharpe-Ratio?", "Sharpe-Ratio: nicht verfügbar (noch zu wenig Historie)"),
        ("fr", "Quel est mon ratio de Sharpe ?", "(pas encore assez d’historique)"),
        ("es", "¿Cuál es mi ratio de Sharpe?", "(aún no hay suficiente historial)"),
        ("zh-Hans", "我的夏普比率是多少?", "历史数据尚不足"),
    ],
)
def test_why_a_metric_is_missing_is_said_in_the_readers_language(tag: str, question: str, expected: str) -> None:
    ctx = seed_context()
    assert ctx.risk is not None
    figures = dict(ctx.risk.figures)
    figures["sharpe"] = dataclasses.replace(figures["sharpe"], value=None, reason="INSUFFICIENT_HISTORY")
    ctx = dataclasses.replace(ctx, risk=dataclasses.replace(ctx.risk, figures=figures))
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer(tag))
    assert expected in text
    assert "insufficient" not in text.lower()


@pytest.mark.parametrize(
    ("tag", "question", "expected"),
    [
        ("es", "¿Mi cartera ha subido un 50 % desde que compré? Pagué 3000",
         "Ganancia o pérdida desde la compra de las posiciones que tienes (las de coste conocido): "
         "+2.430,00\u00a0US$ (+42,26\u00a0% sobre el coste)"),
        ("de", "Ist mein Portfolio seit dem Kauf 50 % im Plus? Ich habe 3000 bezahlt",
         "Gewinn oder Verlust seit dem Kauf bei Ihren Positionen (denen mit bekanntem Einstandswert): "
         "+2.430,00\u00a0$ (+42,26\u00a0% auf den Einstand)"),
        ("fr", "Mon portefeuille est-il en hausse de 50 % depuis l'achat ? J'ai payé 3000",
         "Plus- ou moins-value depuis l’achat sur les positions que vous détenez (celles dont le coût est connu)"),
        ("zh-Hans", "我的投资组合买入以来涨了50%吗?我花了3000", "您所持仓位(成本已知者)自买入以来的盈亏:+US$2,430.00"),
    ],
)
def test_the_gain_since_purchase_in_the_users_language(tag: str, question: str, expected: str) -> None:
    ctx = seed_context()
    l10n = localizer(tag)
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=l10n)
    assert expected in text, text
    assert l10n._("That return on cost is lower than the percentage in your question.") in text
    assert not re.search(r"(?<![\d.,])(?:50|3000)(?![\d.,])", text)  # the user's figures are not stated
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]

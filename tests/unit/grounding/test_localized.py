"""Grounding reads figures in every locale the service writes in: what an AI answering in Spanish,
German, French or Chinese writes (CLDR spellings, direction words, dates) checks against the core's
figures, and an invented figure in a localised spelling is still caught."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data
from stack_cfo.core.i18n import localizer

NBSP, NNBSP = "\u00a0", "\u202f"


def doc(currency: str) -> dict[str, object]:
    """A digest data block as the core builds it (money to cents, *_percent in percent)."""
    return {
        "market_date": "2026-12-08",
        "base_currency": currency,
        "total_value": "1234.56",
        "day_change": "-45.10",
        "day_return_percent": -3.52,
        "positions": [
            {"symbol": "SAP", "weight_percent": 12.5, "market_value": "154.32", "day_return_percent": 1.25},
        ],
    }


#: Texts as a model answering in each language writes them, citing the data block's figures.
GROUNDED = {
    "de": (
        "EUR",
        "Am 8. Dezember 2026 war Ihr Portfolio 1.234,56\u00a0€ wert, ein Minus von 45,10\u00a0€ (-3,52\u00a0%). "
        "SAP macht 12,5\u00a0% des Portfolios aus und stieg um 1,25\u00a0%.",
    ),
    "fr": (
        "EUR",
        f"Au 15 décembre 2026, votre portefeuille valait 1{NNBSP}234,56{NBSP}€, en baisse de 45,10{NBSP}€ "
        f"(-3,52{NBSP}%). SAP représente 12,5{NBSP}% du portefeuille et a progressé de 1,25{NBSP}%.",
    ),
    "fr-space": (
        "EUR",
        "Votre portefeuille vaut 1 234,56 € après un recul de 45,10 € (−3,52 %) ; SAP pèse 12,5 %.",
    ),
    "es": (
        "USD",
        "El 15 de diciembre de 2026 tu cartera valía 1234,56\u00a0US$, bajó 45,10\u00a0US$ (-3,52\u00a0%). "
        "SAP pesa un 12,5\u00a0% y subió un 1,25\u00a0%.",
    ),
    "zh": (
        "CNY",
        "截至2026年12月15日,您的投资组合价值¥1,234.56,下跌¥45.10(-3.52%)。SAP占12.5%,上涨1.25%。",
    ),
    "zh-yuan": (
        "CNY",
        "您的投资组合价值1,234.56元,当日下跌了45.10元,跌幅为3.52%。",
    ),
    "en-cny": ("CNY", "Your portfolio is worth CN¥1,234.56, down CN¥45.10 (-3.52%) on the day."),
    "de-usd": ("USD", "Ihr Portfolio ist 1.234,56\u00a0$ wert; es fiel um 45,10\u00a0$."),
    "fr-usd": ("USD", f"Votre portefeuille vaut 1{NNBSP}234,56{NBSP}$US ; il a reculé de 45,10{NBSP}$US."),
}


@pytest.mark.parametrize("case", sorted(GROUNDED))
def test_localised_ai_texts_citing_the_core_figures_are_grounded(case: str) -> None:
    currency, text = GROUNDED[case]
    result = check(text, facts_from_data(doc(currency), currency=currency))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    assert len(result.checks) >= 2  # the figures were read, not skipped


#: The same texts with one figure invented, in the locale's own spelling.
INVENTED = {
    "de": (
        "EUR",
        "Ihr Portfolio war 1.234,56\u00a0€ wert, ein Minus von 45,10\u00a0€ (-3,52\u00a0%). Rendite: 7,25\u00a0%.",
        "7,25\u00a0%",
    ),
    "de-amount": ("EUR", "Ihr Portfolio war 1.254,56\u00a0€ wert.", "1.254,56\u00a0€"),
    "fr": ("EUR", f"Votre portefeuille valait 1{NNBSP}934,56{NBSP}€.", f"1{NNBSP}934,56{NBSP}€"),
    "es": ("USD", "Tu cartera subió un 4,75\u00a0% esta semana.", "4,75\u00a0%"),
    "zh": ("CNY", "您的投资组合价值¥1,234.56,上涨¥88.80。", "¥88.80"),
    "zh-sign": ("CNY", "您的投资组合上涨¥45.10。", "¥45.10"),  # the core says it fell
    "zh-yen": ("CNY", "您的投资组合价值JP¥1,234.56。", "JP¥1,234.56"),  # yen, not yuan
    "de-sign": ("EUR", "Das Portfolio stieg um 45,10\u00a0€.", "45,10\u00a0€"),  # the core says it fell
}


@pytest.mark.parametrize("case", sorted(INVENTED))
def test_an_invented_figure_in_a_localised_format_is_flagged(case: str) -> None:
    currency, text, invented = INVENTED[case]
    result = check(text, facts_from_data(doc(currency), currency=currency))
    assert result.status is GroundingStatus.UNGROUNDED
    assert [c.figure.raw for c in result.checks if not c.grounded] == [invented]


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("1.234,56 €", "1234.56", "EUR"),
        (f"1{NNBSP}234,56{NBSP}€", "1234.56", "EUR"),
        ("¥1,234.56", "1234.56", "JPY"),
        ("CN¥1,234.56", "1234.56", "CNY"),
        ("1.234,56\u00a0US$", "1234.56", "USD"),
        (f"1{NNBSP}234,56{NBSP}$US", "1234.56", "USD"),
        ("1.234,56\u00a0CN¥", "1234.56", "CNY"),
        ("CHF\u00a01,234.56", "1234.56", "CHF"),
        ("1.2万元", "12000", "CNY"),
        ("3亿美元", "300000000", "USD"),
    ],
)
def test_cldr_money_spellings_read_as_amounts(text: str, value: str, currency: str) -> None:
    [fig] = extract_figures(f"x {text} y")
    assert fig.value == Decimal(value) and fig.currency == currency and fig.raw == text


@pytest.mark.parametrize(
    "text",
    [
        "am 15. Dezember 2026",
        "le 15 décembre 2026",
        "el 15 de diciembre de 2026",
        "截至2026年12月15日",
        "15 März",
    ],
)
def test_localised_dates_are_not_figures(text: str) -> None:
    assert extract_figures(text) == []


@pytest.mark.parametrize("tag", ["en", "es", "de", "fr", "zh-Hans", "de-CH", "fr-CA", "es-MX", "zh-CN"])
def test_every_figure_the_localizer_writes_grounds_against_the_block(tag: str) -> None:
    """The service's own formats (Babel) for each locale read back as the block's values."""
    lc = localizer(tag)
    currency = "EUR"
    text = (
        f"{lc.money(Decimal('1234.56'), currency)} {lc.money(Decimal('-45.10'), currency)} "
        f"{lc.percent_of(-3.52, signed=True)} {lc.percent_of(12.5, digits=1)} "
        f"{lc.date_long(date(2026, 12, 15))} {lc.date_medium(date(2026, 12, 15))}"
    )
    result = check(text, facts_from_data(doc(currency), currency=currency))
    assert result.status is GroundingStatus.GROUNDED, (text, [c.figure.raw for c in result.checks if not c.grounded])
    assert len(result.checks) == 4, [c.figure.raw for c in result.checks]

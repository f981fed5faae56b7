"""No text the service writes itself shows a negative zero ("-0,00", "-0.0%"), in any locale: a tiny loss
that rounds to zero is written as zero, as the English offline answer already does."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from stack_cfo.core.chat.offline import _Figures
from stack_cfo.core.i18n import localizer
from stack_cfo.core.portfolio import insights
from stack_cfo.core.portfolio.narrative import narrative_sentences
from stack_cfo.core.portfolio.results import Metric
from tests.unit.portfolio.test_narrative import summary

LOCALES = ["en", "de", "fr", "es"]
TINY_LOSSES = ["-0.00001", "-0.00004999", "-1E-9", "-0"]
#: A minus (ASCII or U+2212) before digits that are all zero: "-0,00", "−0.00", "-0,0 %".
NEGATIVE_ZERO = re.compile(r"[-\u2212]0(?:[.,]0+)?(?![.,]?[0-9])")

EXPECTED = {  # value -0.00001 in each locale: (pct, share, points, money signed, ratio)
    "en": ("+0.00%", "0.00%", "+0.00 percentage points", "+0.00 EUR", "0.00"),
    "de": ("0,00\u00a0%", "0,00\u00a0%", "+0,00 Prozentpunkte", "0,00\u00a0€", "0,00"),
    "fr": ("0,00\u00a0%", "0,00\u00a0%", "+0,00 points de pourcentage", "0,00\u00a0€", "0,00"),
    "es": ("0,00\u00a0%", "0,00\u00a0%", "+0,00 puntos porcentuales", "0,00\u00a0€", "0,00"),
}


@pytest.mark.parametrize("tag", LOCALES)
def test_offline_figures_of_a_tiny_loss_are_zero_in_every_locale(tag: str) -> None:
    f = _Figures(localizer(tag))
    v = "-0.00001"
    assert (f.pct(v), f.share(v), f.points(v), f.money(v, "EUR", signed=True), f.ratio(v)) == EXPECTED[tag]
    for v in TINY_LOSSES:
        shown = [f.pct(v), f.share(v), f.points(v), f.money(v, "EUR"), f.money(v, "EUR", signed=True),
                 f.money(v, "USD"), f.ratio(v)]
        assert not [s for s in shown if NEGATIVE_ZERO.search(s)], (tag, v, shown)
    # a loss that shows keeps its sign
    assert f.points("-0.0424").startswith(("-4", "\u22124"))
    assert f.ratio("-0.006").startswith(("-0", "\u22120"))


@pytest.mark.parametrize("tag", LOCALES)
def test_a_localized_number_rounds_before_it_drops_the_sign(tag: str) -> None:
    lc = localizer(tag)
    for digits in (0, 1, 2):
        for v in (Decimal("-0.0000001"), -0.0004, Decimal("-0.004"), -0.0):
            assert not NEGATIVE_ZERO.search(lc.number(v, digits=digits)), (tag, digits, v)
    assert lc.number(Decimal("-0.006")) in ("-0.01", "-0,01", "\u22120,01")


@pytest.mark.parametrize("tag", LOCALES)
def test_the_deterministic_narrative_writes_no_negative_zero(tag: str) -> None:
    s = summary()
    risk = replace(s.risk, sharpe=Metric(-0.0004), beta=Metric(-0.001), current_drawdown=Metric(-0.00001))
    s = replace(s, risk=risk, day_return=-0.0000001, total_return=-0.0001)
    text = " ".join(narrative_sentences(s, l10n=localizer(tag)))
    assert not NEGATIVE_ZERO.search(text), NEGATIVE_ZERO.findall(text)
    assert "Sharpe" in text


def test_insight_messages_write_no_negative_zero() -> None:
    assert insights.pct(-0.0001, signed=True) == "+0.0%"
    assert insights.pct(-0.0001) == "0.0%"
    assert insights.pct(-0.0006, signed=True) == "-0.1%"


@pytest.mark.parametrize("tag", ["en", "de", "fr", "es"])
def test_a_localized_number_of_any_size_is_written_never_raised(tag: str) -> None:
    """Rounding first must not make number() raise where Babel wrote something: infinities and NaN
    as Babel writes them, and values too large for a 28-digit context in full."""
    loc = localizer(tag)
    assert "∞" in loc.number(float("inf")) and loc.number(float("-inf")).startswith("-")
    assert "NaN" in loc.number(float("nan"))
    big = loc.number(1e300, digits=2)
    assert len(re.sub(r"\D", "", big)) == 303  # 301 digits and two decimals
    assert re.sub(r"\D", "", loc.number(Decimal("123456789012345678901234567890.125"), digits=2)) == (
        "12345678901234567890123456789012"
    )

"""The faster forms of the grounding patterns find exactly what the plain forms find.

The lowercase patterns (``lexicon.PERIOD_PHRASES_LOWER``, ``lexicon.SPAN_PHRASES_LOWER``) look at a first letter
before their alternatives and run on a lowercased text; ``extract.SENTENCE_END`` puts the mark before its
look-behinds. Each must find the same spans as the plain pattern on every phrase it knows, in any case, inside
sentences, and on random texts of the characters the patterns look at.
"""

from __future__ import annotations

import random
import re

import pytest

from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.extract import SENTENCE_END, sentence_ends

#: Every alternative of ``lexicon.SPAN_PHRASES`` (each optional part with and without it).
SPAN_SAMPLES = [
    "over the past 12 months", "in the last twelve months", "during the trailing 12 months", "for the previous year",
    "the prior year", "past year", "last 12 months", "trailing twelve months", "TTM", "LTM",
    "in den letzten 12 Monaten",
    "den vergangenen zwölf Monate", "letzten 12 Monaten", "im letzten Jahr", "im vergangenen Jahr", "letztes Jahr",
    "sur les 12 derniers mois", "au cours des douze derniers mois", "sur l'année écoulée", "au cours de l’année passée",
    "l'année dernière", "en los últimos 12 meses", "durante los últimos doce meses", "los últimos 12 meses",
    "en el último año", "durante el último año", "el año pasado", "since you bought", "since you first purchased",
    "since you acquired", "since purchase", "since your purchase", "since buying", "since entry", "since acquisition",
    "since you bought it", "since purchased them", "seit dem Kauf", "seit Erwerb", "depuis l'achat", "depuis achat",
    "desde la compra", "desde compra",
]
#: Every alternative of ``lexicon.PERIOD_PHRASES``.
PERIOD_SAMPLES = [
    "today", "today's", "Today’s", "heute", "aujourd'hui", "hoy", "the day's", "on the day", "for the day",
    "over the day", "yesterday", "gestern", "ayer", "this week", "the past week", "the last week", "over the week",
    "last week", "past week", "in den letzten 7 Tagen", "den vergangenen sieben Tage", "letzten 7 tagen",
    "the last 5 days", "in the past 30 trading days", "over the last five days", "past seven days",
    "the last 24 hours", "past twenty-four hours", "in den letzten 24 Stunden", "au cours des dernières 24 heures",
    "dernières 24 heures", "en las últimas 24 horas", "letzte Woche", "in der vergangenen Woche",
    "la semaine dernière", "la semaine passée", "la semana pasada", "diese Woche", "in dieser Woche", "cette semaine",
    "esta semana", "this month", "over the month", "in diesem Monat", "ce mois-ci", "ce mois", "este mes",
    "this year", "year-to-date", "year to date", "YTD", "seit Jahresbeginn", "dieses Jahr", "cette année",
    "depuis le début de l'année", "este año", "en lo que va de año", "for the week", "on the week", "for the month",
    "on the month", "since last Friday", "since last Monday's close", "seit letztem Freitag",
    "seit vergangenem Mittwoch", "depuis vendredi dernier", "desde el viernes pasado", "im laufenden Monat",
    "laufenden Monat", "the current month", "current month", "le mois en cours", "mois en cours", "el mes en curso",
    "mes en curso",
]
CASES = [str, str.upper, str.title, str.capitalize]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in pattern.finditer(text)]


@pytest.mark.parametrize(("plain", "fast", "samples"), [
    (lx.SPAN_PHRASES, lx.SPAN_PHRASES_LOWER, SPAN_SAMPLES),
    (lx.PERIOD_PHRASES, lx.PERIOD_PHRASES_LOWER, PERIOD_SAMPLES),
], ids=["span", "period"])
def test_lowercase_patterns_find_what_the_plain_ones_find(
    plain: re.Pattern[str], fast: re.Pattern[str], samples: list[str]
) -> None:
    for sample in samples:
        for case in CASES:
            for text in (case(sample), f"The portfolio rose 3% {case(sample)}.", f"({case(sample)}, 2%)",
                         f"x{case(sample)}", f"{case(sample)}x"):
                found = _spans(plain, text)
                assert _spans(fast, text.lower()) == found, text
                if text is case(sample):
                    assert found, text  # each sample is one of the pattern's phrases


def test_sentence_end_finds_the_marks_the_look_behind_first_form_found() -> None:
    slow = re.compile(r"(?<![A-Z][a-z])(?<!\b[A-Za-z])[.!?](?=\s)|\n")  # the form before: look-behinds first
    rng = random.Random(20261207)
    alphabet = "aAbZz .!?\n\t1é"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _spans(SENTENCE_END, text) == _spans(slow, text), repr(text)
    text = "Mr. Smith sold. E. g. this! Why? Ok.\nDone. U.S. stocks rose 2.5% today."
    assert sentence_ends(text) == tuple(m.end() for m in slow.finditer(text))

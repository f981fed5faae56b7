"""What writing in the user's language costs: rendering and grounding in each locale against English.

    .venv/bin/python bench/locales.py [--rounds 300]

1. Rendering: a daily digest, a weekly summary and an alert (e-mail text and HTML, push, blocks,
   figures) through a Localizer for each supported locale, against the same three rendered in English
   in the same run (the baseline: the default locale, no catalogue look-ups). Catalogues are compiled
   before timing (that happens once per process and language).
2. Grounding: the check of each locale's deterministic digest and weekly paragraphs (CLDR formats,
   localised words and dates) against the same check of the English paragraphs.

Reported as median microseconds and as ratios to English (1.00 = no cost; goal: rendering <= 1.5).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stack_cfo.core.grounding import check, facts_from_data
from stack_cfo.core.i18n import Localizer, localizer
from stack_cfo.core.notifications.ai_texts import digest_document, digest_fallback, weekly_document, weekly_paragraph
from stack_cfo.core.notifications.content import render_alert, render_digest, render_weekly
from stack_cfo.core.notifications.ports import AlertFacts, DigestFacts, Holding, Mover, ValuePoint, WeeklyFacts

LOCALES = ("en", "es", "de", "fr", "zh-Hans", "de-CH")
HISTORY = tuple(ValuePoint(date(2026, 2, 1) + timedelta(days=i), Decimal(100_000 + 250 * i)) for i in range(30))
DIGEST = DigestFacts(
    day=date(2026, 3, 9), currency="USD", total_value=Decimal("107250.00"), change=Decimal("812.40"),
    day_return=0.0076, history=HISTORY,
    holdings=(Holding("AAPL", 0.55, Decimal("58987.50"), 0.012), Holding("MSFT", 0.45, Decimal("48262.50"), 0.002)),
)
WEEKLY = WeeklyFacts(
    week_start=date(2026, 3, 2), week_end=date(2026, 3, 6), currency="EUR", start_value=Decimal("10000"),
    end_value=Decimal("9800.50"), change=Decimal("-199.50"), week_return=-0.01995, benchmark_symbol="SPY",
    benchmark_return=-0.012, top_movers=(Mover("ASML", -0.054, Decimal("-120.10")),), volatility=0.182,
    previous_volatility=0.2, diversification=0.64, previous_diversification=0.58, history=HISTORY,
)
ALERT = AlertFacts(
    at=datetime(2026, 3, 9, 15, tzinfo=UTC), currency="USD", value=Decimal("96800"), change=Decimal("-3200"),
    move=-0.032, sigma=-2.8, threshold_sigma=2.0, drivers=(Mover("NVDA", -0.08, Decimal("-2400")),), history=HISTORY,
)


def median_us(fn: Callable[[], object], rounds: int) -> float:
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def render_all(lc: Localizer) -> None:
    render_digest(DIGEST, (), period="2026-03-10", key="k", l10n=lc)
    render_weekly(WEEKLY, period="2026-W11", key="k", l10n=lc)
    render_alert(ALERT, period="p", key="k", l10n=lc)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    digest_facts = facts_from_data(digest_document(DIGEST), currency="USD")
    weekly_facts = facts_from_data(weekly_document(WEEKLY), currency="EUR")
    render: dict[str, float] = {}
    ground: dict[str, float] = {}
    for tag in LOCALES:
        lc = localizer(tag)
        render[tag] = median_us(lambda lc=lc: render_all(lc), args.rounds)  # type: ignore[misc]
        texts = (digest_fallback(DIGEST, lc), weekly_paragraph(WEEKLY, lc))
        ground[tag] = median_us(
            lambda texts=texts: (check(texts[0], digest_facts), check(texts[1], weekly_facts)),  # type: ignore[misc]
            args.rounds,
        )
    print(f"{'locale':8} {'render us':>10} {'ratio':>6} {'ground us':>10} {'ratio':>6}")
    for tag in LOCALES:
        print(f"{tag:8} {render[tag]:10.0f} {render[tag] / render['en']:6.2f} {ground[tag]:10.0f} "
              f"{ground[tag] / ground['en']:6.2f}")
    worst = max(render[t] / render["en"] for t in LOCALES)
    print(f"worst rendering ratio to English: {worst:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()

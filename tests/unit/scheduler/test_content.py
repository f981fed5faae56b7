"""Rendered digests, weekly summaries and alerts: what the user reads."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from stack_cfo.core.i18n import localizer
from stack_cfo.core.notifications.content import (
    money,
    pct,
    render_alert,
    render_digest,
    render_weekly,
    svg_chart,
)
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.news import RankedNews
from stack_cfo.core.notifications.ports import (
    AlertFacts,
    DigestFacts,
    Holding,
    Mover,
    NewsItem,
    ValuePoint,
    WeeklyFacts,
)

HISTORY = tuple(ValuePoint(date(2026, 3, 1) + timedelta(days=i), Decimal(100000 + 500 * i)) for i in range(8))
DIGEST = DigestFacts(
    day=date(2026, 3, 8),
    currency="USD",
    total_value=Decimal("103500.00"),
    change=Decimal("1234.5"),
    day_return=0.01207,
    holdings=(
        Holding("AAPL", 0.6, Decimal("62100"), 0.021),
        Holding("MSFT", 0.4, Decimal("41400"), -0.004),
    ),
    history=HISTORY,
    narrative="Steady gains led by Apple.",
)
NEWS = NewsItem(
    "n1",
    "Apple <beats> estimates",
    "Long text.",
    "https://news.example/a?x=1&y=2",
    "Wire",
    datetime(2026, 3, 8, 20, tzinfo=UTC),
    ("AAPL",),
)


def test_a_digest_names_its_session_when_it_was_not_yesterday() -> None:
    """A Monday digest reports Friday: its push title and heading said "yesterday" over Friday's figures."""
    friday = dataclasses.replace(DIGEST, day=date(2026, 3, 6))
    r = render_digest(friday, [], period="2026-03-09", key="digest:u:2026-03-09:push:0")
    assert r.push.title == "Portfolio +1.21% on Fri, Mar 6"
    assert "Performance on Fri, Mar 6" in r.email.text and "Yesterday" not in r.email.text
    de = render_digest(friday, [], period="2026-03-09", key="k", l10n=localizer("de"))
    assert de.push.title == "Portfolio am Fr., 6. März +1,21\u00a0%"


def test_formatting_helpers() -> None:
    assert money(Decimal("1234.5")) == "$1,234.50"
    assert money(Decimal("-0.004"), signed=True) == "$0.00"
    assert money(Decimal("-12.345"), "EUR", signed=True) == "-€12.35"
    assert money(Decimal("5"), "CHF") == "CHF\u00a05.00"  # CLDR: the code before the number, a no-break space
    assert pct(0.01207) == "+1.21%" and pct(-0.5) == "-50.00%" and pct(None) == "n/a"


def test_digest_has_yesterday_performance_news_and_chart() -> None:
    r = render_digest(
        DIGEST,
        [(RankedNews(NEWS, 1.0, ("AAPL",)), "Apple beat estimates.")],
        period="2026-03-09",
        key="digest:u:2026-03-09:email:0",
    )
    assert r.email.subject == "Your portfolio on Sun, Mar 8: +1.21% (+$1,234.50)"  # CLDR en short date
    assert "Value: $103,500.00" in r.email.text
    assert "Best: AAPL +2.10%" in r.email.text and "Worst: MSFT -0.40%" in r.email.text
    assert "Apple beat estimates." in r.email.text and "https://news.example/a?x=1&y=2" in r.email.text
    assert "Apple &lt;beats&gt; estimates" in r.email.html and "<beats>" not in r.email.html
    assert 'href="https://news.example/a?x=1&amp;y=2"' in r.email.html
    assert "<svg" in r.email.html and "<polyline" in r.email.html
    assert r.push.title == "Portfolio +1.21% yesterday"
    assert r.push.data["deep_link"] == "stackcfo://notifications/digest/2026-03-09"
    assert r.push.data["notification_key"] == "digest:u:2026-03-09:email:0"
    assert all(isinstance(v, str) for v in r.push.data.values())
    assert r.push.collapse_key == "digest" and r.push.apns_collapse_id == "digest-2026-03-09"


def test_digest_without_news_says_so() -> None:
    r = render_digest(DIGEST, [], period="2026-03-09", key="k")
    assert "No news mentioned your holdings." in r.email.text


def test_a_tie_names_a_best_but_no_worst() -> None:
    tied = dataclasses.replace(DIGEST, holdings=(Holding("GOOG", 0.5, Decimal("1"), 0.0202),
                                                 Holding("NVDA", 0.5, Decimal("1"), 0.0202)))
    text = render_digest(tied, [], period="2026-03-09", key="k").email.text
    assert "Best: " in text and "Worst: " not in text  # "Best: GOOG +2.02% / Worst: NVDA +2.02%" said nothing


def test_svg_chart_is_well_formed_and_trends_colour() -> None:
    svg = svg_chart(HISTORY)
    root = ET.fromstring(svg)
    points = root.find("{http://www.w3.org/2000/svg}polyline")
    assert points is not None and len(points.attrib["points"].split()) == len(HISTORY)
    assert points.attrib["stroke"] == "#1a7f37"
    falling = svg_chart(tuple(reversed([ValuePoint(p.day, p.value) for p in HISTORY])))
    assert 'stroke="#cf222e"' in falling
    assert svg_chart(HISTORY[:1]) == ""


def test_weekly_compares_with_the_benchmark_and_reports_risk_changes() -> None:
    facts = WeeklyFacts(
        week_start=date(2026, 3, 2),
        week_end=date(2026, 3, 6),
        currency="USD",
        start_value=Decimal("100000"),
        end_value=Decimal("102300"),
        change=Decimal("2300"),
        week_return=0.023,
        benchmark_symbol="SPY",
        benchmark_return=0.011,
        top_movers=(Mover("NVDA", 0.08, Decimal("1600")), Mover("XOM", -0.03, Decimal("-300"))),
        volatility=0.18,
        previous_volatility=0.21,
        diversification=64.0,
        previous_diversification=58.0,
        insights=("Tech is 61% of your portfolio.",),
        history=HISTORY,
    )
    r = render_weekly(facts, period="2026-W11", key="k")
    assert "Return: +2.30% (+$2,300.00) vs SPY +1.10%" in r.email.text
    assert "You finished 1.20% ahead of SPY." in r.email.text
    assert "NVDA +8.00% (+$1,600.00)" in r.email.text
    assert "Volatility (annualised): 18.00% (down from 21.00%)" in r.email.text
    assert "Diversification score: 64.00 (up from 58.00)" in r.email.text
    assert "Tech is 61% of your portfolio." in r.email.html
    assert r.kind is NotificationKind.WEEKLY and r.push.apns_collapse_id == "weekly-2026-W11"


def test_alert_explains_sigma_and_drivers_in_new_york_time() -> None:
    facts = AlertFacts(
        at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC),
        currency="USD",
        value=Decimal("96800"),
        change=Decimal("-3200"),
        move=-0.032,
        sigma=-2.84,
        threshold_sigma=2.0,
        drivers=(Mover("NVDA", -0.081, Decimal("-2400")),),
    )
    r = render_alert(facts, period="XNYS-2026-03-09T11", key="k")
    assert r.email.subject == "Unusual move: portfolio -3.20% (2.8σ)"
    assert "down 3.20% today (-$3,200.00), as of 11:00 New York time" in r.email.text
    assert "2.8-standard-deviation move" in r.email.text
    assert "NVDA -8.10% (-$2,400.00)" in r.email.text
    assert r.push.title == "Portfolio down 3.20%" and r.push.data["sigma"] == "-2.84"
    # the period as Notification.period shows it, not the key's exchange label
    assert r.push.data["period"] == "2026-03-09T11" and r.push.apns_collapse_id == "alert-2026-03-09T11"
    assert r.push.data["deep_link"] == "stackcfo://notifications/alert/2026-03-09T11"


def test_alert_without_enough_history_for_sigma_still_explains_itself() -> None:
    facts = AlertFacts(
        at=datetime(2026, 3, 9, 15, 0, tzinfo=UTC), currency="USD", value=Decimal("96800"),
        change=Decimal("-3200"), move=-0.032, sigma=None, threshold_sigma=2.0, drivers=(),
    )  # fmt: skip
    r = render_alert(facts, period="XNYS-2026-03-09T11", key="k")
    assert r.email.subject == "Unusual move: portfolio -3.20%"
    assert "too short to say how unusual" in r.email.text and "No single position stood out." in r.email.text
    assert r.push.body == "-3.20% (-$3,200.00)" and r.push.data["sigma"] == ""

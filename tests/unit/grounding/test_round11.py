"""Round 11: a fresh audit's wrong figures that were grounded (5 of 50) and true figures that were flagged (24 of
322), on three portfolios nobody had tuned the checker on.

The blocks in ``data/round11_*.json`` are data blocks built by the chat path's own code (summary -> view -> context
document) by the tester who wrote the answers: ``uk`` a GBP investor with LSE stocks and two US names (FX), ``au`` an
AUD portfolio of 20 ASX names with one big loser (PLS, -74.74 % on cost), ``retiree`` a USD bond-ETF and dividend
portfolio with 40 % cash and several deposits and withdrawals.

- A basket's or sector's insight (``insights[5]``: ``BASKET_LAGGING_BENCHMARK`` of the Dividend basket) is that
  basket's, not the portfolio's: "Your portfolio rose 0.63% this week" cited the Dividend basket's week.
- Italian and Portuguese words of time and of change are read ("questa settimana", "da inizio anno", "esta semana",
  "caiu", "è sceso", "perda latente").
- More English words of time: "month-to-date", "last month", "over 1 month", "in the latest session", "on Friday"
  (the day's), "in February" (a month no fact covers).
- A return on cost ("on what you paid", "on cost", "below your cost") is the unrealised return, whatever period the
  sentence named before.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from stack_cfo.core.grounding import Facts, check
from stack_cfo.core.provenance import Snapshot
from tests.unit.grounding.rounds import DATA, blocks, verdict

BLOCKS = blocks("round11", "uk", "au", "retiree")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker)


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("retiree", "Your portfolio rose 0.63% this week.", "0.63%"),
    ("uk", "Your portfolio fell 2.38% this week.", "2.38%"),
    ("uk", "Your portfolio lagged ISF by 7.27 points this week.", "7.27"),
    ("au", "Your portfolio lagged STW by 11.7 points this week.", "11.7"),
])
def test_a_basket_insight_is_the_baskets_not_the_portfolios(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("retiree", "Your Dividend basket rose 0.63% this week, 4.25 points behind SPY.", "0.63%"),
    ("uk", "Your Banks basket fell 2.38% this week.", "2.38%"),
])
def test_the_baskets_own_insight_figures_still_ground(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("au", "XRO ha guadagnato il 6,68 % questa settimana.", "6,68 %"),
    ("au", "XRO ha guadagnato il 6,68 % questo mese.", "6,68 %"),
    ("au", "XRO ha guadagnato il 6,68 % oggi.", "6,68 %"),
    ("au", "O XRO subiu 6,68 % este mês.", "6,68 %"),
    ("au", "O XRO subiu 6,68 % hoje.", "6,68 %"),
    ("au", "O XRO subiu 6,68 % esta semana.", "6,68 %"),
    ("au", "XRO gained 6.68% month-to-date.", "6.68%"),
    ("au", "XRO gained 6.68% last month.", "6.68%"),
    ("au", "XRO gained 6.68% in February.", "6.68%"),
    ("au", "XRO gained 6.68% on Friday.", "6.68%"),
    ("au", "XRO gained 6.68% over 1 month.", "6.68%"),
    ("au", "XRO gained 6.68% in the latest session.", "6.68%"),
    ("uk", "AAPL led the month with a gain of 13.76%, adding £455.32.", "£455.32"),
])
def test_a_period_the_words_name_is_the_figures(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("au", "PLS is down 35.16% on what you paid.", "35.16%"),
    ("au", "XRO is up 6.68% on cost.", "6.68%"),
    ("au", "XRO is up 6.68% versus your average cost.", "6.68%"),
])
def test_a_return_on_cost_is_the_unrealised_return(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("uk", "AstraZeneca (AZN) is your best performer this year, up 8.18% (+£469.20), and it's up 58.38% on what "
           "you paid.", "58.38%"),
    ("retiree", "Verizon (VZ) has been your best performer this month, up 12.06% (+$708), though it's still 19.78% "
                "below your cost.", "19.78%"),
    ("au", "O XRO subiu 6,68 % desde o início do ano.", "6,68 %"),
    ("au", "XRO è salito del 6,68 % da inizio anno.", "6,68 %"),
    ("au", "XRO è salito dell'1,53 % questa settimana.", "1,53 %"),
    ("au", "XRO gained 1.22% on Friday.", "1.22%"),
    ("au", "XRO gained 1.22% in the latest session.", "1.22%"),
    ("au", "XRO lost 2.24% last month.", "2.24%"),
    ("au", "Your portfolio lost 1.39% this week, or about A$2,026.", "A$2,026"),
    ("uk", "A sua carteira caiu 0,74% esta semana (−346,01 £). O ISF subiu 4,89% no mesmo período.", "0,74%"),
    ("au", "Il tuo portafoglio è sceso dell'1,08% da inizio anno. Il rendimento ponderato per il denaro è −1,1%.",
     "1,08%"),
    ("retiree", "O VZ representa 3,13% da carteira e acumula perda latente de 1.622 $ (−19,78%).", "1.622 $"),
    ("au", "CSL es tu mejor valor del año: +16,87 % (+1.399,04 A$). En cambio, PLS ha perdido un 35,16 % "
           "(−2.266,88 A$).", "35,16 %"),
    ("au", "PLS has fallen 35.16% this year alone, costing A$2,266.88. It's now only 2.9% of the portfolio.",
     "A$2,266.88"),
    ("uk", "Ihr Banks-Korb hat diese Woche 2,38 % verloren (−303 £) und liegt damit 7,27 Punkte hinter dem ISF.",
     "7,27"),
    ("au", "Ihr Depot hat diese Woche 1,39 % verloren, rund 2.026 A$. Der STW stieg im selben Zeitraum um 4,88 %.",
     "2.026"),
])
def test_true_figures_ground(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found


_MORNING = "**Your morning update**\nYesterday your portfolio dipped 0.06% (−$118.40). JNJ rose 1.17% (+$107.40)."


def _taken_at(instant: str) -> Facts:
    block = json.loads((DATA / "round11_retiree.json").read_text())
    return Snapshot(block, datetime.fromisoformat(instant), block["base_currency"]).facts


@pytest.mark.parametrize(("instant", "grounded"), [
    ("2026-12-08T11:00:00+00:00", True),   # Tuesday 06:00 New York: Monday was the last session
    ("2026-12-05T12:00:00+00:00", True),   # Saturday: Friday's session is yesterday's
    ("2026-12-08T15:00:00+00:00", False),  # Tuesday 10:00: the session is open, the day's figures are today's
    ("2026-12-07T11:00:00+00:00", False),  # Monday morning: Friday's move is no "yesterday"
    ("2026-11-27T12:00:00+00:00", False),  # the day after Thanksgiving: no session yesterday
])
def test_yesterday_is_the_facts_day_only_in_data_taken_before_the_open_after_a_session(
    instant: str, grounded: bool
) -> None:
    result = check(_MORNING, _taken_at(instant))
    day = [c for c in result.checks if c.figure.raw in ("0.06%", "−$118.40")]
    assert len(day) == 2
    assert all(c.grounded is grounded for c in day), [(c.figure.raw, c.fact_path) for c in day]


def test_on_friday_is_the_days_on_a_monday_morning() -> None:
    text = "On Friday your portfolio dipped 0.06% (−$118.40)."
    assert all(c.grounded for c in check(text, _taken_at("2026-12-07T11:00:00+00:00")).checks)


@pytest.mark.parametrize(("written_on", "market_date", "grounded"), [
    ("2026-12-08", "2026-12-07", True),   # Tuesday's digest of Monday's session (its data taken at Monday's close)
    ("2026-12-07", "2026-12-04", False),  # Monday's digest of Friday's session: not yesterday's
])
def test_a_digest_says_the_day_it_is_written_on_and_yesterday_follows_it(
    written_on: str, market_date: str, grounded: bool
) -> None:
    block = json.loads((DATA / "round11_retiree.json").read_text())
    doc = {**block, "written_on": written_on, "market_date": market_date}
    facts = Snapshot(doc, datetime.fromisoformat(f"{market_date}T21:00:00+00:00"), block["base_currency"]).facts
    day = [c for c in check(_MORNING, facts).checks if c.figure.raw in ("0.06%", "−$118.40")]
    assert len(day) == 2 and all(c.grounded is grounded for c in day)

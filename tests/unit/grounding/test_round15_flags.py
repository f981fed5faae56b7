"""Round 15b: true figures flagged.

The server's own deterministic narrative of a ledger-based portfolio (data: ``round15b_narr_ledger.json``, a stored
receipt's snapshot; deposit 10,000, 10 HISTX bought at 100, a year of closes):

- the summary document's TWR is ``twr_since_start_percent``: "time-weighted return", "TWR" cite it (not an equal local
  return), and never the money-weighted return; "money-weighted", "XIRR" (no ticker: no company the facts lack) only
  ``money_weighted_return_percent``;
- a date in the clause ("since 2025-12-15", "seit 15.12.2025", "desde 15 dic 2025", "depuis le 15 déc. 2025") and a
  VaR's horizon ("VaR al 95 % a 1 día") do not cut it: the metric named before them stays the figure's subject;
- "(now -4.9%)" right after a drawdown's figure is the current drawdown;
- Chinese: the Chinese full stop ends a sentence; "时间加权" (TWR), "资金加权" (MWR), "最大回撤", "当前" and a Latin
  metric name in a Chinese clause ("1日VaR(95%)") are read;
- German "Steuern" is no company ("Gebühren und Steuern 3,25 $").

A fresh audit (blocks ``round15_{eur,isa,baskets}``), false flags 20 -> 8 of 339 true figures:

- a company with its held ticker in brackets, whose name the table of listed companies files under another listing
  ("Novo Nordisk (NVO)", "Unilever (ULVR)", "HSBC (HSBA)"): the bracketed holding's;
- a sector before a noun of one holding after a held position ("BP is your only Energy loser"): the position's;
- a loss said without a direction word: "in the red" ("in the black" a gain), "cost you 4.66%" (a cost in percent),
  "your biggest loser in dollars: $8,378.95"; a restatement after a dash ("- roughly €5.8k") or German "also";
- "for the year" is the year to date.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from stack_cfo.core.grounding import Facts, GroundingStatus, check, facts_from_data
from stack_cfo.core.provenance import Snapshot
from tests.unit.grounding.rounds import DATA, blocks, verdict


def _receipt(file: str) -> Facts:
    block = json.loads((DATA / f"{file}.json").read_text())
    return Snapshot(block, datetime.fromisoformat(block["as_of"]), block["base_currency"]).facts


BLOCKS = {**blocks("round15", "eur", "isa", "baskets"), "ledger": _receipt("round15b_narr_ledger")}
#: The ledger narrative's block: TWR 0.2, local return 0.2, MWR 0.21; max drawdown, VaR, CVaR -0.6; current -0.1.


def _cited(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker, last=True)


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    # the TWR is the document's twr_since_start_percent, the MWR its money_weighted_return_percent
    ("ledger", "Your time-weighted return is 0.2%.", "0.2%", "twr_since_start_percent"),
    ("ledger", "Your TWR is 0.2%.", "0.2%", "twr_since_start_percent"),
    ("ledger", "Your money-weighted return is 0.2%.", "0.2%", "money_weighted_return_percent"),
    ("ledger", "Money-weighted return (XIRR, annualised): +0.2%.", "+0.2%", "money_weighted_return_percent"),
    ("ledger", "Your XIRR is 0.21%.", "0.21%", "money_weighted_return_percent"),
    ("ledger", "Rentabilidad ponderada por dinero (TIR, anualizada): +0,2 %.", "+0,2", "money_weighted_return_percent"),
    ("ledger", "Rendement pondéré par les capitaux (TRI, annualisé) : +0,2 %.", "+0,2",
     "money_weighted_return_percent"),
    ("ledger", "资金加权收益率(XIRR,年化):+0.2%。", "+0.2%", "money_weighted_return_percent"),
    # a date in the clause does not cut it: the TWR named before it is the subject
    ("ledger", "Time-weighted return since 2025-12-15 (deposits and withdrawals excluded): +0.2%.", "+0.2%",
     "twr_since_start_percent"),
    ("ledger", "Zeitgewichtete Rendite seit 15.12.2025 (ohne Ein- und Auszahlungen): +0,2 %.", "+0,2",
     "twr_since_start_percent"),
    ("ledger", "Rentabilidad ponderada en el tiempo desde 15 dic 2025 (sin depósitos ni retiradas): +0,2 %.", "+0,2",
     "twr_since_start_percent"),
    ("ledger", "Rendement pondéré dans le temps depuis le 15 déc. 2025 (hors dépôts et retraits) : +0,2 %.", "+0,2",
     "twr_since_start_percent"),
    ("ledger", "自 2025年12月15日 以来的时间加权收益率(不含存取款):+0.2%。", "+0.2%", "twr_since_start_percent"),
    ("ledger", "Your local return is 0.2%.", "0.2%", "local_return_percent"),
    # a VaR's horizon does not cut its clause either
    ("ledger", "Riesgo: volatilidad anualizada 3,9 %, VaR al 95 % a 1 día -0,6 %.", "-0,6", "risk.var_95_1d_percent"),
    ("ledger", "Risque : volatilité annualisée 3,9 %, VaR à 95 % à 1 jour -0,6 %.", "-0,6", "risk.var_95_1d_percent"),
    ("ledger", "Risiko: Sharpe-Ratio -0,44, VaR 95 % (1 Tag) -0,6 %.", "-0,6", "risk.var_95_1d_percent"),
    ("ledger", "HISTX +1.0%。 风险:年化波动率 3.9%, 1日VaR(95%)-0.6%。", "-0.6%", "risk.var_95_1d_percent"),
    ("ledger", "Risk: maximum drawdown -0.6% (now -0.1%).", "-0.1%", "risk.current_drawdown_percent"),
    # a company's held ticker in brackets
    ("eur", "Novo Nordisk (NVO) fell 2.27% today.", "2.27%", "positions[NVO].return_1d"),
    ("isa", "Unilever (ULVR) has gained 14.4% this year.", "14.4%", "positions[ULVR].return_ytd"),
    ("isa", "HSBC (HSBA) is worth £2,757, about 6% of the portfolio.", "£2,757", "positions[HSBA].market_value"),
    ("isa", "HSBC (HSBA) is worth £2,757, about 6% of the portfolio.", "6%", "positions[HSBA].weight"),
    # a sector naming a holding's kind
    ("isa", "BP is your only Energy loser: down £306.00, or 11.6%.", "£306.00", "positions[BP].unrealized_pnl"),
    ("isa", "BP is your only Energy loser: down £306.00, or 11.6%.", "11.6%", "positions[BP].unrealized_return"),
    # losses without a direction word
    ("eur", "You're about 15% in the red for the year - roughly €5.8k.", "15%", "performance.return_ytd"),
    ("eur", "You're about 15% in the red for the year - roughly €5.8k.", "€5.8k", "performance.change_ytd"),
    ("eur", "Seit Jahresbeginn hat Ihr Portfolio 14,95 % verloren, also 5.785,60 €.", "5.785,60",
     "performance.change_ytd"),
    ("eur", "Currency moves cost you 4.66%; in local terms the return was -14.95%.", "4.66%",
     "ledger.currency_effect_return"),
    ("baskets", "BNTX is your biggest loser in dollars: $8,378.95, down 22.7%.", "$8,378.95",
     "positions[BNTX].unrealized_pnl"),
    # "for the year"
    ("baskets", "GS fell 5.2% this week, yet GS is up 21.2% for the year.", "21.2%", "positions[GS].return_ytd"),
    ("baskets", "GS fell 5.2% this week, yet it's up 21.2% for the year.", "21.2%", "positions[GS].return_ytd"),
])
def test_true_figures_cite_their_own_fact(block: str, text: str, marker: str, path: str) -> None:
    assert _cited(block, text, marker) == (True, path)


@pytest.mark.parametrize(("block", "text", "marker"), [
    # one figure wrong: still flagged
    ("ledger", "Your time-weighted return is 0.21%.", "0.21%"),  # the MWR's, not the TWR's
    ("ledger", "Money-weighted return (XIRR, annualised): +0.3%.", "+0.3%"),
    ("ledger", "Time-weighted return since 2025-12-15 (deposits and withdrawals excluded): +0.3%.", "+0.3%"),
    ("ledger", "Riesgo: volatilidad anualizada 3,9 %, VaR al 95 % a 1 día -0,1 %.", "-0,1"),  # the current drawdown
    ("ledger", "Risk: maximum drawdown -0.6% (now -0.6%).", "(now -0.6%"),  # the max drawdown, not the current one
    ("ledger", "自 2025年12月15日 以来的时间加权收益率(不含存取款):+0.3%。", "+0.3%"),
    ("eur", "Novo Nordisk (NVO) fell 2.72% today.", "2.72%"),
    ("isa", "Unilever (ULVR) has gained 14.1% this year.", "14.1%"),
    ("isa", "HSBC (HSBA) is worth £2,575, about 6% of the portfolio.", "£2,575"),
    ("isa", "HSBC (HSBA) is worth £2,757, about 8% of the portfolio.", "8%"),
    ("isa", "BP is your only Energy loser: down £360.00, or 11.6%.", "£360.00"),
    ("isa", "BP is your only Energy loser: down £306.00, or 11.9%.", "11.9%"),
    ("eur", "You're about 15% in the black for the year.", "15%"),  # a loss of 14.95%
    ("eur", "You're about 15% in the red for the year - roughly €8.5k.", "€8.5k"),
    ("eur", "Seit Jahresbeginn hat Ihr Portfolio 14,95 % verloren, also 5.875,60 €.", "5.875,60"),
    ("eur", "Currency moves cost you 4.46%.", "4.46%"),
    ("eur", "The position cost you €4,500.", "€4,500"),  # a cost in money is a price paid, no loss
    ("baskets", "BNTX is your biggest loser in dollars: $8,738.95, down 22.7%.", "$8,738.95"),
    ("baskets", "GS fell 5.2% this week, yet GS is up 12.2% for the year.", "12.2%"),
])
def test_one_wrong_figure_is_still_flagged(block: str, text: str, marker: str) -> None:
    grounded, path = _cited(block, text, marker)
    assert not grounded, path


def test_a_time_weighted_return_is_never_a_money_weighted_one() -> None:
    facts = facts_from_data({"twr_since_start_percent": 9.0, "money_weighted_return_percent": 10.13,
                             "local_return_percent": 9.0}, currency="USD")
    assert check("Your time-weighted return is 10.13%.", facts).status is GroundingStatus.UNGROUNDED
    assert check("Your money-weighted return is 9.0%.", facts).status is GroundingStatus.UNGROUNDED
    (twr,) = check("Your time-weighted return is 9.0%.", facts).checks
    (mwr,) = check("Your XIRR is 10.13%.", facts).checks
    assert (twr.fact_path, mwr.fact_path) == ("twr_since_start_percent", "money_weighted_return_percent")


def test_german_taxes_are_no_company() -> None:
    facts = facts_from_data({"fees_paid": "3.25", "income": "12.40"}, currency="USD")
    (fees,) = check("Gebühren und Steuern 3,25 $.", facts).checks
    assert (fees.grounded, fees.fact_path) == (True, "fees_paid")
    assert check("Steuern 3,52 $.", facts).status is GroundingStatus.UNGROUNDED

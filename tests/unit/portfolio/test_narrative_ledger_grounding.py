"""The deterministic narrative of a ledger-based portfolio grounds every figure in its own data block, citing the
fact it states: the TWR sentence ``twr_since_start_percent`` (not an equal local return), the XIRR sentence
``money_weighted_return_percent`` ("XIRR" is a metric's name, not a ticker missing from the facts), the realised
P&L, income and fees their own facts. In every language, for a gain and for a loss, with facts read both ways the
server reads them: from the document (``facts_from_data``) and from the stored receipt's snapshot (the document
as JSON, ``provenance.Snapshot``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from stack_cfo.core.grounding.facts import Facts
from stack_cfo.core.i18n import localizer
from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    PortfolioInputs,
    PortfolioSummary,
    compute_summary,
    summary_document,
    write_narrative,
)
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.narrative import narrative_sentences
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T
from stack_cfo.core.provenance import Snapshot

from .factories import after_close, normal_returns, prices_from_returns, series, weekdays

NOW = datetime(2025, 12, 1, tzinfo=UTC)
#: A year of sessions from Monday 15 December 2025.
DAYS = weekdays(date(2025, 12, 15), 255)
LANGUAGES = ("en", "de", "es", "fr", "zh-Hans")


def tx(i: int, kind: T, day: date, **kw: object) -> Transaction:
    data = TransactionInput(type=kind, trade_date=day, currency="USD", **kw)  # type: ignore[arg-type]
    return Transaction(str(i), i, data, NOW, NOW, i)


def ledger_summary(drift: float, *, benchmark: bool) -> PortfolioSummary:
    """Deposit 10,000, buy 10 HISTX at 100 and 20 OTHR at 50, a dividend, a partial sale (a realised gain when the
    prices rise, a realised loss when they fall), fees; a year of closes drifting by ``drift`` a day."""
    hist = prices_from_returns(100, normal_returns(len(DAYS) - 1, seed=31, mu=drift))
    othr = prices_from_returns(50, normal_returns(len(DAYS) - 1, seed=32, mu=drift))
    sell_day = 180
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D("10000")),
        tx(2, T.BUY, DAYS[0], symbol="HISTX", quantity=D(10), price=D(100), fees=D("1.50")),
        tx(3, T.BUY, DAYS[0], symbol="OTHR", quantity=D(20), price=D(50), fees=D("1.00")),
        tx(4, T.DIVIDEND, DAYS[90], symbol="HISTX", amount=D("12.40"), fees=D(0)),
        tx(5, T.SELL, DAYS[sell_day], symbol="OTHR", quantity=D(5), price=othr[sell_day].quantize(D("0.01")),
           fees=D("0.75")),
    ]
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
    prices = {"HISTX": series("HISTX", DAYS, hist), "OTHR": series("OTHR", DAYS, othr)}
    if benchmark:
        prices["SPY"] = series("SPY", DAYS, prices_from_returns(400, normal_returns(len(DAYS) - 1, seed=33)))
    inputs = PortfolioInputs(holdings=(), prices=prices, cash_flows=led.flows, timeline=led.timeline,
                             ledger_figures=led.figures)
    return compute_summary(inputs, as_of=after_close(DAYS[-1]), settings=AnalyticsSettings())


def both_facts(s: PortfolioSummary) -> dict[str, Facts]:
    doc = summary_document(s)
    block = json.loads(json.dumps(doc))  # as a receipt stores it
    return {
        "document": facts_from_data(doc, currency=s.base_currency),
        "receipt": Snapshot(block, datetime.fromisoformat(block["as_of"]), block["base_currency"]).facts,
    }


CASES = {
    "gain": ledger_summary(0.0012, benchmark=True),
    "loss": ledger_summary(-0.0015, benchmark=False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_cases_are_what_they_say(case: str) -> None:
    s = CASES[case]
    assert s.ledger is not None
    twr, mwr = s.risk.cumulative_return.value, s.money_weighted_return.value
    assert twr is not None and mwr is not None
    sign = 1 if case == "gain" else -1
    assert twr * sign > 0 and mwr * sign > 0 and s.ledger.realized_pnl * sign > 0
    assert s.ledger.income > 0 and s.ledger.fees > 0
    assert s.local_return.value == pytest.approx(twr)  # an equal local return the TWR must not cite


def expected(s: PortfolioSummary, case: str) -> dict[int, list[str]]:
    """The facts each sentence's figures cite, by the sentence's place (the insights' sentence aside), in any order:
    what the sentence says, not merely an equal value (the TWR and the local return are equal; so, once rounded, are
    other pairs)."""
    movers = [p.symbol for p in sorted(s.positions, key=lambda p: (-abs(p.day_change or 0), p.symbol))]
    return {
        1: ["total_value", "cash", "cash_weight_percent"],
        2: ["day_change", "day_return_percent"],
        3: ["unrealized_gain", "unrealized_return_percent", "cost_basis"],
        4: ["twr_since_start_percent"] + (["benchmark.cumulative_return_percent"] if case == "gain" else []),
        5: ["realized_pnl", "income", "fees_paid"],
        6: ["money_weighted_return_percent"],
        7: [f"positions[{x}].{k}" for x in movers for k in ("day_return_percent", "day_change")],
        8: ["risk.volatility_percent", "risk.sharpe_ratio", "risk.max_drawdown_percent",
            "risk.current_drawdown_percent", "risk.var_95_1d_percent"] + (["risk.beta"] if case == "gain" else []),
        9: ["diversification.score", "diversification.effective_holdings_count",
            "diversification.effective_sectors_count", "diversification.largest_weight_percent"],
    }


@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_ledger_narrative_grounds_each_figure_in_its_own_fact(case: str, tag: str) -> None:
    s = CASES[case]
    lc = localizer(tag)
    sentences = narrative_sentences(s, l10n=lc)
    text = write_narrative(s, l10n=lc)
    assert text == " ".join(sentences)
    start = lc.date_medium(s.history_start) if tag != "en" else s.history_start.isoformat()  # type: ignore[union-attr]
    assert [i for i, x in enumerate(sentences) if start in x] == [4]  # the TWR's sentence, in its place
    bounds, at = [], 0
    for x in sentences:
        bounds.append((at, at + len(x)))
        at += len(x) + 1
    largest = f"positions[{s.diversification.largest_symbol}].weight_percent"  # the same share, as fact
    for way, facts in both_facts(s).items():
        result = check(text, facts)
        assert result.status is GroundingStatus.GROUNDED, (way, [f.raw for f in result.ungrounded], text)
        for i, paths in expected(s, case).items():
            lo, hi = bounds[i]
            cited = [c.fact_path for c in result.checks if lo <= c.figure.start < hi]
            cited = ["diversification.largest_weight_percent" if p == largest else p for p in cited]
            assert sorted(cited) == sorted(paths), (way, sentences[i], cited)

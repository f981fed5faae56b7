"""The data block answers what investors ask, with figures the core computed under keys whose kind is right."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from stack_cfo.core.chat.data_block import CONVENTIONS, LIMITS, MAX_DATA_TOKENS, context_document, encode_data
from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.portfolio_context import context_from_view
from stack_cfo.core.chat.prompt import data_message
from stack_cfo.core.chat.text import estimate_tokens
from stack_cfo.core.grounding import FactKind, facts_from_data
from stack_cfo.core.portfolio import AnalyticsSettings, PortfolioInputs, compute_summary
from stack_cfo.core.portfolio.ports import StoredPortfolio
from stack_cfo.core.portfolio.views import build_view
from tests.unit.chat.seed_portfolio import NOW, seed_context
from tests.unit.portfolio.factories import (
    after_close,
    normal_returns,
    position,
    prices_from_returns,
    series,
    snapshot,
    weekdays,
)


def test_the_seed_question_tech_basket_against_the_benchmark_over_the_week() -> None:
    doc = context_document(seed_context(), NOW)
    tech = doc["baskets"][0]
    assert tech["name"] == "Tech" and tech["position_count"] == 3
    # 7,400 -> 7,160 over the week: -240, -3.24 %; SPY +1 %; 4.24 points behind.
    assert tech["return_1w"] == -0.0324 and tech["change_1w"] == "-240.00"
    assert doc["benchmark"] == {"symbol": "SPY", "return_1d": 0.0061, "return_1w": 0.01, "return_1m": 0.0298,
                                "return_ytd": 0.0504}
    assert tech["excess_return_1w"] == -0.0424
    contributions = {p["symbol"]: p["return_contribution_1w"] for p in tech["positions"]}
    assert contributions == {"NVDA": -0.027, "AAPL": 0.0, "MSFT": -0.0054}  # -200, 0, -40 over 7,400
    positions = {p["symbol"]: p for p in doc["positions"]}
    assert (positions["NVDA"]["return_1w"], positions["NVDA"]["change_1w"]) == (-0.1, "-200.00")
    assert (positions["MSFT"]["return_1w"], positions["MSFT"]["change_1w"]) == (-0.02, "-40.00")
    # The other periods are there too: the month since 6 Feb, the year since 31 Dec.
    assert (tech["return_1m"], tech["return_ytd"]) == (0.1365, 0.1933)  # 860 / 6,300 and 1,160 / 6,000
    assert positions["NVDA"]["return_1d"] == -0.0526 and positions["NVDA"]["return_1m"] == 0.5
    # The insight that answers it, with its drags, in block keys.
    lag = next(i for i in doc["insights"] if i["code"] == "BASKET_LAGGING_BENCHMARK")
    assert lag["basket"] == "Tech" and lag["return_1w"] == -0.0324 and lag["benchmark_return_1w"] == 0.01
    assert lag["excess_return_1w"] == -0.0424
    assert lag["drags"][0] == {"symbol": "NVDA", "return_1w": -0.1, "return_contribution_1w": -0.027}
    # The facts a grounding check gets from it, with their kinds and stable paths.
    facts = facts_from_data(doc)
    assert facts["baskets[Tech].return_1w"].value == Decimal("-0.0324")
    assert facts["baskets[Tech].return_1w"].kind is FactKind.FRACTION
    assert facts["benchmark.return_1w"].kind is FactKind.FRACTION
    assert facts["baskets[Tech].positions[NVDA].return_contribution_1w"].kind is FactKind.FRACTION
    assert facts["baskets[Tech].change_1w"].kind is FactKind.AMOUNT
    assert facts["baskets[Tech].change_1w"].currency == "USD"


def test_cash_and_weights_say_what_they_are_shares_of() -> None:
    doc = context_document(seed_context(), NOW)
    assert doc["total_value"] == "10180.00" and doc["invested_value"] == "8180.00"
    assert doc["cash"] == {"value": "2000.00", "weight": 0.1965}  # of total value
    msft = next(p for p in doc["positions"] if p["symbol"] == "MSFT")
    assert msft["weight"] == 0.1925  # 1,960 / 10,180: of total value, cash included
    assert msft["invested_weight"] == 0.2396  # 1,960 / 8,180: what the insights use
    concentration = next(i for i in doc["insights"] if i["code"] == "POSITION_CONCENTRATION" and i["symbol"] == "MSFT")
    assert concentration["invested_weight"] == msft["invested_weight"]
    assert "24.0% of your invested portfolio" in concentration["message"]
    idle = next(i for i in doc["insights"] if i["code"] == "IDLE_CASH")
    assert idle["weight"] == doc["cash"]["weight"] and idle["cash"] == "2000.00"
    # The model is told the same, once, outside the data.
    block = data_message(doc).content
    assert CONVENTIONS in block and "weight is a share of total_value (cash included)" in CONVENTIONS
    assert "invested_weight is a share of invested_value" in CONVENTIONS


def test_diversification_score_and_its_parts() -> None:
    d = context_document(seed_context(), NOW)["diversification"]
    assert d["score"] == round(d["score_from_holdings"] + d["score_from_sectors"], 1)
    assert d["position_count"] == 4 and d["largest_symbol"] == "AAPL"
    assert d["largest_invested_weight"] == 0.4156 and d["top5_invested_weight"] == 1.0
    weights = [3400 / 8180, 1960 / 8180, 1800 / 8180, 1020 / 8180]
    assert d["position_hhi"] == round(sum(w * w for w in weights), 4)
    assert d["effective_position_count"] == round(1 / sum(w * w for w in weights), 2)


# Keys whose kind is deliberately a plain number (grounding matches them at face value).
_NUMBER_KEYS = {"quantity", "score", "score_from_holdings", "score_from_sectors", "position_hhi",
                "sector_hhi", "oldest_age_days"}


def test_every_number_has_a_key_that_names_its_kind() -> None:
    doc = context_document(seed_context(), NOW)
    facts = facts_from_data(doc)
    assert len(facts) > 150
    for path, fact in facts.items():
        key = re.split(r"[.\]]", path)[-1]
        if key == "count":  # list sizes
            assert fact.kind is FactKind.COUNT
        elif key.startswith(("return", "excess_return", "weight", "invested_weight", "unrealized_return")):
            assert fact.kind is FactKind.FRACTION, path
        elif key.startswith(("change_", "market_value", "value", "unrealized_pnl", "total_value", "invested_value",
                             "cash", "cost_basis", "last_price", "average_cost")):
            assert fact.kind is FactKind.AMOUNT and fact.currency == "USD", path
        elif key.endswith("_count") or key == "observations":
            assert fact.kind is FactKind.COUNT, path
        elif key in ("sharpe", "sortino", "calmar", "beta"):
            assert fact.kind is FactKind.RATIO, path
        elif key not in _NUMBER_KEYS:
            assert fact.kind is FactKind.FRACTION, path  # risk figures, thresholds, drawdowns


def test_a_context_stored_before_these_figures_still_reads_and_shows_its_day() -> None:
    stored = {  # chat_sessions.context as written before periods, groups and insights existed
        "snapshot_time": "2026-03-06T21:00:00+00:00", "base_currency": "USD", "total_value": "2800",
        "total_return_amount": "300", "total_return_percent": 12.0, "day_change_amount": "-28",
        "day_change_percent": -0.99, "risk": None,
        "positions": [{"symbol": "AAPL", "quantity": "10", "currency": "USD", "sector": "Technology",
                       "basket": "tech", "market_value": "1800", "weight": 0.642857, "unrealized_pnl": "300",
                       "unrealized_pnl_percent": 20.0, "day_change": "-28", "day_change_percent": -1.5}],
    }
    ctx = PortfolioContext.from_json(stored)
    assert ctx.baskets == () and ctx.insights == () and ctx.cash is None and ctx.benchmark is None
    doc = context_document(ctx, NOW)
    assert doc["performance"] == {"return_1d": -0.0099, "change_1d": "-28.00"}
    assert doc["unrealized_pnl"] == "300.00" and doc["unrealized_return"] == 0.12
    assert doc["positions"][0] == {"symbol": "AAPL", "quantity": "10", "market_value": "1800.00", "weight": 0.6429,
                                   "unrealized_pnl": "300.00", "unrealized_return": 0.2, "return_1d": -0.015,
                                   "change_1d": "-28.00", "sector": "Technology", "basket": "tech"}
    assert "cash" not in doc and "baskets" not in doc and "insights" not in doc
    # And a new context round-trips through its JSON.
    new = seed_context()
    assert PortfolioContext.from_json(json.loads(json.dumps(new.to_json()))) == new


def _big_context(n: int, baskets: int, sectors: int) -> PortfolioContext:
    days = weekdays(date(2025, 11, 3), 100)
    prices = {f"S{i:02d}X": series(f"S{i:02d}X", days, prices_from_returns(50 + i, normal_returns(99, seed=i)))
              for i in range(n)}
    prices["SPY"] = series("SPY", days, prices_from_returns(400, normal_returns(99, seed=99)))
    positions = [position(f"S{i:02d}X", 10 + i, "40", sector=f"Sector {i % sectors}", basket=f"Basket {i % baskets}")
                 for i in range(n)]
    snap = snapshot(days[0], positions, cash=5000)
    summary = compute_summary(PortfolioInputs(holdings=(snap,), prices=prices), as_of=after_close(days[-1]),
                              settings=AnalyticsSettings())
    return context_from_view(build_view("u1", summary, StoredPortfolio("u1", "USD", (snap,), ())))


def test_a_large_portfolio_fits_the_budget_largest_first_and_counts_the_rest() -> None:
    ctx = _big_context(60, baskets=12, sectors=11)
    doc = context_document(ctx, ctx.snapshot_time + timedelta(minutes=1))
    assert estimate_tokens(encode_data(doc)) <= MAX_DATA_TOKENS
    listed = len(doc["positions"])
    assert listed < 60 and doc["position_count"] == 60 and doc["positions_not_listed_count"] == 60 - listed
    values = [Decimal(p["market_value"]) for p in doc["positions"]]
    assert values == sorted(values, reverse=True)
    smallest_listed = values[-1]
    assert all(p.market_value is not None and p.market_value <= smallest_listed
               for p in ctx.positions if p.symbol not in {x["symbol"] for x in doc["positions"]})
    for key, total in (("baskets", 12), ("sectors", 11)):
        assert len(doc[key]) + doc[f"{key}_not_listed_count"] == total
        for g in doc[key]:
            assert len(g["positions"]) + g.get("positions_not_listed_count", 0) == g["position_count"]
    assert len(doc.get("insights", [])) + doc.get("insights_not_listed_count", 0) == len(ctx.insights)
    # A small portfolio lists everything at the most generous limits.
    small = context_document(seed_context(), NOW)
    assert len(small["positions"]) == 4 and not any(k.endswith("_not_listed_count") for k in small)
    assert LIMITS[0].positions == 25


def test_no_benchmark_means_no_excess_figures() -> None:
    ctx = replace(seed_context(), benchmark=None)
    doc = context_document(ctx, NOW)
    assert "benchmark" not in doc
    assert not any(k.startswith("excess") for k in doc["performance"])
    assert not any(k.startswith("excess") for k in doc["baskets"][0])


def test_an_answer_quoting_the_cores_own_insights_is_grounded() -> None:
    """An AI that answers the seed question with the core's insight sentences ("4.2 points behind",
    "NVDA (-10.0%, -2.7 points)") must not be flagged for them."""
    from stack_cfo.core.grounding import GroundingStatus, check

    doc = context_document(seed_context(), NOW)
    facts = facts_from_data(doc)
    for insight in doc["insights"]:
        result = check(insight["message"], facts)
        assert result.status is not GroundingStatus.UNGROUNDED, (insight["message"], [f.raw for f in result.ungrounded])

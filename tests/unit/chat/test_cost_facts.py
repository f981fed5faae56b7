"""A position's last price, average cost and cost basis are in the data block the AI answers from (the
session's PortfolioContext shows them to the client), so an answer quoting them is grounded and cites them;
the deterministic answer gives them when asked what a position cost, what was paid or what it trades at."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stack_cfo.core.chat.data_block import (
    CONVENTIONS,
    FOREIGN_CONVENTIONS,
    MAX_DATA_TOKENS,
    context_document,
    encode_data,
)
from stack_cfo.core.chat.models import ContextPosition, PortfolioContext
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.chat.prompt import data_message
from stack_cfo.core.chat.question import read_question
from stack_cfo.core.chat.text import estimate_tokens
from stack_cfo.core.grounding import FactKind, GroundingStatus, check, facts_from_data
from stack_cfo.core.i18n import localizer
from tests.unit.chat.seed_portfolio import NOW, seed_context

AT = datetime(2026, 3, 6, 21, tzinfo=UTC)
LOCALES = ["en", "es", "de", "fr", "zh-Hans"]


def _aapl_context(**position: object) -> PortfolioContext:
    """The tester's portfolio: 10 AAPL bought at 150.00 (cost basis 1,500.00), last at 205.00, cash 1,500."""
    fields: dict[str, object] = {
        "symbol": "AAPL", "quantity": Decimal(10), "average_cost": Decimal(150), "cost_basis": Decimal(1500),
        "last_price": Decimal(205), "market_value": Decimal(2050), "weight": 0.5775, "invested_weight": 1.0,
        "unrealized_pnl": Decimal(550), "unrealized_pnl_percent": 36.67, "day_change": Decimal(10),
        "day_change_percent": 0.49,
    }
    fields.update(position)
    return PortfolioContext(
        snapshot_time=AT, base_currency="USD", total_value=Decimal(3550), invested_value=Decimal(2050),
        cash=Decimal(1500), cash_weight=0.4225, positions=(ContextPosition(**fields),),  # type: ignore[arg-type]
    )


def test_the_block_lists_each_positions_price_and_cost() -> None:
    doc = context_document(seed_context(), NOW)
    aapl = next(p for p in doc["positions"] if p["symbol"] == "AAPL")
    assert (aapl["last_price"], aapl["average_cost"], aapl["cost_basis"]) == ("170.00", "120.00", "2400.00")
    facts = facts_from_data(doc, currency="USD")
    for key in ("last_price", "average_cost", "cost_basis"):
        fact = facts[f"positions[AAPL].{key}"]
        assert fact.kind is FactKind.AMOUNT and fact.currency == "USD", key
    assert "cost_basis" in CONVENTIONS and "last_price and average_cost are per unit" in CONVENTIONS


def test_a_correct_answer_about_price_and_cost_is_grounded_and_cites_them() -> None:
    """It was UNGROUNDED ($205.00 and $150.00) and cited cash.value for the cost basis of $1500.00."""
    facts = facts_from_data(context_document(_aapl_context(), AT), currency="USD")
    text = "AAPL last closed at $205.00; your average cost is $150.00 and your cost basis is $1500.00."
    result = check(text, facts)
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    assert [c.fact_path for c in result.checks] == [
        "positions[AAPL].last_price", "positions[AAPL].average_cost", "positions[AAPL].cost_basis"]


def test_a_price_below_a_cent_keeps_its_digits_and_unknown_figures_are_left_out() -> None:
    doc = context_document(_aapl_context(last_price=Decimal("0.0034"), average_cost=Decimal("0.00123456")), AT)
    assert (doc["positions"][0]["last_price"], doc["positions"][0]["average_cost"]) == ("0.0034", "0.0012")
    bare = context_document(_aapl_context(last_price=None, average_cost=None, cost_basis=None), AT)
    assert not {"last_price", "average_cost", "cost_basis"} & bare["positions"][0].keys()


def test_prices_per_unit_are_in_the_positions_own_currency() -> None:
    ctx = _aapl_context(symbol="SAP", currency="EUR", last_price=Decimal("180.5"), average_cost=Decimal(150))
    facts = facts_from_data(context_document(ctx, AT), currency="USD")
    assert facts["positions[SAP].last_price"].currency == "EUR"
    assert check("SAP last traded at €180.50.", facts).status is GroundingStatus.GROUNDED
    assert check("SAP last traded at $180.50.", facts).status is GroundingStatus.UNGROUNDED


def test_a_foreign_positions_money_is_in_the_base_currency() -> None:
    """Its prices per unit are in EUR, its value, cost basis, P&L and changes in USD (the base): "SAP is
    worth $2,050.00" was UNGROUNDED, every money fact of the position being tagged EUR."""
    ctx = _aapl_context(symbol="SAP", currency="EUR", last_price=Decimal("180.5"), average_cost=Decimal(150))
    doc = context_document(ctx, AT)
    sap = doc["positions"][0]
    assert sap["price_currency"] == "EUR" and "currency" not in sap
    assert "price_currency" in CONVENTIONS and FOREIGN_CONVENTIONS in data_message(doc).content
    assert FOREIGN_CONVENTIONS not in data_message(context_document(_aapl_context(), AT)).content  # only then
    facts = facts_from_data(doc, currency="USD")
    assert {k: facts[f"positions[SAP].{k}"].currency for k in (
        "last_price", "average_cost", "market_value", "cost_basis", "unrealized_pnl", "change_1d")} == {
        "last_price": "EUR", "average_cost": "EUR", "market_value": "USD", "cost_basis": "USD",
        "unrealized_pnl": "USD", "change_1d": "USD"}
    text = ("Your SAP position is worth $2,050.00 (cost basis $1,500.00, up $550.00); "
            "it last traded at €180.50 against an average cost of €150.00.")
    result = check(text, facts)
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    assert check("Your SAP position is worth €2,050.00.", facts).status is GroundingStatus.UNGROUNDED
    # The deterministic answer quotes the prices in EUR and the cost basis in USD.
    answer = offline_answer(ctx, AT, "What did SAP cost me?", reason="COMPUTE_UNAVAILABLE", l10n=localizer("en"))
    assert "last price 180.50 EUR" in answer and "average cost 150.00 EUR" in answer, answer
    assert "cost basis 1,500.00 USD" in answer and "worth 2,050.00 USD" in answer, answer


def test_a_large_portfolio_still_fits_with_the_new_fields() -> None:
    positions = tuple(
        ContextPosition(symbol=f"S{i:02d}X", quantity=Decimal(10 + i), average_cost=Decimal("123.4567"),
                        cost_basis=Decimal("1234.56"), last_price=Decimal("150.1234"), market_value=Decimal(1500 + i),
                        weight=0.01, invested_weight=0.01, unrealized_pnl=Decimal("265.44"),
                        unrealized_pnl_percent=21.5, sector=f"Sector {i % 11}", basket=f"Basket {i % 12}")
        for i in range(80)
    )
    ctx = replace(_aapl_context(), positions=positions)
    doc = context_document(ctx, AT)
    assert estimate_tokens(encode_data(doc)) <= MAX_DATA_TOKENS
    assert all("average_cost" in p and "last_price" in p and "cost_basis" in p for p in doc["positions"])


@pytest.mark.parametrize("tag", LOCALES)
def test_the_offline_answer_gives_a_positions_average_cost(tag: str) -> None:
    """It said the cost basis is not in the data."""
    l10n = localizer(tag)
    ctx = seed_context()
    text = offline_answer(ctx, NOW, "What is my average cost for AAPL?", reason="COMPUTE_UNAVAILABLE", l10n=l10n)
    usd = (lambda v: f"{v:,.2f} USD") if l10n.is_english else (lambda v: l10n.money(Decimal(v), "USD"))
    assert l10n._("average cost {price} per share").format(price=usd(120)) in text
    assert l10n._("last price {price} per share").format(price=usd(170)) in text
    assert l10n._("cost basis {amount} for the {quantity} shares held").format(amount=usd(2400), quantity="20") in text
    assert l10n._("What the positions cost (their cost basis) is not in the data this summary is built from, "
                  "so it cannot confirm an amount paid.") not in text
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    cited = {c.fact_path for c in result.checks}
    assert {"positions[AAPL].average_cost", "positions[AAPL].cost_basis", "positions[AAPL].last_price"} <= cited


@pytest.mark.parametrize(
    ("tag", "question"),
    [
        ("en", "What did I pay for my stocks?"),
        ("es", "¿Cuál es mi coste medio?"),
        ("de", "Was ist mein Einstandspreis?"),
        ("fr", "Quel est mon prix de revient ?"),
        ("zh-Hans", "我的平均成本是多少?"),
    ],
)
def test_a_cost_question_naming_no_position_lists_each_positions_cost(tag: str, question: str) -> None:
    l10n = localizer(tag)
    ctx = seed_context()
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=l10n)
    for symbol in ("AAPL", "MSFT", "NVDA", "XOM"):
        assert f"\n{symbol}: " in text, symbol
    assert l10n._("The total paid for the whole portfolio is not in the data; each position's cost basis is.") in text
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    assert {"positions[XOM].cost_basis", "positions[XOM].average_cost"} <= {c.fact_path for c in result.checks}


@pytest.mark.parametrize(
    "question",
    ["What's the last price of NVDA?", "¿Cuál es el precio de NVDA?", "Wie ist der Kurs von NVDA?",
     "Quel est le cours de NVDA ?", "NVDA 的股价是多少?"],
)
def test_a_price_question_gets_the_last_price(question: str) -> None:
    q = read_question(question, symbols=["NVDA", "AAPL"])
    assert q.price and q.symbols == ("NVDA",) and q.recognised
    text = offline_answer(seed_context(), NOW, question, reason="COMPUTE_UNAVAILABLE")
    assert "NVDA: last price 180.00 USD per share" in text


def test_without_any_cost_in_the_data_the_answer_says_so() -> None:
    ctx = seed_context()
    bare = replace(ctx, positions=tuple(
        replace(p, average_cost=None, cost_basis=None, last_price=None) for p in ctx.positions))
    text = offline_answer(bare, NOW, "What did I pay for my stocks?", reason="COMPUTE_UNAVAILABLE")
    assert "What the positions cost (their cost basis) is not in the data" in text
    one = offline_answer(bare, NOW, "What is my average cost for AAPL?", reason="COMPUTE_UNAVAILABLE")
    assert "AAPL: its cost is not in the data." in one


def test_a_foreign_positions_rate_local_value_and_returns_are_facts() -> None:
    """A chat tester's EUR position in a USD portfolio: "worth €1,030.00, which is $1,133.00 at 1.10 dollars per
    euro" was UNGROUNDED (the block had no rate or local value), though every figure was right."""
    ctx = _aapl_context(symbol="SAP", currency="EUR", quantity=Decimal(5), average_cost=Decimal(180),
                        cost_basis=Decimal(990), last_price=Decimal(206), market_value=Decimal(1133),
                        unrealized_pnl=Decimal(143), unrealized_pnl_percent=14.44, exchange_rate=Decimal("1.10"),
                        local_return=0.144444, currency_effect=0.0)
    doc = context_document(ctx, AT)
    sap = doc["positions"][0]
    assert (sap["exchange_rate"], sap["local_market_value"], sap["local_return"], sap["currency_effect_return"]) == (
        "1.10", "1030.00", 0.1444, 0.0)
    facts = facts_from_data(doc, currency="USD")
    assert facts["positions[SAP].local_market_value"].currency == "EUR"
    assert facts["positions[SAP].exchange_rate"].currency == "USD"
    text = "Your SAP position is worth €1,030.00, which is $1,133.00 at 1.10 dollars per euro; up 14.44% in euros."
    result = check(text, facts)
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]
    assert check("Your SAP position is worth $1,030.00.", facts).status is GroundingStatus.UNGROUNDED
    # A position in the base currency lists none of these.
    usd = context_document(_aapl_context(exchange_rate=None), AT)["positions"][0]
    assert not {"exchange_rate", "local_market_value", "local_return", "currency_effect_return"} & usd.keys()
    # A currency effect is a return ("4.55%"), and a small rate keeps its digits.
    krw = _aapl_context(symbol="KRWX", currency="KRW", exchange_rate=Decimal("0.00073"), local_return=-0.0285,
                        currency_effect=0.0455)
    krw_doc = context_document(krw, AT)
    assert krw_doc["positions"][0]["exchange_rate"] == "0.00073"
    krw_facts = facts_from_data(krw_doc, currency="USD")
    assert check("The currency effect on KRWX was 4.55%.", krw_facts).status is GroundingStatus.GROUNDED
    # And the context keeps them through its stored JSON.
    assert PortfolioContext.from_json(json.loads(json.dumps(ctx.to_json()))) == ctx


def test_the_model_is_told_a_foreign_positions_returns_are_in_its_own_currency_and_its_day_change_is_not() -> None:
    """An auditor's JPY portfolio with a USD sleeve: AAPL's return_1d +0.57% (its price's move in dollars) beside its
    change_1d of -4,184 yen (the yen rose that day), and a sector holding only VOO at -1.70% against VOO's -0.84%:
    the block said only that the money fields were in base currency, so a model could state either as the other."""
    for said in ("return_* are its price's own moves, in price_currency",
                 "change_1d is in base_currency and includes the exchange rate's move",
                 "can differ in sign", "A basket's or sector's change_* is the sum of its positions'"):
        assert said in FOREIGN_CONVENTIONS

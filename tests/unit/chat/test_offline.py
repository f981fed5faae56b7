"""The deterministic writer answers the question asked, with figures of the data block only, and says
honestly why AI is not answering."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from stack_cfo.core.ai import CompletionOptions, DegradedReason, ReasonedFallback
from stack_cfo.core.ai.offline import OFFLINE_BANNER, OfflineComputeClient, generic_fallback, write_offline
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.models import PortfolioContext
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.chat.question import read_question
from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from tests.unit.chat.seed_portfolio import NOW, seed_context

QUESTIONS = [
    "Why is my tech basket underperforming this week?",
    "What's my Sharpe ratio?",
    "How volatile is my portfolio?",
    "What is my max drawdown?",
    "What's my beta?",
    "What is my VaR?",
    "Sortino and CAGR please",
    "How much cash do I have?",
    "How did nvda do this month?",
    "How am I doing today?",
    "How did I do this year vs the market?",
    "Is my portfolio risky?",
    "Am I diversified enough?",
    "Any news on MSFT?",
    "Should I sell AAPL?",
    "Tell me about my sectors",
    "What about the Energy sector this week?",
    "Any warnings?",
    "How much is my portfolio worth?",
    "hello",
    "",
]
REASONS = [r.value for r in DegradedReason if r is not DegradedReason.MODEL_SUBSTITUTED]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_figure_it_writes_is_a_fact_of_the_data_block(question: str) -> None:
    ctx = seed_context()
    facts = facts_from_data(context_document(ctx, NOW))
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE")
    result = check(text, facts)
    assert result.status in (GroundingStatus.GROUNDED, GroundingStatus.NO_FIGURES), [
        (c.figure.raw, c.figure.context) for c in result.checks if not c.grounded
    ]


def test_a_context_stored_before_periods_existed_also_grounds() -> None:
    old = PortfolioContext.from_json({
        "snapshot_time": "2026-03-06T21:00:00+00:00", "base_currency": "USD", "total_value": "2800",
        "total_return_amount": "300", "total_return_percent": 12.0, "day_change_amount": "-28",
        "day_change_percent": -0.99,
        "positions": [{"symbol": "AAPL", "quantity": "10", "market_value": "1800", "weight": 0.642857,
                       "day_change": "-28", "day_change_percent": -1.5, "basket": "tech"}],
    })
    facts = facts_from_data(context_document(old, NOW))
    for question in QUESTIONS:
        text = offline_answer(old, NOW, question, reason="COMPUTE_NOT_CONFIGURED")
        assert check(text, facts).status in (GroundingStatus.GROUNDED, GroundingStatus.NO_FIGURES), question


def _answer(question: str, reason: str = "COMPUTE_UNAVAILABLE") -> str:
    return offline_answer(seed_context(), NOW, question, reason=reason)


def test_the_seed_question_gets_the_basket_the_benchmark_and_the_drags() -> None:
    text = _answer("Why is my tech basket underperforming this week?")
    assert "Over the past week the Tech basket returned -3.24% (-240.00 USD), against +1.00% for SPY: " \
           "an excess return of -4.24 percentage points." in text
    assert ("Contributions to the Tech basket's return over the past week: NVDA -2.70 percentage points "
            "(its own return -10.00%), MSFT -0.54 percentage points (its own return -2.00%), AAPL +0.00 "
            "percentage points (its own return +0.00%).") in text
    assert "70.33% of total value (cash included), 87.53% of invested value" in text


def test_each_question_gets_its_own_figures() -> None:
    doc = context_document(seed_context(), NOW)
    risk = doc["risk"]
    answers = {q: _answer(q) for q in QUESTIONS}
    assert len(set(answers.values())) == len(answers) - 1  # only "hello" and "" share the general summary
    assert f"Sharpe ratio {risk['sharpe']:.2f}" in answers["What's my Sharpe ratio?"]
    assert f"Annualised volatility {risk['volatility'] * 100:.2f}%" in answers["How volatile is my portfolio?"]
    assert f"Maximum drawdown {risk['max_drawdown'] * 100:+.2f}%" in answers["What is my max drawdown?"]
    assert f"Beta against SPY {risk['beta']:.2f}" in answers["What's my beta?"]
    assert "One-day 95% VaR" in answers["What is my VaR?"] and "CVaR" in answers["What is my VaR?"]
    assert "Sortino ratio" in answers["Sortino and CAGR please"] and "CAGR" in answers["Sortino and CAGR please"]
    assert "Cash: 2,000.00 USD, 19.65% of total value." in answers["How much cash do I have?"]
    nvda = answers["How did nvda do this month?"]
    assert "NVDA price moves: over the past month +50.00% (+600.00 USD)." in nvda
    assert "Its contribution to the Tech basket's return: +9.52 percentage points over the past month." in nvda
    assert "-1.17% since the previous close (-120.00 USD), against +0.61% for SPY" in answers["How am I doing today?"]
    assert "+13.11% so far this year" in answers["How did I do this year vs the market?"]
    assert "Diversification score 9.8" in answers["Am I diversified enough?"]
    assert "Technology 87.53%, Energy 12.47%" in answers["Am I diversified enough?"]
    assert "News is not part of the data" in answers["Any news on MSFT?"] and "MSFT: 5 shares" in answers[
        "Any news on MSFT?"]
    assert answers["Should I sell AAPL?"].splitlines()[1].startswith("I cannot place, change or confirm trades")
    assert "Your Energy sector holds 1 position" in answers["What about the Energy sector this week?"]
    assert "AAPL is 41.56% of invested value, above the 25.00% guideline." in answers["Any warnings?"]
    assert "your portfolio is worth 10,180.00 USD" in answers["How much is my portfolio worth?"]
    general = answers["hello"]
    assert "Largest positions, as shares of total value (cash included): AAPL 33.40%, MSFT 19.25%, NVDA 17.68%." \
        in general


def test_every_share_says_what_it_is_a_share_of() -> None:
    for question in QUESTIONS:
        for match in re.finditer(r"\d%( of [a-z ]+)?", _answer(question)):
            if match.group(1):
                assert match.group(1).startswith((" of total value", " of invested value")), (question, match)
    text = _answer("hello")
    assert "invested value" not in text.split("Largest positions")[1].split("\n")[0]


@pytest.mark.parametrize("reason", REASONS)
def test_it_says_honestly_why_ai_is_not_answering(reason: str) -> None:
    text = _answer("What's my Sharpe ratio?", reason)
    first, last = text.splitlines()[0], text.splitlines()[-1]
    assert first.startswith("This is an automatic summary of your figures, not AI analysis")
    assert last.startswith("Your question is saved.")
    if reason == "COMPUTE_NOT_CONFIGURED":
        assert "no AI provider is configured" in first and "again" not in text
    elif reason == "COMPUTE_BALANCE_INSUFFICIENT":
        assert "run out of funds" in first and "tops the account up" in last and "again" not in text
    elif reason == "COMPUTE_BREAKER_OPEN":
        assert "paused" in first and "tried again automatically" in last
    elif reason == "AI_UNGROUNDED":
        assert "do not match your portfolio data, so it was replaced" in first
    else:
        assert "did not respond" in first and "Asking again in a moment" in last


def test_no_portfolio_says_there_is_nothing_to_answer_with() -> None:
    text = offline_answer(PortfolioContext.empty(NOW), NOW, "What's my Sharpe ratio?", reason="COMPUTE_UNAVAILABLE")
    assert "no portfolio data on file" in text and not re.search(r"\d", text)


def test_unknown_and_empty_questions_get_the_general_summary() -> None:
    assert _answer("hello") == _answer("") == _answer("Qu'en penses-tu ?")
    no_benchmark = offline_answer(replace(seed_context(), benchmark=None), NOW, "how am I doing this week?",
                                  reason="COMPUTE_UNAVAILABLE")
    assert "-2.12% over the past week (-220.00 USD)." in no_benchmark and "SPY" not in no_benchmark


def test_reading_the_question() -> None:
    q = read_question("why is my TECH basket lagging SPY this week and month?", symbols=["ON", "NVDA", "T"],
                      benchmark="SPY", baskets=["Tech"], sectors=["Technology"])
    assert q.baskets == ("Tech",) and q.sectors == () and q.benchmark and q.performance
    assert q.periods == ("1w", "1m") and q.symbols == ()
    # Short symbols only as written (or as a cashtag); longer ones in any case.
    q = read_question("what's on my mind about nvda, $t and it", symbols=["ON", "NVDA", "T", "IT"])
    assert q.symbols == ("NVDA", "T")
    q = read_question("How is ON doing today? And NVDA's year to date?", symbols=["ON", "NVDA"])
    assert q.symbols == ("ON", "NVDA") and q.periods == ("1d", "ytd")
    q = read_question("my max drawdown, value at risk and sharpe")
    assert q.metrics == ("sharpe", "max_drawdown", "current_drawdown", "var_95", "cvar_95")
    assert not read_question("is it risky?").performance and read_question("is it risky?").risk
    assert not read_question("hello there").recognised


def test_the_reason_reaches_the_fallback_only_when_it_is_needed() -> None:
    seen: list[str] = []

    def write(reason: str) -> str:
        seen.append(reason)
        return f"written for {reason}"

    fallback = ReasonedFallback(write)
    answer = write_offline(fallback, reason="ZEROG_BREAKER_OPEN")
    assert seen == ["COMPUTE_BREAKER_OPEN"]
    assert answer.result.text == f"{OFFLINE_BANNER}\nwritten for COMPUTE_BREAKER_OPEN"
    assert answer.result.extra["fallback_reason"] == "ZEROG_BREAKER_OPEN"
    assert generic_fallback("COMPUTE_NOT_CONFIGURED").startswith("AI commentary is unavailable because no AI provider")
    assert "again" not in generic_fallback("COMPUTE_NOT_CONFIGURED")
    assert "Asking again in a moment" in generic_fallback("COMPUTE_UNAVAILABLE")


async def test_an_offline_only_client_writes_the_chat_answer_as_not_configured() -> None:
    ctx = seed_context()
    options = CompletionOptions(
        fallback=ReasonedFallback(lambda why: offline_answer(ctx, NOW, "What's my beta?", reason=why))
    )
    result = await OfflineComputeClient().complete([], options=options)
    assert "no AI provider is configured" in result.text and "Beta against SPY" in result.text


def test_a_question_about_the_total_and_the_cash_answers_both() -> None:
    """'How much cash' alone is about cash; asked with the total value, both are answered (the value
    was left out: a client's test)."""
    both = _answer("What is my total portfolio value and how much cash do I have?")
    assert "your portfolio is worth 10,180.00 USD" in both and "Cash: 2,000.00 USD" in both
    cash = _answer("How much cash do I have?")
    assert "Cash: 2,000.00 USD" in cash and "your portfolio is worth" not in cash


def test_a_question_about_the_gain_since_purchase_gets_it() -> None:
    """'Is my portfolio up 50% since I bought, I paid 3000?' got the day, week and month returns and not
    the gain on cost, which is in the data (a client's report). The user's figures are compared, never
    repeated: they are not facts of the data block."""
    ctx = replace(seed_context(), ledger={"realized_pnl": "150.25", "income": "12.40", "fees": "3.00"})
    question = "Is my portfolio up 50% since I bought, I paid 3000?"
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE")
    assert ("Gain or loss since purchase on the positions you hold (those with a known cost): +2,430.00 USD "
            "(+42.26% on cost)") in text
    assert "That return on cost is lower than the percentage in your question." in text
    assert "Time-weighted return over the last 4 daily returns (deposits and withdrawals removed): +13.11%." in text
    assert "Realised gain or loss on sales so far: +150.25 USD; dividends and interest received: 12.40 USD." in text
    # what was paid: each position's cost from the data, and the portfolio's total is said not to be in it
    assert "AAPL: last price 170.00 USD per share; average cost 120.00 USD per share; cost basis 2,400.00 USD" in text
    assert "The total paid for the whole portfolio is not in the data" in text
    assert not re.search(r"(?<![\d.,])(?:50|3,?000)(?![\d.,])", text)  # the user's figures are not stated
    assert "since the previous close" not in text and "I cannot place" not in text  # no periods, no trade
    result = check(text, facts_from_data(context_document(ctx, NOW)))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much have I made?", None),
        ("What's my total return?", None),
        ("Am I up overall?", None),
        ("all-time gain?", None),
        ("What did I pay for my stocks?", None),
        ("Is my portfolio up 42%?", "matches"),
        ("Is my portfolio down 10%?", "is higher than"),
    ],
)
def test_gain_questions_are_answered_with_the_gain_on_cost(question: str, expected: str | None) -> None:
    text = _answer(question)
    assert "+2,430.00 USD (+42.26% on cost)" in text
    assert text.count("+2,430.00 USD") == 1  # not again in the value lines
    if expected:
        assert f"That return on cost {expected} the percentage in your question" in text
    result = check(text, facts_from_data(context_document(seed_context(), NOW)))
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]


def test_reading_a_question_about_the_gain_since_purchase() -> None:
    q = read_question("Is my portfolio up 50% since I bought, I paid 3000?")
    assert q.since_purchase and q.cost and q.stated_percent == 50 and not q.trade and q.periods == ()
    assert read_question("Is my portfolio down 12.5 %?").stated_percent == Decimal("-12.5")
    for text in ("How much have I made?", "What's my total return?", "price since purchase", "my cost basis",
                 "am I up overall?", "since I started investing", "unrealized gains"):
        assert read_question(text).since_purchase, text
    assert not read_question("since purchase").trade and read_question("should I purchase more?").trade
    # "am I up" with a period asks about the period; the other questions are not about purchases
    for text in ("Am I up today?", "How much have I made this year?", "How am I doing?", "hello",
                 "What is my total portfolio value?"):
        assert not read_question(text).since_purchase, text
    for text in ("¿Cuánto he ganado desde que compré?", "Wie hoch ist mein Gewinn seit dem Kauf?",
                 "Quelle est ma plus-value latente ?", "买入以来收益多少?", "Was habe ich insgesamt verdient?"):
        assert read_question(text).since_purchase, text
    assert read_question("Ich habe 3000 bezahlt").cost and read_question("我花了3000").cost


def test_no_gain_since_purchase_when_no_position_has_a_cost() -> None:
    ctx = replace(seed_context(), total_return_amount=None, total_return_percent=None)
    text = offline_answer(ctx, NOW, "How much have I made since I bought?", reason="COMPUTE_UNAVAILABLE")
    assert "There is no gain since purchase in the data: no position has a known cost." in text


@pytest.mark.parametrize(("value", "expected_money", "expected_pct"), [
    ("-0.001", "0.00 USD", "+0.00%"),
    ("-0.004", "0.00 USD", "+0.00%"),
    ("-0.006", "-0.01 USD", "-0.01%"),
    ("0.125", "0.12 USD", "+0.12%"),
])
def test_a_negative_that_rounds_to_zero_is_written_as_zero(value: str, expected_money: str, expected_pct: str) -> None:
    """Offline rankings printed a position that lost a fraction of a cent as "-0.00 USD"."""
    from stack_cfo.core.chat.offline import money, pct, ratio, share

    assert money(value, "USD") == expected_money
    assert money("-0.0001", "USD", signed=True) == "+0.00 USD"
    assert pct(Decimal(value) / 100) == expected_pct
    assert share("-0.00001") == "0.00%"
    assert ratio("-0.001") == "0.00"


@pytest.mark.parametrize(("tag", "question", "cash_word"), [
    ("en", "What is my largest position and how much cash do I have?", "Cash"),
    ("de", "Was ist meine größte Position und wie viel Bargeld habe ich?", "Barmittel"),
    ("es", "¿Cuál es mi mayor posición y cuánto efectivo tengo?", "Efectivo"),
    ("fr", "Quelle est ma plus grosse position et combien de liquidités ai-je ?", "Liquidités"),
])
def test_a_two_part_question_gets_both_parts_answered(tag: str, question: str, cash_word: str) -> None:
    # "largest position" was no part the offline answer knew: with cash asked too, only the cash was answered (a
    # fault tester; docs/api.md: "that deterministic answer still answers the question asked")
    from stack_cfo.core.i18n import localizer

    ctx = seed_context()
    text = offline_answer(ctx, NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer(tag))
    assert "AAPL" in text and ("33.40" in text or "33,40" in text), text  # the largest position, with its weight
    flat = re.sub(r"[\s,.\u202f\u00a0]", "", text)  # grouping and decimal marks of every locale
    assert cash_word in text and "200000" in flat, text
    assert check(text, facts_from_data(context_document(ctx, NOW))).status is GroundingStatus.GROUNDED


@pytest.mark.parametrize("question", ["What were my biggest losing positions this week?",
                                      "Quelles sont mes principales positions perdantes ?"])
def test_the_biggest_losers_are_no_question_of_the_largest_positions(question: str) -> None:
    assert not read_question(question, symbols=["AAPL"]).largest


@pytest.mark.parametrize("question", [
    "Which position is worth the most?",
    "Which holding has the highest value?",
    "Which stock is worth the most in dollars?",
    "What is my most valuable stock?",
    "Welche Position ist am meisten wert?",
    "¿Qué posición vale más?",
    "Quelle position vaut le plus ?",
])
def test_a_question_for_the_position_worth_the_most_names_it(question: str) -> None:
    """With AI down these got only the portfolio's total (a chat tester; docs/api.md: the deterministic answer "still
    answers the question asked ... a position ... the best or worst positions")."""
    text = offline_answer(seed_context(), NOW, question, reason="COMPUTE_UNAVAILABLE")
    assert "AAPL" in text and ("33.40" in text or "33,40" in text), text


@pytest.mark.parametrize("question", ["Wie hoch ist mein Risiko?", "Was sind meine Risiken?"])
def test_a_german_question_about_risk_gets_the_risk_figures(question: str) -> None:
    """docs/api.md: the offline answer reads German keywords ("risk"): "Risiko" and "Risiken" got the general summary,
    with no volatility nor drawdown (an i18n tester)."""
    from stack_cfo.core.i18n import localizer

    text = offline_answer(seed_context(), NOW, question, reason="COMPUTE_UNAVAILABLE", l10n=localizer("de"))
    assert "Volatilität" in text and "Drawdown" in text, text

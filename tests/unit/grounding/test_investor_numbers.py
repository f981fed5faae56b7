"""The investor's numbers (``user[i][j]``, and a kept summary's ``summary[j]``) ground a figure that its
clause states as the data's (a metric, or a move or a period's figure of the portfolio, a holding or the
benchmark) only when the clause says whose number it is or supposes it. As bare numbers they grounded
any clause: asked "Did my portfolio fall 3% this week?", the answer "Yes, your portfolio fell 3% this
week." was GROUNDED on user[0][0] while the data's week is -2.12 % (docs/api.md: "A figure must also be
about what its clause names"; every figure is tied to a number the core computed, or flagged).

The seed portfolio (tests/unit/chat/seed_portfolio.py): the week -2.12 %, the day -1.17 %, NVDA -10 %
over the week."""

from __future__ import annotations

import pytest

from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.grounding import Facts, GroundingStatus, check
from stack_cfo.core.provenance import Snapshot
from stack_cfo.core.provenance.audit import text_facts
from tests.unit.chat.seed_portfolio import NOW, seed_context

_DATA: list[Facts] = []


def _facts(user: str) -> Facts:
    if not _DATA:
        _DATA.append(Snapshot(context_document(seed_context(), NOW), None).facts)
    return _DATA[0] | text_facts("user", [user])


@pytest.mark.parametrize(("user", "answer"), [
    ("Did my portfolio fall 3% this week?", "Yes, your portfolio fell 3% this week."),
    ("I read NVDA dropped 8% this week, is that right?", "Yes, NVDA dropped 8% this week."),
    ("My Sharpe ratio is 2.5, isn't it?", "Your Sharpe ratio is 2.5."),
    ("Ist mein Depot diese Woche um 3 % gefallen?", "Ja, Ihr Depot ist diese Woche um 3 % gefallen."),
    ("Mon portefeuille a-t-il baissé de 3 % cette semaine ?", "Oui, votre portefeuille a baissé de 3 % cette semaine."),
    ("¿Mi cartera cayó un 3 % esta semana?", "Sí, su cartera cayó un 3 % esta semana."),
    # the worth, the cash, a weight, a count, a change with its sign, a period's figure with no subject
    ("Is my portfolio worth $12,500?", "Correct, your portfolio is worth $12,500."),
    ("Is my portfolio worth $12,500?", "Yes, about $12,500 in total, including $2,000 of cash."),
    ("I have $3,000 in cash, right?", "Your cash of $3,000 gives you room to buy."),
    ("Cash is 25% of my portfolio?", "Yes, cash makes up 25% of your portfolio."),
    ("Is NVDA 30% of my portfolio?", "Indeed, NVDA is 30% of your portfolio, which is concentrated."),
    ("I hold 8 MSFT shares?", "You hold 8 shares of MSFT."),
    ("Was my weekly return -3%?", "Yes. Your weekly return was -3%, versus +1% for SPY."),
    ("Was my week -3%?", "Votre semaine :\n- Portefeuille : -3 %"),
    ("Ist mein Depot 12.500 $ wert?", "Stimmt, Ihr Depot ist 12.500 $ wert."),
    # a pronoun for what the question named
    ("My Sharpe ratio is 2.5, isn't it?", "Yes, it is 2.5."),
    # an attribution framing a statement of the data is no attribution of the figure
    ("Did my portfolio fall 3% this week?", "As you said, your portfolio fell 3% this week."),
])
def test_the_investors_number_stated_as_the_datas_is_flagged(user: str, answer: str) -> None:
    result = check(answer, _facts(user))
    assert result.status is GroundingStatus.UNGROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]


@pytest.mark.parametrize(("user", "answer", "paths"), [
    ("Did my portfolio fall 3% this week?",
     "You mentioned a 3% fall this week; in fact your portfolio fell 2.12% this week.",
     ["user[0][0]", "performance.return_1w"]),
    ("Ist mein Depot diese Woche um 3 % gefallen?",
     "Sie erwähnten 3 %, tatsächlich ist Ihr Depot diese Woche um 2,12 % gefallen.",
     ["user[0][0].abs", "performance.return_1w"]),
    ("What if the market drops 20% this year?", "If the market drops 20% this year, your portfolio would fall too.",
     ["user[0][0]"]),
    ("Et si le marché baisse de 20 % cette année ?",
     "Si le marché baisse de 20 % cette année, votre portefeuille baisserait aussi.", ["user[0][0]"]),
    ("My target return is 8% a year.", "Your target of 8% a year is ambitious.", ["user[0][0]"]),
    ("I think my volatility is around 25%.", "You think your volatility is around 25%.", ["user[0][0]"]),
    ("I want to retire at 55 with $1,000,000.", "To retire at 55 with $1,000,000 you would need to save more.",
     ["user[0][0]", "user[0][1]"]),
    ("I have $5k spare. Should I buy more NVDA?", "With your $5,000 spare you could add to NVDA.", ["user[0][0]"]),
    ("Did my portfolio fall 3% this week?", "No - it fell 2.12% this week, less than the 3% you mentioned.",
     ["performance.return_1w", "user[0][0].abs"]),
    ("Did my portfolio fall 3% this week?", "Your portfolio fell 2.12% this week, not 3%.",
     ["performance.return_1w", "user[0][0].abs"]),
    ("What if the market drops 20%?", "A 20% market drop would hit your portfolio hard.", ["user[0][0]"]),
    ("Should I put $1,000 into MSFT?", "Putting $1,000 into MSFT would add to your 5 shares.",
     ["user[0][0]", "positions[MSFT].quantity"]),
    ("I can save 200 € a month.", "200 € monthly is a good plan.", ["user[0][0]"]),
    # a short message says too little of its language: "5.000 €" and "5 000 €" are also read as 5,000
    ("Ich habe 5.000 € zum Anlegen.", "Mit Ihren 5.000 € könnten Sie XOM aufstocken.", ["user[0][1]"]),
    ("J'ai 5 000 € à investir.", "Avec vos 5 000 € à investir, vous pourriez renforcer XOM.", ["user[0][0]"]),
    ("Tengo 5.000 $ para invertir.", "Con sus 5.000 $ para invertir, podría aumentar XOM.", ["user[0][1]"]),
    ("What if I move 20% of my portfolio into bonds?", "Allocating 20% to bonds lowers your volatility.",
     ["user[0][0]"]),
    ("I want to earn 7% a year.", "Earning 7% a year is a realistic long-term goal.", ["user[0][0]"]),
])
def test_the_investors_number_said_as_theirs_supposed_or_proposed_is_cited(
    user: str, answer: str, paths: list[str]
) -> None:
    result = check(answer, _facts(user))
    assert [c.fact_path for c in result.checks] == paths

"""A review of round 15's grounding: sentences with one wrong figure that were grounded, each with a true sentence of
the same form that stays grounded (the blocks of ``test_round15``).

- A group read as a holding's kind ("BP is your only Energy loser") is the holding only in its own clause: a later
  clause with a group of its own ("and the sector fell 2.26%", "while the sector lost", "; the sector ...") is the
  group's.
- A ticker in brackets after a company's name ("Novo Nordisk (NVO)") makes the figure that holding's only when it is a
  held position, not any name of the facts (an insight's ``DRAWDOWN``, ``IDLE_CASH``).
- A count of the rest counts the names after it too ("20 other positions besides GS", "20 positions other than GS":
  21), and "more", "additional", "further" count the rest as "other" does ("Besides GS, 20 more positions": 21).
- A limit held against (under, at most, over, above) grounds only when the bound is true of the subject's own figure
  beside it (AAPL's 13.16% is not under 10%); a bound after a verb of a move or comparison ("beat SPY by over 5%") is
  the move's size, not a limit, unless the clause says guideline, limit or threshold.
- "3 positions not listed" is never the count of the 3 listed of a list cut for length.
- A part of the score (``score_from_holdings``) only where its noun names the part ("the holdings part", "from
  holdings"), not anywhere in the clause ("With 40 positions, your diversification score is 60").
- "biggest loser today: $2,195.59": a period between the rank noun and the figure keeps the loss's sign.
- 当前回撤 / 目前回撤 is the current drawdown.
"""

from __future__ import annotations

import pytest

from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round15", "eur", "isa", "baskets")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker, last=True)


# isa: BP's week -2.26%, the Energy sector's week +0.23%, Energy 19.43% of the portfolio, SSE 4.7%, Energy's
# unrealised gain £1,388.40 (BP's loss £306.00). eur: AAPL 13.16% of the invested value, ASML 15.39%, MSFT 15.99%
# (guideline 10%); cash 12.76% (guideline 10%); SHEL lagged SPY by 7.74% this week (threshold 5%); drawdown now
# -25.55%, at worst -25.99%. baskets: 40 positions (20 listed); Technology 3 listed, 5 not; the Banks basket 3 listed,
# 5 not, lagged SPY by 5.55 points this week; score 90.7 (60.0 from holdings, 30.69 from sectors); GS's day -$2,195.59,
# BNTX's +$587.60 (week +1.68%).
@pytest.mark.parametrize(("block", "text", "marker"), [
    # 1. the kind of a holding, only in its own clause
    ("isa", "BP is your only Energy loser this week, and the sector fell 2.26%.", "2.26%"),
    ("isa", "BP is your only Energy loser; the sector fell 2.26% this week.", "2.26%"),
    ("isa", "BP was the weakest Energy name while the sector lost 2.26% this week.", "2.26%"),
    ("isa", "SSE is the smallest Energy holding and the sector makes up 4.7% of the portfolio.", "4.7%"),
    ("isa", "BP is your only Energy loser and the whole sector is down £306.00.", "£306.00"),
    # 2. a bracketed ticker: a held position's only
    ("eur", "Novo Nordisk (DRAWDOWN) has fallen 25.6%.", "25.6%"),
    ("eur", "Tesla (IDLE_CASH) is worth €4,200.", "€4,200"),
    # 3. the rest after names said after the count, or with "more", "additional", "further"
    ("baskets", "You hold 20 other positions besides GS.", "20"),
    ("baskets", "You hold 20 positions other than GS.", "20"),
    ("baskets", "Besides GS, you hold 20 more positions.", "20"),
    ("baskets", "Besides GS, you hold 20 additional positions.", "20"),
    ("baskets", "Apart from GS, 20 further positions make up the portfolio.", "20"),
    ("baskets", "Außer GS hältst du 20 weitere Positionen.", "20"),
    # 4. a bound true of the subject's own figure; a move's size is no limit
    ("eur", "AAPL is under 10% of your invested portfolio.", "10%"),
    ("eur", "ASML is at most 10% of your invested portfolio.", "10%"),
    ("eur", "Cash is under 10% of your portfolio.", "10%"),
    ("eur", "MSFT ist unter 10 % Ihres investierten Portfolios.", "10 %"),
    ("eur", "SHEL beat SPY by over 5% this week.", "5%"),
    ("baskets", "The Banks basket beat SPY by over 2.0 points this week.", "2.0 points"),
    # 5. not listed: never the listed count
    ("baskets", "The Technology sector has 3 positions not listed.", "3"),
    ("baskets", "Il settore Technology ha 3 posizioni non elencate.", "3"),
    ("baskets", "Im Sektor Technology sind 3 Positionen nicht aufgeführt.", "3"),
    ("baskets", "Le secteur Technology a 3 positions non listées.", "3"),
    ("baskets", "The Banks basket has 3 positions not listed.", "3"),
    # 6. a part of the score only where named as the part
    ("baskets", "With 40 positions, your diversification score is 60.", "60"),
    ("baskets", "Your 40 holdings give a diversification score of 60.", "60"),
    ("baskets", "Spread over 5 sectors, your diversification score is 30.69.", "30.69"),
    ("baskets", "Your diversification score of 60 reflects your holdings.", "60"),
    # 7. a rank noun's sign past a period
    ("baskets", "BNTX is your biggest loser today: $587.60.", "$587.60"),
    ("baskets", "BNTX is your biggest loser this week: 1.68%.", "1.68%"),
    # 8. the current drawdown in Chinese
    ("eur", "当前回撤为 -26.0%。", "-26.0%"),
    ("eur", "目前回撤为 -26.0%。", "-26.0%"),
])
def test_wrong_figure_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    # 1.
    ("isa", "BP is your only Energy loser this week, and the sector rose 0.23%.", "0.23%", "sectors[Energy].return_1w"),
    ("isa", "BP is your only Energy loser; the sector rose 0.23% this week.", "0.23%", "sectors[Energy].return_1w"),
    ("isa", "BP was the weakest Energy name while the sector gained 0.23% this week.", "0.23%",
     "sectors[Energy].return_1w"),
    ("isa", "SSE is the smallest Energy holding and the sector makes up 19.43% of the portfolio.", "19.43%",
     "sectors[Energy].weight"),
    ("isa", "BP is your only Energy loser: down £306.00.", "£306.00", "positions[BP].unrealized_pnl"),
    ("isa", "BP is your only Energy loser this week, down 2.26%.", "2.26%", "positions[BP].return_1w"),
    # 2.
    ("eur", "Novo Nordisk (NVO) fell 2.27% today.", "2.27%", "positions[NVO].return_1d"),
    # 3.
    ("baskets", "You hold 39 other positions besides GS.", "39", "position_count"),
    ("baskets", "You hold 39 positions other than GS.", "39", "position_count"),
    ("baskets", "Besides GS, you hold 39 more positions.", "39", "position_count"),
    ("baskets", "Besides GS, you hold 39 additional positions.", "39", "position_count"),
    ("baskets", "Apart from GS, 39 further positions make up the portfolio.", "39", "position_count"),
    ("baskets", "Außer GS hältst du 39 weitere Positionen.", "39", "position_count"),
    ("baskets", "You hold 20 more positions.", "20", "positions_not_listed_count"),
    ("baskets", "You hold 20 other positions not shown here.", "20", "positions_not_listed_count"),
    # 4.
    ("eur", "AAPL is above 10% of your invested portfolio.", "10%", "insights[AAPL].threshold_invested_weight"),
    ("eur", "MSFT is over 10% of your invested portfolio.", "10%", "insights[MSFT].threshold_invested_weight"),
    ("eur", "AAPL is more than 10% of your invested portfolio.", "10%", "insights[AAPL].threshold_invested_weight"),
    ("eur", "ASML is at least 10% of your invested portfolio.", "10%", "insights[ASML].threshold_invested_weight"),
    ("eur", "Cash is above 10% of your portfolio.", "10%", "insights[IDLE_CASH].threshold_weight"),
    ("eur", "MSFT ist über 10 % Ihres investierten Portfolios.", "10 %", "insights[MSFT].threshold_invested_weight"),
    ("eur", "SHEL lagged SPY by more than the 5% threshold this week.", "5%", "insights[SHEL].threshold_excess_return"),
    ("eur", "AAPL exceeds the 10% guideline.", "10%", "insights[AAPL].threshold_invested_weight"),
    # 5.
    ("baskets", "The Technology sector has 5 positions not listed.", "5",
     "sectors[Technology].positions_not_listed_count"),
    ("baskets", "Il settore Technology ha 5 posizioni non elencate.", "5",
     "sectors[Technology].positions_not_listed_count"),
    ("baskets", "Im Sektor Technology sind 5 Positionen nicht aufgeführt.", "5",
     "sectors[Technology].positions_not_listed_count"),
    ("baskets", "The Banks basket has 5 positions not listed.", "5", "baskets[Banks].positions_not_listed_count"),
    ("baskets", "The Technology sector has 3 positions listed.", "3", "sectors[Technology].positions.count"),
    # 6.
    ("baskets", "With 40 positions, your diversification score is 90.7.", "90.7", "diversification.score"),
    ("baskets", "Your score from holdings is 60.", "60", "diversification.score_from_holdings"),
    ("baskets", "The holdings part of your score is 60.", "60", "diversification.score_from_holdings"),
    # 7.
    ("baskets", "GS is your biggest loser today: $2,195.59.", "$2,195.59", "positions[GS].change_1d"),
    ("baskets", "GS was your biggest loser this week: $4,496.27.", "$4,496.27", "positions[GS].change_1w"),
    ("baskets", "BNTX is your biggest winner today: $587.60.", "$587.60", "positions[BNTX].change_1d"),
    # 8.
    ("eur", "当前回撤为 -25.6%。", "-25.6%", "risk.current_drawdown"),
    ("eur", "最大回撤为 -26.0%。", "-26.0%", "risk.max_drawdown"),
])
def test_true_figure_grounds(block: str, text: str, marker: str, path: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found
    assert found == path


@pytest.mark.parametrize(("text", "marker", "grounded"), [
    ("Il tuo punteggio di diversificazione è 60 con 40 posizioni.", "60", False),  # a part of it (from holdings)
    ("A sua pontuação de diversificação é 60.", "60", False),
    ("Il tuo punteggio di diversificazione è 90.7.", "90.7", True),
    ("A sua pontuação de diversificação é 90,7.", "90,7", True),
])
def test_the_italian_and_portuguese_score_is_the_score_itself(text: str, marker: str, grounded: bool) -> None:
    ok, path = verdict(blocks("round15", "baskets"), "baskets", text, marker)
    assert ok is grounded and (path == "diversification.score" if grounded else path is None)


@pytest.mark.parametrize(("text", "side"), [
    ("AAPL liegt unterhalb der 10 % Grenze.", "below"),
    ("AAPL est au-dessous des 10 % du seuil.", "below"),
    ("AAPL is under 10% of it.", "below"),
    ("AAPL liegt oberhalb der 10 % Grenze.", "above"),
    ("AAPL est au-dessus des 10 % du seuil.", "above"),
])
def test_a_bound_word_puts_the_figure_on_its_side_of_the_line(text: str, side: str) -> None:
    # "unterhalb" and "au-dessous" were read as above: the words of a distance below a peak, defined later in the
    # module under the same name, replaced the bound's own list
    from stack_cfo.core.grounding.extract import extract_figures
    from stack_cfo.core.grounding.matching import _bound

    [figure] = extract_figures(text)
    assert _bound(figure) == side

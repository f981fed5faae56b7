"""Round 15: a fifth fresh audit (a young EUR portfolio of US and European tech, a GBP ISA, a USD portfolio of 40
holdings in five baskets whose data lists 20 of them): false grounds 14 -> 0 of 167, two figures not read now read.

- The items of a list cut for length: ``positions_not_listed_count`` (20 of 40 left out) grounds only a clause that
  says the rest or not listed ("the other 20", "20 more", "20 remaining", "not shown", "nicht aufgeführt", "non sono
  elencate"), and the list's own ``positions.count`` (the 20 listed) only one that says listed or shown: "You hold 20
  positions" is the portfolio's 40 or nothing.
- Counted nouns in Italian and Portuguese (posizioni, titoli, settori, panieri; posições, ativos, ações, setores), their
  partitives ("3 delle tue posizioni", "3 das suas posições") and links to a name ("nel settore", "no setor").
- A limit (an insight's ``threshold_*``) grounds only a clause that says one (guideline, limit, threshold, Schwelle,
  seuil, umbral, soglia, limite...) or a figure held against it ("above 50%", "exceeds 10%", "over 10%"), whoever the
  clause is about: "ASML is 10.0% of your invested portfolio" is not the 10% guideline.
- "The score" is the score, not a part of it (``score_from_holdings``), unless the words name the part.
- "since the start of the year" (and "since the beginning of this year", "seit Beginn des Jahres", "depuis le début
  d'année", "desde el inicio del año", "dall'inizio di quest'anno", "desde o início deste ano", "since the start of
  2026") is the year to date.
- "below its peak right now/today" is the current drawdown (the word of now after the figure too).
- "6 sector groups", "5 industry groups" count sectors.
"""

from __future__ import annotations

import pytest

from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round15", "eur", "isa", "baskets")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker, last=True)


# eur: NVDA's year to date -29.94%, since purchase -31.63%; drawdown current -25.55%, max -25.99%; ASML 15.39% of the
# invested value (guideline 10%), Technology 80.13% (guideline 35%); 9 positions.
# isa: 15 positions, 5 sectors (Financials 4); BATS's day change 14.40; AZN 15.3% invested (guideline 10%).
# baskets: 40 positions, 20 listed and 20 not listed; Technology 8 positions, 3 listed, 5 not; score 90.7 (60.0 from
# holdings, 30.69 from sectors); the Banks basket 2.2 points ahead of SPY this year (an insight's threshold 2%).

@pytest.mark.parametrize(("block", "text", "marker"), [
    # 1. a count of the portfolio's positions is never the count of those left out of the list, nor of those listed
    ("baskets", "You hold 20 positions.", "20"),
    ("baskets", "You have 20 positions.", "20"),
    ("baskets", "Sie halten 20 Positionen.", "20"),
    ("baskets", "Tiene 20 posiciones.", "20"),
    ("baskets", "Vous détenez 20 lignes.", "20"),
    ("baskets", "Hai 20 posizioni.", "20"),
    ("baskets", "Você tem 20 posições.", "20"),
    ("baskets", "Your portfolio holds 20 stocks.", "20"),
    ("baskets", "The Technology sector has 3 positions.", "3"),  # 3 listed of its 8
    ("baskets", "The Technology sector has 5 positions.", "5"),  # 5 not listed of its 8
    ("baskets", "Besides GS, you hold 20 other positions.", "20"),  # GS and 20 others are 21, not 40
    # 2. counts in Portuguese and Italian are counts
    ("isa", "Você tem 14 posições.", "14"),
    ("isa", "Você tem 4 posições.", "4"),
    ("isa", "Hai 14 posizioni.", "14"),
    ("isa", "Hai 6 settori.", "6"),
    ("isa", "O portfólio tem 6 setores.", "6"),
    ("isa", "Hai 3 posizioni nel settore Financials.", "3"),
    ("isa", "Você tem 3 posições no setor Financials.", "3"),
    # 3. a limit is no holding's, sector's or basket's own figure
    ("eur", "ASML is 10.0% of your invested portfolio.", "10.0%"),
    ("eur", "Technology is 35.0% of your invested portfolio.", "35.0%"),
    ("eur", "ASML macht 10,0 % Ihres investierten Portfolios aus.", "10,0"),
    ("eur", "A ASML representa 10,0% da carteira investida.", "10,0"),
    ("eur", "Your portfolio is 20% below its peak.", "20%"),  # the drawdown threshold
    ("isa", "AZN is 10.0% of your invested portfolio.", "10.0%"),
    ("baskets", "GS is 10.0% of your invested portfolio.", "10.0%"),
    ("baskets", "The Banks basket beat SPY by 2.0 points this year.", "2.0"),
    ("baskets", "The Clean Energy basket beat SPY by 2.0 points this week.", "2.0"),
    # 4. the score is not a part of it
    ("baskets", "Your diversification score is 60/100.", "60"),
    ("baskets", "Your diversification score is 30.69.", "30.69"),
    ("eur", "Your diversification score is 22.59 out of 100.", "22.59"),
    # 5. since the start of the year: the year to date, not since purchase
    ("eur", "NVDA has fallen 31.6% since the start of the year.", "31.6%"),
    ("eur", "NVDA has fallen 31.6% since the beginning of this year.", "31.6%"),
    ("eur", "NVDA has fallen 31.6% since the start of 2026.", "31.6%"),
    ("eur", "NVDA has fallen 29.9% since the start of 2025.", "29.9%"),  # another year: a span no fact covers
    ("eur", "NVDA ist seit Beginn des Jahres um 31,6 % gefallen.", "31,6"),
    ("eur", "NVDA a perdu 31,6 % depuis le début d'année.", "31,6"),
    ("eur", "NVDA ha caído un 31,6 % desde el inicio del año.", "31,6"),
    ("eur", "NVDA ha perso il 31,6% dall'inizio di quest'anno.", "31,6"),
    ("eur", "A NVDA caiu 31,6% desde o início deste ano.", "31,6"),
    # 6. below its peak now: the current drawdown
    ("eur", "Your portfolio is 26.0% below its peak right now.", "26.0%"),
    ("eur", "Your portfolio is 26.0% below its peak today.", "26.0%"),
    ("eur", "Your portfolio is 26.0% off its high right now.", "26.0%"),
    # 7. sector groups are sectors
    ("isa", "Your holdings fall into 6 sector groups.", "6"),
    ("isa", "They span 6 industry groups.", "6"),
])
def test_wrong_figures_are_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    # 1. the portfolio's count; the items left out or listed when the clause says so
    ("baskets", "You hold 40 positions.", "40", "position_count"),
    ("baskets", "Sie halten 40 Positionen.", "40", "position_count"),
    ("baskets", "Vous détenez 40 lignes.", "40", "position_count"),
    ("baskets", "The other 20 positions are not listed.", "20", "positions_not_listed_count"),
    ("baskets", "20 positions are not shown here.", "20", "positions_not_listed_count"),
    ("baskets", "You hold 20 more positions.", "20", "positions_not_listed_count"),
    ("baskets", "You hold 20 other positions not shown here.", "20", "positions_not_listed_count"),
    ("baskets", "Die übrigen 20 Positionen sind nicht aufgeführt.", "20", "positions_not_listed_count"),
    ("baskets", "Les 20 autres lignes ne sont pas listées.", "20", "positions_not_listed_count"),
    ("baskets", "Las otras 20 posiciones no aparecen en la lista.", "20", "positions_not_listed_count"),
    ("baskets", "Le altre 20 posizioni non sono elencate.", "20", "positions_not_listed_count"),
    ("baskets", "As outras 20 posições não estão listadas.", "20", "positions_not_listed_count"),
    ("baskets", "20 positions are listed below.", "20", "positions.count"),
    ("baskets", "The Technology sector has 8 positions.", "8", "sectors[Technology].position_count"),
    ("baskets", "The Technology sector has 3 positions listed.", "3", "sectors[Technology].positions.count"),
    ("baskets", "Besides GS, you hold 39 other positions.", "39", "position_count"),
    # 2. counts in Portuguese and Italian
    ("isa", "Você tem 15 posições.", "15", "position_count"),
    ("isa", "Hai 15 posizioni.", "15", "position_count"),
    ("isa", "Hai 5 settori.", "5", "sectors.count"),
    ("isa", "O portfólio tem 5 setores.", "5", "sectors.count"),
    ("isa", "Hai 4 posizioni nel settore Financials.", "4", "sectors[Financials].position_count"),
    ("isa", "Você tem 4 posições no setor Financials.", "4", "sectors[Financials].position_count"),
    # 3. a limit when the clause says one, or holds the figure against it; the holding's own share
    ("eur", "ASML is 15.4% of your invested portfolio.", "15.4%", None),
    ("eur", "ASML is above the 10.0% guideline.", "10.0%", "insights[ASML].threshold_invested_weight"),
    ("eur", "Technology is 80.1% of your invested portfolio.", "80.1%", "sectors[Technology].invested_weight"),
    ("eur", "Technology is above the 35% sector limit.", "35%",
     "insights[SECTOR_CONCENTRATION].threshold_invested_weight"),
    ("eur", "ASML liegt über der Schwelle von 10 %.", "10 %", "insights[ASML].threshold_invested_weight"),
    ("eur", "ASML è sopra la soglia del 10%.", "10%", "insights[ASML].threshold_invested_weight"),
    ("eur", "A ASML está acima do limite de 10%.", "10%", "insights[ASML].threshold_invested_weight"),
    ("eur", "ASML exceeds 10% of your invested portfolio.", "10%", "insights[ASML].threshold_invested_weight"),
    ("eur", "ASML macht 15,4 % Ihres investierten Portfolios aus.", "15,4", None),
    ("baskets", "The Banks basket beat SPY by 2.2 points this year.", "2.2", None),
    # 4. the score, and a part of it when named
    ("baskets", "Your diversification score is 90.7/100.", "90.7", "diversification.score"),
    ("baskets", "The holdings part of your score is 60.", "60", "diversification.score_from_holdings"),
    ("baskets", "The sector part of your diversification score is 30.7.", "30.7",
     "diversification.score_from_sectors"),
    ("baskets", "Your diversification score is 90.7, with 60.0 from holdings and 30.69 from sectors.", "60.0",
     "diversification.score_from_holdings"),
    # 5. since the start of the year
    ("eur", "NVDA has fallen 29.9% since the start of the year.", "29.9%", "positions[NVDA].return_ytd"),
    ("eur", "NVDA has fallen 29.9% since the beginning of this year.", "29.9%", "positions[NVDA].return_ytd"),
    ("eur", "NVDA has fallen 29.9% since the start of 2026.", "29.9%", "positions[NVDA].return_ytd"),
    ("eur", "NVDA ist seit Beginn des Jahres um 29,9 % gefallen.", "29,9", "positions[NVDA].return_ytd"),
    ("eur", "NVDA a perdu 29,9 % depuis le début d'année.", "29,9", "positions[NVDA].return_ytd"),
    ("eur", "NVDA ha caído un 29,9 % desde el inicio del año.", "29,9", "positions[NVDA].return_ytd"),
    ("eur", "NVDA ha perso il 29,9% dall'inizio di quest'anno.", "29,9", "positions[NVDA].return_ytd"),
    ("eur", "A NVDA caiu 29,9% desde o início deste ano.", "29,9", "positions[NVDA].return_ytd"),
    ("eur", "NVDA has fallen 31.6% since you bought it.", "31.6%", None),
    # 6. the drawdown now, and the worst one
    ("eur", "Your portfolio is 25.6% below its peak right now.", "25.6%", "risk.current_drawdown"),
    ("eur", "Your portfolio is 25.6% below its peak today.", "25.6%", "risk.current_drawdown"),
    ("eur", "At its worst your portfolio was 26.0% below its peak.", "26.0%", "risk.max_drawdown"),
    # 7. sector groups
    ("isa", "Your holdings fall into 5 sector groups.", "5", "sectors.count"),
    ("isa", "They span 5 industry groups.", "5", "sectors.count"),
])
def test_true_figures_ground(block: str, text: str, marker: str, path: str | None) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found
    if path is not None:
        assert found == path
    else:
        assert found is not None and "threshold" not in found

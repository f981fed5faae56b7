"""``check``: is every figure in a text one of the facts, in a form the text may use for it?

A figure matches a fact when the kinds fit (see ``_ALLOWED``), the currencies do not differ, the
sign is right for the wording, and the magnitudes agree within the tolerance:

* exact or hedged ("about"): ``|fact - figure| <= max(unit, fact unit) / 2`` where ``unit`` is one
  step of the figure's last shown digit (``$31k``: 1000, ``6.8%``: 0.1) and the fact unit is its own
  shown precision (``0`` for snapshot facts, which are exact);
* "over"/"more than": the fact lies in ``[figure, figure + 2 units]``; "under"/"less than"/"up
  to": in ``[figure - 2 units, figure]`` (both widened by half the fact unit, and inclusive: a
  bound is checked on magnitudes, so "fell more than 3%" needs a fall of 3 to 5 %). Before a count,
  "over"/"above" are read as exact where they are prepositions ("spread over 2 sectors"; see
  ``wording.count_at_least``).

Subjects: a figure only matches facts about what its words name. A metric word or name before it in
its clause (Sharpe, beta, drawdown, VaR, volatility, value at risk, standard deviation, Volatilität... see
``lexicon.METRIC_NAMES``) limits it to facts whose path has that metric, even when no fact has it
(a metric the core could not compute is not a fact: "Sharpe ratio 0.58" is then ungrounded, not cited
to an equal beta), when it is the figure's subject: not when words saying the metric is missing
("unavailable", "n/a", "not available", "cannot be computed", "no Sharpe ratio", "is unknown") or a nearer
subject (a noun such as "return" or "value", a change verb such as "returned" with a subject of its own)
stand between them (see ``_metric_subject``). A counted noun limits a COUNT figure to the counts of
what it counts, by the words of the fact's own key (``lexicon.COUNT_KINDS``), even when no fact is one:
``12 positions`` and ``8 of your positions`` to COUNT facts such as ``positions.count``,
``position_count``, ``sectors[Tech].position_count``; ``4 sectors`` to ``sectors.count`` or
``effective_sector_count`` (not a sector's position count); ``10 shares`` to a quantity; ``63 trading
days`` and ``9 daily returns`` to observations; ``3 years`` to a fact keyed by years. The part of a whole
(``3`` of ``3 of your 5 positions``, ``Figure.part_of``) is a COUNT of the whole's noun: grounded by a count of
that noun equal to it; otherwise, when it is at most the whole and the whole is grounded, it is a claim no fact
can check ("1 of your 2 positions is up") and :func:`check_figures` leaves it out of the checks; a part larger than
its whole, or of an ungrounded whole, is ungrounded. A whole COUNT figure never cites a fractional count ("You
hold 4 positions" is not an effective count of 3.87) unless its words say "effective"/"effectively". A name in a
count's ``Figure.qualifier`` or ``Figure.of_name`` ("3 Health Care positions", "12 shares of MSFT") limits it to the
facts under that name (not the portfolio's count, not another name's; "Tech" is a sector Technology, see
``_own_name``; "in the Energy sector", "im Energiesektor", "de energía", "lignes Énergie" too, see
``lexicon.SECTOR_WORDS``); a count under no name of its own nor of its clause's words before it ("In Health Care you
hold 2 positions", see ``_context_name``) is the portfolio's: never a group's or a position's count ("Your portfolio
holds 2 positions" is not the 2 Technology positions), though a share count may still be a position's quantity;
a count whose words say "effective" cites only an effective count; a ticker that names nothing in the facts
("10 TSLA shares") leaves it ungrounded, other capitalised qualifier words that name nothing ("5 US stocks") count
a part of the portfolio's things, left out of the checks when no fact can check them; "4 other positions" cites a
count of one more, or of as many more as the positions its clause names before it ("Besides AAPL and MSFT, 1 other
position": 3); a count whose noun is left out ("2 in Technology", "12 of MSFT" after "10 shares of AAPL") is checked
only where the facts count its noun under its name (see ``_best_count``). A name
from the facts' brackets (``NVDA`` for ``positions[NVDA]...``, a sector, a basket) excludes the
facts of other names; what the figure's clause names as a whole (a name, the portfolio, its cash, a benchmark; see
:mod:`.subjects`) limits a figure that is no count to that subject's facts; a direction word limits it to changes
(paths with return, change, gain, loss, pnl, excess, alpha, drawdown). Facts from text are exempt, and a direction
word whose words no fact path uses does not restrict.

Metrics named among equal ones: a share of the portfolio by its words ("makes up", "accounts for", "weight",
"17.41% of your portfolio", "macht ... aus", "pèse", "representa", or a heading over its list: "### Allocation"; see
``_weight_only``) cites only a weight unless its clause has a word of change; of its basis: "of your invested capital"
only an invested weight (when the facts have one), "including cash" never one (see ``_basis``); "your five largest
positions" only a share of the top five (``_ranked_share``); "your tech holdings" only the sector's (the facts know no
holding's sector; ``_group_holdings``). An amount "including cash" is never the invested value. A figure whose clause
has an adjective of the day ("daily", "the day's") is the day's (``_day_period``): never a drawdown; "max drawdown"
only a max drawdown, "current drawdown" only a current one ("below its peak" with now, right now, currently, today
before or after the figure too); a score only a score, not a part of it (``score_from_holdings``) unless the words
name the part; "effective number of sectors" only an effective count of sectors. A limit (a ``threshold_*`` path)
only for a clause that says one (``lexicon.THRESHOLD_WORDS``) or a figure held against it ("above 50%", "exceeds
10%"; see ``_bound``); a count of a list's items left out for length (``*_not_listed_count``) only for a clause
saying the rest or not listed (``lexicon.REST_WORDS``, ``LISTED_WORDS`` with a negation), the count of such a list
(``FactIndex.truncated``) only for one saying listed or shown. Spans: "the past 12 months", "the past year"
are no period of the facts (never the year to date), "since you bought it" is the unrealised return (see
``_with_spans``). "gave back", "cost you ... today" and a comparison "underperforming X by" give the figure its sign.

Signs: a direction word sets the sign (``fell 3%`` needs a negative fact); an explicit ``+``/``-``
must agree with the fact; a loss context (drawdown, VaR, loss) without an explicit sign accepts
either sign; otherwise an unsigned figure needs a fact that is not negative. A figure showing zero
matches a fact of either sign that rounds to it.

Derived: in a markdown table, a figure in a row labelled Total or Sum that matches no fact is
grounded when it equals the sum of the grounded figures above it in its column (path
``sum(column)``), within half a unit of the total plus half a unit of each addend.

The best match is chosen deterministically: among count facts, one written as the figure is first (``effectively
2.0 holdings`` cites an effective count of 1.99 rather than the 2 positions, ``1 sector`` the 1 sector rather than an
effective count of 1.0), then a fact equal to the shown value, then one under
the name the figure's words mention (``AAPL is $1,800`` cites ``positions[AAPL].market_value`` rather
than an equal total), then one whose path has a word of the figure's own (``income $0.00`` cites
``income`` rather than an equal ``fees``), then a fact of the figure's own kind (money for an amount,
not a score that happens to be 0; a count or a quantity for a whole number shown without a currency:
``You own 10 AAPL shares`` cites ``positions[AAPL].quantity`` rather than a ``change_1d`` of 10.00),
then a change for a figure with an explicit sign (``+900.00`` cites an equal ``unrealized_pnl``, not a
``cost_basis``), then the first path in sorted order.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum

from stack_cfo.core.grounding.extract import (
    CLAUSE_BREAKS,
    DAY,
    PRIOR,
    YEAR,
    Extraction,
    extract_with_times,
    sentence_ends,
)
from stack_cfo.core.grounding.facts import Facts, facts_from_text
from stack_cfo.core.grounding.index import PERCENT, RAW, Entry, FactIndex, Group
from stack_cfo.core.grounding.lexicon import (
    BY_WORDS,
    CASH_NEGATORS,
    CASH_WORDS,
    COMPARED_NEGATIVE,
    COMPARED_POSITIVE,
    COMPARISON_FACT_WORDS,
    COMPARISON_WORDS,
    COPULAS,
    COUNT_KINDS,
    COUNT_NOUNS,
    CURRENCY_CODES,
    DAY_ADJECTIVES,
    EFFECTIVE_WORDS,
    EXCESS_WORDS,
    FRENCH_COUNT_NOUNS,
    GAP_AFTER_LINKS,
    GAP_AFTER_NEGATIVE,
    GAP_AFTER_POSITIVE,
    GAP_FACT_WORDS,
    GAP_NEGATIVE,
    GAP_NOUNS,
    GAP_POSITIVE,
    HEDGE_APPROX,
    HEDGE_AT_LEAST,
    HEDGE_AT_MOST,
    INVESTED_KEYS,
    INVESTED_WORDS,
    LISTED_NEGATIONS,
    LISTED_WORDS,
    LOSS_PERIOD_PHRASES,
    LOSS_PHRASES,
    MISSING_AFTER,
    NEGATED_AVAILABLE,
    NEGATIONS,
    NEGATIVE_AFTER_VERBS,
    NEGATIVE_NOUNS,
    NEGATIVE_WORDS,
    NO_METRIC,
    NOT_AVAILABLE,
    NOT_TICKERS,
    NUMBER_NAMES,
    OF_WORDS,
    OTHER_AFTER_WORDS,
    OTHER_WORDS,
    PERFORMANCE_VERBS,
    PERIOD_PHRASES,
    POSITIVE_AFTER_VERBS,
    POSITIVE_NOUNS,
    POSITIVE_WORDS,
    REST_WORDS,
    RESTATE_LINKS,
    SCORE_WORDS,
    SELECTION_WORDS,
    SIGN_ALSO,
    SINCE_COST,
    SPAN_PHRASES,
    SPAN_PHRASES_LOWER,
    SPREAD_LINKS,
    SUBJECT_NOUNS,
    THRESHOLD_WORDS,
    TIME_DETERMINERS,
    TIME_NOUNS,
    TIME_WORDS,
    TOP_KEYS,
    TOTAL_WORDS,
    TRAILING_YEAR,
    WEIGHT_AUS_VERBS,
    WEIGHT_CHANGE_WORDS,
    WEIGHT_KEYS,
    WEIGHT_NOUNS,
    WEIGHT_PARTICLES,
    WEIGHT_TAIL_LINKS,
    WEIGHT_VERBS,
    WEIGHT_WHOLES,
    WORTH_WORDS,
    cash_included,
    metric_words,
    sector_word,
    words,
)
from stack_cfo.core.grounding.model import FactKind, Figure, FigureKind, Hedge
from stack_cfo.core.grounding.subjects import Subject, Whole, company_holding, company_word, subject_of

_ALLOWED = {
    FigureKind.PERCENT: frozenset({FactKind.FRACTION, FactKind.PERCENT}),
    FigureKind.AMOUNT: frozenset({FactKind.AMOUNT, FactKind.NUMBER}),
    FigureKind.RATIO: frozenset({FactKind.RATIO, FactKind.NUMBER}),
    FigureKind.COUNT: frozenset({FactKind.COUNT, FactKind.NUMBER}),
    FigureKind.NUMBER: frozenset(FactKind),
}
#: The fact kinds a figure kind prefers among equal matches (money for an amount, not a score).
_NATIVE = {
    FigureKind.PERCENT: frozenset({FactKind.FRACTION, FactKind.PERCENT}),
    FigureKind.AMOUNT: frozenset({FactKind.AMOUNT}),
    FigureKind.RATIO: frozenset({FactKind.RATIO}),
    FigureKind.COUNT: frozenset({FactKind.COUNT}),
    FigureKind.NUMBER: frozenset(FactKind),
}
#: What a whole number shown without a currency prefers among equal matches: a count or a quantity
#: ("You own 10 AAPL shares" is the quantity 10, not a day change of 10.00 USD), not money.
_UNITLESS = frozenset({FactKind.COUNT, FactKind.NUMBER})
#: Spellings of a path word in running text.
_SPELLED = {"p&l": "pnl", "p/l": "pnl", "unrealised": "unrealized", "realised": "realized"}
_DRAWDOWN = frozenset({"drawdown", "dd", "drawdowns"})
#: A metric token with "_" names all of its parts (see _has_metric): "Max drawdown" is ``risk.max_drawdown`` only.
_MAX_DRAWDOWN = frozenset({"max_drawdown", "maximum_drawdown", "mdd"})
_CURRENT_DRAWDOWN = frozenset({"current_drawdown"})
#: Metrics whose figure is the magnitude of a loss: either sign of the fact matches an unsigned figure.
_LOSS_METRICS = frozenset({"drawdown", "dd", "max_drawdown", "maximum_drawdown", "mdd", "current_drawdown", "var",
                           "cvar", "shortfall", "es"})
_SCORE = frozenset({"score"})
_VOLATILITY = frozenset({"volatility", "vol"})
_METRICS = {
    "sharpe": frozenset({"sharpe"}), "sortino": frozenset({"sortino"}), "calmar": frozenset({"calmar"}),
    "treynor": frozenset({"treynor"}), "beta": frozenset({"beta"}), "alpha": frozenset({"alpha"}),
    "drawdown": _DRAWDOWN, "drawdowns": _DRAWDOWN, "dd": _DRAWDOWN, "var": frozenset({"var"}),
    "maxdrawdown": _MAX_DRAWDOWN, "currentdrawdown": _CURRENT_DRAWDOWN, **dict.fromkeys(SCORE_WORDS, _SCORE),
    "cvar": frozenset({"cvar"}), "shortfall": frozenset({"cvar", "shortfall", "es"}),
    # (a weekly summary's whole-portfolio return, net of deposits, is time-weighted: week.portfolio_return_percent;
    # the summary document's TWR is twr_since_start_percent)
    "twr": frozenset({"time_weighted_return", "portfolio_return", "twr"}),
    "mwr": frozenset({"money_weighted_return"}),
    "localreturn": frozenset({"local_return"}),
    "volatility": _VOLATILITY, "vol": _VOLATILITY, "cagr": frozenset({"cagr"}), "hhi": frozenset({"hhi"}),
    "herfindahl": frozenset({"hhi"}), "herfindahl-hirschman": frozenset({"hhi"}),
    "positionhhi": frozenset({"position_hhi"}), "sectorhhi": frozenset({"sector_hhi"}),
    # a holding's amounts (see lexicon.METRIC_NAMES): a market value is any value (a position's, a group's, the
    # portfolio's), never a cost or a price
    "avgcost": frozenset({"average_cost"}), "costbasis": frozenset({"cost_basis"}), "marketvalue": frozenset({"value"}),
    "lastprice": frozenset({"last_price"}),
    # named by their words but carried by no data block (see lexicon.METRIC_NAMES): cited by no other fact
    "yield": frozenset({"yield"}), "ter": frozenset({"ter"}), "dividendincome": frozenset({"income"}),
}
#: Verbs whose own subject a figure after them is about (see _metric_subject).
_VERBS = PERFORMANCE_VERBS | POSITIVE_WORDS | NEGATIVE_WORDS
#: Changes over a span of their own, never a day's, week's or month's: since the peak, since cost, over the risk window
#: ("Your portfolio fell 2.03% this week" is not the current drawdown, "Today you gained $215.30" not the unrealised
#: gain).
_SPAN_CHANGES = words("drawdown unrealized unrealised pnl twr cagr weighted local effect")
#: Counted things that are units of one security: a company named with them is one holding ("5 shares of Apple").
_SECURITY_KINDS = frozenset({"quantity", "stocks"})
_CHANGES = words("return returns ret change gain gains loss losses pnl excess alpha drawdown performance twr cagr move")
#: Own path words of a comparison's facts (an excess return, alpha, a difference of returns): cited only by a figure
#: whose words compare (:func:`_compares`) or name its metric.
_EXCESS_KEYS = COMPARISON_FACT_WORDS | GAP_FACT_WORDS
#: Words of a figure that compare it with something (a benchmark, another holding).
_COMPARING = (
    COMPARISON_WORDS | GAP_NOUNS | GAP_AFTER_NEGATIVE | GAP_AFTER_POSITIVE | COMPARISON_FACT_WORDS | EXCESS_WORDS
)
#: Per counted noun, the facts a COUNT figure may cite: alternatives of (key words, COUNT facts only); see
#: ``lexicon.COUNT_KINDS``. Every counted noun has one.
_NOUN_RULES = {noun: COUNT_KINDS[kind] for noun, (kind, _) in (*COUNT_NOUNS.items(), *FRENCH_COUNT_NOUNS.items())}
#: Qualifier words that say a count is of the rest after one named ("4 other positions", "4 posiciones más").
_OTHER = OTHER_WORDS | OTHER_AFTER_WORDS
#: Qualifier words that are no name ("4 other positions", "4 effective positions").
_NOT_NAMES = _OTHER | EFFECTIVE_WORDS
_TICKER = re.compile(r"[A-Z]{2,5}(?:\.[A-Z]{1,2})?")
#: The path word of an effective count (``diversification.effective_position_count``).
_EFFECTIVE_KEYS = frozenset({"effective"})
#: The shortest word read as the start of a name ("Tech" for "Technology").
_MIN_PREFIX = 4


def _sign_also(fig: Figure) -> frozenset[str]:
    """Other currencies the figure's bare sign stands for in some locale ("¥": yuan in Chinese, yen
    elsewhere), unless the figure spells the currency out ("JP¥", "US$", "USD")."""
    raw = fig.raw
    for sign, codes in SIGN_ALSO.items():
        if sign in raw and not any(c.isalpha() and c.isascii() for c in raw):
            return codes
    return frozenset()


_ZERO = Decimal(0)
_TWO = Decimal(2)


class GroundingStatus(Enum):
    GROUNDED = "GROUNDED"
    """Every figure matches a fact."""
    UNGROUNDED = "UNGROUNDED"
    """At least one figure matches no fact."""
    NO_FIGURES = "NO_FIGURES"
    """The text holds no figure to check."""


@dataclass(frozen=True, slots=True)
class FigureCheck:
    """The verdict on one figure."""

    figure: Figure
    grounded: bool
    fact_path: str | None
    """The matched fact, ``None`` when ungrounded."""
    exact: bool
    """The fact equals the shown value (no rounding was needed)."""


@dataclass(frozen=True, slots=True)
class GroundingResult:
    status: GroundingStatus
    checks: tuple[FigureCheck, ...]
    candidates_examined: int
    """Facts compared in total: the cost counter behind the linearity test."""

    @property
    def figure_count(self) -> int:
        return len(self.checks)

    @property
    def grounded_count(self) -> int:
        return sum(1 for c in self.checks if c.grounded)

    @property
    def ungrounded_count(self) -> int:
        return sum(1 for c in self.checks if not c.grounded)

    @property
    def ungrounded(self) -> tuple[Figure, ...]:
        return tuple(c.figure for c in self.checks if not c.grounded)


def check(text: str, facts: Facts) -> GroundingResult:
    """Check every figure of the completed ``text`` against ``facts``. Never raises for any ``str``.

    Run it on the whole text once a stream has finished: a figure split across two chunks is only
    a figure in the re-assembled text.
    """
    return check_figures(
        _countered(text, _companions(text, _with_spans(extract_with_times(text, ignore=facts.symbols)))), facts)


def checked_text_facts(prefix: str, text: str, data: Facts) -> Facts:
    """The facts of a text the server checked against ``data`` before keeping it (a chat session's AI summary),
    as :func:`~stack_cfo.core.grounding.facts.facts_from_text` gives them, without the figures that a fact of
    ``data`` grounds: such a figure restates that fact, which an answer cites under the fact's own rules (the
    week's excess return the summary stated never grounds "rose 0.74% this week"), not as a bare number any
    clause may repeat. The others (the investor's numbers it quotes, data since changed) stay text facts."""
    # (a figure the text says is the investor's stays theirs, whatever data fact it happens to round to)
    restated = [c.figure.start for c in check(text, data).checks if c.grounded and not _attributed(c.figure)]
    return facts_from_text(prefix, text, skip=frozenset(restated))


#: Between an amount and a percent that restates it: a bracket ("$3,073.50 (42.83%)"), a comma and "or" ("$410.00,
#: or 9.75%"; ``lexicon.RESTATE_LINKS``) or a dash and maybe a hedge ("15% in the red for the year - roughly €5.8k"),
#: maybe after a word of time ("lost 26.25% this year, or $1,572.80", "fell 1.25% today ($148.50)") and "in the red".
_RESTATE = re.compile(
    r"(?:\s+in\s+the\s+(?:red|black))?"
    rf"(?:\s+(?:{PERIOD_PHRASES.pattern}))?(?:\s+(?P<verb>[^\W\d_]+)(?=,))?\s*"
    r"(?:\(\s*(?:(?P<bracketed>[^\W\d_][\w.]*)\s+)?|,?\s+(?P<link>[^\W\d_][\w.]*(?:\s+[^\W\d_][\w.]*)?)\s+"
    r"|\s+[-\u2014]\s+(?:(?P<dashed>[^\W\d_][\w.]*)\s+)?"
    r"|,?\s+(?:es decir|das sind|das heißt|c['’]est[- ]à[- ]dire|that is|o sea)[,:]?\s+(?:(?P<hedge>[^\W\d_]+)\s+)?)",
    re.IGNORECASE,
)
#: A German participle that ends the first figure's clause before the restatement ("1,39 % verloren, rund 2.026 A$").
_RESTATE_VERBS = NEGATIVE_AFTER_VERBS | POSITIVE_AFTER_VERBS
_RESTATED = frozenset({FigureKind.AMOUNT, FigureKind.PERCENT})


def _restates(m: re.Match[str]) -> bool:
    """Whether the words a :data:`_RESTATE` match found between two figures are a restatement's: its link words (one
    or two: "or", "or about", "also rund") and a hedge after a phrase link or in the bracket ("(about €6.8k)") are all
    of ``lexicon.RESTATE_LINKS``, and a word before the comma is a German participle ending the first figure's
    clause."""
    verb, link = m.group("verb"), m.group("link")
    hedge = m.group("hedge") or m.group("bracketed") or m.group("dashed")
    if verb is not None and verb.lower() not in _RESTATE_VERBS:
        return False
    if link is not None and not all(w.lower() in RESTATE_LINKS for w in link.split()):
        return False
    return hedge is None or hedge.lower() in RESTATE_LINKS


def _companions(text: str, figures: list[Figure]) -> list[Figure]:
    """The figures that restate the figure right before them in another form (an amount and its percent: "Apple
    gained $1,781.23 (27.12%) this year", "Apple's unrealized gain is $3,073.50, or 42.83%", "the portfolio lost 1.21%
    ($425.41)"), with that figure's words (its clause, context and antecedent), so that they are about its subject;
    its direction when they have none of their own; and the period of either for both. Linear: each figure is
    compared with the one before it only."""
    out = list(figures)
    for k in range(1, len(out)):
        a, b = out[k - 1], out[k]
        if (
            a.kind not in _RESTATED or b.kind not in _RESTATED or a.kind is b.kind
            or a.table_cell is not None or b.table_cell is not None or b.noun is not None or b.respective is not None
        ):
            continue
        m = _RESTATE.fullmatch(text, a.end, b.start)
        if m is None or not _restates(m):
            continue
        period = a.period if a.period is not None else b.period
        direction = b.direction if b.direction is not None or b.explicit_sign else a.direction
        if direction is None and not b.explicit_sign and a.explicit_sign:
            direction = -1 if a.value < 0 else 1  # "Portfolio -1.2% today ($120)": the amount fell too
        out[k] = replace(
            b, context=a.context, clause=a.clause, clause_cut=a.clause_cut, lead=a.lead, aside=a.aside,
            antecedent=a.antecedent, previous=a.previous, heading=a.heading, direction=direction, period=period,
            loss_context=a.loss_context or b.loss_context,
        )
        if a.period is None and period is not None:
            out[k - 1] = replace(a, period=period)
    return out


#: Between a figure and the one it is set against: a comparison word, a few words (the other side's name, a period) and
#: no end of clause ("-3.2% this week vs SPY +1.0%", "3% compared with SPY's 1%", "-3,24 % contre +1,00 % pour SPY").
_COUNTER = re.compile(
    r"[^.;:!?\n()\[\]0-9]{0,40}?(?<![\w])(?:vs\.?|versus|compared (?:with|to)|against|contre|frente a|gegenüber"
    r"|contro|comparado com|em comparação com|rispetto a|im vergleich zu)(?![\w])[^.;:!?\n()\[\]0-9]{0,30}",
    re.IGNORECASE,
)


def _countered(text: str, figures: list[Figure]) -> list[Figure]:
    """The figures set against a figure of their kind right after them (:attr:`Figure.countered`): such a
    comparison names the other side's own figure, so the first is no gap to it ("Tech basket -4.2% this week vs SPY
    +1.0%" is no excess return of -4.2 points; "Tech trailed SPY by 4.2 points" still is one). Linear."""
    out = figures
    for k in range(1, len(figures)):
        a, b = figures[k - 1], figures[k]
        if a.kind is not b.kind or a.kind is not FigureKind.PERCENT or a.table_cell is not None:
            continue
        if _COUNTER.fullmatch(text, a.end, b.start) is None:
            continue
        if out is figures:
            out = list(figures)
        out[k - 1] = replace(a, countered=True)
    return out


def _with_spans(found_in: Extraction) -> list[Figure]:
    """The figures whose nearest word of time names a span no period fact covers, with that span as their period
    (``lexicon.SPAN_PHRASES``): "Over the past 12 months the portfolio returned 9.04%" is no year-to-date return
    (``lexicon.TRAILING_YEAR``), "Nvidia has returned 46% since you bought it" is its unrealised return
    (``lexicon.SINCE_COST``). The nearest word of time is read as ``Figure.period`` is: the first after the figure in
    its clause, else the last before it in its sentence (words of ``lexicon.PERIOD_PHRASES`` too, those extraction
    found: ``Extraction.times``)."""
    figures, norm, low, period_times = found_in
    if not figures:
        return figures
    # the lowercase patterns are 3x faster; a text whose length lowering changes keeps the case-blind ones
    lowered = len(low) == len(norm)
    span_phrases = SPAN_PHRASES_LOWER if lowered else SPAN_PHRASES
    said = low if lowered else norm
    if span_phrases.search(said) is None:
        return figures
    spans: list[tuple[int, int, str | None]] = [
        (m.start(), m.end(), TRAILING_YEAR if m.group("year") else SINCE_COST) for m in span_phrases.finditer(said)
    ]
    times: list[tuple[int, int, str | None]] = [
        (start, end, None) for start, end in period_times if not any(start < e and s < end for s, e, _ in spans)
    ]
    found = sorted(spans + times, key=lambda t: t[0])
    ends = sentence_ends(norm)
    out: list[Figure] = []
    for fig in figures:
        if fig.table_cell is not None:
            out.append(fig)
            continue
        k = bisect_right(ends, fig.start)
        s0 = ends[k - 1] if k else 0
        s1 = ends[k] if k < len(ends) else len(norm)
        inside = [t for t in found if s0 <= t[0] and t[1] <= s1]
        after = [t for t in inside if t[0] >= fig.end]
        nearest: tuple[int, int, str | None] | None
        if after and not any(ch in CLAUSE_BREAKS or ch.isdigit() for ch in norm[fig.end : after[0][0]]):
            nearest = after[0]
        else:
            earlier = [t for t in inside if t[1] <= fig.start]
            nearest = earlier[-1] if earlier else None
        out.append(replace(fig, period=nearest[2]) if nearest is not None and nearest[2] is not None else fig)
    return out


def check_figures(figures: list[Figure], facts: Facts) -> GroundingResult:
    """:func:`check` for figures already extracted."""
    if any(f.period is not None and f.period.startswith(YEAR) for f in figures):
        figures = [replace(f, period=_year_period(f.period, facts.year)) if f.period and f.period.startswith(YEAR)
                   else f for f in figures]
    if facts.yesterday_is_day:  # a morning's data: "yesterday" is the last session, the facts' day
        figures = [replace(f, period=DAY) if f.period == PRIOR else f for f in figures]
    checks: list[FigureCheck] = []
    examined = 0
    index = facts.index
    columns: dict[tuple[int, int], list[Figure] | None] = {}
    found = [_best_count(fig, index) for fig in figures]
    # the wholes that parts ("3" of "3 of your 5 positions") refer to, and whether each is grounded
    wholes: dict[int, Decimal | None] = {f.part_of: None for f in figures if f.part_of is not None}
    if wholes:
        for fig, (entry, _, _, _) in zip(figures, found, strict=True):
            if fig.start in wholes:
                wholes[fig.start] = fig.value if entry is not None else None
    for fig, (entry, exact, n, uncheckable) in zip(figures, found, strict=True):
        examined += n
        if uncheckable:
            continue  # "3 US stocks" of 5 positions: a part of the portfolio no fact counts, no figure
        if entry is None and fig.part_of is not None:
            whole = wholes.get(fig.part_of)
            if whole is not None and fig.value <= whole:
                continue  # a part of a grounded whole that no count equals: a claim we cannot check, no figure
        check = FigureCheck(fig, entry is not None, entry.path if entry is not None else None, exact)
        if fig.table_cell is not None:
            check = _column_total(check, columns)
        checks.append(check)
    if not checks:
        status = GroundingStatus.NO_FIGURES
    elif all(c.grounded for c in checks):
        status = GroundingStatus.GROUNDED
    else:
        status = GroundingStatus.UNGROUNDED
    return GroundingResult(status, tuple(checks), examined)


def _year_period(period: str, year: int | None) -> str | None:
    """The period of a year named ("year=2026" of "em 2026"): another year is a span no fact covers; the facts' own
    ``year``, or an unknown one (a document with no date), sets none: the period the figure has without it, written
    after a slash ("year=2025/1d" of "Today XIC fell 14.23% in 2025", "year=2025/ytd" of "since January 2025"; see
    ``extract._nearest_period``), else the year to date for the facts' year ("XIC is down 14.23% in 2026") and none
    for an unknown one."""
    named, _, other = period.partition("/")
    if year is None:
        return other or None
    if named != f"{YEAR}{year}":
        return "span"
    return other or "ytd"


def _best_count(fig: Figure, index: FactIndex) -> tuple[Entry | None, bool, int, bool]:
    """:func:`_best`, but for "4 other positions" (the rest after one named) a count of one more (5 positions); and
    whether the figure is a count no fact can check (the last item, then the entry is ``None``).

    A count qualified by capitalised words that name nothing in the facts and are no ticker ("5 US stocks", "2 Big
    Tech positions", "40 Exxon shares") counts a part of the portfolio's things: it is grounded by the portfolio's
    count of its noun when equal to it ("5 US stocks" of 5 positions), uncheckable when at most that count, and
    ungrounded when larger ("6 US stocks" of 5 positions). A noun no portfolio-wide fact counts ("40 Exxon shares":
    quantities are per position) is grounded by any equal count of it, as "40 shares of Exxon Mobil" is, and is
    otherwise uncheckable.

    "N other positions" after names of positions counts the rest after those named ("Besides AAPL and MSFT, 1 other
    position" cites a count of 3; see :func:`_named_before`), after none the rest after one.

    A count whose noun is left out (``Figure.elided``: "2 in Technology", "12 of MSFT") is checked only where the
    facts count its noun under its name: "1 in AAPL" (no count of positions under AAPL) is uncheckable. When its noun
    is implied (``Figure.implied``: no count before it in its sentence named it, positions is assumed), it may count
    a part of that name's things ("1 in Technology is up"): it is ungrounded only when larger than every count of
    it under its name ("5 in Technology" of 2), uncheckable when smaller, and so is one whose name names nothing in
    the facts ("7 in ESG terms"); but one that states its name's whole count (``Figure.breakdown``: "3 in Technology
    and 1 in Energy", "You hold 1 in Energy") is ungrounded when no count under its name equals it."""
    if fig.noun is None:
        return (*_best(fig, index), False)
    m = None
    named = 0
    after = _named_after(fig, index)
    if fig.part_of is None and not fig.decimals and (
        after or any(w.lower() in _OTHER or w.lower() in _REST_BY_COUNT for w in fig.qualifier)
        or any(w.lower() in _MORE for w in fig.tail[:1])
    ):
        # "20 other positions besides GS", "Besides GS, 20 more positions", "20 positions apart from GS": GS's rest
        named = _named_before(fig, index) + after
        m = fig.magnitude + max(1, named)
    entry, exact, n = _best(fig, index, m)
    if entry is None and m is not None and not named:
        # "You hold 20 other positions not shown here", when the clause names none before: the count of those left
        # out of a list, as written (not after "Besides GS": those are GS's rest)
        entry, exact, k = _best(fig, index, rest_only=True)
        n += k
        if entry is not None:
            m = None
    if fig.elided and entry is None:
        own = _own_name(fig, index)
        if own is not None:
            larger, k = _named_counts(fig, index, own)
            return None, False, n + k, larger is None or (fig.implied and larger and not fig.breakdown)
        if fig.implied:
            return None, False, n, True
    if entry is not None or not _count_limits(fig, index, frozenset())[3]:
        return entry, exact and m is None, n, False
    value = fig.magnitude if m is None else m
    wholes, k = _portfolio_counts(fig, index, value)
    n += k
    if wholes or fig.hedge is Hedge.AT_MOST:
        return None, False, n, True
    if k:  # the portfolio counts them, and fewer than the figure says
        return None, False, n, False
    entry, exact, k = _best(fig, index, m, unlimited=True)
    return entry, exact and m is None, n + k, entry is None


#: Words between a count and names after it that make the count the rest after those ("20 other positions besides
#: GS", "20 positions apart from GS", "other than", "außer", "abgesehen von", "hormis", "sauf", "además de", "aparte
#: de", "excepto", "tranne", "oltre a", "além de", "exceto"): a name must follow.
_BESIDES = words("""besides except excluding apart aside than außer ausser abgesehen ausgenommen neben outre hormis
    sauf excepté además aparte excepto salvo tranne eccetto oltre além exceto""")
#: Words between a count and its noun that make it the rest after the things named ("Besides GS, 20 more/additional/
#: further positions"), as "other" does.
_REST_BY_COUNT = REST_WORDS | frozenset({"more", "mehr", "más", "più", "mais"})


def _named_after(fig: Figure, index: FactIndex) -> int:
    """How many things of what ``fig`` counts its clause names after it, after a word of :data:`_BESIDES` ("20 other
    positions besides GS": 1), as :func:`_named_before` reads them."""
    k = next((j for j, w in enumerate(fig.tail) if w.lower() in _BESIDES), None)
    return 0 if k is None else _named_before(fig, index, fig.tail[k + 1 :])


def _named_before(fig: Figure, index: FactIndex, said: tuple[str, ...] | None = None) -> int:
    """How many things of what ``fig`` counts its clause names before it ("Besides AAPL and MSFT, 1 other
    position": 2 positions), or ``said`` names: names from the facts' brackets in the lists its noun counts
    (``positions[AAPL]`` for positions, ``sectors[Energy]`` for sectors; see ``lexicon.COUNT_KINDS``), one to three
    words each."""
    rules = _NOUN_RULES.get(fig.noun) if fig.noun is not None else None
    if not rules:
        return 0
    pool: set[str] = set()
    for keys, _ in rules:
        for key in keys:
            pool |= index.members.get(key, frozenset())
    if said is None:
        said = (*fig.lead, *fig.context)
    found = {
        name
        for size in (1, 2, 3)
        for i in range(len(said) - size + 1)
        if (name := " ".join(said[i : i + size])) in pool
    }
    return len(found)


def _named_counts(fig: Figure, index: FactIndex, name: str) -> tuple[bool | None, int]:
    """Whether some fact under ``name`` that counts what ``fig`` counts is at least the figure (``None`` when no fact
    under it counts that), and how many facts were looked at (none when the largest was known already)."""
    noun = fig.noun or ""
    key = ("named_counts", name, noun)
    n = 0
    if key in index.memo:
        largest = index.memo[key]
    else:
        rules = _NOUN_RULES.get(noun)
        largest = None
        for group in index.groups(RAW):
            for entry in group.entries:
                n += 1
                if not entry.from_text and name in entry.names and (rules is None or _counts(entry, rules)):
                    largest = entry.magnitude if largest is None else max(largest, entry.magnitude)
        index.memo[key] = largest
    return (None if largest is None else largest >= fig.magnitude), n


def _portfolio_counts(fig: Figure, index: FactIndex, value: Decimal) -> tuple[bool, int]:
    """Whether a portfolio-wide count (a fact under no name) of what ``fig`` counts is at least ``value``, and how
    many such counts there are."""
    rules = _NOUN_RULES.get(fig.noun) if fig.noun is not None else None
    found = False
    n = 0
    for group in index.groups(RAW):
        for entry in group.entries:
            if (
                entry.kind is FactKind.COUNT
                and not entry.from_text
                and not entry.names
                and _whole(entry.value)
                and (rules is None or _counts(entry, rules))
            ):
                n += 1
                found = found or entry.magnitude >= value
    return found, n


def _best(
    fig: Figure, index: FactIndex, m: Decimal | None = None, *, unlimited: bool = False, rest_only: bool = False
) -> tuple[Entry | None, bool, int]:
    """The best fact for ``fig`` (see the module docstring), whether it equals the shown value, and how many facts
    were looked at; ``m``: the magnitude to look for instead of the figure's; ``unlimited``: a count of a part of the
    portfolio's things may cite a count under a name; ``rest_only``: only a count of the items left out of a list."""
    groups: tuple[Group, ...] = index.groups(PERCENT if fig.kind is FigureKind.PERCENT else RAW)
    metric, name, change = _subject(fig, index)
    whole = _whole_subject(fig, index, metric)
    if whole is not None:
        # the clause's own subject is nearer than a name further back: "NVDA changed 0% today" is NVDA's alone, "Cash
        # is 31.2% of your portfolio" the cash's, "Your portfolio is worth $2,960.60" the portfolio's
        name = whole.name
    not_value = _not_value(fig, whole)
    rules = _NOUN_RULES.get(fig.noun) if fig.noun is not None else None
    # "2.0 holdings" is no whole count (it is 1.99 effective holdings), "1 sector" no effective 1.0: among count
    # facts, one written as the figure is (with or without decimals) first
    decimals = fig.decimals > 0
    said = frozenset(_SPELLED.get(w, w) for w in map(str.lower, fig.context))
    own, foreign, whole_only, part = (
        _count_limits(fig, index, said) if fig.noun is not None else (None, False, False, False)
    )
    nameless = part and not unlimited  # "5 US stocks": the portfolio's count first (see _best_count)
    portfolio_count = False  # a count under no name: no count under a name ("2 positions" is not a sector's)
    if own is not None:
        name = own
    elif fig.noun is not None and not foreign:
        # a count under no name of its own is the portfolio's, unless its clause names a group ("In Health Care you
        # hold 2 positions"): "You hold 2 positions" is never one sector's 2
        name = _context_name(fig, index)
        if name is None and fig.context and fig.context[-1].lower() in SPREAD_LINKS:
            # "Information Technology makes up 35.8% of your portfolio across 3 positions", "..., spread across 3
            # positions", "... und umfasst 3 Positionen": the count of what the sentence before names
            name = _context_name(fig, index, fig.antecedent)
        portfolio_count = name is None
    effective_only = fig.noun is not None and _effective(fig, said)
    allowed = _ALLOWED[fig.kind]
    # "$10" is money: never the data's share count of 10 nor its score of 9.8 (a number the investor or an article
    # wrote without a currency may be money: "If I invest 5000 more", answered "$5,000")
    money_only = fig.kind is FigureKind.AMOUNT and fig.currency is not None
    native = _NATIVE[fig.kind]
    if fig.kind is FigureKind.NUMBER and fig.currency is None and fig.decimals == 0:
        native = _UNITLESS
    m = fig.magnitude if m is None else m
    unit = fig.unit
    hedge = fig.hedge
    want = _wanted_sign(fig)
    weight_only = metric is None and _weight_only(fig)
    if weight_only and whole is None:
        held_in = _group_holdings(fig, index)
        if held_in is not None:  # "Each of your tech holdings is 12-18% of the portfolio": the sector's share
            whole = Subject(Whole.NAME, held_in)
            name = held_in
    basis = _basis(fig) if weight_only else None
    if basis and not _has_invested_weights(index):
        basis = None  # the facts' weights are all of one basis ("weight_percent" of the invested value): any fits
    ranked = _ranked_share(fig) if weight_only else None
    period = fig.period if fig.period is not None or metric is not None else _day_period(fig)
    if metric is not None and period == TRAILING_YEAR:
        period = None  # "maximum drawdown over the past year": the metric's own span, which is no period of the facts
    if metric is _CURRENT_DRAWDOWN and period == DAY:
        period = None  # "25.6% below its peak today": the drawdown as it stands, no day's change
    gap = _gap(fig) is not None  # "trailing the S&P 500 by 2.2 points": only an excess return
    # an excess over the benchmark (or alpha) only when the figure's words compare or name the metric: "Your portfolio
    # fell 2.14% today" is never the day's excess return, "You lagged SPY by 2.14%" may be
    compares = gap or metric is not None or (not fig.countered and (
        _compares(fig) or (whole is not None and whole.comparative)))
    if want == (1,) and not fig.explicit_sign and metric is not None and metric & _LOSS_METRICS:
        want = None  # "Its maximum drawdown over the past year was 12.47%": a loss's magnitude, though its label is far
    contribution = _contribution_said(fig)
    heard = _heard(fig)
    # a limit only for a clause that says one ("ASML is 10.0% of your portfolio" is not the 10% guideline); the items
    # of a list cut for length, or those left out of it, only for a clause that says listed or the rest ("You hold 20
    # positions" is neither the 20 listed nor the 20 not listed of 40); a part of a score only for a clause naming it
    # (a figure with no words read, as in Chinese, may be one: its words cannot say)
    # (a bound after a verb of direction, or of a period, is a move's size, not the limit: "SHEL beat SPY by over 5%
    # this week"; a limit held against is one only where the bound is true of the subject's own figure: "AAPL is
    # under 10% of your invested portfolio" is no limit of AAPL's 13.16%)
    bound = _bound(fig)
    # the holding or group the sentence named before a bound: the bound is true of its own figure, or is no limit
    # ("MSFT is 24.0% of invested capital, above the 25% guideline" is no limit of AAPL's 41.56%)
    # (its own clause first: "Unlike XOM, your Technology sector is above the 35% limit" is Technology's)
    owner = next((w for w in reversed((*fig.antecedent, *fig.clause)) if w in index.names), None) if (
        bound is not None) else None
    moved = fig.period is not None or any(w.lower() in _DIRECTION_WORDS for w in fig.clause)
    limit = not heard or bool(heard & THRESHOLD_WORDS) or (bound is not None and not moved)
    listing = bool(heard & LISTED_WORDS)
    # ("3 positions not listed" is never the 3 listed of a list cut for length)
    unlisted = listing and bool(heard & LISTED_NEGATIONS)
    rest = rest_only or _rest_said(fig, heard) or unlisted
    score = metric is not None and bool(metric & _SCORE)
    # the investor's numbers (and a kept summary's) ground a figure its clause states as the data's (a metric, a move
    # or a period's figure, a weight, a count, the worth of the portfolio or an amount of a holding, the cash or the
    # benchmark) only when it says whose number it is, supposes it or proposes it: "Yes, your portfolio fell 3% this
    # week", "Yes, 3% this week" and "Correct, your portfolio is worth $12,500" repeat the investor's number as a fact
    data_claim = (
        metric is not None
        or period is not None
        or fig.direction is not None
        or fig.explicit_sign  # "Your weekly return was -3%", "- Portefeuille : -3 %": a change
        or weight_only
        or fig.noun is not None
        or (whole is not None and whole.kind is not Whole.PORTFOLIO)
        or any(w.lower() in WORTH_WORDS for w in (*fig.clause, *fig.tail))  # "worth $12,500", "$12,500 in total"
        or _elliptic(fig)  # "Yes, by 3%.", "Yes, it is 2.5.": the question's subject
    ) and not _attributed(fig)
    best: Entry | None = None
    best_key = (2, 2, 2, 2, 2, 2, 0, 0)
    examined = 0
    for group in groups:
        half = max(unit / _TWO, group.half_unit)
        if hedge is Hedge.AT_LEAST:
            lo, hi = m - group.half_unit, m + _TWO * unit + group.half_unit
        elif hedge is Hedge.AT_MOST:
            lo, hi = m - _TWO * unit - group.half_unit, m + group.half_unit
        else:
            lo, hi = m - half, m + half
        keys = group.keys
        entries = group.entries
        for i in range(bisect_left(keys, lo), bisect_right(keys, hi)):
            examined += 1
            entry = entries[i]
            if entry.kind not in allowed or (money_only and entry.kind is FactKind.NUMBER and not entry.from_text):
                continue
            if (
                fig.currency is not None
                and entry.currency is not None
                and fig.currency != entry.currency
                and entry.currency not in _sign_also(fig)
            ):
                continue
            if want is not None and entry.sign != 0 and m != 0 and entry.sign not in want:
                continue
            if entry.from_text:
                if data_claim and entry.path.startswith(_INVESTOR_TEXTS):
                    continue
            elif (
                (metric is not None and not _has_metric(entry.tokens, metric))
                or (weight_only and not entry.own & WEIGHT_KEYS)
                or (basis is not None and bool(entry.own & INVESTED_KEYS) is not basis)
                or (ranked is not None and not _top_fits(entry, ranked))
                or (rules is not None and not _counts(entry, rules))
                or (name is not None and entry.names and name not in entry.names)
                or (own is not None and own not in entry.names)
                or foreign
                or (nameless and bool(entry.names))
                or (portfolio_count and entry.kind is FactKind.COUNT and bool(entry.names))
                or (whole_only and entry.kind is FactKind.COUNT and not _whole(entry.value))
                or (effective_only and not entry.tokens & _EFFECTIVE_KEYS)
                or (change and not entry.tokens & _CHANGES)
                or (gap and not entry.tokens & GAP_FACT_WORDS)
                or (not compares and bool(entry.own & _EXCESS_KEYS))
                or (whole is not None and not whole.allows(entry))
                or (period is not None and not _period_fits(period, entry))
                or entry.path == not_value
                or (_THRESHOLD in entry.tokens and (not limit or not _limit_holds(entry, index, bound, owner)))
                or (entry.own >= _NOT_LISTED and not rest)
                or (rest_only and not entry.own >= _NOT_LISTED)
                or ((not listing or unlisted) and entry.path in index.truncated)
                or (score and not _score_part_named(entry, fig))
                or (bool(entry.tokens & _CONTRIBUTION_KEYS) and not contribution)
                or (contribution is _NEAR and not entry.tokens & _CONTRIBUTION_KEYS)
            ):
                continue
            named = 0 if name is not None and name in entry.names else 1
            key = (
                1 if entry.kind is FactKind.COUNT and _whole(entry.value) is decimals else 0,
                0 if entry.magnitude == m else 1,
                named,
                -len(said & entry.tokens),  # the more of its words the text says, the likelier
                0 if entry.kind in native else 1,
                # a signed figure ("+900.00") is a change: a gain rather than an equal cost or value
                0 if not fig.explicit_sign or entry.tokens & _CHANGES else 1,
                # nothing above tells them apart: the portfolio's own figure before a group's or a
                # position's that happens to equal it (one sector: its P&L is the portfolio's)
                entry.path.count(".") + entry.path.count("["),
                entry.order,
            )
            if key < best_key:
                best, best_key = entry, key
    return best, best_key[1] == 0, examined


#: Path words of a holding's contribution to its group's return (``return_contribution_1w``).
_CONTRIBUTION_KEYS = frozenset({"contribution"})
#: Words of a contribution to a return: only a figure whose words say one may cite a contribution ("NVDA returned
#: 13.33% this year" is no contribution of 13.33 points that NVDA made to its basket), and a figure right after one
#: cites only a contribution ("AAPL contributed 13.33 points" is no return of AAPL's that happens to be 13.33 %).
_CONTRIBUTION_WORDS = words("""contributed contributes contribute contributing contribution contributions contributor
    contributors beitrag beiträge beitrug beigetragen beisteuerte beigesteuert contribué contribue contribuent
    apporté contribución contribuciones contribuyó contribuye aportó aporta aporte contributo contribuito
    contribuisce contribuição contribuiu contribui""")
#: Words of what weighed on or drove a return: a figure with them may cite a contribution, as may one with a word of
#: contribution anywhere in its clause ("biggest drags: NVDA (-10.0%, -2.7 points)").
_CONTRIBUTION_HINTS = _CONTRIBUTION_WORDS | words("drag drags dragged driver drivers detractor detractors")
_NEAR = 2
#: A verb of contribution right before the figure, and a noun of one before "of"/"was"/"von"/"de" right before it:
#: the figure is the contribution ("NVDA, the largest contributor, returned 80%" is NVDA's return).
_CONTRIBUTION_VERBS_NEAR = words("""contributed contributes contribute contributing beisteuerte contribué contribue
    contribuyó contribuye aportó aporta contribuito contribuiu contribui""")
_CONTRIBUTION_NOUNS = words("contribution contributions beitrag contribución aporte contributo contribuição")
_CONTRIBUTION_LINKS = words("of was is were von de di do da del of: von: beträgt betrug fue es était est")


def _contribution_said(fig: Figure) -> int:
    """0: no word of a contribution in the figure's clause; ``_NEAR``: one among the four words right before it
    ("contributed 13.33 points", "a contribution of 6.67 points", "trug 6,67 Punkte bei" reads the verb after); 1:
    one elsewhere in its clause ("NVDA, the largest contributor, returned 80%")."""
    near = [w.lower() for w in fig.context[-3:]]
    while near and near[-1] in _HEDGES:
        near.pop()
    if near and (near[-1] in _CONTRIBUTION_VERBS_NEAR or (near[-1] in _CONTRIBUTION_LINKS and any(
        w in _CONTRIBUTION_NOUNS for w in near[:-1]
    ))):
        return _NEAR  # "contributed 13.33 points", "a contribution of 6.67 points", "Beitrag von", "contribution:"
    if fig.points:
        return 1  # a holding's figure in points: a contribution, or a return's gap ("NVDA (-10.0%, -2.7 points)")
    said = (*fig.context, *fig.clause, *fig.tail, *fig.lead, *fig.heading)
    return 1 if any(w.lower() in _CONTRIBUTION_HINTS for w in said) else 0


#: Paths of the facts the investor's own words gave: the numbers of their messages and of a kept summary of the
#: conversation (a news article's are the article's, about what it reports).
_INVESTOR_TEXTS = ("user[", "summary[")
#: Words of a supposition, read in the figure's whole sentence-part (a clause joiner may stand between: "Se o mercado
#: cair 20%", where "o" may be Spanish "or").
_SUPPOSE = words("""if suppose supposing hypothetically hypothetical imagine scenario crash case would should were wenn
    falls angenommen würde würden sollte si supposons serait seraient cas caso supongamos sería sarebbe seria
    如果 假设""")
#: Words that say a figure is the investor's number, a supposition or a proposal, not the data's: "You mentioned a 3%
#: fall", "If the market drops 20%", "your target of 8%", "Sie erwähnten 3 %", "si le marché baisse de 20 %", "buying
#: 10 more shares". Read in the figure's own clause: "As you said, your portfolio fell 3%" states the data.
_ATTRIBUTION = words("""mentioned mention said say says asked ask wrote write noted note told quoted cited heard read
    think thought believe believed assume assumed assuming assumption expect expected expecting expectation estimate
    estimated guess suggested suggest plan planned planning want wanted wish hope hoping goal goals target
    targets aim budget question figure number
    erwähnt erwähnten erwähnen sagten gesagt sagen fragten gefragt schrieben geschrieben genannt nannten meinen meinten
    glauben annehmen erwarten erwartet ziel zielen
    mentionné mentionnez dit demandé écrit indiqué pensez supposer hypothèse objectif
    mencionó mencionaste mencionado dijo dijiste preguntó preguntaste escribió suponiendo objetivo
    menzionato detto chiesto scritto supponiamo obiettivo mencionou disse perguntou escreveu suponha
    提到""") | _SUPPOSE
#: Words of a proposal, read before the figure in its clause ("Buying 10 more shares", "Putting $1,000 into MSFT"),
#: not after it ("Your cash of $3,000 gives you room to buy" states the cash).
_PROPOSAL = words("""you'd buy buying sell selling add adding invest investing withdraw withdrawing deposit
    depositing contribute contributing save saving spend spending sollte sollten kaufen verkaufen investieren anlegen
    aufstocken zukaufen acheter vendre investir ajouter renforcer retirer comprar vender invertir añadir aumentar
    retirar comprare vendere investire aggiungere put putting cutting reducing trimming rebalance rebalancing limit
    limits cap allocate allocating reallocate reallocating move moving shift shifting rotate rotating transfer
    transferring earn earning reach reaching umschichten umschichtung""")
#: A negation right before the figure ("not 3%", "nicht um 3 %", "pas de 3 %"): the investor's number denied.
_DENIED = words("not nicht kein keine pas non no instead statt anstatt sondern rather")
#: Words of a rate of saving or spending ("$500 monthly", "200 € monatlich"): an amount with one is a plan.
_RATE_WORDS = words("""monthly weekly yearly annually monatlich wöchentlich jährlich mensuel mensuelle hebdomadaire
    annuel annuelle mensual semanal anual mensile settimanale annuale mensal""")


#: A pronoun standing for what the question named ("Yes, it is 2.5", "Oui, il est ..."; not German "es", which is as
#: often "there" as "it"), and "by"
#: before a figure ("Yes, by 3%"): an answer stating the data about it.
_PRONOUNS = words("it its it's il elle ello esto eso")
_BY = words("by um")


def _elliptic(fig: Figure) -> bool:
    """Whether the figure's clause states something of what the question named without naming it: a pronoun subject,
    or "by" right before the figure (:data:`_PRONOUNS`, :data:`_BY`)."""
    clause = [w.lower() for w in fig.clause]
    return any(w in _PRONOUNS for w in clause) or bool(clause and clause[-1] in _BY)


def _attributed(fig: Figure) -> bool:
    """Whether the figure's clause says it is the investor's number (:data:`_ATTRIBUTION`), a proposal
    (:data:`_PROPOSAL`, before it) or a plan (:data:`_RATE_WORDS` with an amount), its sentence-part a supposition
    (:data:`_SUPPOSE`), or a word right before it denies it (:data:`_DENIED`)."""
    clause = [w.lower() for w in fig.clause]
    tail = [w.lower() for w in fig.tail]
    return (
        any(w in _ATTRIBUTION for w in (*clause, *tail))  # "You mentioned a 3% fall", "the 3% you mentioned"
        or any(w in _PROPOSAL for w in clause)
        or any(w in _SUPPOSE for w in (*(w.lower() for w in fig.context), *tail))  # "If ...", "a 20% drop would"
        or any(w in _DENIED for w in clause[-2:])
        or (fig.kind is FigureKind.AMOUNT and any(w.lower() in _RATE_WORDS for w in (*fig.clause, *fig.tail)))
    )


#: The path word of a limit (an insight's ``threshold_invested_weight``): cited only by a clause that says one, or by
#: a bound ("above 50%") or a figure after a verb of exceeding.
_THRESHOLD = "threshold"
_EXCEEDS = words("""exceeds exceeded exceed exceeding surpasses surpassed tops topped übersteigt überstieg überschreitet
    überschritt dépasse dépassent excède supera superan superó supera superano excede excedem ultrapassa ultrapassam
    above below over under beyond über unter oberhalb unterhalb dessus dessous au-dessus au-dessous encima debajo
    sopra sotto oltre acima abaixo""")
_LINE_ARTICLES = words("""the der die den dem des le la les el los las il lo o a os as del della dello dei degli delle
    do da dos das""")
#: Between the name of a line and its figure ("the guideline of 25%", "la soglia del 25%", "le seuil de 25 %").
_LINE_LINKS = words("of del della dello di de du von des do da")


#: Of :data:`_EXCEEDS`, those that hold a figure below the line ("under 10%"; not :data:`_BELOW`, the words of a
#: distance below a peak).
_UNDER_LINE = words("below under unter unterhalb dessous au-dessous debajo sotto abaixo")
#: Words of a move or a comparison with the benchmark: a bound after one is the move's size ("beat SPY by over 5%");
#: not the bounds themselves ("over", "than": "MSFT is over 10%", "more than 10%").
_DIRECTION_WORDS = (NEGATIVE_WORDS | POSITIVE_WORDS | COMPARISON_WORDS) - _EXCEEDS - {"than"}


def _line_word(fig: Figure) -> str:
    """The lowercase word right before a figure, past an article ("above the 10.00%": "above"), or past the name of
    the line and its article ("sopra la soglia del 25%", "above the guideline of 25%": "sopra", "above"); empty if
    none."""
    said = [w.lower() for w in fig.context[-2:]]
    if said and said[-1] in _LINE_ARTICLES:
        said.pop()
    named = [w.lower() for w in fig.context[-5:]]
    while named and (named[-1] in _LINE_ARTICLES or named[-1] in _LINE_LINKS):
        named.pop()
    if len(named) >= 2 and named[-1] in THRESHOLD_WORDS:
        named.pop()
        while named and named[-1] in _LINE_ARTICLES:
            named.pop()
        if named and named[-1] in _EXCEEDS:
            return named[-1]
    return said[-1] if said else ""


def _bound(fig: Figure) -> str | None:
    """Which side of a line a figure's words put something: ``"below"`` ("under 10%", "at most 10%"), ``"above"``
    ("over 10%", "exceeds 10%", "at least 10%"), or ``None`` (no bound)."""
    if fig.hedge is Hedge.AT_MOST:
        return "below"
    if fig.hedge is Hedge.AT_LEAST:
        return "above"
    word = _line_word(fig)
    if word not in _EXCEEDS:
        return None
    return "below" if word in _UNDER_LINE else "above"


def _limit_holds(entry: Entry, index: FactIndex, bound: str | None, owner: str | None = None) -> bool:
    """Whether a limit (``insights[AAPL].threshold_invested_weight``) may be cited by a figure held ``bound`` it:
    the bound is true of the subject's own figure of that kind beside it (``insights[AAPL].invested_weight``; else
    one whose name starts or ends with it: ``excess_return_1w``, ``current_drawdown``), compared in size; any limit
    when there is no bound or no such figure. ``owner``: the holding or group the sentence named before the bound,
    whose own figure of that kind (an insight's, a position's, a sector's or a basket's) it is then."""
    if bound is None:
        return True
    parent, _, leaf = entry.path.rpartition(".")
    kind = leaf.removeprefix(f"{_THRESHOLD}_")
    siblings = index.siblings.get(parent, {})
    own = siblings.get(kind)
    if owner is not None:
        named = next((found for section in _OWNERS
                      if (found := index.siblings.get(f"{section}[{owner}]", {}).get(kind)) is not None), None)
        if named is not None:
            own = named
    if own is None:
        near = sorted(
            k for k in siblings if _THRESHOLD not in k and (k.startswith(f"{kind}_") or k.endswith(f"_{kind}"))
        )
        if not near:
            return True
        own = siblings[next((k for k in near if k.startswith("current")), near[0])]
    line = abs(siblings.get(leaf, entry.value))  # the fact's own value (the entry's may be in percent)
    return abs(own) > line if bound == "above" else abs(own) < line


#: The sections whose items have a figure a limit is held against (``positions[MSFT].invested_weight``).
_OWNERS = ("insights", "positions", "sectors", "baskets")


#: The own key words of a count of the items left out of a list (``positions_not_listed_count``).
_NOT_LISTED = frozenset({"not", "listed"})
#: Words right by a count that say it is of the rest ("20 more positions", "20 positions more").
_MORE = frozenset({"more", "mehr", "plus", "más", "più", "mais"})
#: The path words of a part of a score that say which part (``score_from_holdings``), besides these.
_SCORE_PART_LINKS = frozenset({"score", "from"})


def _heard(fig: Figure) -> frozenset[str]:
    """The lowercase words of a figure's clause (and of the words before it, those between the number and its noun,
    after it; the clause of the number before when it starts right after one): what the text says of it."""
    before = fig.antecedent if fig.clause_cut else ()
    return frozenset(w.lower() for w in (*fig.lead, *fig.context, *fig.clause, *fig.tail, *fig.qualifier, *before))


def _rest_said(fig: Figure, heard: frozenset[str]) -> bool:
    """Whether a figure's words say it is of the rest of a list (``lexicon.REST_WORDS``: "the other 20 positions", "20
    remaining"; "more" only right by the count: "20 more positions", "20 positions more", not "more than 20")."""
    if heard & REST_WORDS:
        return True
    near = [w.lower() for w in (*fig.qualifier, *fig.tail[:1])]
    return any(w in _MORE for w in near)


#: Words after a part's noun that make it a part of the score ("the holdings part of your score", "the sector
#: component", "the holdings score").
_PART_NOUNS = words("""part parts component components portion share half piece contribution subscore sub-score
    score teil anteil komponente partie composante parte componente porção""")
#: Words before a part's noun (maybe with one word between: "from your holdings") that make it a part of the score
#: ("60.0 from holdings", "score from sectors", "issu des positions").
_PART_FROM = words("from aus von des de du da di dai dalle dagli das dos")


def _score_part_named(entry: Entry, fig: Figure) -> bool:
    """Whether a fact a figure of a score may cite is the score itself, or a part of it (``score_from_holdings``) that
    the figure's words name as a part (its path words: "holdings", "sectors", or a counted noun of their kind:
    "positions"; before a word of a part, "the holdings part", or after "from", "60.0 from holdings"): a noun of the
    part merely in the clause is not ("With 40 positions, your diversification score is 60" is the score's)."""
    if not entry.own >= _SCORE_PART_LINKS:
        return True
    parts = entry.own - _SCORE_PART_LINKS
    before = fig.antecedent if fig.clause_cut else ()
    for said in (fig.lead, fig.context, fig.clause, fig.tail, fig.qualifier, before):
        low = [w.lower() for w in said]
        for i, w in enumerate(low):
            if not (w in parts or COUNT_NOUNS.get(w, ("", False))[0] in parts):
                continue
            if (i + 1 < len(low) and low[i + 1] in _PART_NOUNS) or any(
                low[j] in _PART_FROM for j in range(max(0, i - 2), i)
            ):
                return True
    return False


def _count_limits(fig: Figure, index: FactIndex, said: frozenset[str]) -> tuple[str | None, bool, bool, bool]:
    """What limits the facts a COUNT figure may cite: its own name, whether it names something no fact does, whether
    only whole counts may ground it, and whether it counts an unnamed part of the portfolio's things.

    A name qualifying what a count counts ("3 Health Care positions", "12 shares of MSFT", "2 Tech positions" for a
    sector Technology, see :func:`_own_name`) is the figure's own: only facts under that name count them, not the
    portfolio's nor another name's. A ticker symbol that names nothing in the facts, between the number and the noun
    or after it ("10 TSLA shares", "10 shares of TSLA"), counts something no fact counts: only a fact from text may
    ground it. Other capitalised qualifier words that name nothing in the facts ("5 US stocks", "2 Big Tech
    positions", "40 Exxon shares") count a part of the portfolio's things (see :func:`_best_count`), and so does a
    count of things picked by rank ("your 3 largest positions", ``lexicon.SELECTION_WORDS``); such a name
    after the noun ("40 shares of Exxon Mobil", "3 Positionen im Technologiesektor") does not limit it. A whole count
    ("You hold 4 positions") is never a rounded fractional one (3.87 effective positions) unless its words say it is
    effective ("effectively 4 positions", "4 effective positions").
    """
    own = _own_name(fig, index)
    foreign = part = False
    if own is None and fig.noun is not None and COUNT_NOUNS.get(fig.noun, ("", True))[0] in _SECURITY_KINDS:
        # "5 shares of Apple", "10 Mastercard shares": the holding that company is (subjects.company_holding), or
        # none held: no fact counts them
        for word in (*fig.qualifier, *fig.of_name):
            if company_word(word) and word not in index.tokens:
                own = company_holding((word,), 0, index.names)
                foreign = own is None
                break
    if own is None and not foreign:
        shouting = fig.raw.isupper()  # "YOU HOLD 2 TECH POSITIONS": no word in capitals is a ticker
        unknown = [w for w in fig.qualifier if w[:1].isupper() and w.lower() not in _NOT_NAMES]
        foreign = not shouting and any(_ticker_like(w) for w in (*unknown, *fig.of_name))
        # "your 3 largest positions": some of them, picked by rank, which no fact counts
        ranked = any(w.lower() in SELECTION_WORDS for w in fig.qualifier)
        part = (bool(unknown) or ranked) and not foreign
    whole_only = not fig.decimals and not _effective(fig, said)
    return own, foreign, whole_only, part


def _effective(fig: Figure, said: frozenset[str]) -> bool:
    """Whether a count's words say it is effective ("4 effective positions", "effectively 4 positions")."""
    return bool(said & EFFECTIVE_WORDS) or any(w.lower() in EFFECTIVE_WORDS for w in (*fig.lead, *fig.qualifier))


def _context_name(fig: Figure, index: FactIndex, ctx: tuple[str, ...] | None = None) -> str | None:
    """The name from the facts' brackets that the words before a count name, nearest first ("Health Care" of "Your
    Health Care sector holds 2 positions", "Energy" of "Technology 2 positions and Energy 1 position"): one to three
    words as written, or in any case for a name not in capitals, or a sector word (``lexicon.SECTOR_WORDS``); ``ctx``:
    other words to read instead (the antecedent)."""
    ctx = fig.context if ctx is None else ctx
    folded = {n.casefold(): n for n in index.names if not n.isupper()}
    for end in range(len(ctx), 0, -1):
        for size in range(min(3, end), 0, -1):
            name = " ".join(ctx[end - size : end])
            if name in index.names:
                return name
            found = folded.get(name.casefold())
            if found is None and size == 1:
                found = _sector_word(name, folded)
            if found is not None:
                return found
    return None


def _own_name(fig: Figure, index: FactIndex) -> str | None:
    """The name from the facts' brackets among the words that qualify a count ("Health Care" of "3 Health Care
    positions", "MSFT" of "12 shares of MSFT"; ``Figure.qualifier`` and ``Figure.of_name``), if any.

    A ticker (a name in capitals) is found only as written; another name in any case ("2 energy positions") or, when
    the words are that one word (besides "other", "effective"...), by the start of one of its words, when that
    names a single name ("Tech" for "Technology" or "Information Technology", not for both)."""
    runs = (
        tuple(w for w in fig.qualifier if w.lower() not in _NOT_NAMES),
        tuple(w for w in fig.of_name if w.lower() not in _NOT_NAMES),
    )
    if not any(runs):
        return None
    folded = {n.casefold(): n for n in index.names if not n.isupper()}
    for run in runs:
        for size in range(len(run), 0, -1):
            for i in range(len(run) - size + 1):
                name = " ".join(run[i : i + size])
                if name in index.names:
                    return name
                found = folded.get(name.casefold())
                if found is not None:
                    return found
    for run in runs:
        for word in run:
            found = _sector_word(word, folded)
            if found is not None:
                return found
    for run in runs:
        if len(run) != 1 or len(run[0]) < _MIN_PREFIX or not run[0].isalpha() or run[0].isupper():
            continue
        start = run[0].casefold()
        matches = [n for key, n in folded.items() if any(part.startswith(start) for part in key.split())]
        if len(matches) == 1:
            return matches[0]
    return None


def _sector_word(word: str, folded: dict[str, str]) -> str | None:
    """The sector of the facts (``folded``: casefolded name to name) that a sector word in another language or a
    compound names ("Energie", "Énergie", "energía", "Energiesektor": Energy), when exactly one of its candidates is
    one (see ``lexicon.SECTOR_WORDS``)."""
    candidates = sector_word(word)
    if candidates is None:
        return None
    found = [folded[c.casefold()] for c in candidates if c.casefold() in folded]
    return found[0] if len(found) == 1 else None


def _ticker_like(word: str) -> bool:
    """Whether a capitalised word qualifying a count looks like a ticker symbol ("TSLA", "BRK.B"): 2 to 5 capitals
    (a single letter is more often a share class: "10 A shares"), not a common abbreviation ("US", "ETF", "REIT";
    ``lexicon.NOT_TICKERS``) nor a currency ("in USD")."""
    return _TICKER.fullmatch(word) is not None and word not in NOT_TICKERS and word not in CURRENCY_CODES


def _counts(entry: Entry, rules: tuple[tuple[frozenset[str], bool], ...]) -> bool:
    """Whether ``entry`` is a count of what a counted noun names (see ``lexicon.COUNT_KINDS``)."""
    return any(entry.own & keys and (entry.kind is FactKind.COUNT or not count_only) for keys, count_only in rules)


def _whole(value: Decimal) -> bool:
    """A whole number as the data holds it (``2``, not ``1.99`` nor ``1.0``)."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= 0


def _column_total(check: FigureCheck, columns: dict[tuple[int, int], list[Figure] | None]) -> FigureCheck:
    """Ground a Total/Sum row figure that equals the sum of the grounded figures above it in its column.

    The tolerance is half a unit of the total plus half a unit of every addend (each was rounded).
    A column with an ungrounded figure above cannot ground its total. The path is ``sum(column)``. A total under a
    cash row is never the invested value (which leaves the cash out).
    """
    fig = check.figure
    assert fig.table_cell is not None
    above = columns.get(fig.table_cell, [])
    if not fig.total_row:
        if above is not None:
            columns[fig.table_cell] = [*above, fig] if check.grounded else None
        return check
    columns[fig.table_cell] = []  # a new block starts after a total
    if check.grounded and above and "invested" in (check.fact_path or "") and any(
        w.lower() in CASH_WORDS for a in above for w in a.context
    ):
        # "| Cash | $2,500.00 |" then "| Total | $6,985.15 |": a total under a cash row holds the cash, so it is not
        # the invested value (positions only); it may still be the sum of the rows above
        check = FigureCheck(fig, False, None, False)
    if check.grounded or not above or len(above) < 2:
        return check
    if any(a.kind is not fig.kind or (a.currency or fig.currency) != (fig.currency or a.currency) for a in above):
        return check
    total = sum((a.value for a in above), _ZERO)
    # counts are exact: "| Total | 6 |" below 3, 2, 1 and 1 is no sum of them, whatever their units
    tolerance = _ZERO if fig.kind is FigureKind.COUNT else (fig.unit + sum((a.unit for a in above), _ZERO)) / _TWO
    if abs(total - fig.value) <= tolerance:
        return FigureCheck(fig, True, "sum(column)", total == fig.value)
    return check


_BELOW = frozenset({"below", "under", "off", "unter", "sous", "debajo", "sotto", "abaixo"})
_PEAK = frozenset({"peak", "high", "highs", "high-water", "höchststand", "hoch", "sommet", "plus-haut", "máximo",
                   "máximos", "pico", "picco", "massimo"})
_NOW = frozenset({"currently", "now", "still", "aktuell", "derzeit", "noch", "actuellement", "encore", "actualmente",
                  "todavía", "attualmente", "ancora", "atualmente", "ainda", "today", "heute", "jetzt", "momentan",
                  "maintenant", "ahora", "ora", "agora", "hoy", "oggi", "hoje"})


def _below_peak(fig: Figure) -> frozenset[str] | None:
    """A drawdown said as a distance below a peak ("4.54% below your peak", "1.71% off the high"): the current one
    when the clause says now, before or after ("You're currently 4.54% below your peak", "26.0% below its peak right
    now", "today"), else either."""
    tail = [w.lower() for w in fig.tail[:4]]
    if not tail or tail[0] not in _BELOW or not any(w in _PEAK for w in tail[1:]):
        return None
    now = any(w.lower() in _NOW for w in (*fig.clause, *fig.tail)) or fig.period == DAY
    return _CURRENT_DRAWDOWN if now else _DRAWDOWN


def _drawdown_now(fig: Figure) -> frozenset[str] | None:
    """The current drawdown for a figure said as now right after a drawdown's ("maximum drawdown -5.0% (now -4.9%)",
    "maximaler Drawdown -5,0 % (derzeit -4,9 %)", "最大回撤 -5.0%(当前 -4.9%)"): its clause, cut by the drawdown's
    number, has only a word of now, and the words before that number name a drawdown."""
    if not (fig.clause_cut and fig.clause and all(w.lower() in _NOW for w in fig.clause)):
        return None
    before = _metric_subject(metric_words(fig.antecedent[-4:]))
    return _CURRENT_DRAWDOWN if before is _DRAWDOWN or before is _MAX_DRAWDOWN else None


def _subject(fig: Figure, index: FactIndex) -> tuple[frozenset[str] | None, str | None, bool]:
    """The metric path words, the name, and whether a change is meant (see the module docstring)."""
    metric = None
    if fig.noun is None:  # a counted noun is the figure's subject (see _NOUN_RULES)
        metric = _metric_subject(metric_words((*fig.lead, *fig.context)) if fig.lead else metric_words(fig.context))
        if metric is None and fig.clause and fig.clause != fig.context:
            # the words before a bracket in the clause: "Your one-day VaR (95%) is 1.07%" is the VaR, "VaR 95 % (1 Tag)
            # -0,2 %" too, and "Time-weighted return since 2025-12-15 (deposits and withdrawals excluded): +0.2%" the
            # TWR
            metric = _metric_subject(metric_words(fig.clause))
        if metric is not None and metric in _AMOUNT_METRICS and (
            _gain_named(fig) or fig.kind is not FigureKind.AMOUNT or fig.explicit_sign or _direction(fig) is not None
            or any(w.lower() in _CHANGES for w in fig.context[-3:])
        ):
            # "Gain since purchase (positions with a known cost basis): +$2,430": the gain's; "NVDA's share price fell
            # 5.26%", "Market value change: -$220": a change of the amount, "market value of $3,400 (33.4% ...)" a
            # weight: the amount's name says what changed or what the share is of, not which fact the figure is
            metric = None
        if metric is None:
            metric = _effective_subject(fig)
        if metric is None:
            metric = _below_peak(fig)
        if metric is None:
            metric = _drawdown_now(fig)
    name = next((w for w in reversed(fig.context) if w in index.names), None)
    if name is None and fig.heading and not any(w in index.names for w in (*fig.clause, *fig.tail)):
        # "### NVDA\n- Weight: 33.4%": a heading naming one holding or group is what the lines under it are about
        named = {w for w in fig.heading if w in index.names}
        if len(named) == 1:
            name = named.pop()
    change = (_direction(fig) is not None or (metric is None and _return_named(fig))) and bool(_CHANGES & index.tokens)
    return metric, name, change


#: A holding's amounts named (see lexicon.METRIC_NAMES): a cost, a price, a market value.
_AMOUNT_METRICS = frozenset(_METRICS[name] for name in ("avgcost", "costbasis", "marketvalue", "lastprice"))
#: Words of a gain or a loss measured against a cost or a value ("plus-value sur le prix de revient", "Gewinn ...
#: Einstandswert"): the amount named is what the change is measured from, not the figure's subject.
_GAIN_WORDS = words("""gain gains loss losses profit pnl p&l return returns gewinn gewinne verlust verluste rendite
    plus-value plus-values moins-value moins-values perte pertes gain ganancia ganancias pérdida pérdidas plusvalía
    minusvalía plusvalenza minusvalenza perdita guadagno mais-valia menos-valia lucro perda""")


def _gain_named(fig: Figure) -> bool:
    """Whether the figure's words before it name a gain or a loss (:data:`_GAIN_WORDS`)."""
    return any(w.lower() in _GAIN_WORDS for w in (*fig.lead, *fig.context))


#: Nouns of a return or a gain: a figure they label is a change, never a level that happens to equal it ("YTD return:
#: 20%" is no cash weight of 19.65%).
_RETURN_NOUNS = words("""return returns performance gain gains profit pnl p&l rendite wertentwicklung gewinn rendement
    rentabilité performances rentabilidad rendimiento ganancia rendimento retorno""")


def _return_named(fig: Figure) -> bool:
    """Whether the noun nearest before a percent or an amount (in its clause, past copulas and words of time) is one
    of a return (:data:`_RETURN_NOUNS`): "YTD return: 20%", "Year-to-date return is +20%", "Rendite seit
    Jahresbeginn: 20 %". Not when another subject noun, a weight's word or a name is nearer ("Return drivers: NVDA at
    17.68%"), nor for a share of the portfolio (``_weight_only``)."""
    if fig.kind not in (FigureKind.PERCENT, FigureKind.AMOUNT) or fig.noun is not None or not fig.context:
        return False
    said = metric_words((*fig.lead, *fig.context))  # the words before a period phrase are its lead
    for k, word in enumerate(reversed(said)):
        if k >= 8:
            return False
        if word in _RETURN_NOUNS:
            return not _weight_only(fig)
        if word not in _LABEL_WORDS:
            return False
    return False


#: Words of a period's label that may stand between a return noun and its figure ("Year-to-date return", "return since
#: inception", "Rendite seit Jahresbeginn"), hyphenated words split (see ``metric_words``).
_LABEL_WORDS = words("""ytd to date since inception start beginning the of seit jahresbeginn depuis début de du le la
    l année desde inicio del el año""") | COPULAS | TIME_WORDS | TIME_NOUNS | TIME_DETERMINERS


#: Nouns of a gap between returns that say no side: the gap's magnitude ("a gap of 7.11 points").
_NEUTRAL_GAPS = frozenset({"gap", "difference", "spread", "abstand", "differenz", "unterschied", "écart",
                           "différence", "brecha", "diferencia"})


def _compares(fig: Figure) -> bool:
    """Whether a figure's words compare it with something ("lagged SPY by", "more than the S&P 500", "ahead of",
    "relative to", "excess"): then it may cite an excess return (see :data:`_EXCESS_KEYS`). A figure with no words
    read (a bare number; Chinese words, which extraction does not read as words) may."""
    said = (*fig.context, *fig.clause, *fig.tail, *fig.lead)
    return not said or any(w.lower() in _COMPARING for w in said)


def _effective_subject(fig: Figure) -> frozenset[str] | None:
    """The path words of the effective count that a figure's words name ("Your effective number of sectors is 3.9":
    ``effective_sector_count``, not the effective number of positions): "effective" and, within three words after it,
    a counted noun (``lexicon.COUNT_KINDS``); see :func:`_has_metric`."""
    said = [w.lower() for w in fig.context]
    for i, word in enumerate(said):
        if word not in EFFECTIVE_WORDS:
            continue
        for noun in said[i + 1 : i + 4]:
            kind = COUNT_NOUNS.get(noun)
            if kind is not None:
                return frozenset(f"effective_{key}" for keys, _ in COUNT_KINDS[kind[0]] for key in keys)
    return None


def _has_metric(tokens: frozenset[str], metric: frozenset[str]) -> bool:
    """Whether a fact's path words name the metric: one of its words, or all parts of one written with "_"
    (``max_drawdown``: max and drawdown, so "Max drawdown" is never ``risk.current_drawdown``)."""
    if tokens & metric:
        return True
    return any("_" in m and tokens.issuperset(m.split("_")) for m in metric)


#: Path words of the changes since cost: what a figure "since you bought it" may cite though they span no period.
_COST_CHANGES = words("unrealized unrealised pnl")


def _period_fits(period: str, entry: Entry) -> bool:
    """Whether a fact may be cited for a figure of ``period`` (``Figure.period``, or a span of
    :func:`_with_spans`): a fact of that period, or of none that is no change over a span of its own (a drawdown,
    an unrealised return); since the purchase (``lexicon.SINCE_COST``) the unrealised return is one."""
    if entry.period == period:
        return True
    if entry.period is not None:
        return False
    if entry.tokens & _SPAN_CHANGES:
        return period == SINCE_COST and bool(entry.tokens & _COST_CHANGES)
    return True


_HEDGES = HEDGE_APPROX | HEDGE_AT_LEAST | HEDGE_AT_MOST
#: Words after "behind"/"ahead" that name what a return is compared with.
_GAP_OTHERS = frozenset({"benchmark", "index", "s&p", "market", "benchmarks", "vergleichsindex"})


def _gap(fig: Figure) -> int | None:
    """For a figure that is the gap between two returns by its words, the sign of the excess return it may only cite:
    after "by" in a clause comparing ("trailing the S&P 500 by 2.2 percentage points", "behind the S&P 500 by", "trailed
    the S&P 500's 16.4% gain by"; ``lexicon.GAP_NEGATIVE``, ``GAP_POSITIVE``), after a noun of comparison and "of"
    ("an underperformance of 0.77 points"), or before "behind"/"hinter"/"ahead" ("3,23 Prozentpunkte hinter der
    Benchmark"); ``None`` for any other figure."""
    if fig.kind is not FigureKind.PERCENT or fig.noun is not None:
        return None
    said = [w.lower() for w in fig.context]
    while said and said[-1] in _HEDGES:
        said.pop()
    if said and said[-1] in BY_WORDS:
        clause = [w.lower() for w in (*(fig.antecedent if fig.clause_cut else ()), *fig.clause)]
        for word in reversed(clause):
            if word in GAP_NEGATIVE:
                return -1
            if word in GAP_POSITIVE:
                return 1
        after = fig.tail[0].lower() if fig.tail else ""  # a German participle: "um 6,48 Prozentpunkte übertroffen"
        return -1 if after in GAP_NEGATIVE else 1 if after in GAP_POSITIVE else None
    if len(said) >= 2 and said[-1] in OF_WORDS and said[-2] in GAP_NOUNS:
        return -1 if said[-2] in GAP_NEGATIVE else 1
    if len(said) >= 2 and said[-1] in OF_WORDS and said[-2] in _NEUTRAL_GAPS:
        return 0  # "a gap of 7.11 points", "ein Abstand von", "un écart de": an excess of either sign
    tail = [w.lower() for w in fig.tail[:5]]
    if len(tail) > 1 and tail[0] in GAP_AFTER_LINKS and tail[1] in GAP_AFTER_NEGATIVE | GAP_AFTER_POSITIVE:
        tail = tail[1:]  # "8,07 points de mieux", "3,12 puntos por detrás del SPY"
    if tail and tail[0] in GAP_AFTER_NEGATIVE | GAP_AFTER_POSITIVE and (
        fig.points or any(w in _GAP_OTHERS for w in tail[1:])
    ):  # "2.2 points behind", "2.2% behind the benchmark" (not "8% behind its peak")
        return -1 if tail[0] in GAP_AFTER_NEGATIVE else 1
    return None


def _direction(fig: Figure) -> int | None:
    """The sign the figure's words give it: its direction word, else a comparison with "by" ("underperforming the S&P
    500 by 0.19 points": the number between cuts the figure's direction off), else a loss phrase before it ("gave back
    2.84%", ``lexicon.LOSS_PHRASES``; "cost you $192.05 today" with a period, ``lexicon.LOSS_PERIOD_PHRASES``)."""
    if fig.direction is not None or fig.explicit_sign:
        return fig.direction
    said = tuple(w.lower() for w in fig.context)
    if said and said[-1] in BY_WORDS:
        clause = {w.lower() for w in fig.clause}
        if clause & COMPARED_NEGATIVE:
            return -1
        if clause & COMPARED_POSITIVE:
            return 1
    if said[-2:] in LOSS_PHRASES:
        return -1
    if said and said[-1] in _CONTRIBUTION_VERBS:
        # "NVDA contributed 5.17 points of the basket's decline": a share of a fall is a negative contribution
        tail = [w.lower() for w in fig.tail[:6]]
        if "of" in tail[:2]:
            if any(w in NEGATIVE_NOUNS for w in tail):
                return -1
            if any(w in POSITIVE_NOUNS for w in tail):
                return 1
    k = len(said)
    while k > 0 and said[k - 1] in _RANK_LINKS:
        k -= 1
    if k > 0 and said[k - 1] in _RANK_NOUNS:
        return _RANK_NOUNS[said[k - 1]]  # "BNTX is your biggest loser in dollars: $8,378.95": a loss
    if (fig.period is not None or fig.kind is FigureKind.PERCENT) and any(
        said[-len(p) :] == p for p in LOSS_PERIOD_PHRASES
    ):  # "cost you $192.05 today", "Currency moves cost you 4.66%" (a cost in percent is a loss, not a price paid)
        return -1
    return None


#: Nouns of a holding ranked by its move, right before its figure (maybe after "in dollars", "in percent"), and the
#: sign they give it: "BNTX is your biggest loser in dollars: $8,378.95", "Top gainer: +3.1%".
_RANK_NOUNS = {**dict.fromkeys(("loser", "losers", "decliner", "decliners", "faller", "fallers"), -1),
               **dict.fromkeys(("winner", "winners", "gainer", "gainers", "riser", "risers"), 1)}
_RANK_LINKS = frozenset({"in", "dollars", "euros", "pounds", "yen", "francs", "terms", "absolute", "money",
                         "percent", "percentage", "relative", "for", "the", "over", "so", "far", "to", "date",
                         "ytd"}) | TIME_WORDS | TIME_DETERMINERS | TIME_NOUNS  # (or a period: "loser today: $2,195.59")
#: Verbs of a part of a change: the figure after them takes the sign of the change its tail names ("contributed 5.17
#: points of the basket's decline").
_CONTRIBUTION_VERBS = frozenset({"contributed", "contributes", "contribute", "contributing"})
#: Verbs of a return: a share's clause with one of them is about a change ("made up" is a share, see _weight_only).
_RETURN_VERBS = PERFORMANCE_VERBS - {"made"}
_SHARE_OF = frozenset({"of", "in", "am", "an", "de", "du"})


def _weight_only(fig: Figure) -> bool:
    """Whether a percent is a share of the portfolio by its words, and so may cite only a weight
    (``lexicon.WEIGHT_KEYS``): a share noun or verb in its clause ("Its weight is 17.41%", "Amazon makes up",
    "accounts for", "represents", "pèse", "representa", "macht 17,41 % ... aus", "share of the portfolio"), or a whole
    after it ("17.41% of your portfolio", "17,41 % Ihres Depots", "de su cartera"). Not with a word of change in the
    clause ("Amazon's weight rose 2%", "17% of the portfolio's return"): that is read as before."""
    if fig.kind is not FigureKind.PERCENT or fig.noun is not None or fig.points or _direction(fig) is not None:
        return False
    said = [w.lower() for w in (*fig.context, *fig.clause)]
    tail = [w.lower() for w in fig.tail]
    # a clause cut by a number is that number's ("Today's loss of $321.40 represents 0.61% of the portfolio")
    before = [w.lower() for w in fig.antecedent] if fig.clause_cut else []
    if any(w in WEIGHT_CHANGE_WORDS or w in _RETURN_VERBS for w in (*before, *said, *tail)):
        return False
    for i, word in enumerate(said):
        if word in WEIGHT_NOUNS or word in WEIGHT_VERBS:
            return True
        after = said[i + 1] if i + 1 < len(said) else None
        if WEIGHT_PARTICLES.get(word) == after and after is not None:
            return True
        if word == "share" and after in _SHARE_OF:
            return True
    if "aus" in tail and any(w in WEIGHT_AUS_VERBS for w in said):
        return True
    heading = [w.lower() for w in fig.heading]
    if any(w in WEIGHT_NOUNS for w in heading) and not any(
        w in WEIGHT_CHANGE_WORDS or w in _RETURN_VERBS for w in heading
    ):
        return True  # "### Allocation\n* Amazon – 17.4%": the heading says what the list's figures are
    if bool(tail) and tail[0] in WEIGHT_TAIL_LINKS and any(w in WEIGHT_WHOLES for w in tail[1:4]):
        return True
    # a figure right after a share that names its whole ("about a third of your invested capital (33%)"): that share
    own = [w.lower() for w in fig.context]
    return len(own) >= 2 and own[-1] in WEIGHT_WHOLES and any(w in WEIGHT_TAIL_LINKS for w in own[-4:-1])


def _group_holdings(fig: Figure, index: FactIndex) -> str | None:
    """The name (not in capitals: a sector, a basket) of the facts that a word right before a plural noun of holdings
    in a share's clause names, in any case ("your tech holdings", "your Energy stocks"): the name itself, a sector word
    (``lexicon.SECTOR_WORDS``), or the start of one word of exactly one name ("tech": Information Technology). The
    facts know no holding's sector, so such a share may cite only that name's own facts."""
    clause = fig.clause
    folded = {n.casefold(): n for n in index.names if not n.isupper()}
    if not folded:
        return None
    for k in range(len(clause) - 1):
        kind = COUNT_NOUNS.get(clause[k + 1].lower())
        word = clause[k]
        if kind is None or kind[0] not in _RANKED_KINDS or not kind[1] or not word.isalpha():
            continue
        found = folded.get(word.casefold()) or _sector_word(word, folded)
        if found is None and len(word) >= _MIN_PREFIX and word.lower() not in SELECTION_WORDS:
            start = word.casefold()
            matches = [n for key, n in folded.items() if any(part.startswith(start) for part in key.split())]
            found = matches[0] if len(matches) == 1 else None
        if found is not None:
            return found
    return None


def _day_period(fig: Figure) -> str | None:
    """``1d`` for a figure with no period of its own whose clause has an adjective of the day
    (``lexicon.DAY_ADJECTIVES``: "The biggest daily loss in your portfolio was -2.84%", "Daily moves ranged from
    -2.84%"; for a clause cut by the number before, that number's words: "from -2.84% to +3.11%"), read only when no
    metric is its subject ("daily volatility" is the volatility), nor before a counted noun ("over the last 4 daily
    returns" counts observations): it is the day's figure, never a drawdown nor another period's."""
    said = [w.lower() for w in ((*fig.antecedent, *fig.clause) if fig.clause_cut else fig.clause)]
    return "1d" if any(
        # not "4 daily returns", "4 rendements quotidiens", "4 rendimientos diarios": a count of observations
        w in DAY_ADJECTIVES and not (k + 1 < len(said) and said[k + 1] in COUNT_NOUNS)
        and not (k and said[k - 1] in COUNT_NOUNS)
        for k, w in enumerate(said)
    ) else None


def _basis(fig: Figure) -> bool | None:
    """The basis of a share by its words: ``True`` for the invested value ("of your invested capital", ``lexicon.
    INVESTED_WORDS``: only an ``invested_weight``), ``False`` for the total with the cash ("of your total portfolio
    including cash", "cash included", "inkl. Bargeld": never an ``invested_weight``), ``None`` when they say
    neither; a word of the total ("of your total portfolio") is the total's."""
    said = [w.lower() for w in (*fig.context, *fig.clause, *fig.tail)]
    if any(w in INVESTED_WORDS for w in said):
        return True
    if any(w.lower() in TOTAL_WORDS for w in (*fig.clause, *fig.tail)):
        return False  # "of your total portfolio", "of the total": the total value's share, with the cash
    return False if cash_included(said) else None


def _has_invested_weights(index: FactIndex) -> bool:
    """Whether some fact is a weight of the invested value (``invested_weight``): then the facts tell the two bases
    apart, and a share of the invested value cites only such a weight. Read once per facts."""
    key = ("invested_weights",)
    if key not in index.memo:
        found = any(
            entry.own & INVESTED_KEYS and entry.own & WEIGHT_KEYS
            for group in index.groups(RAW) for entry in group.entries
        )
        index.memo[key] = Decimal(found)
    return bool(index.memo[key])


def _ranked_share(fig: Figure) -> int | None:
    """For a share of some holdings picked by rank ("Your five largest positions make up 72.4%", "your top 5
    holdings"; a word of ``lexicon.SELECTION_WORDS`` or "top" before a plural noun of holdings), how many it names
    (``0`` when no number word says it): it may cite only a fact of the largest holdings (``top5_...``); see
    :func:`_top_fits`. ``None`` for any other share."""
    said = [w.lower() for w in fig.clause]
    for k, word in enumerate(said):
        if word not in SELECTION_WORDS and word != "top":
            continue
        for noun in said[k + 1 : k + 3]:
            kind = COUNT_NOUNS.get(noun)
            if kind is not None and kind[0] in _RANKED_KINDS and kind[1]:
                before = said[k - 1] if k else ""
                return NUMBER_NAMES.get(before, 0)
    return None


#: Counted kinds of holdings that a rank picks some of ("your five largest positions").
_RANKED_KINDS = frozenset({"holdings", "stocks"})


def _top_fits(entry: Entry, n: int) -> bool:
    """Whether a fact is a share of the largest holdings (``lexicon.TOP_KEYS``: ``top5_invested_weight``) of ``n``
    of them (any, for ``0``)."""
    if not entry.tokens & TOP_KEYS:
        return False
    return not n or f"top{n}" in entry.path or f"top_{n}" in entry.path


def _whole_subject(fig: Figure, index: FactIndex, metric: frozenset[str] | None) -> Subject | None:
    """What the figure's clause says it is about as a whole (see :mod:`.subjects`); a benchmark yields to a metric
    ("beta versus SPY of 0.87" is the portfolio's beta)."""
    if fig.noun is not None:
        return None
    whole = subject_of(fig, index)
    if whole is not None and whole.kind is Whole.BENCHMARK and (
        metric is not None or (not whole.comparative and _gap(fig) is not None)
    ):
        # (a gap to the benchmark is what the benchmark is compared with, never its own: "superando al SPY en 10,67
        # puntos", "den SPY um 6,48 Prozentpunkte übertroffen", "del SPY: 8,07 puntos por encima")
        return None
    return whole


def _not_value(fig: Figure, whole: Subject | None) -> str | None:
    """The value an amount may not cite by its clause's words: with "invested" ("investiert", "investi",
    "invertido") or "excluding cash" ("ohne Bargeld", "hors liquidités", "sin efectivo"), the total value (which
    holds the cash); with the portfolio as subject and its worth, value or total, the invested value (which does
    not): "Your portfolio is worth $6,985.15" is not the portfolio's total when the cash makes it $9,485.15."""
    if fig.kind not in (FigureKind.AMOUNT, FigureKind.NUMBER) or fig.total_row:
        return None  # a table's total: the column's rows say what it sums (positions only, or with the cash)
    said = [w.lower() for w in (*fig.clause, *fig.tail)]
    near = [w.lower() for w in (*fig.context, *fig.tail)]  # "Excluding cash, your portfolio is worth ..."
    if any(w in INVESTED_WORDS for w in said) or any(
        near[k] in CASH_NEGATORS and near[k + 1] in CASH_WORDS for k in range(len(near) - 1)
    ):
        return "total_value"
    if cash_included(near):
        return "invested_value"  # "Your total portfolio, including cash, is worth ...": the total, with the cash
    if whole is not None and whole.kind is Whole.PORTFOLIO and any(w in WORTH_WORDS for w in said):
        return "invested_value"
    return None


def _metric_subject(said: tuple[str, ...]) -> frozenset[str] | None:
    """The path words of the metric that ``said`` (a figure's words, nearest last) makes its subject, if any.

    A metric word restricts even when no fact has that metric: the core could not compute it (Sharpe
    "unavailable (INSUFFICIENT_HISTORY)" is a string, not a fact), so a figure for it is ungrounded, never cited to
    an equal beta. It is not the figure's subject when something nearer is: another noun of a fact ("Despite low
    volatility, your time-weighted return is 11.95%"), a change verb with its own subject ("Volatility aside, your
    portfolio returned 11.95%"), or words saying the metric is missing ("Sharpe is unavailable, TWR 11.95%",
    "Sharpe not available, you are up 11.95%", "There is no Sharpe ratio, ..."). Bare "available", "missing" or
    "unknown" say nothing of the metric ("Sharpe ratio on the available history is 0.58")."""
    i = len(said)
    while i > 0:
        i -= 1
        word = said[i]
        if word in NOT_AVAILABLE:
            return None
        if word in NEGATED_AVAILABLE and NEGATIONS.intersection(said[max(0, i - 2) : i]):
            return None  # "not available", "cannot be computed", "nicht verfügbar", "pas disponible"
        tokens = _METRICS.get(word)
        if tokens is not None:
            if i > 0 and said[i - 1] in NO_METRIC:
                return None  # "no Sharpe ratio yet", "kein Sharpe-Ratio"
            return tokens
        if word in MISSING_AFTER or word in _VERBS:
            # "Sharpe ratio is unknown" says the metric is missing, "volatility rose" is the metric's figure;
            # "benchmark unknown", "your portfolio returned" are about something else
            j = i - 1
            while j >= 0 and said[j] in COPULAS:
                j -= 1
            tokens = _METRICS.get(said[j]) if j >= 0 else None
            if word in _VERBS:
                return tokens
            if tokens is not None:
                return None
        elif (word in SUBJECT_NOUNS or _SPELLED.get(word) in SUBJECT_NOUNS) and not _of_metric(said, i):
            return None
    return None


def _of_metric(said: tuple[str, ...], i: int) -> bool:
    """Whether the noun ``said[i]`` is a metric's: "Sharpe ratio value", "standard deviation of (daily) returns"."""
    j = i - 1
    for k in range(i - 1, max(-1, i - 4), -1):  # "of", "of daily", "of your daily"
        if said[k] in OF_WORDS:
            j = k - 1
            break
    while j >= 0 and said[j] in COPULAS:
        j -= 1
    return j >= 0 and said[j] in _METRICS


def _wanted_sign(fig: Figure) -> tuple[int, ...] | None:
    """The fact signs the wording allows; ``None`` for either."""
    gap = _gap(fig)
    if gap is not None:
        return (gap,) if gap else None
    direction = _direction(fig)
    if direction is not None:
        return (direction,)
    if fig.explicit_sign:
        return (-1,) if fig.value < 0 else (1,)
    if fig.loss_context:
        return None
    return (1,)

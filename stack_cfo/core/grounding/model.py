"""The data the grounding check works with: figures found in text, facts they may match.

Pure frozen dataclasses and enums; no behaviour beyond small derived properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class FigureKind(Enum):
    """What a figure in text claims to be."""

    AMOUNT = "AMOUNT"
    """Money, or a scaled quantity (``$1,250.00``, ``EUR 3.4M``, ``1.2 bn``)."""
    PERCENT = "PERCENT"
    """A percentage or percentage-point figure; ``value`` is the percent number (``12.5`` for 12.5 %)."""
    RATIO = "RATIO"
    """``1.5x``, or a number labelled as a ratio (Sharpe, Sortino, Calmar, beta, P/E...)."""
    COUNT = "COUNT"
    """A number with a counted unit (``12 positions``, ``63 trading days``, ``10 shares``)."""
    NUMBER = "NUMBER"
    """Any other number (bare decimals, table cells without a unit in the column header)."""


class FactKind(Enum):
    """What a fact's value means, which decides the forms a figure may take to match it."""

    AMOUNT = "AMOUNT"
    """Money (matched by AMOUNT and NUMBER figures, in the fact's currency when it has one)."""
    PERCENT = "PERCENT"
    """Already in percent points (``6.8`` means 6.8 %)."""
    FRACTION = "FRACTION"
    """A share or return as a fraction (``0.068``); matched by percent figures as ``6.8 %``."""
    RATIO = "RATIO"
    """Sharpe, beta and the like."""
    COUNT = "COUNT"
    """How many of something."""
    NUMBER = "NUMBER"
    """Anything else (quantities, scores); matched by most figure kinds at face value."""


class Hedge(Enum):
    """The qualifier in front of a figure, which widens or bends its tolerance."""

    NONE = "NONE"
    APPROX = "APPROX"
    """``about``, ``roughly``, ``~``: round integers keep only their significant digits."""
    AT_LEAST = "AT_LEAST"
    """``over``, ``more than``, ``at least``: the fact lies from the value up to two units above it."""
    AT_MOST = "AT_MOST"
    """``under``, ``less than``, ``up to``: the fact lies from two units below up to the value."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure found in a text.

    ``value`` is signed and scaled as written (``-$1.2k`` is ``-1200``); ``direction`` is the sign
    of a direction word next to it (``fell 3%`` has value ``3`` and direction ``-1``). Offsets are
    half-open, in Unicode code points (``start``/``end``, Python string indices) and in UTF-16 code
    units (``start_utf16``/``end_utf16``, what JavaScript, Swift and Kotlin strings count).
    """

    raw: str
    """The figure as written (sign, currency, number, suffix, unit; not the direction word)."""
    value: Decimal
    """Signed, scaled value; for percents the percent number (``12.5`` for ``12.5%``)."""
    kind: FigureKind
    currency: str | None
    """ISO-like code when a symbol or code is shown (``$`` is ``USD``, ``€`` is ``EUR``)."""
    decimals: int
    """Digits shown after the decimal separator (``1.20k`` shows 2)."""
    unit: Decimal
    """The value of one step in the last shown digit, scaled (``$31k``: 1000; ``6.8%``: 0.1)."""
    direction: int | None
    """``-1`` for fell/dropped/lost/down..., ``+1`` for rose/gained/up..., else ``None``."""
    start: int
    end: int
    start_utf16: int
    end_utf16: int
    hedge: Hedge = Hedge.NONE
    explicit_sign: bool = False
    """A ``+``/``-`` (or accounting parentheses) is shown."""
    loss_context: bool = False
    """Labelled as a loss-type magnitude (drawdown, VaR, loss): either sign of a fact matches."""
    points: bool = False
    """Written as percentage points (``pp``) or basis points."""
    noun: str | None = None
    """The counted noun of a COUNT figure, lowercase (``positions``, ``days``)."""
    part_of: int | None = None
    """For ``3`` of "3 of your 5 positions" (a COUNT of the whole's noun, written as the number alone): the
    ``start`` of the COUNT figure of the whole it is part of (``5 positions``). See ``matching.check_figures``."""
    qualifier: tuple[str, ...] = ()
    """For a COUNT figure, the words between the number and its noun, as written: ``("Health", "Care")`` of "3
    Health Care positions", ``("other",)`` of "4 other positions", ``("AAPL",)`` of "10 AAPL shares"; a word of
    ``lexicon.OTHER_AFTER_WORDS`` right after the noun is added last (``("más",)`` of "4 posiciones más"); a word
    for "sector" is left out (``("Energy",)`` of "2 Energy sector positions"). For an ``elided`` count, the name
    after its link word (``("Technology",)`` of "2 in Technology")."""
    of_name: tuple[str, ...] = ()
    """For a COUNT figure, the capitalised words of a name right after its noun and "of"/"in" (``("MSFT",)`` of
    "12 shares of MSFT", ``("Health", "Care")`` of "2 positions in Health Care"); none before a list ("in
    Technology, Energy and ...")."""
    elided: bool = False
    """For a COUNT figure written as the number alone, its noun left out after a name ("2 in Technology and 1 in
    Energy", the ``12`` of "10 shares of AAPL, 12 of MSFT"): ``noun`` is the noun of the count before it in its
    sentence, or positions (see ``implied``); the name is its ``qualifier``. See ``matching._best_count``."""
    implied: bool = False
    """For an ``elided`` count, no count before it in its sentence gave the noun: positions is assumed."""
    breakdown: bool = False
    """For an ``implied`` count, it states its name's whole count: one of a list of counts per name with nothing said
    of them after it ("3 in Technology and 1 in Energy", "3 in Technology, 1 in Energy"), or one after a verb of
    holding ("You hold 1 in Energy"); not a part ("1 in Technology is up"). Checked exactly (see
    ``matching._best_count``)."""
    table_cell: tuple[int, int] | None = None
    """``(table start offset, column index)`` for a figure in a markdown table body."""
    total_row: bool = False
    """The figure is in a table row labelled Total or Sum (checked as the sum of the column above)."""
    context: tuple[str, ...] = ()
    """Words naming what the figure is about, nearest last: the table column header and row label,
    then up to six words back to the previous number or clause break (``("NVDA", "is")``)."""
    clause: tuple[str, ...] = ()
    """The words of the figure's clause before it, as written, nearest last: back to a punctuation mark, another
    number or a clause joiner (``lexicon.CLAUSE_JOINERS``: "while", "and", "und"...), at most eight ("Your", "total",
    "portfolio", "value", "is" of "Your total portfolio value is $2,500"); in a table cell its context. Read for what
    the figure is about as a whole (see :mod:`.subjects`)."""
    clause_cut: bool = False
    """The clause before the figure starts right after another number: the words are that number's ("of the
    portfolio" in "6.0% of the portfolio ($1,871.40)")."""
    aside: tuple[str, ...] = ()
    """The words of asides in brackets within the figure's clause, which :attr:`clause` leaves out: read for its
    subject only when the rest of the clause names none ("Your largest holding (NVDA) fell 2.64%", but "NVDA (ahead of
    MSFT) fell 2.64%" is NVDA's)."""
    tail: tuple[str, ...] = ()
    """The words after the figure in its clause, as written, up to six, to the same ends as :attr:`clause` ("in",
    "cash" of "You hold $1,977.90 in cash"); none in a table cell."""
    lead: tuple[str, ...] = ()
    """Up to six words of the clause before :attr:`context` (none in a table cell), read only for the metric the
    figure is about: ``("Your", "Sharpe", "ratio")`` of "Your Sharpe ratio, with missing days left out, is 0.58"."""
    respective: tuple[int, int, tuple[str, ...]] | None = None
    """For one of ``n`` figures followed by "respectively" (beziehungsweise, respectivement, respectivamente) in
    their sentence: ``(k, n, words)``, the figure being the ``k``-th and ``words`` those of the sentence before the
    first figure ("NVDA and MSFT fell 2.64% and 2.84% respectively": the first is NVDA's, the second MSFT's; see
    :mod:`.subjects`)."""
    antecedent: tuple[str, ...] = ()
    """The words of the figure's sentence before its clause, as written: when the clause names nothing, the nearest
    thing they name is its subject ("Apple, meanwhile, fell 2.84%", "The weakest was Apple, down 2.84%"), and what a
    pronoun in it stands for ("NVDA fell 2.64% today, and it now makes up 31.2%": NVDA's weight; see
    :mod:`.subjects`)."""
    previous: tuple[tuple[str, ...], ...] = ()
    """With :attr:`antecedent`, the first words of up to three sentences before the figure's, nearest first: when
    the antecedent names nothing, the subject of the sentence before ("NVDA fell 2.64% today. It now makes up
    31.2%"), or of the one before it when that one's own subject is a pronoun too ("It is your largest holding.")."""
    bracket: tuple[str, ...] = ()
    """The words of a bracket right after the figure, with no digit in it (``("Amazon",)`` of "-2.84% (Amazon)"):
    when they name one holding or company, the figure is that one's, whatever its clause names (see
    :mod:`.subjects`); the bracket is no aside of the figure after it ("from -2.84% (Amazon) to +3.11%")."""
    heading: tuple[str, ...] = ()
    """For a figure on a list item under a heading (a markdown heading "### Allocation", a bold line "**Weights**" or
    a line "Allocation:", the list right after it), the heading's words: they qualify the figure as its clause's do
    (a share noun makes it a weight, a word of time gives it its period; see ``matching._weight_only``)."""
    countered: bool = False
    """The figure is set against another figure of its kind right after it ("Tech -3.2% this week vs SPY +1.0%", "up
    3% compared with SPY's 1%"): its comparison states the other side, so the figure is its subject's own, no gap
    between the two (see ``matching._countered``)."""
    period: str | None = None
    """The period a word of time in its sentence gives the figure (``1d`` for today/today's/heute/aujourd'hui/hoy, "the
    day's", "on the day"; ``1w`` for this week, ``1m`` for this month, ``ytd`` for this year / year to date): the
    nearest after it in its clause (across a list or range of figures: "between -2.84% and +0.87% today"), else the
    nearest before it in its sentence, else that of its list's heading (:attr:`heading`); in a table cell, the period
    its column header or row label names (``Layout.period``); from ``matching.check``, also a span no fact covers ("the
    past 12 months") or the time since the purchase (the unrealised return). A figure with one only matches facts of
    that period or of none that is no change over a span of its own (never a drawdown; see ``matching._best``)."""

    @property
    def magnitude(self) -> Decimal:
        return abs(self.value)


@dataclass(frozen=True, slots=True)
class Fact:
    """A number the text may cite: a value from a data snapshot, the user's message or a source article."""

    value: Decimal
    kind: FactKind
    currency: str | None = None
    """ISO-like code for money; ``None`` matches figures in any currency."""
    unit: Decimal | None = None
    """The precision the fact was shown with, when it came from text (``$30k``: 1000); ``None`` is exact."""

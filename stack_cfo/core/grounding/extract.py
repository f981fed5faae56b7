"""``extract_figures``: every figure in a text, with its kind, value, precision and offsets.

The scanner finds digit runs with one precompiled pattern, then reads a bounded window on each
side (the sign, currency and up to five words on the left; suffix, currency, unit and up to four
words on the right) with anchored patterns and dictionary look-ups, so the cost is linear in the
text. The grammar and exclusions are listed in the package docstring (:mod:`stack_cfo.core.grounding`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from stack_cfo.core.grounding import companies
from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.layout import Column, ColumnKind, Layout
from stack_cfo.core.grounding.model import Figure, FigureKind, Hedge
from stack_cfo.core.grounding.normalize import Utf16Offsets, normalize
from stack_cfo.core.grounding.subjects import carries_noun
from stack_cfo.core.grounding.wording import AFTER_WORDS, count_at_least, near_words, qualifiers

_MAX_DIGITS = 24  # longer digit runs are identifiers or noise, and would overflow Decimal contexts
#: "up"/"down" after a figure sign it as the words of a rise or a fall do ("2.12% down this week", "3% up on the
#: day"), unless a word after them makes them part of a level or of something else ("from 17.68% down to 10%", "a 20%
#: down payment").
_UP_DOWN = {"down": "lower", "up": "higher"}
_UP_DOWN_NOT_AFTER = frozenset({"to", "from", "payment", "payments", "front", "until", "through", "the", "a", "an"})
_RED_BLACK = {"red": "lower", "black": "higher"}
_CONFIDENCE_LEVELS = frozenset(Decimal(x) for x in ("90", "95", "97.5", "99", "99.5", "99.9"))
_ONE = Decimal(1)


def extract_figures(text: str, *, ignore: Collection[str] = ()) -> list[Figure]:
    """Every figure in ``text``, in order. Never raises for any ``str``.

    ``ignore`` holds tokens that are names, not figures, even though they contain digits (ticker
    symbols such as ``3M``); a token glued together from digits and letters equal to one is skipped, and so is a
    bare whole number (no currency, percent, decimals, sign, magnitude or counted noun) equal to one (a Tokyo code
    such as ``8035``), unless a word that states a value stands right before it ("is 8306", "at 8306":
    ``lexicon.VALUE_BEFORE``).
    """
    return extract_with_times(text, ignore=ignore).figures


class Extraction(NamedTuple):
    """What :func:`extract_with_times` read: the figures, and what ``matching`` reads the text for again."""

    figures: list[Figure]
    norm: str
    """The normalised text (:func:`.normalize.normalize`); empty when there are no figures."""
    low: str
    """``norm.lower()``."""
    times: tuple[tuple[int, int], ...]
    """The spans of the words of time (``lexicon.PERIOD_PHRASES``) in ``norm``, in order: those that give figures
    their ``period`` (found on ``low`` with the lowercase pattern when lowering keeps the length, else on ``norm``)."""


def extract_with_times(text: str, *, ignore: Collection[str] = (), grouped: bool = False) -> Extraction:
    """:func:`extract_figures`, with the normalised text and the words of time found on the way, so that
    ``matching`` does not normalise the text nor search it for them again. Never raises for any ``str``.
    ``grouped``: read "5.000" and "5 000 $" as grouped thousands whatever the text's words (a short message
    says too little of its language: see :func:`~.facts.facts_from_text`)."""
    if not isinstance(text, str) or not text:
        return Extraction([], "", "", ())  # a new list each time: callers may change it
    norm = normalize(text)
    if lx.HAS_DIGIT.search(norm) is None and lx.NUMBER_WORD.search(norm) is None:
        return Extraction([], "", "", ())  # a new list each time: callers may change it
    scanner = _Scanner(text, norm, frozenset(ignore))
    if grouped:
        scanner.dots = scanner.spaces = True
    figures = scanner.run()
    if not figures:
        return Extraction([], "", "", ())  # a new list each time: callers may change it
    low = norm.lower()
    said = low if len(low) == len(norm) else norm
    found = lx.PERIOD_PHRASES_LOWER.finditer(said) if said is low else lx.PERIOD_PHRASES.finditer(norm)
    times = [(m.start(), m.end(), _weekday_role(said, m.start(), m.group().lower())) for m in found]
    figures = _with_periods(norm, _with_headings(norm, figures), times)
    figures = _with_parts(_with_respective(norm, _with_antecedents(norm, figures)))
    return Extraction(figures, norm, low, tuple((start, end) for start, end, _ in times))


def _with_headings(norm: str, figures: list[Figure]) -> list[Figure]:
    """The figures on list items right under a heading (a markdown heading, a bold line, a short line ending with a
    colon; blank lines between them allowed), with its words (``Figure.heading``): "### Allocation\n* Amazon – 17.4%"
    says 17.4% is Amazon's weight. Read once, line by line."""
    if "\n" not in norm:
        return figures
    spans: list[tuple[int, int, tuple[str, ...]]] = []  # list lines under a heading: start, end, heading words
    heading: tuple[str, ...] = ()
    pos = 0
    n = len(norm)
    while pos <= n:
        end = norm.find("\n", pos)
        end = n if end < 0 else end
        if _LIST_ITEM.match(norm, pos, end) is not None:
            if heading:
                spans.append((pos, end, heading))
        elif (m := _HEADING.fullmatch(norm, pos, end)) is not None:
            text = m.group("h") or m.group("b") or m.group("c") or ""
            heading = tuple(lx.CONTEXT_WORD.findall(text))[:_CLAUSE_WORDS]
        elif norm[pos:end].strip():
            heading = ()  # a paragraph ends the list under a heading
        pos = end + 1
    if not spans:
        return figures
    starts = [a for a, _, _ in spans]
    out: list[Figure] = []
    for fig in figures:
        k = bisect_right(starts, fig.start) - 1
        if fig.table_cell is None and k >= 0 and fig.start < spans[k][1]:
            fig = replace(fig, heading=spans[k][2])
        out.append(fig)
    return out


def _with_parts(figures: list[Figure]) -> list[Figure]:
    """The parts of a whole count ("3" of "3 of your 9 positions are in Information Technology") and their wholes,
    with the name the sentence gives the part: the whole is the portfolio's (its ``of_name`` dropped), the part that
    name's count (its ``of_name``, no longer ``part_of``: "Tech accounts for 4 of your 9 positions", "4 of your 9
    positions are tech stocks", "4 Ihrer 9 Positionen gehören zum Technologiesektor" say Technology holds 4)."""
    at = {fig.start: k for k, fig in enumerate(figures)}
    out = list(figures)
    for k, fig in enumerate(figures):
        w = at.get(fig.part_of) if fig.part_of is not None else None
        if w is None:
            continue
        whole = figures[w]
        name = whole.of_name or _sector_in(whole.tail) or _sector_in(fig.clause)
        if name:
            out[k] = replace(fig, of_name=name, part_of=None)
            out[w] = replace(whole, of_name=())
    return out


def _sector_in(words: tuple[str, ...]) -> tuple[str, ...]:
    """The one sector word among ``words`` ("tech" of "are tech stocks", "Technologiesektor"), as a name."""
    found = [w for w in words if lx.sector_word(w) is not None or w.lower() in _SECTOR_NAMES]
    return (found[0],) if len(found) == 1 else ()


def _with_respective(norm: str, figures: list[Figure]) -> list[Figure]:
    """The figures before "respectively" in their sentence, when there are several, with their rank among them and
    the words of the sentence before the first (``Figure.respective``), and the first's direction when they have
    none of their own."""
    marks = [m.start() for m in lx.RESPECTIVELY.finditer(norm)]
    if not marks:
        return figures
    ends = sentence_ends(norm)
    out = list(figures)
    for mark in marks:
        k = bisect_right(ends, mark)
        s0 = ends[k - 1] if k else 0
        group = [i for i, fig in enumerate(figures) if s0 <= fig.start and fig.end <= mark and fig.table_cell is None]
        kind = figures[group[-1]].kind if group else None
        while group and figures[group[0]].kind is not kind:  # "Your 2 Energy names ... $777 and $640": the amounts
            group.pop(0)
        if len(group) < 2:
            continue
        words = tuple(lx.CONTEXT_WORD.findall(norm, s0, figures[group[0]].start))
        first = figures[group[0]]
        for rank, i in enumerate(group):
            fig = out[i]
            if (rank and fig.direction is None and first.direction is not None and not fig.explicit_sign
                    and fig.kind is first.kind):
                fig = replace(fig, direction=first.direction)  # "fell 2.64% and 2.84% respectively": both fell
            out[i] = replace(fig, respective=(rank, len(group), words))
    return out


def _carries(clause: tuple[str, ...]) -> bool:
    """Whether a clause has a pronoun that may stand for something named before it (``lexicon.CARRY_PRONOUNS``, or
    ``lexicon.CARRY_FIRST`` as its first word, or a noun phrase of ``subjects.CARRY_NOUNS``: "The stock")."""
    return bool(clause) and (
        clause[0].lower() in lx.CARRY_FIRST or any(w.lower() in lx.CARRY_PRONOUNS for w in clause)
        or carries_noun(clause)  # "Look at Mastercard. The stock rose 0.87%"
        or clause[0] in lx.FORMAL_YOUR  # "Ihr Kurs sank": its, after a sentence naming a holding (else your)
    )


def _with_antecedents(norm: str, figures: list[Figure]) -> list[Figure]:
    """The figures (not in a table) with the words of their sentence before their clause (``Figure.antecedent``), and
    those whose clause has a pronoun (``lexicon.CARRY_PRONOUNS``) with those of the sentences before, nearest first,
    empty ones (a paragraph's break) skipped (``Figure.previous``)."""
    ends = sentence_ends(norm)
    starts = [0, *ends]  # sentence k runs from starts[k] to starts[k + 1]
    found = [(m.start(), m.group()) for m in lx.CONTEXT_WORD.finditer(norm)]  # the text's words, read once
    if lx.CJK_CHARS.search(norm) is not None:  # with the Chinese words read as English ones ("最大回撤": maxdrawdown)
        found = sorted([*found, *((m.start(), lx.CJK_WORDS[m.group()]) for m in lx.CJK_WORD.finditer(norm))])
    members = [(m.start(), m.end()) for m in lx.MEMBER_ASIDE.finditer(norm)]
    if members:  # "Consumer Discretionary (Amazon and Tesla) is ... and has lost 33.6%": the sector's, not Tesla's
        found = _outside(found, members)
    at = [start for start, _ in found]

    def words(lo: int, hi: int) -> list[str]:
        return [w for _, w in found[bisect_left(at, lo) : bisect_left(at, hi)]]

    out: list[Figure] = []
    for fig in figures:
        if fig.table_cell is None:
            k = bisect_right(ends, fig.start)  # the figure's sentence
            first = max(bisect_left(at, starts[k]), bisect_left(at, fig.start) - _ANTECEDENT_WORDS - len(fig.clause))
            own = [w for _, w in found[first : bisect_left(at, fig.start)]]
            own = own[: len(own) - len(fig.clause)]
            before: list[tuple[str, ...]] = []
            for s in range(k - 1, -1, -1) if _carries(fig.clause) else ():
                said = words(starts[s], starts[s + 1])
                if said:
                    before.append(tuple(said[:_ANTECEDENT_WORDS]))
                    if len(before) == _ANTECEDENT_SENTENCES:
                        break
            if own or before:
                fig = replace(fig, antecedent=tuple(own[-_ANTECEDENT_WORDS:]), previous=tuple(before))
        out.append(fig)
    return out


def _outside(found: list[tuple[int, str]], spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """The words of ``found`` (start, word; in order) outside the sorted, disjoint ``spans``. Linear."""
    out: list[tuple[int, str]] = []
    k = 0
    for start, word in found:
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        if k < len(spans) and spans[k][0] <= start:
            continue
        out.append((start, word))
    return out


def _with_periods(norm: str, figures: list[Figure], times: list[tuple[int, int, str]]) -> list[Figure]:
    """The figures with the period a word of time in their sentence gives them (``Figure.period``); ``times``: the
    words of time of ``norm`` (``lexicon.PERIOD_PHRASES``: start, end, period), in order."""
    if not times:
        return figures
    ends = sentence_ends(norm)
    out: list[Figure] = []
    k = 0  # sentence index: ends[k - 1] <= fig.start < ends[k]
    for fig in figures:
        while k < len(ends) and ends[k] <= fig.start:
            k += 1
        s0 = ends[k - 1] if k else 0
        s1 = ends[k] if k < len(ends) else len(norm)
        if fig.period is not None:  # a table cell's, from its column header or row label (``Layout.period``)
            out.append(fig)
            continue
        period = _nearest_period(norm, times, fig, s0, s1)
        if period is None and fig.heading:  # "### Today's movers\n* NVDA: -2.84%": the heading's word of time
            said = " ".join(fig.heading).lower()
            found_time = lx.PERIOD_PHRASES_LOWER.search(said)
            period = _period_of(found_time.group()) if found_time is not None else None
        out.append(replace(fig, period=period) if period is not None else fig)
    return out


_NAMED_MONTH = re.compile(r"(?:in|during|im) \w+")  # of PERIOD_PHRASES, only its named months start so
_WEEKDAY = re.compile(r"monday|tuesday|wednesday|thursday|friday|montag|dienstag|mittwoch|donnerstag|freitag"
                      r"|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miércoles|jueves|viernes"
                      r"|luned|marted|mercoled|gioved|venerd|segunda|terça|quarta|quinta|sexta")
#: Words that start a word of time since a weekday ("since last Friday", "seit Freitag", "depuis vendredi", "desde el
#: viernes", "da venerdì", "desde sexta"): the week's, not that day's.
_SINCE = re.compile(r"since|seit|depuis|desde|dal?l?o?\b")
_JANUARY = re.compile(r"january|januar|janvier|enero|gennaio|janeiro")
#: A year named ("in 2026", "em 2026", "im Jahr 2026"): its period is ``YEAR`` and the year, the year to date when it
#: is the facts' (``Facts.year``; see ``matching.check_figures``).
_NAMED_YEAR = re.compile(r".* (20[0-9]{2})")
_BARE_YEAR = re.compile(r"(?:in|during|en|em|nel|durante|im jahr|im jahre) 20[0-9]{2}")
YEAR = "year="
#: Words after a word of the year so far that make it the year before ("desde o começo do ano passado", "dall'inizio
#: dell'anno scorso"): a span no fact covers.
_LAST_YEAR = re.compile(r".*(?:year|jahr|année|año|anno|ano).* (?:passado|pasado|scorso|precedente|anterior|dernier"
                        r"|dernière|passé|passée|précédent|précédente)")  # not "le mois dernier": last month's

#: A weekday's day ("on Friday", "el viernes", "as of Friday's close") and a weekday that ends a span ("through
#: Friday's close", "bis letzten Freitag", "jusqu'à vendredi", "hasta el viernes", "até sexta-feira", "fino a
#: venerdì"): periods of ``_with_periods``'s words of time only, which :func:`_nearest_period` resolves. A weekday
#: never replaces a week, a month or the year so far said before it in the sentence ("This week through Friday's
#: close", "Ce mois-ci, jusqu'à vendredi"): it is the end of that span; else the first is the day's, the second
#: none's (a span whose start is not said), "as of Friday's close" the day's.
_WEEKDAY_DAY = "weekday"
_WEEKDAY_END = "weekday-end"
_WEEKDAY_AS_OF = "weekday-as-of"  # "as of Friday's close": the end of a span said before it, else the day's
#: Words that end a span at the weekday after them; maybe after the span's noun ("the week to Friday's close", "la
#: semaine jusqu'à vendredi").
_SPAN_END_BEFORE = re.compile(
    r"(?:(?<![\w'’])(week|month|year|woche|monat|jahr|semaine|mois|année|semana|mes|mês|año|ano|settimana|mese|anno)"
    r"[ ,]+)?"
    r"(?<![\w'’])(?:through|thru|to|until|till|up to|ending|ended|bis(?: einschließlich| inklusive| zum)?"
    r"|jusqu['’]à|jusqu['’]au|hasta|até(?: a| à| o)?|fino a|fino al|sino a|terminant|terminée?) $",
    re.IGNORECASE,
)
_SPANS = ("1w", "1m", "ytd", "12m", "span")


#: The day's period, and the day before it (which a snapshot's facts cover only when taken before its day's session:
#: ``Facts.yesterday_is_day``).
DAY = "1d"
PRIOR = "prior"


def _period_of(phrase: str) -> str:
    """The period (``1d``, ``1w``, ``1m``, ``ytd``) a word of time found by ``lexicon.PERIOD_PHRASES`` names; the day
    before (``prior``: yesterday, gestern, ayer, ieri, ontem; not French "hier", German for "here") and a month named
    ("in February", ``span``) are none a fact has; a year named is ``YEAR`` and the year ("year=2026": the year to date
    when it is the facts' year); a weekday is the day's ("on Friday", "Friday's close", "el viernes", "am Freitag":
    the session the figures are of), though since one it is the week's ("since last Friday", "seit Freitag"); since
    January the year's."""
    if phrase.removesuffix("'s").removesuffix("’s") in ("yesterday", "gestern", "ayer", "ieri", "ontem") or (
        "previous session" in phrase
    ):
        return PRIOR
    year = _NAMED_YEAR.fullmatch(phrase)
    if year is not None:  # "in 2026"; "since January 2026", "no ano de 2026": the year so far, whatever else is said
        return YEAR + year.group(1) + ("" if _BARE_YEAR.fullmatch(phrase) else "/ytd")
    if _LAST_YEAR.fullmatch(phrase):  # "desde o começo do ano passado": the year before
        return "span"
    if _NAMED_MONTH.fullmatch(phrase):
        return "span"
    if _JANUARY.search(phrase):  # "since January", "seit Januar", "desde enero": the year so far
        return "ytd"
    if _WEEKDAY.search(phrase):  # "since last Friday", "seit Freitag": the week's (a week's return runs from the
        return "1w" if _SINCE.match(phrase) else DAY  # close a week before); "on Friday", "am Freitag": the day's
    days = re.search(r"(?:last|past) ([0-9]+|five|seven|thirty) (?:trading )?days", phrase)
    if days is not None:  # "the last 5 days" is the week's, "the past 30 days" the month's, "the last 12 days" none's
        n = {"five": 5, "seven": 7, "thirty": 30}.get(days.group(1)) or int(days.group(1))
        return "1w" if n in (5, 7) else "1m" if 20 <= n <= 31 else "span"
    if any(w in phrase for w in ("week", "woche", "semaine", "semana", "settimana", "7", "sieben", "seven")):
        return "1w"
    if any(w in phrase for w in ("month", "mtd", "monat", "mois", "mes", "mês")):
        return "1m"
    if any(w in phrase for w in ("year", "ytd", "jahr", "année", "año", "anno", "ano")):
        return "ytd"
    return "1d"


def _weekday_role(said: str, start: int, phrase: str) -> str:
    """The period of the word of time ``phrase`` at ``start`` of the text ``said``, as :func:`_period_of` says, but a
    weekday's day is ``_WEEKDAY_DAY``, ``_WEEKDAY_AS_OF`` ("as of Friday's close"), or ``_WEEKDAY_END`` when it ends
    a span ("through Friday's close"; ``1w``, ``1m``, ``ytd`` when the span's noun is said right before: "the week to
    Friday's close")."""
    period = _period_of(phrase)
    if period != DAY or _WEEKDAY.search(phrase) is None:
        return period
    if phrase.startswith("as of "):
        return _WEEKDAY_AS_OF
    end = _SPAN_END_BEFORE.search(said, max(0, start - 48), start)
    if end is None:
        return _WEEKDAY_DAY
    noun = end.group(1)
    if noun is None:  # "jusqu'à vendredi", "bis letzten Freitag"
        return _WEEKDAY_END
    return _period_of(noun.lower())


def _nearest_period(norm: str, times: list[tuple[int, int, str]], fig: Figure, s0: int, s1: int) -> str | None:
    """The period of the word of time after ``fig`` in its clause, else the nearest before it in its sentence
    ``norm[s0:s1]``. A weekday said after a week, a month or the year so far is the end of that span
    (``_WEEKDAY_DAY``); a year named (``YEAR``) is written with the period the figure has without it after a slash
    ("year=2025/1d" in "Today XIC fell 14.23% in 2025"; "year=2025/ytd" of "since January 2025"), which stands when
    the year is the facts' or theirs is unknown (``matching``)."""
    inside = [t for t in times if s0 <= t[0] and t[1] <= s1]
    period = _resolved(norm, inside, fig)
    if period is None or not period.startswith(YEAR) or "/" in period:
        return period
    other = _resolved(norm, [t for t in inside if not t[2].startswith(YEAR)], fig)
    return f"{period}/{other or ''}"


def _resolved(norm: str, inside: list[tuple[int, int, str]], fig: Figure) -> str | None:
    """:func:`_nearest_period` of the words of time ``inside`` the figure's sentence, without the year's fallback."""
    after = [t for t in inside if t[0] >= fig.end]
    if after and joins_to(norm, fig.end, after[0][0]):
        nearest, own = after[0], True
    else:
        earlier = [t for t in inside if t[1] <= fig.start]
        if not earlier:
            return None
        nearest, own = earlier[-1], False
    period = nearest[2]
    if period not in (_WEEKDAY_DAY, _WEEKDAY_END, _WEEKDAY_AS_OF):
        return period
    if not (own and period == _WEEKDAY_DAY):  # "rose 1.12% on Friday": the day's, whatever came before
        spans = [t[2] for t in inside if t[1] <= nearest[0] and (t[2] in _SPANS or t[2].startswith(YEAR))]
        if spans:  # "This week through Friday's close", "Cette semaine, vendredi,": that span's
            return spans[-1]
    return None if period == _WEEKDAY_END else DAY


def joins_to(norm: str, end: int, start: int) -> bool:
    """Whether the words after a figure ending at ``end`` reach ``start`` (a word of time) within its clause: no
    number and no clause break between them, or only the rest of a list or range of figures ("-2.84% and +0.87%
    today", "2-3% today", "-2.84% (Amazon) to +3.11% (Nvidia) today"; ``_FIGURE_LIST``), which the word qualifies
    whole."""
    gap = norm[end:start]
    if not any(ch in CLAUSE_BREAKS or ch.isdigit() for ch in gap):
        return True
    return len(gap) <= _LIST_SPAN and _FIGURE_LIST.fullmatch(gap) is not None


#: After a number, what makes it a name: a name in brackets ("8035 (Tokyo Electron)"; not "8306 (yen)") or a
#: possessive ("8306's").
_NAMED_AFTER = re.compile(r" ?\((?=[A-Z])|['’]s\b")


class _Number(NamedTuple):
    """The digits of a number: integer digits (grouping dropped), decimal digits, and the power of ten written
    after them ("6.2e3": 3; 0 for none)."""

    int_part: str
    dec_part: str
    plain_int: bool  # an integer written without grouping, exponent or words: can be a year, a list number
    exponent: int = 0
    spelled: bool = False  # written in words ("twenty-five percent")
    dot3: bool = False  # "9.500": one to three digits, a dot and three digits, which a German text means as 9500


class _Lower(NamedTuple):
    """The lower end of a range ("5-10%"), which lends its currency and words to the upper end at ``start``."""

    start: int
    currency: str | None
    direction: int | None = None
    hedge: Hedge = Hedge.NONE
    loss: bool = False
    context: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    clause: tuple[tuple[str, ...], bool, tuple[str, ...]] = ((), False, ())


class _Scanner:
    __slots__ = (
        "depth", "dots", "ignore", "joined", "last_count", "layout", "lower", "n", "norm", "rev", "skip_until",
        "spaces", "text", "utf16",
    )

    def __init__(self, text: str, norm: str, ignore: frozenset[str]) -> None:
        self.text = text
        self.norm = norm
        self.rev = norm[::-1]
        self.n = len(norm)
        self.ignore = ignore
        self.layout = Layout(norm)
        self.utf16 = Utf16Offsets(text)
        self.skip_until = 0
        self.lower: _Lower | None = None
        self.last_count: tuple[int, str, bool] | None = None
        """The end and the noun of the last COUNT figure whose noun a later count may leave out, and whether that
        noun was only implied (``Figure.implied``)."""
        self.dots: bool | None = None
        """Whether the text groups digits with dots ("9.500 USD" is 9500; see :meth:`_dots_group`), once known."""
        self.spaces: bool | None = None
        """Whether the text groups digits with plain spaces ("2 500 $" is 2500; see :meth:`_spaces_group`), once
        known."""
        self.joined = False
        """The last implied count took its noun from the implied count before it: they are one list (see
        :func:`_breakdowns`)."""
        self.depth = 0
        """How many counts deep :meth:`_shared_noun` is reading ahead ("3 Energy and 3 Technology positions")."""

    def run(self) -> list[Figure]:
        # Digits become one sentinel character so that C-speed str.find jumps from number to number;
        # a regex scan for a digit class costs several times more per character of prose.
        marked = self.norm.translate(_MARK_DIGITS)
        find, match = marked.find, lx.NUMBER.match
        out: list[Figure] = []
        lists: list[list[int]] = []  # the indexes in ``out`` of implied counts, one list per list of them
        # Numbers in words are read in the same left-to-right pass (the layout is read in increasing order).
        spelled = lx.NUMBER_WORD.finditer(self.norm)
        word = next(spelled, None)
        pos = find("\x00")
        while pos >= 0 or word is not None:
            if word is not None and (pos < 0 or word.start() < pos):
                if word.start() >= self.skip_until and (not out or word.start() >= out[-1].end):
                    fig = self._figure(word.start(), word.end(), _spelled(word))
                    if fig is not None:
                        out.append(fig)
                word = next(spelled, None)
                continue
            m = match(self.norm, pos)
            if m is None:  # the text itself held the sentinel character
                pos = find("\x00", pos + 1)
                continue
            end, num = m.end(), _digits(m)
            if num.plain_int and len(num.int_part) <= 3:
                grouped = lx.SPACE_GROUPED.match(self.norm, pos)
                # "Vos liquidités sont de 2 500 $": 2500; "J'ai 5 000 €" too (a group of "000" is no number alone)
                if grouped is not None and (self._spaces_group() or " 0" in grouped.group()):
                    end, num = grouped.end(), _Number(grouped.group().replace(" ", ""), "", plain_int=False)
            if pos >= self.skip_until:
                self.joined = False
                fig = self._figure(pos, end, num)
                if fig is not None:
                    if out and fig.direction is None:
                        fig = self._gapped(self._gap_before(out, fig), fig)
                    if fig.implied:
                        lists.append([*lists.pop(), len(out)] if self.joined and lists else [len(out)])
                    out.append(fig)
                    if fig.noun is not None and lx.COUNT_NOUNS.get(fig.noun, ("", True))[0] in lx.ELIDED_KINDS:
                        self.last_count = (fig.end, fig.noun, fig.implied)
            pos = find("\x00", end)
        return _breakdowns(out, lists) if lists else out

    def _gap_before(self, out: list[Figure], fig: Figure) -> Figure:
        """The figure a later one may take its direction from (:meth:`_gapped`): the one before it, or the one
        before that when the last is another kind's, in a bracket right after it, maybe after a word ("NVDA fell 10%
        (-$200) and MSFT 2%", "NVDA hat 10 % verloren (-200 $), MSFT 2 %": the 2% is a fall like the 10%)."""
        last = out[-1]
        if last.kind is not fig.kind and len(out) >= 2 and out[-2].kind is fig.kind:
            aside = _ASIDE_START.match(self.norm, out[-2].end)
            if aside is not None and aside.end() <= last.start and ")" not in self.norm[aside.end():last.start]:
                return out[-2]
        return last

    def _gapped(self, before: Figure, fig: Figure) -> Figure:
        """``fig`` with the direction of the figure ``before`` it in its sentence when only a name stands between
        them after "and"/"while"/"than"... ("MSFT fell 2.84% and NVDA 2.64%", "MSFT fell 2.84%, more than NVDA's
        2.64%", "NVDA's 2.64% drop was smaller than MSFT's 2.84%": the verb is left out) or after a comma, as in a
        list ("NVDA lost 3.11%, MMM 0.64%"), or only a joiner, maybe after a word of time ("down 2.08% today and 3.36%
        this week"), both of one kind."""
        if (
            before.direction is None
            or fig.explicit_sign
            or fig.loss_context
            or fig.kind is not before.kind
            or fig.kind not in (FigureKind.PERCENT, FigureKind.AMOUNT)
            or fig.start - before.end > _GAP_SPAN
        ):
            return fig
        if lx.BARE_GAP.fullmatch(self.norm, before.end, fig.start) is not None:
            return replace(fig, direction=before.direction)  # "down 2.08% today and 3.36% this week"
        gap = lx.GAPPED.fullmatch(self.norm, before.end, fig.start) or lx.LISTED_GAP.fullmatch(
            self.norm, before.end, fig.start
        )
        if gap is None or any(w.lower() in _NOT_GAPPED_NAMES for w in gap.group("name").split()):
            return fig
        return replace(fig, direction=before.direction)

    # The one long method reads as the grammar: each step either rejects the token or adds to it.
    def _figure(self, s: int, e: int, num: _Number, *, peek: bool = False) -> Figure | None:
        """The figure whose number is ``norm[s:e]``, or ``None``; ``peek`` reads the upper end of a range."""
        norm, n = self.norm, self.n
        if e - s > _MAX_DIGITS + 8:
            self.skip_until = e
            return None
        if num.dot3 and lx.PERCENT_AFTER.match(norm, e) is None and self._dots_group():
            num = _Number(num.int_part + num.dec_part, "", plain_int=False)  # "9.500 USD" in a German text: 9500
        int_part, dec_part, plain_int = num.int_part, num.dec_part, num.plain_int
        if len(int_part) + len(dec_part) > _MAX_DIGITS:
            return None
        # A name glued to its weight ("XOM33.6%", "CPI2.9%"), maybe with a sign between them ("XOM-3.1%").
        glued_sign = norm[s - 1] if s > 1 and norm[s - 1] in "+-" and norm[s - 2] in _ASCII_LETTERS else None
        name_end = s - 1 if glued_sign else s
        glued_percent = False
        if (
            name_end > 0
            and norm[name_end - 1] in _ASCII_LETTERS
            and norm[max(0, name_end - 3) : name_end] not in lx.CURRENCY_CODES
        ):
            name = lx.GLUED_NAME_REV.match(self.rev, n - name_end)
            glued_percent = not (
                lx.GLUED_PERCENT.match(norm, e) is None
                or name is None
                or name.group()[::-1].upper() in lx.NOT_GLUED_NAMES
                or (glued_sign == "-" and not (dec_part and name.group().isupper()))  # COVID-19%, top-10%
                or self._in_url(name_end)
            )
            if not glued_percent and not glued_sign:
                return None  # glued to a word: Q3, FY2024, S00X, v2 (a glued ISO code such as USD1.2k goes on)
        if not glued_percent:
            glued_sign = None  # "COVID-19", "Q3+5%": read as before, a hyphen or a sign on its own
        lower = self.lower if self.lower is not None and self.lower.start == s else None

        cont = lx.CONTINUATION.match(norm, e)
        if cont is not None:
            score = lx.SCORE_SCALE.fullmatch(cont.group("chain") or "")
            after_scale = norm[cont.end()] if cont.end() < n else " "
            if score is not None and (dec_part or score.group(1) == "100") and not (
                after_scale.isalnum() or after_scale in "/_"
            ):
                self.skip_until = cont.end()  # "9.9/100", "4.5/5": a score; its scale is no figure
            elif cont.group("date") or cont.group("chain"):
                self.skip_until = cont.end()
                return None
            if plain_int and len(int_part) == 4 and "1900" <= int_part <= "2100":
                self.skip_until = cont.end()
                return None

        # Left: what is glued to the number, then the words before it.
        la = lx.LEFT_ADJACENT_REV.match(self.rev, n - s)
        assert la is not None  # every group is optional
        base = n - s
        sign_in, cur_sym, paren_ch, sign_out, tilde, _ = la.groups()
        if glued_sign:  # the sign after a glued name, which the pattern leaves to hyphenated words
            sign_in, cur_sym, paren_ch, sign_out, tilde = glued_sign, None, None, None, None
        sign = 0
        explicit_sign = False
        for ch in (sign_in, sign_out):
            if ch is not None:
                explicit_sign = True
                sign = (-1 if ch == "-" else 1) * (sign or 1)
        currency = _currency(cur_sym[::-1]) if cur_sym else None
        paren = paren_ch is not None
        raw_dist = 0  # characters of sign and currency before the digits: part of the raw figure
        for group, value in ((1, sign_in), (2, cur_sym), (4, sign_out)):
            if value is not None:
                raw_dist = la.end(group) - base
        word_pos = s - (la.end() - base)
        if glued_sign:
            raw_dist, word_pos = 1, s - 1
        pc = norm[word_pos - 1] if word_pos > 0 else "\n"
        pc2 = norm[word_pos - 2] if word_pos > 1 else "\n"
        if pc.isascii() and (pc.isalpha() or pc in "/\\#^@") and not glued_percent:
            return None
        if pc in "_." and pc2.isalnum():
            return None
        if pc == "-" and pc2.isalnum() and not pc2.isdigit() and lower is None:
            return None  # hyphenated identifier: COVID-19, top-10, S&P-500 (not the upper end of "5k-10k")
        if pc == "," and pc2.isdigit():
            return None
        if pc == "'" and len(int_part) == 2 and plain_int:
            return None  # '24
        if pc in "=&?" and self._in_url(word_pos):
            return None
        if pc == "[" and e < n and norm[e] == "]":
            return None  # footnote marker [12]

        if e + 1 < n and norm[e] in "-." and norm[e + 1].isascii() and norm[e + 1].isalpha():
            return None  # 52-week, 3-month, 10-K, 0700.HK
        if plain_int and e < n and norm[e] in ".)" and (e + 1 == n or norm[e + 1].isspace()):
            line = self.layout.line_start(word_pos)
            if word_pos - line <= 16 and lx.LIST_PREFIX.fullmatch(norm, line, word_pos):
                return None  # list numbering: "1. ", "2) ", "> 3. ", "## 4. "

        if e < n and norm[e] == ".":
            dot = lx.MONTH_AFTER_DOT.match(norm, e)
            if dot is not None and dot.group(1) in lx.MONTHS:
                return None  # German day: 8. Dezember

        # Right: suffix, currency, unit and the next word.
        r = lx.RIGHT.match(norm, e)
        assert r is not None
        sp1, w1, _, w2, w3, w4 = r.groups()
        cjk_scale, cjk_currency, cjk_percent, cjk_end = 0, None, False, e
        if w1 is not None and lx.CJK_CHARS.match(w1):
            # Chinese units glue to the number and to the words after them: read them off the run's
            # start ("1.2万元的" -> 10^4 CNY), then treat the figure as ending there.
            if w1[0] in lx.CJK_DATE_UNITS:
                return None  # 2026年12月8日, 11点
            k = 0
            if w1[0] in lx.CJK_MAGNITUDES:
                cjk_scale, k = lx.CJK_MAGNITUDES[w1[0]], 1
            for word, code in lx.CJK_CURRENCIES:
                if w1.startswith(word, k):
                    cjk_currency, k = code, k + len(word)
                    break
            else:
                for word in lx.CJK_PERCENT:
                    if w1.startswith(word, k):
                        cjk_percent, k = True, k + len(word)
                        break
            cjk_end = r.start(2) + k if k else e
            w1 = w2 = w3 = w4 = None
        words = [w1, w2, w3, w4, None, None, None]  # padded: the parser below looks up to three words ahead
        ends = [r.end(2), r.end(4), r.end(5), r.end(6)]
        glued = sp1 == "" and w1 is not None
        first = words[0]
        if first is not None and (first in lx.TIME_OF_DAY or first.lower() in lx.TIME_OF_DAY):
            return None
        if first is not None and (
            first in lx.MONTHS
            or (first.lower() in lx.ORDINALS and words[1] in lx.MONTHS)
            or (first in ("of", "de") and words[1] in lx.MONTHS)
        ):
            return None  # 8 March, 8th of March
        if glued and self.ignore and norm[s : ends[0]] in self.ignore:
            return None  # a name from the facts, such as positions[3M]
        if first is not None and first.lower() in lx.ORDINALS and glued:
            return None  # 3rd, 10th

        i = 0
        raw_end = cjk_end
        scale = cjk_scale
        magnitude = "万亿"[cjk_scale // 4 - 1] if cjk_scale else None
        percent = points = cjk_percent
        basis = ratio_x = False
        unit_word: str | None = None
        qualifier: tuple[str, ...] = ()
        of_name: tuple[str, ...] = ()
        elided = implied = breakdown = False
        if cjk_currency is not None and currency is None:
            currency = cjk_currency

        w = words[i]
        if w is not None:
            key = w
            if key in lx.MAGNITUDES and (glued or len(key) > 1 or key in ("M", "B", "K")):
                magnitude, scale = key, lx.MAGNITUDES[key]
                i, raw_end = i + 1, ends[i]
                if key in lx.DOTTED_MAGNITUDES and norm.startswith(".", raw_end):  # "14,41 Mio. ¥", "2 Mrd. EUR"
                    more = lx.RIGHT.match(norm, raw_end + 1)
                    assert more is not None
                    after_dot = more.group("w1")
                    if more.group("sp1") and after_dot is not None and (
                        _currency(after_dot) or lx.CURRENCY_WORDS.get(after_dot.lower())
                    ):  # the currency after the abbreviation's dot, and the words after it
                        words = [w1, after_dot, more.group("w2"), more.group("w3"), None, None, None]
                        ends = [raw_end + 1, more.end(2), more.end(4), more.end(5)]
                        raw_end = ends[0]
            elif glued and key == "x" and not norm[ends[i] : ends[i] + 1].isalnum():  # not hex: 0x1f
                ratio_x = True
                i, raw_end = i + 1, ends[i]
            elif glued and w.isalpha() and not _suffix_like(w):
                return None  # identifier: 5kg, 1d, 2025Q3, 10K (the filing) is taken as 10 thousand
        w = words[i]
        if w is not None and not ratio_x:
            low = w.lower()
            nxt = (words[i + 1] or "").lower()
            if low in lx.PERCENT_WORDS:
                percent = True
                i, raw_end = i + 1, ends[i]
            elif (low, nxt) in lx.PERCENT_PAIRS:  # "per cent", "pour cent", "por ciento"
                percent = True
                i, raw_end = i + 2, ends[i + 1]
            elif low in lx.POINT_WORDS or low == "p.p.":
                percent = points = True
                i, raw_end = i + 1, ends[i]
            elif low == "percentage" and nxt in ("point", "points"):
                percent = points = True
                i, raw_end = i + 2, ends[i + 1]
            elif low in lx.BASIS_POINT_WORDS:
                percent = points = basis = True
                i, raw_end = i + 1, ends[i]
            elif low == "basis" and nxt in ("point", "points"):
                percent = points = basis = True
                i, raw_end = i + 2, ends[i + 1]
        if not percent and not ratio_x:
            w = words[i]
            one = int_part == "1" and not dec_part and magnitude is None  # "1 position"; otherwise plural nouns
            is_whole = not dec_part and magnitude is None and not num.exponent
            if w is not None and currency is None:
                found = _currency(w) or lx.CURRENCY_WORDS.get(w.lower())
                if found is None and w == "US" and (words[i + 1] or "").lower() in ("dollar", "dollars"):
                    found, i = "USD", i + 1
                if found is not None and w in lx.CURRENCY_CODES and is_whole:
                    hyphen = lx.HYPHEN_PART.match(norm, ends[i]) if words[i + 1] is None else None
                    if _holdings_noun(words[i + 1] if hyphen is None else hyphen.group(1), one):
                        found = None  # "3 EUR positions", "3 EUR-Positionen": a count of positions, not 3 euros
                if found is not None:
                    currency = found
                    i, raw_end = i + 1, ends[i]
            if words[i] is not None and currency is None:
                year_like = plain_int and len(int_part) == 4 and "1900" <= int_part <= "2100"
                french = lambda: self._french(word_pos)  # noqa: E731
                counted = _counted_noun(words, i, one, names=not year_like, french=french)
                if counted is None and words[3] is not None:  # "2 of your Energy sector positions": more words
                    longer = self._longer(words, ends)
                    counted = _counted_noun(longer[0], i, one, names=not year_like, french=french)
                    if counted is not None:
                        words, ends = longer
                if counted is None and not year_like:  # "2 Energie-Positionen", "2 Energiepositionen"
                    split = self._split_compound(words, ends, i)
                    if split is not None:
                        counted = _counted_noun(split[0], i, one, french=french)
                        if counted is not None:
                            words, ends = split
                if counted is not None:  # "12 positions", "63 trading days", "8 of your positions"
                    unit_word, taken, qualifier = counted
                    raw_end = ends[i + taken - 1]
                    i += taken
                    of_name = self._of_name(raw_end, french=french)
                    if not of_name and not qualifier and lx.COUNT_NOUNS.get(unit_word, ("",))[0] == "quantity":
                        of_name = self._label_name(word_pos)  # "Exxon: 40 shares", "MSFT: $9,126 (40 shares)"
                    after_noun = words[i]
                    if after_noun is not None and after_noun.lower() in lx.OTHER_AFTER_WORDS:
                        qualifier = (*qualifier, after_noun)  # "4 posiciones más": the rest, as "4 otras posiciones"
                elif is_whole and not year_like and sp1 and i == 0 and not num.spelled and self.depth < _MAX_SHARED:
                    shared = self._shared_noun(e)
                    if shared is not None:  # the "3 Energy" of "3 Energy and 3 Technology positions"
                        unit_word, qualifier, raw_end = shared
                        i = len(qualifier)
        if num.spelled and not (percent or currency):
            # "three", "ten thousand", "two tech stocks": a number in words is a figure only as a percentage or an
            # amount of money (counts in words are ordinary prose: "one stock stands out")
            return None
        if lower is not None and currency is None and not (percent or ratio_x or unit_word):
            currency = lower.currency  # "$5-10", "$5-10M"
        after = (words[i] or "").lower()
        if after == "under" and (words[i + 1] or "").lower() == "water":
            after = "underwater"  # "$536.75 under water": a loss
        elif after == "in" and (words[i + 1] or "").lower() == "the" and (words[i + 2] or "").lower() in _RED_BLACK:
            after = _RED_BLACK[(words[i + 2] or "").lower()]  # "15% in the red": a fall; "in the black": a rise
        elif (
            after in _UP_DOWN and (percent or currency is not None or magnitude is not None)
            and (words[i + 1] or "").lower() not in _UP_DOWN_NOT_AFTER
        ):  # (a bare number is a count: "2 down, 1 up")
            after = _UP_DOWN[after]  # "2.12% down this week": a fall ("from 17.68% down to 10%" is a level)
        elif after.isalpha() and after not in AFTER_WORDS and (words[i + 1] or "").lower() in AFTER_WORDS:
            after = (words[i + 1] or "").lower()  # "an 11.8% monthly drop"

        if magnitude is not None and currency is None:
            if magnitude in lx.MAGNITUDE_NEEDS_CURRENCY:
                return None
            if magnitude == "M" and plain_int and unit_word is None and glued:
                return None  # "3M" alone: the company, or a 3-month window ("1M return")

        # Words on the left, nearest last, up to a punctuation barrier on the same line.
        article = lx.ELIDED_BEFORE_REV.match(self.rev, n - word_pos) if pc in "'’" else None
        left = word_pos - (article.end() - (n - word_pos) if article is not None else 0)
        lw = lx.LEFT_WORDS_REV.match(self.rev, n - left)
        near, near_case = near_words(
            (lw.group()[::-1].split() if lw is not None else []) + ([norm[left:word_pos]] if left < word_pos else [])
        )  # "è sceso dell'1,08%": the elided article is a word before the figure
        if not near and word_pos > 0 and lx.CJK_CHARS.match(norm, word_pos - 1):
            m_cjk = lx.CJK_RUN_BEFORE_REV.match(self.rev, n - word_pos)
            near = near_case = _cjk_direction(m_cjk.group()[::-1] if m_cjk else "")
        elif near and lx.CJK_CHARS.search(near[-1]):  # "当日下跌 US$412.55": the run before the space
            near = near_case = [*near[:-1], *_cjk_direction(near[-1])] or near[:-1]
        last = near[-1] if near else ""

        mantissa = Decimal(f"{int_part}.{dec_part}" if dec_part else int_part)
        upper: tuple[Figure, int] | None = None
        sep = None if peek or num.exponent or num.spelled else lx.RANGE_SEP.match(norm, raw_end)
        upper_start = sep.end() if sep is not None else 0
        suffixed = percent or ratio_x or unit_word is not None or magnitude is not None
        joiner = sep.group("word") if sep is not None else None
        own_lead, own_context = self._context(word_pos)
        own_clause = lower.clause if lower is not None else self._clause(word_pos)
        if (
            sep is not None
            and (joiner is None or not (suffixed or currency))  # "fell 3% to $140.12" is a change, then a level
            and (joiner not in lx.AND_WORDS or last in lx.BETWEEN_WORDS)
        ):
            upper = self._upper_end(upper_start, mantissa, currency, own_context, own_clause)
        if upper is not None and not suffixed:
            # The lower end shares the upper end's suffix: "5-10%" is 5% to 10%, "$5-10M" $5M to $10M.
            up, shift = upper
            if up.kind is FigureKind.PERCENT and currency is None:
                percent, points, scale = True, up.points, shift
            elif up.kind is FigureKind.RATIO and up.raw[-1:] in ("x", "×"):
                ratio_x = True
            elif up.kind is FigureKind.AMOUNT and currency in (None, up.currency):
                currency, scale = up.currency, shift
                magnitude = "range" if shift else None  # scaled like the upper end

        part_of: int | None = None
        if (
            not (peek or suffixed or currency or dec_part or num.spelled or num.exponent)
            and upper is None
            and lower is None
            and sp1
            and (first or "").lower() in lx.SUBSET_STARTS
        ):
            whole = self._whole(words, ends)  # "3 of your 5 positions": a count of positions too
            if whole is not None:
                unit_word, part_of, qualifier, of_name = whole.noun, whole.start, whole.qualifier, whole.of_name

        is_int = not dec_part and magnitude is None and not num.exponent
        bare = not percent and currency is None and magnitude is None and not ratio_x
        if bare and near_case and near_case[-1] in lx.MONTHS and plain_int and len(int_part) <= 2:
            return None  # March 8
        if unit_word in lx.TIME_UNITS and last in lx.PERIOD_WORDS:
            return None  # over the last 30 days, the past 63 trading days
        if bare and is_int and (last in lx.RANK_WORDS or after in lx.RANK_AFTER):
            return None  # top 5, No. 3, 10 largest
        if bare and plain_int and unit_word is None and len(int_part) <= 2 and last in lx.LABEL_WORDS:
            return None  # position 2, point 3: a label (not "a position of 2,050")
        if bare and is_int and last in lx.INDEX_WORDS:
            return None  # S&P 500, Russell 2000
        if (
            bare and plain_int and unit_word is None and not explicit_sign and not num.spelled and self.ignore
            and int_part in self.ignore and (last not in lx.VALUE_BEFORE or _NAMED_AFTER.match(norm, e) is not None)
        ):  # a held symbol of digits where a name stands ("Tokyo Electron (8035)", "beta to 1306", "8306 fell", "was
            return None  # 8035 (Tokyo Electron)"): a name; stated as a value ("count is 8306", "at 8306") a figure
        year_like = plain_int and len(int_part) == 4 and "1900" <= int_part <= "2100"
        if year_like and bare and not explicit_sign and (unit_word is None or last in lx.TEMPORAL_WORDS):
            return None
        if (
            unit_word is None
            and part_of is None
            and bare
            and is_int
            and not (peek or num.spelled or explicit_sign or sp1 == "" or upper is not None or lower is not None)
            and first is not None
            and (first.lower() in lx.NAME_LINKS or first.lower() in lx.ELIDED_COPULAS)
            and qualifiers(near, after, False)[1] is None  # "fell 2 in Europe", "2 im Plus" stay changes
        ):
            found_elided = self._elided(e, word_pos, small=mantissa < 10)
            if found_elided is not None:  # "2 in Technology and 1 in Energy", "12 of MSFT" after "10 shares of AAPL"
                unit_word, qualifier, implied = found_elided
                elided = True

        # Words after a counted noun qualify the things counted ("2 Positionen im Plus", "2 positions above 50%"),
        # not the count: a count takes no direction from them.
        hedge, direction, loss = qualifiers(near, after if unit_word is None else "", tilde is not None)
        if hedge is Hedge.AT_LEAST and unit_word is not None and not count_at_least(near):
            hedge = Hedge.NONE  # "spread over 2 sectors", "positions over 3 sectors": across, not more than
        if lower is not None:  # "fell 5-10%", "about $5-10M": words before a range qualify both ends
            direction = direction if direction is not None else lower.direction
            hedge = hedge if hedge is not Hedge.NONE else lower.hedge
            loss = loss or lower.loss

        # The nearest label word decides ratio and loss contexts ("Sharpe ratio of", "| Max drawdown |").
        column = self.layout.column(word_pos)
        table_cell = self.layout.cell
        table_period = self.layout.period(word_pos) if table_cell is not None else None
        # "Max drawdown 5-10%", "Sharpe 1.2-1.5": the label of a range is before its lower end.
        context = own_context = lower.context if lower is not None else own_context
        lead = own_lead = lower.lead if lower is not None else own_lead
        row_label: tuple[str, ...] = ()
        if table_cell is not None:
            row_label = self.layout.row_label(word_pos)
            context = (*(column.words if column is not None else ()), *row_label, *context)
            lead = ()  # a cell's subject is its column and row
        label = next((w for w in reversed(lx.metric_words(context)[-4:]) if w in _LABELS), None)
        if label in lx.LOSS_LABELS:
            loss = True
        if (
            percent
            and mantissa in _CONFIDENCE_LEVELS
            and not explicit_sign
            and (
                after in lx.CONFIDENCE_WORDS
                or label in ("var", "cvar", "shortfall")
                or lx.CONFIDENCE_AFTER.match(norm, raw_end) is not None
            )
        ):
            return None  # 95% VaR, VaR (95%), 95% value at risk: a confidence level, not a result

        if (
            unit_word is None
            and part_of is None
            and bare
            and is_int
            and not (peek or num.spelled or explicit_sign or upper is not None or lower is not None)
            and hedge is Hedge.NONE
            and direction is None
        ):
            listed = self._listed_name(s, raw_end, column, row_label if table_cell is not None else None)
            if listed is not None:  # "Technology (3)", "- Energy: 1", "| Energy | 1 |" under "#": a sector's count
                unit_word, qualifier, elided, implied, breakdown = lx.ELIDED_NOUN, listed, True, True, True
        total_row = bool(row_label) and row_label[0].lower() in _TOTAL_LABELS
        if (
            total_row and unit_word is None and column is not None and column.kind is ColumnKind.COUNT and bare
            and is_int and not (num.spelled or explicit_sign or upper is not None or lower is not None)
        ):
            unit_word = column.noun or lx.ELIDED_NOUN  # "| Total | 7 |" under "Positions": a count of the rows' noun

        in_table = column is not None or self.layout.in_table(word_pos)
        if paren and in_table and self._accounting_cell(s - (la.end(3) - base), raw_end):
            sign, explicit_sign = -1, True
            raw_dist = la.end(3) - base
            close = norm.find(")", raw_end)
            raw_end = close + 1
        if percent:
            kind = FigureKind.PERCENT
        elif ratio_x:
            kind = FigureKind.RATIO
        elif currency is not None:
            kind = FigureKind.AMOUNT
        elif unit_word is not None:
            kind = FigureKind.COUNT
        elif magnitude is not None:
            kind = FigureKind.AMOUNT
        elif label in lx.RATIO_LABELS:
            kind = FigureKind.RATIO
        elif column is not None and column.kind is not None and column.kind is not ColumnKind.COUNT:
            if column.kind is ColumnKind.RANK:
                return None
            kind = _COLUMN_KINDS[column.kind]
            currency = column.currency
        else:
            kind = FigureKind.NUMBER
        if kind is FigureKind.NUMBER or (upper is not None and (kind, currency) != (upper[0].kind, upper[0].currency)):
            upper = None  # not the two ends of one range
        if upper is not None:  # "5-10% lower", "a 5-10% drawdown": words after a range qualify both ends
            direction = direction if direction is not None else upper[0].direction
            loss = loss or upper[0].loss_context
        if (
            kind is FigureKind.NUMBER
            and is_int
            and mantissa < 10
            and not explicit_sign
            and hedge is Hedge.NONE
            and direction is None
            and not in_table
        ):
            return None  # "5 of your holdings", "(1)": small bare integers are not claims we can check

        decimals = len(dec_part)
        exponent = scale - decimals - (2 if basis else 0)
        scale += num.exponent
        exponent += num.exponent
        value = mantissa.scaleb(scale - (2 if basis else 0))
        if sign < 0:
            value = -value
        unit = _ONE.scaleb(exponent)
        if hedge is not Hedge.NONE and decimals == 0 and kind in _WIDENABLE:
            zeros = len(int_part) - len(int_part.rstrip("0"))
            if 0 < zeros < len(int_part):  # "about $10,920": unit 10; "about $31,000": unit 1000
                unit = _ONE.scaleb(zeros + scale)
        start = s - raw_dist
        if upper is not None:
            self.lower = _Lower(upper_start, currency, direction, hedge, loss, own_context, own_lead, own_clause)
        clause, clause_cut, aside = own_clause
        tail: tuple[str, ...] = ()
        bracket: tuple[str, ...] = ()
        if table_cell is not None:
            clause, clause_cut, aside = context, False, ()  # a cell's subject is its column and row
        else:
            tail = self._tail_words(raw_end)
            if not tail and upper is not None:
                tail = upper[0].tail  # "12-18% of the portfolio": the words after a range qualify both ends
            bracket = self._bracket_words(raw_end)
        return Figure(
            raw=self.text[start:raw_end],
            value=value,
            kind=kind,
            currency=currency,
            decimals=decimals,
            unit=unit,
            direction=direction,
            start=start,
            end=raw_end,
            start_utf16=self.utf16(start),
            end_utf16=self.utf16(raw_end),
            hedge=hedge,
            explicit_sign=explicit_sign,
            loss_context=loss,
            points=points,
            noun=unit_word,
            part_of=part_of,
            qualifier=qualifier,
            of_name=of_name,
            elided=elided,
            implied=implied,
            breakdown=breakdown,
            table_cell=table_cell,
            total_row=total_row,
            period=table_period,
            context=context,
            clause=clause,
            clause_cut=clause_cut,
            aside=aside,
            tail=tail,
            bracket=bracket,
            lead=lead,
        )

    def _context(self, pos: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The lead and the context (see :class:`Figure`) of the number at ``pos``."""
        gap = lx.LABEL_GAP_REV.match(self.rev, self.n - pos)
        if gap is None or gap.end() == gap.start():
            return (), ()
        width = gap.end() - gap.start()
        if width <= lx.LABEL_GAP:
            found = lx.CONTEXT_WORD.findall(self.norm, pos - width, pos)
            return tuple(found[-12:-6]), tuple(found[-6:])
        # the context's first characters back; a word cut by that edge goes whole to the lead
        cut = pos - lx.LABEL_GAP
        while cut < pos and not self.norm[cut - 1].isspace():
            cut += 1
        near = lx.CONTEXT_WORD.findall(self.norm, cut, pos)
        far = lx.CONTEXT_WORD.findall(self.norm, pos - width, cut)
        return tuple((far + near[:-6])[-6:]), tuple(near[-6:])

    def _upper_end(
        self,
        pos: int,
        lower: Decimal,
        currency: str | None,
        context: tuple[str, ...],
        clause: tuple[tuple[str, ...], bool, tuple[str, ...]],
    ) -> tuple[Figure, int] | None:
        """The figure at ``pos`` when it ends a range from ``lower`` (a smaller number, with ``currency`` and
        ``context``), and the power of ten its suffix scales it by (3 for "10k", -2 for "10 bps")."""
        m = lx.NUMBER.match(self.norm, pos)
        if m is None:
            return None
        num = _digits(m)
        int_part, dec_part = num.int_part, num.dec_part
        if len(int_part) + len(dec_part) > _MAX_DIGITS or num.exponent:
            return None
        mantissa = Decimal(f"{int_part}.{dec_part}" if dec_part else int_part)
        if not lower < mantissa:
            return None  # "10-5": no range
        # The layout reads positions in order; the upper end shares the lower end's line and table cell (no
        # newline or "|" between them), so reading it first leaves the layout right for the lower end.
        fig = self._peek(pos, m.end(), num, _Lower(pos, currency, context=context, clause=clause))
        return None if fig is None else (fig, (fig.magnitude / mantissa).adjusted())

    def _peek(
        self, start: int, end: int, num: _Number, lower: _Lower | None = None, *, deeper: bool = False
    ) -> Figure | None:
        """The figure at ``start``..``end`` read ahead of its turn (a range's upper end with ``lower``, its lower end;
        a later count: ``deeper`` counts the reads ahead, see ``_MAX_SHARED``), the layout and the range state as they
        were after it: it is read again in its turn."""
        saved = self.skip_until, self.lower
        self.lower = lower
        self.depth += deeper
        try:
            return self._figure(start, end, num, peek=True)
        finally:
            self.skip_until, self.lower = saved
            self.depth -= deeper

    def _shared_noun(self, pos: int) -> tuple[str, tuple[str, ...], int] | None:
        """The noun and the name of a count whose noun is that of the count after it, the number ending at ``pos``
        ("3 Energy and 3 Technology positions", "10 AAPL, 12 MSFT shares": a name, a list joiner, a count of its own
        name; ``lexicon.SHARED_NOUN_GAP``), and where the name ends; ``None`` otherwise. The later count is read ahead
        like a range's upper end, at most a few deep."""
        gap = lx.SHARED_NOUN_GAP.match(self.norm, pos)
        if gap is None:
            return None
        name = tuple(gap.group("name").split())
        if name[0].islower():
            if lx.sector_word(name[0]) is None:
                return None  # "2 in and 3 ...": a name in lower case only as a sector word ("3 energía y 2 ...")
        elif any(w.lower() in lx.COUNT_NOUNS or w in lx.MONTHS or w in lx.CURRENCY_CODES or w in lx.TIME_OF_DAY
                 for w in name):
            return None  # "3 positions and", "3 March and 4 April", "3 USD and 4 EUR", "2 PM and"
        m = lx.NUMBER.match(self.norm, gap.end())
        if m is None:
            return None
        num = _digits(m)
        if num.dec_part or num.exponent:
            return None
        # the later count is read again in its turn; only words between them (no line, no cell)
        fig = self._peek(m.start(), m.end(), num, deeper=True)
        if (
            fig is None
            or fig.kind is not FigureKind.COUNT
            or fig.noun is None
            or fig.part_of is not None
            or fig.elided
            or fig.decimals
            or not fig.qualifier
            or any(w.lower() in _NOT_SHARED for w in fig.qualifier)
        ):
            return None
        return fig.noun, name, gap.end("name")

    def _whole(self, words: list[str | None], ends: list[int]) -> Figure | None:
        """The COUNT figure of the whole after the words that make a number part of it ("of your" in "3 of your 5
        positions"; ``lexicon.SUBSET_LINKS``), read ahead like a range's upper end; ``None`` when there is none."""
        k = 0
        while k < 3 and words[k] is not None:
            k += 1
        if k == 0 or tuple(w.lower() for w in words[:k] if w is not None) not in lx.SUBSET_LINKS:
            return None
        gap = lx.SUBSET_GAP.match(self.norm, ends[k - 1])
        m = lx.NUMBER.match(self.norm, gap.end()) if gap is not None else None
        if m is None:
            return None
        num = _digits(m)
        if num.dec_part or num.exponent:
            return None
        # the whole is read again in its turn; it shares the part's line and cell (only words between)
        fig = self._peek(m.start(), m.end(), num)
        if fig is None or fig.kind is not FigureKind.COUNT or fig.noun is None or fig.decimals:
            return None
        return fig

    def _clause(self, pos: int) -> tuple[tuple[str, ...], bool, tuple[str, ...]]:
        """The words of the clause before ``pos`` (see ``Figure.clause``), whether another number starts it, and the
        words of its asides in brackets (``Figure.aside``)."""
        norm = self.norm
        i = pos - 1
        stop = max(0, pos - _CLAUSE_SPAN)
        cut = label = False
        asides: list[tuple[int, int]] = []
        owned: list[tuple[int, int]] = []  # brackets of the numbers before: neither clause nor aside
        while i >= stop:
            ch = norm[i]
            if ch in _CLOSERS:
                opening = _opening(norm, i, stop)
                if opening is not None and _after_number(norm, opening, stop, digits=True):
                    # "from -2.84% (Amazon) to +3.11%", "worth $8,163.40 (13.68% of your total portfolio) with a
                    # gain of": the number's, no aside
                    owned.append((opening, i + 1))
                    i = opening - 1
                    continue
                if opening is not None:
                    # "Cash ($2,500) makes up 26.4%", "NVDA (ahead of MSFT) fell 2.84%": the bracket is an aside, the
                    # clause goes on before it
                    asides.append((opening, i + 1))
                    i = opening - 1
                    continue
            if ch.isdigit():
                k = _index_name_start(norm, i)
                if k is None:
                    k = _confidence_start(norm, i)  # "El VaR diario al 95 % es del 0,54 %": the VaR's level
                if k is None:
                    k = _horizon_start(norm, i)  # "VaR al 95 % a 1 día -0,2 %": the VaR's horizon
                if k is None:
                    k = _date_start(norm, i)  # "Time-weighted return since 2025-12-15: +9.4%": a date
                if k is not None:  # "The S&P 500 fell 2.03%": the number is the index's name
                    i = k - 1
                    continue
                cut = True
                break
            if ch == ":" and not label and not norm[i + 1 : pos].strip(_LABEL_MARKS):
                label = True  # "Cash: $2,500", "Total value: $9,485.15": the label is the figure's clause
            elif ch in CLAUSE_BREAKS or (ch == "." and _full_stop(norm, i, pos) and not _abbreviation(norm, i)):
                break
            i -= 1
        if lx.CJK_CHARS.search(norm, i + 1, pos) is not None:
            # Chinese words name the subject: the Latin ones alone say too little ("贝塔(相对 SPY)"); only the metric
            # names are read ("时间加权收益率": the TWR, "1日VaR(95%)": the VaR)
            read = sorted([(m.start(), lx.CJK_WORDS[m.group()]) for m in lx.CJK_WORD.finditer(norm, i + 1, pos)]
                          + [(m.start(), m.group()) for m in lx.CJK_LATIN_METRICS.finditer(norm, i + 1, pos)])
            return tuple(w for _, w in read[-_CLAUSE_WORDS:]), cut, ()
        found: list[str] = []
        aside: list[str] = []
        start = i + 1
        for opening, closing in sorted([*asides, *owned]) if owned else reversed(asides):
            found += lx.CONTEXT_WORD.findall(norm, start, opening)
            if (opening, closing) not in owned:
                aside += lx.CONTEXT_WORD.findall(norm, opening, closing)
            start = closing
        found += lx.CONTEXT_WORD.findall(norm, start, pos)
        for j in range(len(found) - 1, -1, -1):
            if found[j].lower() in lx.CLAUSE_JOINERS:
                found, cut = found[j + 1 :], False
                break
        return tuple(found[-_CLAUSE_WORDS:]), cut, tuple(aside[-_CLAUSE_WORDS:])

    def _bracket_words(self, pos: int) -> tuple[str, ...]:
        """The words of a bracket right after a figure ending at ``pos``, on its line and with no digit in it, at most
        four (see ``Figure.bracket``): ``("Amazon",)`` of "-2.84% (Amazon)"."""
        norm = self.norm
        i = pos
        while i < self.n and i < pos + 3 and norm[i] in " \t\u00a0\u202f":
            i += 1
        if i >= self.n or norm[i] != "(":
            return ()
        close = norm.find(")", i + 1, i + 1 + _BRACKET_SPAN)
        if close < 0 or any(ch.isdigit() or ch in "(\n" for ch in norm[i + 1 : close]):
            return ()
        found = lx.CONTEXT_WORD.findall(norm, i + 1, close)
        return tuple(found) if len(found) <= _BRACKET_WORDS else ()

    def _tail_words(self, pos: int) -> tuple[str, ...]:
        """The words after a figure ending at ``pos`` in its clause (see ``Figure.tail``)."""
        norm = self.norm
        end = min(self.n, pos + _CLAUSE_SPAN)
        i = pos
        while i < end:
            ch = norm[i]
            if ch.isdigit() or ch in _TAIL_BREAKS or (ch == "." and (i + 1 >= self.n or norm[i + 1].isspace())):
                break
            i += 1
        out: list[str] = []
        if lx.CJK_CHARS.search(norm, pos, i) is not None:
            return ()
        for word in lx.CONTEXT_WORD.findall(norm, pos, i):
            if word.lower() in lx.CLAUSE_JOINERS or len(out) == _TAIL_WORDS:
                break
            out.append(word)
        if i < self.n and norm[i] == "," and len(out) < _TAIL_WORDS:
            said = lx.CONTEXT_WORD.findall(norm, i + 1, min(self.n, i + 40))[:2]
            if lx.cash_included([w.lower() for w in said]):
                out += said  # "14.73% of your portfolio, including cash": the basis the comma sets apart
        return tuple(out)

    def _dots_group(self) -> bool:
        """Whether the text groups digits with dots, as German, Spanish, Italian and Portuguese do ("9.500 USD": 9500):
        it writes other numbers with a decimal comma ("2,03 %") or has two words of those languages ("Ihr Depot ist
        ...", "Il tuo portafoglio vale ...", ``lexicon.DOT_GROUPING_MARKERS``), and no
        number with a decimal point that is no group of three ("2.03%", "1,985.15"). Read once per text."""
        if self.dots is None:
            norm = self.norm
            evidence = _DECIMAL_COMMA.search(norm) is not None or len(
                lx.DOT_GROUPING_MARKERS.intersection(_WORD.findall(norm.lower()))
            ) >= 2
            self.dots = evidence and _DECIMAL_POINT.search(norm) is None
        return self.dots

    def _spaces_group(self) -> bool:
        """Whether the text groups digits with plain spaces, as French and Spanish texts may ("Vos liquidités sont de 2
        500 $": 2500): it has two French or Spanish words (``lexicon.SPACE_GROUPING_MARKERS``). Read once per text, and
        only for a number of one to three digits, a space and three digits before a currency
        (``lexicon.SPACE_GROUPED``)."""
        if self.spaces is None:
            found = lx.SPACE_GROUPING_MARKERS.intersection(_WORD.findall(self.norm.lower()))
            self.spaces = len(found) >= 2
        return self.spaces

    def _tail(self, pos: int, limit: int = 7) -> list[tuple[str, int]]:
        """Up to ``limit`` words right after ``pos``, each with its end (``lexicon.TAIL_WORD``)."""
        out: list[tuple[str, int]] = []
        for m in lx.TAIL_WORD.finditer(self.norm, pos):
            if m.start() != (out[-1][1] if out else pos):
                break
            out.append((m.group(1), m.end()))
            if len(out) == limit:
                break
        return out

    def _longer(self, words: list[str | None], ends: list[int]) -> tuple[list[str | None], list[int]]:
        """``words``/``ends`` (four words read) with up to two more words after the fourth."""
        more = self._tail(ends[3], 2)
        return [*words[:4], *(w for w, _ in more), None, None, None], [*ends[:4], *(end for _, end in more)]

    def _of_name(self, pos: int, *, french: Callable[[], bool] = lambda: False) -> tuple[str, ...]:
        """The capitalised words of a name right after a counted noun (ending at ``pos``) and "of"/"in" ("12 shares
        of MSFT", "2 positions in Health Care", "2 positions in the Energy sector"), or a sector word in any case ("2
        posiciones de energía", "2 posiciones tecnológicas"; ``lexicon.SECTOR_WORDS``), or in French a name right
        after the noun ("2 lignes Énergie"); a word for "sector" after the link is left out ("2 lignes du secteur
        Énergie", "2 posiciones en el sector de energía", "2 Positionen im Sektor Energie"); none before a list ("2
        positions in Technology and Energy", "in Technology, Energy")."""
        m = lx.TAIL_WORD.match(self.norm, pos)
        if m is None:
            return ()
        link = m.group(1)
        if link.lower() in lx.ELIDED_COPULAS:  # "2 positions are in Energy", "2 Positionen sind im Energiesektor"
            tail = self._tail(pos, 8)
            if len(tail) < 2 or tail[1][0].lower() not in lx.ELIDED_IN_LINKS:
                return ()
            name = self._name_after(tail, 1, linked=True)
            return () if any(w in lx.CURRENCY_CODES or w in lx.MONTHS for w in name) else name
        if link.lower() not in lx.NAME_LINKS and not link[:1].isupper() and lx.sector_word(link) is None:
            return ()  # the common case: "12 positions with", "5 sectors across"
        return self._name_after(self._tail(pos), 0, french=french)

    def _label_name(self, pos: int) -> tuple[str, ...]:
        """The name labelling the line of a count at ``pos`` ("Exxon: 40 shares", "- Microsoft position: $9,126 (40
        shares × $228.15)"): capitalised words before a colon that starts the line, right before the count or before
        an amount and the bracket the count opens, a word for a stock after them left out ("position")."""
        line = self.norm.rfind("\n", 0, pos) + 1
        m = _LINE_LABEL.match(self.norm, line, pos)
        if m is None:
            return ()
        words = m.group("name").split()
        while len(words) > 1 and words[-1].lower() in lx.COMPANY_NOUNS:
            words.pop()
        return tuple(words) if words[0][:1].isupper() else ()

    def _name_after(
        self, tail: list[tuple[str, int]], j: int, *, french: Callable[[], bool] = lambda: False, linked: bool = False
    ) -> tuple[str, ...]:
        """:meth:`_of_name` for the words ``tail[j:]``; with ``linked``, only after a link word ("in Technology")."""
        size = len(tail)
        if j >= size:
            return ()
        link = tail[j][0]
        if link.lower() in lx.NAME_LINKS:
            first = j + 1
            if first < size and tail[first][0].lower() in lx.NAME_ARTICLES:
                first += 1
            if first + 1 < size and tail[first][0].lower() in lx.SECTOR_NOUNS:
                first += 1  # "du secteur Énergie", "en el sector de energía", "im Sektor Energie"
                if first + 1 < size and tail[first][0].lower() in lx.NAME_LINKS:
                    first += 1
                    if first + 1 < size and tail[first][0].lower() in lx.NAME_ARTICLES:
                        first += 1
        elif not linked and ((link[:1].isupper() and link.isalpha() and french()) or lx.sector_word(link) is not None):
            first = j  # "2 lignes Énergie", "2 posiciones tecnológicas"
        else:
            return ()
        k = first
        while k < first + 2 and k < size and tail[k][0][:1].isupper() and tail[k][0].isalpha():
            k += 1
        if k == first and k < size and lx.sector_word(tail[k][0]) is not None:
            k += 1  # "de energía", "im Energiesektor"
        if (
            k == first
            and k + 1 < size
            and tail[k][0].isalpha()
            and tail[k][0].islower()
            and tail[k + 1][0].lower() in lx.SECTOR_NOUNS
            and tail[k][0] not in lx.NOT_ADJECTIVES
        ):
            k += 1  # "in the energy sector"
        if k == first:
            return ()
        if lx.LIST_NEXT.match(self.norm, tail[k - 1][1]) is not None:
            joined = _AMPERSAND_NAME.match(self.norm, tail[k - 1][1])
            name = " ".join(w for w, _ in tail[first:k])
            if joined is None or not companies.alias(f"{name} & {joined.group(1)}"):
                return ()  # a list, not "Johnson & Johnson"
        return tuple(w for w, _ in tail[first:k])

    def _listed_name(
        self, s: int, e: int, column: Column | None, row_label: tuple[str, ...] | None
    ) -> tuple[str, ...] | None:
        """The name whose count of positions the bare whole number ``norm[s:e]`` gives in a list of counts per
        name: in brackets after it ("Technology (3), Energy (2)"), after it and a colon ending a label at the start
        of a line or a list item ("- Energy: 1", "Technology: 3, Energy: 2"), or in a table cell of a count column
        (``ColumnKind.COUNT``, or a "#" column after the first) whose row's first cell names it ("| Energy | 1 |").
        Only capitalised names that are no ticker (no word all in capitals) and no label word ("Step (2)",
        "Note: 1"; ``lexicon.LISTED_NOT_NAMES``) count: whether the facts have the name is the matcher's question
        (``matching._best_count``: a count under a name the facts do not have is uncheckable, no figure)."""
        norm = self.norm
        if row_label is not None:
            cell = self.layout.cell
            if column is None or cell is None or cell[1] < 1:
                return None
            if column.kind is not ColumnKind.COUNT and column.kind is not ColumnKind.RANK:
                return None
            return _listed_words(row_label)
        if s > 0 and norm[s - 1] == "(":
            if _LISTED_AFTER_BRACKET.match(norm, e) is None:
                return None
            m = _LISTED_BEFORE_BRACKET_REV.match(self.rev, self.n - (s - 1))
        elif _LISTED_AFTER_COLON.match(norm, e) is not None:
            m = _LISTED_BEFORE_COLON_REV.match(self.rev, self.n - s)
        else:
            return None
        if m is None:
            return None
        words = m.group("name")[::-1].split()
        if m.re is _LISTED_BEFORE_BRACKET_REV:  # "You hold Technology (3)": the capitalised words before it
            while words and _listed_words(tuple(words)) is None:
                words.pop(0)
        return _listed_words(tuple(words))

    def _elided(self, pos: int, word_pos: int, *, small: bool) -> tuple[str, tuple[str, ...], bool] | None:
        """The noun and the name of a count whose noun is left out, the number ending at ``pos`` and starting its
        words at ``word_pos`` ("2 in Technology", "12 of MSFT", "2 are in Technology"; see
        ``lexicon.ELIDED_COPULAS``), and whether the noun is implied: the noun of the count before it in its
        sentence when only a list joins them (:func:`_joins_list`), or for a ``small`` number (which is
        otherwise no figure) after "in"/"im"/"en"/"dans", positions (implied). ``None`` when the words name nothing
        or there is no noun to take."""
        tail = self._tail(pos, 8)
        j = 1 if tail and tail[0][0].lower() in lx.ELIDED_COPULAS else 0
        of_them = (
            j == 0 and len(tail) > 2 and tail[0][0].lower() in lx.OF_WORDS and tail[1][0].lower() in lx.OF_THEM
        )
        if of_them:  # "6 positions, 2 of them in Health Care", "2 of which are in Energy": the count before's noun
            j = 3 if tail[2][0].lower() in lx.ELIDED_COPULAS else 2
        if j >= len(tail):
            return None
        name = self._name_after(tail, j, linked=True)
        if not name or any(w in lx.CURRENCY_CODES or w in lx.MONTHS for w in name):
            return None  # "5000 in EUR", "3 in March"
        last = self.last_count
        if of_them:
            if last is None or last[0] > word_pos or SENTENCE_END.search(self.norm, last[0], word_pos) is not None:
                return None
            return last[1], name, last[2]
        if last is not None and last[0] <= word_pos and _joins_list(self.norm[last[0] : word_pos]):
            self.joined = last[2]  # "3 in Technology and 1 in Energy": one list of implied counts
            return last[1], name, last[2]
        if small and tail[j][0].lower() in lx.ELIDED_IN_LINKS:
            return lx.ELIDED_NOUN, name, True
        return None

    def _split_compound(
        self, words: list[str | None], ends: list[int], i: int
    ) -> tuple[list[str | None], list[int]] | None:
        """``words``/``ends`` with the first hyphenated or German compound word of the next three split in two: a
        name or sector word and a counted noun ("Energie-Positionen", "AAPL-Aktien", "Energiepositionen",
        "Technologiewerte": ``lexicon.COMPOUND_NOUNS``) or a word for "sector" ("Energy-sector"); ``None`` when
        there is none."""
        norm = self.norm
        for j in range(i, min(i + 3, len(ends))):
            w = words[j]
            if w is None:
                return None
            hyphen = lx.HYPHEN_PART.match(norm, ends[j]) if words[j + 1] is None else None
            if hyphen is not None and w.isalpha():
                tail = self._tail(hyphen.end(), 3)
                return (
                    [*words[:j], w, hyphen.group(1), *(t for t, _ in tail), None, None, None],
                    [*ends[:j], ends[j], hyphen.end(), *(end for _, end in tail)],
                )
            low = w.lower()
            for suffix, noun in lx.COMPOUND_NOUNS.items():
                if low.endswith(suffix) and len(low) > len(suffix):
                    prefix = w[: -len(suffix)]
                    if lx.sector_word(prefix) is None and not (
                        prefix[-1:] == "s" and lx.sector_word(prefix[:-1]) is not None
                    ):
                        break
                    return [*words[:j], prefix, noun, *words[j + 1 :]], [*ends[:j], ends[j] - len(suffix), *ends[j:]]
        return None

    def _french(self, pos: int) -> bool:
        """Whether the words before ``pos`` in its clause are French ("Vous avez 7 actions")."""
        lw = lx.LEFT_WORDS_REV.match(self.rev, self.n - pos)
        near, _ = near_words(lw.group()[::-1].split() if lw is not None else [])
        return any(w in lx.FRENCH_MARKERS for w in near)

    def _in_url(self, pos: int) -> bool:
        segment = self.norm[max(0, pos - 200) : pos]
        cut = max(segment.rfind(" "), segment.rfind("\n"), segment.rfind("\t"))
        return lx.URL_MARK.search(segment, cut + 1) is not None

    def _accounting_cell(self, pos: int, raw_end: int) -> bool:
        """``| (420.00) |``: the parenthesised figure is the whole table cell."""
        before = self.norm[max(0, pos - 40) : pos].rstrip(" \t*")
        if not before.endswith("|"):
            return False
        after = self.norm[raw_end : raw_end + 40].lstrip(" \t*")
        return after.startswith(")") and (after[1:].lstrip(" \t*").startswith("|") or after[1:].strip() == "")


def _listed_words(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """``words`` when they may name a sector or a basket of the facts (see :meth:`_Scanner._listed_name`)."""
    if not words or len(words) > 3:
        return None
    for w in words:
        if not (w[:1].isupper() or w == "&") or (len(w) > 1 and w.isupper()) or not _LISTED_WORD.fullmatch(w):
            return None
        if w.lower() in lx.LISTED_NOT_NAMES or w in lx.MONTHS:
            return None
    return words


def _index_name_start(norm: str, last: int) -> int | None:
    """The start of an index name whose number ends at ``last`` ("S&P 500", "Russell 2000"), else ``None``."""
    k = last
    while k > 0 and norm[k - 1].isdigit():
        k -= 1
    j = k
    while j > 0 and norm[j - 1] in lx.SPACES:
        j -= 1
    start = j
    while start > 0 and (norm[start - 1].isalpha() or norm[start - 1] == "&"):
        start -= 1
    return start if start < j < k and norm[start:j].lower() in lx.INDEX_WORDS else None


_VAR_BEFORE = re.compile(r"\b(?:c?var|shortfall|value[- ]at[- ]risk)\b")
_PERCENT_AFTER = re.compile(r"[ \u00a0\u202f]?%")


def _confidence_start(norm: str, last: int) -> int | None:
    """The start of a confidence level whose percent's digits end at ``last``, named after a VaR within the words
    before it ("VaR at 95%", "VaR al 95 %", "VaR à 95 %", "VaR at the 95% level"), else ``None``: no figure of its
    own (see the scanner), and no break of the clause of the figure after it."""
    if _PERCENT_AFTER.match(norm, last + 1) is None:
        return None
    k = last
    while k > 0 and (norm[k - 1].isdigit() or (norm[k - 1] in ".," and k > 1 and norm[k - 2].isdigit())):
        k -= 1
    try:
        level = Decimal(norm[k : last + 1].replace(",", "."))
    except ArithmeticError:
        return None
    if level not in _CONFIDENCE_LEVELS or _VAR_BEFORE.search(norm[max(0, k - 40) : k].lower()) is None:
        return None
    return k


#: A VaR's horizon after its name ("VaR al 95 % a 1 día", "VaR à 95 % à 1 jour", "1 day VaR"): the digits, then a day.
_HORIZON_AFTER = re.compile(r"[ \u00a0-]?(?:days?|d|días?|jours?|tage?n?|giorni|giorno|dias?)(?![\w])", re.IGNORECASE)


def _horizon_start(norm: str, last: int) -> int | None:
    """The start of a VaR's horizon in days whose digits end at ``last``, named after a VaR within the words before
    it ("VaR al 95 % a 1 día", "VaR à 95 % à 1 jour"), else ``None``: no figure of its own, and no break of the clause
    of the figure after it (see :func:`_confidence_start`)."""
    if _HORIZON_AFTER.match(norm, last + 1) is None:
        return None
    k = last
    while k > 0 and norm[k - 1].isdigit():
        k -= 1
    if last - k > 1 or _VAR_BEFORE.search(norm[max(0, k - 40) : k].lower()) is None:
        return None
    return k


#: A date ending at the end of the text searched ("2025-12-15", "15.12.2025", "15/12/2025", "15 dic 2025", "15 déc.
#: 2025", "15. Dez. 2025"; the ``month`` group a month's name of ``lexicon.MONTHS``).
_DATE_BEFORE = re.compile(
    r"(?<![0-9.,])(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}([./])[0-9]{1,2}\1(?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{1,2}\.?[ \u00a0](?P<month>[^\W\d_]{3,10})\.?[ \u00a0][0-9]{4})\Z"
)


def _date_start(norm: str, last: int) -> int | None:
    """The start of a date whose digits end at ``last`` ("since 2025-12-15", "seit 15.12.2025", "desde 15 dic 2025"),
    else ``None``: the scanner reads no figure in it, so it is no break of the clause of the figure after it."""
    after = norm[last + 1 : last + 3]
    if after[:1].isdigit() or after[:1] == "%" or (after[:1] in (".", ",") and after[1:].isdigit()):
        return None  # a number going on ("2025.5", "15%"); a full stop or a comma after the date is no part
    m = _DATE_BEFORE.search(norm, max(0, last - 20), last + 1)
    if m is None or (m.group("month") is not None and m.group("month") not in lx.MONTHS):
        return None
    return m.start()


def _after_number(norm: str, opening: int, stop: int, *, digits: bool = False) -> bool:
    """Whether the bracket opening at ``opening`` follows a number ("-2.84% (Amazon)", spaces between) and holds no
    digit (with ``digits``, or some: "$8,163.40 (13.68% of the total)"): the number's (``Figure.bracket``), not an
    aside of the clause after it."""
    k = opening - 1
    while k >= stop and norm[k] in " \t\u00a0\u202f":
        k -= 1
    if k < stop or not (norm[k] == "%" or _DECIMAL_END.search(norm, max(stop, k - 4), k + 1) is not None):
        return False  # a percent, or a number with one or two decimals ("$228.15"): no date ("06.05.2024")
    close = norm.find(")", opening)
    return close > 0 and (digits or not any(ch.isdigit() for ch in norm[opening:close]))


def _opening(norm: str, closing: int, stop: int) -> int | None:
    """The offset of the bracket that ``norm[closing]`` (a closing one) closes, nested brackets skipped, if it opens
    at or after ``stop`` on the same line."""
    want, shut = _CLOSERS[norm[closing]], norm[closing]
    depth = 0
    for k in range(closing - 1, stop - 1, -1):
        ch = norm[k]
        if ch == "\n":
            return None
        if ch == shut:
            depth += 1
        elif ch == want:
            if not depth:
                return k
            depth -= 1
    return None


def _abbreviation(norm: str, dot: int) -> bool:
    """Whether the dot at ``dot`` ends an abbreviation ("inkl.", "ca.", "vs.", "U.S."), not a sentence."""
    k = dot
    while k > 0 and norm[k - 1].isalpha():
        k -= 1
    word = norm[k:dot].lower()
    return len(word) == 1 or word in lx.ABBREVIATIONS


def _cjk_direction(run: str) -> list[str]:
    """A Chinese direction word at the end of the run just before a figure ("下跌¥45.10", "上涨了1.25%") as
    the English word the qualifier rules read ("fell"/"rose"); nothing otherwise."""
    run = run.removesuffix("了").removesuffix("约")
    if run.endswith(lx.CJK_NEGATIVE):
        return ["fell"]
    if run.endswith(lx.CJK_POSITIVE):
        return ["rose"]
    return []


def _digits(m: re.Match[str]) -> _Number:
    """The number of a ``lx.NUMBER`` match."""
    sg, sgd, en, end, de, ded, pl, pld, exp = m.group("sg", "sgd", "en", "end", "de", "ded", "pl", "pld", "exp")
    dec_part = sgd or end or ded or pld or ""
    return _Number(
        (sg or en or de or pl or "").translate(_DROP_GROUPING),
        dec_part,
        plain_int=pl is not None and not dec_part and exp is None,  # the "pl" form: no grouping
        exponent=int(exp) if exp is not None else 0,
        dot3=pl is not None and pld is not None and exp is None and len(pld) == 3 and len(pl) <= 3
        and pl[0] != "0" and m.string[m.start("pld") - 1] == ".",
    )


def _spelled(m: re.Match[str]) -> _Number:
    """The number of a ``lx.NUMBER_WORD`` match: "twenty-five" is 25, "three hundred" 300."""
    tens, ones, unit, hundred = m.group("tens", "ones", "unit", "hundred")
    value = lx.NUMBER_WORD_TENS[tens.lower()] + (lx.NUMBER_WORD_UNITS[ones.lower()] if ones else 0) if tens else (
        lx.NUMBER_WORD_UNITS[unit.lower()])
    return _Number(str(value * 100 if hundred else value), "", plain_int=False, spelled=True)


def _counted_noun(
    words: list[str | None], i: int, one: bool, *, names: bool = True, french: Callable[[], bool] = lambda: False
) -> tuple[str, int, tuple[str, ...]] | None:
    """The counted noun that ``words[i:]`` start with (lowercase), how many words it takes, and the words between
    the number and the noun: the noun ("12 positions"), after one lowercase adjective ("63 trading days", "4 other
    positions"; not a time: "12 month returns") or, when ``names``, one or two capitalised words of a name ("3
    Health Care positions", "10 AAPL shares"), either maybe followed by a word for "sector" that is left out of the
    words ("2 Energy sector positions", "1 tech sector stock"; ``lexicon.SECTOR_NOUNS``), after a partitive ("8 of
    your positions", "3 Ihrer Positionen", "2 de vos lignes", then maybe an adjective). A singular noun counts only
    when ``one`` ("1 position"), and never after a partitive. French nouns that are English words too ("actions")
    count only when ``french()`` says the clause is French, or after a French partitive ("3 de vos actions").
    ``words`` is padded with ``None``."""
    first = words[i]
    assert first is not None
    low = low_first = first.rstrip(".").lower()
    second = words[i + 1]
    if low in lx.SECTOR_NOUNS and second is not None:
        group = lx.GROUP_NOUNS.get(second.rstrip(".").lower())
        if group is not None:  # "6 sector groups", "5 industry groups": sectors
            return ("sectors", 2, ()) if group or one else None
    noun = _noun(low, french)
    if noun is not None:
        return (low, 1, ()) if noun[1] or one else None
    taken = 0
    if second is not None and (low, second.lower()) in lx.PARTITIVES:
        taken = 2
    elif (low,) in lx.PARTITIVES:
        taken = 1
    if taken:
        w = words[i + taken]
        if w is None:
            return None
        low = w.rstrip(".").lower()
        fr = low_first in lx.FRENCH_PARTITIVE_STARTS
        noun = _noun(low, lambda: fr or french())
        if noun is not None:
            return (low, taken + 1, ()) if noun[1] else None
    else:
        w = first
    if names and w[:1].isupper() and w.isalpha() and w.lower() not in lx.COUNT_NOUNS:
        # "3 Health Care positions", "10 AAPL shares": a name qualifies the things counted
        k = i + taken + 1
        more = words[k]
        if more is not None and more[:1].isupper() and more.isalpha() and _noun(more.lower(), french) is None:
            k += 1  # "3 Health Care positions" (not the noun of "2 Energie Positionen")
        k = _after_sector_noun(words, k, french)
        after = words[k]
        if after is None:
            return None
        low = after.rstrip(".").lower()
        noun = _noun(low, french)
        if noun is None or not (noun[1] or (one and not taken)):
            return None
        named = (w for w in words[i + taken : k] if w is not None and w.lower() not in lx.SECTOR_NOUNS)
        return low, k - i + 1, tuple(named)
    k = _after_sector_noun(words, i + taken + 1, french)
    after = words[k]
    if after is None or not (w.isalpha() and w.islower()) or w in lx.NOT_ADJECTIVES or w in lx.COUNT_NOUNS:
        return None
    low = after.rstrip(".").lower()
    noun = _noun(low, french)
    if noun is None or not (noun[1] or (one and not taken)):
        return None
    return low, k - i + 1, (w,)


def _after_sector_noun(words: list[str | None], k: int, french: Callable[[], bool]) -> int:
    """``k + 1`` when ``words[k]`` is a word for "sector" before a counted noun of other things ("2 Energy sector
    positions", "1 tech sector stock": the name says which sector), else ``k``."""
    w = words[k]
    nxt = words[k + 1] if k + 1 < len(words) else None
    if w is None or nxt is None or w.lower() not in lx.SECTOR_NOUNS:
        return k
    noun = _noun(nxt.rstrip(".").lower(), french)
    return k + 1 if noun is not None and noun[0] != "sectors" else k


def _breakdowns(out: list[Figure], lists: list[list[int]]) -> list[Figure]:
    """``out`` with the implied counts that state their names' whole counts marked ``Figure.breakdown``: those of a
    list of two or more ("3 in Technology and 1 in Energy", "Tiene 3 en tecnología y 1 en energía"), or one after a
    verb of holding ("You hold 1 in Energy"), unless a verb after the list says what the counted are ("1 in Energy
    and 1 in Technology are up": some of them). ``lists`` holds the indexes in ``out`` of each list."""
    for group in lists:
        if len(group) < 2 and not _after_holding(out[group[0]].clause):
            continue
        if any(w.lower() in lx.PART_PREDICATES for w in out[group[-1]].tail):
            continue
        for k in group:
            out[k] = replace(out[k], breakdown=True)
    return out


def _after_holding(clause: tuple[str, ...]) -> bool:
    """Whether the words before a count end with a verb of holding, maybe and an adverb ("You hold", "You only hold",
    "Sie halten", "Tiene"; ``lexicon.HOLDING_VERBS``)."""
    words = [w.lower() for w in clause[-2:]]
    if words and words[-1] in _HOLDING_ADVERBS:
        words.pop()
    return bool(words) and words[-1] in lx.HOLDING_VERBS


def _joins_list(gap: str) -> bool:
    """Whether ``gap``, the text between a count and a later number, only joins them as items of one list: a
    punctuation mark or a joining word, maybe after the count's name ("10 shares of AAPL, 12 of MSFT", "3 positions:
    2 in ...", "3 Positionen, davon 2 im ..."; not "3 positions, worth 15000 in ...")."""
    if len(gap) > 80 or lx.ELIDED_GAP_BREAK.search(gap) is not None:
        return False
    joined = lx.ELIDED_GAP_MARK.search(gap) is not None
    for word in lx.ELIDED_GAP_WORD.findall(gap):
        low = word.lower()
        if low in lx.ELIDED_JOINERS:
            joined = True
        elif not (
            word[:1].isupper()
            or low in ("l", "d")  # "de l'énergie"
            or low in lx.NAME_LINKS
            or low in lx.NAME_ARTICLES
            or low in lx.SECTOR_NOUNS
            or lx.sector_word(low) is not None
        ):
            return False
    return joined


def _holdings_noun(word: str | None, one: bool) -> bool:
    """Whether ``word`` is a counted noun of holdings ("positions", "Positionen"), plural or, when ``one``,
    singular."""
    noun = lx.COUNT_NOUNS.get(word.lower()) if word is not None else None
    return noun is not None and noun[0] == "holdings" and (noun[1] or one)


def _noun(low: str, french: Callable[[], bool]) -> tuple[str, bool] | None:
    """The kind and plurality of a counted noun (``lexicon.COUNT_NOUNS``; a French-only one when ``french()``)."""
    noun = lx.COUNT_NOUNS.get(low)
    if noun is None and low in lx.FRENCH_COUNT_NOUNS and french():
        noun = lx.FRENCH_COUNT_NOUNS[low]
    return noun


def _currency(token: str) -> str | None:
    if token in lx.CURRENCY_SYMBOLS:
        return lx.CURRENCY_SYMBOLS[token]
    return token if token in lx.CURRENCY_CODES else None


def _suffix_like(word: str) -> bool:
    low = word.lower()
    return word in lx.CURRENCY_CODES or low in lx.POINT_WORDS or low in lx.BASIS_POINT_WORDS or low == "pct"


#: After the number of a listed count in brackets: the bracket closed, then the end of the item.
_LISTED_AFTER_BRACKET = re.compile(r"\)[ \t*_]*(?:[,;.]?[ \t]*$|[,;](?=\s)|\.(?=\s)|\s(?:and|und|et|y)\s)", re.M)
#: After the number of a listed count after a colon: the end of the line or of the item.
_LISTED_AFTER_COLON = re.compile(r"[ \t*_]*(?:[,;.]?[ \t]*$|[,;](?=[ \t]+[A-Z]))", re.M)
#: Before "(" of "Technology (3)", reversed: spaces, then one to three capitalised words.
_LISTED_BEFORE_BRACKET_REV = re.compile(r"[ \t]*[*_]*(?P<name>[\w&'-]+(?:[ \t][\w&'-]+){0,2})")
#: Before the number of "- Energy: 1", reversed: a colon ending a label that starts a line, a list item or an item
#: after a comma or semicolon.
_LISTED_BEFORE_COLON_REV = re.compile(
    r"[ \t]*[*_]*:[*_]*(?P<name>[\w&'-]+(?:[ \t][\w&'-]+){0,2}?)[*_]*"
    r"(?:[ \t]*(?:[-*+\u2022]|[.)][0-9]{1,2})?[ \t]*(?:\n|$)|[ \t]*[,;])"
)
#: A count's line up to it that a name labels ("Exxon: ", "- **Microsoft position:** $9,126 ("; the bracket may be
#: read as the count's own; see ``_Scanner._label_name``).
_LINE_LABEL = re.compile(
    r"[ \t]*(?:[-*+\u2022][ \t]+|[0-9]{1,2}[.)][ \t]+)?[*_]*(?P<name>[^\W\d_][\w&'.-]*(?:[ \t]+[^\W\d_][\w&'.-]*){0,3})"
    r"[*_]*:[*_]*[ \t]+(?:[^\w()\n]*[0-9][0-9.,]*[^\w()\n]*\(?)?[ \t*_]*$"
)
#: After a name, "&" and the next word of it ("Johnson & Johnson", "Procter & Gamble").
_AMPERSAND_NAME = re.compile(r"[ \t]*&[ \t]*([^\W\d_][\w'-]*)")
#: English sector names, and short ones, that say which sector the part of a whole count is ("4 of your 9 positions
#: are tech stocks"; see ``_with_parts``; other languages' are ``lexicon.SECTOR_WORDS``).
_SECTOR_NAMES = lx.words("""tech technology energy financials financial utilities materials industrials healthcare
    staples""")
_LISTED_WORD = re.compile(r"[^\W\d_][\w'-]*|&")
_CLAUSE_SPAN = 120  # characters read for a figure's clause on each side
_MAX_SHARED = 4  # how many counts ahead _shared_noun reads ("1 A, 2 B, 3 C and 4 D positions")
#: Qualifiers of a later count that do not name its things: "3 Energy and 3 other positions" is no list of names.
_NOT_SHARED = lx.OTHER_WORDS | lx.SELECTION_WORDS | lx.EFFECTIVE_WORDS
_HOLDING_ADVERBS = lx.COUNT_HEDGE_ADVERBS | lx.HOLDING_ADVERBS
_GAP_SPAN = 80  # the most characters between a figure and one after it that takes its direction (see _gapped)
#: Names that are no holding's, nor the benchmark's: "fell 2.03% and Cash 26.4%" takes no direction.
#: The opening of a bracketed aside right after a figure ("10% (-$200)").
_ASIDE_START = re.compile(r"(?:[ \t\u00a0\u202f]+[a-z\u00df-\u00ff]+)?[ \t\u00a0\u202f]*\(")  # "10 % verloren (-200 $)"
_NOT_GAPPED_NAMES = lx.PORTFOLIO_WORDS | lx.CASH_WORDS | lx.TOTAL_WORDS | lx.VALUE_WORDS
_CLAUSE_WORDS = 8
_CLOSERS = {")": "(", "]": "["}
_ANTECEDENT_SENTENCES = 3  # sentences read back for what a pronoun stands for, while each names only a pronoun
_ANTECEDENT_WORDS = 24  # words of the sentence before read for what a pronoun stands for
_TAIL_WORDS = 6
#: What ends a clause (matching reads its spans with the same marks).
CLAUSE_BREAKS = frozenset("\n,;:!?|\u2014\u3002")  # and the Chinese full stop "。"
#: The end of a sentence: a full stop, "!" or "?" before a space, or a line break; not the dot of an abbreviation
#: ("Mr.", "e. g."). The mark comes first in the pattern so that the engine skips to the marks (4x faster than
#: looking behind at every character).
#: What may close a sentence right after its full stop: emphasis, a quote, a bracket ("**Good evening.** Your").
_STOP_CLOSERS = "*_\"'”’»)]"


def _full_stop(norm: str, i: int, pos: int) -> bool:
    """Whether the dot at ``norm[i]`` ends a sentence before ``pos``: a space (or ``pos``) follows it, maybe after up
    to three of :data:`_STOP_CLOSERS`."""
    j = i + 1
    while j < pos and j - i <= 3 and norm[j] in _STOP_CLOSERS:
        j += 1
    return j >= pos or norm[j].isspace()


#: No sentence ends at the dot of an abbreviated magnitude ("14,41 Mio. ¥"): one lookbehind each.
_NOT_AFTER_MAGNITUDES = "".join(rf"(?<!{re.escape(m)}\.)" for m in sorted(lx.DOTTED_MAGNITUDES))
SENTENCE_END = re.compile(
    rf"[.!?](?<![A-Z][a-z][.!?])(?<!\b[A-Za-z][.!?]){_NOT_AFTER_MAGNITUDES}[{re.escape(_STOP_CLOSERS)}]{{0,3}}"
    rf"(?=\s)|\n|\u3002[{re.escape(_STOP_CLOSERS)}]{{0,3}}"
)
"""A sentence's end: a full stop, maybe closed by emphasis, a quote or a bracket ("**Good evening.** Your portfolio"),
before a space; a line break; or a Chinese full stop ("。", space or none after it)."""


@lru_cache(maxsize=8)
def sentence_ends(norm: str) -> tuple[int, ...]:
    """The ends of the sentences of a normalised text (:data:`SENTENCE_END`), found once per text: extraction and
    matching read them in several passes (read only)."""
    return tuple(m.end() for m in SENTENCE_END.finditer(norm))
_LABEL_MARKS = " \t\u00a0\u202f*_"
#: The rest of a list or range of figures after one of them, up to a word of time (see :func:`joins_to`): maybe a
#: bracket of words, then one or more times a joiner (a dash, "and", "to", "or", "und", "bis", "et", "à", "y"...), a
#: figure (signs, currency signs, digits, a percent) and maybe a bracket of words.
_FIGURE_LIST = re.compile(
    r"(?:[ \t\u00a0\u202f]*\([^()\d\n]{1,40}\))?"
    r"(?:[ \t\u00a0\u202f]*(?:[-\u2013]|(?<=\s)(?:and|to|or|und|bis|oder|et|ou|à|y|o|a|hasta)(?=\s))"
    r"[ \t\u00a0\u202f]*[-+\u2212]?[^\sA-Za-z0-9()+\u2212\u2013-]{0,3}[0-9][0-9.,]*(?:[ \u00a0\u202f]?%)?"
    r"(?:[ \t\u00a0\u202f]*\([^()\d\n]{1,40}\))?)+[ \t\u00a0\u202f]*",
    re.IGNORECASE,
)
_LIST_SPAN = 160
_DECIMAL_END = re.compile(r"[0-9][.,][0-9]{1,2}$")
#: A list item's line: a bullet or a number and a space.
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+\u2022]|[0-9]{1,2}[.)])[ \t]")
#: A heading's line: a markdown heading, a bold line, or a short line of words ending with a colon.
_HEADING = re.compile(
    r"[ \t]*(?:#{1,6}[ \t]+(?P<h>[^\n]{1,80}?)[ \t#]*|\*\*(?P<b>[^*\n]{1,60})\*\*:?|(?P<c>[^\n:|0-9]{1,40}):)[ \t]*"
)
_BRACKET_SPAN = 40  # characters read for a bracket right after a figure ("-2.84% (Amazon)")
_BRACKET_WORDS = 4
_TAIL_BREAKS = CLAUSE_BREAKS | frozenset("()")  # "Total value: 48.215,90 € (cash 9.801,20 €)": the cash is not its
_DECIMAL_COMMA = re.compile(r"[0-9],(?:[0-9]{1,2}|[0-9]{4,})(?![0-9])")
_DECIMAL_POINT = re.compile(r"(?<![0-9.])[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})(?![0-9]|\.[0-9])")
_WORD = re.compile(r"[^\W\d_]+")
_MARK_DIGITS = str.maketrans(dict.fromkeys("0123456789", "\x00"))
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DROP_GROUPING = str.maketrans("", "", ",.' \u00a0\u202f\u2009\u2007")
_COLUMN_KINDS = {ColumnKind.PERCENT: FigureKind.PERCENT, ColumnKind.AMOUNT: FigureKind.AMOUNT,
                 ColumnKind.RATIO: FigureKind.RATIO}
_LABELS = lx.RATIO_LABELS | lx.LOSS_LABELS
_TOTAL_LABELS = frozenset({"total", "totals", "sum", "subtotal"})
_WIDENABLE = frozenset({FigureKind.AMOUNT, FigureKind.COUNT, FigureKind.NUMBER})

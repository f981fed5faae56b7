"""What a figure is about as a whole: a name of the facts, the portfolio, its cash, or a benchmark.

A figure only matches facts about what its words name. The words are those of its clause (``Figure.clause``: back to
a punctuation mark, another number or a clause joiner such as "while"/"und"; ``Figure.tail``: after it to the same
ends), read nearest first:

* a name from the facts' brackets (``NVDA``, "Information Technology"; in any case for a name not in capitals, a
  sector word of another language, or a capitalised word that starts exactly one name: "Tech") makes the figure that
  name's: only facts under it ground it ("NVDA changed 0% today" is not ``ledger.currency_effect_return``);
* a cash word (cash, Bargeld, Barmittel, Liquidität, liquidités, espèces, efectivo after "en"/"su"..., liquidez; not
  after "excluding"/"ohne"/"hors"/"sin", not "cash dividends") makes it the cash's: only facts whose path says cash
  (``cash.value``, ``cash.weight``) or a rate or yield ("Your cash earns 4.3%");
* a ticker symbol absent from the facts ("SPY"; two to five capitals that are no currency code nor a common
  abbreviation such as ETF, YTD, TWR), an index name ("S&P", "Russell") or "benchmark" makes it the benchmark's: only
  facts whose path says benchmark, or, when its clause compares ("lagged SPY by", "versus", "gegenüber"), an excess or
  alpha (``excess_return_1d``); never the portfolio's own return ("SPY fell 2.03%" is not ``performance.return_1d``).
  A metric word (beta, Sharpe...) takes precedence over it;
* a portfolio word (portfolio, total, overall, whole, Depot, Gesamtwert, portefeuille, cartera...) makes it the
  portfolio's as a whole: only facts under no name that are not about cash, a benchmark or the largest holdings
  ("Your portfolio is worth $2,960.60" is not NVDA's value, "Your total portfolio value is $2,500" not the cash).
  Where the portfolio is only the whole a part is measured in ("31.2% of your portfolio", "NVDA's weight in your
  portfolio"), the part's words decide; such a portfolio word is the subject only when nothing else is named and no
  other number starts the clause ("The value of your portfolio is $2,960.60", but not "6.0% of the portfolio
  ($1,871.40)"). A portfolio word is no subject when the clause also names a position, sector or company, a share
  ("weight", "Anteil"), holdings ("your largest position") or a rank ("largest"), and yields to a cash word after
  the figure ("Your portfolio holds $2,500 in cash": the thing measured is the cash).

The nearest of these before the figure wins ("NVDA is 31.2% of your portfolio" is NVDA's, "Cash is 26.4% of your
portfolio" the cash's); with none before it, a cash word after it ("You hold $1,977.90 in cash"). COUNT figures and
table Total rows have rules of their own (see :mod:`.matching`). Facts from text are exempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.index import Entry, FactIndex
from stack_cfo.core.grounding.model import Figure


class Whole(Enum):
    NAME = "NAME"
    PORTFOLIO = "PORTFOLIO"
    CASH = "CASH"
    BENCHMARK = "BENCHMARK"


_TICKER = re.compile(r"[A-Z]{2,5}(?:\.[A-Z]{1,2})?")
#: Path words of facts that are not the portfolio's own figure, though under no name.
_NOT_PORTFOLIO = frozenset({"cash", "benchmark", "largest", "top"})
_BENCHMARK = frozenset({"benchmark"})
_HOLDINGS_KINDS = frozenset({"holdings", "stocks", "sectors", "baskets"})
_HOLDINGS = frozenset(w for w, (kind, _) in lx.COUNT_NOUNS.items() if kind in _HOLDINGS_KINDS)
#: Words that keep a portfolio word from being the subject (see the module docstring).
_PART_WORDS = _HOLDINGS | lx.SELECTION_WORDS | lx.SHARE_WORDS
_NOT_NAMES = (
    lx.COMMON_CAPITALISED | lx.PORTFOLIO_WORDS | lx.TOTAL_WORDS | lx.VALUE_WORDS | lx.CASH_WORDS
    | frozenset(m.lower() for m in lx.MONTHS)
)
_NO_TICKERS = lx.NOT_TICKERS | lx.NOT_TICKER_WORDS | lx.CURRENCY_CODES
_METRIC_LIKE = lx.RATIO_LABELS | lx.LOSS_LABELS | lx.CONFIDENCE_WORDS
_MIN_PREFIX = 4


@dataclass(frozen=True, slots=True)
class Subject:
    """What a figure is about as a whole, and so which facts may ground it."""

    kind: Whole
    name: str | None = None
    """For ``NAME``: the bracketed name."""
    comparative: bool = False
    """For ``BENCHMARK``: the clause compares with it, so an excess return or alpha may ground the figure too."""
    threshold: bool = False
    """The clause says the figure is a limit ("NVDA is above the 25% guideline"): a threshold (an insight's
    ``threshold_weight``) may ground it too."""

    def allows(self, entry: Entry) -> bool:
        """Whether a fact (not from text) may ground a figure about this subject."""
        if self.threshold and "threshold" in entry.tokens:
            return True  # a limit is no one's figure (an insight's, keyed by its code or index)
        if self.kind is Whole.NAME:
            return self.name in entry.names
        if self.kind is Whole.PORTFOLIO:
            return not entry.names and not entry.tokens & _NOT_PORTFOLIO
        if self.kind is Whole.CASH:
            return bool(entry.tokens & lx.CASH_FACT_WORDS) and (not entry.names or "cash" in entry.tokens)
        return bool(entry.tokens & _BENCHMARK) or (
            self.comparative and bool(entry.tokens & lx.COMPARISON_FACT_WORDS) and not entry.names
        )


def subject_of(fig: Figure, index: FactIndex) -> Subject | None:
    """The subject of a figure that is no count, from the words of its clause (see the module docstring); ``None``
    when its words name none of them, or when what they name is unclear."""
    if fig.noun is not None or fig.total_row:
        return None
    clause, tail = fig.clause, fig.tail
    if not clause and not tail:
        return None
    folded = _folded(index.names)
    shouting = _shouting((*clause, *tail))
    threshold = any(w.lower() in lx.THRESHOLD_WORDS for w in (*clause, *tail))
    portfolio = weak = False
    for i in range(len(clause) - 1, -1, -1):
        word = clause[i]
        name = _name_ending(clause, i, index, folded)
        if name is not None:
            return Subject(Whole.NAME, name, threshold=threshold)
        if _cash(clause, i):
            return Subject(Whole.CASH, threshold=threshold)
        if _benchmark(clause, i, index, shouting):
            compares = any(w.lower() in lx.COMPARISON_WORDS for w in clause)
            return Subject(Whole.BENCHMARK, comparative=compares, threshold=threshold)
        low = word.lower()
        if low in lx.PORTFOLIO_WORDS or _parts_in(word, lx.PORTFOLIO_WORDS) or _total(clause, i):
            if not _contained(clause, i):
                portfolio = True
                break
            weak = True
    if not portfolio and weak and not fig.clause_cut:
        portfolio = True
    for j in range(len(tail)):
        if _cash(tail, j):
            return Subject(Whole.CASH, threshold=threshold)
    if not portfolio:
        return None
    if any(_names_part(clause, i, index, folded) for i in range(len(clause))) or any(
        _names_part(tail, j, index, folded, anywhere=True) for j in range(len(tail))
    ):
        return None  # "Your portfolio is 31.2% NVDA", "the largest position in your portfolio", "Apple stake"
    return Subject(Whole.PORTFOLIO, threshold=threshold)


def _name_ending(words: tuple[str, ...], i: int, index: FactIndex, folded: dict[str, str]) -> str | None:
    """The name from the facts' brackets that ``words[i]`` ends (one to three words), if any."""
    for size in (3, 2, 1):
        if i - size + 1 < 0:
            continue
        name = " ".join(words[i - size + 1 : i + 1])
        if name in index.names:
            return name
        found = folded.get(name.casefold())
        if found is not None:
            return found
    word = words[i]
    candidates = lx.sector_word(word)
    if candidates is not None:
        found_all = [folded[c.casefold()] for c in candidates if c.casefold() in folded]
        if len(found_all) == 1:
            return found_all[0]
    if (
        len(word) >= _MIN_PREFIX
        and word[:1].isupper()
        and not word.isupper()
        and word.isalpha()
        and word.lower() not in _NOT_NAMES
    ):
        return _prefix_name(word.casefold(), index.names)
    return None


@lru_cache(maxsize=4096)
def _prefix_name(start: str, names: frozenset[str]) -> str | None:
    """The one name not in capitals one of whose words starts with ``start`` ("Tech": Information Technology)."""
    matches = [n for n in names if not n.isupper() and any(p.startswith(start) for p in n.casefold().split())]
    return matches[0] if len(matches) == 1 else None


@lru_cache(maxsize=64)
def _folded(names: frozenset[str]) -> dict[str, str]:
    """Names not in capitals by their casefolded spelling (read only)."""
    return {n.casefold(): n for n in names if not n.isupper()}


def _cash(words: tuple[str, ...], i: int) -> bool:
    """Whether ``words[i]`` names the portfolio's cash (see the module docstring)."""
    word = words[i]
    low = word.lower()
    if low == "efectivo":
        if i == 0 or words[i - 1].lower() not in lx.CASH_EFECTIVO_BEFORE:
            return False
    elif low not in lx.CASH_WORDS and not _parts_in(word, lx.CASH_WORDS):
        return False
    if any(words[k].lower() in lx.CASH_NEGATORS or words[k].lower() in lx.CASH_INCLUDED
           for k in range(max(0, i - 2), i)):
        return False  # "excluding cash", "net of cash", "ohne Bargeld", "including cash"
    after = words[i + 1].lower() if i + 1 < len(words) else ""
    return after not in lx.CASH_NOT_BEFORE and after not in lx.CASH_INCLUDED  # "cash dividends", "cash included"


def _benchmark(words: tuple[str, ...], i: int, index: FactIndex, shouting: bool) -> bool:
    """Whether ``words[i]`` names a benchmark: an index name, "benchmark", "the market" (not "market value"), or a
    ticker symbol the facts do not have."""
    word = words[i]
    low = word.lower()
    if low in lx.BENCHMARK_WORDS:
        return not (i + 1 < len(words) and words[i + 1].lower() in lx.MARKET_NOT_BEFORE)
    if low in lx.INDEX_WORDS:
        return True
    return (
        not shouting
        and _TICKER.fullmatch(word) is not None
        and word not in index.names
        and word not in _NO_TICKERS
        and low not in _METRIC_LIKE
    )


def _total(words: tuple[str, ...], i: int) -> bool:
    """Whether ``words[i]`` is "total" of the portfolio's value: next to a word of value ("Total value", "valeur
    totale") or the whole label ("Total: $9,485.15"), not a position's "prix de revient total"."""
    if words[i].lower() not in lx.TOTAL_WORDS:
        return False
    return len(words) == 1 or any(
        words[k].lower() in lx.VALUE_WORDS for k in (i - 1, i + 1) if 0 <= k < len(words)
    )


def _contained(words: tuple[str, ...], i: int) -> bool:
    """Whether the portfolio word ``words[i]`` follows a link ("of your portfolio", "in the portfolio", "du
    portefeuille", "de la cartera"): the whole a part is measured in."""
    return any(words[k].lower() in lx.CONTAINER_LINKS for k in range(max(0, i - 2), i))


def _names_part(
    words: tuple[str, ...], i: int, index: FactIndex, folded: dict[str, str], *, anywhere: bool = False
) -> bool:
    """Whether ``words[i]`` names something within the portfolio: a name of the facts, holdings, a share or a rank, or
    a capitalised word that is no common noun (a company: "Apple"; not the clause's first word unless ``anywhere``)."""
    word = words[i]
    low = word.lower()
    if low in _PART_WORDS or _name_ending(words, i, index, folded) is not None:
        return True
    return (
        (anywhere or i > 0)
        and word[:1].isupper()
        and not word.isupper()
        and low not in _NOT_NAMES
        and not any(part in _NOT_NAMES for part in low.split("-"))
    )


def _parts_in(word: str, vocabulary: frozenset[str]) -> bool:
    """Whether a hyphenated word has a part in ``vocabulary`` ("Cash-Bestand", "Gesamt-Portfolio")."""
    return "-" in word and any(part in vocabulary for part in word.lower().split("-"))


def _shouting(words: tuple[str, ...]) -> bool:
    """Whether the words are all in capitals ("YOUR PORTFOLIO FELL"): then no word in capitals is a ticker."""
    letters = [w for w in words if len(w) > 1 and w.isalpha()]
    return len(letters) > 1 and all(w.isupper() for w in letters)

"""What a figure is about as a whole: a name of the facts, the portfolio, its cash, or a benchmark.

A figure only matches facts about what its words name. The words are those of its clause (``Figure.clause``: back to
a punctuation mark, another number or a clause joiner such as "while"/"und"; ``Figure.tail``: after it to the same
ends), read nearest first:

* a name from the facts' brackets (``NVDA``, "Information Technology"; in any case for a name not in capitals, a
  sector word of another language, or a capitalised word that starts exactly one name: "Tech") makes the figure that
  name's: only facts under it ground it ("NVDA changed 0% today" is not ``ledger.currency_effect_return``);
* a cash word (cash, Bargeld, Barmittel, Liquidität, liquidités, espèces, efectivo after "en"/"su"..., "in bar", "em
  dinheiro", liquidez; not
  after "excluding"/"ohne"/"hors"/"sin", not "cash dividends") makes it the cash's: only facts whose path says cash
  (``cash.value``, ``cash.weight``) or a rate or yield ("Your cash earns 4.3%");
* the benchmark's ticker symbol ("SPY"; the facts' ``benchmarks``, or, when they name none, any ticker symbol absent
  from the facts: two to five capitals that are no currency code nor a common abbreviation such as ETF, YTD, TWR), an
  index name ("S&P", "Russell"), "benchmark", "market" or an index noun ("the index", "l'indice de référence", "el
  índice de referencia"; not a metric's or a fund's: "Herfindahl index", "index of concentration", "index funds")
  makes it the benchmark's: only facts whose path says benchmark, or, when its clause compares ("lagged SPY by",
  "versus", "gegenüber"), an excess or alpha (``excess_return_1d``); never the portfolio's own return ("SPY fell
  2.03%" is not ``performance.return_1d``). A metric word (beta, Sharpe...) takes precedence over it;
* another ticker symbol absent from the facts ("TSLA rose 0.53%", "QQQ", when the benchmark is SPY) is about
  something no fact is about: no fact grounds the figure (a threshold may, when the clause says limit);
* a capitalised name the facts do not have, the subject of a verb right after it ("Tesla rose 0.53%", "Apple gained
  1.25%", "Tesla's return was"; not a word of the lexicon or of the facts' paths, a pronoun, a word of time, an adverb
  in -ly, nor a German noun after its article), or a listed company's name with a word for its stock after it or
  inside the clause ("Apple stock", "You hold Apple at", "L'action Apple"), is a company: the holding it is (see
  :mod:`.companies`: "Apple" AAPL, "Microsoft" MSFT; a name of several capitalised words that starts a listed
  company's name is that company: "Berkshire Hathaway", "Procter & Gamble"; one in capitals that is no listing's
  symbol too: "LVMH"), whose facts alone then ground it, and when none is, nothing ("Apple fell 2.84%" is not MSFT's
  day, "Mastercard fell 2.84%" not MSFT's, "Tesla rose 0.53%" not the benchmark's). A currency's name, or the word
  before one ("Swiss francs", "Schweizer Franken"), is no company;
* a portfolio word (portfolio, total, overall, whole, Depot, Gesamtwert, portefeuille, cartera...) makes it the
  portfolio's as a whole: only facts under no name that are not about cash, a benchmark or the largest holdings
  ("Your portfolio is worth $2,960.60" is not NVDA's value, "Your total portfolio value is $2,500" not the cash).
  Where the portfolio is only the whole a part is measured in ("31.2% of your portfolio", "NVDA's weight in your
  portfolio"), the part's words decide; such a portfolio word is the subject only when nothing else is named and no
  other number starts the clause ("The value of your portfolio is $2,960.60", but not "6.0% of the portfolio
  ($1,871.40)"). A portfolio word is no subject when the clause also names a position, sector or company, a share
  ("weight", "Anteil"), holdings ("your largest position") or a rank ("largest"), and yields to a cash word after
  the figure ("Your portfolio holds $2,500 in cash": the thing measured is the cash).

* a capitalised name that is the whole clause before a figure, maybe with a word for its stock ("Initech: +3.11%",
  "Initech position: $9,126 (40 shares × $228.15)"; no word of the lexicon: "Over 20%"), the label of its line, is a
  company too, whether or not the table knows it: no fact grounds it unless it is a held one's.

A bracket right after a figure that names one holding or company ("-2.84% (Amazon)") makes the figure that one's,
before anything its clause names; it is no aside of the figure after it ("from -2.84% (Amazon) to +3.11%").

A clause that names nothing takes the subject of its sentence before it (a holding, a listed company or the cash:
"Your cash is $3,500 — just over 7% of the portfolio"), up to a comparison verb ("Microsoft lagged Apple, losing
1.21%" is Microsoft's); one with a pronoun or a noun phrase standing for one (:data:`CARRY_NOUNS`: "The stock rose",
"Shares rose") that of the sentence before, "the former"/"the latter" the first/last it lists. A clause comparing two
holdings ("Microsoft lagged Apple by 2.08%") is the first's, or no one's when the figure is the gap between them.

The nearest of these before the figure wins ("NVDA is 31.2% of your portfolio" is NVDA's, "Cash is 26.4% of your
portfolio" the cash's); with none before it, a cash word after it ("You hold $1,977.90 in cash"). COUNT figures and
table Total rows have rules of their own (see :mod:`.matching`). Facts from text are exempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from stack_cfo.core.grounding import companies
from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.index import RAW, Entry, FactIndex
from stack_cfo.core.grounding.model import Figure, Hedge


class Whole(Enum):
    NAME = "NAME"
    PORTFOLIO = "PORTFOLIO"
    CASH = "CASH"
    BENCHMARK = "BENCHMARK"
    OTHER = "OTHER"
    """A ticker symbol neither in the facts nor the benchmark's ("TSLA rose 0.53%" when the benchmark is SPY): no
    fact is about it."""
    COMPANY = "COMPANY"
    """A company's name that stands for no held ticker symbol ("Tesla rose 0.53%" with no TSLA held; see
    :mod:`.companies`): no fact is about it."""


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
_METRIC_LIKE = (
    lx.RATIO_LABELS | lx.LOSS_LABELS | lx.CONFIDENCE_WORDS
    | frozenset(w for name in lx.METRIC_NAMES for w in name) | frozenset(lx.METRIC_NAMES.values())
)  # "TCAC +12.5 %" (CAGR in Spanish) names no ticker
#: Verbs (and "'s") after a capitalised word that make it the subject of a figure ("Tesla rose 0.53%").
_SUBJECT_VERBS = (
    lx.NEGATIVE_WORDS | lx.POSITIVE_WORDS | lx.ELIDED_COPULAS | lx.PERFORMANCE_VERBS | lx.COMPANY_VERBS
)
#: Capitalised words that are no company's name before such a verb.
_NOT_COMPANIES = (
    _NOT_NAMES | lx.NOT_COMPANY_WORDS | lx.TIME_WORDS | lx.TIME_NOUNS | lx.SUBJECT_NOUNS | lx.COUNT_UNITS
    | lx.BENCHMARK_WORDS | lx.INDEX_WORDS | lx.INDEX_NOUNS | lx.SHARE_WORDS | lx.SELECTION_WORDS | _METRIC_LIKE
    | lx.NEGATIVE_WORDS | lx.POSITIVE_WORDS | lx.CLAUSE_JOINERS | lx.PERFORMANCE_VERBS | lx.INDEX_NOT_BENCHMARK
    | lx.COMPANY_NOUNS  # "Apple Inc. fell": Inc is no company of its own
)
_MIN_PREFIX = 4
#: Noun phrases that, first in their clause, stand for a holding named before, as a pronoun does ("Look at
#: Mastercard. The stock rose 0.87% today", "Shares rose"); read as :data:`lexicon.CARRY_PRONOUNS` are.
CARRY_NOUNS: frozenset[tuple[str, ...]] = frozenset({
    ("the", "stock"), ("the", "company"), ("the", "shares"), ("the", "firm"), ("the", "name"), ("the", "position"),
    ("the", "holding"), ("the", "latter"), ("the", "former"), ("this", "stock"), ("that", "stock"), ("its", "stock"),
    ("shares",), ("die", "aktie"), ("das", "unternehmen"), ("le", "titre"), ("la", "société"), ("la", "acción"),
    ("la", "empresa"), ("el", "título"),
})
#: "the former"/"the latter": the first or the last of the things the sentence before listed.
_ORDER_WORDS = {"former": 0, "latter": -1}
#: Verbs (and "than") comparing the thing named before them with the one named after ("Microsoft lagged Apple,
#: losing 1.21%"): the figure is the first's, the second is only what it is measured against.
_COMPARISON_VERBS = lx.words("""beat beats beating outperformed outperforms outperforming underperformed
    underperforms underperforming lagged lags lagging trailed trails trailing outpaced outpaces outpacing topped
    than übertraf übertrifft schlug surperformé superó""")
#: Comparison verbs as participles opening a clause after a comma, whose subject is the clause's before it.
_PARTICIPLE_COMPARERS = lx.words("""lagging trailing beating outperforming underperforming outpacing topping
    superando""")
#: "over" compares only after a noun of a lead ("NVDA's excess over SPY"; not "over the past week").
_OVER_AFTER = frozenset({"excess", "lead", "premium", "outperformance"})
#: Words right before a figure that make it the gap between the two compared ("Microsoft lagged Apple by 2.08%").
_GAP_WORDS = frozenset({"by", "um", "de", "por"})
#: Words that may follow a company's name in a label ("Exxon Mobil Corp:", "Foo position:").
_LABEL_NOUNS = lx.COMPANY_NOUNS
_MAX_LABEL = 4
#: Names of currencies, in the languages of the lexicon: a capitalised word that is one ("Franken", "Euro"), or is
#: right before one ("Swiss francs", "Schweizer Franken", "US dollars"), is no company ("held in Swiss francs: 30
#: shares at CHF 86.42" is no label of a company "Swiss").
_CURRENCY_NOUNS = frozenset(lx.CURRENCY_WORDS) | lx.words("""franc francs franken franchi franco francos dollar
    dollars dollaro dollari dólar dólares euro euros yen yens yenes pound pounds pfund sterling libra libras livre
    livres sterline sterlina krona kronor krone kroner kronen rappen centimes cents""")
#: Verbs after a cash word that make the cash the subject of its sentence ("Your cash is $3,500 — just over 7%").
#: (with Italian and Portuguese "is": "La tua liquidità è di 2.000 $, pari al 19,65%")
_CASH_VERBS = lx.ELIDED_COPULAS | lx.COMPANY_VERBS | frozenset({"è", "é", "ammonta", "soma"})


@lru_cache(maxsize=1)
def _lexicon_words() -> frozenset[str]:
    """Every word of the lexicon's word lists ("over", "nearly", "today"): no label of a company ("Over 20%")."""
    found: set[str] = set()
    for value in vars(lx).values():
        if isinstance(value, (frozenset, dict)):
            found.update(w for w in value if isinstance(w, str))
    return frozenset(w.lower() for w in found)


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
        if self.kind in (Whole.OTHER, Whole.COMPANY):
            return False
        # a benchmark's fact: under a benchmark key, or under no name (not an insight named by its code, as
        # "insights[BASKET_LAGGING_BENCHMARK].excess_return_1w", which is its basket's)
        return bool(entry.own & _BENCHMARK) or (not entry.names and (
            bool(entry.tokens & _BENCHMARK) or (self.comparative and bool(entry.tokens & lx.COMPARISON_FACT_WORDS))
        ))


#: Words before a benchmark's name that make it the other side of a comparison ("... against +1.00% for SPY").
_BENCHMARK_SIDE = frozenset({"for", "against", "vs", "vs.", "versus", "than", "pour", "para", "für", "per", "contre",
                             "contra", "gegenüber", "de"})
#: Words that name an excess return ("an excess return of", "Überrendite", "alpha").
_EXCESS_SAID = lx.EXCESS_WORDS | lx.GAP_NOUNS | frozenset({"excess", "alpha", "active"})


def subject_of(fig: Figure, index: FactIndex) -> Subject | None:
    """The subject of a figure that is no count, from the words of its clause (see the module docstring); ``None``
    when its words name none of them, or when what they name is unclear."""
    if fig.total_row and fig.noun is None:
        return Subject(Whole.PORTFOLIO)  # "| Total | $2,500.00 |": the whole's, not a row's (or the column's sum)
    if fig.noun is not None or fig.total_row:
        return None
    clause, tail = fig.clause, fig.tail
    threshold = any(w.lower() in lx.THRESHOLD_WORDS for w in (*clause, *tail))
    if fig.respective is not None:
        # "NVDA and MSFT fell 2.64% and 2.84% respectively": the k-th figure is the k-th name's, when the words
        # before the figures list as many names as there are figures; else none is known
        rank, count, words = fig.respective
        listed = _listed(words, index, threshold=threshold)
        # "Your 2 Energy names, CVX and XOM, are worth $777 and $640 respectively": the names last listed
        return listed[len(listed) - count + rank] if len(listed) >= count else None
    if fig.bracket:
        # "-2.84% (Amazon)": a bracket right after the figure naming one holding or company makes it that one's
        listed = _listed(fig.bracket, index, threshold=threshold)
        if len(listed) == 1 and listed[0].kind in (Whole.NAME, Whole.COMPANY):
            return listed[0]
    if not clause and not tail and not fig.aside:
        return None
    found = _compared(clause, index, threshold=threshold)
    if found is None:
        found = _subject_of(clause, tail, index, threshold=threshold, cut=fig.clause_cut, anywhere=True)
    if found is not None and found.kind in (Whole.COMPANY, Whole.OTHER) and found.name is None:
        # "Novo Nordisk (NVO) fell 2.27%", "HSBC (HSBA) is worth £2,757": a company or a ticker no fact is about, with
        # the held symbol in brackets (the table's listing of the name is another one): the bracketed holding's
        symbol = fig.aside[0] if len(fig.aside) == 1 else None
        if symbol is not None and symbol.isupper() and symbol in index.members.get("positions", frozenset()):
            found = Subject(Whole.NAME, symbol, threshold=threshold)
    if found is None or found.kind is Whole.NAME or (
        found.kind is Whole.PORTFOLIO and not any(w.lower() in lx.PORTFOLIO_WORDS for w in clause)
    ):  # (a "total" after the list is its verb: "BND, AGG and TIP total $73,439.10")
        group = _listed_group(fig, index, threshold=threshold, named=found if found and found.name else None)
        if group is not None:
            return group  # "Your three bond funds, BND, AGG and TIP, total $73,439.10": the Bonds sector's
    if found is not None and found.kind is Whole.BENCHMARK and found.comparative:
        carried = _carried_comparer(fig, index, threshold=threshold)
        if carried is not None:
            return carried  # "Your Core basket rose 1.1% this week. That beat ACWI by 2.17 points": Core's gap
        if (
            clause and clause[0].lower() in _PARTICIPLE_COMPARERS and fig.antecedent
            and clause[-1].lower() in lx.BY_WORDS  # the gap right after "by", not the benchmark's own figure
        ):
            # "Your Tech basket lost 3.24% this week, lagging SPY by 4.24 points": the participle's subject is the
            # clause's before it (the basket's gap to the benchmark), not the benchmark it names
            before = _subject_of(fig.antecedent, (), index, threshold=threshold, cut=False, anywhere=True)
            if before is not None and before.kind in (Whole.NAME, Whole.COMPANY, Whole.PORTFOLIO):
                return before
    if (
        found is not None and found.kind is Whole.BENCHMARK and fig.antecedent and clause
        and clause[0].lower() in _BENCHMARK_SIDE and any(w.lower() in _EXCESS_SAID for w in clause)
    ):
        # "Your Tech basket returned -3.24% ... against +1.00% for SPY (an excess return of -4.24 percentage
        # points)": the benchmark is the other side; the excess return is the subject's before it (the server's own
        # offline sentence was flagged)
        before = _subject_of(_before_comparison(fig.antecedent, index), (), index, threshold=threshold, cut=False,
                             anywhere=True)
        if before is not None and before.kind in (Whole.NAME, Whole.COMPANY, Whole.PORTFOLIO):
            return before
    if found is None:
        found = _for_name(tail, index, threshold=threshold)  # "The biggest drop was 0.27% for NVDA"
    if found is None and not fig.clause_cut and fig.hedge is Hedge.NONE and _label_name(clause, index):
        return Subject(Whole.COMPANY)  # "Exxon: +3.11%", "Foo Corp position: $9,126": a company no fact is about
    if found is None and fig.aside:  # "Your second holding (Apple) fell 2.77%"
        found = _subject_of(fig.aside, (), index, threshold=threshold, cut=False, anywhere=True)
    if (
        found is None and fig.antecedent and not threshold and not _carries(clause)
        and not any(_subject_at(tail, j, index, threshold=False) for j in range(len(tail)))
    ):
        # "Apple, meanwhile, fell 2.84%", "The weakest name was Apple, down 2.84%": a clause that names nothing (nor
        # a limit, nor anything after the figure: "against +1.00% for SPY") is about the holding or listed company
        # its sentence named last before it (not a benchmark, more often compared with: "lagged SPY by 0.79 points
        # (-0.37% vs +0.42%)"; not a capitalised word before a verb: "Unrealised gain or loss: +900.00 USD")
        # (a group read as a holding's kind, "BP is your only Energy loser", stays the group when the figure's clause
        # names a group of its own: "..., and the sector fell 2.26%" is the Energy sector's)
        before = _subject_of(_before_comparison(fig.antecedent, index), (), index, threshold=threshold, cut=False,
                             anywhere=True, as_kind=not any(w.lower() in _GROUP_SUBJECTS for w in clause))
        if before is not None and (
            before.kind is Whole.NAME
            # "Your cash is $3,500 — just over 7%", "You hold $8,500.00 in cash, 59.87% of your portfolio"
            or (before.kind is Whole.CASH and (_cash_is(fig.antecedent) or _held_in_cash(fig.antecedent)))
            or (before.kind is Whole.COMPANY and _names_listed_company(fig.antecedent, index))
        ):
            found = before
        elif before is None and fig.hedge is Hedge.NONE and _label_name(fig.antecedent, index, noun=True):
            return Subject(Whole.COMPANY)  # "Initech position: $9,126 (40 shares × $228.15)": the label's
    if found is None and _carries(clause):
        # "NVDA fell 2.64% today, and it now makes up 31.2%": the pronoun stands for the nearest thing named before it
        # in its sentence, else for the first of the sentence before ("NVDA fell 2.64% today. It now makes up")
        order = next((_ORDER_WORDS[w.lower()] for w in clause[:3] if w.lower() in _ORDER_WORDS), None)
        if order is not None:
            # "Apple and Microsoft are your two largest holdings. The latter fell 1.21%": the last of those listed
            for words in (fig.antecedent, *fig.previous[:1]):
                listed = [
                    s for s in _listed(words, index, threshold=threshold) if s.kind in (Whole.NAME, Whole.COMPANY)
                ]
                if len(listed) > 1:
                    return listed[order]
            return Subject(Whole.OTHER)
        found = _pronoun_subject(fig, clause, index, threshold=threshold)
    if found is None and _addressed(clause, tail, index, formal=_formal_your(fig, index, threshold=threshold)):
        # "Your year-to-date return is 18.55%", "You gained €71.40 today", "Overall, you're up 0.2%": the reader's
        # whole portfolio, not whichever holding's figure happens to be equal
        return Subject(Whole.PORTFOLIO, threshold=threshold)
    return found


#: The reader addressed ("you", "your", "Ihr", "votre", "tu", "il tuo", "você"); not Spanish "su" nor German "ihr",
#: which are as often a holding's ("its", "her", "their").
#: Not French "du" (of the) nor Portuguese "seu"/"sua" (its, their, as often as your), which a portfolio word makes
#: the reader's anyway ("sua carteira"); German "Ihr" only as :func:`_formal_your` says.
_YOU = frozenset({"you", "your", "you're", "you've", "you'd", "yours", "dein", "deine", "deinem", "deinen", "deiner",
                  "deines", "vous", "votre", "vos", "tu", "ton", "ta", "tes", "tus", "tuo", "tua", "tuoi", "tue",
                  "você", "vocês", "usted"})
_FORMAL_YOU = frozenset({"Sie"})
#: Words that make "your ..." a holding or a group of them ("your largest position", "your bond ETFs", "your
#: banks"): then the clause is not about the whole portfolio.
_NOT_WHOLE_WORDS = (
    frozenset(w for w, (kind, _) in lx.COUNT_NOUNS.items() if kind in ("holdings", "stocks", "quantity", "sectors",
                                                                       "baskets", "dividends"))
    | lx.COMPANY_NOUNS | lx.SELECTION_WORDS | lx.SECTOR_NOUNS | lx.BENCHMARK_WORDS | lx.INDEX_NOUNS
    | lx.words("""basket baskets korb körbe panier paniers cesta cestas paniere group groups gruppe groupe grupo banks
        titoli azioni posizioni ações posições""")
)


def _formal_your(fig: Figure, index: FactIndex, *, threshold: bool) -> bool:
    """Whether German "Ihr..." in the figure's clause is the reader's ("your"): inside its sentence, always; as the
    sentence's first word only when the sentence before names no holding ("Die Nvidia-Aktie war schwach. Ihr Kurs
    sank" is its price)."""
    clause = fig.clause
    if not any(w in lx.FORMAL_YOUR for w in clause):
        return False
    if fig.antecedent or clause[0] not in lx.FORMAL_YOUR:
        return True
    before = _first_subject(fig.previous[0], index, threshold=threshold) if fig.previous else None
    return before is None or before.kind not in (Whole.NAME, Whole.COMPANY)


def _addressed(clause: tuple[str, ...], tail: tuple[str, ...], index: FactIndex, *, formal: bool = False) -> bool:
    """Whether a clause that names nothing is about the reader's whole portfolio: it addresses the reader, and
    nothing in it or after the figure speaks of a holding, a group of them or a benchmark, or names anything ("You
    hold 10 AAPL", "Your portfolio is 73.6% Information Technology")."""
    if not formal and not any(w.lower() in _YOU or w in _FORMAL_YOU for w in clause):
        return False
    if any(w.lower() in _NOT_WHOLE_WORDS for w in (*clause, *tail)):
        return False
    return not any(
        found is not None and found.kind is not Whole.PORTFOLIO
        for found in (_subject_at(tail, j, index, threshold=False) for j in range(len(tail)))
    )


#: Links after a figure to the name it is about ("0.27% for NVDA", "$321.60 under water on NVDA").
_FOR_WORDS = frozenset({"for", "on", "für", "pour", "para"})


def _for_name(tail: tuple[str, ...], index: FactIndex, *, threshold: bool) -> Subject | None:
    """The holding, company or benchmark named right after "for" or "on" just after a figure whose clause names none
    ("The biggest drop was 0.27% for NVDA", "only 0.34% for VOO", "about 15% upside for NVDA", "$321.60 under water
    on NVDA": up to two words may come before the link), else ``None``."""
    for k in (0, 1, 2):
        if k + 1 < len(tail) and tail[k].lower() in _FOR_WORDS:
            for j in (k + 1, k + 2):
                found = _subject_at(tail, j, index, threshold=threshold) if j < len(tail) else None
                if found is not None and found.kind in (Whole.NAME, Whole.COMPANY, Whole.BENCHMARK):
                    return found
            return None
    return None


def company_word(word: str) -> bool:
    """Whether ``word`` may be a company's name: capitalised, not in capitals, no word of the lexicon ("Wert",
    "Unrealised"); or a short name of one (``companies.ALIASES``: "J&J")."""
    low = word.lower()
    return companies.alias(word) or (
        len(word) >= 2 and word[:1].isupper() and not word.isupper() and word.replace("-", "").isalpha()
        and not low.endswith(lx.NOT_COMPANY_ENDINGS) and low not in _NOT_COMPANIES and low not in _CURRENCY_NOUNS
    )


def _currency_name(words: tuple[str, ...], i: int) -> bool:
    """Whether ``words[i]`` is a currency's name or its first word ("Franken", "Swiss" in "Swiss francs")."""
    return words[i].lower() in _CURRENCY_NOUNS or (i + 1 < len(words) and words[i + 1].lower() in _CURRENCY_NOUNS)


def _names_listed_company(words: tuple[str, ...], index: FactIndex) -> bool:
    """Whether ``words`` name a company the table of listed companies knows ("Apple", not "Unrealised")."""
    return any(_listed_company(words, i, index, anywhere=True) for i in range(len(words)))


def carries_noun(words: tuple[str, ...] | list[str]) -> bool:
    """Whether ``words`` start with a noun phrase standing for a holding named before them (:data:`CARRY_NOUNS`:
    "The stock rose", "Shares rose", "The latter fell")."""
    low = tuple(w.lower() for w in words[:4])
    size = 2 if low[:2] in CARRY_NOUNS else 1 if low[:1] in CARRY_NOUNS else 0
    # a verb right after it, or after one adverb ("The stock rose", "Shares now make up"; not "40 shares worth")
    return bool(size) and any(w in _SUBJECT_VERBS or w == "s" for w in low[size : size + 2])


#: Verbs after formal "Sie" that address the reader (auxiliaries and the verbs of holding and standing): "Sie
#: verloren" may as well be "they lost".
_SIE_VERBS = frozenset({"haben", "hätten", "sind", "wären", "würden", "können", "könnten", "liegen", "lagen",
                        "halten", "besitzen", "verfügen", "stehen", "standen"})


def _carries(words: tuple[str, ...]) -> bool:
    """Whether ``words`` have a pronoun standing for something named before them: one of
    ``lexicon.CARRY_PRONOUNS``, or as the first word one of ``lexicon.CARRY_FIRST`` ("this" and "that" with a verb
    after them: "This is 21.58%", not "this week"), or start with a noun phrase of :data:`CARRY_NOUNS`."""
    if any(w.lower() in lx.CARRY_PRONOUNS for w in words) or carries_noun(words):
        return True
    if not words or words[0].lower() not in lx.CARRY_FIRST:
        return False
    if words[0] == "Sie" and len(words) > 1 and words[1].lower() in _SIE_VERBS:
        return False  # "Sie haben heute 143,10 € verloren": the reader, not "sie" (it, she; "Sie verloren": they)
    return words[0].lower() not in ("this", "that") or (len(words) > 1 and words[1].lower() in _SUBJECT_VERBS)


def _held_in_cash(words: tuple[str, ...]) -> bool:
    """Whether ``words`` end with an amount held in cash ("You hold $8,500.00 in cash", "an Bargeld", "en
    liquidités"): the share after them ("..., 59.87% of your portfolio") is the cash's."""
    return len(words) >= 2 and words[-2].lower() in _IN_CASH and _cash(words, len(words) - 1)


_IN_CASH = frozenset({"in", "an", "en", "as"})


def _cash_is(words: tuple[str, ...]) -> bool:
    """Whether ``words`` have the cash as the subject of a verb right after it ("Your cash is", "Cash makes up"; not
    "(inkl. Barmittel) erzielte", where the cash is only included)."""
    return any(
        _cash(words, i) and words[i + 1].lower() in _CASH_VERBS for i in range(len(words) - 1)
    )


def _comparison_at(words: tuple[str, ...]) -> int | None:
    """The index of the first comparison verb in ``words`` (:data:`_COMPARISON_VERBS`) after their first word."""
    return next((k for k in range(1, len(words)) if words[k].lower() in _COMPARISON_VERBS
                 or (words[k].lower() == "over" and words[k - 1].lower() in _OVER_AFTER)), None)


def _before_comparison(words: tuple[str, ...], index: FactIndex) -> tuple[str, ...]:
    """``words`` up to a comparison verb when they name something before it ("Microsoft lagged Apple": "Microsoft",
    whose figure the sentence goes on to give), else all of them."""
    k = _comparison_at(words)
    if k is None or not any(_subject_at(words, i, index, threshold=False) for i in range(k)):
        return words
    return words[:k]


_LIST_JOINERS = frozenset({"and", "und", "et", "y", "e", "&", "plus", "sowie"})
#: Words after a list of holdings that make it the subject of the clause.
_GROUP_VERBS = _SUBJECT_VERBS | lx.words("""total totals together combined make account represent weigh sind machen
    ensemble juntos juntas insieme juntas son sont valent""")
#: Words that make listed holdings each one's, not the group's ("Both NVDA and AMD fell 2%").
_EACH = frozenset({"both", "each", "beide", "beiden", "jeweils", "chacun", "chacune", "tous", "ambos", "ambas",
                   "cada", "entrambi", "entrambe", "ciascuno", "respectively"})
_GROUP_PATH = re.compile(r"(sectors|baskets)\[([^\[\]]+)\]\.(?:positions\[([^\[\]]+)\]|position_count$)")


def _listed_group(fig: Figure, index: FactIndex, *, threshold: bool, named: Subject | None) -> Subject | None:
    """The sector or basket whose members are exactly the holdings a clause lists as its subject ("Your gold exposure
    (GLD and IAU) is worth", "Your three bond funds, BND, AGG and TIP, total", "AAPL and MSFT are worth £11,124.58
    together"): its figures are that group's, not the last-named holding's. ``None`` when the words list no such
    group, when another holding is named after the list (``named``), or when they say each ("Both NVDA and AMD")."""
    held = index.members.get("positions")
    if not held:
        return None
    run = _name_run(fig.aside, held, verb=False)
    if run is None and not fig.clause_cut:
        # (a clause cut by a number is no list's: "AAPL 33.40%, MSFT 19.25%, NVDA 17.68%" lists figures)
        run = _name_run((*fig.antecedent, *fig.clause), held)
    if run is None or (named is not None and named.name not in run):
        return None
    if any(w.lower() in _EACH for w in (*fig.antecedent, *fig.clause, *fig.tail)):
        return None
    groups = index.group_members
    if groups is None:
        groups = index.group_members = _groups_by_members(index)
    group = groups.get(run)
    return Subject(Whole.NAME, group, threshold=threshold) if group is not None else None


def _name_run(words: tuple[str, ...], held: frozenset[str], *, verb: bool = True) -> frozenset[str] | None:
    """The last list of two or more held names in ``words`` (joined by "and" or commas), with no held name after it;
    with ``verb``, only one a verb follows, as a subject ("AAPL and MSFT are worth", "BND, AGG and TIP total"), not a
    list of figures ("AAPL 33.40%, MSFT 19.25%, NVDA 17.68%": the words have no numbers)."""
    best: frozenset[str] | None = None
    run: list[str] = []
    for w in (*words, ""):
        if w in held:
            run.append(w)
        elif run and w.lower() in _LIST_JOINERS:
            continue
        else:
            if run:
                best = frozenset(run) if len(run) >= 2 and (not verb or w.lower() in _GROUP_VERBS) else None
            run = []
    return best


def _groups_by_members(index: FactIndex) -> dict[frozenset[str], str]:
    """The sectors and baskets whose members the facts list in full (as many as their ``position_count``), by their
    set of members; a set two groups share (a basket that is a sector) names the first."""
    members: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for group in index.groups(RAW):
        for entry in group.entries:
            m = _GROUP_PATH.match(entry.path)
            if m is None:
                continue
            key = f"{m.group(1)}[{m.group(2)}]"
            if m.group(3) is not None:
                members.setdefault(key, set()).add(m.group(3))
            else:
                counts[key] = int(entry.value)
    out: dict[frozenset[str], str] = {}
    for key, names in sorted(members.items()):
        if counts.get(key) == len(names) and len(names) >= 2:
            out.setdefault(frozenset(names), key[key.index("[") + 1 : -1])
    return out


def _pronoun_subject(fig: Figure, clause: tuple[str, ...], index: FactIndex, *, threshold: bool) -> Subject | None:
    """What a pronoun in ``clause`` stands for: the nearest thing named before it in its sentence, else the first of
    the sentences before (one about nothing named but a pronoun passes it on: "It is your largest holding."); no one
    fact's (``OTHER``) for a plural pronoun after a list ("MSFT and NVDA fell. They make up 52.8%")."""
    found = None
    if fig.antecedent:
        found = _subject_of(_before_comparison(fig.antecedent, index), (), index, threshold=threshold, cut=False)
    for sentence in fig.previous if found is None else ():
        if any(w.lower() in lx.PLURAL_PRONOUNS for w in clause) and len(_listed(sentence, index,
                                                                              threshold=threshold)) > 1:
            return Subject(Whole.OTHER)
        found = _first_subject(sentence, index, threshold=threshold)
        if found is not None or not _carries(sentence):
            break
    return found


def _carried_comparer(fig: Figure, index: FactIndex, *, threshold: bool) -> Subject | None:
    """For a clause whose subject is a pronoun before a verb comparing with the benchmark ("That beat ACWI by",
    "It lagged the S&P 500 by"): the holding or group the pronoun stands for (:func:`_pronoun_subject`), else
    ``None``."""
    k = _comparison_at(fig.clause)
    if k is None or k == 0 or not _carries(fig.clause[: k + 1]):
        return None
    found = _pronoun_subject(fig, fig.clause, index, threshold=threshold)
    return found if found is not None and found.kind in (Whole.NAME, Whole.COMPANY) else None


def _compared(clause: tuple[str, ...], index: FactIndex, *, threshold: bool) -> Subject | None:
    """The subject of a clause that compares a holding or company with another ("Microsoft lagged Apple, losing",
    "Apple outperformed Microsoft in"): the one named before the verb; no one's (``OTHER``) when the figure is the
    gap between them ("Microsoft lagged Apple by 2.08%"). ``None`` when the clause compares nothing so, or with a
    benchmark (see :func:`_subject_of`)."""
    k = _comparison_at(clause)
    if k is None:
        return None
    kinds = (Whole.NAME, Whole.COMPANY)
    after = _subject_of(clause[k + 1 :], (), index, threshold=threshold, cut=False, anywhere=True)
    if after is None or after.kind not in (*kinds, Whole.BENCHMARK):
        return None
    before = _subject_of(clause[:k], (), index, threshold=threshold, cut=False, anywhere=True)
    if before is None or before.kind not in kinds:
        return None
    if after.kind is Whole.BENCHMARK:
        # "ARKK lagged SPY by 10.14 points": the holding's gap to the benchmark, its own (an insight's excess),
        # not the portfolio's; a figure of its own after the comparison is the holding's too
        return before
    return Subject(Whole.OTHER) if clause[-1].lower() in _GAP_WORDS else before


def _label_name(clause: tuple[str, ...], index: FactIndex, *, noun: bool = False) -> bool:
    """Whether the clause before a figure is only a capitalised name, maybe with a word for its stock after it (with
    ``noun``, only so): the label of a line ("Exxon: +3.11%", "- Exxon Mobil: +3.11% today", "Foo position: $9,126"),
    a company whose name the facts and the table of listed companies may not know, which no fact is then about. No
    word of it, nor part of one ("Sharpe-Ratio"), is a word of the lexicon or of the facts' paths."""
    if not clause or len(clause) > _MAX_LABEL:
        return False
    nouns = 0
    for k in range(len(clause) - 1, 0, -1):
        if clause[k].lower() not in _LABEL_NOUNS:
            break
        nouns += 1
    if noun and not nouns:
        return False
    name = clause[: len(clause) - nouns]
    vocabulary = _lexicon_words()
    if any(_currency_name(name, k) for k in range(len(name))):
        return False  # "Swiss francs: 30 shares at CHF 86.42"
    return all(
        company_word(w) and w not in index.names
        and not any(part in vocabulary or part in index.tokens for part in (w.lower(), *w.lower().split("-")))
        for w in name
    )


def _listed(words: tuple[str, ...], index: FactIndex, *, threshold: bool) -> list[Subject]:
    """The subjects ``words`` list, in order, each once ("NVDA and MSFT", "Your portfolio and SPY")."""
    found: list[Subject] = []
    for i in range(len(words)):
        subject = _subject_at(words, i, index, threshold=threshold)
        if subject is None or subject in found:
            continue
        if found and subject.kind is Whole.NAME and found[-1].kind is Whole.NAME and i > 0 and (
            subject.name or ""
        ).startswith(words[i - 1]):
            found.pop()  # "Information Technology": the longer name ending here, not its first word's
        found.append(subject)
    return found


def _subject_at(words: tuple[str, ...], i: int, index: FactIndex, *, threshold: bool) -> Subject | None:
    """What ``words[i]`` names as a subject, if anything: a name, the cash, a benchmark, the portfolio (not as the
    whole a part is measured in) or a company (the held ticker it is; nothing when none is)."""
    name = _name_ending(words, i, index, _folded(index.names))
    if name is not None:
        return Subject(Whole.NAME, name, threshold=threshold)
    if _cash(words, i):
        return Subject(Whole.CASH, threshold=threshold)
    caps = _caps_company(words, i, index) if not _shouting(words) else None
    if caps is not None:
        return Subject(Whole.NAME, caps, threshold=threshold)  # "LVMH": MC
    other = _benchmark(words, i, index, _shouting(words))
    if other is not None:
        return Subject(other, threshold=threshold)
    word = words[i]
    low = word.lower()
    if (low in lx.PORTFOLIO_WORDS or _parts_in(word, lx.PORTFOLIO_WORDS)) and not _contained(words, i):
        return Subject(Whole.PORTFOLIO, threshold=threshold)
    if _company(words, i, index) or _listed_company(words, i, index, anywhere=True):
        # "Apple and Microsoft fell ... respectively": a company listed, no verb right after it
        return _company_subject(words, i, index, threshold=threshold)
    return None


def _company_subject(words: tuple[str, ...], i: int, index: FactIndex, *, threshold: bool) -> Subject:
    """The subject a company's name ``words[i]`` makes: the held ticker it stands for (see :mod:`.companies`), or
    ``COMPANY`` (no fact) when it stands for none held."""
    held = company_holding(words, i, index.names, index)
    return Subject(Whole.NAME, held, threshold=threshold) if held is not None else Subject(Whole.COMPANY)


def company_holding(
    words: tuple[str, ...], i: int, names: frozenset[str], index: FactIndex | None = None,
) -> str | None:
    """The held ticker the company named by ``words[i]`` is: from the table of listed companies when it knows the
    name ("Apple": AAPL; "Mastercard": MA, so never MSFT; "Berkshire Hathaway", "Exxon Mobil", "Deutsche Telekom": a
    name of several words the company's, when they spell the start of its name), else by its spelling ("Google":
    GOOGL). With ``index``, a held bare symbol priced in the currency of a listing abroad is that listing ("Airbus":
    "AIR" in euros; see :func:`.companies.held_among`)."""
    currency_of = _price_currency(index) if index is not None else None
    keys = _full_name(words, i)
    if keys is not None:
        return companies.held_among(keys, names, currency_of)
    word, second = _named(words, i)
    known, held = companies.held_for(word, second, names, currency_of)
    return held if known else companies.spelled_like(word, names)


def _price_currency(index: FactIndex) -> Callable[[str], str | None]:
    """A held name's price currency, from its facts (``positions[AIR].last_price`` in EUR), or ``None``: the currency
    of the first fact, in the index's order, under that name alone whose path says price (not from text). Read from
    the facts once per index (``FactIndex.price_currencies``), not once per company named."""
    currencies = index.price_currencies
    if currencies is None:
        currencies = {}
        for group in index.groups(RAW):
            for entry in group.entries:
                if (len(entry.names) == 1 and entry.currency is not None and "price" in entry.tokens
                        and not entry.from_text):
                    (name,) = entry.names
                    currencies.setdefault(name, entry.currency)
        index.price_currencies = currencies
    return currencies.get


def _full_name(words: tuple[str, ...], i: int) -> frozenset[str] | None:
    """The symbol keys of the company a run of two to four capitalised words through ``words[i]`` names, longest
    first ("Berkshire Hathaway", "Procter & Gamble", "Meta Platforms"; see :func:`.companies.named`), or ``None``."""
    for size in range(min(_MAX_LABEL, len(words)), 1, -1):
        for start in range(max(0, i - size + 1), min(i, len(words) - size) + 1):
            span = words[start : start + size]
            if all(w[:1].isupper() or companies.alias(w) for w in span) and not any(
                _currency_name(span, k) for k in range(size)
            ):
                keys = companies.named(span)
                if keys is not None:
                    return keys
    return None


def _caps_company(words: tuple[str, ...], i: int, index: FactIndex) -> str | None:
    """The held ticker a company's name written in capitals is, when it is no listing's symbol ("LVMH": "MC" priced
    in euros), else ``None``."""
    word = words[i]
    if word in index.names or len(word) < 3 or not word.isupper():
        return None
    keys = companies.spelled_company(word)
    return companies.held_among(keys, index.names, _price_currency(index)) if keys is not None else None


def _named(words: tuple[str, ...], i: int) -> tuple[str, str]:
    """A company's name at ``words[i]`` and the word after it, lowercased ("Apple-Aktie": "Apple" and "aktie")."""
    word = words[i]
    first, _, noun = word.partition("-")
    if noun.lower() in lx.COMPANY_NOUNS:
        return first, noun.lower()
    return word, words[i + 1].lower() if i + 1 < len(words) else ""


def _listed_company(words: tuple[str, ...], i: int, index: FactIndex, *, anywhere: bool = False) -> bool:
    """Whether ``words[i]`` is a company the table of listed companies knows, named without a verb after it: with
    a word for its stock after it ("Apple stock", "Apple Inc.", "Apple-Aktie"), or inside the clause ("You hold Apple
    at", "Your Tesla position", "L'action Apple", "El peso de Apple"; the clause's first word only when
    ``anywhere``). Not a word of the lexicon or of the facts' paths."""
    word, nxt = _named(words, i)
    if not (anywhere or i > 0 or nxt in lx.COMPANY_NOUNS):
        return False
    plain = word.replace("-", "").replace("'", "")
    if not companies.alias(word) and (len(word) < 2 or not word[:1].isupper() or word.isupper() or not plain.isalpha()):
        return False
    low = word.lower()
    if low.endswith(lx.NOT_COMPANY_ENDINGS) or any(
        part in _NOT_COMPANIES or part in index.tokens for part in (low, *low.split("-"))
    ):
        return False
    if i > 0 and words[i - 1].lower() in lx.GERMAN_DETERMINERS and nxt not in lx.COMPANY_NOUNS:
        return False  # "Die Deutsche ...": a German noun after its article
    if _currency_name(words, i):
        return False  # "Swiss francs"
    return companies.known(word, nxt) is not None or _full_name(words, i) is not None



def _first_subject(words: tuple[str, ...], index: FactIndex, *, threshold: bool) -> Subject | None:
    """The subject of a sentence: the first thing ``words`` name right before a verb ("Compared with MSFT, NVDA
    fell": NVDA), else the first thing they name ("Your portfolio is worth $5,435, including $500 in cash" is about
    the portfolio). A company not held included: "Tesla is popular. It rose 0.53%" is no fact's."""
    first: Subject | None = None
    for i in range(len(words)):
        subject = _subject_at(words, i, index, threshold=threshold)
        if subject is None:
            continue
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if nxt in _SUBJECT_VERBS or nxt == "s":
            return subject
        first = first or subject
    return first


def _subject_of(
    clause: tuple[str, ...], tail: tuple[str, ...], index: FactIndex, *, threshold: bool, cut: bool,
    anywhere: bool = False, as_kind: bool = True,
) -> Subject | None:
    """The subject the words of a clause before and after a figure name (see :func:`subject_of`); ``anywhere``: a
    listed company's name counts as its first word too (an aside in brackets: "(Apple)"); ``as_kind``: a group named
    as a holding's kind is the holding (:func:`_group_as_kind`)."""
    folded = _folded(index.names)
    shouting = _shouting((*clause, *tail))
    portfolio = weak = False
    for i in range(len(clause) - 1, -1, -1):
        word = clause[i]
        name = _name_ending(clause, i, index, folded)
        if name is not None:
            kind = _group_as_kind(clause, i, name, index, folded) if as_kind else name
            return Subject(Whole.NAME, kind, threshold=threshold)
        if _cash(clause, i):
            return Subject(Whole.CASH, threshold=threshold)
        caps = _caps_company(clause, i, index) if not shouting else None
        if caps is not None:
            return Subject(Whole.NAME, caps, threshold=threshold)  # "LVMH fell 6.15%": MC
        other = _benchmark(clause, i, index, shouting)
        if other is not None:
            compares = other is Whole.BENCHMARK and any(w.lower() in lx.COMPARISON_WORDS for w in clause)
            return Subject(other, comparative=compares, threshold=threshold)
        low = word.lower()
        if low in lx.PORTFOLIO_WORDS or _parts_in(word, lx.PORTFOLIO_WORDS) or _total(clause, i):
            if not _contained(clause, i):
                portfolio = True
                break
            weak = True
        elif _company(clause, i, index) or _listed_company(clause, i, index, anywhere=anywhere):
            return _company_subject(clause, i, index, threshold=threshold)
    if not portfolio and weak and not cut:
        portfolio = True
    for j in range(len(tail)):
        if _cash(tail, j):
            return Subject(Whole.CASH, threshold=threshold)
    if not portfolio:
        return None
    german = _german((*clause, *tail))
    if any(_names_part(clause, i, index, folded, german=german) for i in range(len(clause))) or any(
        _names_part(tail, j, index, folded, anywhere=True, german=german) for j in range(len(tail))
    ):
        return None  # "Your portfolio is 31.2% NVDA", "the largest position in your portfolio", "Apple stake"
    return Subject(Whole.PORTFOLIO, threshold=threshold)


#: Nouns of one holding picked out of a group by a rank or a move ("your only Energy loser", "its top Tech holding").
_ONE_HOLDING = lx.words("""loser winner holding position stock name laggard gainer performer mover faller riser pick
    share""")
#: Words between a holding and a group name that make the group the holding's kind ("BP is your only Energy loser").
_KIND_LINKS = lx.words("""is was remains remained stays stayed s your the only sole single one biggest largest
    smallest top worst best weakest strongest""")


#: Words of a group as a clause's own subject ("and the sector fell", "while the basket rose"): then a group named
#: before, in another clause, is that group, not a holding's kind.
_GROUP_SUBJECTS = lx.SECTOR_NOUNS | lx.words("""basket baskets korb panier cesta paniere group gruppe groupe grupo
    gruppo""")
_KIND_COPULAS = frozenset({"is", "was", "remains", "remained", "stays", "stayed", "s"})


def _group_as_kind(words: tuple[str, ...], i: int, name: str, index: FactIndex, folded: dict[str, str]) -> str:
    """``name``, or the holding it is the kind of: a group's name (a sector, a basket) before a noun of one holding,
    after a held position and a copula ("BP is your only Energy loser: down £306.00" is BP's, not the Energy sector's;
    :data:`_ONE_HOLDING`, :data:`_KIND_LINKS`)."""
    positions = index.members.get("positions", frozenset())
    if name in positions or i + 1 >= len(words) or words[i + 1].lower() not in _ONE_HOLDING:
        return name
    start = i - name.count(" ")
    j = start - 1
    while j >= 0 and words[j].lower() in _KIND_LINKS:
        j -= 1
    if j < 0 or not any(words[k].lower() in _KIND_COPULAS for k in range(j + 1, start)):
        return name  # "BP is your only Energy loser", not "BP and Energy losers"
    held = _name_ending(words, j, index, folded)
    return held if held is not None and held in positions else name


def _name_ending(words: tuple[str, ...], i: int, index: FactIndex, folded: dict[str, str]) -> str | None:
    """The name from the facts' brackets that ``words[i]`` ends (one to three words), if any."""
    head, _, rest = words[i].partition("-")
    if rest and head in index.names:
        return head  # "NVDA-Aktie", "NVDA-Position"
    word = words[i]
    if (
        len(word) >= 3 and word.isalpha() and word[:1].isupper() and not word.isupper()
        and word.upper() in index.names and word.lower() not in _NOT_COMPANIES
    ):
        return word.upper()  # a held ticker written as a word: "Meta", "Uber", "Etsy"
    for size in index.name_sizes:
        if size > 3 or i - size + 1 < 0:
            continue
        name = " ".join(words[i - size + 1 : i + 1]) if size > 1 else word
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
    before = lx.CASH_AFTER.get(low)
    if before is not None:  # "en efectivo", "in bar", "em dinheiro"
        if i == 0 or words[i - 1].lower() not in before:
            return False
    elif low not in lx.CASH_WORDS and not _parts_in(word, lx.CASH_WORDS) and not low.startswith(lx.CASH_PREFIXES):
        return False
    if any(words[k].lower() in lx.CASH_NEGATORS or words[k].lower() in lx.CASH_INCLUDED
           for k in range(max(0, i - 2), i)):
        return False  # "excluding cash", "net of cash", "ohne Bargeld", "including cash"
    after = words[i + 1].lower() if i + 1 < len(words) else ""
    return after not in lx.CASH_NOT_BEFORE and after not in lx.CASH_INCLUDED  # "cash dividends", "cash included"


def _benchmark(words: tuple[str, ...], i: int, index: FactIndex, shouting: bool) -> Whole | None:
    """``BENCHMARK`` when ``words[i]`` names a benchmark: an index name, "benchmark", "the market" (not "market
    value"), "the index" (not a metric's: "Herfindahl index", "indice de concentration"), or a ticker symbol the facts
    do not have that is the benchmark's (any, when the facts name no benchmark symbol); ``OTHER`` for another ticker
    symbol the facts do not have; else ``None``."""
    word = words[i]
    low = word.lower()
    if low in lx.BENCHMARK_WORDS:
        if not (i + 1 < len(words) and words[i + 1].lower() in lx.MARKET_NOT_BEFORE):
            return Whole.BENCHMARK
        return None
    if low in lx.INDEX_WORDS:
        return Whole.BENCHMARK
    if low in lx.INDEX_NOUNS:
        return None if _metric_index(words, i) else Whole.BENCHMARK
    if (
        not shouting
        and _TICKER.fullmatch(word) is not None
        and word not in index.names
        and word not in _NO_TICKERS
        and low not in _METRIC_LIKE
        and low not in _NOT_NAMES
    ):
        return Whole.OTHER if index.benchmarks and word not in index.benchmarks else Whole.BENCHMARK
    return None


def _metric_index(words: tuple[str, ...], i: int) -> bool:
    """Whether the index noun ``words[i]`` is a metric's or a fund's, not a benchmark: a word of
    ``lexicon.INDEX_NOT_BENCHMARK`` right before it, right after it, or after "of"/"de" ("Herfindahl index", "index
    funds", "index of concentration", "indice de diversification", "índice de concentración")."""
    near = [words[k].lower() for k in (i - 1, i + 1) if 0 <= k < len(words)]
    if i + 2 < len(words) and words[i + 1].lower() in lx.OF_WORDS:
        near.append(words[i + 2].lower())
    return any(w in lx.INDEX_NOT_BENCHMARK or w.split("-")[0] in lx.INDEX_NOT_BENCHMARK for w in near)


def _company(words: tuple[str, ...], i: int, index: FactIndex) -> bool:
    """Whether ``words[i]`` is a capitalised name the facts do not have that is the subject of the verb after it
    ("Tesla rose", "Apple gained", "Tesla's return", "Amazon is up"): not a word of the lexicon or of the facts'
    paths ("Income was", "Volatility rose"), a pronoun or a word of time ("It rose", "Today is"), an adverb in -ly or
    a German noun of a figure ("Tagesrendite ist"; ``lexicon.NOT_COMPANY_ENDINGS``), nor a German noun after its
    article ("Die Wochenbilanz ist")."""
    word = words[i]
    nxt = words[i + 1].lower() if i + 1 < len(words) else ""
    if nxt not in _SUBJECT_VERBS and nxt != "s":
        return False
    if not companies.alias(word) and (
        len(word) < 2 or not word[:1].isupper() or word.isupper() or not word.replace("-", "").isalpha()
    ):
        return False
    low = word.lower()
    if low.endswith(lx.NOT_COMPANY_ENDINGS) or any(
        part in _NOT_COMPANIES or part in index.tokens for part in (low, *low.split("-"))
    ):
        return False  # "Currently", "Tagesrendite", "Marktwert": an adverb, a German noun of a figure
    return not (i > 0 and words[i - 1].lower() in lx.GERMAN_DETERMINERS) and not _currency_name(words, i)


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
    words: tuple[str, ...], i: int, index: FactIndex, folded: dict[str, str], *, anywhere: bool = False,
    german: bool = False,
) -> bool:
    """Whether ``words[i]`` names something within the portfolio: a name of the facts, holdings, a share or a rank, or
    a capitalised word that is no common noun (a company: "Apple"; not the clause's first word unless ``anywhere``).
    In a German clause (``german``: every noun is capitalised, "Seit Jahresbeginn liegt Ihr Depot") only a company
    the table of listed companies knows."""
    word = words[i]
    low = word.lower()
    if low in _PART_WORDS or _name_ending(words, i, index, folded) is not None:
        return True
    if german:
        return (anywhere or i > 0) and (companies.alias(word) or companies.known(word) is not None)
    return (
        (anywhere or i > 0)
        and word[:1].isupper()
        and not word.isupper()
        and low not in _NOT_NAMES
        and not any(part in _NOT_NAMES for part in low.split("-"))
    )


def _german(words: tuple[str, ...]) -> bool:
    """Whether ``words`` are German: one of them is a German article, possessive or common verb of a figure."""
    return any(w.lower() in _GERMAN_MARKERS for w in words)


#: German words that mark a clause as German (capitalised nouns are then no names; see :func:`_names_part`).
_GERMAN_MARKERS = lx.GERMAN_DETERMINERS - {"die", "des"} | frozenset(
    {"seit", "liegt", "lag", "beträgt", "betrug", "ist", "sind", "hat", "haben", "im", "und", "mit", "auf", "zum"}
)


def _parts_in(word: str, vocabulary: frozenset[str]) -> bool:
    """Whether a hyphenated word has a part in ``vocabulary`` ("Cash-Bestand", "Gesamt-Portfolio")."""
    return "-" in word and any(part in vocabulary for part in word.lower().split("-"))


def _shouting(words: tuple[str, ...]) -> bool:
    """Whether the words are all in capitals ("YOUR PORTFOLIO FELL"): then no word in capitals is a ticker."""
    letters = [w for w in words if len(w) > 1 and w.isalpha()]
    return len(letters) > 1 and all(w.isupper() for w in letters)


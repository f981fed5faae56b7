"""Line and markdown-table context for offsets visited in increasing order.

A :class:`Layout` answers, for a position in the (normalised) text: where its line starts, and
whether it sits in the body of a markdown table and which column's header it falls under. Both
answers are computed incrementally (each character is looked at a bounded number of times over a
whole scan), which keeps extraction linear even for one very long line or a huge table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from stack_cfo.core.grounding.lexicon import COUNT_NOUNS, CURRENCY_CODES, CURRENCY_SYMBOLS, words

_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)
_BODY = re.compile(r"(?:[^\n]*\|[^\n]*(?:\n|\Z))*")
_HEADER_WORD = re.compile(r"[a-z&/%]+")
_HEADER_CODE = re.compile(r"\b[A-Z]{3,4}\b")
_CONTEXT_WORD = re.compile(r"[^\W\d_][\w&/-]*(?:\.[A-Z]+)?")  # any letters: "Nestlé", "L'Oréal", "Münchener"

_PERCENT_HEADERS = frozenset({"%", "percent", "pct", "weight", "weights", "return", "returns", "allocation", "share"})
_AMOUNT_HEADERS = frozenset({"value", "amount", "p&l", "pnl", "price", "cost", "gain", "loss", "balance", "cash"})
_RATIO_HEADERS = frozenset({"sharpe", "sortino", "beta", "ratio", "calmar"})
_RANK_HEADERS = frozenset({"#", "rank", "no", "no.", "№", "n°"})
#: Headers of a column of counts ("Count", "# Positions", "Anzahl", "Nombre"): a bare number below one counts the
#: positions its row names (see ``extract._Scanner._listed_name``).
_COUNT_HEADERS = frozenset({"count", "positions", "holdings", "anzahl", "positionen", "nombre", "lignes",
                            "número", "posiciones"})
#: Words of a header or a row label that name the period of the changes in its column or row (``Column.period``,
#: :meth:`Layout.period`), as ``extract._period_of`` names them: ``1d``, ``1w``, ``1m``, ``ytd``; ``prior`` for the
#: day before (no fact is of it); ``span`` for a window no fact is of ("1Y", "12M", "6M": a figure under it is no day's,
#: week's, month's nor year-to-date change).
_PERIOD_WORDS = {
    **dict.fromkeys(words("""today 1d 1-day 1day day daily intraday 24h heute tag tages 1t aujourd'hui jour 1j quotidien
        quotidienne journalier journalière hoy día dia diario diaria"""), "1d"),
    **dict.fromkeys(words("""1w 1wk 1-week week weekly wtd 5d 7d woche wöchentlich semaine hebdo hebdomadaire 1s semana
        semanal"""), "1w"),
    **dict.fromkeys(words("""1m 1mo 1mth 1-month month monthly mtd 30d monat monatlich mois mensuel mensuelle mes
        mensual"""), "1m"),
    **dict.fromkeys(words("ytd year jahr jahresbeginn année annee año"), "ytd"),
    **dict.fromkeys(words("yesterday gestern ayer ieri ontem"), "prior"),
}
#: Windows of a header no fact is of (not in a row label, where "3M" is the company).
_SPAN_HEADERS = words("1y 1yr 12m 12mo 52w 2y 3y 5y 10y 3m 3mo 6m 6mo")
#: Words that may stand with a period word in a label naming only a period ("This week", "Year to date", "Seit
#: Jahresbeginn", "Depuis le début de l'année", "En lo que va de año", "1D return"): left out of the label's words with
#: it (the period is the cell's, see :meth:`Layout.period`; "this" would read as a pronoun, "YTD" as a name).
_PERIOD_FILLERS = words("""this the last past over current to date so far seit diese dieser diesen in laufende laufendes
    depuis le début de l cette ce ci en lo que va el este esta return returns change chg perf performance rendite
    veränderung änderung rendement variation rentabilidad variación cambio""")
_PERIOD_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
#: Words of a row label that say the row sums the rows above it ("| Combined | 31.85% |", "| Gesamt | ... |"), alone or
#: before tickers: its label reads as "Total" (see :meth:`Layout.row_label`), the word of a sum row.
_SUM_LABELS = words("""total totals sum subtotal combined summe gesamt gesamtsumme insgesamt zwischensumme somme
    sous-total suma totale""")


class ColumnKind(Enum):
    PERCENT = "PERCENT"
    AMOUNT = "AMOUNT"
    RATIO = "RATIO"
    RANK = "RANK"
    COUNT = "COUNT"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column as its header describes it."""

    kind: ColumnKind | None
    currency: str | None = None
    words: tuple[str, ...] = ()
    """The header's words (``Max drawdown``), context for the figures below it; not those naming its period."""
    period: str | None = None
    """The period the header names ("Today", "1D", "Heute", "This month", "MTD", "1W", "YTD"; see
    :data:`_PERIOD_WORDS`): the changes below it are of that period."""
    noun: str | None = None
    """For a count column: the counted noun its header says ("Positions", "# Holdings"), if any."""


@dataclass(frozen=True, slots=True)
class _Table:
    start: int
    end: int
    columns: tuple[Column, ...]


def period_of(cell: str, *, header: bool = False) -> tuple[str | None, tuple[str, ...]]:
    """The period a header or row label names (see :data:`_PERIOD_WORDS`; ``None`` for none, or for two different
    ones), and its words without those of the period phrase."""
    words = tuple(_CONTEXT_WORD.findall(cell))
    low = cell.lower()
    if not any(ch.isalpha() for ch in low):
        return None, words
    tokens = [t.replace("’", "'") for t in _PERIOD_TOKEN.findall(low)]
    found = {_PERIOD_WORDS[t] for t in tokens if t in _PERIOD_WORDS}
    if header:
        found |= {"span" for t in tokens if t in _SPAN_HEADERS}
    if len(found) != 1:
        return None, words
    period = found.pop()
    # "1D": _CONTEXT_WORD reads "D"; "aujourd'hui": "aujourd", "hui"; "l'année": "l", "année"
    drop = {p for t in tokens if t in _PERIOD_WORDS or t in _SPAN_HEADERS for p in re.split(r"['’0-9-]+", t)}
    return period, tuple(w for w in words if w.lower() not in drop and w.lower() not in _PERIOD_FILLERS)


def classify_header(cell: str) -> Column:
    """What a table header says about the bare numbers below it (``Weight (%)``, ``Value (EUR)``, ``#``)."""
    text = cell.strip().strip("*_` ")
    low = text.lower()
    period, context = period_of(text, header=True)
    if low in _RANK_HEADERS:
        return Column(ColumnKind.RANK)
    currency = next((code for sym, code in CURRENCY_SYMBOLS.items() if len(sym) == 1 and sym in text), None)
    if currency is None:
        currency = next((c for c in _HEADER_CODE.findall(text) if c in CURRENCY_CODES), None)
    if currency is not None:
        return Column(ColumnKind.AMOUNT, currency, context, period)
    words = set(_HEADER_WORD.findall(low))
    if "%" in low or words & _PERCENT_HEADERS:
        return Column(ColumnKind.PERCENT, None, context, period)
    if words & _AMOUNT_HEADERS:
        return Column(ColumnKind.AMOUNT, None, context, period)
    if words & _RATIO_HEADERS:
        return Column(ColumnKind.RATIO, None, context, period)
    plain = low.replace("#", " ").split()
    if set(plain) & _COUNT_HEADERS:
        noun = next((w for w in plain if w in COUNT_NOUNS), None)
        return Column(ColumnKind.COUNT, None, context, period, noun)
    return Column(None, None, context, period)


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return body.split("|")


def _tables(text: str) -> list[_Table]:
    if "|" not in text or "-" not in text:
        return []
    tables: list[_Table] = []
    for sep in _SEPARATOR.finditer(text):
        if "|" not in sep.group() or sep.start() == 0 or (tables and sep.start() < tables[-1].end):
            continue
        header_end = sep.start() - 1
        header_start = text.rfind("\n", 0, header_end) + 1
        body_start = min(sep.end() + 1, len(text))
        body = _BODY.match(text, body_start)
        end = body.end() if body else body_start
        columns = tuple(classify_header(c) for c in _cells(text[header_start:header_end]))
        tables.append(_Table(body_start, end, columns))
    return tables


class Layout:
    """Context for a sequence of non-decreasing positions in one text."""

    __slots__ = (
        "_count", "_count_pos", "_lead", "_line_start", "_row_label", "_row_period", "_seen", "_table_index",
        "_tables", "_text", "cell",
    )

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_start = 0
        self._seen = 0
        self._tables = _tables(text)
        self._table_index = 0
        self._count = 0
        self._count_pos = 0
        self._lead = 0
        self._row_label: tuple[str, ...] = ()
        self._row_period: str | None = None
        self.cell: tuple[int, int] | None = None
        """(table start offset, column index) of the position last passed to :meth:`column`."""

    def line_start(self, pos: int) -> int:
        """Offset of the first character of the line holding ``pos``."""
        if pos > self._seen:
            nl = self._text.rfind("\n", self._seen, pos)
            if nl >= 0:
                self._line_start = nl + 1
            self._seen = pos
        return self._line_start

    def in_table(self, pos: int) -> bool:
        return self._table_at(pos) is not None

    def column(self, pos: int) -> Column | None:
        """The classified header of the table column holding ``pos``, if ``pos`` is in a table body."""
        table = self._table_at(pos)
        self.cell = None
        if table is None:
            return None
        line = self.line_start(pos)
        if self._count_pos < line:
            self._count_pos = line
            self._count = 0
            stripped = self._text[line : line + 8].lstrip(" \t")
            self._lead = 1 if stripped.startswith("|") else 0
            line_end = self._text.find("\n", line)
            first = _cells(self._text[line : line_end if line_end >= 0 else len(self._text)])[0]
            self._row_period, label = period_of(first)
            if label and label[0].lower() in _SUM_LABELS and all(w.isupper() for w in label[1:]):
                # "| Combined | 31.85% |", "| Gesamt |", "| Combined (AAPL + MSFT) |": a sum row; not "Combined
                # weight of the top 5", a figure of its own
                label = ("Total", *label[1:])
            self._row_label = label
        if pos > self._count_pos:
            self._count += self._text.count("|", self._count_pos, pos)
            self._count_pos = pos
        index = self._count - self._lead
        self.cell = (table.start, index)
        return table.columns[index] if 0 <= index < len(table.columns) else None

    def row_label(self, pos: int) -> tuple[str, ...]:
        """The words of the first cell of the table row holding ``pos`` (call :meth:`column` first), without those
        naming its period ("| YTD | +10.20% | +9.04% |" under "| Metric | Portfolio | SPY |": the last cell is SPY's,
        of the period :meth:`period` gives); a label of a sum row ("Combined", "Sum", "Gesamt") reads "Total"."""
        return self._row_label if self._table_at(pos) is not None else ()

    def period(self, pos: int) -> str | None:
        """The period of the table cell holding ``pos`` (call :meth:`column` first): its column header's ("| Holding
        | Today |", "| Ticker | Weight | 1D |", "| This month |"), else its row label's ("| Week | -0.61% |")."""
        if self.cell is None or self._table_at(pos) is None:
            return None
        table = self._tables[self._table_index]
        index = self.cell[1]
        column = table.columns[index] if 0 <= index < len(table.columns) else None
        if column is not None and column.period is not None:
            return column.period
        return self._row_period

    def _table_at(self, pos: int) -> _Table | None:
        tables = self._tables
        while self._table_index < len(tables) and tables[self._table_index].end <= pos:
            self._table_index += 1
        if self._table_index < len(tables) and tables[self._table_index].start <= pos:
            return tables[self._table_index]
        return None

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

from stack_cfo.core.grounding.lexicon import CURRENCY_CODES, CURRENCY_SYMBOLS

_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)
_BODY = re.compile(r"(?:[^\n]*\|[^\n]*(?:\n|\Z))*")
_HEADER_WORD = re.compile(r"[a-z&/%]+")
_HEADER_CODE = re.compile(r"\b[A-Z]{3,4}\b")
_CONTEXT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&/_-]*(?:\.[A-Z]+)?")

_PERCENT_HEADERS = frozenset({"%", "percent", "pct", "weight", "weights", "return", "returns", "allocation", "share"})
_AMOUNT_HEADERS = frozenset({"value", "amount", "p&l", "pnl", "price", "cost", "gain", "loss", "balance", "cash"})
_RATIO_HEADERS = frozenset({"sharpe", "sortino", "beta", "ratio", "calmar"})
_RANK_HEADERS = frozenset({"#", "rank", "no", "no.", "№", "n°"})
#: Headers of a column of counts ("Count", "# Positions", "Anzahl", "Nombre"): a bare number below one counts the
#: positions its row names (see ``extract._Scanner._listed_name``).
_COUNT_HEADERS = frozenset({"count", "positions", "holdings", "anzahl", "positionen", "nombre", "lignes",
                            "número", "posiciones"})


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
    """The header's words (``Max drawdown``), context for the figures below it."""


@dataclass(frozen=True, slots=True)
class _Table:
    start: int
    end: int
    columns: tuple[Column, ...]


def classify_header(cell: str) -> Column:
    """What a table header says about the bare numbers below it (``Weight (%)``, ``Value (EUR)``, ``#``)."""
    text = cell.strip().strip("*_` ")
    low = text.lower()
    context = tuple(_CONTEXT_WORD.findall(text))
    if low in _RANK_HEADERS:
        return Column(ColumnKind.RANK)
    currency = next((code for sym, code in CURRENCY_SYMBOLS.items() if len(sym) == 1 and sym in text), None)
    if currency is None:
        currency = next((c for c in _HEADER_CODE.findall(text) if c in CURRENCY_CODES), None)
    if currency is not None:
        return Column(ColumnKind.AMOUNT, currency, context)
    words = set(_HEADER_WORD.findall(low))
    if "%" in low or words & _PERCENT_HEADERS:
        return Column(ColumnKind.PERCENT, None, context)
    if words & _AMOUNT_HEADERS:
        return Column(ColumnKind.AMOUNT, None, context)
    if words & _RATIO_HEADERS:
        return Column(ColumnKind.RATIO, None, context)
    if set(low.replace("#", " ").split()) & _COUNT_HEADERS:
        return Column(ColumnKind.COUNT, None, context)
    return Column(None, None, context)


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
        "_count", "_count_pos", "_lead", "_line_start", "_row_label", "_seen", "_table_index", "_tables", "_text",
        "cell",
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
            self._row_label = tuple(_CONTEXT_WORD.findall(first))
        if pos > self._count_pos:
            self._count += self._text.count("|", self._count_pos, pos)
            self._count_pos = pos
        index = self._count - self._lead
        self.cell = (table.start, index)
        return table.columns[index] if 0 <= index < len(table.columns) else None

    def row_label(self, pos: int) -> tuple[str, ...]:
        """The words of the first cell of the table row holding ``pos`` (call :meth:`column` first)."""
        return self._row_label if self._table_at(pos) is not None else ()

    def _table_at(self, pos: int) -> _Table | None:
        tables = self._tables
        while self._table_index < len(tables) and tables[self._table_index].end <= pos:
            self._table_index += 1
        if self._table_index < len(tables) and tables[self._table_index].start <= pos:
            return tables[self._table_index]
        return None

"""Reading transaction files for ``stack-cfo import-transactions``: rows in, :class:`TransactionInput`
out, each with the line it came from. Pure (text in, no I/O), so the same rows go through the
same service method as ``BatchCreateTransactions``.

**The stack-cfo CSV** (``--format csv``): a header line, then one transaction per line, comma
separated (RFC 4180 quoting)::

    date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note
    2024-01-02,DEPOSIT,,,,10000,USD,,,dep-1,
    2024-01-02,BUY,AAPL,10,185.64,,USD,1,,buy-1,first lot

``date`` is ISO 8601 (``YYYY-MM-DD``); ``type`` one of BUY, SELL, DIVIDEND, INTEREST, FEE, TAX,
SPLIT, DEPOSIT, WITHDRAWAL, TRANSFER_IN, TRANSFER_OUT; the other columns as the contract's
``Transaction`` (empty = not given; ``id`` is the client id that makes re-imports harmless); numbers
are the contract's decimal strings (``185.64``: no exponent, no separators, at most 18 digits after
the point), as ``BatchCreateTransactions`` takes them; spaces around a value (a spreadsheet's
`` 100 ``, which the API itself refuses) are ignored, a note's kept as written. A row without an ``id``
gets ``csv-`` and a digest of its other cells as read (numbers by value, no fees as 0, an empty
currency as the portfolio's base currency but a SPLIT's as empty; ``#2``, ``#3``... appended for the
second, third... identical row of the file), as a Ghostfolio activity does: importing the file
again, or with its currency cells emptied or filled in with the base currency, records nothing
twice, and two identical rows stay two.
Rows the previous release recorded (its digest took the currency cell as written) are found under
their ids: :func:`digest_ids` lists them (:attr:`ImportedRow.known_as`), :func:`as_recorded` picks.
Columns may come in any order; unknown columns, and a column named twice, are an error. A quoted cell
may span lines (a note of several lines), but one that swallows a line reading as a row of its own
(date and type where the header puts them, as many cells as the header), or a quote still open at the
end of the file, is a quote left unclosed: an error naming the line it opened on.

**Ghostfolio's export** (``--format ghostfolio``): the JSON written by Ghostfolio's "Export"
(``{"meta": ..., "activities": [{"type", "symbol", "date", "quantity", "unitPrice", "fee",
"currency", "comment", ...}]}``). BUY and SELL map one to one; DIVIDEND and INTEREST become an
amount of quantity x unitPrice; FEE an amount of ``fee`` (or quantity x unitPrice). Its numbers are
JSON floats (``1e-05``), read as decimals and rounded half-even to 18 fractional digits where they
(or a product) have more. Other types
(ITEM, LIABILITY) are refused. The client id is Ghostfolio's ``id`` when present, else a digest of
the activity (``#2``, ``#3``... appended for the second, third... identical activity of the file), so
exporting and importing again does not double anything, and two identical activities stay two.
A ``date`` is a timestamp whose calendar date as written is the trade date; one with a time of day
other than midnight (Ghostfolio writes local midnight in UTC: ``2024-01-02T23:00:00.000Z`` for a
trade on the 3rd in Central Europe) is reported by ``warnings``: its date may be a day early.

**Order.** Rows of one date are recorded (and replayed: a SELL needs the units held that day) in the
order given to the service. A file listed newest first (a broker's export: its dates never increase
down the file, and at least two differ) is given oldest first, reversed, so that a day's BUY listed
below its SELL comes first; a file in ascending or mixed order, or of one date, keeps its order. So
too a Ghostfolio export (older versions of Ghostfolio export newest first, newer ones oldest first).
:func:`parse` returns the rows in the file's order; the command applies :func:`oldest_first`. Every row
keeps its line of the file.

Errors name the line (1-based, of the file) and the column (and, in a Ghostfolio export, the
activity: ``activities[2]``, since a minified export is all on line 1): :class:`ImportError_`. Rows
the service refuses are reported the same way, every one of them (:func:`problem_lines`). With
``keep_malformed``, a cell that does not read (a number, a date, a type) refuses its row only: the row
is kept with its problem (:attr:`ImportedRow.problem`), which the service reports with every problem
of the other rows (:func:`malformed_problems`); what breaks the file's structure (the header, a row's
number of cells, a quote left open, JSON that does not parse) still stops the reading.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from stack_cfo.core.decimals import DECIMAL_STRING, MAX_FRACTION_DIGITS, WIDE
from stack_cfo.core.errors import FieldViolation, InvalidArgument
from stack_cfo.core.portfolio.transactions import TransactionInput, TransactionType

CSV_COLUMNS = ("date", "type", "symbol", "quantity", "price", "amount", "currency", "fees", "split_ratio", "id",
               "note")
#: Our column (the contract's field) for each CSV column.
CSV_FIELDS = {"date": "trade_date", "type": "type", "symbol": "symbol", "quantity": "quantity", "price": "price",
              "amount": "amount", "currency": "currency", "fees": "fees", "split_ratio": "split_ratio",
              "id": "client_id", "note": "note"}


class ImportError_(Exception):
    """A bad row: where it is and what is wrong."""

    def __init__(self, line: int, column: str, message: str, reason: str = "INVALID_ROW", *, item: str = "") -> None:
        super().__init__(f"line {line}, {column}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.reason = reason
        #: The element of the file the row is (``activities[2]`` of a Ghostfolio export), or "".
        self.item = item

    @property
    def where(self) -> str:
        """The column, with the element of the file when known: ``currency (activities[2])``."""
        return f"{self.column} ({self.item})" if self.item else self.column

    def __str__(self) -> str:
        return f"line {self.line}, {self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportedRow:
    line: int
    transaction: TransactionInput
    #: The contract field -> the file's name for it (to report errors in the file's terms).
    columns: dict[str, str]
    #: A cell of the row that does not read (``keep_malformed``); ``transaction`` is then a placeholder.
    problem: ImportError_ | None = None
    #: The element of the file the row is (``activities[2]`` of a Ghostfolio export), or "".
    item: str = ""
    #: The client id is a digest of the CSV row (the file gave none): :func:`digest_ids` sets it.
    digested: bool = False
    #: The client ids the row may already be recorded under, in order of preference (the id the
    #: previous release gave it in this file, its own id, the previous release's for the file with the
    #: base currency's cells emptied); empty when it has one id only (:func:`as_recorded`).
    known_as: tuple[str, ...] = ()


#: The transaction of a row whose cells do not read (never checked nor written: the row is refused).
_UNREAD = TransactionInput(type=None, trade_date=None)


_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)


def _decimal(text: str, line: int, column: str) -> Decimal | None:
    """A cell of the stack-cfo CSV: a decimal string as the contract's (``1234.56``: ASCII digits, no
    exponent or separators, at most 18 digits after the point), surrounding spaces allowed."""
    text = text.strip()
    if not text:
        return None
    if not DECIMAL_STRING.fullmatch(text):
        raise ImportError_(line, column, f"{text[:40]!r} is not a decimal number like 1234.56 (no exponent, "
                           f"at most {MAX_FRACTION_DIGITS} digits after the point)", "INVALID_DECIMAL")
    return Decimal(text)


def _json_number(value: object, line: int, column: str) -> Decimal | None:
    """A number of a JSON export (Ghostfolio writes floats: ``1e-05``, ``185.64``), as a Decimal of at
    most 18 fractional digits (a float's shortest repr rarely has more; those are rounded half-even)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ImportError_(line, column, f"{str(value)[:40]!r} is not a number", "INVALID_DECIMAL")
    text = str(value).strip()
    try:
        number = Decimal(text) if text.isascii() else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ImportError_(line, column, f"{text[:40]!r} is not a finite number", "INVALID_DECIMAL")
    return _places(number)


def _places(value: Decimal) -> Decimal:
    """``value`` with at most 18 fractional digits (the contract's limit), rounded half-even."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
        return value.quantize(_QUANTUM, context=WIDE)
    return value


def _type(text: str, line: int, column: str) -> TransactionType:
    try:
        return TransactionType(text.strip().upper())
    except ValueError:
        raise ImportError_(line, column, f"{text[:40]!r} is not a transaction type", "INVALID_ENUM") from None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch


def _date(text: str, line: int, column: str, *, timestamp: bool = False) -> date:
    """A ``YYYY-MM-DD`` cell, exactly (``2024-01-0299`` or ``20240103`` are typos, not dates); with
    ``timestamp``, also a whole ISO 8601 timestamp (Ghostfolio's ``2024-01-02T00:00:00.000Z``), whose
    calendar date as written is the trade date."""
    cell = text.strip()
    try:
        if _ISO_DATE(cell):
            return date.fromisoformat(cell)
        if timestamp and len(cell) > 10 and cell[10] == "T":
            datetime.fromisoformat(cell)  # the whole of it must be a timestamp
            return date.fromisoformat(cell[:10])
    except ValueError:
        pass
    raise ImportError_(line, column, f"{text[:40]!r} is not a YYYY-MM-DD date", "INVALID_DATE")


_BREAK = re.compile(r"\r\n|\r|\n")
#: What changes the state of a CSV reader: a quote, a comma, a line break.
_CSV_TOKEN = re.compile(r'\r\n|[",\r\n]')


def _breaks(text: str) -> int:
    return len(_BREAK.findall(text))


def _quote_open_at_end(text: str, start: int) -> tuple[int, int] | None:
    """Where a quote opened at or after ``start`` (the beginning of a record) is still open at the
    end of ``text``: (its offset, the index of its cell in the record), else ``None``. Follows
    :func:`csv.reader` (not strict): a quote opens a quoted cell only as the cell's first character;
    in it ``""`` is a quote; after its closing quote, other characters make the rest of the cell
    unquoted (where a quote is just a character)."""
    state, cell, cell_start, opened, closed = "unquoted", 0, start, -1, -1
    for m in _CSV_TOKEN.finditer(text, start):
        token, at = m.group(), m.start()
        if state == "quoted":
            if token == '"':
                state, closed = "closed", at
            continue
        if state == "closed" and at != closed + 1:
            state = "unquoted"  # characters after the closing quote
        if token == '"':
            if state == "closed":  # "" inside a quoted cell
                state = "quoted"
            elif at == cell_start:
                state, opened = "quoted", at
        elif token == ",":
            state, cell, cell_start = "unquoted", cell + 1, m.end()
        else:  # a line break: the next record
            state, cell, cell_start = "unquoted", 0, m.end()
    return (opened, cell) if state == "quoted" else None


def _reads_as_row(line: str, header: list[str]) -> bool:
    """``line`` alone is a row of the file: as many cells as the header, a date and a type where
    the header puts them."""
    try:
        cells = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    if len(cells) != len(header):
        return False
    cell = dict(zip(header, cells, strict=True))
    try:
        _date(cell["date"], 0, "date")
        _type(cell["type"], 0, "type")
    except ImportError_:
        return False
    return True


def _swallowed_row(record: list[str], header: list[str], line: int) -> ImportError_ | None:
    """A quoted cell of ``record`` (which starts on ``line``) that runs over a line reading as a row
    of its own: a quote left unclosed, which took the rows after it into the cell."""
    for i, value in enumerate(record):
        parts = _BREAK.split(value)
        for k, part in enumerate(parts[1:], start=1):
            if _reads_as_row(part, header):
                opened = line + sum(_breaks(c) for c in record[:i])
                return ImportError_(opened, header[i], f"unclosed quote: the quote opened on line {opened} runs "
                                    f"over line {opened + k}, which reads as a row of its own (close the quote; a "
                                    'quote inside a quoted cell is written twice: "")')
    return None


class _DigestIds:
    """The client id of a row without one: ``prefix`` and a digest of its content, with ``#2``, ``#3``...
    appended for the second, third... identical row of the file (identical rows stay distinct rows), so
    importing the same file again finds every row already recorded."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._seen: dict[str, int] = {}

    def __call__(self, content: object) -> str:
        digest = self._prefix + hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()
                                               ).hexdigest()[:32]
        n = self._seen[digest] = self._seen.get(digest, 0) + 1
        # the first keeps the bare digest (a Ghostfolio export's id before the count existed)
        return digest if n == 1 else f"{digest}#{n}"


def _by_value(number: Decimal | None) -> str:
    """A decimal as text by its value (``10``, ``10.0`` and ``10.00`` alike: the service compares
    the content of two records of one client id by value)."""
    if number is None:
        return ""
    if number == 0:
        return "0"
    return format(number.normalize(WIDE), "f")


def _csv_content(t: TransactionInput, base_currency: str = "") -> dict[str, str]:
    """What a CSV row's digest id is made of: its cells as read (every column but ``id``), numbers by
    value, no fees as fees of 0 and an empty currency as ``base_currency`` (as the service compares two
    records of one client id; a SPLIT's empty currency is its symbol's, which the file does not say, so
    it stays empty), so the same row re-saved by a spreadsheet (``10.0`` for ``10``, columns in another
    order, ``msft`` for ``MSFT``: symbols are compared in capitals everywhere; ``USD`` written in or
    left out when it is the base currency) keeps its id. With ``base_currency`` empty, the previous
    release's digest (the currency as written)."""
    assert t.type is not None and t.trade_date is not None
    currency = t.currency or ("" if t.type is TransactionType.SPLIT else base_currency)
    return {"date": t.trade_date.isoformat(), "type": t.type.value, "symbol": t.symbol.upper(),
            "quantity": _by_value(t.quantity), "price": _by_value(t.price), "amount": _by_value(t.amount),
            "currency": currency, "fees": _by_value(t.fees or Decimal(0)),
            "split_ratio": _by_value(t.split_ratio), "note": t.note}


def digest_ids(rows: Sequence[ImportedRow], base_currency: str) -> list[ImportedRow]:
    """``rows`` (of :func:`parse_csv`, in any order) with the client ids of the rows the file gave none
    digested with ``base_currency`` (the portfolio's, or the one an import creates it in), and the ids
    the previous release gave them (:attr:`ImportedRow.known_as`): the currency as written, and, as
    for a file whose cells of the base currency were empty, ``""``. ``#2``, ``#3``... count identical
    rows in the file's order."""
    base = base_currency.strip().upper()
    own, written, emptied = _DigestIds("csv-"), _DigestIds("csv-"), _DigestIds("csv-")
    out = list(rows)
    for i in sorted(range(len(out)), key=lambda k: out[k].line):  # the file's order
        row = out[i]
        if not row.digested:
            continue
        t = row.transaction
        client = own(_csv_content(t, base))
        empty = t.currency in ("", base) and t.type is not TransactionType.SPLIT
        ids = (written(_csv_content(t)), client,
               emptied(_csv_content(dataclasses.replace(t, currency="") if empty else t)))
        known = tuple(dict.fromkeys(ids))
        out[i] = dataclasses.replace(row, transaction=_with_client(t, client),
                                     known_as=known if len(known) > 1 else ())
    return out


def as_recorded(rows: Sequence[ImportedRow], recorded: Collection[str]) -> list[ImportedRow]:
    """``rows`` (of :func:`digest_ids`), each under the first of its :attr:`~ImportedRow.known_as` ids
    that is ``recorded`` (the client ids of the user's ledger among them) and that no other row of the
    file is under, else its own: a row the previous release recorded is found again, not recorded twice."""
    out = list(rows)
    taken = {r.transaction.client_id for r in out if r.transaction.client_id and not r.known_as}
    for i in sorted(range(len(out)), key=lambda k: out[k].line):
        row = out[i]
        if not row.known_as:
            continue
        client = next((c for c in row.known_as if c in recorded and c not in taken), row.transaction.client_id)
        taken.add(client)
        out[i] = dataclasses.replace(row, transaction=_with_client(row.transaction, client))
    return out


def parse_csv(text: str, *, keep_malformed: bool = False, base_currency: str = "") -> list[ImportedRow]:
    """The stack-cfo CSV (see the module doc); ``base_currency``: what an empty currency cell means in
    the digest ids (:func:`digest_ids`; the importer digests again once it knows the portfolio's)."""
    # newline="": records end at \r\n, \r or \n (so line numbers count those), and a line break inside
    # a quoted cell is kept as written
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportError_(1, "header", "the file is empty") from None
    except csv.Error as exc:
        raise ImportError_(1, "header", f"is not valid CSV ({exc})") from None
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in header[0]:
                raise ImportError_(1, "header", f"the columns are separated by {name}; the file must be "
                                   "comma-separated (RFC 4180)")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ImportError_(1, unknown[0], f"unknown column (expected {', '.join(CSV_COLUMNS)})")
    twice = next((h for i, h in enumerate(header) if h in header[:i]), None)
    if twice is not None:
        raise ImportError_(1, twice, "column appears twice")
    for required in ("date", "type"):
        if required not in header:
            raise ImportError_(1, required, "required column is missing")
    rows: list[ImportedRow] = []
    end = last = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell beyond the csv module's limit (128 KiB)
            raise ImportError_(end + 1, "row", f"is not valid CSV ({exc})") from None
        line, end = end + 1, reader.line_num  # the record's first line (a quoted cell may span lines)
        last = line
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            hint = f" (a quote opened on line {line} is never closed)" if end > line and '"' in text else ""
            raise ImportError_(line, "row", f"has {len(record)} fields, the header {len(header)}{hint}")
        if end > line:
            swallowed = _swallowed_row(record, header, line)
            if swallowed is not None:
                raise swallowed
        cell = dict(zip(header, record, strict=True))
        columns = {v: k for k, v in CSV_FIELDS.items()}
        try:
            t = TransactionInput(
                type=_type(cell["type"], line, "type"),
                trade_date=_date(cell["date"], line, "date"),
                symbol=cell.get("symbol", "").strip(),
                quantity=_decimal(cell.get("quantity", ""), line, "quantity"),
                price=_decimal(cell.get("price", ""), line, "price"),
                amount=_decimal(cell.get("amount", ""), line, "amount"),
                currency=cell.get("currency", "").strip().upper(),
                fees=_decimal(cell.get("fees", ""), line, "fees"),
                split_ratio=_decimal(cell.get("split_ratio", ""), line, "split_ratio"),
                client_id=cell.get("id", "").strip(),
                note=cell.get("note", ""),
            )
        except ImportError_ as exc:
            if not keep_malformed:
                raise
            rows.append(ImportedRow(line, _UNREAD, columns, problem=exc))
            continue
        # without an id (as a Ghostfolio activity without one): a digest of the row, by digest_ids below
        rows.append(ImportedRow(line, t, columns, digested=not t.client_id))
    if '"' in text:  # a quote still open at the end of the file: only the last record can hold it
        start = 0 if last == 1 else next(itertools.islice(_BREAK.finditer(text), last - 2, None)).end()
        open_quote = _quote_open_at_end(text, start)
        if open_quote is not None:
            at, index = open_quote
            opened = last + _breaks(text[start:at])
            column = header[index] if index < len(header) else "row"
            raise ImportError_(opened, column, f"the quote opened on line {opened} is never closed")
    return digest_ids(rows, base_currency)


_GF_FIELDS = {"trade_date": "date", "type": "type", "symbol": "symbol", "quantity": "quantity", "price": "unitPrice",
              "amount": "unitPrice", "currency": "currency", "fees": "fee", "client_id": "id", "note": "comment"}


def _activity_lines(text: str) -> list[int]:
    """The 1-based line on which each element of the ``activities`` array starts."""
    starts: list[int] = []
    key = text.find('"activities"')
    if key < 0:
        return starts
    i = text.find("[", key)
    depth = 0
    in_string = escaped = False
    line = text.count("\n", 0, i) + 1
    for ch in text[i + 1:]:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            if depth == 0:
                starts.append(line)
            depth += 1
        elif ch in "}]":
            if depth == 0:
                break
            depth -= 1
    return starts


def _time_of_day(text: str) -> bool:
    """A timestamp (``2024-01-02T23:00:00.000Z``) with a time other than midnight."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return len(text.strip()) > 10 and moment.time() != datetime.min.time()


def parse_ghostfolio(text: str, warnings: list[str] | None = None, *, keep_malformed: bool = False
                     ) -> list[ImportedRow]:
    """Ghostfolio's activities export (see the module doc); what may be wrong without being an error
    (a time of day in a date) is added to ``warnings``."""
    try:
        doc = json.loads(text.removeprefix("\ufeff"))  # (the CLI reads files as utf-8-sig already)
    except json.JSONDecodeError as exc:
        raise ImportError_(exc.lineno, "json", exc.msg) from None
    activities = doc.get("activities") if isinstance(doc, dict) else None
    if not isinstance(activities, list):
        raise ImportError_(1, "activities", "not a Ghostfolio export (no activities array)")
    lines = _activity_lines(text)
    rows: list[ImportedRow] = []
    digest_id = _DigestIds("gf-")
    timed: list[tuple[int, int, str]] = []
    for i, a in enumerate(activities):
        line = lines[i] if i < len(lines) else 1
        if not isinstance(a, dict):
            raise ImportError_(line, f"activities[{i}]", "is not an object")
        columns = {k: f"{v} (activities[{i}])" for k, v in _GF_FIELDS.items()}
        try:
            t = _activity(a, line)
        except ImportError_ as exc:
            exc.item = exc.item or f"activities[{i}]"
            if not keep_malformed:
                raise
            rows.append(ImportedRow(line, _UNREAD, columns, problem=exc, item=f"activities[{i}]"))
            continue
        client = str(a.get("id") or "")
        if not client:  # identical activities (two equal buys on one day) are told apart by their order
            client = digest_id(a)
        if _time_of_day(str(a.get("date", ""))):
            timed.append((line, i, str(a.get("date"))[:40]))
        rows.append(ImportedRow(line, _with_client(t, client), columns, item=f"activities[{i}]"))
    if timed and warnings is not None:
        line, i, first = timed[0]
        more = f" and {len(timed) - 1} more" if len(timed) > 1 else ""
        have = "ies have a time of day in their dates" if len(timed) > 1 else "y has a time of day in its date"
        warnings.append(f"warning: {len(timed)} activit{have} (line {line}, activities[{i}]: {first}{more}); "
                        "each is recorded on the "
                        f"calendar date as written ({first[:10]}), which is a day early if the export was made east "
                        "of UTC (Ghostfolio writes local midnight in UTC): check those dates")
    return rows


def _activity(a: dict[str, object], line: int) -> TransactionInput:
    """One Ghostfolio activity, without its client id."""
    kind = str(a.get("type", "")).upper()
    qty = _json_number(a.get("quantity"), line, "quantity")
    unit = _json_number(a.get("unitPrice"), line, "unitPrice")
    fee = _json_number(a.get("fee"), line, "fee")
    day = _date(str(a.get("date", "")), line, "date", timestamp=True)
    symbol = str(a.get("symbol") or "")
    note = str(a.get("comment") or "")[:500]
    ccy = str(a.get("currency") or "").upper()
    if kind in ("BUY", "SELL"):
        t = TransactionInput(type=TransactionType(kind), trade_date=day, symbol=symbol, quantity=qty,
                             price=unit, currency=ccy, fees=fee, note=note)
    elif kind in ("DIVIDEND", "INTEREST"):
        amount = _places((qty or Decimal(1)) * unit) if unit is not None else None
        t = TransactionInput(type=TransactionType(kind), trade_date=day,
                             symbol=symbol if kind == "DIVIDEND" else "", amount=amount, currency=ccy, fees=fee,
                             note=note)
    elif kind == "FEE":
        amount = fee if fee else (_places((qty or Decimal(1)) * unit) if unit is not None else None)
        t = TransactionInput(type=TransactionType.FEE, trade_date=day, amount=amount, currency=ccy, note=note)
    else:
        raise ImportError_(line, "type", f"Ghostfolio activity type {kind[:20]!r} is not supported",
                           "UNSUPPORTED_TYPE")
    return t


def _with_client(t: TransactionInput, client_id: str) -> TransactionInput:
    from dataclasses import replace

    return replace(t, client_id=client_id[:128])


def parse(text: str, fmt: str, warnings: list[str] | None = None, *, keep_malformed: bool = False
          ) -> list[ImportedRow]:
    """``fmt``: csv, ghostfolio, or auto (JSON, an object or an array, maybe after a byte-order mark ->
    ghostfolio, which says what is wrong with a JSON file that is no export; else csv); ``warnings``
    gets what may be wrong without being an error; ``keep_malformed``: a row with a cell that does not
    read is kept with its problem (see the module doc), not raised. A CSV's digest ids take an empty
    currency as written until :func:`digest_ids` is given the base currency."""
    if fmt == "auto":
        fmt = "ghostfolio" if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") else "csv"
    if fmt == "ghostfolio":
        return parse_ghostfolio(text, warnings, keep_malformed=keep_malformed)
    if fmt == "csv":
        return parse_csv(text, keep_malformed=keep_malformed)
    raise ValueError(f"unknown format {fmt!r}")


def oldest_first(rows: list[ImportedRow]) -> list[ImportedRow]:
    """The rows of :func:`parse` (in the file's order) in the order to record them: a file listed
    newest first (its dates never increase down the file, and at least two differ: a broker's export)
    reversed, so that rows of one day replay in the order they happened (a BUY listed below the same
    day's SELL comes first); a file in ascending or mixed order, or of one date, as it is. Rows whose
    date does not read do not count. Each row keeps its line of the file."""
    days = [r.transaction.trade_date for r in rows if r.problem is None and r.transaction.trade_date is not None]
    if len(set(days)) > 1 and all(a >= b for a, b in itertools.pairwise(days)):
        return rows[::-1]
    return rows


def locate(rows: Sequence[ImportedRow], field_path: str) -> tuple[int, str] | None:
    """``transactions[17].quantity`` -> (line, the file's column name) of that row."""
    if not field_path.startswith("transactions["):
        return None
    index, _, rest = field_path[len("transactions["):].partition("]")
    try:
        row = rows[int(index)]
    except (ValueError, IndexError):
        return None
    field = rest.lstrip(".") or "row"
    return row.line, row.columns.get(field, field)


def malformed_problems(rows: Sequence[ImportedRow]) -> dict[int, InvalidArgument]:
    """The problems of the rows with a cell that does not read, by the row's index, as the service
    takes them (``transactions[3].quantity``: :func:`locate` names the file's line and column again)."""
    out: dict[int, InvalidArgument] = {}
    for i, row in enumerate(rows):
        exc = row.problem
        if exc is None:
            continue
        # the contract field the file's column is (a Ghostfolio unitPrice is the price)
        field = next((f for f, name in row.columns.items()
                      if name == exc.column or name.startswith(f"{exc.column} (")), "row")
        path = f"transactions[{i}].{field}"
        out[i] = InvalidArgument(f"{path}: {exc.message}", violations=[FieldViolation(path, exc.message)],
                                 reason=exc.reason, metadata={"field": path})
    return out


_ROW_PATH = re.compile(r"transactions\[(\d+)\]")


def _in_file_terms(description: str, metadata: dict[str, str], rows: Sequence[ImportedRow]) -> str:
    """``description`` with another row it names (``is already recorded (transactions[4])``, which the
    violation's metadata carries) named by its line of the file."""
    for value in metadata.values():
        m = _ROW_PATH.fullmatch(value)
        if m is None or int(m.group(1)) >= len(rows) or value not in description:
            continue
        row = rows[int(m.group(1))]
        head, _, tail = description.rpartition(value)  # the last one: a quoted client id comes before it
        description = f"{head}line {row.line}{f', {row.item}' if row.item else ''}{tail}"
    return description


def problem_lines(error: InvalidArgument, rows: Sequence[ImportedRow]) -> list[str]:
    """What to print for a refused import: one line per problem (each field violation, by line and
    column of the file where it names a row, with its reason), then that nothing was imported."""
    violations = error.violations
    if not violations:
        return [f"error: {error.message} ({error.reason}); nothing was imported"]
    lines = []
    combined = "violation_count" in error.metadata
    for k, v in enumerate(violations):
        reason = getattr(v, "reason", "") or (error.reason if k == 0 or not combined else "")
        metadata = dict(getattr(v, "metadata", ())) or (error.metadata if not combined else {})
        where = locate(rows, v.field)
        at = f"line {where[0]}, field {where[1]}" if where is not None else v.field
        description = _in_file_terms(v.description, metadata, rows)
        lines.append(f"error: {at}: {description}" + (f" ({reason})" if reason else ""))
    if len(lines) == 1:
        return [lines[0] + "; nothing was imported"]
    unchecked = error.metadata.get("unchecked_from")
    if unchecked:
        where = locate(rows, f"{unchecked}.row")
        lines.append(f"error: only the first {len(lines)} problems are listed (the report stops at "
                     f"{f'line {where[0]}' if where is not None else unchecked})")
    lines.append(f"error: {len(violations)} problems; nothing was imported")
    return lines


def timestamp() -> str:  # pragma: no cover - a helper for messages
    return datetime.now().isoformat(timespec="seconds")

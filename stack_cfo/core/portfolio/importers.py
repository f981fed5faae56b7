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
the point), as ``BatchCreateTransactions`` takes them.
Columns may come in any order; unknown columns are an error.

**Ghostfolio's export** (``--format ghostfolio``): the JSON written by Ghostfolio's "Export"
(``{"meta": ..., "activities": [{"type", "symbol", "date", "quantity", "unitPrice", "fee",
"currency", "comment", ...}]}``). BUY and SELL map one to one; DIVIDEND and INTEREST become an
amount of quantity x unitPrice; FEE an amount of ``fee`` (or quantity x unitPrice). Its numbers are
JSON floats (``1e-05``), read as decimals and rounded half-even to 18 fractional digits where they
(or a product) have more. Other types
(ITEM, LIABILITY) are refused. The client id is Ghostfolio's ``id`` when present, else a digest of
the activity, so exporting and importing again does not double anything.

Errors name the line (1-based, of the file) and the column: :class:`ImportError_`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from stack_cfo.core.decimals import DECIMAL_STRING, MAX_FRACTION_DIGITS, WIDE
from stack_cfo.core.portfolio.transactions import TransactionInput, TransactionType

CSV_COLUMNS = ("date", "type", "symbol", "quantity", "price", "amount", "currency", "fees", "split_ratio", "id",
               "note")
#: Our column (the contract's field) for each CSV column.
CSV_FIELDS = {"date": "trade_date", "type": "type", "symbol": "symbol", "quantity": "quantity", "price": "price",
              "amount": "amount", "currency": "currency", "fees": "fees", "split_ratio": "split_ratio",
              "id": "client_id", "note": "note"}


class ImportError_(Exception):
    """A bad row: where it is and what is wrong."""

    def __init__(self, line: int, column: str, message: str, reason: str = "INVALID_ROW") -> None:
        super().__init__(f"line {line}, {column}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImportedRow:
    line: int
    transaction: TransactionInput
    #: The contract field -> the file's name for it (to report errors in the file's terms).
    columns: dict[str, str]


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


def parse_csv(text: str) -> list[ImportedRow]:
    """The stack-cfo CSV (see the module doc)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportError_(1, "header", "the file is empty") from None
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in header[0]:
                raise ImportError_(1, "header", f"the columns are separated by {name}; the file must be "
                                   "comma-separated (RFC 4180)")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ImportError_(1, unknown[0], f"unknown column (expected {', '.join(CSV_COLUMNS)})")
    for required in ("date", "type"):
        if required not in header:
            raise ImportError_(1, required, "required column is missing")
    rows: list[ImportedRow] = []
    end = reader.line_num
    for record in reader:
        line, end = end + 1, reader.line_num  # the record's first line (a quoted cell may span lines)
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            hint = f" (a quote opened on line {line} is never closed)" if end > line and '"' in text else ""
            raise ImportError_(line, "row", f"has {len(record)} fields, the header {len(header)}{hint}")
        cell = dict(zip(header, record, strict=True))
        rows.append(ImportedRow(line, TransactionInput(
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
        ), {v: k for k, v in CSV_FIELDS.items()}))
    return rows


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


def parse_ghostfolio(text: str) -> list[ImportedRow]:
    """Ghostfolio's activities export (see the module doc)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportError_(exc.lineno, "json", exc.msg) from None
    activities = doc.get("activities") if isinstance(doc, dict) else None
    if not isinstance(activities, list):
        raise ImportError_(1, "activities", "not a Ghostfolio export (no activities array)")
    lines = _activity_lines(text)
    rows: list[ImportedRow] = []
    for i, a in enumerate(activities):
        line = lines[i] if i < len(lines) else 1
        if not isinstance(a, dict):
            raise ImportError_(line, f"activities[{i}]", "is not an object")
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
        client = str(a.get("id") or "") or "gf-" + hashlib.sha256(
            json.dumps(a, sort_keys=True, default=str).encode()).hexdigest()[:32]
        rows.append(ImportedRow(line, _with_client(t, client), dict(_GF_FIELDS)))
    return rows


def _with_client(t: TransactionInput, client_id: str) -> TransactionInput:
    from dataclasses import replace

    return replace(t, client_id=client_id[:128])


def parse(text: str, fmt: str) -> list[ImportedRow]:
    """``fmt``: csv, ghostfolio, or auto (JSON object -> ghostfolio, else csv)."""
    if fmt == "auto":
        fmt = "ghostfolio" if text.lstrip().startswith("{") else "csv"
    if fmt == "ghostfolio":
        return parse_ghostfolio(text)
    if fmt == "csv":
        return parse_csv(text)
    raise ValueError(f"unknown format {fmt!r}")


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


def timestamp() -> str:  # pragma: no cover - a helper for messages
    return datetime.now().isoformat(timespec="seconds")

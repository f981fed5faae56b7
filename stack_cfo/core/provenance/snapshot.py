"""A data snapshot: the exact data an AI text was written from, in one canonical form.

The same document is rendered into the prompt, hashed into the receipt (``data_sha256`` is the
SHA-256 of :attr:`Snapshot.text`) and turned into the facts the grounding check matches figures
against, so the three can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from stack_cfo.core.ai import Message
from stack_cfo.core.grounding import Facts, facts_from_data
from stack_cfo.core.market_calendar import calendar_for, previous_session_day

_FACTS_CACHE: OrderedDict[tuple[str, str | None, bool, int | None], Facts] = OrderedDict()
_FACTS_CACHE_SIZE = 512
_NYSE = calendar_for("America/New_York")  # the process's one NYSE calendar (its holiday tables loaded once)


def yesterday_is_day(doc: Mapping[str, Any], as_of: datetime | None) -> bool:
    """Whether "yesterday" in a text written from ``doc`` names its day's figures: when the data says the day it
    was written on (``written_on``, a digest's date) and the session it reports (``market_date``), when the one is
    the day after the other; else as :func:`yesterday_is_last_session` says from the instant it was taken."""
    written, reported = doc.get("written_on"), doc.get("market_date")
    if isinstance(written, str) and isinstance(reported, str):
        try:
            return date.fromisoformat(written) - timedelta(days=1) == date.fromisoformat(reported)
        except ValueError:
            return False
    return yesterday_is_last_session(as_of)


def yesterday_is_last_session(as_of: datetime | None) -> bool:
    """Whether data taken at ``as_of`` has the day before as its day (its ``_1d`` figures are that session's): taken
    before the open of its own day's session (or on a day with none), the day before being the last session, as a
    morning digest's data on Tuesday to Saturday. Then "yesterday" in a text written from it names the facts' day
    (``Facts.yesterday_is_day``); on a Monday morning Friday's move is no "yesterday"'s. NYSE's calendar (the default
    market); an instant without a time zone is UTC."""
    if as_of is None:
        return False
    day, market_day = _days_of(as_of)
    return market_day == day - timedelta(days=1)  # (the day's session opened: its figures are that day's)


def market_year(as_of: datetime | None) -> int | None:
    """The year of the market date of data taken at ``as_of``: the session its day's figures are of, as
    :func:`yesterday_is_last_session` reads it (NYSE's calendar: the day in New York, else the session before when
    taken before that day's open or on a day with none; data of the morning of 2 January is of the year before). It
    is the year a text written from the data means by "this year" (``Facts.year``) when the data says no date of its
    own; an instant without a time zone is UTC."""
    if as_of is None:
        return None
    return _days_of(as_of)[1].year


def _days_of(as_of: datetime) -> tuple[date, date]:
    """The day in New York at ``as_of`` and the market date of data taken then: that day once its session has
    opened, else the session before (or that day, when no session is found before it)."""
    local = (as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)).astimezone(_NYSE.tz)
    day = local.date()
    session = _NYSE.session(day)
    if session is not None and local.time() >= session.open:
        return day, day
    return day, previous_session_day(_NYSE, day) or day


def _facts_of(sha256: str, currency: str | None, snapshot: Snapshot) -> Facts:
    """Facts of a document, reused while the same document (same hash) recurs: a chat session's data
    block is the same on every turn until its context is refreshed."""
    yesterday = yesterday_is_day(snapshot.doc, snapshot.as_of)
    year = market_year(snapshot.as_of)
    key = (sha256, currency, yesterday, year)
    facts = _FACTS_CACHE.get(key)
    if facts is None:
        facts = facts_from_data(snapshot.doc, currency=currency)
        facts.yesterday_is_day = yesterday
        if facts.year is None:  # a document that says no date (a week's notification, an article): its snapshot's
            facts.year = year
        _ = facts.index  # built once here, not on the first check
        _FACTS_CACHE[key] = facts
        if len(_FACTS_CACHE) > _FACTS_CACHE_SIZE:
            _FACTS_CACHE.popitem(last=False)
    else:
        _FACTS_CACHE.move_to_end(key)
    return facts


def _plain(value: Any) -> Any:
    if type(value) is Decimal:
        text = str(value)  # 4x cheaper than format(value, "f"), and the same text without an exponent
        return text if "E" not in text else format(value, "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON data: {type(value).__name__}")


def canonical_json(doc: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept, decimals as plain strings: one text per document."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prompt_sha256(messages: Sequence[Message]) -> str:
    """SHA-256 of the prompt as canonical JSON ``[{"content": ..., "role": ...}, ...]``."""
    return sha256_hex(canonical_json([{"role": m.role, "content": m.content} for m in messages]))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The data given to a model, its canonical text and hash, and (on first use) its facts."""

    doc: Mapping[str, Any]
    as_of: datetime | None
    currency: str | None = None
    """Currency of the amounts in the document (the portfolio's base currency)."""
    text: str = field(default="", init=False)
    sha256: str = field(default="", init=False)
    _facts: list[Facts] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = canonical_json(self.doc)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "sha256", sha256_hex(text))

    @property
    def facts(self) -> Facts:
        if not self._facts:
            self._facts.append(_facts_of(self.sha256, self.currency, self))
        return self._facts[0]

    @classmethod
    def parse(cls, text: str, as_of: datetime | None, currency: str | None = None) -> Snapshot:
        """A snapshot read back from a receipt (its text re-canonicalised, so the hash is stable)."""
        return cls(json.loads(text) if text else {}, as_of, currency)

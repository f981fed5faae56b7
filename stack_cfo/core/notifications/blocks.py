"""The structured form of a notification's content: blocks in reading order and the figures it states.

Email and push carry the same content as text, HTML and a short title/body; backends that render their
own layout (webhooks, the notification feed) get these instead. The renderers in
:mod:`~stack_cfo.core.notifications.content` build them from the very lines they write, so the
structured and the textual forms cannot disagree.

Block types: ``heading`` (``text``), ``paragraph`` (``text``), ``list`` (``text`` is the title, ``items``
the entries) and ``chart`` (``text`` is the title, ``points`` the values, oldest first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from stack_cfo.core.notifications.ports import ValuePoint


@dataclass(frozen=True, slots=True)
class ContentItem:
    text: str
    url: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ContentBlock:
    type: str
    text: str = ""
    items: tuple[ContentItem, ...] = ()
    points: tuple[ValuePoint, ...] = ()


@dataclass(frozen=True, slots=True)
class ContentFigure:
    """One number the content states: money as a decimal string with its ISO currency as ``unit``,
    returns and moves as fractions (``unit`` "fraction"), "sigma" for standard deviations, "score"."""

    name: str
    value: str
    unit: str


def heading(text: str) -> ContentBlock:
    return ContentBlock("heading", text)


def paragraph(text: str) -> ContentBlock:
    return ContentBlock("paragraph", text)


def bullet_list(title: str, lines: Iterable[str]) -> ContentBlock:
    return ContentBlock("list", title, tuple(ContentItem(line) for line in lines))


def chart(title: str, points: Sequence[ValuePoint]) -> ContentBlock | None:
    return ContentBlock("chart", title, points=tuple(points)) if len(points) >= 2 else None


def blocks(*parts: ContentBlock | None) -> tuple[ContentBlock, ...]:
    """The given blocks in order, without the absent ones (a chart of fewer than 2 points)."""
    return tuple(b for b in parts if b is not None)


def money_figure(name: str, value: Decimal, currency: str) -> ContentFigure:
    return ContentFigure(name, str(value), currency.upper())


def figures(currency: str, money: dict[str, Decimal], ratios: dict[str, tuple[float | None, str]]) -> tuple[
    ContentFigure, ...
]:
    """Money amounts in ``currency`` and ratios (``name -> (value, unit)``); undefined ratios are left out."""
    out = [money_figure(name, value, currency) for name, value in money.items()]
    out += [ContentFigure(name, repr(float(v)), unit) for name, (v, unit) in ratios.items() if v is not None]
    return tuple(out)

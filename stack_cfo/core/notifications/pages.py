"""Pagination of the scheduler's lists (AIP-158): page sizes and pages keyed by a row id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from stack_cfo.core.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_limit(page_size: int) -> int:
    """0 means ``DEFAULT_PAGE_SIZE``, above ``MAX_PAGE_SIZE`` means that; negative is INVALID_PAGE_SIZE."""
    if page_size < 0:
        raise InvalidArgument.field("page_size", "must not be negative", reason="INVALID_PAGE_SIZE")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)


@dataclass(frozen=True, slots=True)
class IdPage(Generic[T]):
    """One page of rows in id order; ``next_after``: the last row's id when more may follow."""

    items: list[T]
    next_after: int | None


async def id_page(fetch: Callable[[int], Awaitable[Sequence[T]]], page_size: int) -> IdPage[T]:
    """The page ``fetch(limit)`` gives (it asks one row more than the page, to know whether more follow)."""
    size = page_limit(page_size)
    rows = list(await fetch(size + 1))
    page = rows[:size]
    return IdPage(page, page[-1].id if len(rows) > size and page else None)

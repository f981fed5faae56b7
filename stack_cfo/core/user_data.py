"""Erasing a user's data (GDPR art. 17): the archive key first, then every row, then caches.

The key goes first and on its own: once it is destroyed every archived copy (0G Storage
included) is unreadable, even if deleting the rows has to be retried. The rows go in one
transaction (the store finds every table referencing the user); listeners (the portfolio cache)
forget the user last. A ``users`` row stays as a tombstone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from stack_cfo.core.archive import SealedArchive


class UserRows(Protocol):
    async def erase_user_rows(self, user_id: str) -> dict[str, int]:
        """Delete every row referencing the user in one transaction; rows removed per table."""
        ...


@dataclass(frozen=True, slots=True)
class Erasure:
    data_key_destroyed: bool
    """A live archive key was destroyed (False when the user had none or was already erased)."""
    counts: dict[str, int]
    """Rows removed per table."""


class UserDataService:
    def __init__(
        self,
        archive: Callable[[], SealedArchive],
        rows: UserRows,
        *,
        on_erased: Sequence[Callable[[str], None]] = (),
    ) -> None:
        self._archive = archive
        self._rows = rows
        self._on_erased = tuple(on_erased)

    async def erase(self, user_id: str) -> Erasure:
        destroyed = await self._archive().erase(user_id)
        counts = await self._rows.erase_user_rows(user_id)
        for forget in self._on_erased:
            forget(user_id)
        return Erasure(destroyed > 0, counts)

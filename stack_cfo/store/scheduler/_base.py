"""What every part of the scheduler repository shares: the named statements and the pool."""

from __future__ import annotations

import uuid

from stack_cfo.core.errors import NotFound
from stack_cfo.store.db import Database
from stack_cfo.store.queries import load_queries

Q = load_queries("scheduler")
QD = load_queries("delivery")


def user_uuid(user_id: str, field: str = "user") -> uuid.UUID:
    try:
        return uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound.resource("user", str(user_id)) from None


class Repo:
    def __init__(self, db: Database) -> None:
        self.db = db

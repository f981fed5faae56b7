"""Erasing a user's data: every row that references the user, found from the schema itself.

Tables are discovered from their foreign keys to ``users(id)``, so a feature that adds a table
with such a key is covered without touching this module. Tables that name users without a
foreign key are listed here: ``idempotency_keys`` (the principal ``user:<id>``, and stored
responses that carry the id, whoever sent the request). What stays is the tombstone: the
``users`` row (``erased_at``), its destroyed archive keys, and the receipts of EraseUserData
itself (so a retried erasure replays its answer). ``tests/integration/security/test_erasure.py``
searches every text, uuid, json and bytea column of every table for the id after an erasure.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from stack_cfo.core.data_scope import system_scope
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.db import Database

#: Rows that must survive erasure: the tombstone's destroyed keys.
KEEP = {"archive_data_keys"}

_FK_TABLES = """
SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND cardinality(c.conkey) = 1
ORDER BY 1
"""


#: Request-id records naming the user (no foreign key): the principal is text (``user:<id>``, or
#: the bare id for chat), the response is bytes that may carry the id whoever sent the request.
_IDEMPOTENCY = """
DELETE FROM idempotency_keys
WHERE method <> 'EraseUserData'
  AND (position(%(user_id)s IN principal) > 0
       OR position(convert_to(%(user_id)s, 'UTF8') IN coalesce(response, ''::bytea)) > 0)
"""

#: Tables counted before the cascade removes them (child rows reached only through a parent).
COUNTED = {
    "chat_sessions": "user_id",
    "positions": "user_id",
    "cash_flows": "user_id",
    "notification_outbox": "user_id",
    "push_devices": "user_id",
    "archive_objects": "owner",
    # reached only through the portfolio (cascades): counted so the answer names every row removed
    "holdings_history": "user_id",
    "cash_balance_history": "user_id",
}

#: Archives kept outside PostgreSQL (0G Storage cannot delete): no row of ours holds their bytes,
#: so the sessions that recorded their addresses count them. Destroying the data key makes them
#: unreadable, like the ``archive_objects`` rows; the API adds both into ``archive_count``.
EXTERNAL_ARCHIVES = "external_archives"
_EXTERNAL_ARCHIVES = """
SELECT count(*) AS n FROM chat_sessions
WHERE user_id = %s AND archive_address IS NOT NULL AND archive_address NOT LIKE 'pg:%%'
"""

#: Child rows without a user column, counted through their parent before the cascade.
COUNTED_THROUGH = {
    "chat_messages": "SELECT count(*) AS n FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                     " WHERE s.user_id = %s",
}


async def erase_user_rows(db: Database, user_id: str) -> dict[str, int]:
    """Delete every row referencing ``user_id`` in one transaction; returns rows per table.

    Tables in :data:`COUNTED` report the rows they held (some are removed by cascades from a
    parent table); the rest report what their own DELETE removed. :data:`EXTERNAL_ARCHIVES` is
    not a table: the user's archives outside PostgreSQL (0G Storage), made unreadable, not deleted.
    """
    counts: dict[str, int] = {}
    # The system scope: request ids of services that acted for the user and their archived
    # objects are other principals' rows (row-level security would hide them from the user).
    with system_scope("erasure"):
        return await _erase(db, user_id, counts)


async def _erase(db: Database, user_id: str, counts: dict[str, int]) -> dict[str, int]:
    async with db.transaction() as conn:
        for table, column in COUNTED.items():
            exists = await (await conn.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (table,))).fetchone()
            if exists and exists["ok"]:
                q = sql.SQL("SELECT count(*) AS n FROM {} WHERE {} = %s").format(
                    sql.Identifier(table), sql.Identifier(column)
                )
                row = await (await conn.execute(q, (user_id,))).fetchone()
                counts[table] = int(row["n"]) if row else 0
        for table, query in COUNTED_THROUGH.items():
            row = await (await conn.execute(query, (user_id,))).fetchone()  # type: ignore[arg-type]
            counts[table] = int(row["n"]) if row else 0
        row = await (await conn.execute(_EXTERNAL_ARCHIVES, (user_id,))).fetchone()
        counts[EXTERNAL_ARCHIVES] = int(row["n"]) if row else 0
        if "archive_objects" in counts:
            await conn.execute("DELETE FROM archive_objects WHERE owner = %s", (user_id,))
        cur = await conn.execute(_FK_TABLES)
        targets: list[Any] = [r for r in await cur.fetchall() if r["table_name"] not in KEEP]
        for row in targets:
            stmt = sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                sql.Identifier(*row["table_name"].split(".")), sql.Identifier(row["column_name"])
            )
            res = await conn.execute(stmt, (user_id,))
            if row["table_name"] not in COUNTED:
                counts[row["table_name"]] = counts.get(row["table_name"], 0) + max(res.rowcount, 0)
        res = await conn.execute(_IDEMPOTENCY, {"user_id": user_id})
        counts["idempotency_keys"] = max(res.rowcount, 0)
        await conn.execute("UPDATE users SET erased_at = now(), email = NULL, display_name = NULL WHERE id = %s",
                           (user_id,))
    return counts


@store_metrics.timed(store_metrics.USER_DATA)
class PgUserRows:
    """:class:`~stack_cfo.core.user_data.UserRows` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def erase_user_rows(self, user_id: str) -> dict[str, int]:
        return await erase_user_rows(self.db, user_id)

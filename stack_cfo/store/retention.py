"""Retention: delete rows nobody needs any more, in small batches (docs/capacity.md says why).

What goes, each after its own window (``scheduler.*_retention``):

- ``notification_outbox`` rows in a final state (sent, dead, missed, skipped, expired), and
  acknowledged feed items (they end ``sent``), by ``updated_at``; pending, retrying, sending and
  unacknowledged rows are never touched;
- ``scheduler_job_runs`` that finished (their outbox rows keep working: ``run_id`` is set null);
- ``idempotency_keys`` by ``created_at`` (the contract keeps request ids at least 24 hours);
- ``price_quotes`` (intraday) by ``quoted_at``; the daily closes in ``prices`` stay;
- ``ai_receipts`` by ``created_at``, only when a window is configured (receipts are the audit
  record of AI texts: kept for ever by default); the chat messages and news summaries that cited
  them keep their text and lose the link. Then the ``ai_receipt_snapshots`` rows no receipt points
  at any more and none used within the same window;
- ``notification_contents`` (the stored renderings, so a notification is rendered once) by
  ``created_at`` after the outbox's window, and only when no row of the same user, kind and period
  is still waiting for a (re)try: a dead row requeued late still gets its first rendering. A row
  rendered later than that renders afresh, as it would have with the rows it shared it with gone.

Each batch is one short transaction of at most ``batch`` rows, so deletes never hold locks long
or bloat one transaction; the batches of one table run until one comes back short. Replicas
take turns: a batch first takes a transaction-level advisory lock and a replica that cannot get
it leaves the work to the one that holds it. Cut-offs are computed from the database clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from psycopg import sql

from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.store.db import Database

log = logging.getLogger(__name__)

#: Advisory lock key of the retention job (any constant distinct from the others in use).
_LOCK = sql.SQL("SELECT pg_try_advisory_xact_lock(hashtext('stack-cfo:retention')) AS locked")

FINAL_OUTBOX_STATES = ("sent", "dead", "missed", "skipped", "expired")


@dataclass(frozen=True, slots=True)
class RetentionWindows:
    """How long each kind of row is kept (``None``: kept for ever)."""

    outbox: timedelta | None = timedelta(days=90)
    idempotency_keys: timedelta | None = timedelta(days=30)
    quotes: timedelta | None = timedelta(days=30)
    receipts: timedelta | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    table: str
    key: str  # the column the window applies to
    where: str  # extra condition (static SQL)


_RULES: dict[str, tuple[_Rule, str]] = {
    "notification_outbox": (
        _Rule("notification_outbox", "updated_at",
              "status IN ('sent', 'dead', 'missed', 'skipped', 'expired')"),
        "outbox",
    ),
    "scheduler_job_runs": (_Rule("scheduler_job_runs", "finished_at", "state = 'done'"), "outbox"),
    "idempotency_keys": (_Rule("idempotency_keys", "created_at", "true"), "idempotency_keys"),
    "price_quotes": (_Rule("price_quotes", "quoted_at", "true"), "quotes"),
    "ai_receipts": (_Rule("ai_receipts", "created_at", "true"), "receipts"),
    # Snapshot rows no receipt points at any more, unused for the receipts' window too (a receipt
    # being written marks its row used under the row's lock, which these batches skip).
    "ai_receipt_snapshots": (
        _Rule("ai_receipt_snapshots", "created_at",
              "last_used_at < now() - %(keep)s AND NOT EXISTS (SELECT 1 FROM ai_receipts r WHERE r.snapshot_shared"
              " AND r.user_id = ai_receipt_snapshots.user_id AND r.data_sha256 = ai_receipt_snapshots.data_sha256)"),
        "receipts",
    ),
    # Renderings no outbox row can still be delivered with (a final row is kept for the same window,
    # and a dead one may be requeued within it; rows not final keep theirs however old).
    "notification_contents": (
        _Rule("notification_contents", "created_at",
              "NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.user_id = notification_contents.user_id"
              " AND o.kind = notification_contents.kind AND o.slot_local = notification_contents.period"
              " AND o.status NOT IN ('sent', 'dead', 'missed', 'skipped', 'expired'))"),
        "outbox",
    ),
}


def _batch_statement(rule: _Rule) -> sql.Composed:
    return sql.SQL(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
        "WHERE {where} AND {key} < now() - %(keep)s ORDER BY {key} LIMIT %(batch)s FOR UPDATE SKIP LOCKED))"
    ).format(table=sql.Identifier(rule.table), key=sql.Identifier(rule.key), where=sql.SQL(rule.where))


class RetentionRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    @in_system_scope("retention")  # deletes old rows of every user
    async def prune(self, windows: RetentionWindows, *, batch: int = 5000, max_batches: int = 1000
                    ) -> dict[str, int]:
        """Delete what ``windows`` no longer keeps; returns rows deleted per table. Stops early
        (returning what it did) when another replica holds the retention lock."""
        deleted: dict[str, int] = {}
        for table, (rule, window_name) in _RULES.items():
            keep = getattr(windows, window_name)
            if keep is None:
                continue
            statement = _batch_statement(rule)
            total = 0
            for _ in range(max_batches):
                async with self._db.connection() as conn, conn.transaction():
                    got = await (await conn.execute(_LOCK)).fetchone()
                    if not (got and got["locked"]):
                        log.info("retention: another replica is pruning", extra={"table": table})
                        if total:
                            deleted[table] = total
                        return deleted
                    cur = await conn.execute(statement, {"keep": keep, "batch": batch})
                    n = cur.rowcount
                total += n
                if n < batch:
                    break
            deleted[table] = total
        if any(deleted.values()):
            log.info("retention pruned rows", extra={"deleted": deleted})
        return deleted


__all__ = ["FINAL_OUTBOX_STATES", "RetentionRepo", "RetentionWindows"]

"""The transcript: turns (begun under the lease, completed with the answer), summaries and the token ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import NoDataFound

from stack_cfo.core.chat.models import (
    ChatMessage,
    Summary,
)
from stack_cfo.core.chat.ports import TurnStart
from stack_cfo.core.tasks import run_to_end
from stack_cfo.crypto.fields import SealerSource, UserCipher
from stack_cfo.store.chat._common import (
    CONTENT,
    SUMMARY,
    Busy,
    Q,
    Replay,
    TurnLease,
    inactive,
    is_uuid,
    message_json,
    message_ref,
    message_row,
    missing,
    reused,
    session_row,
    summary_row,
    turn_row,
)
from stack_cfo.store.chat.lease import LeaseQueries
from stack_cfo.store.db import run_script
from stack_cfo.store.receipts import light_receipts, receipt_insert

log = logging.getLogger(__name__)


class TranscriptQueries(LeaseQueries):
    # ------------------------------------------------------------------ transcript

    async def messages(self, session_id: str, *, after_seq: int = 0) -> list[ChatMessage]:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.messages_after, {"session_id": session_id, "after_seq": after_seq})
            rows = await cur.fetchall()
            if not rows:
                return []
            cipher = await self._sealer.cipher(str(rows[0]["owner"]))
            return await _with_receipts(conn, [message_row(r, cipher) for r in rows], self._sealer)

    async def with_receipts(self, messages: Sequence[ChatMessage]) -> list[ChatMessage]:
        async with self._db.connection() as conn:
            return await _with_receipts(conn, list(messages), self._sealer)

    async def find_turn(self, session_id: str, request_id: str) -> tuple[ChatMessage, ChatMessage | None] | None:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.find_turn, {"session_id": session_id, "request_id": request_id})
            rows = await cur.fetchall()
            if not rows:
                return None
            turn = turn_row(rows, await self._sealer.cipher(str(rows[0]["owner"])))
            if turn is None or turn[1] is None:
                return turn
            (answer,) = await _with_receipts(conn, [turn[1]], self._sealer)
            return turn[0], answer

    async def begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        *,
        owner: str,
        day: date,
        admit: Callable[..., None],
        recent_window: int,
        lease: TurnLease | None = None,
        started: Callable[[TurnStart], None] | None = None,
        reserve: int = 0,
    ) -> TurnStart:
        if not is_uuid(session_id):
            raise missing(session_id)
        take = lease is not None and not lease.held
        cipher = await self._sealer.cipher(owner)
        if cipher.sealing and cipher.version is None:
            # No live key: the user's first sealed write (a session from before encryption at rest),
            # or their data was erased. A key is made only for a session that is there: an erased
            # user's retry must not bring back a row of theirs.
            async with self._db.connection() as conn:
                row = await (await conn.execute(Q.get_session, {"id": session_id})).fetchone()
            if row is None or str(row["user_id"]) != owner:
                raise missing(session_id)
            cipher = await self._sealer.cipher(owner, create=True)
        delay = 0.005
        while True:
            try:
                # One attempt is one short transaction: a caller cancelled meanwhile waits for
                # it, so a lease it committed always has a holder that will release it.
                return await run_to_end(
                    self._begin_turn(
                        session_id, message, owner, day, admit, recent_window, lease if take else None, cipher,
                        started, max(0, reserve),
                    )
                )
            except Busy:
                assert lease is not None
                delay = await self._wait(lease, delay)

    async def _begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        owner: str,
        day: date,
        admit: Callable[..., None],
        recent_window: int,
        lease: TurnLease | None,
        cipher: UserCipher,
        started: Callable[[TurnStart], None] | None,
        reserve: int,
    ) -> TurnStart:
        # One transaction, its start in one round trip: BEGIN, the scope and one call running
        # the turn's statements (migration 16); the checks run on its rows before the commit, a
        # failed check raises, which rolls everything back.
        request_id = message.request_id
        # the lease asked for (owner, TTL, this process's orphaned leases), as the lease's own acquire
        taking = (
            self._acquire_params(session_id, lease.owner)
            if lease is not None
            else {"owner": None, "ttl": self._lease_ttl, "orphans": []}
        )
        # With a lease, it is taken first by acquire_lease's rule (a crashed replica's lease is
        # free once its heartbeat is stale, migration 22); begin_turn's own take then finds it ours.
        query = f"{Q.take_turn_lease}; {Q.begin_turn}" if lease is not None else Q.begin_turn
        try:
            async with self._db.transaction(scripted=True) as conn:
                rows = await run_script(
                    conn,
                    *self._db.script(
                        query,
                        {
                            "id": session_id,
                            "day": day,
                            "message_id": message.id,
                            "content": cipher.seal(CONTENT, message_ref(session_id, message.id), message.content),
                            "request_id": request_id,
                            "created_at": message.created_at,
                            "window": recent_window,
                            # held until complete_turn (migration 19); the check below sees the
                            # user's other reservations, read under the user's lock
                            "reserve": reserve,
                        }
                        | taking,
                    ),
                )
                srow = inserted = sum_row = None
                unc: list[dict[str, Any]] = []
                elsewhere = False
                for row in rows:
                    part = row["part"]
                    if part == "uncovered":
                        unc.append(row)
                    elif part == "session":
                        srow = row
                    elif part == "inserted":
                        inserted = row
                    elif part == "reused":
                        elsewhere = True
                    else:
                        sum_row = row
                if srow is None or str(srow["user_id"]) != owner:
                    raise missing(session_id)
                if elsewhere:  # the user's request id, used already in another of their sessions
                    raise reused(str(request_id))
                # The request_id's earlier turn matters only when the insert skipped it (a retry):
                # looked for then, in the same transaction (one more round trip, for retries only).
                earlier = (
                    turn_row(
                        await (
                            await conn.execute(Q.find_turn, {"session_id": session_id, "request_id": request_id})
                        ).fetchall(),
                        cipher,
                    )
                    if inserted is None and request_id
                    else None
                )
                session = session_row(srow, cipher)
                start = TurnStart(
                    message=message_row(inserted, cipher) if inserted is not None else message,
                    session=session,
                    summary=summary_row(sum_row, cipher) if sum_row is not None else None,
                    uncovered=tuple(message_row(r, cipher) for r in unc),
                    locale=str(srow["locale"] or ""),
                )
                if inserted is None and earlier is not None:
                    start = replace(start, message=earlier[0], existing=True, answer=earlier[1])
                    if earlier[1] is not None:
                        raise Replay(start)  # answered: change nothing, take no lease
                if reserve:
                    admit(session, int(srow["day_tokens"]), int(srow["day_reserved"] or 0))
                else:
                    admit(session, int(srow["day_tokens"]))
                if lease is not None and not srow["lease_acquired"]:
                    raise Busy
                if inserted is None and earlier is None:
                    # the insert only skips a used request_id or an inactive session
                    raise inactive(session)
        except Replay as replay:
            answer = replay.start.answer
            if answer is not None and answer.receipt_id:
                async with self._db.connection() as conn:
                    (answer,) = await _with_receipts(conn, [answer], self._sealer)
                start = replace(replay.start, answer=answer)
            else:
                start = replay.start
        else:
            if lease is not None:
                self._held(lease)
        if started is not None:
            started(start)
        return start

    async def complete_turn(
        self,
        session_id: str,
        user_id: str,
        message: ChatMessage,
        *,
        day: date,
        recent_window: int,
        lease: TurnLease | None = None,
        charge: int | None = None,
    ) -> ChatMessage:
        tokens = message.total_tokens if charge is None else charge
        release = lease is not None and lease.held
        cipher = await self._existing_cipher(user_id, session_id)  # the turn's start made one if there was none
        params = {
            "session_id": session_id,
            "message": message_json(message, cipher),
            "user_id": user_id,
            "day": day,
            "window": recent_window,
            "release": release,  # releases the lease too (when held)
            "owner": lease.owner if release and lease is not None else None,
            "tokens": tokens,
        }
        query = Q.complete_turn
        if message.receipt is not None:  # commits with the answer it covers
            receipt_query, receipt_params = receipt_insert(message.receipt, cipher)
            query, params = f"{receipt_query}; {query}", params | receipt_params
        # One round trip: BEGIN, the scope, the receipt, the answer, COMMIT. A session that is
        # gone (erased, or deleted: migration 21) raises in the call (no_data_found), which skips
        # the COMMIT: nothing is stored.
        async with self._db.transaction(scripted=True) as conn:
            try:
                (row,) = await run_script(conn, *self._db.script(query, params, commit=True))
            except NoDataFound:
                raise missing(session_id) from None
        if release:
            assert lease is not None
            lease.held = False
            if lease.renewer is not None:
                lease.renewer.cancel()
        return replace(message_row(row, cipher), receipt=message.receipt)

    async def latest_summary(self, session_id: str) -> Summary | None:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.latest_summary, {"session_id": session_id})
            row = await cur.fetchone()
        if row is None:
            return None
        return summary_row(row, await self._sealer.cipher(str(row["owner"])))

    async def summaries(self, session_id: str) -> list[Summary]:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.summaries, {"session_id": session_id})
            rows = await cur.fetchall()
        if not rows:
            return []
        cipher = await self._sealer.cipher(str(rows[0]["owner"]))
        return [summary_row(r, cipher) for r in rows]

    async def _existing_cipher(self, user_id: str, session_id: str) -> UserCipher:
        """The user's cipher for a write that follows a turn's start (which made their key): no live
        key now means their data was erased meanwhile, SESSION_NOT_FOUND; no key is made again (no
        row of an erased user comes back)."""
        cipher = await self._sealer.cipher(user_id)
        if cipher.sealing and cipher.version is None:
            raise missing(session_id)
        return cipher

    async def save_summary(self, summary: Summary, user_id: str, *, day: date) -> Summary:
        tokens = summary.total_tokens
        if not is_uuid(summary.session_id):
            raise missing(summary.session_id)
        # The turns it summarises made the user's key (begin_turn).
        cipher = await self._existing_cipher(user_id, summary.session_id)
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                Q.insert_summary,
                {
                    "id": summary.id,
                    "session_id": summary.session_id,
                    "version": summary.version,
                    "from_seq": summary.from_seq,
                    "to_seq": summary.to_seq,
                    "content": cipher.seal(SUMMARY, message_ref(summary.session_id, summary.id), summary.content),
                    "content_sha256": summary.content_sha256,
                    "source_sha256": summary.source_sha256,
                    "previous_id": summary.previous_id,
                    "provider": summary.provider,
                    "model": summary.model,
                    "offline": summary.offline,
                    "prompt_tokens": summary.prompt_tokens,
                    "completion_tokens": summary.completion_tokens,
                    "created_at": summary.created_at,
                },
            )
            row = await cur.fetchone()
            if row is None:  # the session is gone (deleted or erased): nothing is stored
                raise missing(summary.session_id)
            if tokens:
                await conn.execute(Q.add_session_tokens, {"id": summary.session_id, "tokens": tokens})
                await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
        return summary_row(row, cipher)


async def _with_receipts(
    conn: AsyncConnection[Any], messages: list[ChatMessage], sealer: SealerSource
) -> list[ChatMessage]:
    """The messages with their receipts (without data snapshots) loaded."""
    found = await light_receipts(conn, [m.receipt_id for m in messages if m.receipt_id], sealer)
    return [replace(m, receipt=found.get(m.receipt_id)) if m.receipt_id else m for m in messages]

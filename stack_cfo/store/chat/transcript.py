"""The transcript: turns (begun under the lease, completed with the answer), summaries and the token ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from psycopg import AsyncConnection

from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
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
    message_params,
    message_ref,
    message_row,
    missing,
    session_row,
    summary_row,
    turn_row,
)
from stack_cfo.store.chat.lease import LeaseQueries
from stack_cfo.store.receipts import insert_receipt, light_receipts

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
        admit: Callable[[ChatSession, int], None],
        recent_window: int,
        lease: TurnLease | None = None,
    ) -> TurnStart:
        if not is_uuid(session_id):
            raise missing(session_id)
        take = lease is not None and not lease.held
        cipher = await self._sealer.cipher(owner, create=True)
        delay = 0.005
        while True:
            try:
                # One attempt is one short transaction: a caller cancelled meanwhile waits for
                # it, so a lease it committed always has a holder that will release it.
                return await run_to_end(
                    self._begin_turn(
                        session_id, message, owner, day, admit, recent_window, lease if take else None, cipher
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
        admit: Callable[[ChatSession, int], None],
        recent_window: int,
        lease: TurnLease | None,
        cipher: UserCipher,
    ) -> TurnStart:
        # One transaction, pipelined: every statement is sent at once and the checks run on
        # the results before the commit; a failed check raises, which rolls everything back.
        request_id = message.request_id
        try:
            async with self._db.transaction(pipeline=True) as conn:
                took = (
                    await conn.execute(
                        Q.acquire_lease, self._acquire_params(session_id, lease.owner)
                    )
                    if lease is not None
                    else None
                )
                lock = await conn.execute(Q.lock_for_turn, {"id": session_id, "day": day})
                ins = await conn.execute(
                    Q.insert_user_message,
                    {
                        "id": message.id,
                        "session_id": session_id,
                        "content": cipher.seal(CONTENT, message_ref(session_id, message.id), message.content),
                        "request_id": request_id,
                        "created_at": message.created_at,
                    },
                )
                upd = await conn.execute(
                    Q.after_message,
                    {
                        "id": session_id,
                        "tokens": 0,
                        "at": message.created_at,
                        "context": None,
                        "window": recent_window,
                        "release": False,
                        "owner": None,
                    },
                )
                summ = await conn.execute(Q.latest_summary, {"session_id": session_id})
                unc = await conn.execute(Q.uncovered_messages, {"session_id": session_id})
                locked = await lock.fetchone()
                if locked is None or str(locked["user_id"]) != owner:
                    raise missing(session_id)
                inserted = await ins.fetchone()
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
                srow = await upd.fetchone()
                sum_row = await summ.fetchone()
                uncovered = tuple(message_row(r, cipher) for r in await unc.fetchall())
                assert srow is not None
                start = TurnStart(
                    message=message_row(inserted, cipher) if inserted is not None else message,
                    session=session_row(srow, cipher),
                    summary=summary_row(sum_row, cipher) if sum_row is not None else None,
                    uncovered=uncovered,
                    locale=str(locked["locale"] or ""),
                )
                if inserted is None and earlier is not None:
                    start = replace(start, message=earlier[0], existing=True, answer=earlier[1])
                    if earlier[1] is not None:
                        raise Replay(start)  # answered: change nothing, take no lease
                admit(session_row(locked, cipher), int(locked["day_tokens"]))
                if took is not None:
                    got = await took.fetchone()
                    if got is None or not got["acquired"]:
                        raise Busy
                if inserted is None and earlier is None:
                    # the insert only skips a used request_id or an inactive session
                    raise inactive(session_row(locked))
        except Replay as replay:
            answer = replay.start.answer
            if answer is not None and answer.receipt_id:
                async with self._db.connection() as conn:
                    (answer,) = await _with_receipts(conn, [answer], self._sealer)
                return replace(replay.start, answer=answer)
            return replay.start
        if lease is not None:
            self._held(lease)
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
    ) -> ChatMessage:
        tokens = message.total_tokens
        release = lease is not None and lease.held
        cipher = await self._sealer.cipher(user_id, create=True)
        async with self._db.transaction(pipeline=True) as conn:
            lock = await conn.execute(Q.lock_session, {"id": session_id})
            if message.receipt is not None:
                await insert_receipt(conn, message.receipt, cipher)  # commits with the answer it covers
            ins = await conn.execute(Q.insert_message, message_params(message, cipher))
            await conn.execute(
                Q.after_message,  # releases the lease too (when held)
                {
                    "id": session_id,
                    "tokens": tokens,
                    "at": message.created_at,
                    "context": None,
                    "window": recent_window,
                    "release": release,
                    "owner": lease.owner if release and lease is not None else None,
                },
            )
            if tokens:
                await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
            if await lock.fetchone() is None:
                raise missing(session_id)
            row = await ins.fetchone()
            assert row is not None
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

    async def save_summary(self, summary: Summary, user_id: str, *, day: date) -> Summary:
        tokens = summary.total_tokens
        cipher = await self._sealer.cipher(user_id, create=True)
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
            assert row is not None
            if tokens:
                await conn.execute(Q.add_session_tokens, {"id": summary.session_id, "tokens": tokens})
                await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
        return summary_row(row, cipher)

    async def daily_tokens(self, user_id: str, day: date) -> int:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.daily_tokens, {"user_id": user_id, "day": day})
            row = await cur.fetchone()
        return int(row["tokens"]) if row is not None else 0


async def _with_receipts(
    conn: AsyncConnection[Any], messages: list[ChatMessage], sealer: SealerSource
) -> list[ChatMessage]:
    """The messages with their receipts (without data snapshots) loaded."""
    found = await light_receipts(conn, [m.receipt_id for m in messages if m.receipt_id], sealer)
    return [replace(m, receipt=found.get(m.receipt_id)) if m.receipt_id else m for m in messages]

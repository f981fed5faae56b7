"""What the chat core needs from the outside world: the portfolio context and a store.

Implemented by the portfolio domain service (context) and :mod:`stack_cfo.store.chat`
(store). AI text comes through :class:`stack_cfo.core.ai.ComputeClient`; archives through
:class:`stack_cfo.core.archive.ArchiveStore`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from stack_cfo.core.archive import StoreSubmission
from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
    NewSession,
    PortfolioContext,
    SessionStatus,
    Summary,
)


@dataclass(frozen=True, slots=True)
class TurnStart:
    """The stored user message and the state the prompt is built from."""

    message: ChatMessage
    session: ChatSession
    summary: Summary | None
    """The newest summary, if any."""
    uncovered: tuple[ChatMessage, ...]
    """Messages after the summary's range (all of them without one), the new message last."""
    existing: bool = False
    """The request_id was already used: ``message`` is that earlier message, nothing was stored."""
    answer: ChatMessage | None = None
    """With ``existing``: the stored answer to it, if any."""
    locale: str | None = None
    """The user's stored locale tag ("" for none), read with the turn; None when not read."""


@dataclass(frozen=True, slots=True)
class SessionRows:
    """What :meth:`ChatStore.list_sessions` read."""

    sessions: list[ChatSession]
    cut: bool
    """It stopped at ``max_bytes`` with sessions after the last one left unread."""


class PortfolioContextSource(Protocol):
    """The user's current portfolio as a chat context, or ``None`` when they have no portfolio."""

    async def snapshot(self, user_id: str) -> PortfolioContext | None: ...


class NoPortfolio:
    """A source for deployments without a portfolio service: every user has no portfolio."""

    async def snapshot(self, user_id: str) -> PortfolioContext | None:
        return None


class ChatStore(Protocol):
    """Persistence of sessions, the transcript, summaries and the token ledger.

    Every method is atomic on its own. None keeps a transaction open after it returns; the
    turn lease (:meth:`lease`) is what serialises turns across the AI call.
    """

    async def create_session(self, new: NewSession, *, request_id: str = "", request_hash: str = "") -> ChatSession:
        """Insert the session (and its user on first use). A repeated ``request_id`` with the
        same hash returns the session the first call created; a different hash raises
        InvalidArgument (REQUEST_ID_REUSED)."""
        ...

    async def get_session(self, session_id: str, *, touch_at: datetime | None = None) -> ChatSession | None:
        """The session, or ``None``. With ``touch_at``, ``last_accessed_at`` is set to it."""
        ...

    async def list_sessions(
        self,
        user_id: str,
        statuses: Sequence[SessionStatus],
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
        max_bytes: int | None = None,
        measure: Callable[[ChatSession], int] | None = None,
    ) -> SessionRows:
        """At most ``limit`` sessions newest access first (then id descending), strictly after the
        ``after`` key. With ``max_bytes`` and ``measure``, it stops (``cut``) after the first session
        that takes the sessions read past that many bytes, a session's bytes being
        ``measure(session)`` (called off the event loop), so that a page of large contexts reads and
        decodes about a page, not ``limit`` rows."""
        ...

    async def delete_session(self, session_id: str, *, at: datetime) -> ChatSession | None: ...

    def watch_sessions(self, on_gone: Callable[[str], None], in_flight: Callable[[], Sequence[str]]) -> None:
        """Call ``on_gone(session_id)`` on the event loop whenever a session is deleted or its row
        erased, by any process sharing the store, from now on (started once; later calls change
        nothing). Whenever deletions may have been missed (the store's connection for this came
        back), the sessions of ``in_flight()`` that are gone are reported too."""
        ...

    async def messages(self, session_id: str, *, after_seq: int = 0) -> list[ChatMessage]:
        """Transcript messages with ``seq > after_seq``, oldest first."""
        ...

    async def with_receipts(self, messages: Sequence[ChatMessage]) -> list[ChatMessage]:
        """The messages with the receipts their ``receipt_id`` names (without data snapshots) loaded;
        a receipt no longer stored is left out."""
        ...

    def lease(
        self, session_id: str, *, wait_until: float | None = None, eager: bool = True
    ) -> AbstractAsyncContextManager[Any]:
        """The session's turn lease for the block, renewed in the background and released at
        the end (if still held). Yields a handle.

        ``eager``: take it on entry, waiting while another process holds it; ``wait_until``
        (``time.monotonic()``) bounds the wait (Aborted SESSION_BUSY); NotFound if the session
        does not exist. Not eager: :meth:`begin_turn` takes it (same waiting rules) in its own
        transaction, which saves a round trip before the answer starts.
        """
        ...

    async def begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        *,
        owner: str,
        day: date,
        admit: Callable[..., None],
        recent_window: int,
        lease: Any = None,
        started: Callable[[TurnStart], None] | None = None,
        reserve: int = 0,
    ) -> TurnStart:
        """Start a turn in one transaction: take the lease (when a not-yet-held handle is given),
        store the user message with the next ``seq`` and read what the prompt needs.

        NotFound (SESSION_NOT_FOUND) unless the session exists and belongs to ``owner``. When the
        message's request_id was already used in the session nothing is inserted and the earlier
        message comes back with ``existing`` set (and its ``answer``, if stored: then nothing at
        all changes and no lease is taken). Otherwise ``admit(session, tokens spent on day)`` is
        called inside the transaction: whatever it raises (session not active, budget spent)
        rolls everything back. While another holder has the lease the attempt rolls back and is
        retried, as :meth:`lease` waits.

        ``reserve`` > 0: the turn reserves that many tokens of the owner's daily budget until
        :meth:`complete_turn` replaces them by its usage (or the lease is released or expires).
        ``admit`` is then called as ``admit(session, tokens spent on day, tokens reserved by the
        owner's other turns in flight)``, both read after every earlier admission of the owner
        (on any replica) committed or rolled back, so concurrent turns see each other's
        reservations.

        A caller cancelled while the transaction runs waits for its end and gets CancelledError;
        ``started`` (when given) is called with the start once the transaction has committed, so
        such a caller still learns what was stored (a user message it must now answer or close).
        """
        ...

    async def complete_turn(
        self,
        session_id: str,
        user_id: str,
        message: ChatMessage,
        *,
        day: date,
        recent_window: int,
        lease: Any = None,
        charge: int | None = None,
    ) -> ChatMessage:
        """Store the assistant message with the next ``seq``, add its tokens (``charge`` when given: an estimate for
        an answer the provider billed without reporting its usage) to the session and to the user's daily ledger and
        drop the turn's reservation, in one transaction (an active
        or archived session); with ``lease``, release it in the same transaction. NotFound
        (SESSION_NOT_FOUND) when the session is gone (deleted, or its user's data erased): nothing
        is stored, and nothing of an erased user (such as a data key) is made again."""
        ...

    async def latest_summary(self, session_id: str) -> Summary | None:
        """The newest summary version of the session, if any."""
        ...

    async def summaries(self, session_id: str) -> list[Summary]:
        """Every summary version of the session, oldest first."""
        ...

    async def save_summary(self, summary: Summary, user_id: str, *, day: date) -> Summary:
        """Insert a new summary version (and count its tokens), atomically."""
        ...

    async def update_context(self, session_id: str, context: PortfolioContext, *, at: datetime) -> ChatSession:
        """Replace the context of an active session (FailedPrecondition otherwise)."""
        ...

    async def check_request(self, method: str, principal: str, request_id: str, request_hash: str) -> bool:
        """True when ``request_id`` was already recorded for this request; InvalidArgument
        REQUEST_ID_REUSED when it was recorded for a different one; False when unknown."""
        ...

    async def archive_session(
        self,
        session_id: str,
        *,
        address: str,
        at: datetime,
        request: tuple[str, str, str, str] | None = None,
    ) -> ChatSession:
        """Mark the session archived at ``address`` (only from active; an archived session is
        returned unchanged). ``request`` = (method, principal, request_id, hash) is recorded in
        the same transaction, and the transcript kept by :meth:`keep_archive_upload` is dropped."""
        ...

    async def archive_upload(self, session_id: str) -> bytes | None:
        """The sealed transcript an earlier archive attempt kept and did not record (None: none)."""
        ...

    async def drop_archive_upload(self, session_id: str) -> None:
        """Forget the kept sealed transcript: the next attempt seals a new one."""
        ...

    async def keep_archive_upload(self, session_id: str, sealed: bytes) -> bool:
        """Keep the sealed transcript about to be uploaded (replacing an earlier one, and the
        payment remembered for it), so a retry can upload the same bytes; False when the session
        is no longer active (nothing kept)."""
        ...

    async def archive_submission(self, session_id: str) -> StoreSubmission | None:
        """The storage payment remembered for the kept transcript (None: none)."""
        ...

    async def remember_archive_submission(self, session_id: str, sealed: bytes, submission: StoreSubmission) -> bool:
        """Remember the storage payment about to be sent for the kept transcript ``sealed``
        (replacing an earlier one); False when ``sealed`` is no longer the kept transcript."""
        ...

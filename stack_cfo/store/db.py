"""The database handle: an explicitly opened ``AsyncConnectionPool`` with error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncClientCursor, AsyncConnection, OperationalError, pq, sql
from psycopg.conninfo import conninfo_attempts_async, conninfo_to_dict, make_conninfo
from psycopg.pq import ConnStatus, ExecStatus, PollingStatus
from psycopg.pq.abc import PGconn
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from stack_cfo.core import data_scope
from stack_cfo.core import deadline as request_deadline
from stack_cfo.core.errors import DeadlineExceeded, Unavailable
from stack_cfo.store.errors import DATABASE_RETRY, wrap_exceptions

log = logging.getLogger(__name__)

#: The role the service runs as (migration 0011): row-level security applies to it.
APP_ROLE = "stack_cfo_app"
#: The role of the explicit system scope (:func:`stack_cfo.core.data_scope.system_scope`).
SYSTEM_ROLE = "stack_cfo_system"

# One round trip opens every transaction: BEGIN and the acting principal, transaction-local
# (is_local = true), so it cannot outlive the transaction or leak to the pool's next borrower.
# Pooled connections are in autocommit mode so psycopg sends no BEGIN of its own (a round trip
# before this one); BEGIN and the SELECT go as one simple query (or queued together in pipeline
# mode), so the values are inlined as literals, each checked against a strict alphabet (UUIDs,
# service and job names, role names).
_SCOPE_SQL = (
    "SELECT set_config('stack_cfo.user_id', '{}', true), set_config('stack_cfo.service', '{}', true),"
    " set_config('stack_cfo.scope', '{}', true)"
)
_SYSTEM_SCOPE_SQL = _SCOPE_SQL + ", set_config('role', '{}', true)"
#: The same for :meth:`Database.script`: BEGIN and the scope with the values as parameters.
_SCRIPT_SCOPE = (
    "BEGIN; SELECT set_config('stack_cfo.user_id', %(_scope_user)s, true),"
    " set_config('stack_cfo.service', %(_scope_service)s, true),"
    " set_config('stack_cfo.scope', %(_scope_kind)s, true); "
)
_SCRIPT_SYSTEM_SCOPE = _SCRIPT_SCOPE[:-2] + ", set_config('role', %(_scope_role)s, true); "
_BEGIN = b"BEGIN"
_COMMIT = b"COMMIT"
_LITERAL = re.compile(r"^[A-Za-z0-9_.:-]*\Z")


def _fill(template: str, *values: str) -> bytes:
    for v in values:
        if not _LITERAL.match(v):
            raise ValueError(f"not a scope value: {v!r}")
    return template.format(*values).encode()


#: A connection given back to the pool this recently is lent again without the pool's liveness
#: check (an empty query: one round trip per checkout). Under load connections come back within
#: milliseconds; one idle longer is checked as before. The same trade as HikariCP's
#: ``aliveBypassWindowMs``: a connection the server dropped inside the window fails its first
#: statement (UNAVAILABLE for that call) instead of being replaced before it.
CHECK_BYPASS_WINDOW = 0.5
_RETURNED_AT = "_stack_cfo_returned_at"


async def _note_return(conn: AsyncConnection[Any]) -> None:
    setattr(conn, _RETURNED_AT, time.monotonic())


async def _check(conn: AsyncConnection[Any]) -> None:
    returned = getattr(conn, _RETURNED_AT, None)
    if (returned is not None and time.monotonic() - returned < CHECK_BYPASS_WINDOW
            and conn.pgconn.status == ConnStatus.OK):
        return
    await AsyncConnectionPool.check_connection(conn)


class _Scope:
    """One :meth:`Database.connection` in progress: its task, and the pooled connection it holds
    (or the pool is checking for it), so that :meth:`Database.mark_down` can end it and
    :meth:`Database.revive_pool` can move it to the pool that replaces the one it waits on."""

    __slots__ = ("cancelled", "cancelling", "conn", "ended", "move_cancelled", "moved", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.cancelling = task.cancelling()
        self.conn: AsyncConnection[Any] | None = None
        self.ended = False
        """:meth:`Database.mark_down` ended it: its connection's socket was shut down, or (waiting
        for a connection) its task cancelled."""
        self.cancelled = False
        """:meth:`Database.mark_down` cancelled its task (one cancellation request of its own)."""
        self.moved = False
        """:meth:`Database.revive_pool` replaced the pool it is asking for a connection: a check of
        that pool's connection that fails ends the request there (:class:`_Moved`), and the
        request goes to the fresh pool."""
        self.move_cancelled = False
        """:meth:`Database.revive_pool` cancelled its wait on the replaced pool (one cancellation
        request of its own): the request goes to the fresh pool."""


class _Ended(BaseException):
    """Raised by the pool's check of a connection :meth:`Database.mark_down` shut down: a
    BaseException, so the pool gives the connection back (it discards it) and tries no other."""


class _Moved(BaseException):
    """Raised by the pool's check of a connection that failed it, for a request whose pool
    :meth:`Database.revive_pool` replaced meanwhile: the replaced pool (still backing off its
    reconnections) tries no other, and the request goes to the fresh pool."""


def _shut_down(conn: AsyncConnection[Any]) -> None:
    """Shut the connection's socket down (both ways) without closing it: whatever psycopg waits
    for on it ends at once (end of file: OperationalError, the connection BAD, so the pool
    discards it), where cancelling the wait would first ask the silent server to cancel the
    query and wait for it (up to 10 s). The descriptor stays psycopg's to close."""
    with contextlib.suppress(Exception):
        fd = conn.pgconn.socket  # (raises when the connection is closed already)
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Pool sizing and timeouts (psycopg_pool semantics)."""

    min_size: int = 2
    """Connections kept open while idle."""
    max_size: int = 20
    """Upper bound on open connections."""
    timeout: float = 5.0
    """Seconds a caller waits for a connection before the request fails UNAVAILABLE."""
    max_waiting: int = 0
    """Callers allowed to queue for a connection (0 = unbounded)."""
    max_idle: float = 300.0
    """Seconds an idle connection is kept above ``min_size``."""
    max_lifetime: float = 1800.0
    """Seconds before a connection is recycled."""
    reconnect_timeout: float = 60.0
    """Seconds the pool keeps trying to reconnect in the background before reporting failure."""


class Database:
    """One pool, opened explicitly, every use wrapped in the domain error mapping."""

    def __init__(
        self,
        conninfo: str,
        settings: PoolSettings | None = None,
        *,
        name: str = "stack-cfo",
        role: str | None = APP_ROLE,
        system_role: str = SYSTEM_ROLE,
    ) -> None:
        """``role``: SET ROLE to it on every new connection (row-level security applies to it even
        when the login user is a superuser or the tables' owner); None keeps the login user, and
        the system scope then switches no role (row-level security is whatever the login user gets)."""
        self.conninfo = conninfo
        self._settings = settings or PoolSettings()
        self._name = name
        self._role = role
        self._system_role = system_role
        self.pool = self._new_pool()
        self._opened = False
        self._probe_conn: PGconn | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self._abandoned: set[asyncio.Future[Any]] = set()
        #: The readiness checks found the database down (:meth:`mark_down`): calls are then
        #: refused at once (UNAVAILABLE), not handed a pooled connection that may never answer.
        self.down = False
        self._scopes: set[_Scope] = set()
        self._acquiring: dict[asyncio.Task[Any], _Scope] = {}
        """The scope of each task waiting for the pool to lend it a connection (one at a time)."""

    def mark_down(self) -> None:
        """The health checks say the database is down: calls fail fast (UNAVAILABLE
        ``DATABASE_UNAVAILABLE`` at once) instead of each holding its caller until its deadline
        on a pooled connection to a server that does not answer (a stalled or partitioned one
        keeps its sockets open, so the pool still lends them), until the database answers again
        (:meth:`revive_pool`).

        The calls already in :meth:`connection` end too, with the same error: the socket of the
        connection each holds (or that the pool is checking for it) is shut down, so the query
        it waits on fails at once and the pool discards the connection; one still waiting for a
        connection has its task cancelled, and the cancellation becomes the error in that scope
        (a cancellation of the caller's own still propagates as one)."""
        self.down = True
        ended = 0
        for scope in list(self._scopes):
            if scope.ended:
                continue
            scope.ended = True
            ended += 1
            if scope.conn is not None:
                _shut_down(scope.conn)
            elif not scope.task.done():
                scope.cancelled = True
                scope.task.cancel("the database is down")
        if ended:
            log.warning("database down: calls in flight ended", extra={"pool": self._name, "calls": ended})

    def _new_pool(self) -> AsyncConnectionPool[AsyncConnection[dict]]:  # type: ignore[type-arg]
        s = self._settings
        return AsyncConnectionPool(
            self.conninfo,
            open=False,
            min_size=s.min_size,
            max_size=s.max_size,
            timeout=s.timeout,
            max_waiting=s.max_waiting,
            max_idle=s.max_idle,
            max_lifetime=s.max_lifetime,
            reconnect_timeout=s.reconnect_timeout,
            check=self._check,
            reset=_note_return,
            configure=self._configure if self._role else None,
            kwargs={"application_name": self._name, "row_factory": dict_row, "autocommit": True},
            name=self._name,
        )

    async def _check(self, conn: AsyncConnection[Any]) -> None:
        """The pool's check of a connection it is about to lend: noted as the connection of the
        scope asking (when :meth:`mark_down` comes during the check, it ends that check)."""
        task = asyncio.current_task()
        scope = self._acquiring.get(task) if task is not None else None
        if scope is None:
            await _check(conn)
            return
        scope.conn = conn
        try:
            await _check(conn)
        except Exception:
            scope.conn = None
            if scope.ended:
                raise _Ended from None
            if scope.moved:
                raise _Moved from None
            raise
        if scope.ended:  # shut down just as the check answered: the pool must not lend it
            scope.conn = None
            raise _Ended

    async def _configure(self, conn: AsyncConnection[Any]) -> None:
        """Run as the service role: superusers and table owners would bypass row-level security."""
        await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self._role or "")))
        await conn.commit()

    async def open(self, *, timeout: float = 30.0) -> None:
        """Open the pool and wait until ``min_size`` connections are ready (raises Unavailable)."""
        with wrap_exceptions():
            await self.pool.open(wait=True, timeout=timeout)
        self._opened = True
        await self._warn_if_bypassing()

    async def _warn_if_bypassing(self) -> None:
        with contextlib.suppress(Exception):
            async with self.pool.connection() as conn:
                row = await (await conn.execute(
                    "SELECT current_user AS role, rolsuper OR rolbypassrls AS bypass FROM pg_roles"
                    " WHERE rolname = current_user"
                )).fetchone()
            if row and row["bypass"]:
                log.warning("row-level security is not enforced: the service runs as a role that bypasses it",
                            extra={"role": row["role"], "pool": self._name})

    @property
    def role(self) -> str | None:
        return self._role

    async def close(self) -> None:
        abandoned = self._drop_probe()
        await asyncio.gather(*abandoned, return_exceptions=True)
        for task in list(self._retired):
            task.cancel()
        await asyncio.gather(*self._retired, return_exceptions=True)
        if self._opened or not self.pool.closed:
            await self.pool.close()
        self._opened = False

    @property
    def is_open(self) -> bool:
        return self._opened and not self.pool.closed

    @asynccontextmanager
    async def connection(
        self, *, pipeline: bool = False, scripted: bool = False
    ) -> AsyncIterator[AsyncConnection[dict]]:  # type: ignore[type-arg]
        """A pooled connection; the pool commits on clean exit and rolls back on error.

        Inside a request the work is bounded by the caller's gRPC deadline: a statement still
        running then is cancelled on the server and the call fails DEADLINE_EXCEEDED.

        ``pipeline``: the body runs in psycopg's pipeline mode; BEGIN and the scope are queued
        ahead of its statements and travel with them (the body's first fetch sends the lot), and
        on a clean exit COMMIT travels with the pipeline's closing sync: two round trips for a
        transaction that fetches once, where the scope statement, the pipeline and the COMMIT
        took three. An error in the body skips the COMMIT and the pool rolls back as before.

        ``scripted``: nothing is sent before the body, whose first message must be a
        :meth:`script` (BEGIN and the scope travel in it): see :meth:`run_script`.
        """
        if self.down:
            # Known down (the health checks failed in a row): a pooled connection may be one to a
            # stalled server whose queries never answer, and cancelling one waits for the server
            # too, so no call is let near one; the first check that answers clears ``down``.
            raise _down()
        remaining = request_deadline.remaining()
        deadline = asyncio.timeout(remaining)
        task = asyncio.current_task()
        assert task is not None
        scope = _Scope(task)
        self._scopes.add(scope)
        self._acquiring[task] = scope
        try:
            async with deadline:
                with wrap_exceptions():
                    async with contextlib.AsyncExitStack() as lent:
                        conn = await self._borrow(lent, scope)
                        scope.conn = conn
                        del self._acquiring[task]
                        if pipeline:
                            async with conn.pipeline():  # one statement per query: BEGIN, then the scope
                                await conn.execute(_BEGIN, prepare=False)
                                await conn.execute(self._scope_select(), prepare=False)
                                yield conn
                                # queued too: the pipeline's closing sync carries it (the pool
                                # then finds the transaction closed and sends no COMMIT of its own)
                                await conn.execute(_COMMIT, prepare=False)
                        elif scripted:
                            yield conn
                        else:
                            # BEGIN and the scope in one simple query (two statements: never prepared)
                            await conn.execute(_BEGIN + b"; " + self._scope_select(), prepare=False)
                            yield conn
        except TimeoutError:
            if remaining is not None and deadline.expired():
                raise DeadlineExceeded(
                    "the caller's deadline passed during a database call", reason="DEADLINE_EXCEEDED"
                ) from None
            raise
        except _Ended:
            raise _down() from None
        except asyncio.CancelledError:
            # ours (mark_down) when no other cancellation of the task is pending: asyncio.timeout's rule
            if scope.cancelled and task.uncancel() <= scope.cancelling:
                raise _down() from None
            raise
        finally:
            if self._acquiring.get(task) is scope:
                del self._acquiring[task]
            self._scopes.discard(scope)
            scope.conn = None

    async def _borrow(
        self, lent: contextlib.AsyncExitStack, scope: _Scope
    ) -> AsyncConnection[dict]:  # type: ignore[type-arg]
        """A connection of the pool, given back when ``lent`` exits. A request waiting on a pool
        that :meth:`revive_pool` replaces (it was still backing off its reconnections) is moved
        to the fresh pool there and then, within what is left of the pool's ``timeout``: it does
        not sit on the old one until that timeout."""
        give_up = time.monotonic() + self._settings.timeout
        while True:
            try:
                return await lent.enter_async_context(self.pool.connection(timeout=give_up - time.monotonic()))
            except _Moved:
                pass
            except asyncio.CancelledError:
                if not scope.move_cancelled:
                    raise
                scope.move_cancelled = False
                # ours alone: another cancellation (the caller's, its deadline's, mark_down's) wins
                if scope.task.uncancel() > scope.cancelling:
                    raise
            scope.moved = False
            if self.down:
                raise _down()

    def _scope_select(self) -> bytes:
        """The ``SELECT set_config(...)`` of the acting principal of :mod:`~stack_cfo.core.data_scope`.

        It follows ``BEGIN`` in the same round trip; the pool commits the transaction on a clean
        return and rolls it back on an error; a ``conn.transaction()`` inside it is a savepoint.
        No scope sets empty values: the policies then match no user rows (fail closed).
        """
        user, service, kind, role = self._scope_values()
        if role is not None:
            return _fill(_SYSTEM_SCOPE_SQL, user, service, kind, role)
        return _fill(_SCOPE_SQL, user, service, kind)

    def _scope_values(self) -> tuple[str, str, str, str | None]:
        """(user, service, scope kind, role to switch to or None) of the acting principal."""
        scope = data_scope.current()
        if scope is None:
            return "", "", "", None
        if scope.is_system:
            return "", "", "system", self._system_role if self._role else None
        return scope.user_id or "", scope.service or "", "user", None

    @asynccontextmanager
    async def transaction(
        self, *, pipeline: bool = False, scripted: bool = False
    ) -> AsyncIterator[AsyncConnection[dict]]:  # type: ignore[type-arg]
        """A connection inside one transaction (all-or-nothing), bounded like :meth:`connection`.

        Every pooled connection already is one transaction (begun by the scope statement,
        committed on a clean exit, rolled back on an error), so no savepoint is opened: a
        ``conn.transaction()`` here cost a SAVEPOINT and a RELEASE round trip for nothing."""
        async with self.connection(pipeline=pipeline, scripted=scripted) as conn:
            yield conn

    def script(self, query: str, params: dict[str, Any], *, commit: bool = False) -> tuple[str, dict[str, Any]]:
        """``query`` (one or more statements with ``%(name)s`` parameters) preceded by BEGIN and the
        acting principal's scope, and with ``commit`` followed by COMMIT, and its parameters with
        the scope's: a whole transaction, or its start, in one message to the server
        (:func:`run_script` sends it). An error in any statement skips the rest, COMMIT included,
        and the pool rolls the transaction back. The scope goes as parameters, so the text is the
        same for every caller (the driver caches its parsing by text)."""
        user, service, kind, role = self._scope_values()
        scope = {"_scope_user": user, "_scope_service": service, "_scope_kind": kind}
        head = _SCRIPT_SCOPE
        if role is not None:
            head, scope["_scope_role"] = _SCRIPT_SYSTEM_SCOPE, role
        return head + query + ("; COMMIT" if commit else ""), params | scope

    async def probe(self, timeout: float) -> None:
        """Readiness check: ``SELECT 1`` on a connection of its own, outside the pool, within
        ``timeout`` seconds (raises Unavailable otherwise).

        The pool waits out its reconnection back-off after an outage, so a check through it
        would report the database down seconds after it is back. This connection is kept open
        between checks, dropped on any failure and opened again by the next check. A check that
        has not answered in time is abandoned: its connection (open or still being opened) is
        closed at once, without a goodbye and without asking the server to cancel anything (a
        stalled server would hold either). It is a bare libpq connection for that reason: one
        psycopg abandons mid-connect stays open, unread, until the garbage collector finds it,
        and a stalled server that resumes then gives each such socket a backend (a leak of one
        server connection per check of the stall, until ``max_connections`` runs out).
        When the database answers again after failed checks, :meth:`revive_pool` gets the pool
        going again.
        """
        conn, self._probe_conn = self._probe_conn, None  # a check that fails or hangs never gives it back
        check = asyncio.ensure_future(_health_check(conn, self.conninfo, f"{self._name}-health"))
        try:
            done, _ = await asyncio.wait({check}, timeout=timeout)
        except BaseException:
            self._abandon(check)
            raise
        if not done:
            self._abandon(check)
            raise Unavailable("the database did not answer the health check in time", reason="DATABASE_UNAVAILABLE",
                              metadata=DATABASE_RETRY)
        self._probe_conn = check.result()

    def _abandon(self, check: asyncio.Future[PGconn]) -> None:
        """Cancel a check: its connection is closed as the cancellation reaches it (or, when it
        answered meanwhile, by :func:`_close_result`)."""
        check.cancel()
        self._abandoned.add(check)
        check.add_done_callback(_close_result)
        check.add_done_callback(self._abandoned.discard)

    async def revive_pool(self, timeout: float) -> None:
        """After an outage the pool retries its lost connections with a growing back-off (up to
        ``reconnect_timeout``), so requests would keep failing for seconds after the database is
        back. When it cannot hand out a connection at once, a fresh pool (connected now) takes
        its place; the old one closes once the connections it lent have had the pool's
        ``timeout`` to come back.

        A database marked down (:meth:`mark_down`) stays so until this returns (readiness flips
        right after): calls still fail fast while the old pool is tried and the fresh one opens,
        instead of queueing on the old one. Calls waiting on the old pool when the fresh one
        takes its place (none was marked down: the scheduler, or fewer failed checks than
        readiness needs) are moved to the fresh one at once (:meth:`_borrow`)."""
        try:
            await self._renew_pool(timeout)
        finally:
            self.down = False

    async def _renew_pool(self, timeout: float) -> None:
        if not self.is_open:
            return
        try:
            # A connection that answers, not just one the pool hands out: one returned just before the outage
            # skips the pool's check (CHECK_BYPASS_WINDOW) and its socket still looks fine until used, so the
            # old pool was kept with dead connections and the first call after readiness failed.
            async with asyncio.timeout(min(0.2, timeout)), self.pool.connection() as conn:
                await conn.execute("SELECT 1")
                return
        except Exception:
            pass
        fresh = self._new_pool()
        try:
            await fresh.open(wait=True, timeout=timeout)
        except Exception:
            await fresh.close()
            return
        old, self.pool = self.pool, fresh
        moved = self._move_requests()
        log.info("database back: connection pool replaced", extra={"pool": self._name, "calls_moved": moved})

        async def retire() -> None:
            try:
                await asyncio.sleep(self._settings.timeout)
            finally:
                await old.close()

        task = asyncio.get_running_loop().create_task(retire(), name=f"{self._name}-retire-pool")
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    def _move_requests(self) -> int:
        """Every :meth:`connection` still asking the replaced pool asks the fresh one instead: a
        wait for a connection is cancelled (:meth:`_borrow` asks again), a check of a connection
        in progress may still lend it, and fails to the fresh pool (:class:`_Moved`)."""
        moved = 0
        for scope in list(self._acquiring.values()):
            if scope.ended or scope.task.done():
                continue
            scope.moved = True
            moved += 1
            if scope.conn is None and not scope.move_cancelled:
                scope.move_cancelled = True
                scope.task.cancel("the connection pool was replaced")
        return moved

    def _drop_probe(self) -> list[asyncio.Future[Any]]:
        conn, self._probe_conn = self._probe_conn, None
        finish_raw(conn)
        abandoned = list(self._abandoned)
        for check in abandoned:
            check.cancel()
        return abandoned

    async def ping(self, timeout: float = 2.0) -> None:
        """Round-trip ``SELECT 1``; raises Unavailable when the database does not answer."""
        with wrap_exceptions():
            async with self.pool.connection(timeout=timeout) as conn:
                await conn.execute("SELECT 1")

    def stats(self) -> dict[str, int]:
        return dict(self.pool.get_stats())


def _down() -> Unavailable:
    return Unavailable("database unavailable", reason="DATABASE_UNAVAILABLE", metadata=DATABASE_RETRY)


def finish_raw(conn: PGconn | None) -> None:
    """Close without a goodbye message: the socket may be dead or silent."""
    if conn is not None:  # (a no-op on a closed one; one libpq marked bad still holds its socket)
        with contextlib.suppress(Exception):
            conn.finish()


def _close_result(task: asyncio.Future[Any]) -> None:
    """An abandoned check's outcome: retrieved (so asyncio does not log it as never retrieved)
    and, when it is a connection after all, closed."""
    if task.cancelled():
        return
    if task.exception() is None:
        finish_raw(task.result())


async def _health_check(conn: PGconn | None, conninfo: str, application_name: str) -> PGconn:
    """``SELECT 1`` on ``conn``, or on a new connection when it is None or broken; the
    connection it ran on. The connection is closed on any failure and on cancellation, at once:
    nothing here waits for the server after either."""
    try:
        with wrap_exceptions():
            if conn is None or conn.status != ConnStatus.OK:
                finish_raw(conn)
                conn = None
                conn = await connect_raw(conninfo, application_name)
            await _select_1(conn)
        return conn
    except BaseException:
        finish_raw(conn)
        raise


async def connect_raw(conninfo: str, application_name: str) -> PGconn:
    """A libpq connection in autocommit (no transaction is ever opened on it), each host of
    ``conninfo`` tried in turn as psycopg does (names resolved without blocking the loop). The
    half-open connection is closed on failure and on cancellation."""
    params = conninfo_to_dict(conninfo, application_name=application_name)
    error: Exception = OperationalError("no host to connect to")
    for attempt in await conninfo_attempts_async(params):
        pgconn = pq.PGconn.connect_start(make_conninfo("", **attempt).encode())
        try:
            status = PollingStatus.WRITING
            while pgconn.status != ConnStatus.BAD and status not in (PollingStatus.OK, PollingStatus.FAILED):
                await wait_raw(pgconn.socket, write=status == PollingStatus.WRITING)
                status = PollingStatus(pgconn.connect_poll())
            if pgconn.status == ConnStatus.OK and status == PollingStatus.OK:
                pgconn.nonblocking = 1
                return pgconn
            error = OperationalError(pgconn.get_error_message() or "connection failed")
        except OperationalError as exc:
            error = exc
        except BaseException:
            finish_raw(pgconn)
            raise
        finish_raw(pgconn)
    raise error


async def _select_1(pgconn: PGconn) -> None:
    """``SELECT 1`` on a non-blocking libpq connection (raises OperationalError)."""
    await run_raw(pgconn, "SELECT 1")


async def run_raw(pgconn: PGconn, query: str, params: list[str | None] | None = None) -> None:
    """One statement with ``$n`` text parameters on a non-blocking libpq connection (made by
    :func:`connect_raw`), its rows discarded; raises OperationalError. The readiness probe's and the
    replica heartbeat's way to the database: no pool, no psycopg connection object, every wait
    cancellable."""
    if params is None:
        pgconn.send_query(query.encode())
    else:
        pgconn.send_query_params(query.encode(), [p.encode() if p is not None else None for p in params])
    while pgconn.flush():
        await wait_raw(pgconn.socket, write=True)
    failed: bytes | None = None
    while True:
        pgconn.consume_input()
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                if failed is not None:
                    raise OperationalError(failed.decode(errors="replace"))
                return
            if result.status not in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
                failed = result.error_message or b"statement failed"
        await wait_raw(pgconn.socket, write=False)


async def wait_raw(fileno: int, *, write: bool) -> None:
    """Until ``fileno`` is writable (``write``) or readable. The watch is removed before this
    returns or raises (a cancellation included), so the caller may close the socket then."""
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not woken.done():
            woken.set_result(None)

    if write:
        loop.add_writer(fileno, wake)
    else:
        loop.add_reader(fileno, wake)
    try:
        await woken
    finally:
        if write:
            loop.remove_writer(fileno)
        else:
            loop.remove_reader(fileno)


async def run_script(conn: AsyncConnection[Any], script: str, params: Any) -> list[dict[str, Any]]:
    """Run ``script`` (from :meth:`Database.script`, on a ``scripted`` connection) in one round
    trip, its parameters bound on the client (the simple query protocol takes no others); the
    rows of its last statement that returns rows.

    Each statement the driver sends costs this process its own bookkeeping, and each round trip a
    send, a wait registered with the event loop and a receive: a short transaction sent this way
    is one driver call and one or two round trips, where BEGIN, each statement and COMMIT took one
    call each."""
    cur = AsyncClientCursor(conn, row_factory=dict_row)
    await cur.execute(script, params)
    rows: list[dict[str, Any]] = []
    while True:
        result = cur.pgresult  # (``description`` builds a Column per column on each access)
        if result is not None and result.status == ExecStatus.TUPLES_OK:
            rows = await cur.fetchall()
        if not cur.nextset():
            return rows

"""Whose rows the current work may touch, carried in a context variable.

PostgreSQL's row-level security (migration 0011) lets a transaction see only the rows of the
acting user (and of the acting service principal, for the few tables a service owns); the store
hands the scope below to every transaction it opens. There are three kinds of scope:

* a **user** scope (:func:`user_scope`, :func:`act_for`): an RPC of that user, or of a service
  principal acting for that user;
* a **service** scope: an RPC of a service principal before it names a user (its own webhook
  endpoints, its request ids);
* the **system** scope (:func:`system_scope`): work that spans users by design (planner, reaper,
  outbox worker, erasure, news, archive, migrations). It is always entered by name, so a reviewer
  finds every such place with ``grep system_scope``.

No scope at all is not "everything": the database then shows no user rows (fail closed).
Tasks spawned from a request inherit the request's scope (context variables are copied).
"""

from __future__ import annotations

import contextvars
import functools
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
SERVICE_NAME_RULE = "1 to 64 ASCII letters, digits, '_', '.' or '-', starting with a letter or digit"


def is_service_name(name: str) -> bool:
    """A service principal's name (a token's ``sub``; the ``{service}`` of ``services/{service}/...``)."""
    return bool(_NAME.match(name))


@dataclass(frozen=True, slots=True)
class DataScope:
    """The acting principal of database work. ``system`` names the job when it spans users."""

    user_id: str | None = None
    service: str | None = None
    system: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system is not None


_scope: contextvars.ContextVar[DataScope | None] = contextvars.ContextVar("data_scope", default=None)
_S = TypeVar("_S", bound=DataScope | None)


def current() -> DataScope | None:
    """The scope of the current work (None: no scope, the database shows no user rows)."""
    return _scope.get()


def _user(user_id: str) -> str:
    return str(uuid.UUID(user_id))  # a malformed id is a programming error: ValueError


def _service(service: str | None) -> str | None:
    if service is not None and not _NAME.match(service):
        raise ValueError(f"not a service name: {service!r}")
    return service


@contextmanager
def _entered(scope: _S) -> Iterator[_S]:
    """``scope`` for the block, the previous one restored after it."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def user_scope(user_id: str, *, service: str | None = None) -> Iterator[DataScope]:
    """Work on behalf of ``user_id`` (by ``service`` when a service principal acts for them)."""
    with _entered(DataScope(user_id=_user(user_id), service=_service(service))) as scope:
        yield scope


@contextmanager
def service_scope(service: str) -> Iterator[DataScope]:
    """Work of the service principal ``service`` that has not named a user (yet)."""
    with _entered(DataScope(service=_service(service))) as scope:
        yield scope


@contextmanager
def system_scope(job: str) -> Iterator[DataScope]:
    """Work that spans users by design; ``job`` names it (logs, ``stack_cfo.scope_job``)."""
    if not _NAME.match(job):
        raise ValueError(f"not a job name: {job!r}")
    with _entered(DataScope(system=job)) as scope:
        yield scope


@contextmanager
def no_scope() -> Iterator[None]:
    """Drop any scope (tests, and background work that must not inherit a request's scope)."""
    with _entered(None):
        yield


def act_for(user_id: str) -> DataScope:
    """Narrow the rest of the current request to ``user_id``, once it is authorized to act for them.

    A user principal's scope already is that user; a service principal's scope becomes the user's
    (keeping the service, whose request ids stay visible). Set for the rest of the current context
    (the RPC's task), like the principal itself.
    """
    cur = _scope.get()
    if cur is not None and (cur.is_system or (cur.user_id == user_id and cur.service is None)):
        # a system job calling the domain keeps its scope; a user acting on their own rows
        # already has this one (every call of a user's request: no id parsed, nothing set)
        return cur
    scope = DataScope(user_id=_user(user_id), service=cur.service if cur is not None else None)
    _scope.set(scope)
    return scope


def set_scope(scope: DataScope | None) -> contextvars.Token[DataScope | None]:
    """Set the scope for the rest of the current context (the API's interceptor); undo with :func:`reset`."""
    return _scope.set(scope)


def reset(token: contextvars.Token[DataScope | None]) -> None:
    _scope.reset(token)


def principal_scope(user_id: str | None, service: str | None) -> DataScope:
    """The scope of an authenticated principal: its user, or its service until it names a user."""
    if user_id is not None:
        return DataScope(user_id=_user(user_id))
    return DataScope(service=_service(service))


def in_system_scope(job: str) -> Callable[[Callable[_P, Awaitable[_R]]], Callable[_P, Coroutine[Any, Any, _R]]]:
    """Decorate a coroutine function that spans users: it runs in :func:`system_scope` ``(job)``
    (so do tasks it spawns). For async generators use ``with system_scope(...)`` around the work
    between yields instead: a scope must not leak into the consumer."""

    def wrap(fn: Callable[_P, Awaitable[_R]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
        @functools.wraps(fn)
        async def scoped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with system_scope(job):
                return await fn(*args, **kwargs)

        return scoped

    return wrap


def iterate_in_system_scope(job: str, items: AsyncIterator[_T]) -> AsyncIterator[_T]:
    """Run the async generator ``items`` in :func:`system_scope` ``(job)``, step by step: the scope
    holds while it computes each item, and never leaks into the consumer between items."""

    async def scoped() -> AsyncIterator[_T]:
        try:
            while True:
                with system_scope(job):
                    try:
                        item = await anext(items)
                    except StopAsyncIteration:
                        return
                yield item
        finally:
            closer = getattr(items, "aclose", None)
            if closer is not None:
                with system_scope(job):
                    await closer()

    return scoped()


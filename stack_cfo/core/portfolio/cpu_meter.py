"""Who pays for the CPU a portfolio computation takes.

The API layer puts an account (:class:`CpuAccount`, a principal's CPU budget) in the context of a
read call (:func:`charged_to`); the service asks it before starting a new computation
(:func:`admit`: a cached summary, or one already being computed for another call, is never
refused nor made to wait), holds the turn it grants until that computation is over (one computation
of a payer's at a time: a second one waits for the first to be over and charged, then is admitted
or refused on what the first cost), and charges it with the thread CPU time of the synchronous work (:func:`metered`),
wherever that runs: on the event loop, or on a compute-pool or ``to_thread`` thread (both run in a
copy of the caller's context, as does a task the call creates, so a computation shared by several
calls is charged to the one that started it). Work done outside any call (the recomputation of a
watched portfolio after a price change) runs with no account and is charged to nobody.

Thread CPU time (``time.thread_time``), not wall time: another thread holding the GIL meanwhile is
not counted, and what runs on the loop between the ``await``\\ s of a call (its database reads) is
not measured, only the computation itself and the making of its message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

Release = Callable[[], None]
"""Ends a payer's turn (see :func:`admit`); calling it again does nothing."""


class CpuAccount(Protocol):
    async def admit(self) -> Release:
        """Wait until no other computation of the payer's is running (cancellable), then raise (a
        :mod:`stack_cfo.core.errors` error) when the payer may not start one now, or return what ends
        the turn taken: called once the computation is over and charged."""

    def charge(self, seconds: float) -> None:
        """Add ``seconds`` of CPU to what the payer spent (called from any thread)."""


_account: ContextVar[CpuAccount | None] = ContextVar("cpu_account", default=None)


@contextlib.contextmanager
def charged_to(account: CpuAccount | None) -> Iterator[None]:
    """Computations started (and work metered) in this block are ``account``'s (None: nobody's)."""
    token = _account.set(account)
    try:
        yield
    finally:
        _account.reset(token)


def _nobody() -> None:
    pass


async def admit() -> Release:
    """Before a new computation: wait for the current account's turn, and raise if it may not start
    one; the caller calls what is returned once the computation is over and charged (when it ends
    any way, cancelled included). No account: no wait, and nothing to release."""
    account = _account.get()
    if account is None:
        return _nobody
    return await account.admit()


@contextlib.contextmanager
def metered() -> Iterator[None]:
    """Charge the current account with the thread CPU time the block takes (even when it raises)."""
    account = _account.get()
    if account is None:
        yield
        return
    start = time.thread_time()
    try:
        yield
    finally:
        account.charge(time.thread_time() - start)


def metered_call(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``, :func:`metered`: what a call sends off the event loop, as
    :func:`in_thread` does, or ``compute_pool.run(functools.partial(metered_call, fn))``
    (both run it in a copy of the caller's context), is charged to the caller's account. ``fn`` must not
    meter its own work (it would be charged twice)."""
    with metered():
        return fn(*args, **kwargs)


async def in_thread(large: bool, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``: when ``large``, on a ``to_thread`` thread (so that other callers, the health port's
    probes among them, are not held meanwhile), its CPU there charged to the caller's account
    (:func:`metered_call`); else here, on the loop, where the call's own measuring counts it."""
    if large:
        return await asyncio.to_thread(metered_call, fn, *args, **kwargs)
    return fn(*args, **kwargs)

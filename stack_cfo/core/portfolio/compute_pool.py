"""The CPU work on large portfolios (summaries and histories above the inline size, see
:mod:`.service`) runs on one small executor of its own, not on the loop's default one.

The default executor has many threads (``min(32, cpus + 4)``): big computations that piled up
(a watched portfolio recomputed after each price change, each taking longer than the changes
came) all ran at once, each holding its intermediate figures (~200 MB for 1,000 positions x 500
days), and each thread got its own glibc malloc arena, whose freed memory is seldom given back:
a load test's server went from 154 MB to 1.4 GB and stayed there idle. Here at most
:data:`WORKERS` such computations are in memory at once (the work holds the GIL, so more threads
would not finish them sooner), a computation whose caller has gone before it started never runs
(asyncio cancels a queued executor job with its awaiting future), and after each one the freed
heap is handed back to the operating system (:func:`trim`).
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import functools
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Threads computing large portfolios at once, per process.
WORKERS = 1

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's executor for large computations (made on first use)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="portfolio-compute")
        return _executor


async def run(fn: Callable[[], T], *, started: Callable[[], None] | None = None) -> T:
    """``fn()`` on the executor, in the caller's context (as :func:`asyncio.to_thread`). Cancelled
    before it starts, it never runs; once running it runs to the end (a thread cannot be stopped)
    and its result is dropped. ``started``: called on the worker thread as ``fn`` starts."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    return await loop.run_in_executor(executor(), functools.partial(ctx.run, _call, fn, started))


def _call(fn: Callable[[], T], started: Callable[[], None] | None) -> T:
    if started is not None:
        started()
    try:
        return fn()
    finally:
        trim()


def _load_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        fn = libc.malloc_trim  # glibc only (musl has no malloc_trim)
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


_malloc_trim = _load_malloc_trim()


def trim() -> None:
    """Give the C heap's free memory back to the operating system (glibc ``malloc_trim``; a no-op
    elsewhere). A big computation frees hundreds of MB of small blocks the allocator otherwise
    keeps mapped for good. It costs milliseconds, and is only called after a large computation."""
    if _malloc_trim is not None:
        _malloc_trim(0)

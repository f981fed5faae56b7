"""What a full collection finds unreachable: for tests that a refused call leaves no cycle behind."""

from __future__ import annotations

import gc
from collections.abc import Callable


def unreachable_now(describe: Callable[[object], str | None]) -> list[str]:
    """A full collection now, with what it found unreachable kept for inspection: ``describe`` of each
    object it names (None: not of interest), then released."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [d for o in gc.garbage if (d := describe(o)) is not None]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

"""Keeps the interpreter's recursion limit where it was when ``eth_account`` is imported.

``eth_account`` imports ``py_ecc``, whose package ``__init__`` raises the limit to 100,000 for the
whole process. With that limit a deeply nested JSON document (a provider's answer, an error body, a
chain RPC reply) no longer fails with ``RecursionError``: ``json.loads`` recurses until the C stack
overflows and the process dies (a segfault at 100,000 ``[``). Nothing here or in the ``eth_*``
code we call recurses that deep (BLS pairings, py_ecc's reason for it, are not used), so the
package imports ``eth_account`` once, first, and restores the limit (later imports find it
loaded and do not raise it again).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from stack_cfo.zerog.sse import too_deep

_before = sys.getrecursionlimit()
import eth_account  # noqa: E402, F401  (imported for its side effect, undone below)

sys.setrecursionlimit(_before)


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` for a document from outside (a provider, a router, a chain or storage node):
    nesting deeper than :data:`~.sse.MAX_EVENT_DEPTH` is a ``ValueError`` like any other malformed document
    (``RecursionError`` is not one, and the callers, which catch ``ValueError``, let it through as
    an internal error)."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else text
    # Checked before decoding, not left to the recursion limit: any other import may raise it again.
    if too_deep(data):
        raise ValueError("JSON document nested too deeply")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON document nested too deeply") from exc

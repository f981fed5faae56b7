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

import sys

_before = sys.getrecursionlimit()
import eth_account  # noqa: E402, F401  (imported for its side effect, undone below)

sys.setrecursionlimit(_before)

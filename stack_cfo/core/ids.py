"""The one spelling of a user id: a dashed UUID, in lower case once read."""

from __future__ import annotations

import re

#: A UUID already in its canonical form (what clients send): returned as is.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
#: The one spelling a UUID may take besides the canonical one: upper case (normalised).
#: Braces, ``urn:uuid:`` and the 32-digit form are refused (AIP-122: one name per resource; one
#: principal per user).
_DASHED_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}").fullmatch


def canonical_uuid(raw: str) -> str | None:
    """``raw`` as a UUID in canonical form (lower case, dashed); None when it is not one."""
    if _CANONICAL_UUID(raw):
        return raw
    return raw.lower() if _DASHED_UUID(raw) else None

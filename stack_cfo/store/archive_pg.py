"""The PostgreSQL archive store: write-once blobs addressed ``pg:<sha256 hex>``.

The default backend of :class:`stack_cfo.core.archive.ArchiveStore` (0G Storage drops in
behind the same port). Blobs are checked against their address on the way out; a blob that
no longer matches is :class:`ArchiveCorrupted`, never returned. The owner is checked on read:
someone else's address is :class:`ArchiveNotFound` (existence does not leak).
"""

from __future__ import annotations

import hashlib
import re
import uuid

from stack_cfo.core.archive import NAMESPACES, ArchiveCorrupted, ArchiveNotFound, invalid_address
from stack_cfo.core.errors import AlreadyExists, InvalidArgument
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.db import Database

PREFIX = "pg:"
_ADDRESS = re.compile(r"^pg:[0-9a-f]{64}\Z")

_INSERT = """
INSERT INTO archive_objects (address, namespace, key, owner, content, sha256)
VALUES (%(address)s, %(namespace)s, %(key)s, %(owner)s, %(content)s, %(sha256)s)
ON CONFLICT (address) DO NOTHING
RETURNING address
"""
_OWNER = "SELECT owner FROM archive_objects WHERE address = %(address)s"
_GET = "SELECT content, sha256, owner FROM archive_objects WHERE address = %(address)s"


def address_of(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


@store_metrics.timed(store_metrics.ARCHIVE)
class PgArchiveStore:
    """``ArchiveStore`` on the ``archive_objects`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, namespace: str, key: str, data: bytes, *, owner: str) -> str:
        if namespace not in NAMESPACES:
            raise InvalidArgument.field("namespace", f"unknown archive namespace {namespace!r}",
                                        reason="ARCHIVE_NAMESPACE_INVALID")
        owner = _owner(owner)
        digest = hashlib.sha256(data).hexdigest()
        address = PREFIX + digest
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                _INSERT,
                {"address": address, "namespace": namespace, "key": key, "owner": owner,
                 "content": data, "sha256": digest},
            )
            if await cur.fetchone() is None:
                # Same bytes stored before: write-once, so that is the same blob -- unless
                # it belongs to someone else (whose row row-level security hides: no row).
                cur = await conn.execute(_OWNER, {"address": address})
                row = await cur.fetchone()
                if row is None or str(row["owner"]) != owner:
                    raise AlreadyExists(
                        "identical bytes are archived for another owner", reason="ARCHIVE_OWNER_CONFLICT",
                        metadata={"address": address},
                    )
        return address

    async def get(self, address: str, *, owner: str) -> bytes:
        if not _ADDRESS.match(address):
            raise invalid_address(address, "not a PostgreSQL archive address (pg:<sha256 hex>)")
        owner = _owner(owner)
        async with self._db.connection() as conn:
            cur = await conn.execute(_GET, {"address": address})
            row = await cur.fetchone()
        if row is None or str(row["owner"]) != owner:
            raise ArchiveNotFound(address)
        data = bytes(row["content"])
        if PREFIX + hashlib.sha256(data).hexdigest() != address:
            raise ArchiveCorrupted(address, "archived bytes do not match their address", detail="root_mismatch")
        return data


def _owner(owner: str) -> str:
    try:
        return str(uuid.UUID(owner))
    except ValueError:
        raise InvalidArgument.field("owner", "must be a user id (UUID)", reason="INVALID_OWNER") from None

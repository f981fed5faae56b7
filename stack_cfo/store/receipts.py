"""Receipts of AI-written texts in ``ai_receipts`` (implements
:class:`~stack_cfo.core.provenance.ReceiptStore`).

:func:`insert_receipt` writes on a connection the caller holds, so a receipt and the row it
belongs to (a chat answer, a news summary) commit together.

A user's receipt keeps its data snapshot in ``ai_receipt_snapshots``, once per (user, SHA-256 of
the snapshot's text), and says so with ``snapshot_shared``: a chat session gives the model the
same data on every turn until its context is refreshed, and these copies were most of the
database's growth (docs/capacity.md). The receipt and its snapshot row are written by one
statement; a snapshot already stored is only marked used (``last_used_at``, which retention
reads). Receipts of shared texts (no user) and receipts written before keep the snapshot inline.

The bytes the provider signed (``signed_request``, ``signed_response``, migration 25: BYTEA, NULL
when none) are kept compressed: a user's sealed like the text (:meth:`UserCipher.seal`, which
zlib-compresses values from 1 KiB; the column holds the token's ASCII bytes, ``sc1:...``), others
as a zlib stream (which never starts with ``sc1:``). They are read by full reads only, as the
snapshot is: embedded receipts do not carry them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from stack_cfo.core.provenance import AiSurface, GroundingRecord, Receipt
from stack_cfo.core.provenance.snapshot import sha256_hex
from stack_cfo.crypto.fields import CLEAR, PREFIX, SealerSource, UserCipher
from stack_cfo.store.db import Database

#: Sealed columns of a user's receipt (bound to the receipt id): the AI text, the text the provider
#: signed, the data the AI was given, and the facts checked against it. Receipts of shared texts
#: (news summaries, no user) stay clear: they hold no one's data.
TEXT = "ai_receipts.text"
SIGNED_TEXT = "ai_receipts.signed_text"
SNAPSHOT = "ai_receipts.data_snapshot"
SHARED_SNAPSHOT = "ai_receipt_snapshots.data_snapshot"  # bound to its data_sha256 (and owner)
GROUNDING = "ai_receipts.grounding"
EXTRA_FACTS = "ai_receipts.extra_facts"
SIGNED_REQUEST = "ai_receipts.signed_request"
SIGNED_RESPONSE = "ai_receipts.signed_response"

_COLUMNS = (
    "id, user_id, surface, subject, provider, model, response_id, verification, tee_signer, signature, "
    "signed_text, router_tee_verified, prompt_sha256, data_sha256, data_snapshot, data_as_of, text, text_sha256, "
    "grounding, extra_facts, prompt_tokens, completion_tokens, fee_neuron, degraded_reason, created_at, "
    "snapshot_shared"
)
_VALUES = (
    "%(id)s, %(user_id)s, %(surface)s, %(subject)s, %(provider)s, "
    "%(model)s, %(response_id)s, %(verification)s, %(tee_signer)s, %(signature)s, %(signed_text)s, "
    "%(router_tee_verified)s, %(prompt_sha256)s, %(data_sha256)s, %(data_snapshot)s, %(data_as_of)s, %(text)s, "
    "%(text_sha256)s, %(grounding)s, %(extra_facts)s, %(prompt_tokens)s, %(completion_tokens)s, %(fee_neuron)s, "
    "%(degraded_reason)s, %(created_at)s, %(snapshot_shared)s"
)
#: The signed bodies: written and read whole, never by light reads.
_BODIES = "signed_request, signed_response"
_INSERT = (
    f"INSERT INTO ai_receipts ({_COLUMNS}, {_BODIES}) VALUES ({_VALUES}, %(signed_request)s, %(signed_response)s) "
    "ON CONFLICT (id) DO NOTHING"
)
#: A user's receipt and its snapshot row in one statement (the snapshot row first, in a CTE: both
#: run whatever the receipt's own conflict does). A stored snapshot is not written again: the
#: update only marks it used, under its row lock, so retention cannot delete it meanwhile.
_INSERT_SHARED = (
    "WITH snapshot AS (INSERT INTO ai_receipt_snapshots (user_id, data_sha256, data_snapshot) "
    "VALUES (%(user_id)s, %(data_sha256)s, %(shared_snapshot)s) "
    "ON CONFLICT (user_id, data_sha256) DO UPDATE SET last_used_at = now()) "
    f"{_INSERT}"
)
#: A receipt with its snapshot, wherever it is kept.
_SELECT_FULL = (
    "SELECT " + ", ".join(f"r.{c.strip()}" for c in f"{_COLUMNS}, {_BODIES}".split(","))
    + ", s.data_snapshot AS shared_snapshot "
    "FROM ai_receipts r LEFT JOIN ai_receipt_snapshots s "
    "ON r.snapshot_shared AND s.user_id = r.user_id AND s.data_sha256 = r.data_sha256 WHERE r.id = %s"
)
#: Every column but the snapshot, for receipts embedded in other messages.
_LIGHT = _COLUMNS.replace("data_snapshot, ", "''::text AS data_snapshot, ")


def _shares_snapshot(r: Receipt) -> bool:
    """Whether the receipt's snapshot goes to ``ai_receipt_snapshots`` (a user's, hashed as stored)."""
    return bool(r.user_id and r.data_snapshot and r.data_sha256 and sha256_hex(r.data_snapshot) == r.data_sha256)


#: A sealed token's prefix as bytes (a zlib stream never starts with it).
_SEALED = PREFIX.encode("ascii")


def _pack_bytes(c: UserCipher | None, column: str, row: str, raw: bytes) -> bytes | None:
    """Signed bytes as stored: sealed (compressed inside) with a sealing cipher, else zlib."""
    if not raw:
        return None
    if c is not None and c.sealing:
        return c.seal(column, row, raw.decode("latin-1")).encode("ascii")
    return zlib.compress(raw, 6)


def _unpack_bytes(c: UserCipher | None, column: str, row: str, stored: Any) -> bytes:
    if not stored:
        return b""
    stored = bytes(stored)
    if stored.startswith(_SEALED):
        if c is None:
            return b""  # a sealed value read without its owner's cipher: not readable here
        return c.open(column, row, stored.decode("ascii")).encode("latin-1")
    return zlib.decompress(stored)


def _params(r: Receipt, cipher: UserCipher | None) -> dict[str, Any]:
    c = cipher if cipher is not None and r.user_id is not None and cipher.owner == r.user_id else None
    rid = str(r.id)
    shared = _shares_snapshot(r)

    def seal(column: str, value: str, row: str = rid) -> str:
        return c.seal(column, row, value) if c is not None and value else value

    def seal_json(column: str, value: Any) -> Any:
        return c.seal_json(column, rid, value) if c is not None else value

    return {
        "id": r.id,
        "user_id": r.user_id,
        "surface": r.surface.value,
        "subject": r.subject,
        "provider": r.provider,
        "model": r.model,
        "response_id": r.response_id,
        "verification": r.verification,
        "tee_signer": r.tee_signer,
        "signature": r.signature,
        "signed_text": seal(SIGNED_TEXT, r.signed_text),
        "router_tee_verified": r.router_tee_verified,
        "prompt_sha256": r.prompt_sha256,
        "data_sha256": r.data_sha256,
        "data_snapshot": "" if shared else seal(SNAPSHOT, r.data_snapshot),
        "snapshot_shared": shared,
        "shared_snapshot": seal(SHARED_SNAPSHOT, r.data_snapshot, r.data_sha256) if shared else None,
        "data_as_of": r.data_as_of,
        "text": seal(TEXT, r.text),
        "text_sha256": r.text_sha256,
        "grounding": Jsonb(seal_json(GROUNDING, r.grounding.to_json())),
        "extra_facts": Jsonb(seal_json(EXTRA_FACTS, r.extra_facts)),
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "fee_neuron": r.fee_neuron,
        "degraded_reason": r.degraded_reason,
        "created_at": r.created_at,
        "signed_request": _pack_bytes(c, SIGNED_REQUEST, rid, r.signed_request),
        "signed_response": _pack_bytes(c, SIGNED_RESPONSE, rid, r.signed_response),
    }


def receipt_from_row(row: Mapping[str, Any], cipher: UserCipher | None = None) -> Receipt:
    rid = str(row["id"])

    def opened(column: str, key: str, row_id: str = rid) -> Any:
        value = row[key]
        return cipher.open(column, row_id, value) if cipher is not None and isinstance(value, str) else value

    def opened_json(column: str, key: str) -> Any:
        value = row[key]
        if cipher is not None:
            value = cipher.open_json(column, rid, value)
        return value

    grounding = opened_json(GROUNDING, "grounding")
    extra = opened_json(EXTRA_FACTS, "extra_facts")
    if not row.get("snapshot_shared"):
        snapshot = opened(SNAPSHOT, "data_snapshot")
    elif "shared_snapshot" in row:  # a full read: the copy joined from ai_receipt_snapshots
        snapshot = opened(SHARED_SNAPSHOT, "shared_snapshot", row["data_sha256"]) or ""
    else:  # a light read (no snapshot wanted)
        snapshot = ""
    return Receipt(
        id=str(row["id"]),
        surface=AiSurface(row["surface"]),
        subject=row["subject"],
        user_id=str(row["user_id"]) if row["user_id"] else None,
        provider=row["provider"],
        model=row["model"],
        response_id=row["response_id"],
        verification=row["verification"],
        tee_signer=row["tee_signer"],
        signature=row["signature"],
        signed_text=opened(SIGNED_TEXT, "signed_text"),
        prompt_sha256=row["prompt_sha256"],
        data_sha256=row["data_sha256"],
        data_snapshot=snapshot,
        data_as_of=row["data_as_of"],
        text=opened(TEXT, "text"),
        text_sha256=row["text_sha256"],
        grounding=GroundingRecord.from_json(grounding if isinstance(grounding, dict) else json.loads(grounding)),
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        fee_neuron=int(row["fee_neuron"]) if row["fee_neuron"] is not None else None,
        degraded_reason=row["degraded_reason"],
        created_at=row["created_at"],
        router_tee_verified=row["router_tee_verified"],
        extra_facts=extra if isinstance(extra, dict) else json.loads(extra or "{}"),
        signed_request=_unpack_bytes(cipher, SIGNED_REQUEST, rid, row.get("signed_request")),
        signed_response=_unpack_bytes(cipher, SIGNED_RESPONSE, rid, row.get("signed_response")),
    )


async def insert_receipt(conn: AsyncConnection[Any], receipt: Receipt, cipher: UserCipher | None = None) -> None:
    """Write ``receipt``; a user's receipt sealed with ``cipher`` (the user's, fetched by the caller
    before its transaction)."""
    params = _params(receipt, cipher)
    await conn.execute(_INSERT_SHARED if params["snapshot_shared"] else _INSERT, params)


def receipt_insert(receipt: Receipt, cipher: UserCipher | None = None) -> tuple[str, dict[str, Any]]:
    """A statement writing ``receipt`` (through ``ai_receipt_insert``, migrations 16 and 25) and its two
    parameters, ``receipt`` (the row as JSON) and ``shared_snapshot``: for a script that sends it
    with other statements (:func:`~stack_cfo.store.db.run_script`), where every parameter is
    quoted on the client."""
    params = _params(receipt, cipher)
    shared = params.pop("shared_snapshot")
    for key in ("data_as_of", "created_at"):
        if params[key] is not None:
            params[key] = params[key].isoformat()
    for key in ("grounding", "extra_facts"):
        params[key] = params[key].obj
    for key in ("signed_request", "signed_response"):
        if params[key] is not None:
            params[key] = "\\x" + params[key].hex()  # bytea's text form, read by jsonb_populate_record
    return (
        "SELECT ai_receipt_insert(%(receipt)s::jsonb, %(shared_snapshot)s::text)",
        {"receipt": Jsonb(params), "shared_snapshot": shared},
    )


class PgReceiptStore:
    def __init__(self, db: Database, *, sealer: SealerSource = CLEAR) -> None:
        self.db = db
        self.sealer = sealer

    async def save_receipt(self, receipt: Receipt) -> None:
        cipher = await self.sealer.cipher(receipt.user_id, create=True) if receipt.user_id else None
        async with self.db.connection() as conn:
            await insert_receipt(conn, receipt, cipher)

    async def get_receipt(self, receipt_id: str) -> Receipt | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(_SELECT_FULL, (receipt_id,))
            row = await cur.fetchone()
        if row is None:
            return None
        return receipt_from_row(row, await self.sealer.cipher(str(row["user_id"])) if row["user_id"] else None)

    async def receipts(self, ids: Iterable[str]) -> dict[str, Receipt]:
        """Receipts by id, without their data snapshots (for embedding in other messages)."""
        async with self.db.connection() as conn:
            return await light_receipts(conn, ids, self.sealer)


async def light_receipts(
    conn: AsyncConnection[Any], ids: Iterable[str], sealer: SealerSource = CLEAR
) -> dict[str, Receipt]:
    """Receipts by id on the caller's connection, without their data snapshots."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    cur = await conn.execute(f"SELECT {_LIGHT} FROM ai_receipts WHERE id = ANY(%s::uuid[])", (wanted,))
    rows = await cur.fetchall()
    ciphers = {u: await sealer.cipher(u) for u in dict.fromkeys(str(r["user_id"]) for r in rows if r["user_id"])}
    return {str(r["id"]): receipt_from_row(r, ciphers.get(str(r["user_id"]))) for r in rows}

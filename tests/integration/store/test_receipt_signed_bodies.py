"""The bytes a provider signed, as ai_receipts keeps them (migration 25): compressed, a user's sealed
like the receipt's text, a shared receipt's as a zlib stream; written by both insert paths (the
statement and ai_receipt_insert, which chat turns use) and read back exactly by full reads only."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.provenance import AiSurface, GroundingRecord, Receipt
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.crypto.fields import CLEAR, FieldSealer
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database
from stack_cfo.store.receipts import PgReceiptStore, receipt_insert
from tests.integration.scheduler.conftest import add_users
from tests.support.secrets import ARCHIVE_MASTER_KEYS

REQUEST = json.dumps({"model": "m", "messages": [{"role": "system", "content": "data " * 800}]}).encode()
# Not valid UTF-8 on purpose: the bytes are kept as received, whatever they are.
RESPONSE = b'data: {"choices":[{"delta":{"content":"caf\xc3\xa9 \xff"}}]}\n\n' * 40 + b"data: [DONE]\n\n"


def _receipt(user: str | None, **kw: Any) -> Receipt:
    base: dict[str, Any] = dict(
        id=Receipt.new_id(), surface=AiSurface.NEWS_SUMMARY if user is None else AiSurface.CHAT_ANSWER,
        subject="news/1", user_id=user, provider="0xabc", model="m", response_id="r", verification="VERIFIED",
        tee_signer="0x1", signature="0x2", signed_text="a:b", prompt_sha256="", data_sha256="", data_snapshot="",
        data_as_of=None, text="t", text_sha256="", grounding=GroundingRecord.not_checked(), prompt_tokens=1,
        completion_tokens=1, fee_neuron=1, degraded_reason="", created_at=datetime(2026, 3, 4, tzinfo=UTC),
        signed_request=REQUEST, signed_response=RESPONSE,
    )
    base.update(kw)
    return Receipt(**base)


async def _columns(db: Database, rid: str) -> tuple[bytes | None, bytes | None]:
    with system_scope("test-inspect"):
        async with db.connection() as conn:
            row = await (await conn.execute(
                "SELECT signed_request, signed_response FROM ai_receipts WHERE id = %s", (rid,))).fetchone()
    assert row is not None
    return row["signed_request"], row["signed_response"]


async def test_a_shared_receipt_keeps_its_bytes_as_zlib_and_reads_them_back_exactly(database: Database) -> None:
    store = PgReceiptStore(database, sealer=CLEAR)
    r = _receipt(None)
    with system_scope("test"):
        await store.save_receipt(r)
        got = await store.get_receipt(r.id)
        light = (await store.receipts([r.id]))[r.id]
    assert got is not None and got.signed_request == REQUEST and got.signed_response == RESPONSE
    assert light.signed_request == b"" and light.signed_response == b""  # embedded receipts carry none
    req, resp = await _columns(database, r.id)
    assert req is not None and resp is not None
    assert zlib.decompress(req) == REQUEST and zlib.decompress(resp) == RESPONSE
    assert len(req) < len(REQUEST) // 10


async def test_a_users_receipt_is_sealed_on_both_insert_paths_and_one_without_bytes_stores_null(
    database: Database,
) -> None:
    [user] = await add_users(database, 1)
    sealer = FieldSealer(PgKeyRing(database), MasterKeys.from_config(ARCHIVE_MASTER_KEYS))
    store = PgReceiptStore(database, sealer=sealer)
    direct, scripted = _receipt(user), _receipt(user)
    unsigned = _receipt(user, signed_request=b"", signed_response=b"", signature="", signed_text="")
    with system_scope("test"):
        await store.save_receipt(direct)
        await store.save_receipt(unsigned)
        query, params = receipt_insert(scripted, await sealer.cipher(user, create=True))
        async with database.connection() as conn:
            await conn.execute(query, params)
        got = [await store.get_receipt(x.id) for x in (direct, scripted, unsigned)]
    for r in got[:2]:
        assert r is not None and r.signed_request == REQUEST and r.signed_response == RESPONSE
    assert got[2] is not None and got[2].signed_request == b"" == got[2].signed_response
    for r in (direct, scripted):
        req, resp = await _columns(database, r.id)
        assert req is not None and resp is not None
        assert req.startswith(b"sc1:") and resp.startswith(b"sc1:") and b"data " not in req
        assert len(req) < len(REQUEST) // 5  # compressed inside the token
    assert await _columns(database, unsigned.id) == (None, None)

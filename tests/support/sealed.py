"""Read sealed columns back in tests, as a restored backup would be read: a fresh key cache over
the test database and the test servers' master keys."""

from __future__ import annotations

from stack_cfo.core.data_scope import user_scope
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.crypto.fields import FieldSealer, UserCipher
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database, PoolSettings
from tests.support.secrets import ARCHIVE_MASTER_KEYS


async def user_cipher(dsn: str, user: str, master_keys: str = ARCHIVE_MASTER_KEYS) -> UserCipher:
    db = Database(dsn, PoolSettings(min_size=1, max_size=1, timeout=5.0))
    await db.open()
    try:
        with user_scope(user):  # the user's key, in their scope (row-level security)
            return await FieldSealer(PgKeyRing(db), MasterKeys.from_config(master_keys)).cipher(user)
    finally:
        await db.close()

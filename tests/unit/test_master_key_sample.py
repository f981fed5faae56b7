"""The start-up check of the master keys (``archive_keys.wrong_master_key``) samples a few live data
keys per key id: a key is wrong when it unwraps none of them. A database where a process with the
wrong bytes already wrapped some keys under the id holds both kinds; with one sampled row the right key
was refused, at random (whichever row the heap gave first: found by the review)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from stack_cfo.crypto.envelope import MasterKey, MasterKeys, WrappedDek
from stack_cfo.store.archive_keys import wrong_master_key

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _wrapped(key: MasterKey, user: str) -> WrappedDek:
    return WrappedDek(user, 1, key.kek_id, key.wrap(user, 1, os.urandom(32)), NOW)


def test_the_right_key_is_not_refused_for_rows_a_wrong_key_wrapped_under_its_id() -> None:
    right, wrong = MasterKey("k1", os.urandom(32)), MasterKey("k1", os.urandom(32))
    mixed = [_wrapped(wrong, "u-bad"), _wrapped(right, "u-good"), _wrapped(wrong, "u-bad2")]
    assert wrong_master_key(MasterKeys([right], "k1"), mixed) is None
    # ... and a key that unwraps none of them is refused, naming its id
    other = MasterKey("k1", os.urandom(32))
    refused = wrong_master_key(MasterKeys([other], "k1"), mixed)
    assert refused is not None and refused[0] == "k1"


def test_ids_are_judged_apart_and_an_unconfigured_id_proves_nothing() -> None:
    k1, k2 = MasterKey("k1", os.urandom(32)), MasterKey("k2", os.urandom(32))
    k2_other = MasterKey("k2", os.urandom(32))
    rows = [_wrapped(k1, "a"), _wrapped(k2_other, "b"), _wrapped(MasterKey("k9", os.urandom(32)), "c")]
    refused = wrong_master_key(MasterKeys([k1, k2], "k1"), rows)
    assert refused is not None and refused[0] == "k2"
    assert wrong_master_key(MasterKeys([k1, k2_other], "k1"), rows) is None

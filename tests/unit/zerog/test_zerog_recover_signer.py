"""recover_signer gives what eth_account's recover_message gives (it replaces it on the hot path)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from stack_cfo.zerog.verify import recover_signer


@pytest.mark.parametrize("text", ["a" * 64 + ":" + "b" * 64, "", "é", "x" * 300])
def test_same_signer_as_eth_account(text: str) -> None:
    acct = Account.create()
    sig = bytes(acct.sign_message(encode_defunct(text=text)).signature)
    low_v = sig[:64] + bytes((sig[64] - 27,))
    for raw in (sig, low_v):
        for form in ("0x" + raw.hex(), raw.hex()):
            assert recover_signer(text, form) == acct.address
            assert recover_signer(text, form) == Account.recover_message(encode_defunct(text=text), signature=form)


@pytest.mark.parametrize("signature", ["", "0x", "0x" + "00" * 65, "0x" + "zz" * 65, "0x" + "ff" * 64 + "1b", "0x12"])
def test_malformed_signatures_raise(signature: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - verify_answer maps any error to bad_signature
        recover_signer("text", signature)

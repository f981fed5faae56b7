"""Insufficient balance, top-ups (decoded at the chain stand-in) and the chain client's write rules."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from stack_cfo.core.ai import CompletionOptions, Message
from stack_cfo.core.errors import FailedPrecondition
from stack_cfo.zerog import InsufficientFunds, ReceiptTimeout, TransactionReverted
from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.config import FundingPolicy
from stack_cfo.zerog.contracts import TRANSFER_FUND
from tests.integration.zerog.conftest import ONE_0G, ClientFactory
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn

ASK = [Message("user", "Summarise my week.")]
TOPUP = FundingPolicy(auto_topup=True, min_balance=Decimal("10"), topup_amount=Decimal("50"), cooldown=60.0)


async def test_insufficient_balance_is_a_typed_error_without_topup(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=ONE_0G // 2)
    with pytest.raises(InsufficientFunds) as info:
        await make_client([provider]).complete(ASK, options=CompletionOptions(fallback="x"))
    err = info.value
    assert isinstance(err, FailedPrecondition)
    assert err.reason == "ZEROG_INSUFFICIENT_BALANCE"
    assert err.metadata["provider"] == provider.address
    assert err.metadata["locked_balance_0g"] == "0.5" and err.metadata["required_balance_0g"] == "1"
    assert provider.count() == 1  # a 400: never retried
    assert chain.txs == []


async def test_insufficient_balance_triggers_a_topup_then_succeeds(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=ONE_0G // 2)
    client = make_client([provider], funding=TOPUP)

    r = await client.complete(ASK)

    assert r.text == DEFAULT_TEXT
    assert provider.count() == 2
    (tx,) = chain.txs
    assert tx.status == 1
    assert tx.sender == wallet.address
    assert tx.to == chain.ledger_address
    assert tx.chain_id == 16602 and tx.type == 2
    assert tx.fields["maxFeePerGas"] == tx.fields["maxPriorityFeePerGas"] == chain.gas_price
    assert tx.value == 0
    assert tx.function == "transferFund"
    assert tx.args == (provider.address, "inference-v1.0", 50 * ONE_0G)  # topup_amount beats the deficit
    assert tx.data[:4] == TRANSFER_FUND.selector
    acct = chain.account(wallet.address, provider.address)
    assert acct is not None and acct.balance == 50 * ONE_0G + ONE_0G // 2
    assert chain.ledgers[wallet.address.lower()].available == 50 * ONE_0G


async def test_missing_sub_account_is_created_by_the_topup(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.accounts.clear()
    r = await make_client([provider], funding=TOPUP).complete(ASK)
    assert r.text == DEFAULT_TEXT
    (tx,) = chain.txs
    assert tx.args[2] == 50 * ONE_0G
    acct = chain.account(wallet.address, provider.address)
    assert acct is not None and acct.acknowledged


async def test_a_deficit_larger_than_topup_amount_is_covered(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=ONE_0G // 2)
    policy = TOPUP.model_copy(
        update={"topup_amount": Decimal("1"), "min_balance": Decimal("3"), "headroom": Decimal("2")}
    )
    await make_client([provider], funding=policy).complete(ASK)
    (tx,) = chain.txs
    # target max(min_balance 3, unsettled 0 + headroom 2) = 3 with 0.5 held -> 2.5 0G, more than topup_amount
    assert tx.args[2] == 5 * ONE_0G // 2


async def test_ledger_too_small_for_the_topup(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=0)
    chain.set_ledger(wallet.address, 3 * ONE_0G)
    with pytest.raises(InsufficientFunds) as info:
        await make_client([provider], funding=TOPUP).complete(ASK)
    assert info.value.reason == "ZEROG_LEDGER_INSUFFICIENT"
    assert info.value.metadata["ledger_available_0g"] == "3"
    assert chain.txs == []


async def test_low_balance_is_topped_up_in_the_background(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=5 * ONE_0G)  # below min_balance 10, above 1
    r = await make_client([provider], funding=TOPUP).complete(ASK)
    assert r.text == DEFAULT_TEXT and provider.count() == 1
    for _ in range(100):
        if chain.txs:
            break
        await asyncio.sleep(0.02)
    (tx,) = chain.txs
    assert tx.args[0] == provider.address and tx.args[2] == 50 * ONE_0G


async def test_check_funding_moves_nothing_when_the_account_is_healthy(
    provider: ProviderStandIn, chain: ChainStandIn, make_client: ClientFactory
):
    client = make_client([provider], funding=TOPUP.model_copy(update={"min_balance": Decimal("5")}))
    assert await client.check_funding() == {provider.address: None}
    assert chain.txs == []


async def test_topups_refuse_to_sign_for_another_chain(
    provider: ProviderStandIn, chain: ChainStandIn, wallet: LocalAccount, make_client: ClientFactory
):
    chain.set_account(wallet.address, provider.address, balance=0)
    client = make_client([provider], funding=TOPUP, chain_id=16661)
    with pytest.raises(InsufficientFunds) as info:
        await client.complete(ASK)
    assert info.value.metadata["topup_error"] == "ZEROG_CHAIN_ID_MISMATCH"
    assert chain.txs == []


# --------------------------------------------------------------------------- ChainRpc write rules


@pytest.fixture
async def rpc(chain: ChainStandIn):
    c = ChainRpc(chain.url, poll_interval=0.02)
    yield c
    await c.close()


def _transfer(provider: str, amount: int) -> bytes:
    return TRANSFER_FUND.encode_call(provider, "inference-v1.0", amount)


async def test_nonces_are_local_and_serialised_per_key(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    provider = Account.create().address
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    sends = [rpc.send_transaction(wallet, chain.ledger_address, _transfer(provider, ONE_0G)) for _ in range(5)]
    hashes = await asyncio.gather(*sends)
    assert len(set(hashes)) == 5
    assert [t.nonce for t in chain.txs] == [0, 1, 2, 3, 4]
    assert chain.count("eth_getTransactionCount") == 1  # read once, then tracked locally
    receipt = await rpc.wait_for_receipt(hashes[-1], timeout=2)
    assert receipt["status"] == "0x1"


async def test_nonce_too_low_resyncs(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    provider = Account.create().address
    await rpc.send_transaction(wallet, chain.ledger_address, _transfer(provider, ONE_0G))
    chain.nonces[wallet.address.lower()] = 7  # someone else used the key meanwhile
    await rpc.send_transaction(wallet, chain.ledger_address, _transfer(provider, ONE_0G))
    assert [t.nonce for t in chain.txs] == [0, 7]
    assert chain.count("eth_getTransactionCount") == 2


async def test_underpriced_bumps_the_gas_price(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    chain.fail_next_send("replacement transaction underpriced")
    await rpc.send_transaction(wallet, chain.ledger_address, _transfer(Account.create().address, ONE_0G))
    (tx,) = chain.txs
    assert tx.gas_price == int(chain.gas_price * 1.1)
    assert tx.nonce == 0


async def test_legacy_transactions_carry_the_chain_id(chain: ChainStandIn, wallet: LocalAccount):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    rpc = ChainRpc(chain.url, eip1559=False, poll_interval=0.02)
    try:
        await rpc.send_transaction(wallet, chain.ledger_address, _transfer(Account.create().address, ONE_0G))
    finally:
        await rpc.close()
    (tx,) = chain.txs
    assert tx.type == 0 and tx.chain_id == 16602 and tx.gas_price == chain.gas_price


async def test_a_reverted_transaction_raises(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    bad = TRANSFER_FUND.encode_call(Account.create().address, "no-such-service", ONE_0G)
    tx_hash = await rpc.send_transaction(wallet, chain.ledger_address, bad)
    with pytest.raises(TransactionReverted) as info:
        await rpc.wait_for_receipt(tx_hash, timeout=2)
    assert info.value.tx_hash == tx_hash


async def test_eth_call_reverts_carry_the_custom_error(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    from stack_cfo.zerog.contracts import ACCOUNT_NOT_EXISTS, GET_ACCOUNT

    with pytest.raises(TransactionReverted) as info:
        await rpc.eth_call(chain.inference_address, GET_ACCOUNT.encode_call(wallet.address, wallet.address))
    assert ACCOUNT_NOT_EXISTS.matches(info.value.revert_data)


async def test_receipt_polling_waits_and_times_out(chain: ChainStandIn, rpc: ChainRpc, wallet: LocalAccount):
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    chain.receipt_after_polls = 3
    tx_hash = await rpc.send_transaction(wallet, chain.ledger_address, _transfer(Account.create().address, ONE_0G))
    receipt = await rpc.wait_for_receipt(tx_hash, timeout=2)
    assert receipt["transactionHash"] == tx_hash and chain.receipt_polls[tx_hash] == 4
    with pytest.raises(ReceiptTimeout):
        await rpc.wait_for_receipt("0x" + "00" * 32, timeout=0.2)


async def test_unreachable_rpc_is_a_chain_error():
    from stack_cfo.zerog import ChainError

    rpc = ChainRpc("http://127.0.0.1:9/", timeout=1.0)
    try:
        with pytest.raises(ChainError) as info:
            await rpc.chain_id()
        assert info.value.reason == "ZEROG_CHAIN_ERROR"
    finally:
        await rpc.close()

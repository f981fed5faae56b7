"""SendMessage tells the caller WHY an answer is degraded (``assistant_message.degraded_reason``):
an unfunded 0G account, no provider configured, an open breaker, an outage, a cut stream. The reason
is stored with the answer, so a replayed request_id and GetSession report the same one."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2_grpc
from stack_cfo.zerog.contracts import GET_LEDGER
from tests.integration.chat.conftest import ONE_0G, Chat, chat_requests, chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply
from tests.support.secrets import ZEROG_PRIVATE_KEY
from tests.support.server import running_server

WALLET = Account.from_key(ZEROG_PRIVATE_KEY).address
GET_LEDGER_SELECTOR = "0x" + GET_LEDGER.selector.hex()


def _assistant(session: chat_pb2.Session) -> list[chat_pb2.ChatMessage]:
    return [m for m in session.messages if m.role == chat_pb2.CHAT_ROLE_ASSISTANT]


async def test_unfunded_account_answers_offline_with_balance_insufficient_and_replays_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    # The sub-account with the provider holds less than the provider's minimum reserve and auto
    # top-up is switched off: the provider refuses with HTTP 400 "insufficient balance".
    chain.set_account(WALLET, provider.address, balance=ONE_0G // 10)
    user = new_user()
    no_topup = {"funding": {"auto_topup": False}}
    async with chat_server(db_dsn, data_dir, chain, provider, compute=no_topup) as chat:
        s = await chat.create(user)
        request_id = rid()
        accepted, text, done = events(await chat.send(user, s.name, "How is my portfolio?", request_id=request_id))
        assert done.degraded and done.offline and not done.incomplete
        assert done.assistant_message.degraded_reason == "COMPUTE_BALANCE_INSUFFICIENT"
        assert done.provider == "offline" and done.fee == "0" and text == done.assistant_message.content
        assert provider.requests[-1].status == 400 and len(chat_requests(provider)) == 1

        # A retry of the same request replays the stored answer, reason included, without a call.
        replay_accepted, replay_text, replay = events(
            await chat.send(user, s.name, "How is my portfolio?", request_id=request_id)
        )
        assert replay_accepted.replayed and replay_accepted.assistant_message_id == accepted.assistant_message_id
        assert replay.assistant_message.degraded_reason == "COMPUTE_BALANCE_INSUFFICIENT"
        assert replay_text == text and len(chat_requests(provider)) == 1

        # GetSession shows it on the stored assistant message (user messages never carry one).
        got = await chat.get(user, s.name)
        assert [m.degraded_reason for m in got.messages] == ["", "COMPUTE_BALANCE_INSUFFICIENT"]

        # Once someone tops the account up, answers are normal again and carry no reason.
        chain.set_account(WALLET, provider.address, balance=10_000 * ONE_0G)
        _, text, done = events(await chat.send(user, s.name, "And now?", request_id=rid()))
        assert text == DEFAULT_TEXT and not done.degraded and done.assistant_message.degraded_reason == ""


async def test_auto_topup_with_an_empty_ledger_is_balance_insufficient(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    chain.set_account(WALLET, provider.address, balance=ONE_0G // 10)
    chain.set_ledger(WALLET, 0)  # nothing to top up from
    funding = {"funding": {"auto_topup": True, "min_balance": "1", "topup_amount": "5"}}
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, compute=funding) as chat:
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "How is my portfolio?", request_id=rid()))
    assert done.offline and done.assistant_message.degraded_reason == "COMPUTE_BALANCE_INSUFFICIENT"
    # The client tried to top up: it read the ledger, found it empty and sent nothing.
    ledger_reads = [p for m, p in chain.calls if m == "eth_call" and p[0]["data"].startswith(GET_LEDGER_SELECTOR)]
    assert ledger_reads and chain.txs == []


async def test_no_provider_configured_is_offline_by_configuration(db_dsn: str, data_dir: Path) -> None:
    user = new_user()
    async with running_server(db_dsn, data_dir) as srv:
        chat = Chat(
            srv,
            ProviderStandIn(),  # never started: nothing is configured to call it
            chat_pb2_grpc.ChatServiceStub(srv.channel),
            portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel),
        )
        s = await chat.create(user)
        _, text, done = events(await chat.send(user, s.name, "How is my portfolio?", request_id=rid()))
        got = await chat.get(user, s.name)
    assert done.offline and done.degraded and text
    assert done.assistant_message.degraded_reason == "COMPUTE_NOT_CONFIGURED"
    assert [m.degraded_reason for m in _assistant(got)] == ["COMPUTE_NOT_CONFIGURED"]


async def test_outage_then_open_breaker_then_cut_stream_each_say_why(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    # One failed request is enough to open the breaker (for 60 s, longer than this test).
    breaker = {"breaker": {"min_requests": 1, "failure_ratio": 0.5, "open_for": "60s"}}
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, compute=breaker) as chat:
        s = await chat.create(user)
        provider.default_reply = Reply.error(503, "upstream down")
        _, _, outage = events(await chat.send(user, s.name, "First question", request_id=rid()))
        assert outage.offline and outage.assistant_message.degraded_reason == "COMPUTE_UNAVAILABLE"
        seen = len(chat_requests(provider))

        provider.default_reply = Reply.ok()
        _, _, open_breaker = events(await chat.send(user, s.name, "Second question", request_id=rid()))
        assert open_breaker.offline and open_breaker.assistant_message.degraded_reason == "COMPUTE_BREAKER_OPEN"
        assert len(chat_requests(provider)) == seen  # the open breaker answered at once

    async with chat_server(db_dsn, data_dir, chain, provider) as chat:  # a fresh process: breaker closed
        provider.default_reply = Reply.ok(chunks=20, drop_after=5)
        _, partial, cut = events(await chat.send(user, s.name, "Third question", request_id=rid()))
        assert partial and cut.incomplete and cut.degraded and not cut.offline
        assert cut.assistant_message.degraded_reason == "COMPUTE_STREAM_BROKEN"
        got = await chat.get(user, s.name)
    assert [m.degraded_reason for m in _assistant(got)] == [
        "COMPUTE_UNAVAILABLE", "COMPUTE_BREAKER_OPEN", "COMPUTE_STREAM_BROKEN",
    ]


async def test_the_seed_funding_defaults_top_up_and_the_account_shows_when(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """No funding block in the configuration: the seed's defaults (auto_topup true, min_balance
    10, topup_amount 50) apply, a low sub-account is topped up, and GetComputeAccount shows when."""
    from datetime import UTC, datetime

    from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2 as apb
    from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2_grpc as apb_grpc

    chain.set_account(WALLET, provider.address, balance=ONE_0G // 2)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        accounts = apb_grpc.ComputeAccountServiceStub(chat.srv.channel)
        before = await accounts.GetComputeAccount(
            apb.GetComputeAccountRequest(), metadata=chat.service_md(), timeout=10
        )
        assert before.auto_topup.enabled
        assert (before.auto_topup.min_balance, before.auto_topup.topup_amount) == ("10", "50")
        assert not before.auto_topup.HasField("last_topup_time")
        s = await chat.create(user)
        started = datetime.now(UTC)
        _, text, done = events(await chat.send(user, s.name, "How is my portfolio?", request_id=rid()))
        assert text == DEFAULT_TEXT and not done.degraded
        assert [tx.function for tx in chain.txs] == ["transferFund"]
        after = await accounts.GetComputeAccount(
            apb.GetComputeAccountRequest(), metadata=chat.service_md(), timeout=10
        )
    topped = after.auto_topup.last_topup_time.ToDatetime(tzinfo=UTC)
    assert started <= topped <= datetime.now(UTC)

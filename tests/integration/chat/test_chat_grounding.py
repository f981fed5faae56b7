"""Answers users can check, through the RPCs: every chat answer's figures are checked against the
numbers the server computed, each answer carries a receipt anyone can re-verify, and a receipt can
be replayed against today's data."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import psycopg
from eth_account import Account
from eth_account.messages import encode_defunct
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, common_pb2, portfolio_pb2, receipt_pb2, receipt_pb2_grpc
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import Chat, chat_server, events, new_user
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

T0 = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)  # Wednesday 4 March 2026, after the close in New York
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]

# The answer: nothing in it is this portfolio's (worth 2,800.00, AAPL 64.29% of it).
INVENTED = "Your portfolio is worth $1,250,000; Sharpe 2.10; max drawdown −3%; AAPL 45%."
INVENTED_FIGURES = ("$1,250,000", "2.10", "−3%", "45%")


async def _portfolio(chat: Chat, user: str) -> None:
    await chat.sync_portfolio(
        user,
        [portfolio_pb2.Holding(symbol="AAPL", quantity="10", average_cost="150", sector="Technology", basket="tech")],
        cash="1000",
    )
    await chat.record_prices({"AAPL": [(DAYS[0], "170"), (DAYS[1], "175"), (DAYS[2], "180")]})


async def _answer_about_aapl(chat: Chat, user: str) -> chat_pb2.ChatMessage:
    """The portfolio, a session and the answer to "What is AAPL worth?" (the provider's default reply)."""
    await _portfolio(chat, user)
    s = await chat.create(user)
    _, _, done = events(await chat.send(user, s.name, "What is AAPL worth?"))
    return done.assistant_message


def _receipts(chat: Chat) -> receipt_pb2_grpc.ReceiptServiceStub:
    return receipt_pb2_grpc.ReceiptServiceStub(chat.srv.channel)


async def test_an_answer_with_invented_figures_is_flagged_at_the_right_offsets(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok(INVENTED)
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        _, text, done = events(await chat.send(user, s.name, "How is my portfolio doing?"))
        got = await chat.get(user, s.name)
    m = done.assistant_message
    assert text == m.content == INVENTED
    assert m.degraded_reason == "" and not done.degraded  # the default policy flags, it does not hide
    g = m.grounding
    assert g.status == common_pb2.GROUNDING_STATUS_UNGROUNDED and g.ungrounded_count == len(INVENTED_FIGURES)
    flagged = {f.text: f for f in g.figures if not f.grounded}
    assert set(flagged) == set(INVENTED_FIGURES)
    for f in flagged.values():
        assert INVENTED[f.start:f.end] == f.text and not f.fact and not f.fact_value
        # No astral characters here, so both offset units agree.
        assert (f.start_utf16, f.end_utf16) == (f.start, f.end)
    assert flagged["−3%"].value == "-3" and flagged["$1,250,000"].value == "1250000"
    assert flagged["$1,250,000"].kind == common_pb2.FIGURE_KIND_AMOUNT
    # GetSession reports the same check and receipt for the stored answer.
    stored = got.messages[-1]
    assert stored.grounding == g and stored.receipt.name == m.receipt.name
    assert stored.verification == common_pb2.VERIFICATION_STATUS_VERIFIED


async def test_an_answer_with_true_figures_is_grounded_and_each_figure_cites_its_fact(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    true = "Your portfolio is worth $2,800.00, of which AAPL is $1,800.00. Adding $500 is up to you."
    provider.default_reply = Reply.ok(true)
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "I might add $500. What is it worth now?"))
    g = done.assistant_message.grounding
    assert g.status == common_pb2.GROUNDING_STATUS_GROUNDED, [f.text for f in g.figures if not f.grounded]
    cited = {f.text: (f.fact, f.fact_value) for f in g.figures}
    assert cited["$2,800.00"] == ("total_value", "2800.00")
    assert cited["$1,800.00"][0] == "positions[AAPL].market_value"
    assert cited["$500"][0].startswith("user[0]")  # a number the investor wrote


async def test_the_replace_policy_swaps_an_ungrounded_answer_for_the_deterministic_one(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok(INVENTED)
    async with chat_server(
        db_dsn, data_dir, chain, provider, clock=FrozenClock(T0), chat={"grounding_policy": "replace"}
    ) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        evs = await chat.send(user, s.name, "How is my portfolio doing?")
        got = await chat.get(user, s.name)
    kinds = [e.WhichOneof("event") for e in evs]
    assert kinds[0] == "accepted" and kinds[-2:] == ["replaced", "completed"] and "delta" in kinds
    replaced, done = evs[-2].replaced, evs[-1].completed
    m = done.assistant_message
    assert replaced.reason == "AI_UNGROUNDED" and replaced.text == m.content != INVENTED
    assert m.degraded_reason == "AI_UNGROUNDED" and done.degraded
    # the content is the deterministic writer's: offline, while usage and fee are the replaced AI answer's
    assert done.offline and done.usage.completion_tokens > 0 and done.fee not in ("", "0")
    assert m.grounding.status in (common_pb2.GROUNDING_STATUS_GROUNDED, common_pb2.GROUNDING_STATUS_NO_FIGURES)
    assert "1,250,000" not in m.content
    # The receipt keeps what the AI wrote and why it was not used.
    assert m.receipt.text == INVENTED and m.receipt.degraded_reason == "AI_UNGROUNDED"
    assert m.receipt.grounding.status == common_pb2.GROUNDING_STATUS_UNGROUNDED
    assert got.messages[-1].content == m.content


async def test_a_receipt_reverifies_with_the_documented_example_and_fails_on_one_changed_byte(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "How is my portfolio doing?"))
        embedded = done.assistant_message.receipt
        r = await _receipts(chat).GetReceipt(receipt_pb2.GetReceiptRequest(name=embedded.name), metadata=chat.md(user))
        other = new_user()
        try:
            await _receipts(chat).GetReceipt(receipt_pb2.GetReceiptRequest(name=embedded.name), metadata=chat.md(other))
            leaked = True
        except Exception as exc:  # another user's receipt does not exist for them
            leaked = "NOT_FOUND" not in str(exc)
    assert not leaked
    assert embedded.data_snapshot == "" and r.data_snapshot  # embedded receipts leave the snapshot out
    assert r.verification == common_pb2.VERIFICATION_STATUS_VERIFIED and r.provider.lower() == provider.address.lower()
    assert r.text == done.assistant_message.content and r.text_sha256 == hashlib.sha256(r.text.encode()).hexdigest()
    assert hashlib.sha256(r.data_snapshot.encode()).hexdigest() == r.data_sha256
    assert json.loads(r.data_snapshot)["total_value"] == "2800.00"
    assert r.response_id and r.usage.completion_tokens > 0 and r.subject.endswith(done.assistant_message.id)

    registered = provider.tee.address  # what the chain stand-in registers as the provider's teeSignerAddress
    assert verify(r, registered) and r.tee_signer_address.lower() == provider.tee.address.lower()
    tampered = common_pb2.Receipt()
    tampered.CopyFrom(r)
    tampered.signed_text = ("0" if r.signed_text[0] != "0" else "1") + r.signed_text[1:]
    assert not verify(tampered, registered)


def verify(receipt: common_pb2.Receipt, registered_signer: str) -> bool:
    """docs/api.md, "Verify a receipt": recover the signer of the signed text; it must be the provider's
    TEE signer registered on chain."""
    signer = Account.recover_message(encode_defunct(text=receipt.signed_text), signature=receipt.signature)
    return signer.lower() == registered_signer.lower() == receipt.tee_signer_address.lower()


async def test_a_receipt_signed_by_another_key_fails_the_documented_check(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """The documented check compared the recovered signer with tee_signer_address, itself recovered from the
    signature: any key's signature passed. It compares with the registered signer, as the server does."""
    user = new_user()
    provider.default_reply = Reply.ok("Your cash is $1,000.00.", wrong_tee_key=True)
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "How much cash do I have?"))
        r = await _receipts(chat).GetReceipt(
            receipt_pb2.GetReceiptRequest(name=done.assistant_message.receipt.name), metadata=chat.md(user))
    assert r.verification == common_pb2.VERIFICATION_STATUS_FAILED and r.signature
    assert r.tee_signer_address.lower() != provider.tee.address.lower()
    assert not verify(r, provider.tee.address)


async def test_replay_shows_a_price_corrected_after_the_answer(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok("AAPL is worth $1,800.00 and your portfolio $2,800.00.")
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        name = (await _answer_about_aapl(chat, user)).receipt.name
        replay = receipt_pb2.ReplayReceiptRequest(name=name)
        before = await _receipts(chat).ReplayReceipt(replay, metadata=chat.md(user))
        await chat.record_prices({"AAPL": [(DAYS[2], "181")]})  # the close of the answer's day is corrected
        after = await _receipts(chat).ReplayReceipt(replay, metadata=chat.md(user))
    assert before.unchanged and all(f.still_holds for f in before.figures)
    assert not after.unchanged
    changed = {c.fact: (c.then_value, c.now_value) for c in after.changed_facts}
    assert changed["total_value"] == ("2800.00", "2810.00")
    assert changed["positions[AAPL].market_value"] == ("1800.00", "1810.00")
    figures = {f.figure.text: f for f in after.figures}
    assert not figures["$1,800.00"].still_holds and figures["$1,800.00"].now_value == "1810.00"
    assert not figures["$2,800.00"].still_holds
    assert after.receipt.data_snapshot and after.replayed_snapshot != after.receipt.data_snapshot


async def test_replay_of_an_answer_given_before_the_close_with_a_close_posted_that_day_is_unchanged(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    # 10:00 in New York; the service already posted a "close" dated today (as the README tour does). The
    # live summary uses it; the replay as of the same instant must too, or every figure reads as changed.
    morning = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    user = new_user()
    provider.default_reply = Reply.ok("AAPL is worth $1,800.00 and your portfolio $2,800.00.")
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(morning)) as chat:
        answer = await _answer_about_aapl(chat, user)
        assert answer.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
        replay = await _receipts(chat).ReplayReceipt(
            receipt_pb2.ReplayReceiptRequest(name=answer.receipt.name), metadata=chat.md(user))
    assert replay.unchanged and not replay.changed_facts and all(f.still_holds for f in replay.figures)


async def test_an_ungrounded_compression_summary_is_never_kept_as_memory(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.reply_for = lambda body: (
        Reply.ok("Summary: the investor holds $9,999,999 of AAPL, up 77% this year.")
        if body["messages"][0]["content"].startswith("You keep the memory")
        else Reply.ok("Noted.")
    )
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user, auto_summarize=True, summarize_interval=4)
        for turn in range(4):
            events(await chat.send(user, s.name, f"Question {turn}"))
    sid = s.name.rsplit("/", 1)[1]
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute("SELECT content, offline FROM chat_summaries WHERE session_id = %s", (sid,)).fetchall()
    assert rows and all(offline for _, offline in rows)
    assert all("9,999,999" not in content for content, _ in rows)


async def test_answers_stored_before_the_check_read_as_not_checked(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        events(await chat.send(user, s.name, "How is my portfolio doing?"))
        with psycopg.connect(db_dsn, autocommit=True) as conn:  # as migration 0007 left older answers
            conn.execute("UPDATE chat_messages SET grounding = NULL, receipt_id = NULL WHERE role = 'assistant'")
        got = await chat.get(user, s.name)
    answer = got.messages[-1]
    assert answer.grounding.status == common_pb2.GROUNDING_STATUS_NOT_CHECKED and not answer.grounding.figures
    assert not answer.HasField("receipt")
    assert not got.messages[0].HasField("grounding")  # user messages carry none


async def test_a_figure_whose_fact_changed_does_not_hold_because_another_fact_now_equals_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """ReplayReceipt judges a figure against the fact it was tied to, not against whichever recomputed
    fact happens to equal it now."""
    user = new_user()
    provider.default_reply = Reply.ok("AAPL is worth $1,800.00.")
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        answer = await _answer_about_aapl(chat, user)
        # The close is corrected to 80: AAPL is now worth 800.00, and the portfolio (800 + 1,000 cash)
        # is now worth exactly the 1,800.00 the answer gave for AAPL.
        await chat.record_prices({"AAPL": [(DAYS[2], "80")]})
        replay = await _receipts(chat).ReplayReceipt(
            receipt_pb2.ReplayReceiptRequest(name=answer.receipt.name), metadata=chat.md(user))
    cited = {f.text: f.fact for f in answer.grounding.figures}
    assert answer.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
    assert cited["$1,800.00"] == "positions[AAPL].market_value"
    changed = {c.fact: (c.then_value, c.now_value) for c in replay.changed_facts}
    assert changed["positions[AAPL].market_value"] == ("1800.00", "800.00")
    assert changed["total_value"] == ("2800.00", "1800.00")  # the collision: another fact now reads 1,800.00
    (figure,) = replay.figures
    assert figure.figure.text == "$1,800.00" and figure.figure.fact == "positions[AAPL].market_value"
    assert not figure.still_holds and figure.now_value == "800.00"


async def test_a_figure_for_a_metric_the_server_could_not_compute_is_ungrounded(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """Three days of prices: no Sharpe ratio (INSUFFICIENT_HISTORY is a reason in the data block, not a
    number), so "Sharpe ratio is 10.0" is invented, although 10 is a fact (the AAPL quantity)."""
    user = new_user()
    answer = "Your portfolio is worth $2,800.00 and your Sharpe ratio is 10.0."
    provider.default_reply = Reply.ok(answer)
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "What is my Sharpe ratio?"))
    g = done.assistant_message.grounding
    figures = {f.text: f for f in g.figures}
    assert g.status == common_pb2.GROUNDING_STATUS_UNGROUNDED and g.ungrounded_count == 1
    assert figures["$2,800.00"].grounded and figures["$2,800.00"].fact == "total_value"
    assert not figures["10.0"].grounded and figures["10.0"].fact == ""


async def test_replays_that_compute_a_summary_are_charged_to_the_callers_cpu_budget(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A replay computes the portfolio as of the receipt's time (a new computation once prices changed): its CPU is
    the caller's read budget's, as a GetPortfolioSummary at a new as_of_time is, so replaying receipts of a large
    portfolio is no way around rate_limits.user.read_cpu."""
    user = new_user()
    tiny = {"rate_limits": {"user": {"read_cpu": "1ms/1h", "read_cpu_burst": "1ms"}}}
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0), config=tiny) as chat:
        name = (await _answer_about_aapl(chat, user)).receipt.name
        replay = receipt_pb2.ReplayReceiptRequest(name=name)
        refused = None
        for i in range(200):
            await chat.record_prices({"AAPL": [(DAYS[2], str(181 + i))]})  # a new computation for each replay
            try:
                await _receipts(chat).ReplayReceipt(replay, metadata=chat.md(user))
            except grpc.aio.AioRpcError as err:
                refused = err
                break
        assert refused is not None, "200 replays computed and the user's CPU budget never refused one"
        assert refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "READ_CPU_BUDGET_EXHAUSTED" in str(rpc_status.from_call(refused))  # type: ignore[arg-type]
        # reading the receipt whole computes nothing and still answers
        got = await _receipts(chat).GetReceipt(receipt_pb2.GetReceiptRequest(name=name), metadata=chat.md(user))
        assert got.name == name

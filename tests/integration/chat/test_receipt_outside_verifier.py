"""A receipt anyone can re-verify, with nothing but GetReceipt's answer: the provider's TEE signature
is over `signed_text` = sha256(request):sha256(response), and the receipt holds those exact bytes
(`signed_request`, `signed_response`), so the signature binds the receipt's model, prompt hash and
text. The checker below is written from the contract (common.proto Receipt, docs/api.md "Verify a
receipt") as an outside verifier would write it, with its own SSE reader; each tampering an auditor
tried (signature fields from another receipt, another model, another prompt hash, another text with
its hash recomputed) now fails it."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from eth_account import Account
from eth_account.messages import encode_defunct
from google.protobuf import timestamp_pb2

from stack_cfo._proto.stack.cfo.v1 import (
    common_pb2,
    portfolio_pb2,
    portfolio_pb2_grpc,
    receipt_pb2,
    receipt_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import Chat, chat_server, compute_overrides, events, new_user
from tests.integration.chat.test_chat_grounding import T0, _portfolio
from tests.integration.chat.test_chat_grounding import verify as signature_only
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.smtp import SmtpSink
from tests.standins.zerog_provider import ProviderStandIn, Reply
from tests.support.server import running_server

# ------------------------------------------------------------------ the outside verifier


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sse_events(raw: bytes) -> list[str]:
    """The data of each event of a text/event-stream body (WHATWG rules: CRLF, CR or LF line ends,
    `data:` with one optional space, multi-line data joined by LF, a blank line ends an event)."""
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
    out: list[str] = []
    data: list[str] | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data is not None:
                out.append("\n".join(data))
            data = None
        elif line.startswith("data:"):
            value = line[5:]
            (data := data if data is not None else []).append(value[1:] if value.startswith(" ") else value)
    if data is not None:
        out.append("\n".join(data))
    return out


def _content(obj: dict[str, Any]) -> tuple[str, str | None]:
    """(text, model) of one event or JSON body: choices[0].delta (or .message).content."""
    choices = obj.get("choices") or []
    c0 = choices[0] if choices else {}
    part = c0.get("delta") or c0.get("message") or {}
    return part.get("content") or "", obj.get("model") if obj.get("id") is not None else None


def response_text(raw: bytes) -> tuple[str, str | None]:
    """The answer's text and the model the response names, read from the signed response bytes."""
    stripped = raw.lstrip()
    if stripped.startswith(b"{"):  # a JSON body
        return _content(json.loads(raw))
    text, model = "", None
    for data in _sse_events(raw):
        if data == "[DONE]":
            break
        piece, named = _content(json.loads(data))
        text += piece
        model = model if model is not None else named
    return text, model


def outside_check(r: common_pb2.Receipt, registered_signer: str) -> list[str]:
    """The checks that fail (empty: the receipt verifies). docs/api.md, "Verify a receipt"."""
    failed: list[str] = []
    req_hash, _, resp_hash = r.signed_text.partition(":")
    if not r.signed_request or _sha(r.signed_request) != req_hash:
        failed.append("signed_request")
    if not r.signed_response or _sha(r.signed_response) != resp_hash:
        failed.append("signed_response")
    try:
        signer = Account.recover_message(encode_defunct(text=r.signed_text), signature=r.signature)
    except Exception:
        signer = ""
    if not (signer.lower() == registered_signer.lower() == r.tee_signer_address.lower()):
        failed.append("signature")
    try:
        request = json.loads(r.signed_request)
        text, named_model = response_text(r.signed_response)
    except ValueError:
        return [*failed, "unreadable"]
    if r.model != (named_model or request["model"]):
        failed.append("model")
    canonical = json.dumps(request["messages"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if _sha(canonical.encode()) != r.prompt_sha256:
        failed.append("prompt_sha256")
    if r.text != text:
        failed.append("text")
    if _sha(r.text.encode()) != r.text_sha256:
        failed.append("text_sha256")
    return failed


def documented_verify() -> Callable[[common_pb2.Receipt, str], bool]:
    """``verify`` of docs/api.md, "Verify a receipt", run as printed."""
    doc = (Path(__file__).parents[3] / "docs" / "api.md").read_text("utf-8")
    code = doc.split("**Verify a receipt**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    return namespace["verify"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ the receipts


def _receipts(chat: Chat) -> receipt_pb2_grpc.ReceiptServiceStub:
    return receipt_pb2_grpc.ReceiptServiceStub(chat.srv.channel)


async def _answer_receipts(chat: Chat, user: str, *questions: str) -> list[common_pb2.Receipt]:
    s = await chat.create(user)
    out = []
    for q in questions:
        _, delivered, done = events(await chat.send(user, s.name, q))
        r = await _receipts(chat).GetReceipt(
            receipt_pb2.GetReceiptRequest(name=done.assistant_message.receipt.name), metadata=chat.md(user))
        assert r.text == delivered == done.assistant_message.content
        assert not done.assistant_message.receipt.signed_request  # embedded receipts leave the bytes out
        out.append(r)
    return out


def _tampered(r: common_pb2.Receipt, change: Callable[[common_pb2.Receipt], None]) -> common_pb2.Receipt:
    t = common_pb2.Receipt()
    t.CopyFrom(r)
    change(t)
    return t


def _raw(dsn: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


async def test_a_chat_receipt_verifies_from_getreceipt_alone_and_each_tampering_fails(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.enqueue(
        Reply.ok("Your portfolio is worth $2,800.00; AAPL is $1,800.00 of it (64.29%)."),
        Reply.ok("Cash is $1,000.00, about 35.71% of the portfolio — “dry powder” €."),
    )
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        r, other = await _answer_receipts(chat, user, "How is my portfolio doing?", "And my cash?")
        replayed = await _receipts(chat).ReplayReceipt(receipt_pb2.ReplayReceiptRequest(name=r.name),
                                                       metadata=chat.md(user))
    registered = provider.tee.address
    documented = documented_verify()
    assert r.verification == common_pb2.VERIFICATION_STATUS_VERIFIED
    assert outside_check(r, registered) == [] and outside_check(other, registered) == []
    assert documented(r, registered) and documented(other, registered)
    assert replayed.receipt.signed_request == r.signed_request
    assert replayed.receipt.signed_response == r.signed_response
    # The bytes are the ones exchanged: the provider received this request body.
    sent = [q.body for q in provider.requests if "chat/completions" in q.path]
    assert r.signed_request in sent and other.signed_request in sent
    assert json.loads(r.signed_request)["model"] == r.model and r.signed_response.startswith(b"data: ")

    def swap_signature(t: common_pb2.Receipt) -> None:
        t.signature, t.signed_text, t.tee_signer_address = other.signature, other.signed_text, other.tee_signer_address

    def swap_signature_and_bytes(t: common_pb2.Receipt) -> None:
        swap_signature(t)
        t.signed_request, t.signed_response = other.signed_request, other.signed_response

    def change_model(t: common_pb2.Receipt) -> None:
        t.model = "some-other-model"

    def change_prompt(t: common_pb2.Receipt) -> None:
        t.prompt_sha256 = "0" * 64

    def change_text(t: common_pb2.Receipt) -> None:
        t.text = t.text.replace("2,800.00", "2,900.00")
        t.text_sha256 = _sha(t.text.encode())

    expected = {
        swap_signature: {"signed_request", "signed_response"},
        # the other turn's request held another prompt and its response another text
        swap_signature_and_bytes: {"prompt_sha256", "text"},
        change_model: {"model"},
        change_prompt: {"prompt_sha256"},
        change_text: {"text"},
    }
    for change, fails in expected.items():
        t = _tampered(r, change)
        assert t != r
        # The signature alone (what the receipt could be checked with before) passes every one of them...
        assert signature_only(t, registered), change.__name__
        # ...the outside check, with the signed bytes, fails each.
        assert set(outside_check(t, registered)) == fails, change.__name__
        assert not documented(t, registered), change.__name__
    # Bytes from elsewhere do not help either: changed by one byte, they no longer hash to signed_text.
    t = _tampered(r, lambda t: setattr(t, "signed_response", t.signed_response.replace(b"2,800.00", b"2,900.00")))
    assert "signed_response" in outside_check(t, registered)

    # At rest the bytes are sealed under the user's key (compressed inside the token), like the text.
    (stored,) = _raw(db_dsn, "SELECT signed_request, signed_response, text FROM ai_receipts WHERE id = %s",
                     r.name.rsplit("/", 1)[1])
    assert all(bytes(v).startswith(b"sc1:") for v in stored[:2]) and stored[2].startswith("sc1:")
    assert b"PORTFOLIO_DATA" not in bytes(stored[0]) and b"2,800.00" not in bytes(stored[1])


async def test_a_narrative_receipt_and_a_json_bodied_answer_verify_too(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    body = json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-oss-120b",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Cash is $1,000.00."}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 4},
    })
    provider.enqueue(Reply.raw_body(body, content_type="application/json"))
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        (answer,) = await _answer_receipts(chat, user, "How much cash do I have?")
        call = chat.portfolio.StreamPortfolioSummary(
            portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio"),
            metadata=chat.md(user), timeout=20,
        )
        done = [e async for e in call][-1].narrative_completed
        narrative = await _receipts(chat).GetReceipt(receipt_pb2.GetReceiptRequest(name=done.receipt.name),
                                                     metadata=chat.md(user))
    assert answer.signed_response == body.encode() and answer.text == "Cash is $1,000.00."
    assert outside_check(answer, provider.tee.address) == []
    assert narrative.surface == common_pb2.AI_SURFACE_PORTFOLIO_NARRATIVE and narrative.signature
    assert outside_check(narrative, provider.tee.address) == []
    assert documented_verify()(answer, provider.tee.address) and documented_verify()(narrative, provider.tee.address)
    changed = _tampered(narrative, lambda t: setattr(t, "prompt_sha256", answer.prompt_sha256))
    assert outside_check(changed, provider.tee.address) == ["prompt_sha256"]
    # docs/api.md, "Tying data_snapshot to the signed exchange": the block between the markers, parsed, is the
    # snapshot parsed (a system message for a chat answer, the user message for a narrative)
    for receipt, role in ((answer, "system"), (narrative, "user")):
        assert _signed_data_block(receipt, role) == json.loads(receipt.data_snapshot)


def _signed_data_block(r: common_pb2.Receipt, role: str) -> Any:
    """The data block of ``r``'s signed request, as the docs say to find it."""
    blocks = [
        m["content"].split("<<<PORTFOLIO_DATA\n", 1)[1].split("\nPORTFOLIO_DATA>>>", 1)[0]
        for m in json.loads(r.signed_request)["messages"]
        if m["role"] == role and "<<<PORTFOLIO_DATA\n" in m["content"]
    ]
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


async def test_unsigned_and_cut_answers_carry_no_bytes(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.enqueue(Reply.ok("Cash is $1,000.00.", signature=False), Reply.ok("Cash is $1,000.00.", drop_after=2))
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _portfolio(chat, user)
        unsigned, cut = await _answer_receipts(chat, user, "Cash?", "Cash again?")
    for r in (unsigned, cut):
        assert r.signature == "" and r.signed_request == b"" and r.signed_response == b""
        assert outside_check(r, provider.tee.address)  # nothing to verify: an outside check cannot pass
    assert unsigned.verification == common_pb2.VERIFICATION_STATUS_UNAVAILABLE



def _news_clean(t: str) -> str:
    """docs/api.md, "Verify a receipt", 5: a news summary's `text` from its response's text."""
    t = " ".join(t.split())
    return t[:279].rsplit(" ", 1)[0] + "…" if len(t) > 280 else t


async def test_a_news_summary_receipt_relates_to_its_signed_response_as_documented(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A shared receipt (no user): its bytes are kept as zlib, and its text is the response's, cleaned."""
    sink = await SmtpSink().start()
    written = "Apple's quarterly revenue was $94.9 billion,\n\n  up 6% on the year.  "

    def reply(body: dict[str, Any]) -> Reply | None:
        system = body["messages"][0]["content"]
        if system.startswith("You summarise financial news"):
            return Reply.ok(written)
        if system.startswith("You write the portfolio paragraph"):
            return Reply.ok("AAPL is your only holding; cash is $100.00 of it.")
        return None

    provider.reply_for = reply
    user = new_user()
    overrides = compute_overrides(chain, provider)
    overrides["notifications"] = {"smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False,
                                           "timeout": "5s"}}
    try:
        async with running_server(db_dsn, data_dir, overrides) as srv:
            portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel)
            await portfolio.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
                portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="100",
                positions=[portfolio_pb2.Holding(symbol="AAPL", quantity="5", average_cost="150", currency="USD")],
            ), metadata=srv.auth(user), timeout=10)
            published = timestamp_pb2.Timestamp()
            published.GetCurrentTime()
            await portfolio.IngestNews(portfolio_pb2.IngestNewsRequest(articles=[portfolio_pb2.NewsArticle(
                id="n-1", source="wire", publish_time=published, title="Apple results",
                summary="Apple reported quarterly revenue of $94.9 billion, up 6% from a year ago.",
                url="https://news.example/apple", symbols=["AAPL"],
            )]), metadata=srv.auth(service="news-feed"), timeout=10)
            stub = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
            await stub.UpdateNotificationPreferences(scheduler_pb2.UpdateNotificationPreferencesRequest(
                preferences=scheduler_pb2.NotificationPreferences(
                    name=f"users/{user}/notificationPreferences", email_address="investor@example.com")),
                metadata=srv.auth(user), timeout=10)
            ran = [e async for e in stub.RunJob(
                scheduler_pb2.RunJobRequest(kind=scheduler_pb2.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}"),
                metadata=srv.auth(service="ops"), timeout=60)]
            assert ran[-1].counts.sent == 1, ran
            listed = await stub.ListNotifications(scheduler_pb2.ListNotificationsRequest(parent=f"users/{user}"),
                                                  metadata=srv.auth(user), timeout=10)
            (news_ref,) = [r for r in listed.notifications[0].receipts
                           if r.surface == common_pb2.AI_SURFACE_NEWS_SUMMARY]
            news = await receipt_pb2_grpc.ReceiptServiceStub(srv.channel).GetReceipt(
                receipt_pb2.GetReceiptRequest(name=news_ref.name), metadata=srv.auth(user), timeout=10)
    finally:
        await sink.stop()
    assert news.name.startswith("receipts/") and news.signature
    read, _ = response_text(news.signed_response)
    assert read == written and news.text == _news_clean(read) != read
    assert outside_check(news, provider.tee.address) == ["text"]  # the relation differs for news summaries
    cleaned = _tampered(news, lambda t: setattr(t, "text", read))
    cleaned.text_sha256 = _sha(read.encode())
    assert outside_check(cleaned, provider.tee.address) == []  # ...and everything else binds as for any text
    (stored,) = _raw(db_dsn, "SELECT signed_response FROM ai_receipts WHERE id = %s", news.name.split("/")[1])
    assert zlib.decompress(bytes(stored[0])) == news.signed_response


def test_the_documented_reader_reads_lone_surrogates_and_invalid_utf8_as_the_server_does() -> None:
    """The docs' ``response_text`` kept a lone ``\\ud800`` escape (the server stores U+FFFD), and a
    JSON body with invalid UTF-8 raised: valid receipts failed the documented check."""
    doc = (Path(__file__).parents[3] / "docs" / "api.md").read_text("utf-8")
    code = doc.split("**Verify a receipt**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    response_text = namespace["response_text"]
    stream = (b'data: {"id":"c1","model":"m","choices":[{"delta":{"content":"Hi \\ud800x"}}]}\n\n'
              b"data: [DONE]\n\n")
    assert response_text(stream) == ("Hi \ufffdx", "m")
    body = b'{"id":"c1","model":"m","choices":[{"message":{"content":"caf\xe9"}}]}'
    assert response_text(body) == ("caf\ufffd", "m")

"""Chat in the user's locale through the real server: the provider stand-in is asked to answer in German
(system prompt and data block unchanged), and with AI down the deterministic answer is German with German
number formats; an unknown locale gets English."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as spb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as spb_grpc
from tests.integration.chat.conftest import chat_requests, chat_server, events, new_user, prompt_data, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn
from tests.support.server import RunningServer, running_server

HOLDING = portfolio_pb2.Holding(symbol="AAPL", quantity="10", average_cost="150", currency="USD")


async def _locale(srv: RunningServer, user: str, tag: str) -> None:
    await spb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationPreferences(
        spb.UpdateNotificationPreferencesRequest(
            preferences=spb.NotificationPreferences(name=f"users/{user}/notificationPreferences", locale=tag),
            update_mask=field_mask_pb2.FieldMask(paths=["locale"]),
        ),
        metadata=srv.auth(user), timeout=10,
    )


async def test_the_ai_is_asked_to_answer_in_the_users_language(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    german, english = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        for user in (german, english):
            await chat.sync_portfolio(user, [HOLDING])
        await _locale(chat.srv, german, "de-DE")
        for user in (german, english):
            s = await chat.create(user)
            _, _, done = events(await chat.send(user, s.name, "Wie geht es meinem Portfolio?", request_id=rid()))
            assert not done.offline
    de_prompt, en_prompt = chat_requests(provider)
    assert de_prompt[-2]["role"] == "system"
    assert de_prompt[-2]["content"].startswith("Write your whole answer in German (Deutsch),")
    assert de_prompt[-1]["role"] == "user" and de_prompt[-1]["content"].endswith("Wie geht es meinem Portfolio?")
    assert de_prompt[0] == en_prompt[0]  # the system prompt is the same
    assert prompt_data(de_prompt)["total_value"] == prompt_data(en_prompt)["total_value"]  # so is the data
    assert not any("Write your whole answer" in m["content"] for m in en_prompt)


async def test_with_ai_down_the_deterministic_answer_is_in_the_users_language(db_dsn: str, data_dir: Path) -> None:
    german, unknown = new_user(), new_user()
    async with running_server(db_dsn, data_dir) as srv:  # no AI provider configured
        stub = chat_pb2_grpc.ChatServiceStub(srv.channel)
        for user in (german, unknown):
            await portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
                portfolio_pb2.SyncPortfolioRequest(
                    portfolio=f"users/{user}/portfolio", positions=[HOLDING], cash_balance="1000",
                    base_currency="USD",
                ),
                metadata=srv.auth(user), timeout=10,
            )
        await _locale(srv, german, "de")
        await _locale(srv, unknown, "xx-YY")
        answers = {}
        for user in (german, unknown):
            s = await stub.CreateSession(
                chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="t")),
                metadata=srv.auth(user), timeout=10,
            )
            evs = [e async for e in stub.SendMessage(
                chat_pb2.SendMessageRequest(name=s.name, content="How much cash do I have?", request_id=rid()),
                metadata=srv.auth(user), timeout=20,
            )]
            _, text, done = events(evs)
            assert done.offline and done.assistant_message.degraded_reason == "COMPUTE_NOT_CONFIGURED"
            answers[user] = text
    assert answers[german].startswith("[Automatische Zusammenfassung — KI nicht verfügbar]\n"
                                      "Dies ist eine automatische Zusammenfassung Ihrer Zahlen, keine KI-Analyse")
    assert "Barmittel: 1.000,00\u00a0$" in answers[german]
    assert answers[german].rstrip().endswith(
        "Ihre Frage ist gespeichert. KI-Antworten gibt es, sobald ein Betreiber einen KI-Anbieter einrichtet."
    )
    assert answers[unknown].startswith("[Automated summary — AI unavailable]\nThis is an automatic summary")
    assert "Cash: 1,000.00 USD" in answers[unknown]

"""Session lifecycle: create (idempotent), list (paginated), archive, token budget, metrics and spans."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import grpc
import psycopg
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from psycopg.rows import dict_row

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo.core.chat.transcript import parse_transcript
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from tests.integration.chat.conftest import chat_server, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_create_session_options_and_idempotency(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"allowed_models": ["small-model"]}) as chat:
        before = sample("chat_manager_sessions_created_total", provider=provider.address, model="gpt-oss-120b")
        r = rid()
        req = chat_pb2.CreateSessionRequest(
            parent=f"users/{user}", session=chat_pb2.Session(title="Retirement plan"), request_id=r
        )
        a = await chat.stub.CreateSession(req, metadata=chat.md(user))
        b = await chat.stub.CreateSession(req, metadata=chat.md(user))
        assert a.name == b.name
        assert sample("chat_manager_sessions_created_total", provider=provider.address, model="gpt-oss-120b") == (
            before + 1
        )
        req.session.title = "Something else"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.CreateSession(req, metadata=chat.md(user))
        assert error_info(ei.value)[0].reason == "REQUEST_ID_REUSED"

        custom = await chat.create(user, "Custom", model="small-model", provider=provider.address,
                                   auto_summarize=False, summarize_interval=8)
        assert (custom.model, custom.provider, custom.auto_summarize, custom.summarize_interval) == (
            "small-model", provider.address, False, 8)

        for session, reason in [
            (chat_pb2.Session(title="x", model="gpt-5-secret"), "UNKNOWN_MODEL"),
            (chat_pb2.Session(title="x" * 256), "TITLE_TOO_LONG"),
            (chat_pb2.Session(title=" \x07 "), "MISSING_FIELD"),
            (chat_pb2.Session(title=" \x00 "), "INVALID_TEXT"),
            (chat_pb2.Session(title="x", provider="somebody"), "INVALID_PROVIDER"),
            # well-formed, but no provider this server uses: answers would all be substituted
            (chat_pb2.Session(title="x", provider="0x" + "0" * 39 + "1"), "UNKNOWN_PROVIDER"),
            (chat_pb2.Session(title="x", summarize_interval=2), "INVALID_SUMMARIZE_INTERVAL"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await chat.stub.CreateSession(
                    chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=session), metadata=chat.md(user)
                )
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert error_info(ei.value)[0].reason == reason
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.CreateSession(
                chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="x")),
                metadata=chat.md(other),
            )
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND
        with psycopg.connect(db_dsn) as conn:
            count = conn.execute("SELECT count(*) FROM chat_sessions").fetchone()
        assert count is not None and count[0] == 2


async def test_list_sessions_newest_access_first_with_pages_and_filters(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        sessions = [await chat.create(user, f"s{i}") for i in range(5)]
        await chat.create(other, "not yours")
        events(await chat.send(user, sessions[1].name, "touch s1"))
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=sessions[3].name), metadata=chat.md(user))

        async def page(token: str = "", size: int = 2, status: int = 0) -> chat_pb2.ListSessionsResponse:
            return await chat.stub.ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}", page_size=size, page_token=token, status=status),
                metadata=chat.md(user),
            )

        titles: list[str] = []
        token = ""
        while True:
            resp = await page(token)
            assert len(resp.sessions) <= 2 and all(not s.messages for s in resp.sessions)
            titles += [s.title for s in resp.sessions]
            token = resp.next_page_token
            if not token:
                break
        assert titles == ["s1", "s4", "s2", "s0"]  # newest access first; deleted hidden
        deleted = await page(status=chat_pb2.SESSION_STATUS_DELETED)
        assert [s.title for s in deleted.sessions] == ["s3"] and not deleted.next_page_token

        first = await page()
        for bad in ["garbage", first.next_page_token + "x", first.next_page_token[:-2]]:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await page(bad)
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert error_info(ei.value)[0].reason == "INVALID_PAGE_TOKEN"
        with pytest.raises(grpc.aio.AioRpcError) as ei:  # a token from another listing
            await page(first.next_page_token, status=chat_pb2.SESSION_STATUS_ACTIVE)
        assert error_info(ei.value)[0].reason == "INVALID_PAGE_TOKEN"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await page(size=-1)
        assert error_info(ei.value)[0].reason == "INVALID_PAGE_SIZE"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{other}"),
                                         metadata=chat.md(user))
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND
        everyone = await chat.stub.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}", page_size=500),
                                                metadata=chat.service_md())
        assert len(everyone.sessions) == 4


async def test_archive_then_the_session_is_read_only(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, spans: InMemorySpanExporter
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user, "To archive")
        events(await chat.send(user, s.name, "Keep this for my records"))
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=(r := rid())), metadata=chat.md(user)
        )
        assert archived.status == chat_pb2.SESSION_STATUS_ARCHIVED
        assert archived.archive_address.startswith("pg:") and len(archived.archive_address) == 3 + 64
        got = await chat.get(user, s.name)
        assert got.archive_address == archived.archive_address and got.HasField("archive_time")
        assert len(got.messages) == 2  # still readable

        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, s.name, "One more?")
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(ei.value)[0].reason == "SESSION_NOT_ACTIVE"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.UpdatePortfolioContext(chat_pb2.UpdatePortfolioContextRequest(name=s.name),
                                                   metadata=chat.md(user))
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        again = await chat.stub.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=s.name, request_id=r),
                                               metadata=chat.md(user))
        assert again.archive_address == archived.archive_address
        assert (await chat.stub.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=s.name),
                                               metadata=chat.md(user))).archive_address == archived.archive_address
        assert provider.count() == 1

        with psycopg.connect(db_dsn, row_factory=dict_row) as conn:
            row = conn.execute("SELECT * FROM archive_objects WHERE address = %s", (archived.archive_address,)
                               ).fetchone()
        assert row is not None and str(row["owner"]) == user and row["namespace"] == "chat-sessions/"
        sealed = bytes(row["content"])
        assert "pg:" + hashlib.sha256(sealed).hexdigest() == archived.archive_address
        assert b"Keep this for my records" not in sealed  # encrypted under the user's data key
        with user_scope(user):  # as GetArchivedSession reads it, in the user's scope
            plain = await chat.srv.container.archive.get(archived.archive_address, owner=user)
        transcript = parse_transcript(plain)
        assert transcript.session.id == s.name.rsplit("/", 1)[1] and transcript.session.user_id == user
        assert [m.content for m in transcript.messages] == ["Keep this for my records", DEFAULT_TEXT]
        assert json.loads(plain)["name"] == s.name
        # the archive keeps each answer's grounding and receipt, as GetSession shows them
        from stack_cfo._proto.stack.cfo.v1 import user_data_pb2, user_data_pb2_grpc

        archive = await user_data_pb2_grpc.UserDataServiceStub(chat.srv.channel).GetArchivedSession(
            user_data_pb2.GetArchivedSessionRequest(session=s.name), metadata=chat.md(user))
        live_answer, archived_answer = got.messages[1], archive.session.messages[1]
        assert live_answer.HasField("receipt") and live_answer.grounding.status != 0
        assert archived_answer.grounding == live_answer.grounding
        assert archived_answer.receipt == live_answer.receipt

        # Deleting the archived session: DELETED, so no longer "archived" (archive_time and
        # archive_address are unset unless ARCHIVED); the archive itself stays until erasure.
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=s.name), metadata=chat.md(user))
        for gone in (await chat.get(user, s.name), await chat.get(user, s.name, basic=True)):
            assert gone.status == chat_pb2.SESSION_STATUS_DELETED
            assert gone.archive_address == "" and not gone.HasField("archive_time")
        with user_scope(user):
            assert await chat.srv.container.archive.get(archived.archive_address, owner=user) == plain

        # A deleted session cannot be archived; the archive span is a child of the request.
        d = await chat.create(user, "Deleted")
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=d.name), metadata=chat.md(user))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=d.name), metadata=chat.md(user))
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        names = [sp.name for sp in spans.get_finished_spans()]
        assert "0g_storage.store" in names


async def test_daily_token_budget_is_enforced_with_a_retry_time(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    clock = FrozenClock(datetime(2026, 3, 4, 23, 0, tzinfo=UTC))
    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=clock,
                           chat={"daily_token_budget": 60}) as chat:
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "First question", request_id=(r := rid())))
        assert done.usage.prompt_tokens + done.usage.completion_tokens > 60
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, s.name, "Second question")
        assert ei.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        info, retry = error_info(ei.value)
        assert info.reason == "TOKEN_BUDGET_EXHAUSTED" and info.metadata["retry_after_seconds"] == "3600"
        assert retry is not None and retry.retry_delay.seconds == 3600
        assert provider.count() == 1 and (await chat.get(user, s.name)).message_count == 2

        accepted, _, _ = events(await chat.send(user, s.name, "First question", request_id=r))
        assert accepted.replayed  # replays cost nothing and are still served
        o = await chat.create(other)
        events(await chat.send(other, o.name, "Someone else's budget"))

        clock.advance(hours=1, seconds=1)  # a new UTC day
        events(await chat.send(user, s.name, "Second question"))
        assert (await chat.get(user, s.name)).message_count == 4


async def test_metrics_and_spans_of_a_turn(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, spans: InMemorySpanExporter
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        sent = sample("chat_manager_messages_sent_total")
        ok = sample("chat_manager_message_duration_seconds_count", success="true")
        errors = sample("chat_manager_errors_total", operation="send_message", error_code="CONTENT_EMPTY")
        events(await chat.send(user, s.name, "Metrics please"))
        with pytest.raises(grpc.aio.AioRpcError):
            await chat.send(user, s.name, "   ")
        assert sample("chat_manager_messages_sent_total") == sent + 1
        assert sample("chat_manager_message_duration_seconds_count", success="true") == ok + 1
        assert sample("chat_manager_errors_total", operation="send_message", error_code="CONTENT_EMPTY") == errors + 1
        # Labels stay bounded: no metric of ours carries a user or session id.
        for metric in REGISTRY.collect():
            if metric.name.startswith("chat_manager"):
                for smp in metric.samples:
                    assert user not in str(smp.labels) and s.name.rsplit("/", 1)[1] not in str(smp.labels)

        await asyncio.sleep(0)
        finished = spans.get_finished_spans()
        by_id = {sp.context.span_id: sp for sp in finished}
        (turn,) = [sp for sp in finished if sp.name == "chat_manager.send_message" and sp.status.is_ok]
        children = {sp.name for sp in finished if sp.parent is not None and sp.parent.span_id == turn.context.span_id}
        assert {"chat_session_repo.get", "compute.generate_inference", "chat_session_repo.update"} <= children
        infer = next(sp for sp in finished if sp.name == "compute.generate_inference"
                     and sp.parent is not None and sp.parent.span_id == turn.context.span_id)
        grandchildren = {sp.name for sp in finished if sp.parent is not None
                         and sp.parent.span_id == infer.context.span_id}
        assert {"http.request", "compute.verify_response"} <= grandchildren
        create = next(sp for sp in finished if sp.name == "chat_manager.create_session")
        assert "chat_session_repo.save" in {sp.name for sp in finished if sp.parent is not None
                                            and sp.parent.span_id == create.context.span_id}
        assert turn.parent is not None and turn.parent.span_id in by_id  # under the gRPC server span


async def test_unknown_enum_numbers_are_invalid_enum_naming_the_field(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A view or status number the contract does not define is refused, not read as a default."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user, "Enums")
        calls = [
            ("view", chat.stub.GetSession(chat_pb2.GetSessionRequest(name=s.name, view=9), metadata=chat.md(user))),
            ("status", chat.stub.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}", status=7),
                                              metadata=chat.md(user))),
        ]
        for field, call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await call
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            info, bad = error_info(ei.value)
            assert info.reason == "INVALID_ENUM" and bad.field_violations[0].field == field

"""UserDataService: erase a user's data (and their archive key); read an archived session back."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal
from stack_cfo.api.resources import authorize, parse_user, parse_user_child, uuid_segment
from stack_cfo.api.servicers.chat import MAX_PAGE_BYTES, context_to_proto, session_to_proto, with_messages_from
from stack_cfo.api.validation import PageTokens, invalid, page_size, set_timestamp
from stack_cfo.core.chat.manager import ChatManager
from stack_cfo.core.chat.portfolio_context import bounded
from stack_cfo.core.idempotency import IdempotencyStore, request_key
from stack_cfo.core.user_data import UserDataService

_NAMED = {
    "chat_sessions": "session_count",
    "positions": "position_count",
    "cash_flows": "cash_flow_count",
    "notification_outbox": "notification_count",
    "push_devices": "device_count",
    "archive_objects": None,
    "external_archives": None,  # archives outside PostgreSQL (0G Storage): counted, nothing deleted
}
#: Erasure counts that make up ``archive_count``: archived objects made unreadable by destroying
#: the data key, whether PostgreSQL held them (deleted too) or 0G Storage does (cannot delete).
_ARCHIVES = ("archive_objects", "external_archives")

SERVICE = "stack.cfo.v1.UserDataService"
#: Messages a GetArchivedSession page holds at most (``page_size`` 0; larger ones are clamped).
DEFAULT_ARCHIVE_PAGE_SIZE, MAX_ARCHIVE_PAGE_SIZE = 100, 1000
#: How much the length prefix of ``ArchivedSession.session`` may grow as messages are added: from
#: one byte to at most four (a varint of less than 256 MiB).
_SESSION_PREFIX_GROWTH = 3


class UserDataServicer(pb_grpc.UserDataServiceServicer):
    def __init__(
        self,
        user_data: UserDataService,
        chat: ChatManager,
        idempotency: IdempotencyStore,
        page_tokens: PageTokens,
        *,
        page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        self.user_data = user_data
        self.chat = chat
        self.idempotency = idempotency
        self.page_tokens = page_tokens
        #: A GetArchivedSession page stops early before its response passes this many bytes
        #: serialized (as a ListSessions page does): within gRPC's default 4 MiB receive limit.
        self.page_bytes = page_bytes

    async def EraseUserData(
        self, request: pb.EraseUserDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.EraseUserDataResponse:
        user_id = parse_user(request.name, field="name")
        principal = authorize(user_id, request.name, current_principal())
        # A retried request id replays the first call's counts without erasing again (data stored
        # since is kept); an id reused for another request erases nothing (REQUEST_ID_REUSED).
        key = request_key("EraseUserData", principal.key, request)

        async def work() -> bytes:
            erasure = await self.user_data.erase(user_id)
            # the user's answers streaming on this process stop before this call returns (other
            # replicas hear of the erased sessions from the database)
            self.chat.end_turns_of(user_id)
            # the user's name as the service spells it (the id lower-cased), not as the request did
            response = pb.EraseUserDataResponse(name=f"users/{user_id}", data_key_destroyed=erasure.data_key_destroyed)
            for table, n in sorted(erasure.counts.items()):
                field = _NAMED.get(table, "")
                if field:
                    setattr(response, field, n)
                elif table in _ARCHIVES:
                    response.archive_count += n
                elif n:
                    response.other_counts[table] = n
            set_timestamp(response.erase_time, datetime.now(UTC))
            return response.SerializeToString()

        return pb.EraseUserDataResponse.FromString(await self.idempotency.run(key, work))

    async def GetArchivedSession(
        self, request: pb.GetArchivedSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.ArchivedSession:
        user_id, session_id = parse_user_child(request.session, "sessions", field="session")
        session_id = uuid_segment(session_id, "session", request.session, "users/{user}/sessions/{session}")
        caller = authorize(user_id, request.session, current_principal())
        size = page_size(request.page_size, default=DEFAULT_ARCHIVE_PAGE_SIZE, maximum=MAX_ARCHIVE_PAGE_SIZE)
        # a token belongs to one caller reading one user's session (and, below, to the archive it was issued for)
        scope = f"{SERVICE}/GetArchivedSession:{user_id}:{session_id}:{caller.key}"
        start, issued_for = 0, None
        payload = self.page_tokens.decode(request.page_token, scope=scope)
        if payload is not None:
            offset, issued_for = payload.get("o"), payload.get("a")
            if type(offset) is not int or offset < 1 or not isinstance(issued_for, str):
                raise invalid("page_token", "is malformed", reason="INVALID_PAGE_TOKEN")
            start = offset
        transcript, address, archive_time = await self.chat.archived_transcript(user_id, session_id)
        messages = transcript.messages
        if issued_for is not None and (issued_for != address or start >= len(messages)):
            raise invalid("page_token", "was issued for another archive of this session", reason="INVALID_PAGE_TOKEN")

        out = pb.ArchivedSession(session=session_to_proto(transcript.session), archive_address=address)
        if out.session.status == chat_pb2.SESSION_STATUS_ARCHIVED:
            # the transcript was sealed before its address existed: the session as archived has it
            out.session.archive_address = address
        set_timestamp(out.archive_time, archive_time)
        # measured with the longest token this archive can have, so that the real one fits too
        out.next_page_token = self.page_tokens.encode({"o": len(messages), "a": address}, scope=scope)
        around = out.ByteSize() - out.session.ByteSize() + _SESSION_PREFIX_GROWTH
        end = with_messages_from(out.session, messages, start, limit=size, max_bytes=self.page_bytes - around)
        if (over := out.ByteSize() - self.page_bytes) > 0:
            # the page's one message does not fit beside the session's context (a context near its
            # 4,177,920-byte limit): the context comes bounded further, as a snapshot of a large
            # portfolio is (without tags, then its largest positions), so the page still fits 4 MiB
            room = out.session.portfolio_context.ByteSize() - over - 16
            out.session.ClearField("portfolio_context")
            context_to_proto(bounded(transcript.session.context, wire_limit=max(room, 0)),
                             out.session.portfolio_context)
        # the whole transcript, whichever page this is
        out.session.message_count = max(out.session.message_count, len(messages))
        if end < len(messages):
            out.next_page_token = self.page_tokens.encode({"o": end, "a": address}, scope=scope)
        else:
            out.ClearField("next_page_token")
        return out

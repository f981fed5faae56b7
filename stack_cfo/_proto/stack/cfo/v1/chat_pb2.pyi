import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stack_cfo._proto.stack.cfo.v1 import common_pb2 as _common_pb2
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as _portfolio_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATUS_UNSPECIFIED: _ClassVar[SessionStatus]
    SESSION_STATUS_ACTIVE: _ClassVar[SessionStatus]
    SESSION_STATUS_ARCHIVED: _ClassVar[SessionStatus]
    SESSION_STATUS_DELETED: _ClassVar[SessionStatus]

class ChatRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHAT_ROLE_UNSPECIFIED: _ClassVar[ChatRole]
    CHAT_ROLE_USER: _ClassVar[ChatRole]
    CHAT_ROLE_ASSISTANT: _ClassVar[ChatRole]
    CHAT_ROLE_SYSTEM: _ClassVar[ChatRole]

class SessionView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_VIEW_UNSPECIFIED: _ClassVar[SessionView]
    SESSION_VIEW_BASIC: _ClassVar[SessionView]
    SESSION_VIEW_FULL: _ClassVar[SessionView]
SESSION_STATUS_UNSPECIFIED: SessionStatus
SESSION_STATUS_ACTIVE: SessionStatus
SESSION_STATUS_ARCHIVED: SessionStatus
SESSION_STATUS_DELETED: SessionStatus
CHAT_ROLE_UNSPECIFIED: ChatRole
CHAT_ROLE_USER: ChatRole
CHAT_ROLE_ASSISTANT: ChatRole
CHAT_ROLE_SYSTEM: ChatRole
SESSION_VIEW_UNSPECIFIED: SessionView
SESSION_VIEW_BASIC: SessionView
SESSION_VIEW_FULL: SessionView

class PortfolioContext(_message.Message):
    __slots__ = ("snapshot_time", "base_currency", "total_value", "total_return_amount", "total_return_percent", "day_change_amount", "day_change_percent", "positions", "risk")
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    snapshot_time: _timestamp_pb2.Timestamp
    base_currency: str
    total_value: str
    total_return_amount: str
    total_return_percent: float
    day_change_amount: str
    day_change_percent: float
    positions: _containers.RepeatedCompositeFieldContainer[_portfolio_pb2.PositionSummary]
    risk: _portfolio_pb2.RiskMetrics
    def __init__(self, snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., base_currency: _Optional[str] = ..., total_value: _Optional[str] = ..., total_return_amount: _Optional[str] = ..., total_return_percent: _Optional[float] = ..., day_change_amount: _Optional[str] = ..., day_change_percent: _Optional[float] = ..., positions: _Optional[_Iterable[_Union[_portfolio_pb2.PositionSummary, _Mapping]]] = ..., risk: _Optional[_Union[_portfolio_pb2.RiskMetrics, _Mapping]] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("id", "role", "content", "create_time", "usage", "incomplete", "degraded_reason", "verification", "grounding", "receipt")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    INCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    GROUNDING_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: ChatRole
    content: str
    create_time: _timestamp_pb2.Timestamp
    usage: _common_pb2.TokenUsage
    incomplete: bool
    degraded_reason: str
    verification: _common_pb2.VerificationStatus
    grounding: _common_pb2.Grounding
    receipt: _common_pb2.Receipt
    def __init__(self, id: _Optional[str] = ..., role: _Optional[_Union[ChatRole, str]] = ..., content: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., usage: _Optional[_Union[_common_pb2.TokenUsage, _Mapping]] = ..., incomplete: _Optional[bool] = ..., degraded_reason: _Optional[str] = ..., verification: _Optional[_Union[_common_pb2.VerificationStatus, str]] = ..., grounding: _Optional[_Union[_common_pb2.Grounding, _Mapping]] = ..., receipt: _Optional[_Union[_common_pb2.Receipt, _Mapping]] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("name", "title", "status", "provider", "model", "tokens_used", "message_count", "portfolio_context", "auto_summarize", "summarize_interval", "archive_address", "create_time", "update_time", "last_access_time", "archive_time", "messages")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TOKENS_USED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PORTFOLIO_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    AUTO_SUMMARIZE_FIELD_NUMBER: _ClassVar[int]
    SUMMARIZE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ACCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    status: SessionStatus
    provider: str
    model: str
    tokens_used: int
    message_count: int
    portfolio_context: PortfolioContext
    auto_summarize: bool
    summarize_interval: int
    archive_address: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    last_access_time: _timestamp_pb2.Timestamp
    archive_time: _timestamp_pb2.Timestamp
    messages: _containers.RepeatedCompositeFieldContainer[ChatMessage]
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., status: _Optional[_Union[SessionStatus, str]] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., tokens_used: _Optional[int] = ..., message_count: _Optional[int] = ..., portfolio_context: _Optional[_Union[PortfolioContext, _Mapping]] = ..., auto_summarize: _Optional[bool] = ..., summarize_interval: _Optional[int] = ..., archive_address: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_access_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., archive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[ChatMessage, _Mapping]]] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("parent", "session", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    session: Session
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., session: _Optional[_Union[Session, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("name", "view")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    name: str
    view: SessionView
    def __init__(self, name: _Optional[str] = ..., view: _Optional[_Union[SessionView, str]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "status")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    status: SessionStatus
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[SessionStatus, str]] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteSessionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("name", "content", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., content: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class MessageAccepted(_message.Message):
    __slots__ = ("user_message_id", "assistant_message_id", "replayed")
    USER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSISTANT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    user_message_id: str
    assistant_message_id: str
    replayed: bool
    def __init__(self, user_message_id: _Optional[str] = ..., assistant_message_id: _Optional[str] = ..., replayed: _Optional[bool] = ...) -> None: ...

class MessageDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class MessageCompleted(_message.Message):
    __slots__ = ("assistant_message", "usage", "fee", "provider", "model", "verification", "degraded", "offline", "context_refreshed", "compressed", "incomplete")
    ASSISTANT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_REFRESHED_FIELD_NUMBER: _ClassVar[int]
    COMPRESSED_FIELD_NUMBER: _ClassVar[int]
    INCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    assistant_message: ChatMessage
    usage: _common_pb2.TokenUsage
    fee: str
    provider: str
    model: str
    verification: _common_pb2.VerificationStatus
    degraded: bool
    offline: bool
    context_refreshed: bool
    compressed: bool
    incomplete: bool
    def __init__(self, assistant_message: _Optional[_Union[ChatMessage, _Mapping]] = ..., usage: _Optional[_Union[_common_pb2.TokenUsage, _Mapping]] = ..., fee: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., verification: _Optional[_Union[_common_pb2.VerificationStatus, str]] = ..., degraded: _Optional[bool] = ..., offline: _Optional[bool] = ..., context_refreshed: _Optional[bool] = ..., compressed: _Optional[bool] = ..., incomplete: _Optional[bool] = ...) -> None: ...

class MessageReplaced(_message.Message):
    __slots__ = ("text", "reason")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    text: str
    reason: str
    def __init__(self, text: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ("accepted", "delta", "completed", "replaced")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    accepted: MessageAccepted
    delta: MessageDelta
    completed: MessageCompleted
    replaced: MessageReplaced
    def __init__(self, accepted: _Optional[_Union[MessageAccepted, _Mapping]] = ..., delta: _Optional[_Union[MessageDelta, _Mapping]] = ..., completed: _Optional[_Union[MessageCompleted, _Mapping]] = ..., replaced: _Optional[_Union[MessageReplaced, _Mapping]] = ...) -> None: ...

class UpdatePortfolioContextRequest(_message.Message):
    __slots__ = ("name", "portfolio_context")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PORTFOLIO_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    name: str
    portfolio_context: PortfolioContext
    def __init__(self, name: _Optional[str] = ..., portfolio_context: _Optional[_Union[PortfolioContext, _Mapping]] = ...) -> None: ...

class ArchiveSessionRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

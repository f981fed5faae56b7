import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as _chat_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EraseUserDataRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class EraseUserDataResponse(_message.Message):
    __slots__ = ("name", "session_count", "position_count", "cash_flow_count", "notification_count", "device_count", "archive_count", "data_key_destroyed", "other_counts", "erase_time")
    class OtherCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SESSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    POSITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CASH_FLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DATA_KEY_DESTROYED_FIELD_NUMBER: _ClassVar[int]
    OTHER_COUNTS_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    session_count: int
    position_count: int
    cash_flow_count: int
    notification_count: int
    device_count: int
    archive_count: int
    data_key_destroyed: bool
    other_counts: _containers.ScalarMap[str, int]
    erase_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., session_count: _Optional[int] = ..., position_count: _Optional[int] = ..., cash_flow_count: _Optional[int] = ..., notification_count: _Optional[int] = ..., device_count: _Optional[int] = ..., archive_count: _Optional[int] = ..., data_key_destroyed: _Optional[bool] = ..., other_counts: _Optional[_Mapping[str, int]] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetArchivedSessionRequest(_message.Message):
    __slots__ = ("session", "page_size", "page_token")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session: str
    page_size: int
    page_token: str
    def __init__(self, session: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ArchivedSession(_message.Message):
    __slots__ = ("session", "archive_address", "archive_time", "next_page_token")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session: _chat_pb2.Session
    archive_address: str
    archive_time: _timestamp_pb2.Timestamp
    next_page_token: str
    def __init__(self, session: _Optional[_Union[_chat_pb2.Session, _Mapping]] = ..., archive_address: _Optional[str] = ..., archive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stack_cfo._proto.stack.cfo.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetReceiptRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ReplayReceiptRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class FactChange(_message.Message):
    __slots__ = ("fact", "then_value", "now_value")
    FACT_FIELD_NUMBER: _ClassVar[int]
    THEN_VALUE_FIELD_NUMBER: _ClassVar[int]
    NOW_VALUE_FIELD_NUMBER: _ClassVar[int]
    fact: str
    then_value: str
    now_value: str
    def __init__(self, fact: _Optional[str] = ..., then_value: _Optional[str] = ..., now_value: _Optional[str] = ...) -> None: ...

class FigureReplay(_message.Message):
    __slots__ = ("figure", "still_holds", "now_value")
    FIGURE_FIELD_NUMBER: _ClassVar[int]
    STILL_HOLDS_FIELD_NUMBER: _ClassVar[int]
    NOW_VALUE_FIELD_NUMBER: _ClassVar[int]
    figure: _common_pb2.Figure
    still_holds: bool
    now_value: str
    def __init__(self, figure: _Optional[_Union[_common_pb2.Figure, _Mapping]] = ..., still_holds: _Optional[bool] = ..., now_value: _Optional[str] = ...) -> None: ...

class ReceiptReplay(_message.Message):
    __slots__ = ("receipt", "replay_time", "replayed_snapshot", "changed_facts", "figures", "unchanged")
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    REPLAY_TIME_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FACTS_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    receipt: _common_pb2.Receipt
    replay_time: _timestamp_pb2.Timestamp
    replayed_snapshot: str
    changed_facts: _containers.RepeatedCompositeFieldContainer[FactChange]
    figures: _containers.RepeatedCompositeFieldContainer[FigureReplay]
    unchanged: bool
    def __init__(self, receipt: _Optional[_Union[_common_pb2.Receipt, _Mapping]] = ..., replay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., replayed_snapshot: _Optional[str] = ..., changed_facts: _Optional[_Iterable[_Union[FactChange, _Mapping]]] = ..., figures: _Optional[_Iterable[_Union[FigureReplay, _Mapping]]] = ..., unchanged: _Optional[bool] = ...) -> None: ...

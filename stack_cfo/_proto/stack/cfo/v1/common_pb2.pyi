import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MetricUnavailableReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_UNAVAILABLE_REASON_UNSPECIFIED: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_NO_BENCHMARK: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_UNDEFINED: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE: _ClassVar[MetricUnavailableReason]
    METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY: _ClassVar[MetricUnavailableReason]

class VerificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATUS_UNSPECIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_VERIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_UNVERIFIED_SERVICE: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_FAILED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_UNAVAILABLE: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_NOT_APPLICABLE: _ClassVar[VerificationStatus]

class GroundingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUNDING_STATUS_UNSPECIFIED: _ClassVar[GroundingStatus]
    GROUNDING_STATUS_GROUNDED: _ClassVar[GroundingStatus]
    GROUNDING_STATUS_UNGROUNDED: _ClassVar[GroundingStatus]
    GROUNDING_STATUS_NO_FIGURES: _ClassVar[GroundingStatus]
    GROUNDING_STATUS_NOT_CHECKED: _ClassVar[GroundingStatus]

class FigureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FIGURE_KIND_UNSPECIFIED: _ClassVar[FigureKind]
    FIGURE_KIND_AMOUNT: _ClassVar[FigureKind]
    FIGURE_KIND_PERCENT: _ClassVar[FigureKind]
    FIGURE_KIND_RATIO: _ClassVar[FigureKind]
    FIGURE_KIND_COUNT: _ClassVar[FigureKind]
    FIGURE_KIND_NUMBER: _ClassVar[FigureKind]

class AiSurface(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AI_SURFACE_UNSPECIFIED: _ClassVar[AiSurface]
    AI_SURFACE_CHAT_ANSWER: _ClassVar[AiSurface]
    AI_SURFACE_PORTFOLIO_NARRATIVE: _ClassVar[AiSurface]
    AI_SURFACE_DAILY_DIGEST: _ClassVar[AiSurface]
    AI_SURFACE_WEEKLY_SUMMARY: _ClassVar[AiSurface]
    AI_SURFACE_NEWS_SUMMARY: _ClassVar[AiSurface]
METRIC_UNAVAILABLE_REASON_UNSPECIFIED: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_NO_BENCHMARK: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_UNDEFINED: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_MISSING_EXCHANGE_RATE: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_SPARSE_HISTORY: MetricUnavailableReason
VERIFICATION_STATUS_UNSPECIFIED: VerificationStatus
VERIFICATION_STATUS_VERIFIED: VerificationStatus
VERIFICATION_STATUS_UNVERIFIED_SERVICE: VerificationStatus
VERIFICATION_STATUS_FAILED: VerificationStatus
VERIFICATION_STATUS_UNAVAILABLE: VerificationStatus
VERIFICATION_STATUS_NOT_APPLICABLE: VerificationStatus
GROUNDING_STATUS_UNSPECIFIED: GroundingStatus
GROUNDING_STATUS_GROUNDED: GroundingStatus
GROUNDING_STATUS_UNGROUNDED: GroundingStatus
GROUNDING_STATUS_NO_FIGURES: GroundingStatus
GROUNDING_STATUS_NOT_CHECKED: GroundingStatus
FIGURE_KIND_UNSPECIFIED: FigureKind
FIGURE_KIND_AMOUNT: FigureKind
FIGURE_KIND_PERCENT: FigureKind
FIGURE_KIND_RATIO: FigureKind
FIGURE_KIND_COUNT: FigureKind
FIGURE_KIND_NUMBER: FigureKind
AI_SURFACE_UNSPECIFIED: AiSurface
AI_SURFACE_CHAT_ANSWER: AiSurface
AI_SURFACE_PORTFOLIO_NARRATIVE: AiSurface
AI_SURFACE_DAILY_DIGEST: AiSurface
AI_SURFACE_WEEKLY_SUMMARY: AiSurface
AI_SURFACE_NEWS_SUMMARY: AiSurface

class Date(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class TimeOfDay(_message.Message):
    __slots__ = ("hours", "minutes")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_FIELD_NUMBER: _ClassVar[int]
    hours: int
    minutes: int
    def __init__(self, hours: _Optional[int] = ..., minutes: _Optional[int] = ...) -> None: ...

class DateRange(_message.Message):
    __slots__ = ("start_date", "end_date")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    start_date: Date
    end_date: Date
    def __init__(self, start_date: _Optional[_Union[Date, _Mapping]] = ..., end_date: _Optional[_Union[Date, _Mapping]] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("value", "reason")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    value: float
    reason: MetricUnavailableReason
    def __init__(self, value: _Optional[float] = ..., reason: _Optional[_Union[MetricUnavailableReason, str]] = ...) -> None: ...

class TokenUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ...) -> None: ...

class Figure(_message.Message):
    __slots__ = ("text", "start", "end", "start_utf16", "end_utf16", "value", "kind", "grounded", "fact", "fact_value")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    START_UTF16_FIELD_NUMBER: _ClassVar[int]
    END_UTF16_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    GROUNDED_FIELD_NUMBER: _ClassVar[int]
    FACT_FIELD_NUMBER: _ClassVar[int]
    FACT_VALUE_FIELD_NUMBER: _ClassVar[int]
    text: str
    start: int
    end: int
    start_utf16: int
    end_utf16: int
    value: str
    kind: FigureKind
    grounded: bool
    fact: str
    fact_value: str
    def __init__(self, text: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., start_utf16: _Optional[int] = ..., end_utf16: _Optional[int] = ..., value: _Optional[str] = ..., kind: _Optional[_Union[FigureKind, str]] = ..., grounded: _Optional[bool] = ..., fact: _Optional[str] = ..., fact_value: _Optional[str] = ...) -> None: ...

class Grounding(_message.Message):
    __slots__ = ("status", "figures", "ungrounded_count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    UNGROUNDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    status: GroundingStatus
    figures: _containers.RepeatedCompositeFieldContainer[Figure]
    ungrounded_count: int
    def __init__(self, status: _Optional[_Union[GroundingStatus, str]] = ..., figures: _Optional[_Iterable[_Union[Figure, _Mapping]]] = ..., ungrounded_count: _Optional[int] = ...) -> None: ...

class Receipt(_message.Message):
    __slots__ = ("name", "surface", "subject", "provider", "model", "response_id", "verification", "tee_signer_address", "signature", "signed_text", "prompt_sha256", "data_sha256", "data_snapshot", "data_as_of", "text", "text_sha256", "grounding", "usage", "fee", "degraded_reason", "router_tee_verified", "create_time", "signed_request", "signed_response")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    TEE_SIGNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_TEXT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    DATA_SHA256_FIELD_NUMBER: _ClassVar[int]
    DATA_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    DATA_AS_OF_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_SHA256_FIELD_NUMBER: _ClassVar[int]
    GROUNDING_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    ROUTER_TEE_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNED_REQUEST_FIELD_NUMBER: _ClassVar[int]
    SIGNED_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    name: str
    surface: AiSurface
    subject: str
    provider: str
    model: str
    response_id: str
    verification: VerificationStatus
    tee_signer_address: str
    signature: str
    signed_text: str
    prompt_sha256: str
    data_sha256: str
    data_snapshot: str
    data_as_of: _timestamp_pb2.Timestamp
    text: str
    text_sha256: str
    grounding: Grounding
    usage: TokenUsage
    fee: str
    degraded_reason: str
    router_tee_verified: bool
    create_time: _timestamp_pb2.Timestamp
    signed_request: bytes
    signed_response: bytes
    def __init__(self, name: _Optional[str] = ..., surface: _Optional[_Union[AiSurface, str]] = ..., subject: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., response_id: _Optional[str] = ..., verification: _Optional[_Union[VerificationStatus, str]] = ..., tee_signer_address: _Optional[str] = ..., signature: _Optional[str] = ..., signed_text: _Optional[str] = ..., prompt_sha256: _Optional[str] = ..., data_sha256: _Optional[str] = ..., data_snapshot: _Optional[str] = ..., data_as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., text_sha256: _Optional[str] = ..., grounding: _Optional[_Union[Grounding, _Mapping]] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ..., fee: _Optional[str] = ..., degraded_reason: _Optional[str] = ..., router_tee_verified: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signed_request: _Optional[bytes] = ..., signed_response: _Optional[bytes] = ...) -> None: ...

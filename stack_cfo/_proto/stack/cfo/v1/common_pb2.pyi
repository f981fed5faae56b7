from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
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

class VerificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATUS_UNSPECIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_VERIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_UNVERIFIED_SERVICE: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_FAILED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_UNAVAILABLE: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_NOT_APPLICABLE: _ClassVar[VerificationStatus]
METRIC_UNAVAILABLE_REASON_UNSPECIFIED: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_INSUFFICIENT_HISTORY: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_ZERO_DISPERSION: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_NO_BENCHMARK: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_NO_DRAWDOWN: MetricUnavailableReason
METRIC_UNAVAILABLE_REASON_UNDEFINED: MetricUnavailableReason
VERIFICATION_STATUS_UNSPECIFIED: VerificationStatus
VERIFICATION_STATUS_VERIFIED: VerificationStatus
VERIFICATION_STATUS_UNVERIFIED_SERVICE: VerificationStatus
VERIFICATION_STATUS_FAILED: VerificationStatus
VERIFICATION_STATUS_UNAVAILABLE: VerificationStatus
VERIFICATION_STATUS_NOT_APPLICABLE: VerificationStatus

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

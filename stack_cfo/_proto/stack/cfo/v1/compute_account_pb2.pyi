import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ComputeMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPUTE_MODE_UNSPECIFIED: _ClassVar[ComputeMode]
    COMPUTE_MODE_ROUTER: _ClassVar[ComputeMode]
    COMPUTE_MODE_DIRECT: _ClassVar[ComputeMode]
    COMPUTE_MODE_OFFLINE: _ClassVar[ComputeMode]

class BreakerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_STATE_UNSPECIFIED: _ClassVar[BreakerState]
    BREAKER_STATE_CLOSED: _ClassVar[BreakerState]
    BREAKER_STATE_OPEN: _ClassVar[BreakerState]
    BREAKER_STATE_HALF_OPEN: _ClassVar[BreakerState]
COMPUTE_MODE_UNSPECIFIED: ComputeMode
COMPUTE_MODE_ROUTER: ComputeMode
COMPUTE_MODE_DIRECT: ComputeMode
COMPUTE_MODE_OFFLINE: ComputeMode
BREAKER_STATE_UNSPECIFIED: BreakerState
BREAKER_STATE_CLOSED: BreakerState
BREAKER_STATE_OPEN: BreakerState
BREAKER_STATE_HALF_OPEN: BreakerState

class ComputeProvider(_message.Message):
    __slots__ = ("address", "url", "model", "breaker_state", "verifiability", "tee_signer_address", "input_price_per_token", "output_price_per_token", "balance", "unsettled_fee")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BREAKER_STATE_FIELD_NUMBER: _ClassVar[int]
    VERIFIABILITY_FIELD_NUMBER: _ClassVar[int]
    TEE_SIGNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    INPUT_PRICE_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PRICE_PER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    UNSETTLED_FEE_FIELD_NUMBER: _ClassVar[int]
    address: str
    url: str
    model: str
    breaker_state: BreakerState
    verifiability: str
    tee_signer_address: str
    input_price_per_token: str
    output_price_per_token: str
    balance: str
    unsettled_fee: str
    def __init__(self, address: _Optional[str] = ..., url: _Optional[str] = ..., model: _Optional[str] = ..., breaker_state: _Optional[_Union[BreakerState, str]] = ..., verifiability: _Optional[str] = ..., tee_signer_address: _Optional[str] = ..., input_price_per_token: _Optional[str] = ..., output_price_per_token: _Optional[str] = ..., balance: _Optional[str] = ..., unsettled_fee: _Optional[str] = ...) -> None: ...

class AutoTopup(_message.Message):
    __slots__ = ("enabled", "min_balance", "topup_amount", "last_topup_time")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    MIN_BALANCE_FIELD_NUMBER: _ClassVar[int]
    TOPUP_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_TOPUP_TIME_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    min_balance: str
    topup_amount: str
    last_topup_time: _timestamp_pb2.Timestamp
    def __init__(self, enabled: _Optional[bool] = ..., min_balance: _Optional[str] = ..., topup_amount: _Optional[str] = ..., last_topup_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ComputeAccount(_message.Message):
    __slots__ = ("mode", "wallet_address", "providers", "balance", "unsettled_fee", "balance_error", "auto_topup", "read_time")
    MODE_FIELD_NUMBER: _ClassVar[int]
    WALLET_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    UNSETTLED_FEE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_ERROR_FIELD_NUMBER: _ClassVar[int]
    AUTO_TOPUP_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    mode: ComputeMode
    wallet_address: str
    providers: _containers.RepeatedCompositeFieldContainer[ComputeProvider]
    balance: str
    unsettled_fee: str
    balance_error: str
    auto_topup: AutoTopup
    read_time: _timestamp_pb2.Timestamp
    def __init__(self, mode: _Optional[_Union[ComputeMode, str]] = ..., wallet_address: _Optional[str] = ..., providers: _Optional[_Iterable[_Union[ComputeProvider, _Mapping]]] = ..., balance: _Optional[str] = ..., unsettled_fee: _Optional[str] = ..., balance_error: _Optional[str] = ..., auto_topup: _Optional[_Union[AutoTopup, _Mapping]] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetComputeAccountRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

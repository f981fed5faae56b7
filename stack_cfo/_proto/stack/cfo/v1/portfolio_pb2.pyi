import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from stack_cfo._proto.stack.cfo.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssetClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_CLASS_UNSPECIFIED: _ClassVar[AssetClass]
    ASSET_CLASS_EQUITY: _ClassVar[AssetClass]
    ASSET_CLASS_ETF: _ClassVar[AssetClass]
    ASSET_CLASS_FUND: _ClassVar[AssetClass]
    ASSET_CLASS_FIXED_INCOME: _ClassVar[AssetClass]
    ASSET_CLASS_CRYPTO: _ClassVar[AssetClass]
    ASSET_CLASS_COMMODITY: _ClassVar[AssetClass]
    ASSET_CLASS_CASH_EQUIVALENT: _ClassVar[AssetClass]
    ASSET_CLASS_OTHER: _ClassVar[AssetClass]

class CashFlowType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASH_FLOW_TYPE_UNSPECIFIED: _ClassVar[CashFlowType]
    CASH_FLOW_TYPE_DEPOSIT: _ClassVar[CashFlowType]
    CASH_FLOW_TYPE_WITHDRAWAL: _ClassVar[CashFlowType]

class TransactionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_TYPE_UNSPECIFIED: _ClassVar[TransactionType]
    TRANSACTION_TYPE_BUY: _ClassVar[TransactionType]
    TRANSACTION_TYPE_SELL: _ClassVar[TransactionType]
    TRANSACTION_TYPE_DIVIDEND: _ClassVar[TransactionType]
    TRANSACTION_TYPE_INTEREST: _ClassVar[TransactionType]
    TRANSACTION_TYPE_FEE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_TAX: _ClassVar[TransactionType]
    TRANSACTION_TYPE_SPLIT: _ClassVar[TransactionType]
    TRANSACTION_TYPE_DEPOSIT: _ClassVar[TransactionType]
    TRANSACTION_TYPE_WITHDRAWAL: _ClassVar[TransactionType]
    TRANSACTION_TYPE_TRANSFER_IN: _ClassVar[TransactionType]
    TRANSACTION_TYPE_TRANSFER_OUT: _ClassVar[TransactionType]

class CostBasisMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COST_BASIS_METHOD_UNSPECIFIED: _ClassVar[CostBasisMethod]
    COST_BASIS_METHOD_AVERAGE_COST: _ClassVar[CostBasisMethod]
    COST_BASIS_METHOD_FIFO: _ClassVar[CostBasisMethod]

class InsightSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSIGHT_SEVERITY_UNSPECIFIED: _ClassVar[InsightSeverity]
    INSIGHT_SEVERITY_INFO: _ClassVar[InsightSeverity]
    INSIGHT_SEVERITY_WARNING: _ClassVar[InsightSeverity]
    INSIGHT_SEVERITY_CRITICAL: _ClassVar[InsightSeverity]

class PortfolioSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PORTFOLIO_SOURCE_UNSPECIFIED: _ClassVar[PortfolioSource]
    PORTFOLIO_SOURCE_SNAPSHOTS: _ClassVar[PortfolioSource]
    PORTFOLIO_SOURCE_LEDGER: _ClassVar[PortfolioSource]

class PerformanceRange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERFORMANCE_RANGE_UNSPECIFIED: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_ONE_WEEK: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_ONE_MONTH: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_THREE_MONTHS: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_YEAR_TO_DATE: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_ONE_YEAR: _ClassVar[PerformanceRange]
    PERFORMANCE_RANGE_ALL: _ClassVar[PerformanceRange]

class HistoryInterval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_INTERVAL_UNSPECIFIED: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_DAILY: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_WEEKLY: _ClassVar[HistoryInterval]

class WatchTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WATCH_TRIGGER_UNSPECIFIED: _ClassVar[WatchTrigger]
    WATCH_TRIGGER_INITIAL: _ClassVar[WatchTrigger]
    WATCH_TRIGGER_PRICE_CHANGE: _ClassVar[WatchTrigger]
    WATCH_TRIGGER_HOLDINGS_CHANGE: _ClassVar[WatchTrigger]
ASSET_CLASS_UNSPECIFIED: AssetClass
ASSET_CLASS_EQUITY: AssetClass
ASSET_CLASS_ETF: AssetClass
ASSET_CLASS_FUND: AssetClass
ASSET_CLASS_FIXED_INCOME: AssetClass
ASSET_CLASS_CRYPTO: AssetClass
ASSET_CLASS_COMMODITY: AssetClass
ASSET_CLASS_CASH_EQUIVALENT: AssetClass
ASSET_CLASS_OTHER: AssetClass
CASH_FLOW_TYPE_UNSPECIFIED: CashFlowType
CASH_FLOW_TYPE_DEPOSIT: CashFlowType
CASH_FLOW_TYPE_WITHDRAWAL: CashFlowType
TRANSACTION_TYPE_UNSPECIFIED: TransactionType
TRANSACTION_TYPE_BUY: TransactionType
TRANSACTION_TYPE_SELL: TransactionType
TRANSACTION_TYPE_DIVIDEND: TransactionType
TRANSACTION_TYPE_INTEREST: TransactionType
TRANSACTION_TYPE_FEE: TransactionType
TRANSACTION_TYPE_TAX: TransactionType
TRANSACTION_TYPE_SPLIT: TransactionType
TRANSACTION_TYPE_DEPOSIT: TransactionType
TRANSACTION_TYPE_WITHDRAWAL: TransactionType
TRANSACTION_TYPE_TRANSFER_IN: TransactionType
TRANSACTION_TYPE_TRANSFER_OUT: TransactionType
COST_BASIS_METHOD_UNSPECIFIED: CostBasisMethod
COST_BASIS_METHOD_AVERAGE_COST: CostBasisMethod
COST_BASIS_METHOD_FIFO: CostBasisMethod
INSIGHT_SEVERITY_UNSPECIFIED: InsightSeverity
INSIGHT_SEVERITY_INFO: InsightSeverity
INSIGHT_SEVERITY_WARNING: InsightSeverity
INSIGHT_SEVERITY_CRITICAL: InsightSeverity
PORTFOLIO_SOURCE_UNSPECIFIED: PortfolioSource
PORTFOLIO_SOURCE_SNAPSHOTS: PortfolioSource
PORTFOLIO_SOURCE_LEDGER: PortfolioSource
PERFORMANCE_RANGE_UNSPECIFIED: PerformanceRange
PERFORMANCE_RANGE_ONE_WEEK: PerformanceRange
PERFORMANCE_RANGE_ONE_MONTH: PerformanceRange
PERFORMANCE_RANGE_THREE_MONTHS: PerformanceRange
PERFORMANCE_RANGE_YEAR_TO_DATE: PerformanceRange
PERFORMANCE_RANGE_ONE_YEAR: PerformanceRange
PERFORMANCE_RANGE_ALL: PerformanceRange
HISTORY_INTERVAL_UNSPECIFIED: HistoryInterval
HISTORY_INTERVAL_DAILY: HistoryInterval
HISTORY_INTERVAL_WEEKLY: HistoryInterval
WATCH_TRIGGER_UNSPECIFIED: WatchTrigger
WATCH_TRIGGER_INITIAL: WatchTrigger
WATCH_TRIGGER_PRICE_CHANGE: WatchTrigger
WATCH_TRIGGER_HOLDINGS_CHANGE: WatchTrigger

class Holding(_message.Message):
    __slots__ = ("symbol", "quantity", "average_cost", "currency", "sector", "asset_class", "basket", "tags")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    ASSET_CLASS_FIELD_NUMBER: _ClassVar[int]
    BASKET_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: str
    average_cost: str
    currency: str
    sector: str
    asset_class: AssetClass
    basket: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., average_cost: _Optional[str] = ..., currency: _Optional[str] = ..., sector: _Optional[str] = ..., asset_class: _Optional[_Union[AssetClass, str]] = ..., basket: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class CashFlow(_message.Message):
    __slots__ = ("id", "occur_time", "occur_date", "type", "amount", "currency")
    ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    OCCUR_DATE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    id: str
    occur_time: _timestamp_pb2.Timestamp
    occur_date: _common_pb2.Date
    type: CashFlowType
    amount: str
    currency: str
    def __init__(self, id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., occur_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., type: _Optional[_Union[CashFlowType, str]] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class SyncPortfolioRequest(_message.Message):
    __slots__ = ("portfolio", "positions", "cash_balance", "base_currency", "cash_flows", "request_id", "effective_date")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    CASH_BALANCE_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FLOWS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    positions: _containers.RepeatedCompositeFieldContainer[Holding]
    cash_balance: str
    base_currency: str
    cash_flows: _containers.RepeatedCompositeFieldContainer[CashFlow]
    request_id: str
    effective_date: _common_pb2.Date
    def __init__(self, portfolio: _Optional[str] = ..., positions: _Optional[_Iterable[_Union[Holding, _Mapping]]] = ..., cash_balance: _Optional[str] = ..., base_currency: _Optional[str] = ..., cash_flows: _Optional[_Iterable[_Union[CashFlow, _Mapping]]] = ..., request_id: _Optional[str] = ..., effective_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ...) -> None: ...

class SyncPortfolioResponse(_message.Message):
    __slots__ = ("portfolio", "position_count", "recorded_flow_count", "ignored_flow_count", "sync_time", "effective_date")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    POSITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SYNC_TIME_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    position_count: int
    recorded_flow_count: int
    ignored_flow_count: int
    sync_time: _timestamp_pb2.Timestamp
    effective_date: _common_pb2.Date
    def __init__(self, portfolio: _Optional[str] = ..., position_count: _Optional[int] = ..., recorded_flow_count: _Optional[int] = ..., ignored_flow_count: _Optional[int] = ..., sync_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., effective_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ...) -> None: ...

class DatedHoldings(_message.Message):
    __slots__ = ("effective_date", "positions", "cash_balance")
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    CASH_BALANCE_FIELD_NUMBER: _ClassVar[int]
    effective_date: _common_pb2.Date
    positions: _containers.RepeatedCompositeFieldContainer[Holding]
    cash_balance: str
    def __init__(self, effective_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., positions: _Optional[_Iterable[_Union[Holding, _Mapping]]] = ..., cash_balance: _Optional[str] = ...) -> None: ...

class ImportHoldingsHistoryRequest(_message.Message):
    __slots__ = ("portfolio", "snapshots", "base_currency", "cash_flows", "request_id")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FLOWS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    snapshots: _containers.RepeatedCompositeFieldContainer[DatedHoldings]
    base_currency: str
    cash_flows: _containers.RepeatedCompositeFieldContainer[CashFlow]
    request_id: str
    def __init__(self, portfolio: _Optional[str] = ..., snapshots: _Optional[_Iterable[_Union[DatedHoldings, _Mapping]]] = ..., base_currency: _Optional[str] = ..., cash_flows: _Optional[_Iterable[_Union[CashFlow, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ImportHoldingsHistoryResponse(_message.Message):
    __slots__ = ("portfolio", "snapshot_count", "dates", "recorded_flow_count", "ignored_flow_count")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DATES_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    snapshot_count: int
    dates: _common_pb2.DateRange
    recorded_flow_count: int
    ignored_flow_count: int
    def __init__(self, portfolio: _Optional[str] = ..., snapshot_count: _Optional[int] = ..., dates: _Optional[_Union[_common_pb2.DateRange, _Mapping]] = ..., recorded_flow_count: _Optional[int] = ..., ignored_flow_count: _Optional[int] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("name", "type", "trade_date", "symbol", "quantity", "price", "amount", "currency", "fees", "split_ratio", "client_id", "note", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TRADE_DATE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    SPLIT_RATIO_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: TransactionType
    trade_date: _common_pb2.Date
    symbol: str
    quantity: str
    price: str
    amount: str
    currency: str
    fees: str
    split_ratio: str
    client_id: str
    note: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[TransactionType, str]] = ..., trade_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., fees: _Optional[str] = ..., split_ratio: _Optional[str] = ..., client_id: _Optional[str] = ..., note: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchCreateTransactionsRequest(_message.Message):
    __slots__ = ("parent", "transactions", "base_currency", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    base_currency: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., base_currency: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchCreateTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "created_count", "existing_count")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    CREATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXISTING_COUNT_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    created_count: int
    existing_count: int
    def __init__(self, transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., created_count: _Optional[int] = ..., existing_count: _Optional[int] = ...) -> None: ...

class ListTransactionsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "start_date", "end_date", "symbol")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    start_date: _common_pb2.Date
    end_date: _common_pb2.Date
    symbol: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., symbol: _Optional[str] = ...) -> None: ...

class ListTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateTransactionRequest(_message.Message):
    __slots__ = ("transaction", "update_mask")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteTransactionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteTransactionResponse(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ExchangeRate(_message.Message):
    __slots__ = ("base_currency", "quote_currency", "date", "rate")
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    base_currency: str
    quote_currency: str
    date: _common_pb2.Date
    rate: str
    def __init__(self, base_currency: _Optional[str] = ..., quote_currency: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., rate: _Optional[str] = ...) -> None: ...

class RecordExchangeRatesRequest(_message.Message):
    __slots__ = ("rates", "request_id")
    RATES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    rates: _containers.RepeatedCompositeFieldContainer[ExchangeRate]
    request_id: str
    def __init__(self, rates: _Optional[_Iterable[_Union[ExchangeRate, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordExchangeRatesResponse(_message.Message):
    __slots__ = ("inserted_count", "updated_count", "unchanged_count")
    INSERTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    inserted_count: int
    updated_count: int
    unchanged_count: int
    def __init__(self, inserted_count: _Optional[int] = ..., updated_count: _Optional[int] = ..., unchanged_count: _Optional[int] = ...) -> None: ...

class PortfolioSettings(_message.Message):
    __slots__ = ("name", "benchmark_symbol", "cost_basis_method", "position_concentration_threshold", "position_concentration_critical_threshold", "sector_concentration_threshold", "drawdown_warning_threshold", "drawdown_critical_threshold", "basket_lag_threshold", "position_lag_threshold", "idle_cash_threshold", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_METHOD_FIELD_NUMBER: _ClassVar[int]
    POSITION_CONCENTRATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    POSITION_CONCENTRATION_CRITICAL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SECTOR_CONCENTRATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_WARNING_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_CRITICAL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    BASKET_LAG_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    POSITION_LAG_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    IDLE_CASH_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    benchmark_symbol: str
    cost_basis_method: CostBasisMethod
    position_concentration_threshold: float
    position_concentration_critical_threshold: float
    sector_concentration_threshold: float
    drawdown_warning_threshold: float
    drawdown_critical_threshold: float
    basket_lag_threshold: float
    position_lag_threshold: float
    idle_cash_threshold: float
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., benchmark_symbol: _Optional[str] = ..., cost_basis_method: _Optional[_Union[CostBasisMethod, str]] = ..., position_concentration_threshold: _Optional[float] = ..., position_concentration_critical_threshold: _Optional[float] = ..., sector_concentration_threshold: _Optional[float] = ..., drawdown_warning_threshold: _Optional[float] = ..., drawdown_critical_threshold: _Optional[float] = ..., basket_lag_threshold: _Optional[float] = ..., position_lag_threshold: _Optional[float] = ..., idle_cash_threshold: _Optional[float] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetPortfolioSettingsRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdatePortfolioSettingsRequest(_message.Message):
    __slots__ = ("settings", "update_mask")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    settings: PortfolioSettings
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, settings: _Optional[_Union[PortfolioSettings, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class PricePoint(_message.Message):
    __slots__ = ("symbol", "date", "time", "close", "previous_close", "currency")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CLOSE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    date: _common_pb2.Date
    time: _timestamp_pb2.Timestamp
    close: str
    previous_close: str
    currency: str
    def __init__(self, symbol: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close: _Optional[str] = ..., previous_close: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class RecordPricesRequest(_message.Message):
    __slots__ = ("points", "request_id")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[PricePoint]
    request_id: str
    def __init__(self, points: _Optional[_Iterable[_Union[PricePoint, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordPricesResponse(_message.Message):
    __slots__ = ("inserted_count", "updated_count", "unchanged_count")
    INSERTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    inserted_count: int
    updated_count: int
    unchanged_count: int
    def __init__(self, inserted_count: _Optional[int] = ..., updated_count: _Optional[int] = ..., unchanged_count: _Optional[int] = ...) -> None: ...

class NewsArticle(_message.Message):
    __slots__ = ("id", "source", "publish_time", "title", "summary", "url", "symbols")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    id: str
    source: str
    publish_time: _timestamp_pb2.Timestamp
    title: str
    summary: str
    url: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., source: _Optional[str] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., title: _Optional[str] = ..., summary: _Optional[str] = ..., url: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class IngestNewsRequest(_message.Message):
    __slots__ = ("articles",)
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    articles: _containers.RepeatedCompositeFieldContainer[NewsArticle]
    def __init__(self, articles: _Optional[_Iterable[_Union[NewsArticle, _Mapping]]] = ...) -> None: ...

class IngestNewsResponse(_message.Message):
    __slots__ = ("inserted_count", "duplicate_count")
    INSERTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    inserted_count: int
    duplicate_count: int
    def __init__(self, inserted_count: _Optional[int] = ..., duplicate_count: _Optional[int] = ...) -> None: ...

class GetPortfolioSummaryRequest(_message.Message):
    __slots__ = ("portfolio", "as_of_time")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, portfolio: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PositionSummary(_message.Message):
    __slots__ = ("symbol", "quantity", "average_cost", "cost_basis", "currency", "sector", "asset_class", "basket", "tags", "last_price", "last_price_time", "stale", "market_value", "weight", "unrealized_pnl_amount", "unrealized_pnl_percent", "day_change_amount", "day_change_percent", "realized_pnl_amount", "income_amount", "exchange_rate", "local_return_percent", "currency_effect_percent")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    ASSET_CLASS_FIELD_NUMBER: _ClassVar[int]
    BASKET_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_TIME_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    INCOME_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_RATE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_EFFECT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: str
    average_cost: str
    cost_basis: str
    currency: str
    sector: str
    asset_class: AssetClass
    basket: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    last_price: str
    last_price_time: _timestamp_pb2.Timestamp
    stale: bool
    market_value: str
    weight: float
    unrealized_pnl_amount: str
    unrealized_pnl_percent: float
    day_change_amount: str
    day_change_percent: float
    realized_pnl_amount: str
    income_amount: str
    exchange_rate: str
    local_return_percent: float
    currency_effect_percent: float
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., average_cost: _Optional[str] = ..., cost_basis: _Optional[str] = ..., currency: _Optional[str] = ..., sector: _Optional[str] = ..., asset_class: _Optional[_Union[AssetClass, str]] = ..., basket: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., last_price: _Optional[str] = ..., last_price_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ..., market_value: _Optional[str] = ..., weight: _Optional[float] = ..., unrealized_pnl_amount: _Optional[str] = ..., unrealized_pnl_percent: _Optional[float] = ..., day_change_amount: _Optional[str] = ..., day_change_percent: _Optional[float] = ..., realized_pnl_amount: _Optional[str] = ..., income_amount: _Optional[str] = ..., exchange_rate: _Optional[str] = ..., local_return_percent: _Optional[float] = ..., currency_effect_percent: _Optional[float] = ...) -> None: ...

class GroupSummary(_message.Message):
    __slots__ = ("key", "position_count", "symbols", "market_value", "weight", "cost_basis", "unrealized_pnl_amount", "unrealized_pnl_percent", "day_change_amount", "day_change_percent", "week_return_percent")
    KEY_FIELD_NUMBER: _ClassVar[int]
    POSITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    WEEK_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    key: str
    position_count: int
    symbols: _containers.RepeatedScalarFieldContainer[str]
    market_value: str
    weight: float
    cost_basis: str
    unrealized_pnl_amount: str
    unrealized_pnl_percent: float
    day_change_amount: str
    day_change_percent: float
    week_return_percent: float
    def __init__(self, key: _Optional[str] = ..., position_count: _Optional[int] = ..., symbols: _Optional[_Iterable[str]] = ..., market_value: _Optional[str] = ..., weight: _Optional[float] = ..., cost_basis: _Optional[str] = ..., unrealized_pnl_amount: _Optional[str] = ..., unrealized_pnl_percent: _Optional[float] = ..., day_change_amount: _Optional[str] = ..., day_change_percent: _Optional[float] = ..., week_return_percent: _Optional[float] = ...) -> None: ...

class RiskMetrics(_message.Message):
    __slots__ = ("observation_count", "start_date", "end_date", "risk_free_rate", "benchmark_symbol", "time_weighted_return", "volatility", "sharpe", "sortino", "max_drawdown", "current_drawdown", "cagr", "calmar", "var_95", "cvar_95", "beta", "alpha")
    OBSERVATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIME_WEIGHTED_RETURN_FIELD_NUMBER: _ClassVar[int]
    VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    SHARPE_FIELD_NUMBER: _ClassVar[int]
    SORTINO_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    CAGR_FIELD_NUMBER: _ClassVar[int]
    CALMAR_FIELD_NUMBER: _ClassVar[int]
    VAR_95_FIELD_NUMBER: _ClassVar[int]
    CVAR_95_FIELD_NUMBER: _ClassVar[int]
    BETA_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    observation_count: int
    start_date: _common_pb2.Date
    end_date: _common_pb2.Date
    risk_free_rate: float
    benchmark_symbol: str
    time_weighted_return: _common_pb2.Metric
    volatility: _common_pb2.Metric
    sharpe: _common_pb2.Metric
    sortino: _common_pb2.Metric
    max_drawdown: _common_pb2.Metric
    current_drawdown: _common_pb2.Metric
    cagr: _common_pb2.Metric
    calmar: _common_pb2.Metric
    var_95: _common_pb2.Metric
    cvar_95: _common_pb2.Metric
    beta: _common_pb2.Metric
    alpha: _common_pb2.Metric
    def __init__(self, observation_count: _Optional[int] = ..., start_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., risk_free_rate: _Optional[float] = ..., benchmark_symbol: _Optional[str] = ..., time_weighted_return: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., volatility: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., sharpe: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., sortino: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., max_drawdown: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., current_drawdown: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., cagr: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., calmar: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., var_95: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., cvar_95: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., beta: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., alpha: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ...) -> None: ...

class Diversification(_message.Message):
    __slots__ = ("position_count", "position_hhi", "effective_positions", "sector_weights", "sector_hhi", "effective_sectors", "largest_weight", "largest_symbol", "top5_weight", "score")
    POSITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    POSITION_HHI_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_POSITIONS_FIELD_NUMBER: _ClassVar[int]
    SECTOR_WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    SECTOR_HHI_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_SECTORS_FIELD_NUMBER: _ClassVar[int]
    LARGEST_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LARGEST_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TOP5_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    position_count: int
    position_hhi: float
    effective_positions: float
    sector_weights: _containers.RepeatedCompositeFieldContainer[SectorWeight]
    sector_hhi: float
    effective_sectors: float
    largest_weight: float
    largest_symbol: str
    top5_weight: float
    score: _common_pb2.Metric
    def __init__(self, position_count: _Optional[int] = ..., position_hhi: _Optional[float] = ..., effective_positions: _Optional[float] = ..., sector_weights: _Optional[_Iterable[_Union[SectorWeight, _Mapping]]] = ..., sector_hhi: _Optional[float] = ..., effective_sectors: _Optional[float] = ..., largest_weight: _Optional[float] = ..., largest_symbol: _Optional[str] = ..., top5_weight: _Optional[float] = ..., score: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ...) -> None: ...

class SectorWeight(_message.Message):
    __slots__ = ("sector", "weight")
    SECTOR_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    sector: str
    weight: float
    def __init__(self, sector: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class Insight(_message.Message):
    __slots__ = ("code", "severity", "message", "numbers", "symbols", "group")
    class NumbersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    code: str
    severity: InsightSeverity
    message: str
    numbers: _containers.ScalarMap[str, str]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    group: str
    def __init__(self, code: _Optional[str] = ..., severity: _Optional[_Union[InsightSeverity, str]] = ..., message: _Optional[str] = ..., numbers: _Optional[_Mapping[str, str]] = ..., symbols: _Optional[_Iterable[str]] = ..., group: _Optional[str] = ...) -> None: ...

class PortfolioSummary(_message.Message):
    __slots__ = ("portfolio", "as_of_time", "base_currency", "total_value", "positions_value", "cash_balance", "cost_basis", "total_return_amount", "total_return_percent", "day_change_amount", "day_change_percent", "positions", "baskets", "sectors", "risk", "diversification", "insights", "benchmark_symbol", "benchmark_week_return_percent", "source", "realized_pnl_amount", "income_amount", "fees_amount", "ledger_positions", "cost_basis_method", "money_weighted_return", "local_return", "currency_effect", "missing_exchange_rates")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_VALUE_FIELD_NUMBER: _ClassVar[int]
    CASH_BALANCE_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DAY_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    BASKETS_FIELD_NUMBER: _ClassVar[int]
    SECTORS_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    DIVERSIFICATION_FIELD_NUMBER: _ClassVar[int]
    INSIGHTS_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_WEEK_RETURN_PERCENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    INCOME_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEES_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_POSITIONS_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_METHOD_FIELD_NUMBER: _ClassVar[int]
    MONEY_WEIGHTED_RETURN_FIELD_NUMBER: _ClassVar[int]
    LOCAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_EFFECT_FIELD_NUMBER: _ClassVar[int]
    MISSING_EXCHANGE_RATES_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    as_of_time: _timestamp_pb2.Timestamp
    base_currency: str
    total_value: str
    positions_value: str
    cash_balance: str
    cost_basis: str
    total_return_amount: str
    total_return_percent: float
    day_change_amount: str
    day_change_percent: float
    positions: _containers.RepeatedCompositeFieldContainer[PositionSummary]
    baskets: _containers.RepeatedCompositeFieldContainer[GroupSummary]
    sectors: _containers.RepeatedCompositeFieldContainer[GroupSummary]
    risk: RiskMetrics
    diversification: Diversification
    insights: _containers.RepeatedCompositeFieldContainer[Insight]
    benchmark_symbol: str
    benchmark_week_return_percent: float
    source: PortfolioSource
    realized_pnl_amount: str
    income_amount: str
    fees_amount: str
    ledger_positions: _containers.RepeatedCompositeFieldContainer[SymbolLedgerFigures]
    cost_basis_method: CostBasisMethod
    money_weighted_return: _common_pb2.Metric
    local_return: _common_pb2.Metric
    currency_effect: _common_pb2.Metric
    missing_exchange_rates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, portfolio: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., base_currency: _Optional[str] = ..., total_value: _Optional[str] = ..., positions_value: _Optional[str] = ..., cash_balance: _Optional[str] = ..., cost_basis: _Optional[str] = ..., total_return_amount: _Optional[str] = ..., total_return_percent: _Optional[float] = ..., day_change_amount: _Optional[str] = ..., day_change_percent: _Optional[float] = ..., positions: _Optional[_Iterable[_Union[PositionSummary, _Mapping]]] = ..., baskets: _Optional[_Iterable[_Union[GroupSummary, _Mapping]]] = ..., sectors: _Optional[_Iterable[_Union[GroupSummary, _Mapping]]] = ..., risk: _Optional[_Union[RiskMetrics, _Mapping]] = ..., diversification: _Optional[_Union[Diversification, _Mapping]] = ..., insights: _Optional[_Iterable[_Union[Insight, _Mapping]]] = ..., benchmark_symbol: _Optional[str] = ..., benchmark_week_return_percent: _Optional[float] = ..., source: _Optional[_Union[PortfolioSource, str]] = ..., realized_pnl_amount: _Optional[str] = ..., income_amount: _Optional[str] = ..., fees_amount: _Optional[str] = ..., ledger_positions: _Optional[_Iterable[_Union[SymbolLedgerFigures, _Mapping]]] = ..., cost_basis_method: _Optional[_Union[CostBasisMethod, str]] = ..., money_weighted_return: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., local_return: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., currency_effect: _Optional[_Union[_common_pb2.Metric, _Mapping]] = ..., missing_exchange_rates: _Optional[_Iterable[str]] = ...) -> None: ...

class SymbolLedgerFigures(_message.Message):
    __slots__ = ("symbol", "quantity", "realized_pnl_amount", "income_amount", "currency")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    INCOME_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quantity: str
    realized_pnl_amount: str
    income_amount: str
    currency: str
    def __init__(self, symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., realized_pnl_amount: _Optional[str] = ..., income_amount: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetPerformanceHistoryRequest(_message.Message):
    __slots__ = ("portfolio", "range", "dates", "interval")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    DATES_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    range: PerformanceRange
    dates: _common_pb2.DateRange
    interval: HistoryInterval
    def __init__(self, portfolio: _Optional[str] = ..., range: _Optional[_Union[PerformanceRange, str]] = ..., dates: _Optional[_Union[_common_pb2.DateRange, _Mapping]] = ..., interval: _Optional[_Union[HistoryInterval, str]] = ...) -> None: ...

class PerformancePoint(_message.Message):
    __slots__ = ("date", "value", "net_flow", "cumulative_return", "drawdown", "benchmark_cumulative_return", "local_cumulative_return")
    DATE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NET_FLOW_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_RETURN_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_CUMULATIVE_RETURN_FIELD_NUMBER: _ClassVar[int]
    LOCAL_CUMULATIVE_RETURN_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.Date
    value: str
    net_flow: str
    cumulative_return: float
    drawdown: float
    benchmark_cumulative_return: float
    local_cumulative_return: float
    def __init__(self, date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., value: _Optional[str] = ..., net_flow: _Optional[str] = ..., cumulative_return: _Optional[float] = ..., drawdown: _Optional[float] = ..., benchmark_cumulative_return: _Optional[float] = ..., local_cumulative_return: _Optional[float] = ...) -> None: ...

class GetPerformanceHistoryResponse(_message.Message):
    __slots__ = ("portfolio", "dates", "interval", "points", "base_currency", "benchmark_symbol")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    DATES_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BASE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    dates: _common_pb2.DateRange
    interval: HistoryInterval
    points: _containers.RepeatedCompositeFieldContainer[PerformancePoint]
    base_currency: str
    benchmark_symbol: str
    def __init__(self, portfolio: _Optional[str] = ..., dates: _Optional[_Union[_common_pb2.DateRange, _Mapping]] = ..., interval: _Optional[_Union[HistoryInterval, str]] = ..., points: _Optional[_Iterable[_Union[PerformancePoint, _Mapping]]] = ..., base_currency: _Optional[str] = ..., benchmark_symbol: _Optional[str] = ...) -> None: ...

class StreamPortfolioSummaryRequest(_message.Message):
    __slots__ = ("portfolio",)
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    def __init__(self, portfolio: _Optional[str] = ...) -> None: ...

class NarrativeDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class NarrativeCompleted(_message.Message):
    __slots__ = ("text", "provider", "model", "verification", "degraded", "offline", "incomplete", "usage", "fee", "degraded_reason", "grounding", "receipt")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    INCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    GROUNDING_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    text: str
    provider: str
    model: str
    verification: _common_pb2.VerificationStatus
    degraded: bool
    offline: bool
    incomplete: bool
    usage: _common_pb2.TokenUsage
    fee: str
    degraded_reason: str
    grounding: _common_pb2.Grounding
    receipt: _common_pb2.Receipt
    def __init__(self, text: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., verification: _Optional[_Union[_common_pb2.VerificationStatus, str]] = ..., degraded: _Optional[bool] = ..., offline: _Optional[bool] = ..., incomplete: _Optional[bool] = ..., usage: _Optional[_Union[_common_pb2.TokenUsage, _Mapping]] = ..., fee: _Optional[str] = ..., degraded_reason: _Optional[str] = ..., grounding: _Optional[_Union[_common_pb2.Grounding, _Mapping]] = ..., receipt: _Optional[_Union[_common_pb2.Receipt, _Mapping]] = ...) -> None: ...

class StreamPortfolioSummaryResponse(_message.Message):
    __slots__ = ("summary", "narrative_delta", "narrative_completed")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    NARRATIVE_DELTA_FIELD_NUMBER: _ClassVar[int]
    NARRATIVE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    summary: PortfolioSummary
    narrative_delta: NarrativeDelta
    narrative_completed: NarrativeCompleted
    def __init__(self, summary: _Optional[_Union[PortfolioSummary, _Mapping]] = ..., narrative_delta: _Optional[_Union[NarrativeDelta, _Mapping]] = ..., narrative_completed: _Optional[_Union[NarrativeCompleted, _Mapping]] = ...) -> None: ...

class WatchPortfolioRequest(_message.Message):
    __slots__ = ("portfolio", "min_interval")
    PORTFOLIO_FIELD_NUMBER: _ClassVar[int]
    MIN_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    portfolio: str
    min_interval: _duration_pb2.Duration
    def __init__(self, portfolio: _Optional[str] = ..., min_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchPortfolioResponse(_message.Message):
    __slots__ = ("summary", "trigger", "changed_symbols")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    summary: PortfolioSummary
    trigger: WatchTrigger
    changed_symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, summary: _Optional[_Union[PortfolioSummary, _Mapping]] = ..., trigger: _Optional[_Union[WatchTrigger, str]] = ..., changed_symbols: _Optional[_Iterable[str]] = ...) -> None: ...

"""The protobuf contract keeps the shape client teams build against (names, streaming, money, paging)."""

from __future__ import annotations

import re

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor, FileDescriptor, ServiceDescriptor

from stack_cfo._proto.stack.cfo.v1 import (
    chat_pb2,
    common_pb2,
    compute_account_pb2,
    portfolio_pb2,
    receipt_pb2,
    scheduler_pb2,
    user_data_pb2,
)

FILES: list[FileDescriptor] = [
    m.DESCRIPTOR
    for m in (common_pb2, portfolio_pb2, chat_pb2, scheduler_pb2, compute_account_pb2, user_data_pb2, receipt_pb2)
]
SERVICES: dict[str, ServiceDescriptor] = {s.full_name: s for f in FILES for s in f.services_by_name.values()}

# service -> rpc -> server-streaming?
EXPECTED: dict[str, dict[str, bool]] = {
    "stack.cfo.v1.PortfolioSummaryService": {
        "SyncPortfolio": False,
        "RecordPrices": False,
        "IngestNews": False,
        "GetPortfolioSummary": False,
        "GetPerformanceHistory": False,
        "StreamPortfolioSummary": True,
        "WatchPortfolio": True,
        "ImportHoldingsHistory": False,
        "BatchCreateTransactions": False,
        "ListTransactions": False,
        "GetTransaction": False,
        "UpdateTransaction": False,
        "DeleteTransaction": False,
        "RecordExchangeRates": False,
        "GetPortfolioSettings": False,
        "UpdatePortfolioSettings": False,
    },
    "stack.cfo.v1.ChatService": {
        "CreateSession": False,
        "GetSession": False,
        "ListSessions": False,
        "DeleteSession": False,
        "SendMessage": True,
        "UpdatePortfolioContext": False,
        "ArchiveSession": False,
    },
    "stack.cfo.v1.SchedulerService": {
        "GetSchedulerStatus": False,
        "RunJob": True,
        "GetNotificationPreferences": False,
        "UpdateNotificationPreferences": False,
        "Unsubscribe": False,
        "RegisterDevice": False,
        "DeleteDevice": False,
        "ListDevices": False,
        "ListNotifications": False,
        "CreateWebhookEndpoint": False,
        "GetWebhookEndpoint": False,
        "ListWebhookEndpoints": False,
        "UpdateWebhookEndpoint": False,
        "DeleteWebhookEndpoint": False,
        "RotateWebhookEndpointSecret": False,
        "GetNotificationFeed": False,
        "UpdateNotificationFeed": False,
        "WatchNotifications": True,
        "AcknowledgeNotifications": False,
    },
    "stack.cfo.v1.ComputeAccountService": {"GetComputeAccount": False},
    "stack.cfo.v1.UserDataService": {"EraseUserData": False, "GetArchivedSession": False},
    "stack.cfo.v1.ReceiptService": {"GetReceipt": False, "ReplayReceipt": False},
}

MONEYISH = re.compile(r"value|amount|price|quantity|cost|cash|balance|(?:^|_)fees?(?:$|_)")
# Fields whose names look like money but are not: a Metric's ratio, counts.
NOT_MONEY = {"stack.cfo.v1.Metric.value", "stack.cfo.v1.PortfolioSettings.idle_cash_threshold"}  # ratios
# Enums named after money concepts (how cost basis is computed) are not amounts either.
ENUM_TYPES = (FieldDescriptor.TYPE_ENUM,)


def _all_messages() -> list[Descriptor]:
    out: list[Descriptor] = []

    def walk(d: Descriptor) -> None:
        out.append(d)
        for nested in d.nested_types:
            walk(nested)

    for f in FILES:
        for d in f.message_types_by_name.values():
            walk(d)
    return out


def test_every_named_rpc_exists_with_its_streaming_shape() -> None:
    assert set(SERVICES) == set(EXPECTED)
    for service_name, rpcs in EXPECTED.items():
        service = SERVICES[service_name]
        assert set(service.methods_by_name) == set(rpcs), service_name
        for rpc_name, server_streaming in rpcs.items():
            method = service.methods_by_name[rpc_name]
            assert method.server_streaming is server_streaming, f"{service_name}.{rpc_name}"
            assert method.client_streaming is False, f"{service_name}.{rpc_name}"


@pytest.mark.parametrize("message", _all_messages(), ids=lambda d: d.full_name)
def test_money_and_quantities_are_never_floats(message: Descriptor) -> None:
    if message.GetOptions().map_entry:
        return  # key/value of a map: the map field itself is checked on its message
    for field in message.fields:
        if field.full_name in NOT_MONEY or field.name.endswith("_count") or field.type in ENUM_TYPES:
            continue
        if MONEYISH.search(field.name):
            assert field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_MESSAGE), (
                f"{field.full_name} looks like money or a quantity but is not a decimal string"
            )


def test_every_list_rpc_is_paginated_and_unary() -> None:
    list_rpcs = [m for s in SERVICES.values() for m in s.methods if m.name.startswith("List")]
    assert {m.name for m in list_rpcs} == {"ListSessions", "ListNotifications", "ListWebhookEndpoints", "ListDevices",
                                             "ListTransactions"}
    for method in list_rpcs:
        assert not method.server_streaming and not method.client_streaming, method.full_name
        request_fields = method.input_type.fields_by_name
        assert request_fields["page_size"].type == FieldDescriptor.TYPE_INT32, method.full_name
        assert request_fields["page_token"].type == FieldDescriptor.TYPE_STRING, method.full_name
        assert "next_page_token" in method.output_type.fields_by_name, method.full_name


def test_standard_methods_return_the_resource_and_delete_returns_empty() -> None:
    chat = SERVICES["stack.cfo.v1.ChatService"].methods_by_name
    assert chat["CreateSession"].output_type.full_name == "stack.cfo.v1.Session"
    assert chat["GetSession"].output_type.full_name == "stack.cfo.v1.Session"
    assert chat["DeleteSession"].output_type.full_name == "google.protobuf.Empty"
    scheduler = SERVICES["stack.cfo.v1.SchedulerService"].methods_by_name
    update = scheduler["UpdateNotificationPreferences"]
    assert update.output_type.full_name == "stack.cfo.v1.NotificationPreferences"
    assert (
        update.input_type.fields_by_name["update_mask"].message_type.full_name == "google.protobuf.FieldMask"
    )


def test_paid_or_sending_mutations_take_a_request_id() -> None:
    needs_request_id = {
        "PortfolioSummaryService": ["SyncPortfolio", "RecordPrices", "ImportHoldingsHistory", "RecordExchangeRates"],
        "ChatService": ["CreateSession", "SendMessage", "ArchiveSession"],
        "SchedulerService": ["RunJob", "RegisterDevice", "CreateWebhookEndpoint", "RotateWebhookEndpointSecret"],
        "UserDataService": ["EraseUserData"],
    }
    for service, rpcs in needs_request_id.items():
        for rpc in rpcs:
            fields = SERVICES[f"stack.cfo.v1.{service}"].methods_by_name[rpc].input_type.fields_by_name
            assert fields["request_id"].type == FieldDescriptor.TYPE_STRING, f"{service}.{rpc}"


def test_every_enum_starts_with_a_prefixed_unspecified_zero() -> None:
    enums = [e for f in FILES for e in f.enum_types_by_name.values()]
    enums += [e for d in _all_messages() for e in d.enum_types]
    assert enums
    for enum in enums:
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper()
        assert enum.values[0].number == 0 and enum.values[0].name == f"{prefix}_UNSPECIFIED", enum.full_name
        for value in enum.values:
            assert value.name.startswith(prefix + "_"), value.name


def test_every_file_sets_the_go_package() -> None:
    for f in FILES:
        assert f.package == "stack.cfo.v1"
        assert f.GetOptions().go_package == "github.com/stack-cfo/stack-cfo/gen/go/stack/cfo/v1;cfov1", f.name

"""Resource names: user ids in any spelling ``uuid.UUID`` accepts come back canonical; anything
else is INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import uuid

import pytest

from stack_cfo.api.resources import parse_owner_child, parse_user, parse_user_child, parse_user_singleton
from stack_cfo.core.errors import InvalidArgument

U = "7f6c2b0e-4a51-4f0e-9d8e-2f1f3c0b5a11"


@pytest.mark.parametrize("spelling", [U, U.upper()])
def test_user_ids_come_back_canonical(spelling: str) -> None:
    assert parse_user(f"users/{spelling}") == U
    assert parse_user_singleton(f"users/{spelling}/portfolio", "portfolio", field="portfolio") == U
    assert parse_user_child(f"users/{spelling}/sessions/s1", "sessions") == (U, "s1")


@pytest.mark.parametrize("raw", ["", "me", U + "\n", " " + U, U[:-1], U + "0", U.replace("-", "_"), "g" * 32,
                                 # other spellings uuid.UUID reads are not names (AIP-122: one name each)
                                 U.replace("-", ""), "{" + U + "}", "urn:uuid:" + U])
def test_malformed_user_ids_name_the_field(raw: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        parse_user_singleton(f"users/{raw}/portfolio", "portfolio", field="portfolio")
    assert ei.value.metadata["field"] == "portfolio"


def test_canonical_ids_are_returned_as_sent() -> None:
    for _ in range(100):
        u = str(uuid.uuid4())
        assert parse_user(f"users/{u}") == u


@pytest.mark.parametrize("child", ["s1\n", "s1\r", "s1 "])
def test_a_child_id_with_a_trailing_newline_is_malformed_not_another_id(child: str) -> None:
    # ``$`` in the segment pattern matched before a final newline: "s1\n" was looked up (NOT_FOUND)
    with pytest.raises(InvalidArgument) as ei:
        parse_user_child(f"users/{U}/sessions/{child}", "sessions")
    assert ei.value.reason == "INVALID_RESOURCE_NAME"


@pytest.mark.parametrize(("name", "collection", "expected"), [
    (f"users/{U}/session/{U}", "sessions", "users/{user}/sessions/{session}"),
    (f"users/{U}/sessions/", "sessions", "users/{user}/sessions/{session}"),
    (f"users/{U}/devices/a/b", "devices", "users/{user}/devices/{device}"),
    (f"users/{U}/receipt/r1", "receipts", "users/{user}/receipts/{receipt}"),
    (f"users/{U}/notification/n1", "notifications", "users/{user}/notifications/{notification}"),
])
def test_a_malformed_child_name_expects_the_pattern_the_proto_spells(name: str, collection: str, expected: str) -> None:
    # it said users/{user}/sessions/{id} here and users/{user}/sessions/{session} for a session id that is no UUID
    with pytest.raises(InvalidArgument) as ei:
        parse_user_child(name, collection, field="name")
    assert ei.value.metadata["expected"] == expected


@pytest.mark.parametrize("name", ["users/x/webhookEndpoints/1", "users//webhookEndpoints/1",
                                  "groups/g/webhookEndpoints/1", "services/a b/webhookEndpoints/1"])
def test_a_malformed_owner_in_a_child_name_reports_the_whole_name(name: str) -> None:
    # it reported the owner alone ("users/x") against the owner's pattern (users/{user} or services/{service})
    with pytest.raises(InvalidArgument) as ei:
        parse_owner_child(name, "webhookEndpoints")
    assert ei.value.metadata["value"] == name
    assert ei.value.metadata["expected"] == (
        "users/{user}/webhookEndpoints/{endpoint} or services/{service}/webhookEndpoints/{endpoint}"
    )

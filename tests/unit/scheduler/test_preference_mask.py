"""UpdateNotificationPreferences' update mask (scheduler.proto): "A path named in the mask whose field is
unset gets its default too". An alert threshold must be > 0, so its unset (zero) value named in the mask
is its default, 2.0, as with the "*" mask; fields whose empty value means something (no e-mail address,
the server's default locale) keep it."""

from __future__ import annotations

import dataclasses

import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo.api.servicers.scheduler import preference_changes
from stack_cfo.core.notifications.preferences import apply_update, default_preferences

NAME = "users/aaaaaaaa-0000-4000-8000-000000000001/notificationPreferences"


def _request(paths: list[str], **fields: object) -> pb.UpdateNotificationPreferencesRequest:
    return pb.UpdateNotificationPreferencesRequest(
        preferences=pb.NotificationPreferences(name=NAME, **fields),  # type: ignore[arg-type]
        update_mask=field_mask_pb2.FieldMask(paths=paths),
    )


@pytest.mark.parametrize("path", ["alert_threshold_percent", "alert_threshold_sigma"])
def test_a_threshold_named_in_the_mask_and_left_unset_goes_back_to_its_default(path: str) -> None:
    user = "aaaaaaaa-0000-4000-8000-000000000001"
    custom = dataclasses.replace(default_preferences(user), **{path: 7.5})
    changes = preference_changes(_request([path]))
    assert changes == {path: 2.0}
    updated = apply_update(custom, changes)  # used to be INVALID_THRESHOLD on the 0.0 passed through
    assert getattr(updated, path) == 2.0
    assert preference_changes(_request(["*"]))[path] == 2.0  # as the "*" mask already did


def test_a_threshold_set_in_the_request_is_taken_as_given() -> None:
    changes = preference_changes(
        _request(["alert_threshold_percent", "alert_threshold_sigma"], alert_threshold_percent=3.5,
                 alert_threshold_sigma=1.25)
    )  # fmt: skip
    assert changes == {"alert_threshold_percent": 3.5, "alert_threshold_sigma": 1.25}


def test_fields_whose_empty_value_means_something_keep_it() -> None:
    # an empty e-mail address is "no e-mail", an empty locale "the server default": both are their defaults
    changes = preference_changes(_request(["email_address", "locale"]))
    assert changes == {"email_address": "", "locale": ""}

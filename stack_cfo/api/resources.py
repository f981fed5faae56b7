"""Resource names (AIP-122) and who may touch them.

``users/{user}`` ids are UUIDs, written with dashes (upper case is normalised). A malformed
name is INVALID_ARGUMENT naming the field; a well-formed name of someone else's resource is
NOT_FOUND for a user principal (existence does not leak); a service principal may act for any
user.
"""

from __future__ import annotations

import re

from stack_cfo.api.auth import Principal, current_principal
from stack_cfo.core import data_scope
from stack_cfo.core.errors import InvalidArgument, NotFound
from stack_cfo.core.ids import canonical_uuid
from stack_cfo.core.portfolio import portfolio_not_found

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}\Z")


def uuid_segment(raw: str, field: str, name: str, pattern: str) -> str:
    """A name's UUID segment in canonical form, or INVALID_RESOURCE_NAME."""
    found = canonical_uuid(raw)
    if found is None:
        raise _bad(field, name, pattern)
    return found


def _bad(field: str, name: str, pattern: str) -> InvalidArgument:
    return InvalidArgument(
        f"{field}: {name!r} is not a valid resource name; expected {pattern}",
        violations=[_violation(field, f"expected {pattern}")],
        reason="INVALID_RESOURCE_NAME",
        metadata={"field": field, "value": name, "expected": pattern},
    )


def _violation(field: str, description: str):  # type: ignore[no-untyped-def]
    from stack_cfo.core.errors import FieldViolation

    return FieldViolation(field, description)


def _user_id(raw: str, field: str, name: str, pattern: str) -> str:
    return uuid_segment(raw, field, name, pattern)


def parse_user(name: str, *, field: str = "name") -> str:
    """``users/{user}`` -> user id."""
    pattern = "users/{user}"
    parts = name.split("/")
    if len(parts) != 2 or parts[0] != "users":
        raise _bad(field, name, pattern)
    return _user_id(parts[1], field, name, pattern)


def parse_user_singleton(name: str, singleton: str, *, field: str) -> str:
    """``users/{user}/{singleton}`` (e.g. ``portfolio``) -> user id."""
    pattern = f"users/{{user}}/{singleton}"
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "users" or parts[2] != singleton:
        raise _bad(field, name, pattern)
    return _user_id(parts[1], field, name, pattern)


#: The placeholder of a child's id in the names the proto comments spell (``users/{user}/sessions/{session}``): the
#: ``expected`` of an INVALID_RESOURCE_NAME says the same, whichever part of the name was wrong.
_PLACEHOLDERS = {
    "sessions": "session",
    "devices": "device",
    "notifications": "notification",
    "receipts": "receipt",
    "webhookEndpoints": "endpoint",
    "transactions": "transaction",
}


def child_pattern(owner: str, collection: str) -> str:
    """``{owner}/{collection}/{placeholder}`` as the proto comments write it."""
    return f"{owner}/{collection}/{{{_PLACEHOLDERS.get(collection, 'id')}}}"


def parse_user_child(name: str, collection: str, *, field: str = "name") -> tuple[str, str]:
    """``users/{user}/{collection}/{id}`` -> (user id, child id)."""
    pattern = child_pattern("users/{user}", collection)
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "users" or parts[2] != collection or not _SEGMENT.match(parts[3]):
        raise _bad(field, name, pattern)
    return _user_id(parts[1], field, name, pattern), parts[3]


#: The kind of resource (and with it the NOT_FOUND reason, as each RPC's comment lists it) by the
#: collection in a name; ``users/{user}`` itself and its other children are the user's.
_KINDS = {
    "portfolio": "portfolio",
    "sessions": "session",
    "devices": "device",
    "webhookEndpoints": "webhook endpoint",
    "receipts": "receipt",
    "transactions": "transaction",
}


def not_found(name: str) -> NotFound:
    """NOT_FOUND for a resource the caller may not see: word for word what a missing one of its kind
    answers (:meth:`NotFound.resource`), so existence does not leak."""
    parts = name.split("/")
    # the innermost collection named: users/{u}/portfolio/transactions/{t} is a transaction
    kinds = [_KINDS[p] for p in parts[2:] if p in _KINDS]
    if parts[0] == "users":
        if not kinds:
            return NotFound.resource("user", "/".join(parts[:2]))
        if kinds[-1] == "portfolio":
            return portfolio_not_found(parts[1])
        return NotFound.resource(kinds[-1], name)
    # another service's services/{service}/... resource (RESOURCE_NOT_FOUND, as common.proto says)
    kind = kinds[-1] if kinds else "notification feed" if parts[-1] == "notificationFeed" else "service"
    return NotFound.resource(kind, name, reason="RESOURCE_NOT_FOUND")


def authorize(user_id: str, name: str, principal: Principal | None = None) -> Principal:
    """The caller may act on ``user_id``'s resource ``name``; else NOT_FOUND (never PERMISSION_DENIED)."""
    p = principal or current_principal()
    if p.is_service or p.user_id == user_id:
        data_scope.act_for(user_id)  # the rest of the request sees this user's rows (row-level security)
        return p
    raise not_found(name)


def parse_owner(name: str, *, field: str = "parent", resource: str | None = None) -> tuple[str | None, str | None]:
    """``users/{user}`` -> (user id, None); ``services/{service}`` -> (None, service). The caller may act on
    it: a user on their own name (a service on any user's), a service only on its own ``services/{service}``
    (anything else is NOT_FOUND, named after ``resource``, the child asked for, when given)."""
    pattern = "users/{user} or services/{service}"
    parts = name.split("/")
    if len(parts) == 2 and parts[0] == "users":
        user_id = _user_id(parts[1], field, name, pattern)
        authorize(user_id, resource or name)
        return user_id, None
    if len(parts) == 2 and parts[0] == "services" and _SEGMENT.match(parts[1]):
        p = current_principal()
        if p.service != parts[1]:
            raise not_found(resource or name)
        return None, parts[1]
    raise _bad(field, name, pattern)


def parse_owner_child(name: str, collection: str, *, field: str = "name") -> tuple[str | None, str | None, str]:
    """``{owner}/{collection}/{id}`` (owner as in :func:`parse_owner`) -> (user id, service, child id)."""
    parts = name.split("/")
    pattern = f"{child_pattern('users/{user}', collection)} or {child_pattern('services/{service}', collection)}"
    if len(parts) != 4 or parts[2] != collection or not _SEGMENT.match(parts[3]):
        raise _bad(field, name, pattern)
    if parts[0] == "users":
        uuid_segment(parts[1], field, name, pattern)  # the whole name and its pattern, not the owner's alone
    elif parts[0] != "services" or not _SEGMENT.match(parts[1]):
        raise _bad(field, name, pattern)
    user_id, service = parse_owner("/".join(parts[:2]), field=field, resource=name)
    return user_id, service, parts[3]


def parse_own_service_singleton(name: str, singleton: str, *, field: str) -> str:
    """``services/{service}/{singleton}`` of the calling service principal -> service."""
    pattern = f"services/{{service}}/{singleton}"
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "services" or parts[2] != singleton or not _SEGMENT.match(parts[1]):
        raise _bad(field, name, pattern)
    p = current_principal()
    if p.service != parts[1]:
        raise not_found(name)
    return parts[1]

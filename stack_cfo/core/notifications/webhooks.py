"""Webhook endpoints: who owns them, their secrets, the Standard Webhooks signature, the SSRF guard, and
the API use cases (:class:`WebhookEndpointService`).

Signature (https://www.standardwebhooks.com): ``webhook-signature`` is ``v1,<base64 HMAC-SHA256>`` of
``"{webhook-id}.{webhook-timestamp}.{body}"`` keyed with the secret's decoded bytes (``whsec_<base64>``),
one such entry per valid secret, space-separated: two during a rotation, so receivers can switch keys at
their own pace.

SSRF guard: in production mode an endpoint must be ``https://`` and its host must resolve only to
global addresses (not loopback, private, link-local, shared, multicast, reserved or unspecified; IPv4
mapped into IPv6 is judged as IPv4). The check runs when an endpoint is registered or changed *and* at
every send (DNS may have changed since: rebinding), where the sender connects only to the addresses it
checked. ``allow_private_networks`` (local mode, for tests and on-premise receivers) allows ``http://`` and
any address.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.core.errors import FieldViolation, InvalidArgument, NotFound, ResourceExhausted
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.pages import IdPage, id_page
from stack_cfo.secret import Secret

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION = 200
UPDATABLE = frozenset({"url", "description", "kinds", "disabled"})


# -- owners and records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owner:
    """A user (their own notifications) or a service principal (every user's). Exactly one is set."""

    user_id: str | None = None
    service: str | None = None

    @property
    def name(self) -> str:
        return f"users/{self.user_id}" if self.user_id else f"services/{self.service}"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: int
    owner: Owner
    url: str
    description: str
    kinds: tuple[NotificationKind, ...]
    disabled: bool
    secret: Secret
    previous_secret: Secret | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return f"{self.owner.name}/webhookEndpoints/{self.id}"

    def signing_secrets(self, now: datetime) -> tuple[Secret, ...]:
        """The current secret, and the previous one while it has not expired."""
        prev = self.previous_secret
        if prev is not None and self.previous_secret_expires_at is not None and now < self.previous_secret_expires_at:
            return (self.secret, prev)
        return (self.secret,)


# -- secrets and signatures ---------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: its base64-decoded bytes."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secrets: Sequence[Secret], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<sig>`` per secret, space-separated."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s.get()), signed, hashlib.sha256).digest()).decode("ascii")
        for s in secrets
    )


# -- the SSRF guard -------------------------------------------------------------------------------


class AddressBlocked(Exception):
    """The endpoint's host resolves to an address the guard refuses."""


@dataclass(frozen=True, slots=True)
class EndpointUrl:
    scheme: str
    host: str
    port: int


def parse_url(url: str, *, allow_private: bool, field_name: str = "webhook_endpoint.url") -> EndpointUrl:
    """Syntax and scheme; InvalidArgument (INVALID_WEBHOOK_URL) naming ``field_name`` otherwise."""

    def bad(why: str) -> InvalidArgument:
        return InvalidArgument.field(field_name, why, reason="INVALID_WEBHOOK_URL")

    if not url:
        raise InvalidArgument.field(field_name, "is required", reason="MISSING_FIELD")
    if len(url) > MAX_URL_LENGTH:
        raise bad(f"must be at most {MAX_URL_LENGTH} characters")
    if any(c.isspace() for c in url):
        raise bad("must not contain spaces, tabs or line breaks (percent-encode them: %20)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad("is not a valid URL") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise bad("must be an https:// URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise bad("must name a host and carry no user name or password")
    if parts.fragment:
        raise bad("must not have a #fragment")
    if port == 0:
        raise bad("must not name port 0")
    return EndpointUrl(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def address_allowed(address: str, *, allow_private: bool) -> bool:
    if allow_private:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _IPV6_NOT_GLOBAL):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_allowed(str(embedded), allow_private=False)
    elif any(ip in net for net in _IPV4_NOT_GLOBAL):
        return False
    return ip.is_global and not ip.is_multicast


#: Special-purpose ranges Python's ``is_global`` still calls global (IANA's registry: the IETF
#: protocol assignments block, and the deprecated IPv4-compatible IPv6 form).
_IPV4_NOT_GLOBAL = (ipaddress.IPv4Network("192.0.0.0/24"),)
_IPV6_NOT_GLOBAL = (ipaddress.IPv6Network("::/96"),)
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: mapped (::ffff:a.b.c.d), 6to4 (2002:AABB:CCDD::),
    NAT64 (64:ff9b::a.b.c.d) or a Teredo client's (decoded by ``ipaddress``); None for a native
    IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]  # (server, client): the client's, kept obfuscated in the last 32 bits
    return None


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def checked_addresses(host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolve) -> list[
    str
]:
    """The addresses to connect to; AddressBlocked when any of them is refused (or none resolve)."""
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            addresses = await resolve(host, port)
        except OSError:
            raise AddressBlocked(f"{host} does not resolve") from None  # (no exception class name for the client)
    if not addresses:
        raise AddressBlocked(f"{host} does not resolve")
    refused = [a for a in addresses if not address_allowed(a, allow_private=allow_private)]
    if refused:
        raise AddressBlocked(f"{host} resolves to a non-public address ({refused[0]})")
    return addresses


def warn_if_private_networks_allowed(
    allowed: bool, setting: str = "notifications.webhook.allow_private_networks"
) -> None:
    """One WARNING at start-up (the server and the scheduler) while ``allow_private_networks`` is on: the
    SSRF guard is off, so an endpoint registered by any user may make this process call loopback, private
    and link-local addresses (the database, a cloud metadata service, internal admin ports). ``setting``
    names it as the operator set it."""
    if allowed:
        log.warning(
            "%s is on: webhooks may reach private and loopback addresses (plain http:// too); the SSRF "
            "guard is off, which only local tests and on-premise receivers want",
            setting,
            extra={"setting": setting},
        )


# -- use cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    allow_private_networks: bool = False
    """Local mode: http:// and loopback/private addresses allowed (tests, on-premise receivers)."""
    secret_rotation_grace: timedelta = timedelta(hours=24)
    """How long the previous secret keeps signing after a rotation."""
    max_endpoints_per_owner: int = 10


class WebhookStore(Protocol):
    async def ensure_user(self, user_id: str) -> None: ...
    async def create_webhook_endpoint(
        self, owner: Owner, *, url: str, description: str, kinds: Sequence[NotificationKind], disabled: bool,
        secret: str, limit: int,
    ) -> WebhookEndpoint | None:
        """The new endpoint, or None when the owner already has ``limit`` endpoints."""
        ...
    async def get_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> WebhookEndpoint | None: ...
    async def list_webhook_endpoints(self, owner: Owner, *, limit: int, after_id: int) -> list[WebhookEndpoint]: ...
    async def update_webhook_endpoint(
        self, owner: Owner, endpoint_id: int, changes: Mapping[str, Any]
    ) -> WebhookEndpoint | None: ...
    async def delete_webhook_endpoint(self, owner: Owner, endpoint_id: int) -> bool: ...
    async def rotate_webhook_secret(
        self, owner: Owner, endpoint_id: int, *, secret: str, previous_until: datetime
    ) -> WebhookEndpoint | None: ...


@dataclass
class WebhookEndpointService:
    """Create, read, list, update, delete and rotate webhook endpoints (the API's use cases)."""

    store: WebhookStore
    policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    resolve: Resolver = system_resolve
    clock: Clock = field(default_factory=SystemClock)

    async def _check_url(self, url: str, field_name: str = "webhook_endpoint.url") -> None:
        allow = self.policy.allow_private_networks
        parsed = parse_url(url, allow_private=allow, field_name=field_name)
        try:
            await checked_addresses(parsed.host, parsed.port, allow_private=allow, resolve=self.resolve)
        except AddressBlocked as exc:
            raise InvalidArgument(
                f"{field_name}: {exc}", violations=[FieldViolation(field_name, str(exc))],
                reason="WEBHOOK_URL_NOT_ALLOWED", metadata={"host": parsed.host[:253]},
            ) from None

    @staticmethod
    def _description(value: str) -> str:
        if len(value) > MAX_DESCRIPTION:
            raise InvalidArgument.too_long("webhook_endpoint.description", MAX_DESCRIPTION)
        return value.strip()

    async def create(
        self, owner: Owner, *, url: str, description: str = "", kinds: Sequence[NotificationKind] = (),
        disabled: bool = False,
    ) -> WebhookEndpoint:
        """A new endpoint; its ``secret`` is returned to the caller this once."""
        await self._check_url(url)
        description = self._description(description)
        if owner.user_id:
            await self.store.ensure_user(owner.user_id)
        limit = self.policy.max_endpoints_per_owner
        created = await self.store.create_webhook_endpoint(
            owner, url=url, description=description, kinds=sorted(set(kinds)), disabled=disabled,
            secret=new_secret(), limit=limit,
        )
        if created is None:
            raise ResourceExhausted(
                f"{owner.name} already has {limit} webhook endpoints",
                reason="TOO_MANY_WEBHOOK_ENDPOINTS",
                metadata={"parent": owner.name, "limit": str(limit)},
            )
        return created

    async def get(self, owner: Owner, endpoint_id: str) -> WebhookEndpoint:
        found = await self.store.get_webhook_endpoint(owner, self._id(owner, endpoint_id))
        if found is None:
            raise self._not_found(owner, endpoint_id)
        return found

    async def list(self, owner: Owner, *, page_size: int, after_id: int = 0) -> IdPage[WebhookEndpoint]:
        return await id_page(
            lambda limit: self.store.list_webhook_endpoints(owner, limit=limit, after_id=after_id), page_size
        )

    async def update(self, owner: Owner, endpoint_id: str, changes: Mapping[str, Any]) -> WebhookEndpoint:
        unknown = sorted(set(changes) - UPDATABLE)
        if unknown:
            raise InvalidArgument.field(
                "update_mask", f"unknown or read-only path(s): {', '.join(unknown)}", reason="INVALID_UPDATE_MASK"
            )
        values = dict(changes)
        if "url" in values:
            await self._check_url(str(values["url"]))
        if "description" in values:
            values["description"] = self._description(str(values["description"]))
        if "kinds" in values:
            values["kinds"] = sorted({NotificationKind(k).value for k in values["kinds"]})
        updated = await self.store.update_webhook_endpoint(owner, self._id(owner, endpoint_id), values)
        if updated is None:
            raise self._not_found(owner, endpoint_id)
        return updated

    async def delete(self, owner: Owner, endpoint_id: str) -> None:
        if not await self.store.delete_webhook_endpoint(owner, self._id(owner, endpoint_id)):
            raise self._not_found(owner, endpoint_id)

    async def rotate_secret(self, owner: Owner, endpoint_id: str) -> WebhookEndpoint:
        """A new current secret; the old one signs too until ``now + secret_rotation_grace``."""
        rotated = await self.store.rotate_webhook_secret(
            owner,
            self._id(owner, endpoint_id),
            secret=new_secret(),
            previous_until=self.clock.now() + self.policy.secret_rotation_grace,
        )
        if rotated is None:
            raise self._not_found(owner, endpoint_id)
        return rotated

    def _id(self, owner: Owner, endpoint_id: str) -> int:
        if not endpoint_id.isdigit() or len(endpoint_id) > 18:
            raise self._not_found(owner, endpoint_id)
        return int(endpoint_id)

    @staticmethod
    def _not_found(owner: Owner, endpoint_id: str) -> NotFound:
        name = f"{owner.name}/webhookEndpoints/{endpoint_id}"
        return NotFound.resource("webhook endpoint", name)

"""Push straight to APNs: HTTP/2 (httpx with h2) and token-based provider authentication.

- Auth: an ES256 JWT (header ``kid`` = key id, claims ``iss`` = team id, ``iat``) signed with the .p8 key,
  reused until it is ``token_refresh`` old (default 50 minutes: APNs refuses tokens older than one hour
  and answers ``TooManyProviderTokenUpdates`` to renewals more often than every 20 minutes). A 403
  ``ExpiredProviderToken``/``InvalidProviderToken`` mints a fresh one and retries once.
- Request: ``POST /3/device/{token}`` with ``apns-topic`` (bundle id), ``apns-push-type: alert``,
  ``apns-priority`` (10 for alerts, 5 for digests), ``apns-expiration`` (the notification's deadline),
  ``apns-collapse-id`` (kind and period: a duplicate replaces the earlier notification) and ``apns-id``
  (a UUID derived from the idempotency key, so a duplicate is recognisable); body
  ``{"aps": {"alert": {"title", "body"}, "thread-id": kind}, ...data}``.
- Errors (https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns):
  410 ``Unregistered``/``ExpiredToken`` and 400 ``BadDeviceToken``/``DeviceTokenNotForTopic`` -> invalid
  target (the device is deactivated); 429 and 5xx -> retry (honouring ``Retry-After`` if sent); a
  connection lost mid-stream (GOAWAY, reset) -> retry; other 4xx -> permanent.

One HTTP/2 connection multiplexes every concurrent send; httpx reconnects after a lost connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt

from stack_cfo.config.notifications import ApnsSettings
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.scheduler.channels import Delivery, InvalidTarget, Permanent, Retry, SendOutcome, Sent
from stack_cfo.scheduler.channels.http import retry_after_of, tls_context
from stack_cfo.secret import Secret

log = logging.getLogger(__name__)

MAX_PAYLOAD = 4096
_NAMESPACE = uuid.UUID("1c6e0f3a-2d4b-5e8f-9a01-b2c3d4e5f607")
_INVALID_TOKEN = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered", "ExpiredToken"})
_STALE_AUTH = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})


class ProviderToken:
    """The ES256 provider JWT, minted on demand and reused until ``refresh_after`` seconds old."""

    def __init__(
        self, key: Secret, *, key_id: str, team_id: str, refresh_after: float, now: Callable[[], float] = time.time
    ) -> None:
        self._key = key
        self._key_id = key_id
        self._team_id = team_id
        self._refresh_after = refresh_after
        self._now = now
        self._token: str | None = None
        self._issued = 0.0
        self.minted = 0

    def get(self) -> str:
        now = self._now()
        if self._token is None or now - self._issued >= self._refresh_after:
            self._issued = now
            self._token = jwt.encode(
                {"iss": self._team_id, "iat": int(now)}, self._key.get(), algorithm="ES256",
                headers={"kid": self._key_id},
            )
            self.minted += 1
        return self._token

    def invalidate(self) -> None:
        self._token = None


def apns_request(delivery: Delivery, topic: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of one notification."""
    push = delivery.rendered.push
    kind = delivery.rendered.kind
    payload: dict[str, Any] = {
        **{k: v for k, v in push.data.items() if k != "aps"},
        "aps": {"alert": {"title": push.title, "body": push.body}, "thread-id": kind.value},
    }
    if kind is NotificationKind.ALERT:
        payload["aps"]["sound"] = "default"
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_PAYLOAD:  # keep the alert, drop the custom data
        payload = {"aps": payload["aps"], "deep_link": push.data.get("deep_link", "")}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "apns-topic": topic,
        "apns-push-type": "alert",
        "apns-priority": "10" if kind is NotificationKind.ALERT else "5",
        "apns-expiration": str(int(max(delivery.deadline, datetime.now(UTC)).timestamp())),
        "apns-collapse-id": push.apns_collapse_id,
        "apns-id": str(uuid.uuid5(_NAMESPACE, delivery.key)),
        "content-type": "application/json",
    }
    return headers, body


class ApnsChannel:
    channel = Channel.PUSH

    def __init__(
        self,
        settings: ApnsSettings,
        *,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        if settings.key_file is None:
            raise ValueError("APNs needs a .p8 key (notifications.apns.key_file)")
        self.settings = settings
        self.tokens = ProviderToken(
            Secret(settings.key_file.read_text("utf-8")),
            key_id=settings.key_id,
            team_id=settings.team_id,
            refresh_after=settings.token_refresh.total_seconds(),
            now=now,
        )
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            http2=True,
            verify=tls_context(settings.ca_file),
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
        )
        self._base = settings.endpoint.rstrip("/")

    async def send(self, delivery: Delivery) -> SendOutcome:
        headers, body = apns_request(delivery, self.settings.topic)
        url = f"{self._base}/3/device/{delivery.device_token}"
        for attempt in (1, 2):
            try:
                resp = await self._client.post(
                    url, content=body, headers={**headers, "authorization": f"bearer {self.tokens.get()}"}
                )
            except httpx.TimeoutException as exc:
                return Retry(Reason.PUSH_UNAVAILABLE, f"APNs timed out: {type(exc).__name__}")
            except (httpx.TransportError, asyncio.IncompleteReadError) as exc:  # GOAWAY, reset, refused
                return Retry(Reason.PUSH_UNAVAILABLE, f"APNs connection failed: {type(exc).__name__}: {exc}")
            if resp.status_code == 200:
                return Sent(provider_id=resp.headers.get("apns-id", ""))
            reason = _reason_of(resp)
            if resp.status_code == 403 and reason in _STALE_AUTH and attempt == 1:
                self.tokens.invalidate()
                continue
            return self._classify(resp.status_code, reason, retry_after_of(resp.headers))
        return Retry(Reason.PUSH_AUTH_FAILED, "APNs refused a freshly minted provider token")

    @staticmethod
    def _classify(status: int, reason: str, retry_after: Any) -> SendOutcome:
        detail = f"APNs {status} {reason}".strip()
        if reason in _INVALID_TOKEN or status == 410:
            return InvalidTarget(Reason.PUSH_TOKEN_INVALID, detail)
        if status == 429:
            return Retry(Reason.PUSH_RATE_LIMITED, detail, retry_after)
        if status >= 500:
            return Retry(Reason.PUSH_UNAVAILABLE, detail, retry_after)
        if status == 403:
            return Retry(Reason.PUSH_AUTH_FAILED, detail)
        return Permanent(Reason.PUSH_REJECTED, detail)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()


def _reason_of(resp: httpx.Response) -> str:
    try:
        return str(json.loads(resp.content[:2048]).get("reason", ""))
    except (ValueError, AttributeError):
        return ""

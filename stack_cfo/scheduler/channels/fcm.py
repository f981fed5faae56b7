"""Push through FCM HTTP v1 with aiohttp and a service-account OAuth2 token.

The token comes from the JWT-bearer grant (RFC 7523): an RS256 assertion signed with the
service account's private key, posted to its ``token_uri``; it is cached and refreshed five
minutes before expiry (or at once after a 401). Errors per
https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode:
``UNREGISTERED``/invalid token/``SENDER_ID_MISMATCH`` -> invalid target (device deactivated),
429/5xx -> retry honouring ``Retry-After``, other 4xx -> permanent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jwt

from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.scheduler.channels import Delivery, InvalidTarget, Permanent, Retry, SendOutcome, Sent
from stack_cfo.scheduler.channels.http import retry_after_of
from stack_cfo.scheduler.config import FcmSettings
from stack_cfo.secret import Secret

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_BEFORE = 300.0  # seconds before expiry at which the token is renewed


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    client_email: str
    private_key: Secret
    private_key_id: str
    token_uri: str
    project_id: str

    @classmethod
    def load(cls, path: Path) -> ServiceAccount:
        data = json.loads(path.read_text("utf-8"))
        return cls(
            client_email=data["client_email"],
            private_key=Secret(data["private_key"]),
            private_key_id=data.get("private_key_id", ""),
            token_uri=data["token_uri"],
            project_id=data.get("project_id", ""),
        )


class TokenError(Exception):
    pass


class AccessTokenSource:
    """OAuth2 access tokens for a service account, cached, refreshed before expiry."""

    def __init__(self, account: ServiceAccount, session: aiohttp.ClientSession, *, timeout: float = 10.0) -> None:
        self.account = account
        self._session = session
        self._timeout = timeout
        self._token: Secret | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _assertion(self, now: int) -> str:
        headers = {"kid": self.account.private_key_id} if self.account.private_key_id else None
        return jwt.encode(
            {
                "iss": self.account.client_email,
                "scope": SCOPE,
                "aud": self.account.token_uri,
                "iat": now,
                "exp": now + 3600,
            },
            self.account.private_key.get(),
            algorithm="RS256",
            headers=headers,
        )

    def invalidate(self) -> None:
        self._token = None
        self._expires = 0.0

    async def token(self) -> str:
        if self._token is not None and time.monotonic() < self._expires - REFRESH_BEFORE:
            return self._token.get()
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires - REFRESH_BEFORE:
                return self._token.get()
            form = {"grant_type": GRANT, "assertion": self._assertion(int(time.time()))}
            try:
                async with self._session.post(
                    self.account.token_uri, data=form, timeout=aiohttp.ClientTimeout(total=self._timeout)
                ) as resp:
                    body = await resp.text()
                    if resp.status != 200:
                        raise TokenError(f"token endpoint answered {resp.status}: {body[:200]}")
                    data = json.loads(body)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise TokenError(f"token endpoint unreachable: {type(exc).__name__}") from exc
            access = data.get("access_token")
            if not access:
                raise TokenError("token endpoint returned no access_token")
            self._token = Secret(str(access))
            self._expires = time.monotonic() + float(data.get("expires_in", 3600))
            self.fetches += 1
            return self._token.get()


def _error_details(body: str) -> tuple[str, str, list[str], list[str]]:
    """(status, message, FCM error codes, field violation paths) of a Google API error body."""
    try:
        err = json.loads(body).get("error", {})
    except (ValueError, AttributeError):
        return "", body[:200], [], []
    codes: list[str] = []
    fields: list[str] = []
    for d in err.get("details", []) or []:
        if not isinstance(d, dict):
            continue
        if d.get("errorCode"):
            codes.append(str(d["errorCode"]))
        for v in d.get("fieldViolations", []) or []:
            if isinstance(v, dict) and v.get("field"):
                fields.append(str(v["field"]))
    return str(err.get("status", "")), str(err.get("message", ""))[:300], codes, fields


def fcm_message(delivery: Delivery) -> dict[str, Any]:
    """The HTTP v1 ``message``: notification, string data, Android and APNs collapse settings (Android's
    ``notification.tag`` and APNs' ``apns-collapse-id`` are the kind and period)."""
    push = delivery.rendered.push
    kind = delivery.rendered.kind
    ttl = max(60, int((delivery.deadline - datetime.now(UTC)).total_seconds()))
    urgent = kind is NotificationKind.ALERT
    return {
        "token": delivery.device_token,
        "notification": {"title": push.title, "body": push.body},
        "data": dict(push.data),
        "android": {
            "priority": "high" if urgent else "normal",
            "ttl": f"{ttl}s",
            "collapse_key": push.collapse_key,
            # collapse_key merges only messages still waiting on FCM; the tag replaces a notification already
            # in the drawer, as apns-collapse-id does on iOS (kind and period: a re-sent or manual one)
            "notification": {"tag": push.apns_collapse_id},
        },
        "apns": {
            "headers": {
                "apns-collapse-id": push.apns_collapse_id,
                "apns-priority": "10" if urgent else "5",
                "apns-expiration": str(int(time.time()) + ttl),
            },
            "payload": {"aps": {"thread-id": kind.value}},
        },
    }


class FcmChannel:
    channel = Channel.PUSH

    def __init__(
        self,
        settings: FcmSettings,
        *,
        account: ServiceAccount | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if account is None:
            if settings.service_account_file is None:
                raise ValueError("FCM needs a service account")
            account = ServiceAccount.load(settings.service_account_file)
        self.settings = settings
        self._own_session = session is None
        self._session = session or aiohttp.ClientSession()
        self.tokens = AccessTokenSource(account, self._session, timeout=settings.timeout)
        project = settings.project_id or account.project_id
        self._url = f"{settings.endpoint}/v1/projects/{project}/messages:send"

    async def send(self, delivery: Delivery) -> SendOutcome:
        body = {"message": fcm_message(delivery)}
        for attempt in (1, 2):
            try:
                access = await self.tokens.token()
            except TokenError as exc:
                return Retry(Reason.PUSH_AUTH_FAILED, str(exc))
            try:
                async with self._session.post(
                    self._url,
                    json=body,
                    headers={"Authorization": f"Bearer {access}"},
                    timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                ) as resp:
                    text = await resp.text()
                    status = resp.status
                    retry_after = retry_after_of(resp.headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return Retry(Reason.PUSH_UNAVAILABLE, f"{type(exc).__name__}: {exc}")
            if status == 200:
                try:
                    name = str(json.loads(text).get("name", ""))
                except ValueError:
                    name = ""
                return Sent(provider_id=name)
            if status == 401 and attempt == 1:
                self.tokens.invalidate()  # revoked or expired early: one fresh token, once
                continue
            return self._classify(status, text, retry_after)
        return Retry(Reason.PUSH_AUTH_FAILED, "FCM rejected a freshly minted token (401)")

    @staticmethod
    def _classify(status: int, text: str, retry_after: timedelta | None) -> SendOutcome:
        err_status, message, codes, fields = _error_details(text)
        detail = f"{status} {err_status} {','.join(codes)} {message}".strip()
        if "UNREGISTERED" in codes or status == 404:
            return InvalidTarget(Reason.PUSH_TOKEN_INVALID, detail)
        if "SENDER_ID_MISMATCH" in codes:
            return InvalidTarget(Reason.PUSH_TOKEN_INVALID, detail)
        if status == 400 and (
            "message.token" in fields or "registration token" in message.lower() or "INVALID_REGISTRATION" in codes
        ):
            return InvalidTarget(Reason.PUSH_TOKEN_INVALID, detail)
        if status == 429 or "QUOTA_EXCEEDED" in codes:
            return Retry(Reason.PUSH_RATE_LIMITED, detail, retry_after)
        if status >= 500 or status in (408, 401):
            return Retry(Reason.PUSH_UNAVAILABLE if status != 401 else Reason.PUSH_AUTH_FAILED, detail, retry_after)
        return Permanent(Reason.PUSH_REJECTED, detail)

    async def aclose(self) -> None:
        if self._own_session:
            await self._session.close()

"""E-mail unsubscribe links (RFC 2369 ``List-Unsubscribe``, RFC 8058 one-click) and their tokens.

A token names a user and the kind of the e-mail it came from, signed under the server's
``notifications.email.unsubscribe_secret``::

    base64url, no padding, of   version (1 byte) | user UUID (16 bytes) | kind (1 byte) | MAC (16 bytes)
    MAC = HMAC-SHA256(secret, "stack-cfo unsubscribe" NUL | the 18 bytes before it), first 16 bytes

46 characters. Tokens do not expire: the link in an old e-mail keeps working (applying one again
changes nothing). Rotating the secret breaks every link already sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import re
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum

from stack_cfo.core.errors import FailedPrecondition, InvalidArgument
from stack_cfo.core.i18n import N_, Localizer
from stack_cfo.core.notifications.content import EmailContent
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.secret import Secret

VERSION = 1
MAX_TOKEN_CHARS = 512
"""UnsubscribeRequest.token: longer is refused unread."""
MAC_BYTES = 16
FIELD = "token"
REASON = "INVALID_UNSUBSCRIBE_TOKEN"
TOKEN_PLACEHOLDER = "{token}"
#: The e-mail's footer line; ``{url}`` becomes the link (in the HTML part, a link whose text is the URL).
FOOTER = N_("Unsubscribe from these emails: {url}")

_DOMAIN = b"stack-cfo unsubscribe\x00"
_KIND_CODES = {NotificationKind.DIGEST: 1, NotificationKind.WEEKLY: 2, NotificationKind.ALERT: 3}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}
_PAYLOAD_BYTES = 1 + 16 + 1
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+").fullmatch


class UnsubscribeScope(StrEnum):
    """What an unsubscribe switches off."""

    EMAIL = "email"
    """Every e-mail (``email_enabled``); push and the other channels unchanged."""
    KIND = "kind"
    """The e-mail's kind on every channel (``daily_digest_enabled`` and so on)."""


#: The preference a KIND unsubscribe switches off.
KIND_SWITCHES = {
    NotificationKind.DIGEST: "daily_digest_enabled",
    NotificationKind.WEEKLY: "weekly_summary_enabled",
    NotificationKind.ALERT: "performance_alerts_enabled",
}


def switch_for(scope: UnsubscribeScope, kind: NotificationKind) -> str:
    """The preference (a ``BOOL_FIELDS`` name) an unsubscribe of ``scope`` from a ``kind`` e-mail turns off."""
    return "email_enabled" if scope is UnsubscribeScope.EMAIL else KIND_SWITCHES[kind]


@dataclass(frozen=True, slots=True)
class UnsubscribeToken:
    user_id: str
    """The user's id, a canonical (lower-case, dashed) UUID."""
    kind: NotificationKind


def _mac(secret: Secret, payload: bytes) -> bytes:
    return hmac.new(secret.get().encode("utf-8"), _DOMAIN + payload, hashlib.sha256).digest()[:MAC_BYTES]


def issue_token(secret: Secret, user_id: str, kind: NotificationKind) -> str:
    """The token of ``user_id``'s ``kind`` e-mails (deterministic: the same for every e-mail of that kind)."""
    payload = bytes([VERSION]) + uuid.UUID(user_id).bytes + bytes([_KIND_CODES[kind]])
    return base64.urlsafe_b64encode(payload + _mac(secret, payload)).rstrip(b"=").decode("ascii")


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument.field(FIELD, description, reason=REASON)


def read_token(secret: Secret, token: str) -> UnsubscribeToken:
    """The user and kind ``token`` names; INVALID_ARGUMENT (INVALID_UNSUBSCRIBE_TOKEN naming ``token``)
    when it is malformed or its signature does not verify under ``secret``."""
    payload, mac = parse_token(token)
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise _invalid("does not verify: not issued by this service, or altered")
    kind = _KINDS.get(payload[17])
    if kind is None:  # signed by us, so only a future version's kind could get here
        raise _invalid(f"is malformed: unknown kind {payload[17]}")
    return UnsubscribeToken(str(uuid.UUID(bytes=payload[1:17])), kind)


def parse_token(token: str) -> tuple[bytes, bytes]:
    """``token``'s signed payload and its MAC, whoever signed it; INVALID_ARGUMENT
    (INVALID_UNSUBSCRIBE_TOKEN naming ``token``) when it is missing or not shaped like a token."""
    if not token:
        raise _invalid("is required (the {token} part of the e-mail's unsubscribe link)")
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid(f"is malformed: longer than {MAX_TOKEN_CHARS} characters")
    if not _ALPHABET(token):
        raise _invalid("is malformed: not base64url")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("is malformed: not base64url") from None
    if len(raw) != _PAYLOAD_BYTES + MAC_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        raise _invalid("is malformed: not an unsubscribe token")
    payload, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if payload[0] != VERSION:
        raise _invalid(f"is malformed: unknown version {payload[0]}")
    return payload, mac


def not_configured() -> FailedPrecondition:
    return FailedPrecondition(
        "unsubscribe links are not configured on this server (notifications.email.unsubscribe_secret)",
        reason="UNSUBSCRIBE_NOT_CONFIGURED",
        metadata={"setting": "notifications.email.unsubscribe_secret"},
    )


@dataclass(frozen=True, slots=True)
class UnsubscribeLinks:
    """The links e-mails carry: ``notifications.email.unsubscribe_url`` with each token in place."""

    url_template: str
    secret: Secret

    def url(self, user_id: str, kind: NotificationKind) -> str:
        return self.url_template.replace(TOKEN_PLACEHOLDER, issue_token(self.secret, user_id, kind), 1)


def with_footer(email: EmailContent, url: str, l10n: Localizer) -> EmailContent:
    """``email`` with the unsubscribe line (in ``l10n``'s words) at the end of its text, and as a
    paragraph with the link at the end of its HTML body."""
    line = l10n._(FOOTER)
    text = email.text if email.text.endswith("\n") else email.text + "\n"
    text += "\n" + line.format(url=url) + "\n"
    before, _, after = line.partition("{url}")
    href = html.escape(url, quote=True)
    paragraph = (
        '<p style="color:#656d76;font-size:12px">'
        f'{html.escape(before)}<a href="{href}">{href}</a>{html.escape(after)}</p>'
    )
    at = email.html.rfind("</body>")
    body = email.html + paragraph if at < 0 else email.html[:at] + paragraph + email.html[at:]
    return replace(email, text=text, html=body)

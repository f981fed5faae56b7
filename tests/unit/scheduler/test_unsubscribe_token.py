"""Unsubscribe tokens: compact, signed, refused when altered or malformed (INVALID_UNSUBSCRIBE_TOKEN
naming ``token``), and the footer line each e-mail gets in its reader's language."""

from __future__ import annotations

import base64
import uuid

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.i18n import localizer
from stack_cfo.core.notifications.content import EmailContent
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.unsubscribe import (
    MAX_TOKEN_CHARS,
    UnsubscribeLinks,
    UnsubscribeScope,
    issue_token,
    read_token,
    switch_for,
    with_footer,
)
from stack_cfo.secret import Secret

SECRET = Secret("unit-unsubscribe-secret-" + "7a" * 16)
USER = str(uuid.uuid4())


def _refused(token: str, secret: Secret = SECRET) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as ei:
        read_token(secret, token)
    err = ei.value
    assert err.reason == "INVALID_UNSUBSCRIBE_TOKEN"
    assert [v.field for v in err.violations] == ["token"]
    return err


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_a_token_names_its_user_and_kind(kind: NotificationKind) -> None:
    token = issue_token(SECRET, USER.upper(), kind)
    assert len(token) == 46 and "=" not in token
    assert token == issue_token(SECRET, USER, kind)  # one token per user and kind: no state to keep
    read = read_token(SECRET, token)
    assert (read.user_id, read.kind) == (USER, kind)


def test_every_altered_character_and_another_secret_are_refused() -> None:
    token = issue_token(SECRET, USER, NotificationKind.DIGEST)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i, c in enumerate(token):
        other = alphabet[(alphabet.index(c) + 1) % len(alphabet)]
        _refused(token[:i] + other + token[i + 1:])
    assert "does not verify" in _refused(token, Secret("another-secret-of-enough-length-" + "0" * 8)).message
    # The kind byte changed and re-encoded: the signature no longer matches.
    raw = bytearray(base64.urlsafe_b64decode(token + "=="))
    raw[17] = 3
    _refused(base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode())


@pytest.mark.parametrize(
    "token",
    ["", "a", "not a token", "x" * (MAX_TOKEN_CHARS + 1), "AAAA====", "é" * 46, "+/" * 23],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    _refused(token)


def test_padding_length_and_version_are_checked() -> None:
    token = issue_token(SECRET, USER, NotificationKind.ALERT)
    _refused(token + "==")
    _refused(token + "AA")
    _refused(token[:-1])
    raw = bytearray(base64.urlsafe_b64decode(token + "=="))
    raw[0] = 2
    assert "version" in _refused(base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()).message


def test_scopes_switch_email_or_the_kind() -> None:
    assert switch_for(UnsubscribeScope.EMAIL, NotificationKind.WEEKLY) == "email_enabled"
    assert switch_for(UnsubscribeScope.KIND, NotificationKind.DIGEST) == "daily_digest_enabled"
    assert switch_for(UnsubscribeScope.KIND, NotificationKind.WEEKLY) == "weekly_summary_enabled"
    assert switch_for(UnsubscribeScope.KIND, NotificationKind.ALERT) == "performance_alerts_enabled"


def test_the_link_and_the_footer_in_the_readers_language() -> None:
    links = UnsubscribeLinks("https://app.example/u?a=1&t={token}", SECRET)
    url = links.url(USER, NotificationKind.WEEKLY)
    assert url == "https://app.example/u?a=1&t=" + issue_token(SECRET, USER, NotificationKind.WEEKLY)
    email = EmailContent("s", "Hello", "<html><body><p>Hi</p></body></html>")
    out = with_footer(email, url, localizer("fr-CA"))
    assert out.text == f"Hello\n\nSe désabonner de ces e-mails : {url}\n"
    href = url.replace("&", "&amp;")
    assert out.html.endswith(f'Se désabonner de ces e-mails : <a href="{href}">{href}</a></p></body></html>')
    assert with_footer(email, url, localizer("en")).text.endswith(f"Unsubscribe from these emails: {url}\n")

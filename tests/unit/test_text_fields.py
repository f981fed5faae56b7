"""Identifiers validated with a pattern take the whole string, in ASCII: a trailing newline or a
character that upper-cases into ASCII never makes another symbol, currency, address or token."""

from __future__ import annotations

import dataclasses

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.i18n.locales import canonical_tag
from stack_cfo.core.notifications.kinds import Platform
from stack_cfo.core.notifications.preferences import default_preferences, validate
from stack_cfo.core.notifications.service import validate_device_token
from stack_cfo.core.portfolio.inputs import normalize_symbol

U = "7f6c2b0e-4a51-4f0e-9d8e-2f1f3c0b5a11"


@pytest.mark.parametrize("raw", ["MSFT\n", "MSFT\r\n", "ﬁ", "ａａｐｌ", "AAPL\u200b"])
def test_symbols_with_a_newline_or_non_ascii_are_invalid(raw: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        normalize_symbol(raw, "positions[0].symbol")
    assert ei.value.reason == "INVALID_SYMBOL"
    assert ei.value.metadata["field"] == "positions[0].symbol"


@pytest.mark.parametrize("raw", ["msft", "BRK.B", "ES=F", "EURUSD=X"])
def test_ascii_symbols_are_upper_cased(raw: str) -> None:
    assert normalize_symbol(raw, "symbol") == raw.upper()


def test_an_email_address_with_a_trailing_newline_is_invalid() -> None:
    prefs = dataclasses.replace(default_preferences(U), email_address="ana@example.com\n")
    with pytest.raises(InvalidArgument) as ei:
        validate(prefs)
    assert ei.value.reason == "INVALID_EMAIL"
    ok = dataclasses.replace(default_preferences(U), email_address="ana@example.com")
    assert validate(ok).email_address == "ana@example.com"


@pytest.mark.parametrize("platform", list(Platform))
def test_a_device_token_with_a_trailing_newline_is_invalid(platform: Platform) -> None:
    with pytest.raises(InvalidArgument):
        validate_device_token(platform, "a1" * 32 + "\n")


def test_a_locale_tag_with_a_trailing_newline_is_invalid() -> None:
    with pytest.raises(InvalidArgument) as ei:
        canonical_tag("de\n")
    assert ei.value.reason == "INVALID_LOCALE"
    assert canonical_tag("de-ch") == "de-CH"

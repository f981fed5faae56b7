"""BCP 47 checks, the fallback to English, and CLDR formats through Babel."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.i18n import canonical_tag, language_instruction, localizer, resolve_locale
from stack_cfo.core.notifications.preferences import apply_update, default_preferences

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("de", "de"), ("DE-at", "de-AT"), ("zh-hans-cn", "zh-Hans-CN"), ("es-419", "es-419"),
     ("en-US-x-Twain", "en-US-x-twain"), ("", "")],
)
def test_well_formed_tags_are_cased_canonically(tag: str, canonical: str) -> None:
    assert canonical_tag(tag) == canonical


@pytest.mark.parametrize("tag", ["de_DE", "e", "english!", "zh-Hans-", "de--CH", "12", "x" * 70, "dé", 5])
def test_malformed_tags_are_invalid_argument_on_locale(tag: object) -> None:
    with pytest.raises(InvalidArgument) as exc:
        apply_update(default_preferences("u"), {"locale": tag})
    assert exc.value.reason == "INVALID_LOCALE" and [v.field for v in exc.value.violations] == ["locale"]


@pytest.mark.parametrize(
    ("requested", "tag", "catalog", "fell_back"),
    [
        ("de", "de", "de", False),
        ("de-CH", "de-CH", "de", False),
        ("zh", "zh-Hans", "zh-Hans", False),
        ("zh-CN", "zh-CN", "zh-Hans", False),
        ("zh-Hant", "en", "en", True),
        ("zh-TW", "en", "en", True),
        ("xx-YY", "en", "en", True),
        ("tlh", "en", "en", True),
        ("", "fr", "fr", False),  # not set: the configured default
    ],
)
def test_resolution_and_fallback(requested: str, tag: str, catalog: str, fell_back: bool) -> None:
    r = resolve_locale(requested, "fr")
    assert (r.tag, r.catalog, r.fell_back, r.requested) == (tag, catalog, fell_back, requested)


def test_preferences_store_an_unsupported_but_well_formed_locale() -> None:
    prefs = apply_update(default_preferences("u"), {"locale": "XX-yy"})
    assert prefs.locale == "xx-YY"


@pytest.mark.parametrize(
    ("tag", "money", "negative", "percent", "long_date"),
    [
        ("en", "$1,234.56", "-€45.10", "+12.50%", "Tuesday, December 8, 2026"),
        ("de", f"1.234,56{NBSP}$", f"-45,10{NBSP}€", f"+12,50{NBSP}%", "Dienstag, 8. Dezember 2026"),
        ("fr", f"1{NNBSP}234,56{NBSP}$US", f"-45,10{NBSP}€", f"+12,50{NBSP}%", "mardi 8 décembre 2026"),
        ("es", f"1.234,56{NBSP}US$", f"-45,10{NBSP}€", f"+12,50{NBSP}%", "martes, 8 de diciembre de 2026"),
        ("zh-Hans", "US$1,234.56", "-€45.10", "+12.50%", "2026年12月8日星期二"),
        ("de-CH", "$\u00a01'234.56", f"EUR{NBSP}-45.10", "+12.50%", "Dienstag, 8. Dezember 2026"),
    ],
)
def test_cldr_formats(tag: str, money: str, negative: str, percent: str, long_date: str) -> None:
    lc = localizer(tag)
    assert lc.money(Decimal("1234.56"), "USD") == money
    assert lc.money(Decimal("-45.10"), "EUR") == negative
    assert lc.pct(0.125) == percent
    assert lc.date_long(date(2026, 12, 8)) == long_date
    assert lc.clock(time(11, 0)) == "11:00"


def test_the_ai_is_asked_for_the_users_language_and_english_prompts_are_unchanged() -> None:
    assert language_instruction(localizer("en")) == ""
    german = language_instruction(localizer("de"))
    assert german.startswith("Write your whole answer in German (Deutsch),")
    assert f"1.234,56{NBSP}€" in german and "exactly as in the data block" in german
    assert "Chinese" in language_instruction(localizer("zh"))
    assert language_instruction(localizer("de-CH")) == german  # one constant text per language: no tag in prompts
    assert language_instruction(localizer("xx-YY")) == ""  # fell back: English


@pytest.mark.parametrize(("requested", "tag"), [
    ("de-x-ch", "de"),  # was de-CH: Swiss formats from a private-use subtag
    ("es-x-mx", "es"),
    ("en-u-nu-latn", "en"),  # was en-NU (Niue)
    ("es-u-ca-gregory", "es"),  # was English: "ca" read as a region
    ("de-u-co-phonebk", "de"),
    ("fr-x-abc", "fr"),
    ("zh-x-tw", "zh-Hans"),
    ("en-GB-u-nu-latn", "en-GB"),
    ("de-CH-1996", "de-CH"),
])
def test_extensions_and_private_use_change_neither_language_nor_region(requested: str, tag: str) -> None:
    """An extension or private-use part ("-u-...", "-x-...") was read as a region or made the tag fall back to English
    (an i18n tester; docs: "variants and extensions do not change them")."""
    resolved = resolve_locale(requested)
    assert (resolved.tag, resolved.fell_back) == (tag, False)

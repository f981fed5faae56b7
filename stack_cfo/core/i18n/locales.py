"""Which locales the service writes in, how a user's BCP 47 tag is checked, and the fallback.

A tag is *well-formed* when it follows the BCP 47 syntax (RFC 5646: language, optional script,
region, variants, extensions, private use; hyphen-separated). A malformed tag is bad input
(INVALID_ARGUMENT on the field ``locale``). A well-formed tag is *supported* when its language is
one the message catalogues cover (:data:`SUPPORTED_LANGUAGES`) and CLDR (Babel) knows it; a
well-formed but unsupported tag (``xx-YY``, ``zh-Hant``) is stored as the user sent it and the
content falls back to English, and the fallback is recorded (:class:`ResolvedLocale`).

Regional tags of a supported language (``de-CH``, ``es-MX``, ``fr-CA``, ``zh-CN``) use that
language's catalogue and the region's CLDR number, currency and date formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from stack_cfo.core.errors import InvalidArgument

FIELD = "locale"
#: Catalogue keys: the languages with translated message catalogues (English is the source text).
SUPPORTED_LANGUAGES = ("en", "es", "de", "fr", "zh-Hans")
ENGLISH = "en"

# RFC 5646 "langtag" (grandfathered tags are not accepted; private-use-only tags neither).
_LANGTAG = re.compile(
    r"^(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{5,8})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)"
    r"(?P<extensions>(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*)"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?\Z"
)
_MAX_LEN = 64


def canonical_tag(tag: str) -> str:
    """``tag`` checked for BCP 47 syntax and cased canonically (``zh-hans-cn`` -> ``zh-Hans-CN``);
    ``""`` stays ``""`` (not set: the configured default applies).

    Raises :class:`InvalidArgument` on ``locale`` (reason ``INVALID_LOCALE``) when malformed."""
    if tag == "":
        return ""
    m = _LANGTAG.match(tag) if len(tag) <= _MAX_LEN and tag.isascii() else None
    if m is None:
        raise InvalidArgument.field(
            FIELD,
            f"must be a BCP 47 language tag such as 'en', 'de-CH' or 'zh-Hans' (got {tag[:_MAX_LEN]!r})",
            reason="INVALID_LOCALE",
        )
    out: list[str] = []
    singleton = False  # after an extension or private-use singleton, every subtag is lower case
    for i, part in enumerate(tag.split("-")):
        singleton = singleton or len(part) == 1
        if i and not singleton and len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        elif i and not singleton and len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region
        else:
            out.append(part.lower())
    return "-".join(out)


@dataclass(frozen=True, slots=True)
class ResolvedLocale:
    """What a notification or answer is written in, and why."""

    tag: str
    """The effective BCP 47 tag the text is written in (``de-CH``, ``en``)."""
    catalog: str
    """The message catalogue used, one of :data:`SUPPORTED_LANGUAGES`."""
    requested: str
    """The user's tag as stored ("" when the user set none and the default applied)."""
    fell_back: bool = False
    """True when ``requested`` is well-formed but unsupported, so English was used instead."""

    @property
    def babel(self) -> Locale:
        return _babel_locale(self.tag)


@lru_cache(maxsize=512)
def _babel_locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


#: BCP 47's special language subtags: undetermined, multiple, no linguistic content, uncoded.
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def _catalog_of(loc: Locale) -> str | None:
    if loc.language == "zh":
        if loc.script == "Hant" or (loc.script is None and loc.territory in ("TW", "HK", "MO")):
            return None  # Traditional Chinese: no catalogue yet
        return "zh-Hans"
    return loc.language if loc.language in SUPPORTED_LANGUAGES else None


@lru_cache(maxsize=512)
def resolve_locale(requested: str, default: str = ENGLISH) -> ResolvedLocale:
    """The locale to write in for a user whose stored tag is ``requested`` (``""``: ``default``).

    Never raises: a tag that is malformed (only possible for rows written before validation) or
    unsupported falls back to English with ``fell_back`` set."""
    tag = requested or default or ENGLISH
    try:
        canon = canonical_tag(tag)
        # Formats come from language, script and region; variants and extensions do not change them. An extension or
        # private-use part starts at a singleton ("-u-", "-x-"): cut there first, or "de-x-ch" read "ch" as the
        # region (Swiss formats) and "es-u-ca-gregory" "ca" (Canada: no such locale, English).
        parts = canon.split("-")
        singleton = next((k for k in range(1, len(parts)) if len(parts[k]) == 1), len(parts))
        canon = "-".join(p for p in parts[:singleton][:3] if _formatting_subtag(p))
        if canon.split("-")[0].lower() in _NO_LANGUAGE:
            raise ValueError(canon)  # "und" is no language (babel would read it as English, tag and all)
        loc = _babel_locale(canon)
    except (InvalidArgument, UnknownLocaleError, ValueError, TypeError):
        return ResolvedLocale(ENGLISH, ENGLISH, requested, fell_back=True)
    catalog = _catalog_of(loc)
    if catalog is None:
        return ResolvedLocale(ENGLISH, ENGLISH, requested, fell_back=True)
    if loc.language == "zh" and loc.script is None:
        canon = "zh-Hans" + (f"-{loc.territory}" if loc.territory else "")
    return ResolvedLocale(canon, catalog, requested)


def _formatting_subtag(part: str) -> bool:
    return (part.isalpha() and 2 <= len(part) <= 4) or (len(part) == 3 and part.isdigit())


def is_supported(tag: str) -> bool:
    """True when content for ``tag`` is written in its own language (no fallback)."""
    return not resolve_locale(tag).fell_back

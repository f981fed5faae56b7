"""Languages: the user's locale, message catalogues (gettext), and CLDR formatting (Babel).

* :mod:`.locales`: supported locales, BCP 47 validation (:func:`canonical_tag`) and the fallback
  to English (:func:`resolve_locale`).
* :mod:`.catalogs`: the ``.po`` catalogues, compiled in memory on first use.
* :class:`Localizer`: one locale's words (``_``/``n_``) and its number, money, percentage and
  date formats. Texts written by the service (digests, weekly summaries, alerts, offline answers,
  the deterministic narrative) go through one; AI prompts get :func:`language_instruction`.

Figures keep their value in every locale; only their spelling changes (``$1,234.56``,
``1.234,56 $``, ``1 234,56 $US``), and the grounding check reads every one of those spellings.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache
from typing import Protocol

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import NumberPattern, format_currency, format_decimal, get_plus_sign_symbol

from stack_cfo.core.decimals import WIDE
from stack_cfo.core.i18n.catalogs import translations
from stack_cfo.core.i18n.locales import (
    ENGLISH,
    FIELD,
    SUPPORTED_LANGUAGES,
    ResolvedLocale,
    canonical_tag,
    is_supported,
    resolve_locale,
)

__all__ = [
    "ENGLISH",
    "FIELD",
    "N_",
    "SUPPORTED_LANGUAGES",
    "Localizer",
    "ResolvedLocale",
    "canonical_tag",
    "english",
    "is_supported",
    "language_instruction",
    "localizer",
    "resolve_locale",
]

log = logging.getLogger(__name__)
_CENT = Decimal("0.01")
_LETTER_DIGIT = re.compile(r"([A-Za-z])([-0-9])")
_DIGIT_LETTER = re.compile(r"([0-9])([A-Za-z])")


def N_(message: str) -> str:
    """Marks a module-level English text for extraction; translate it later with ``l10n._(TEXT)``."""
    return message


class Localizer:
    """Words and formats of one resolved locale. Cheap to share: build with :func:`localizer`."""

    __slots__ = ("_loc", "_plus", "_tr", "resolved")

    def __init__(self, resolved: ResolvedLocale) -> None:
        self.resolved = resolved
        self._loc: Locale = resolved.babel
        self._tr = translations(resolved.catalog)
        self._plus = get_plus_sign_symbol(self._loc)

    @property
    def tag(self) -> str:
        return self.resolved.tag

    @property
    def catalog(self) -> str:
        return self.resolved.catalog

    @property
    def is_english(self) -> bool:
        return self.resolved.catalog == ENGLISH

    @property
    def babel(self) -> Locale:
        return self._loc

    # -- words ------------------------------------------------------------------------------

    def _(self, message: str) -> str:
        """``message`` (English source text) in this locale's catalogue."""
        return self._tr.gettext(message)

    def n_(self, singular: str, plural: str, n: int) -> str:
        return self._tr.ngettext(singular, plural, n)

    def join(self, items: list[str]) -> str:
        """``a, b and c`` in the locale's list style."""
        return format_list(items, locale=self._loc) if items else ""

    @property
    def language_name(self) -> str:
        """The language in English (``German``, ``Chinese``), for instructions to the AI."""
        return str(Locale.parse(self.catalog, sep="-").get_display_name(ENGLISH) or self.catalog)

    @property
    def native_name(self) -> str:
        return str(Locale.parse(self.catalog, sep="-").get_display_name(self._loc) or self.catalog)

    # -- numbers ----------------------------------------------------------------------------

    def _sign(self, text: str, positive: bool, signed: bool) -> str:
        return f"{self._plus}{text}" if signed and positive else text

    def money(self, value: Decimal, currency: str, *, signed: bool = False) -> str:
        """Money rounded to cents in the locale's currency format: ``$1,234.56``, ``1.234,56 €``."""
        q = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
        if q == 0:
            q = abs(q)
        code = (currency or "").upper() or "XXX"
        text = format_currency(q, code, locale=self._loc, currency_digits=False, format_type="standard")
        if code == "XXX":  # no currency: the bare number
            text = format_decimal(q, format="#,##0.00", locale=self._loc)
        else:  # CLDR currency spacing: a letter code never touches the digits ("CHF 5.00", not "CHF5.00")
            text = _LETTER_DIGIT.sub("\\1\u00a0\\2", _DIGIT_LETTER.sub("\\1\u00a0\\2", text))
        return self._sign(text, q > 0, signed)

    def number(self, value: float | Decimal, *, digits: int = 2) -> str:
        """``value`` with ``digits`` decimals (half-even) in the locale's format: ``1,234.50``,
        ``1.234,50``; a negative that rounds to zero is written as zero (``0,00``, never ``-0,00``)."""
        q = Decimal(str(value))
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        if not q.is_finite():  # NaN, ±∞: as Babel writes them
            return format_decimal(q, format=pattern, locale=self._loc)
        # precise enough for every digit shown, however large (Babel quantizes in the current context)
        with localcontext(Context(prec=max(WIDE.prec, q.adjusted() + digits + 2))) as ctx:
            q = q.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN, context=ctx)
            if q == 0:
                q = abs(q)
            return format_decimal(q, format=pattern, locale=self._loc)

    def percent_of(self, percent: float | Decimal, *, signed: bool = False, digits: int = 2) -> str:
        """A value already in percent (``12.5`` -> ``12.50%`` / ``12,50 %``)."""
        value = Decimal(str(percent)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        if value == 0:
            value = abs(value)
        pattern = _percent_pattern(self._loc, digits)
        text = pattern.apply(value / 100, self._loc)
        return self._sign(text, value > 0, signed)

    def pct(self, ratio: float | Decimal | None, *, signed: bool = True, digits: int = 2) -> str:
        """A fraction as a percentage (``0.125`` -> ``+12.50%``); ``None`` is "n/a" in the locale."""
        if ratio is None:
            return self._("n/a")
        if isinstance(ratio, float):  # rounded as the data blocks round it (float), so the figures match
            return self.percent_of(round(ratio * 100, digits), signed=signed, digits=digits)
        return self.percent_of(Decimal(str(ratio)) * 100, signed=signed, digits=digits)

    # -- dates ------------------------------------------------------------------------------

    def date_long(self, d: date) -> str:
        """``Tuesday, December 8, 2026`` / ``Dienstag, 8. Dezember 2026`` / ``2026年12月8日星期二``."""
        return str(format_date(d, "full", locale=self._loc))

    def date_short(self, d: date) -> str:
        """``Tue, Dec 8`` / ``Di., 8. Dez.`` / ``12月8日周二``."""
        return str(format_skeleton("MMMEd", d, locale=self._loc))

    def date_medium(self, d: date) -> str:
        return str(format_date(d, "medium", locale=self._loc))

    def clock(self, t: datetime | time) -> str:
        """24-hour clock time (``11:00``) in the locale's style."""
        return str(format_skeleton("Hm", t, locale=self._loc))


@lru_cache(maxsize=64)
def _percent_pattern(loc: Locale, digits: int) -> NumberPattern:
    """The locale's percent pattern with exactly ``digits`` decimals (CLDR's has none)."""
    pattern = copy.copy(loc.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern


@lru_cache(maxsize=256)
def localizer(requested: str = "", default: str = ENGLISH) -> Localizer:
    """The :class:`Localizer` for a user's stored tag (``""``: ``default``), English on fallback."""
    return Localizer(resolve_locale(requested, default))


class LocaleSource(Protocol):
    """Where a user's stored locale tag is read (the notification preferences)."""

    async def locale_of(self, user_id: str) -> str:
        """The user's tag as stored; "" when none is set."""
        ...


class UserLocales:
    """A user's :class:`Localizer` from a :class:`LocaleSource`, with the configured default. A lookup
    that fails degrades to the default (logged): a language is never a reason to fail an answer."""

    def __init__(self, source: LocaleSource | None, default: str = ENGLISH) -> None:
        self._source = source
        self.default = default

    def for_tag(self, tag: str) -> Localizer:
        """The localizer of a tag already read ("" = the default)."""
        return localizer(tag if self._source is not None else "", self.default)

    async def of(self, user_id: str) -> Localizer:
        tag = ""
        if self._source is not None:
            try:
                tag = await self._source.locale_of(user_id)
            except Exception:
                log.warning("user locale unavailable; using the default", exc_info=True)
        return self.for_tag(tag)


def english() -> Localizer:
    return localizer(ENGLISH)


_FIGURES_RULE = (
    ", whatever the language of the data. Write numbers, money, percentages and dates the way {readers} readers "
    "expect (for example {example}), but keep every figure's value exactly as in the data block."
)
#: What an AI prompt says about the language of the answer, per catalogue (English, the source language,
#: has none). Constant texts, so prompts stay built from constants and encoder output only (the prompt
#: guard): the user's tag itself never enters a prompt.
LANGUAGE_INSTRUCTIONS: dict[str, str] = {
    "es": "Write your whole answer in Spanish (español)"
    + _FIGURES_RULE.format(readers="Spanish", example="1.234,56\u00a0€ and 12,5\u00a0%"),
    "de": "Write your whole answer in German (Deutsch)"
    + _FIGURES_RULE.format(readers="German", example="1.234,56\u00a0€ and 12,5\u00a0%"),
    "fr": "Write your whole answer in French (français)"
    + _FIGURES_RULE.format(readers="French", example="1\u202f234,56\u00a0€ and 12,5\u00a0%"),
    "zh-Hans": "Write your whole answer in Simplified Chinese (简体中文)"
    + _FIGURES_RULE.format(readers="Chinese", example="€1,234.56 and 12.5%"),
}


def language_instruction(l10n: Localizer) -> str:
    """What an AI prompt says about the language of the answer ("" for English, the source language).

    Prompt builders add ``LANGUAGE_INSTRUCTIONS[l10n.catalog]`` as a system message; the figures stay
    the data block's, only their spelling follows the locale, which the grounding check reads."""
    return LANGUAGE_INSTRUCTIONS.get(l10n.catalog, "")

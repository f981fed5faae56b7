"""The gettext message catalogues, compiled from their ``.po`` sources when first used.

The sources are ``stack_cfo/core/i18n/locale/<catalogue>/LC_MESSAGES/stack_cfo.po`` (``es``, ``de``,
``fr``, ``zh_Hans``); English is the source text (the msgids). They are compiled in memory with
Babel (``read_po`` then ``write_mo``) the first time a language is used, so a fresh clone and an
installed wheel need no build step and cannot run with a stale ``.mo``. Translators edit the
``.po`` files (see docs/i18n.md); ``make i18n`` re-extracts the template and merges new strings.
"""

from __future__ import annotations

import gettext
import io
import logging
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from stack_cfo.core.i18n.locales import ENGLISH, SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)
DOMAIN = "stack_cfo"


def catalog_dir(catalog: str) -> str:
    """Directory name of a catalogue (``zh-Hans`` -> ``zh_Hans``, the gettext convention)."""
    return catalog.replace("-", "_")


def po_source(catalog: str) -> str:
    """The ``.po`` text of a catalogue."""
    path = resources.files("stack_cfo.core.i18n").joinpath(
        "locale", catalog_dir(catalog), "LC_MESSAGES", f"{DOMAIN}.po"
    )
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=len(SUPPORTED_LANGUAGES))
def translations(catalog: str) -> gettext.NullTranslations:
    """The compiled catalogue; English (and a catalogue that cannot be read) is the identity."""
    if catalog == ENGLISH or catalog not in SUPPORTED_LANGUAGES:
        return gettext.NullTranslations()
    try:
        parsed = read_po(io.StringIO(po_source(catalog)), locale=catalog_dir(catalog), domain=DOMAIN)
        buf = io.BytesIO()
        write_mo(buf, parsed, use_fuzzy=False)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    except Exception:  # a broken catalogue degrades to English text, never to a failed notification
        log.exception("message catalogue could not be compiled", extra={"catalog": catalog})
        return gettext.NullTranslations()

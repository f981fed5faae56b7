"""The message catalogues translators work on: complete, faithful to the source texts' placeholders,
in step with the code (a text added without `make i18n` fails here), and compiled from the .po sources."""

from __future__ import annotations

import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from stack_cfo.core.i18n import SUPPORTED_LANGUAGES, localizer
from stack_cfo.core.i18n.catalogs import catalog_dir, po_source

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = [c for c in SUPPORTED_LANGUAGES if c != "en"]
#: Words that are the same in some of the languages ("Performance" in French, "Beta" in German and Spanish).
SAME_WORD = frozenset({"Performance", "Beta", "CAGR"})
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _source_ids() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "stack_cfo"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _ids(catalog) -> set[str | tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def test_the_template_holds_every_text_in_the_code() -> None:
    pot = read_po(io.StringIO((ROOT / "stack_cfo/core/i18n/locale/stack_cfo.pot").read_text(encoding="utf-8")))
    assert _ids(pot) == _source_ids(), "run `make i18n` and translate the new texts"


@pytest.mark.parametrize("catalog", TRANSLATED)
def test_every_text_is_translated_with_its_placeholders(catalog: str) -> None:
    po = read_po(io.StringIO(po_source(catalog)), locale=catalog_dir(catalog))
    assert _ids(po) == _source_ids()
    for m in po:
        if not m.id:
            continue
        assert not m.fuzzy, m.id
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        assert all(strings), f"untranslated: {m.id!r}"
        assert len(strings) == po.num_plurals if isinstance(m.id, tuple) else len(strings) == 1
        for text in strings:
            assert _fields(text) == _fields(ids[-1]), (m.id, text)
            if not re.search(r"[A-Za-z]{4}", ids[0]) or ids[0] in SAME_WORD:
                continue
            assert text != ids[0], f"an English copy, not a translation: {m.id!r}"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es", "Valor de la cartera"),
        ("de", "Portfoliowert"),
        ("fr", "Valeur du portefeuille"),
        ("zh-Hans", "投资组合价值"),
        ("zh-CN", "投资组合价值"),
        ("de-CH", "Portfoliowert"),
        ("en", "Portfolio value"),
        ("xx-YY", "Portfolio value"),
    ],
)
def test_catalogues_compile_from_their_sources(tag: str, expected: str) -> None:
    assert localizer(tag)._("Portfolio value") == expected


def test_plural_forms_follow_each_language() -> None:
    text = (
        "{count} position without a known cost is left out.",
        "{count} positions without a known cost are left out.",
    )
    one = localizer("de").n_(*text, 1).format(count=1)
    assert one == "1 Position ohne bekannten Einstand ist nicht berücksichtigt."
    assert localizer("de").n_(*text, 3).format(count=3).startswith("3 Positionen")
    zero = localizer("fr").n_(*text, 0).format(count=0)
    assert zero == "0 position au coût inconnu est exclue."  # French: 0 is singular
    assert localizer("zh").n_(*text, 5).format(count=5) == "有 5 个成本未知的持仓未计入。"

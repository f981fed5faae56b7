"""A review of rounds 11-13: words the new rules read that other languages use otherwise, and the figures they
must not flag (each grounded before those rounds).

- French "du" is "of the", Portuguese "seu"/"sua" and German "Ihr" are as often "its"/"their" as "your": a clause
  with them is not the reader's whole portfolio ("La variation du jour est de -2,64 %" after Nvidia is Nvidia's).
- German "Sie" with a full verb may be "they" ("Nvidia und Microsoft waren schwach. Sie verloren heute 2,64 % und
  2,84 %"); only "Sie haben/sind/liegen..." is the reader.
- Spanish "queda" is "remains", not a fall; a bare "costing" is a cost, a loss only with a period; English "also"
  links no restatement.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check
from tests.unit.grounding.test_subjects_and_wording import FACTS


@pytest.mark.parametrize(("text", "marker"), [
    ("Nvidia a reculé. La variation du jour est de -2,64 %.", "-2,64 %"),
    ("A Nvidia recuou. O seu peso é de 31,2%.", "31,2%"),
    ("A Nvidia recuou. Sua variação hoje foi de -2,64%.", "-2,64%"),
    ("Die Nvidia-Aktie war schwach. Ihr Kurs sank heute um 2,64 %.", "2,64 %"),
    ("Nvidia und Microsoft waren schwach. Sie verloren heute 2,64 % und 2,84 %.", "2,64 %"),
    ("El 26,4 % queda en efectivo.", "26,4 %"),
])
def test_figures_a_wider_rule_must_not_flag(text: str, marker: str) -> None:
    start = text.index(marker)
    found = [c for c in check(text, FACTS).checks if c.figure.start < start + len(marker) and c.figure.end > start]
    assert found and found[0].grounded, [(c.figure.raw, c.fact_path) for c in found]

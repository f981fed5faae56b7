"""The prompt encoder's cost: ``encode_data`` against the encoding it replaced, in the same run.

Run: ``.venv/bin/python bench/prompt_encoder.py [--positions 50] [--rounds 300]``

Also the free text of a turn (a colon on every line, so each line is checked for a role label)
through ``encode_text``, against the cleaning it had before (``sanitize_content``).

Documents: a chat data block (a realistic nested snapshot of ``--positions`` positions, as the
grounding bench builds it), a news article (4,000 characters of text, with some non-ASCII), and a
20-message conversation for the summariser. Baseline: the previous encoding (``json.dumps`` with
``ensure_ascii=False`` then ``<``/``>``/``&`` replaced), measured on the same documents in the same
run. Reported: microseconds per encoding for both, the ratio, and the time added to a chat turn:
typical (the data block encoded twice, once to check its size and once into the prompt; a history of
10 messages of 400 characters) and worst (six encodings, when every length limit is tried; 20
messages of 2,000 characters). Goal: a typical turn gains at most 1 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grounding import snapshot  # type: ignore[import-not-found]

from stack_cfo.core.ai.prompt_data import encode_data, encode_text
from stack_cfo.core.chat.text import sanitize_content

GOAL_TURN_MS = 1.0


def plain(value: Any) -> Any:
    """Decimals as the decimal strings a data block carries."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def old_encoding(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _time(fn: Callable[[Any], str], doc: Any, rounds: int) -> float:
    """Median microseconds per call over ``rounds`` batches of 5 calls."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(5):
            fn(doc)
        samples.append((time.perf_counter() - t0) / 5 * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    words = ["revenue", "guidance", "Größe", "données", "株価", "margin", "AAPL", "<b>", "quarter", "12.5%"]
    docs = {
        "chat data block": plain(snapshot(args.positions, rng)),
        "news article": {
            "title": "Apple results beat estimates", "source": "Wire", "published": "2026-03-10 08:00 UTC",
            "symbols": ["AAPL"], "text": " ".join(rng.choice(words) for _ in range(700))[:4000],
        },
        "20-message conversation": {
            "previous_summary": "The investor asked about concentration and cash. " * 8,
            "new_messages": [
                {"seq": i, "role": "user" if i % 2 == 0 else "assistant",
                 "content": " ".join(rng.choice(words) for _ in range(60))}
                for i in range(20)
            ],
        },
    }
    for doc in docs.values():  # same data either way (the new escapes decode to the same strings)
        assert json.loads(encode_data(doc)) == json.loads(old_encoding(doc))
    print(f"{'document':30} {'chars':>7} {'old us':>9} {'new us':>9} {'ratio':>7}")
    block_delta = 0.0
    for name, doc in docs.items():
        old = _time(old_encoding, doc, args.rounds)
        new = _time(encode_data, doc, args.rounds)
        print(f"{name:30} {len(encode_data(doc)):7d} {old:9.1f} {new:9.1f} {new / old:7.2f}")
        if name == "chat data block":
            block_delta = new - old
    chat_words = [w if w != "<b>" else "P/E < 20" for w in words]

    def history(messages: int, chars: int) -> list[str]:
        lines = max(1, chars // 100)
        return [
            "\n".join(" ".join(rng.choice(chat_words) for _ in range(12)) + ":" for _ in range(lines))[:chars]
            for _ in range(messages)
        ]

    added = {}
    for label, encodings, (messages, chars) in (("typical", 2, (10, 400)), ("worst", 6, (20, 2000))):
        turns = history(messages, chars)
        old = _time(lambda h: "".join(sanitize_content(m) for m in h), turns, args.rounds)
        new = _time(lambda h: "".join(encode_text(m) for m in h), turns, args.rounds)
        name = f"{messages}-message history ({chars} ch)"
        print(f"{name:30} {sum(map(len, turns)):7d} {old:9.1f} {new:9.1f} {new / old:7.2f}  (old: sanitize_content)")
        added[label] = (encodings * block_delta + new - old) / 1000
    verdict = "OK" if added["typical"] <= GOAL_TURN_MS else "OVER"
    print(f"added per chat turn: typical (2 block encodings, 10 x 400-char history) {added['typical']:.3f} ms "
          f"(goal <= {GOAL_TURN_MS} ms) {verdict}; worst (6 encodings, 20 x 2,000 chars) {added['worst']:.3f} ms")


if __name__ == "__main__":
    main()

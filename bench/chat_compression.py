"""Prompt tokens per turn over a 60-message conversation, with compression and without.

Run: ``.venv/bin/python bench/chat_compression.py [--turns 30] [--answer-words 150]``

One user with an eight-position portfolio holds two sessions on the real server (its own
process, PostgreSQL, the 0G provider stand-in in direct mode): one with ``auto_summarize`` (the
default: the first summary after 20 messages, then the summary plus the ten most recent
messages), one without (every earlier message in every prompt, the baseline). Both get the same
``--turns`` questions (about 25 words) and the same answers (``--answer-words`` words, a typical
chat answer). Prompt tokens are what the provider stand-in counted for each chat request
(its usage, one token per word); the summariser's own requests are reported separately, because
they are paid too. Goal (the seed's figure): at least 70 % fewer prompt tokens per turn at the end
of the 60-message conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid

import grpc
from chat_common import bench_database, chat_server, standins  # type: ignore[import-not-found]

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from tests.standins.zerog_provider import Reply

GOAL = 0.70
ANSWER_TEXT = (
    "The technology basket lagged the benchmark this week mainly because semiconductor names gave back part of "
    "last month's gains while your defensive positions held steady and cash stayed near six percent of the total "
    "so the overall drawdown remained modest compared with the broader market move"
)
WORDS = ANSWER_TEXT.split(" ")


def answer(turn: int, words: int) -> str:
    body = [WORDS[(turn + i) % len(WORDS)] for i in range(words - 2)]
    return f"Answer {turn}: " + " ".join(body) + "."


def question(turn: int) -> str:
    return (f"Question {turn}: given what we discussed, how did my tech basket and the largest positions "
            "contribute to this week's return compared with the benchmark, and what should I watch?")


def is_summary(body: dict) -> bool:  # type: ignore[type-arg]
    msgs = body.get("messages") or []
    return bool(msgs) and str(msgs[0].get("content", "")).startswith("You keep the memory")


async def run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    async with standins() as (chain, provider), chat_server(dsn, tmp, chain, provider) as server:
        user = str(uuid.uuid4())
        md = server.token(user)
        async with grpc.aio.insecure_channel(server.target) as ch:
            chat = chat_pb2_grpc.ChatServiceStub(ch)
            portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
            holdings = [("AAPL", "Technology", "tech"), ("MSFT", "Technology", "tech"), ("NVDA", "Technology", "tech"),
                        ("JNJ", "Health Care", ""), ("XOM", "Energy", ""), ("JPM", "Financials", ""),
                        ("PG", "Consumer Staples", ""), ("VTI", "Equity ETF", "core")]
            await portfolio.SyncPortfolio(
                portfolio_pb2.SyncPortfolioRequest(
                    portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="2500",
                    positions=[portfolio_pb2.Holding(symbol=s, quantity=str(10 + i), average_cost=str(100 + 7 * i),
                                                     sector=sec, basket=b) for i, (s, sec, b) in enumerate(holdings)],
                ),
                metadata=md,
            )
            results: dict[str, list[int]] = {}
            summary_tokens: dict[str, int] = {}
            for label, auto in (("with compression", True), ("without (baseline)", False)):
                s = await chat.CreateSession(
                    chat_pb2.CreateSessionRequest(parent=f"users/{user}",
                                                  session=chat_pb2.Session(title=label, auto_summarize=auto)),
                    metadata=md,
                )
                seen = len(provider.requests)
                per_turn: list[int] = []
                for turn in range(1, args.turns + 1):
                    provider.default_reply = Reply.ok(answer(turn, args.answer_words))
                    async for ev in chat.SendMessage(
                        chat_pb2.SendMessageRequest(name=s.name, content=question(turn), request_id=str(uuid.uuid4())),
                        metadata=md, timeout=60,
                    ):
                        if ev.WhichOneof("event") == "completed":
                            assert not ev.completed.offline, "the stand-in must answer"
                            per_turn.append(ev.completed.usage.prompt_tokens)
                await asyncio.sleep(0.5)  # let a last background summary finish
                got = await chat.GetSession(chat_pb2.GetSessionRequest(name=s.name), metadata=md)
                assert got.message_count == 2 * args.turns and len(got.messages) == 2 * args.turns
                results[label] = per_turn
                bodies = [r.json for r in provider.requests[seen:] if r.path.endswith("completions")]
                summary_tokens[label] = sum(
                    len(" ".join(m["content"] for m in b["messages"]).split()) for b in bodies if is_summary(b)
                ) + sum(len(answer(0, args.answer_words).split()) for b in bodies if is_summary(b))

    w, wo = results["with compression"], results["without (baseline)"]
    n = len(w)
    print(f"{n} turns = {2 * n} messages; questions ~{len(question(1).split())} words, answers {args.answer_words} "
          f"words; 8-position portfolio in the data block; cpus: {os.cpu_count()}")
    print("prompt tokens per turn (provider's count)   turn 1  turn 10  turn 20  turn 30   mean   mean 21-30")
    for label, xs in (("without compression (baseline)", wo), ("with compression", w)):
        tail = xs[20:] or xs
        print(f"  {label:40s} {xs[0]:6d} {xs[min(9, n - 1)]:8d} {xs[min(19, n - 1)]:8d} {xs[-1]:8d} "
              f"{sum(xs) / n:7.0f} {sum(tail) / len(tail):11.0f}")
    last = 1 - w[-1] / wo[-1]
    tail_w, tail_wo = w[20:] or w, wo[20:] or wo
    steady = 1 - sum(tail_w) / sum(tail_wo)
    overall = 1 - sum(w) / sum(wo)
    print(f"fewer prompt tokens: at the 60-message point {last:.0%}, turns 21-30 {steady:.0%}, "
          f"whole conversation {overall:.0%}")
    spent = summary_tokens["with compression"]
    print(f"summariser requests cost about {spent} tokens in all (prompt + answer); counting them, the compressed "
          f"session used {1 - (sum(w) + spent) / sum(wo):.0%} fewer tokens than the baseline")
    print(f"goal >= {GOAL:.0%} fewer at the 60-message point: {'met' if last >= GOAL else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--answer-words", type=int, default=150)
    args = parser.parse_args()
    with bench_database() as (dsn, tmp):
        asyncio.run(run(args, dsn, tmp))


if __name__ == "__main__":
    main()

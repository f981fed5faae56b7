"""CPU of a chat turn's two transactions alone (``begin_turn`` + ``complete_turn`` with a receipt, the
store as the server calls it): this checkout against an earlier commit, alternating in one run.

Run: ``.venv/bin/python bench/chat_store.py [--sessions 50] [--turns 6] [--rounds 8] [--baseline ca8be16]``

Each arm runs in its own process with its own code on the Python path (``before``: the files of
``--baseline``, default ``ca8be16``, the last commit before migration 16 made each transaction one
call; extracted with ``git archive`` and migrated into a database of its own; ``after``: this
checkout). In a round, each arm opens a pool of 20 connections on PostgreSQL (``DATABASE_URL`` or an
embedded server), creates ``--sessions`` sessions of their own users, warms up with 2 turns each, and
then runs ``--turns`` turns on every session concurrently, each turn storing a user message (the
lease, the budget and replay checks, the recent window) and an answer with its receipt (a
20-position data snapshot shared by the session's receipts). Reported: the process's CPU (user +
system) per turn and PostgreSQL's backends' CPU per turn, every round and the medians, and the ratio
after/before. Single rounds vary by +-10 %: compare within a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = "ca8be16"  # before migration 16 (each turn transaction a pipeline of statements)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _turns(dsn: str, sessions: int, turns: int) -> tuple[float, float]:
    """(ms of this process's CPU per turn, ms of PostgreSQL's per turn), with the code on sys.path."""
    from server_common import backend_cpu_between, backend_cpu_seconds  # type: ignore[import-not-found]

    from stack_cfo.core.chat.models import ChatMessage, MessageRole, NewSession, PortfolioContext
    from stack_cfo.core.data_scope import user_scope
    from stack_cfo.core.provenance.model import AiSurface, GroundingRecord, GroundingState, Receipt
    from stack_cfo.core.provenance.snapshot import sha256_hex
    from stack_cfo.store.chat import ChatRepository
    from stack_cfo.store.db import Database, PoolSettings

    now = datetime.now(UTC)
    snapshot = json.dumps({"positions": [{"symbol": f"S{i}", "value": f"{i * 100}.00"} for i in range(20)]})

    def receipt(user: str, sid: str) -> Receipt:
        return Receipt(
            id=str(uuid.uuid4()), surface=AiSurface.CHAT_ANSWER, subject=f"users/{user}/sessions/{sid}/messages/a",
            user_id=user, provider="0xprovider", model="m", response_id="r", verification="VERIFIED",
            tee_signer="0xsigner", signature="0x" + "ab" * 65, signed_text="c" * 64 + ":" + "d" * 64,
            prompt_sha256="a" * 64, data_sha256=sha256_hex(snapshot), data_snapshot=snapshot, data_as_of=now,
            text="an answer " * 30, text_sha256="b" * 64, grounding=GroundingRecord(GroundingState.NO_FIGURES),
            prompt_tokens=300, completion_tokens=40, fee_neuron=123_456_789_000, degraded_reason="", created_at=now,
        )

    db = Database(dsn, PoolSettings(min_size=20, max_size=20))
    await db.open()
    repo = ChatRepository(db, lease_ttl=30)
    owned = []
    for _ in range(sessions):
        user = str(uuid.uuid4())
        with user_scope(user):
            s = await repo.create_session(NewSession(
                id=str(uuid.uuid4()), user_id=user, title="bench", provider="router", model="m",
                context=PortfolioContext.empty(now), auto_summarize=True, summarize_interval=20, created_at=now,
            ))
        owned.append((user, s.id))

    async def session_turns(user: str, sid: str, n: int) -> None:
        with user_scope(user):
            for i in range(n):
                async with repo.lease(sid, eager=False) as lease:
                    start = await repo.begin_turn(
                        sid,
                        ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.USER,
                                    content=f"question {i} about my holdings", created_at=now,
                                    request_id=str(uuid.uuid4())),
                        owner=user, day=date.today(), admit=lambda s, t: None, recent_window=10, lease=lease,
                    )
                    answer = ChatMessage(
                        id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.ASSISTANT,
                        content="an answer " * 30, created_at=now, reply_to=start.message.id, prompt_tokens=300,
                        completion_tokens=40, receipt=receipt(user, sid),
                    )
                    await repo.complete_turn(sid, user, answer, day=date.today(), recent_window=10, lease=lease)

    try:
        await asyncio.gather(*(session_turns(u, s, 2) for u, s in owned))  # warm-up: plans, caches
        pg0, cpu0 = backend_cpu_seconds(dsn), _cpu()
        await asyncio.gather(*(session_turns(u, s, turns) for u, s in owned))
        cpu, pg = _cpu() - cpu0, backend_cpu_between(pg0, backend_cpu_seconds(dsn))
    finally:
        await db.close()
    n = sessions * turns
    return cpu / n * 1e3, pg / n * 1e3


def _worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.source)
    sys.path.insert(1, str(Path(args.source) / "bench"))  # (its server_common puts its own root first)
    ms, pg = asyncio.run(_turns(args.dsn, args.sessions, args.turns))
    print(json.dumps({"ms": ms, "pg": pg}))


def _arm(source: Path, dsn: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(HERE / "chat_store.py"), "--worker", "--source", str(source), "--dsn", dsn,
         "--sessions", str(args.sessions), "--turns", str(args.turns)],
        cwd=source, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if out.returncode != 0:
        sys.exit(f"the {source} arm failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    sys.path.insert(0, str(HERE))
    from chat_cpu import ROOT, baseline_source  # type: ignore[import-not-found]
    from server_common import bench_database  # type: ignore[import-not-found]

    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(baseline_source(args.baseline))
        if source is None:
            return
        before_dsn, _ = stack.enter_context(bench_database("chatstore_base", source=source))
        after_dsn, _ = stack.enter_context(bench_database("chatstore"))
        for _ in range(args.rounds):
            results["before"].append(_arm(source, before_dsn, args))
            results["after"].append(_arm(ROOT, after_dsn, args))
    print(f"{args.sessions} sessions x {args.turns} turns (begin_turn + complete_turn with a receipt), "
          f"{args.rounds} rounds; cpus: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    median = {}
    for arm, rounds in results.items():
        ms = [r["ms"] for r in rounds]
        median[arm] = statistics.median(ms)
        label = f"before ({args.baseline})" if arm == "before" else "after (this checkout)"
        print(f"{label:26s} median {median[arm]:.3f} ms CPU per turn (rounds: {', '.join(f'{m:.2f}' for m in ms)}); "
              f"PostgreSQL {statistics.median(r['pg'] for r in rounds):.3f} ms per turn (median)")
    print(f"ratio after/before (medians): {median['after'] / median['before']:.2f}")


if __name__ == "__main__":
    main()

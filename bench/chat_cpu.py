"""Server CPU per chat turn (ms): this code against the code before issue 15 (same run), and with
SendMessage's delta merging on.

Run: ``.venv/bin/python bench/chat_cpu.py [--streams 100] [--turns 3] [--chunks 40] [--chunk-delay 0.005]
[--rounds 3] [--interval 0.05] [--baseline 458d5f4]``

The real server (its own process, PostgreSQL, direct mode to the 0G provider stand-in streaming each
answer in ``--chunks`` pieces ``--chunk-delay`` apart) serves ``--streams`` concurrent users, each
sending ``--turns`` messages to its own session and reading every answer to the end. The server's
CPU time (user + system, from /proc) over the turns, divided by the turns, is its cost per turn.
Three arms alternate in each round, each in its own server process:

* ``before``: the code of ``--baseline`` (default ``458d5f4``, the last commit before issue 15's work,
  when a turn measured 8.2 ms), extracted with ``git archive`` and migrated into a database of its
  own; one delta per model chunk (all it could do). ``--baseline ''`` skips it.
* ``after``: this checkout as shipped: ``chat.delta_interval: 0``, one delta message per chunk.
* ``merged``: this checkout with ``chat.delta_interval: --interval`` (default 0.05: at most one delta
  per 50 ms, the 0G client reading what arrived meanwhile in one go), an operator's choice.

Reported: each arm's ms per turn in every round, the median and best, and after/before and
merged/before (the issue's goal: halve the turn's CPU, <= 0.5); and the CPU the database's
backends spent per turn (PostgreSQL runs on this machine: its backends' ``/proc`` figures).
The machine is shared: single rounds vary by +-20%, so compare the arms within a run, never
across runs.
``CHAT_BENCH_PROFILE=path`` runs the servers under cProfile; ``CHAT_BENCH_PYSPY=path`` samples the
turns (not the start-up) with py-spy (``PYSPY``: its path, ``PYSPY_RATE``: samples a second,
``PYSPY_NATIVE=1``: with native frames, which pauses the server at each sample) into ``path.<arm>``
(raw folded stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
from chat_common import ROOT, bench_database, chat_server, standins  # type: ignore[import-not-found]
from server_common import backend_cpu_between, backend_cpu_seconds  # type: ignore[import-not-found]

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.standins.zerog_provider import Reply

BASELINE = "458d5f4"  # the code when issue 15 was filed (docs/capacity.md)


async def one_round(args: argparse.Namespace, dsn: str, tmp: str, arm: str, interval: float,
                    source: Path = ROOT) -> tuple[float, int, int, float]:
    """(server CPU ms per turn, turns answered, delta messages received, PostgreSQL CPU ms per turn)."""
    chat = {"delta_interval": interval} if interval else {}
    async with standins() as (chain, provider), \
            chat_server(dsn, tmp, chain, provider, chat=chat, source=source) as server:
        provider.default_reply = Reply.ok(chunks=args.chunks, chunk_delay=args.chunk_delay)
        channels = [grpc.aio.insecure_channel(server.target) for _ in range(4)]
        try:
            stubs = [chat_pb2_grpc.ChatServiceStub(ch) for ch in channels]
            sessions = []
            for i in range(args.streams):
                user = str(uuid.uuid4())
                md = server.token(user)
                s = await stubs[i % 4].CreateSession(
                    chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="cpu")),
                    metadata=md)
                sessions.append((stubs[i % 4], s.name, md))
            answered = deltas = 0

            async def worker(stub: chat_pb2_grpc.ChatServiceStub, name: str, md: tuple[tuple[str, str], ...]) -> None:
                nonlocal answered, deltas
                for turn in range(args.turns):
                    async for ev in stub.SendMessage(
                        chat_pb2.SendMessageRequest(name=name, content=f"Turn {turn}: how are my holdings?",
                                                    request_id=str(uuid.uuid4())),
                        metadata=md, timeout=120,
                    ):
                        kind = ev.WhichOneof("event")
                        deltas += kind == "delta"
                        answered += kind == "completed"

            spy = None
            if os.environ.get("CHAT_BENCH_PYSPY"):  # sample the turns only, not the start-up
                spy = await asyncio.create_subprocess_exec(
                    os.environ.get("PYSPY", "py-spy"), "record", "-p", str(server.proc.pid),
                    "-r", os.environ.get("PYSPY_RATE", "250"),
                    "-f", "raw", "-o", f"{os.environ['CHAT_BENCH_PYSPY']}.{arm}",
                    *(["--native"] if os.environ.get("PYSPY_NATIVE") else ["--nonblocking"]))
                await asyncio.sleep(1)
            cpu0, db0 = server.cpu_seconds(), await asyncio.to_thread(backend_cpu_seconds, dsn)
            await asyncio.gather(*(worker(*s) for s in sessions))
            cpu = server.cpu_seconds() - cpu0
            db = backend_cpu_between(db0, await asyncio.to_thread(backend_cpu_seconds, dsn))
            if spy is not None:
                spy.send_signal(2)
                await spy.wait()
        finally:
            for ch in channels:
                await ch.close()
    return cpu / max(1, answered) * 1e3, answered, deltas, db / max(1, answered) * 1e3


@contextlib.contextmanager
def baseline_source(ref: str) -> Iterator[Path | None]:
    """The files of commit ``ref`` in a temporary directory (None, with a note, when this is not a
    git checkout holding it)."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        print(f"baseline {ref!r} skipped: not a commit of this checkout")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="stack-cfo-baseline-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--chunk-delay", type=float, default=0.005)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--baseline", default=BASELINE, help="commit of the 'before' arm ('' = none)")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, int, int, float]]] = {"before": [], "after": [], "merged": []}
    with contextlib.ExitStack() as stack:
        dsn, tmp = stack.enter_context(bench_database("chatcpu"))
        source = stack.enter_context(baseline_source(args.baseline)) if args.baseline else None
        base = (source, *stack.enter_context(bench_database("chatcpu_base", source=source))) if source else None
        for _ in range(args.rounds):
            if base is not None:
                src, base_dsn, base_tmp = base
                results["before"].append(asyncio.run(one_round(args, base_dsn, base_tmp, "before", 0.0, src)))
            results["after"].append(asyncio.run(one_round(args, dsn, tmp, "after", 0.0)))
            results["merged"].append(asyncio.run(one_round(args, dsn, tmp, "merged", args.interval)))
    turns = args.streams * args.turns
    print(f"{args.streams} concurrent streams x {args.turns} turns; answers of {args.chunks} chunks "
          f"{args.chunk_delay * 1e3:.0f} ms apart; {args.rounds} rounds; cpus: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    labels = {"before": f"before ({args.baseline}, one delta per chunk)", "after": "after (one delta per chunk)",
              "merged": f"after, merging on ({args.interval:g} s)"}
    median: dict[str, float] = {}
    for arm, rounds in results.items():
        if not rounds:
            continue
        ms = [r[0] for r in rounds]
        median[arm] = statistics.median(ms)
        print(f"{labels[arm]:40s} median {median[arm]:5.2f} ms, best {min(ms):5.2f} ms server CPU per turn "
              f"(rounds: {', '.join(f'{m:.2f}' for m in ms)}); "
              f"{sum(r[1] for r in rounds)}/{turns * len(rounds)} answered; "
              f"{sum(r[2] for r in rounds) / max(1, sum(r[1] for r in rounds)):.1f} deltas per turn; "
              f"PostgreSQL CPU {statistics.median(r[3] for r in rounds):.2f} ms per turn (median)")
    if "before" in median:
        for arm in ("after", "merged"):
            print(f"ratio {arm}/before (medians): {median[arm] / median['before']:.2f} "
                  f"(goal: halve the turn's CPU, <= 0.5)")
    else:
        print(f"ratio merged/after (medians): {median['merged'] / median['after']:.2f}")


if __name__ == "__main__":
    main()

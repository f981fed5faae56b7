"""Server CPU per chat turn (ms), with SendMessage's delta merging on against off (the default), same run.

Run: ``.venv/bin/python bench/chat_cpu.py [--streams 100] [--turns 3] [--chunks 40] [--chunk-delay 0.005]
[--rounds 2] [--interval 0.05]``

The real server (its own process, PostgreSQL, direct mode to the 0G provider stand-in streaming each
answer in ``--chunks`` pieces ``--chunk-delay`` apart) serves ``--streams`` concurrent users, each
sending ``--turns`` messages to its own session and reading every answer to the end. The server's
CPU time (user + system, from /proc) over the turns, divided by the turns, is its cost per turn.
Two configurations alternate, each in its own server process: ``chat.delta_interval: 0`` (one
delta message per model chunk, the default) and ``--interval`` (default 0.05: text arriving within
50 ms of the last delta merged into the next). Reported: ms per turn for each, best of ``--rounds``, and the ratio.
``CHAT_BENCH_PROFILE=path`` runs the servers under cProfile; ``CHAT_BENCH_PYSPY=path`` samples the
turns (not the start-up) with py-spy (``PYSPY``: its path) into ``path.<interval>`` (raw folded stacks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid

import grpc
from chat_common import bench_database, chat_server, standins  # type: ignore[import-not-found]

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.standins.zerog_provider import Reply


async def one_round(args: argparse.Namespace, dsn: str, tmp: str, interval: float | None) -> tuple[float, int, int]:
    """(server CPU ms per turn, turns answered, delta messages received)."""
    chat = {} if interval is None else {"delta_interval": interval}
    async with standins() as (chain, provider), chat_server(dsn, tmp, chain, provider, chat=chat) as server:
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
                    os.environ.get("PYSPY", "py-spy"), "record", "-p", str(server.proc.pid), "-r", "250",
                    "-f", "raw", "-o", f"{os.environ['CHAT_BENCH_PYSPY']}.{interval}", "--nonblocking")
                await asyncio.sleep(1)
            cpu0 = server.cpu_seconds()
            await asyncio.gather(*(worker(*s) for s in sessions))
            cpu = server.cpu_seconds() - cpu0
            if spy is not None:
                spy.send_signal(2)
                await spy.wait()
        finally:
            for ch in channels:
                await ch.close()
    return cpu / max(1, answered) * 1e3, answered, deltas


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--chunk-delay", type=float, default=0.005)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, int, int]]] = {"off": [], "on": []}
    with bench_database("chatcpu") as (dsn, tmp):
        for _ in range(args.rounds):
            results["off"].append(asyncio.run(one_round(args, dsn, tmp, 0.0)))
            results["on"].append(asyncio.run(one_round(args, dsn, tmp, args.interval)))
    best = {k: min(v) for k, v in results.items()}
    turns = args.streams * args.turns
    print(f"{args.streams} concurrent streams x {args.turns} turns; answers of {args.chunks} chunks "
          f"{args.chunk_delay * 1e3:.0f} ms apart; best of {args.rounds}; cpus: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for k, label in (("off", "delta merging off (one delta per chunk)"), ("on", f"merging on ({args.interval:g} s)")):
        ms, answered, deltas = best[k]
        print(f"{label:42s} {ms:6.2f} ms server CPU per turn   {answered}/{turns} answered   "
              f"{deltas / max(1, answered):5.1f} deltas per turn")
    print(f"ratio on/off: {best['on'][0] / best['off'][0]:.2f} (goal: halve the turn's CPU, <= 0.5)")



if __name__ == "__main__":
    main()

"""200 concurrent chat streams against one server process: errors, throughput, peak RSS.

Run: ``.venv/bin/python bench/chat_concurrency.py [--streams 200] [--turns 3] [--chunks 40] [--chunk-delay 0.005]``

The server (``stack-cfo serve``, its own process, PostgreSQL, direct mode to the 0G provider
stand-in) serves ``--streams`` users at once, each sending ``--turns`` messages in a row to its
own session and reading every streamed answer to the end. The provider stand-in streams each
answer in ``--chunks`` pieces ``--chunk-delay`` seconds apart, like a model generating.

Baseline in the same run: the same number of concurrent callers streaming the same answers
straight from the stand-in over HTTP (no gRPC, no database): the throughput ceiling of the
stand-in and this client on this machine. Reported: turns/s for both and their ratio, errors
(failed RPCs, and answers that came back degraded, offline or incomplete), the server's RSS at
rest and at peak (VmHWM), and its CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid

import aiohttp
import grpc
from chat_common import (  # type: ignore[import-not-found]
    bench_database,
    chat_server,
    median,
    pct,
    provider_authorization,
    standins,
)

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.standins.zerog_provider import Reply


async def raw_round(url: str, auth: str, streams: int, turns: int) -> tuple[float, list[float], int]:
    body = json.dumps(
        {"model": "gpt-oss-120b", "stream": True, "stream_options": {"include_usage": True},
         "messages": [{"role": "user", "content": "How did my portfolio do today?"}]}
    ).encode()
    latencies: list[float] = []
    errors = 0
    conn = aiohttp.TCPConnector(limit=streams + 10)
    async with aiohttp.ClientSession(connector=conn) as http:

        async def worker() -> None:
            nonlocal errors
            for _ in range(turns):
                t = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers={"Authorization": auth,
                                                                  "Content-Type": "application/json"}) as r:
                        if r.status != 200:
                            errors += 1
                        async for _ in r.content.iter_any():
                            pass
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(streams)))
        return time.perf_counter() - started, latencies, errors


async def run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    async with standins() as (chain, provider), chat_server(dsn, tmp, chain, provider) as server:
        provider.default_reply = Reply.ok(chunks=args.chunks, chunk_delay=args.chunk_delay)
        channels = [grpc.aio.insecure_channel(server.target) for _ in range(args.channels)]
        try:
            stubs = [chat_pb2_grpc.ChatServiceStub(ch) for ch in channels]
            sessions = []
            for i in range(args.streams):
                user = str(uuid.uuid4())
                md = server.token(user)
                s = await stubs[i % len(stubs)].CreateSession(
                    chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="load")),
                    metadata=md,
                )
                sessions.append((stubs[i % len(stubs)], s.name, md))
            rest_kb = server.status("VmRSS")
            cpu0 = server.cpu_seconds()

            latencies: list[float] = []
            first_delta: list[float] = []
            rpc_errors: list[str] = []
            degraded = 0

            async def worker(stub: chat_pb2_grpc.ChatServiceStub, name: str, md: tuple[tuple[str, str], ...]) -> None:
                nonlocal degraded
                for turn in range(args.turns):
                    t = time.perf_counter()
                    first = None
                    try:
                        async for ev in stub.SendMessage(
                            chat_pb2.SendMessageRequest(name=name, content=f"Turn {turn}: how are my holdings?",
                                                        request_id=str(uuid.uuid4())),
                            metadata=md,
                            timeout=120,
                        ):
                            kind = ev.WhichOneof("event")
                            if kind == "delta" and first is None:
                                first = time.perf_counter() - t
                            elif kind == "completed":
                                c = ev.completed
                                degraded += int(c.degraded or c.offline or c.incomplete)
                    except grpc.aio.AioRpcError as exc:
                        rpc_errors.append(exc.code().name)
                        continue
                    latencies.append(time.perf_counter() - t)
                    if first is not None:
                        first_delta.append(first)

            started = time.perf_counter()
            await asyncio.gather(*(worker(*s) for s in sessions))
            chat_wall = time.perf_counter() - started
            peak_kb = server.status("VmHWM")
            cpu = server.cpu_seconds() - cpu0
        finally:
            for ch in channels:
                await ch.close()

        raw_wall, raw_lat, raw_errors = await raw_round(
            f"{provider.url}/v1/proxy/chat/completions", provider_authorization(provider), args.streams, args.turns
        )

    turns = args.streams * args.turns
    chat_tps, raw_tps = len(latencies) / chat_wall, turns / raw_wall
    print(f"{args.streams} concurrent streams x {args.turns} turns; answers of {args.chunks} chunks "
          f"{args.chunk_delay * 1e3:.0f} ms apart; cpus: {os.cpu_count()}")
    print(f"baseline, raw HTTP streams from the stand-in: {raw_tps:7.1f} turns/s  "
          f"p50 {median(raw_lat) * 1e3:6.0f} ms  p99 {pct(raw_lat, .99) * 1e3:6.0f} ms  errors {raw_errors}")
    print(f"SendMessage through the server:               {chat_tps:7.1f} turns/s  "
          f"p50 {median(latencies) * 1e3:6.0f} ms  p99 {pct(latencies, .99) * 1e3:6.0f} ms  "
          f"first delta p50 {median(first_delta) * 1e3:.0f} ms p99 {pct(first_delta, .99) * 1e3:.0f} ms")
    print(f"ratio chat/raw throughput: {chat_tps / raw_tps:.2f}")
    print(f"errors: {len(rpc_errors)} failed RPCs {sorted(set(rpc_errors))}, {degraded} degraded/offline/incomplete "
          f"answers, of {turns} turns")
    print(f"server RSS at rest {rest_kb / 1024:.0f} MiB, peak {peak_kb / 1024:.0f} MiB; "
          f"server CPU {cpu:.1f} s ({cpu / max(1, len(latencies)) * 1e3:.1f} ms per turn)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--chunk-delay", type=float, default=0.005)
    parser.add_argument("--channels", type=int, default=4)
    args = parser.parse_args()
    with bench_database() as (dsn, tmp):
        asyncio.run(run(args, dsn, tmp))


if __name__ == "__main__":
    main()

"""Streaming overhead of the 0G compute client, against plain aiohttp in the same run.

    .venv/bin/python bench/zerog_stream.py [--chunks 2000] [--reps 40] [--concurrent 200]

The provider and chain stand-ins run in a separate process (so their CPU time does not count
against either side). Part 1 streams one completion of ``--chunks`` SSE events, alternating:

* ``client``       the full client: session token, breaker, SSE parsing, usage, TEE signature check
                   (one extra GET per answer), metrics and spans;
* ``client-nv``    the same with ``verify: false``;
* ``aiohttp``      plain aiohttp with the same request and header, ``async for line in resp.content``,
                   ``json.loads`` of each ``data:`` line, collecting ``delta.content`` (the baseline);
* ``raw``          plain aiohttp reading the body bytes without parsing (the floor).

twice: with the provider flushing every event (as real providers do) and with the whole body
written at once (so that the server is never the bottleneck). Reported: medians and the ratio
client / aiohttp (goal <= 1.1).

Part 2 runs ``--concurrent`` streams at once through one client and reports errors (must be 0),
wall time, streams/s, events/s, and peak memory (tracemalloc peak of Python allocations, in a
second identical run; and the process's max RSS growth).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ONE_0G = 10**18


def _serve(wallet_address: str, chunks: int, small_chunks: int, queue: Any) -> None:
    """Child process: chain + three providers (paced, burst, paced-small for the concurrency run)."""
    from tests.standins.chain_rpc import ChainStandIn
    from tests.standins.zerog_provider import ProviderStandIn, Reply

    async def main() -> None:
        chain = ChainStandIn()
        await chain.start()
        chain.set_ledger(wallet_address, 10_000 * ONE_0G)
        text = "".join(f"w{i} " for i in range(chunks)).rstrip()
        small = "".join(f"w{i} " for i in range(small_chunks)).rstrip()
        out = {"chain": chain.url}
        for name, reply in (
            ("paced", Reply.ok(text)),
            ("burst", Reply.ok(text, burst=True)),
            ("small", Reply.ok(small)),
        ):
            p = ProviderStandIn(chain=chain)
            await p.start()
            p.default_reply = reply
            chain.add_service(p.service_entry())
            chain.set_account(wallet_address, p.address, balance=10_000 * ONE_0G)
            out[name] = p.address
            out[name + "_url"] = p.url
        queue.put(out)
        await asyncio.Event().wait()

    asyncio.run(main())


async def _baseline(session: Any, url: str, body: bytes, headers: dict[str, str], *, parse: bool) -> int:
    parts: list[str] = []
    async with session.post(url, data=body, headers=headers) as resp:
        if not parse:
            n = 0
            async for chunk in resp.content.iter_any():
                n += len(chunk)
            return n
        async for line in resp.content:
            if not line.startswith(b"data: "):
                continue
            data = line[6:].rstrip()
            if data == b"[DONE]":
                break
            obj = json.loads(data)
            choices = obj.get("choices")
            if choices:
                content = choices[0]["delta"].get("content")
                if content:
                    parts.append(content)
    return len(parts)


async def run(args: argparse.Namespace) -> None:
    import aiohttp
    from eth_account import Account

    from stack_cfo.core.ai import CompletionOptions, Message
    from stack_cfo.secret import Secret
    from stack_cfo.zerog import ComputeConfig, build_compute_client

    wallet = Account.create()
    queue: Any = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=_serve, args=(wallet.address, args.chunks, args.small_chunks, queue), daemon=True
    )
    proc.start()
    env = queue.get(timeout=60)
    messages = [Message("system", "You are a CFO."), Message("user", "Summarise my week.")]

    def client_for(name: str, verify: bool = True) -> Any:
        cfg = ComputeConfig(
            private_key=Secret(wallet.key.hex()),
            provider_ids=(env[name],),
            chain_rpc_url=env["chain"],
            verify=verify,
        )
        return build_compute_client(cfg)

    async def one_mode(mode: str) -> None:
        full, noverify = client_for(mode), client_for(mode, verify=False)
        # the request the client sends (body and session token), reused verbatim by the baselines
        up = full._upstreams[0]
        prepared = await up.prepare(full._payload(messages, CompletionOptions()), None)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512))

        async def through(client: Any) -> int:
            n = 0
            async for _ in client.stream(messages):
                n += 1
            return n

        runners = {
            "client": lambda: through(full),
            "client-nv": lambda: through(noverify),
            "aiohttp": lambda: _baseline(session, prepared.url, prepared.body, prepared.headers, parse=True),
            "raw": lambda: _baseline(session, prepared.url, prepared.body, prepared.headers, parse=False),
        }
        times: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(5):  # warm-up: connections, tokens, discovery
            for fn in runners.values():
                await fn()
        counts = {k: await fn() for k, fn in runners.items()}
        assert counts["client"] == counts["aiohttp"] == args.chunks, counts
        for _ in range(args.reps):
            for name, fn in runners.items():
                gc.collect()
                t0 = time.perf_counter()
                await fn()
                times[name].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n## one completion, provider {'flushing every event' if mode == 'paced' else 'writing in one go'}")
        for k, v in times.items():
            p10 = sorted(v)[len(v) // 10]
            print(f"  {k:10s} median {med[k] * 1000:8.2f} ms   (p10 {p10 * 1000:7.2f} ms)")
        print(f"  ratio client    / aiohttp = {med['client'] / med['aiohttp']:.3f}")
        print(f"  ratio client-nv / aiohttp = {med['client-nv'] / med['aiohttp']:.3f}")
        print(f"  ratio client    / raw     = {med['client'] / med['raw']:.3f}")
        await session.close()
        await full.close()
        await noverify.close()

    try:
        print(f"# 0G stream benchmark: {args.chunks} events per completion, {args.reps} repetitions")
        for mode in ("paced", "burst"):
            await one_mode(mode)

        # ---------------------------------------------------------------- concurrency
        async def concurrent(trace_memory: bool) -> tuple[int, float, int, float]:
            client = client_for("small")
            await client.complete(messages)  # warm-up: token, discovery
            errors = 0
            events = 0

            async def one() -> None:
                nonlocal errors, events
                try:
                    stream = client.stream(messages)
                    async for _ in stream:
                        events += 1
                    r = stream.result
                    if r is None or r.degraded or r.incomplete or r.verification.value != "verified":
                        errors += 1
                except Exception:
                    errors += 1

            if trace_memory:
                tracemalloc.start()
            t0 = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(args.concurrent)))
            wall = time.perf_counter() - t0
            peak = 0.0
            if trace_memory:
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            await client.close()
            return errors, wall, events, peak

        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        errors, wall, events, _ = await concurrent(trace_memory=False)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        errors2, _, _, peak = await concurrent(trace_memory=True)
        print(f"\n## {args.concurrent} concurrent streams of {args.small_chunks} events through one client")
        print(f"  errors           {errors} (second run: {errors2})")
        print(f"  wall time        {wall:.3f} s")
        print(f"  throughput       {args.concurrent / wall:.1f} streams/s, {events / wall:,.0f} events/s")
        print(f"  peak Python heap {peak:.1f} MiB (tracemalloc, second run)")
        print(f"  max RSS growth   {(rss1 - rss0) / 1024:.1f} MiB (process max RSS now {rss1 / 1024:.1f} MiB)")
        if errors or errors2:
            raise SystemExit(1)
    finally:
        proc.terminate()
        proc.join(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--concurrent", type=int, default=200)
    ap.add_argument("--small-chunks", type=int, default=200)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()

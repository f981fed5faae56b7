"""Time to the first answer delta through ``SendMessage``, minus the provider's own time to first byte.

Run: ``.venv/bin/python bench/chat_first_delta.py [--sessions 40] [--turns 5]``

The server runs as its own process (``stack-cfo serve``: interceptors, JWT auth, metrics,
tracing, PostgreSQL) and talks to the 0G provider stand-in in direct mode. For every turn the
benchmark measures, sequentially and alternately in the same run:

* **chat**: from starting ``SendMessage`` to receiving the first ``delta`` event;
* **baseline**: the *same request body the server just sent the provider* (taken from the
  stand-in's log), posted raw with aiohttp and a valid session token: from sending it to the
  first SSE chunk that carries content (the stand-in's own time to first byte).

The difference is what the chat path adds before the first token: the gRPC hop, auth, loading
the session, the budget check, the turn lease, storing the user message (one transaction),
building the prompt, and the compute client (session token, request). Goal: at most 5 ms at p50.
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

GOAL_MS = 5.0


async def raw_first_byte(session: aiohttp.ClientSession, url: str, body: bytes, auth: str) -> float:
    """Seconds from posting ``body`` to the first SSE event carrying answer text."""
    started = time.perf_counter()
    first: float | None = None
    buf = b""
    async with session.post(url, data=body, headers={"Authorization": auth, "Content-Type": "application/json"}) as r:
        async for chunk in r.content.iter_any():
            if first is not None:
                continue  # drain, as the client does
            buf += chunk
            *events, buf = buf.split(b"\n\n")
            for ev in events:
                data = ev.removeprefix(b"data: ")
                if data == b"[DONE]":
                    continue
                choices = json.loads(data).get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    first = time.perf_counter() - started
                    break
    if first is None:
        raise RuntimeError("no content in the provider's answer")
    return first


async def run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    async with standins() as (chain, provider), chat_server(dsn, tmp, chain, provider) as server:
        auth = provider_authorization(provider)
        url = f"{provider.url}/v1/proxy/chat/completions"
        chat_ms: list[float] = []
        accepted_ms: list[float] = []
        raw_ms: list[float] = []
        async with grpc.aio.insecure_channel(server.target) as ch, aiohttp.ClientSession() as http:
            stub = chat_pb2_grpc.ChatServiceStub(ch)
            sessions = []
            for _ in range(args.sessions):
                user = str(uuid.uuid4())
                md = server.token(user)
                s = await stub.CreateSession(
                    chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="b")),
                    metadata=md,
                )
                sessions.append((s.name, md))
            warmup = 5
            for turn in range(args.turns):
                for name, md in sessions:
                    started = time.perf_counter()
                    call = stub.SendMessage(
                        chat_pb2.SendMessageRequest(
                            name=name, content=f"Turn {turn}: how did my holdings do today?",
                            request_id=str(uuid.uuid4()),
                        ),
                        metadata=md,
                        timeout=30,
                    )
                    first = acc = None
                    async for ev in call:
                        kind = ev.WhichOneof("event")
                        if kind == "accepted" and acc is None:
                            acc = time.perf_counter() - started
                        elif kind == "delta" and first is None:
                            first = time.perf_counter() - started
                    assert first is not None and acc is not None
                    body = next(r.body for r in reversed(provider.requests) if r.path.endswith("completions"))
                    assert json.loads(body)["stream"] is True
                    raw = await raw_first_byte(http, url, body, auth)
                    if warmup:
                        warmup -= 1
                        continue
                    chat_ms.append(first * 1e3)
                    accepted_ms.append(acc * 1e3)
                    raw_ms.append(raw * 1e3)
            # Reference: one unary RPC through the same stack (auth, interceptors, one read).
            get_ms: list[float] = []
            for name, md in sessions * 3:
                t = time.perf_counter()
                await stub.GetSession(
                    chat_pb2.GetSessionRequest(name=name, view=chat_pb2.SESSION_VIEW_BASIC), metadata=md
                )
                get_ms.append((time.perf_counter() - t) * 1e3)
        rss = server.status("VmHWM")

    added = [c - r for c, r in zip(chat_ms, raw_ms, strict=True)]
    print(f"{len(chat_ms)} turns ({args.sessions} sessions x {args.turns} turns), sequential; cpus: {os.cpu_count()}")
    print(f"provider stand-in alone, first content byte: p50 {median(raw_ms):6.2f} ms  p90 {pct(raw_ms, .9):6.2f} ms")
    print(f"reference, unary GetSession (BASIC):         p50 {median(get_ms):6.2f} ms  p90 {pct(get_ms, .9):6.2f} ms")
    print(f"SendMessage -> accepted event:               p50 {median(accepted_ms):6.2f} ms  "
          f"p90 {pct(accepted_ms, .9):6.2f} ms")
    print(f"SendMessage -> first delta:                  p50 {median(chat_ms):6.2f} ms  p90 {pct(chat_ms, .9):6.2f} ms")
    p50_added = median(chat_ms) - median(raw_ms)
    print(f"added by the chat path: p50 {p50_added:.2f} ms (paired p50 {median(added):.2f} ms, "
          f"p90 {pct(added, .9):.2f} ms); ratio first-delta/stand-in p50 {median(chat_ms) / median(raw_ms):.2f}")
    print(f"goal <= {GOAL_MS:.0f} ms added at p50: {'met' if p50_added <= GOAL_MS else 'NOT met'}; "
          f"server peak RSS {rss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--turns", type=int, default=5, help="turns per session (keep below 10: no summaries)")
    args = parser.parse_args()
    with bench_database() as (dsn, tmp):
        asyncio.run(run(args, dsn, tmp))


if __name__ == "__main__":
    main()

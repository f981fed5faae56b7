"""A TCP proxy in front of PostgreSQL that a test can cut, silence and restore (a database outage:
refused and reset connections, or a network partition where packets just stop arriving)."""

from __future__ import annotations

import asyncio
import contextlib
import os

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class PgProxy:
    def __init__(self, upstream_dsn: str) -> None:
        params = conninfo_to_dict(upstream_dsn)
        host = str(params.get("host") or "127.0.0.1")
        port = int(params.get("port") or 5432)
        self._unix = os.path.join(host, f".s.PGSQL.{port}") if host.startswith("/") else None
        self._host, self._port = host, port
        self._upstream_dsn = upstream_dsn
        self._server: asyncio.base_events.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.up = True
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()

    def dsn(self) -> str:
        return make_conninfo(self._upstream_dsn, host="127.0.0.1", port=str(self.port))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port or 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        self._conns.add(writer)
        await self._flowing.wait()  # silenced: the connection is accepted but nothing answers
        try:
            if self._unix:
                ur, uw = await asyncio.open_unix_connection(self._unix)
            else:
                ur, uw = await asyncio.open_connection(self._host, self._port)
        except OSError:
            self._conns.discard(writer)
            writer.close()
            return
        self._conns.update((writer, uw))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    await self._flowing.wait()  # silenced: held back, like packets of a partition
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))
        self._conns.discard(writer)
        self._conns.discard(uw)

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        self.up = False
        for w in list(self._conns):
            with contextlib.suppress(Exception):
                w.transport.abort()
        self._conns.clear()

    def silence(self) -> None:
        """Keep every connection open but deliver nothing either way until :meth:`restore`."""
        self._flowing.clear()

    def restore(self) -> None:
        self.up = True
        self._flowing.set()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

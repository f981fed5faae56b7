"""Listening on a configured address: one error for every port the processes bind (gRPC, health,
metrics), naming the setting, so a taken address is one log line and an exit, not a traceback."""

from __future__ import annotations

from aiohttp import web


class ListenError(OSError):
    """A configured address could not be bound (in use, or not this machine's): ``key`` names the
    setting (``server.listen``)."""

    def __init__(self, key: str, address: str, problem: str = "address in use or not available") -> None:
        super().__init__(f"cannot listen on {address} ({key}): {problem}")
        self.key, self.address, self.problem = key, address, problem

    def log_fields(self) -> dict[str, str]:
        """The ``cannot listen`` line's fields."""
        return {"key": self.key, "listen": self.address, "error": self.problem}


async def serve_app(app: web.Application, listen: str, key: str) -> web.AppRunner:
    """``app`` served on ``listen`` (``host:port``, port 0 picks a free one); :class:`ListenError`
    naming ``key`` when the address cannot be bound (the runner is cleaned up first)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ListenError(key, listen, exc.strerror or str(exc)) from None
    return runner

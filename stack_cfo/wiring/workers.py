"""``stack-cfo serve --workers N``: one supervisor and N server processes sharing one port.

A Python gRPC process uses one core. The supervisor starts N workers, each a complete
``stack-cfo serve`` in its own interpreter (``python -m stack_cfo.cli serve``: fork and exec, so
no worker inherits a gRPC core from its parent: "never fork after importing grpc"), binding
``server.listen`` with ``SO_REUSEPORT``. The kernel spreads new *connections* over the workers;
an HTTP/2 connection and every call on it stay with one worker, so a single client channel uses
one worker (clients with several connections, or many clients, use them all).

The supervisor, not the workers, owns what must answer for the pod as a whole:

- **Signals.** SIGTERM or SIGINT is forwarded (as SIGTERM) to every worker; each drains as one
  server does (readiness NOT_SERVING, ``drain_delay``, ``stop(shutdown_grace)``), in parallel, so
  the pod stops within the same bound. A worker still running ``drain_delay + shutdown_grace +
  10 s`` later is killed. The supervisor exits 0 (1 if it had to kill one).
- **A dead supervisor.** Each worker asks the kernel for SIGTERM when the supervisor dies (a
  SIGKILL or the OOM killer leaves it no time to forward anything), so no worker outlives it.
- **Crashes.** A worker that exits on its own is restarted, after 0.5 s doubling to 30 s while it
  keeps failing (a worker that ran for a minute starts the backoff again). A worker that exits 2
  (a configuration it refuses, or an address it cannot listen on: it logged which key) before it
  was ever ready is not: the supervisor stops the others and exits 2 too, as it does when its own
  health or metrics address is taken.
- **Health** on ``server.health_listen``: liveness SERVING while the supervisor runs; readiness
  (and ``""`` and every service) SERVING only while every worker reports ready. Workers tell
  their readiness flips on a pipe (``STACK_CFO_WORKER_READY_FD``). The API port also serves
  Health, answered by whichever worker took the connection.
- **Metrics** on ``server.metrics_listen``: one page for all workers, prometheus-client's
  multiprocess mode. Workers write their series to files in ``PROMETHEUS_MULTIPROC_DIR`` (the
  operator's, emptied at start, or a temporary directory removed at exit); counters and
  histograms are summed over workers (a dead worker's counts stay, so totals never go back),
  ``stack_cfo_ready`` is the minimum over live workers, other gauges carry a ``pid`` label. A
  dead worker's live gauges are removed (``mark_process_dead``). Figures a process computes at
  scrape time (``stack_cfo_db_pool_*``, the portfolio cache and watch figures, ``process_*``,
  the chat activity gauges) each worker writes to its files every 5 s (``CollectorMirror``).

The scheduler has no ``--workers``: its work is waiting on PostgreSQL, SMTP, FCM and the 0G
provider, not CPU; it scales by running more scheduler processes (they share the work through
leases in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stack_cfo.config import Config, ConfigError
from stack_cfo.telemetry.listen import ListenError

log = logging.getLogger("stack_cfo.workers")

READY_FD = "STACK_CFO_WORKER_READY_FD"
#: The supervisor's pid, for its workers: a worker whose supervisor is gone stops (see
#: :func:`follow_supervisor`).
SUPERVISOR_PID = "STACK_CFO_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1
WORKER_INDEX = "STACK_CFO_WORKER_INDEX"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
OPERATOR_MULTIPROC_DIR = "STACK_CFO_MULTIPROC_DIR"
"""Where ``stack_cfo.cli`` set aside an operator's ``PROMETHEUS_MULTIPROC_DIR`` (see there)."""
MASTER_KEYS = "STACK_CFO_ARCHIVE_MASTER_KEYS"
MASTER_KEYS_FILE = f"{MASTER_KEYS}_FILE"
CONFIG_ERROR_EXIT = 2
"""A worker's exit code for a configuration it refuses (the same exit code as ``stack-cfo``'s)."""
FIRST_RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
HEALTHY_RUN = 60.0
"""A worker that ran this long before exiting is restarted after the first delay again."""


def follow_supervisor() -> None:
    """In a worker of ``serve --workers N``: be sent SIGTERM when the supervisor dies (Linux
    ``PR_SET_PDEATHSIG``), and stop at once if it is already gone. A supervisor killed outright
    (SIGKILL, the OOM killer) cannot forward anything: its workers would go on serving the port,
    unsupervised, and a new pod's supervisor would start its own beside them."""
    expected = os.environ.get(SUPERVISOR_PID)
    if not expected:
        return
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(expected):  # it died before the line above: nobody to serve for
        log.error("the supervisor is gone; this worker stops", extra={"supervisor_pid": int(expected)})
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass
class _Worker:
    index: int
    proc: asyncio.subprocess.Process | None = None
    ready: bool = False
    #: Reported ready at least once (a worker that never was and exits 2 refused its configuration).
    was_ready: bool = False
    restarts: int = 0
    pids: list[int] = field(default_factory=list)


def check_workers(config: Config, count: int) -> None:
    """What ``count`` workers need beyond one process; ConfigError names the key (its variable when
    that set it, as every configuration error does)."""
    if count > 1 and config.server.listen.rsplit(":", 1)[-1] == "0":
        raise ConfigError(config.label("server.listen"),
                          "needs a fixed port with more than one worker (workers share it)")


def check_port_free(listen: str) -> None:
    """ListenError when anyone already listens on ``listen``. The workers bind it with
    ``SO_REUSEPORT``, and the kernel lets another process's ``SO_REUSEPORT`` socket share the port
    without a word: a second deployment started on the same address would split the traffic with
    the first. A socket without ``SO_REUSEPORT`` cannot bind beside a listening one, so this one
    finds out (and is closed before the workers start)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        addresses = socket.getaddrinfo(host or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, ValueError) as exc:
        raise ListenError("server.listen", listen, str(exc)) from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT are fine
            try:
                probe.bind(address)
            except OSError as exc:
                raise ListenError("server.listen", listen, exc.strerror or str(exc)) from None


class Supervisor:
    def __init__(self, config: Config, count: int, worker_argv: Sequence[str],
                 env: dict[str, str] | None = None) -> None:
        self.config = config
        self.count = count
        self._argv = list(worker_argv)
        self._env = dict(os.environ if env is None else env)
        self.workers = [_Worker(i) for i in range(count)]
        self.stopping = asyncio.Event()
        self._own_dir: str | None = None
        self._health: Any = None
        self._health_server: Any = None
        self._metrics: Any = None
        self._killed = False
        self._config_error = False

    # -- set-up ---------------------------------------------------------------------------

    def _metrics_dir(self) -> str:
        given = self._env.pop(OPERATOR_MULTIPROC_DIR, None) or self._env.get(MULTIPROC_DIR)
        if given:
            Path(given).mkdir(parents=True, exist_ok=True)
            for f in Path(given).glob("*.db"):  # figures of an earlier run
                f.unlink()
            return given
        self._own_dir = tempfile.mkdtemp(prefix="stack-cfo-metrics-")
        return self._own_dir

    async def _start_endpoints(self, metrics_dir: str) -> None:
        cfg = self.config.server
        if cfg.health_listen:
            import grpc

            from stack_cfo.api.health import HealthState
            from stack_cfo.api.interceptors import Registrar, RpcWrapper
            from stack_cfo.api.server import add_health_and_reflection, bind, server_options
            from stack_cfo.api.servicers import registrations

            names = [r.service_name for r in registrations(())]
            self._health = HealthState(names)
            server = grpc.aio.server(options=server_options(cfg))
            # Health for every service; reflection only of what this port serves (as with one
            # process: the contract's services are the workers', on the API port)
            add_health_and_reflection(Registrar(server, RpcWrapper(None).wrap), self._health.servicer, ())
            bind(server, cfg.health_listen, "server.health_listen")
            await self._health.start()
            await server.start()
            self._health_server = server
        if cfg.metrics_listen:
            from prometheus_client import CollectorRegistry
            from prometheus_client.multiprocess import MultiProcessCollector

            from stack_cfo.telemetry.metrics import start_metrics_server

            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=metrics_dir)
            self._metrics = await start_metrics_server(cfg.metrics_listen, registry=registry)

    # -- workers --------------------------------------------------------------------------

    async def _spawn(self, w: _Worker, metrics_dir: str) -> tuple[asyncio.subprocess.Process, int]:
        read_fd, write_fd = os.pipe()
        env = {
            **self._env,
            "STACK_CFO_WORKERS": "1",
            WORKER_INDEX: str(w.index),
            READY_FD: str(write_fd),
            SUPERVISOR_PID: str(os.getpid()),
            MULTIPROC_DIR: metrics_dir,
            # The supervisor answers these for the pod.
            "STACK_CFO_HEALTH_LISTEN": "off",
            "STACK_CFO_METRICS_LISTEN": "off",
        }
        try:
            proc = await asyncio.create_subprocess_exec(*self._argv, env=env, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        w.proc = proc
        w.pids.append(proc.pid)
        loop = asyncio.get_running_loop()
        loop.add_reader(read_fd, self._on_report, w, read_fd)
        log.info("worker started", extra={"worker": w.index, "pid": proc.pid})
        return proc, read_fd

    def _on_report(self, w: _Worker, fd: int) -> None:
        try:
            data = os.read(fd, 64)
        except OSError:
            data = b""
        if not data:  # the worker closed the pipe: it exited
            asyncio.get_running_loop().remove_reader(fd)
            return
        w.ready = data[-1:] == b"1"
        w.was_ready = w.was_ready or w.ready
        self._publish()

    def _publish(self) -> None:
        if self._health is None:
            return
        ready = all(w.ready for w in self.workers) and not self.stopping.is_set()
        task = asyncio.ensure_future(self._health.mark_ready() if ready else self._health.mark_unready())
        task.add_done_callback(lambda t: t.exception())

    async def _keep_running(self, w: _Worker, metrics_dir: str) -> None:
        loop = asyncio.get_running_loop()
        delay = FIRST_RESTART_DELAY
        while not self.stopping.is_set():
            started = loop.time()
            proc, read_fd = await self._spawn(w, metrics_dir)
            code = await proc.wait()
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(read_fd)
            with contextlib.suppress(OSError):
                os.close(read_fd)
            w.ready = False
            self._publish()
            _mark_dead(proc.pid, metrics_dir)
            if self.stopping.is_set():
                log.info("worker stopped", extra={"worker": w.index, "pid": proc.pid, "exit_code": code})
                return
            if code == CONFIG_ERROR_EXIT and not w.was_ready:
                # Starting it again would fail the same way, forever: stop the pod with the same
                # exit code, so the orchestrator shows the error (the worker logged what is wrong).
                log.error("worker refused the configuration; stopping", extra={"worker": w.index, "pid": proc.pid,
                                                                               "exit_code": code})
                self._config_error = True
                self._begin_stop()
                return
            if loop.time() - started >= HEALTHY_RUN:
                delay = FIRST_RESTART_DELAY
            w.restarts += 1
            log.error("worker exited; restarting it", extra={"worker": w.index, "pid": proc.pid, "exit_code": code,
                                                            "restart_in_s": delay, "restarts": w.restarts})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(delay * 2, MAX_RESTART_DELAY)

    # -- lifecycle ------------------------------------------------------------------------

    async def run(self) -> int:
        metrics_dir = self._metrics_dir()
        try:
            try:
                await self._start_endpoints(metrics_dir)
            except ListenError as exc:  # its own health or metrics address
                log.error("cannot listen", extra=exc.log_fields())
                return CONFIG_ERROR_EXIT
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._begin_stop)
            log.info("supervisor started", extra={"workers": self.count, "listen": self.config.server.listen,
                                                  "pid": os.getpid()})
            tasks = [asyncio.create_task(self._keep_running(w, metrics_dir)) for w in self.workers]
            await self.stopping.wait()
            if self._health is not None:
                await self._health.begin_shutdown()
            cfg = self.config.server
            bound = cfg.drain_delay.total_seconds() + cfg.shutdown_grace.total_seconds() + 10.0
            _, pending = await asyncio.wait(tasks, timeout=bound)
            if pending:
                self._killed = True
                for w in self.workers:
                    if w.proc is not None and w.proc.returncode is None:
                        log.error("worker did not stop in time; killing it", extra={"worker": w.index,
                                                                                    "pid": w.proc.pid})
                        w.proc.kill()
                await asyncio.wait(pending)
            log.info("supervisor stopped")
            if self._config_error:
                return CONFIG_ERROR_EXIT
            return 1 if self._killed else 0
        finally:
            await self._close_endpoints()
            if self._own_dir is not None:
                shutil.rmtree(self._own_dir, ignore_errors=True)

    def _begin_stop(self) -> None:
        if not self.stopping.is_set():
            log.info("signal received; stopping the workers")
        self.stopping.set()
        for w in self.workers:
            if w.proc is not None and w.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.send_signal(signal.SIGTERM)

    async def _close_endpoints(self) -> None:
        if self._health_server is not None:
            await self._health.servicer.end_watches()
            await self._health_server.stop(0)
        if self._metrics is not None:
            await self._metrics.cleanup()


def _mark_dead(pid: int, metrics_dir: str) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, metrics_dir)


def worker_argv(config_path: str | None) -> list[str]:
    """The command line of one worker: this interpreter running ``stack-cfo serve``."""
    return [sys.executable, "-m", "stack_cfo.cli", *(["--config", config_path] if config_path else []), "serve"]


def supervise(config: Config, count: int, config_path: str | None) -> int:
    """Run ``count`` workers until SIGTERM/SIGINT (see the module docstring)."""
    check_workers(config, count)
    try:
        check_port_free(config.server.listen)
    except ListenError as exc:
        log.error("cannot listen", extra=exc.log_fields())
        return CONFIG_ERROR_EXIT
    env = dict(os.environ)
    handle = None
    if config.database.url is None:
        # One embedded PostgreSQL for all workers, started here and handed to them.
        from stack_cfo.wiring.startup import resolve_database_url

        env["DATABASE_URL"], handle = resolve_database_url(config)
        if config.archive.master_keys is None:
            # To the workers the database is external now, and an external database needs the
            # archive master keys: the local key a single embedded process would use, by file.
            from stack_cfo.wiring.archive import local_master_key_file

            env.pop(MASTER_KEYS, None)  # set but blank (a blank value counts as unset): not both
            env[MASTER_KEYS_FILE] = str(local_master_key_file(config.database.data_dir))
    try:
        return asyncio.run(Supervisor(config, count, worker_argv(config_path), env).run())
    finally:
        del handle

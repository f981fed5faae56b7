"""``stack-cfo``: serve | scheduler | migrate up|down|status | token | config show | import-transactions |
keys rotate.

Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence

# Before prometheus_client is imported (the config imports metric definitions): only the workers
# of ``serve --workers N`` write multiprocess metric files. Anywhere else the directory is set
# aside for the supervisor to hand to its workers (stack_cfo.wiring.workers).
if "PROMETHEUS_MULTIPROC_DIR" in os.environ and not os.environ.get("STACK_CFO_WORKER_INDEX"):
    os.environ["STACK_CFO_MULTIPROC_DIR"] = os.environ.pop("PROMETHEUS_MULTIPROC_DIR")

# Before gRPC starts: its core's fork handlers (on by default in grpcio's builds) serve no purpose
# here, since no process forks and then uses gRPC (the supervisor starts its workers before it imports
# grpc, subprocesses exec). With them on, a later fork (stopping the embedded PostgreSQL) wrote a
# non-JSON line to stderr ("Other threads are currently calling into gRPC, skipping fork() handlers").
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from stack_cfo.config import Config, ConfigError, load_config
from stack_cfo.config.errors import InvalidConfig
from stack_cfo.core.errors import StackCfoError
from stack_cfo.telemetry.logging import configure_logging

log = logging.getLogger("stack_cfo")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stack-cfo")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stack-cfo", description="AI-CFO backend")
    p.add_argument("--version", action="version", version=f"stack-cfo {_version()}")
    p.add_argument("--config", help="path to config.yaml (default: $STACK_CFO_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC server (migrates at start-up)")
    serve.add_argument("--workers", type=_workers_arg, default=None,
                       help="server processes sharing the port (a number or 'auto' = CPUs; default server.workers)")
    sub.add_parser("scheduler", help="run the notification scheduler process")
    m = sub.add_parser("migrate", help="apply or revert database migrations")
    m.add_argument("direction", choices=["up", "down", "status"])
    m.add_argument("--target", type=_int_arg(0), default=None,
                   help="version to migrate up/down to (0 with 'down': revert everything)")
    m.add_argument("--steps", type=_int_arg(1), default=None, help="migrations to revert with 'down' (default 1)")
    t = sub.add_parser("token", help="mint a JWT for local use (HS256 with the configured secret)")
    who = t.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="user id (UUID)")
    who.add_argument("--service", help="service name (service principal)")
    t.add_argument("--ttl", type=_int_arg(1, MAX_TOKEN_TTL), default=3600,
                   help=f"lifetime in seconds (default 3600, at most {MAX_TOKEN_TTL})")
    imp = sub.add_parser("import-transactions", help="import a transactions file into a user's ledger")
    imp.add_argument("--user", required=True, help="user id (UUID)")
    imp.add_argument("--format", default="auto", choices=["auto", "csv", "ghostfolio"],
                     help="csv (the stack-cfo CSV), ghostfolio (its activities JSON export), auto (by content)")
    imp.add_argument("--dry-run", action="store_true", help="check everything and print what would change")
    imp.add_argument("--base-currency", default="", help="base currency of a portfolio the import creates")
    imp.add_argument("file", help="the file to import")
    k = sub.add_parser("keys", help="manage the master keys that wrap users' data keys")
    k.add_argument("action", choices=["rotate"],
                   help="rotate: re-wrap every user data key under the primary (first) master key, online")
    n = sub.add_parser("notifications", help="operate the notification outbox")
    n.add_argument("action", choices=["requeue-dead"],
                   help="requeue-dead: send dead letters (status DEAD) again, attempts reset, deadline extended")
    n.add_argument("--kind", choices=["digest", "weekly", "alert"], default=None,
                   help="only dead letters of this kind (default: every kind)")
    n.add_argument("--id", type=_int_arg(1, 2**63 - 1), action="append", dest="ids", default=None,
                   help="only this notification (the number in users/{user}/notifications/{id}); repeatable")
    c = sub.add_parser("config", help="inspect the configuration")
    c.add_argument("action", choices=["show"], help="show: every key's effective value and where it came from")
    return p


MAX_TOKEN_TTL = 366 * 86400
"""The longest lifetime ``token`` mints (a year): a local token is for trying the service."""


def _int_arg(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer of ASCII digits within [minimum, maximum]."""

    def parse(text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"-?[0-9]+", t):
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        n = int(t)
        if n < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {n}")
        if maximum is not None and n > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {n}")
        return n

    return parse


def _workers_arg(text: str) -> int:
    from stack_cfo.config.service import MAX_WORKERS, parse_workers

    try:
        n = parse_workers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    if n > MAX_WORKERS:  # as server.workers: every worker is a whole server process
        raise argparse.ArgumentTypeError(f"must be at most {MAX_WORKERS}, got {n}")
    return n


_MIGRATE_SECTIONS = frozenset({"database", "server", "logging"})
"""What ``migrate`` reads: the database (or the embedded one's data directory), and how to log."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        try:
            config = load_config(args.config)
        except InvalidConfig as exc:
            # a migration job needs the database settings only: the service's other settings (auth
            # issuer, SMTP...) may be absent or wrong in its environment
            other = frozenset(dotted.split(".", 1)[0] for dotted in exc.invalid)
            if args.command != "migrate" or not other or other & _MIGRATE_SECTIONS:
                raise
            config = load_config(args.config, unchecked=other)
    except InvalidConfig as exc:
        if args.command != "config":
            print(f"stack-cfo: invalid configuration: {exc.key}: {exc.problem}", file=sys.stderr)
            return 2
        # ``config show`` is how an operator finds the mistake: what was read and from where, then every error
        from stack_cfo.config.show import show_read

        sys.stdout.write(show_read(exc))
        sys.stdout.flush()
        for error in exc.errors:
            print(f"stack-cfo: invalid configuration: {error.key}: {error.problem}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        key = "--config" if args.config and exc.key == "STACK_CFO_CONFIG" else exc.key  # where the path came from
        print(f"stack-cfo: invalid configuration: {key}: {exc.problem}", file=sys.stderr)
        return 2
    if args.command == "config":
        from stack_cfo.config.show import show

        sys.stdout.write(show(config))
        return 0
    worker = os.environ.get("STACK_CFO_WORKER_INDEX", "")
    configure_logging(config.logging.level, **({"worker": int(worker)} if worker.isdigit() else {}))
    from stack_cfo.wiring.startup import register_config_secrets

    register_config_secrets(config)
    try:
        if args.command in ("serve", "scheduler"):
            from stack_cfo.wiring.startup import check_feature_configs

            check_feature_configs(config)
            if config.unknown_keys and not os.environ.get("STACK_CFO_WORKER_INDEX"):
                logging.getLogger("stack_cfo.config").warning(
                    "the config file sets keys no setting has (a typo?); they are ignored",
                    extra={"keys": list(config.unknown_keys)[:50]},
                )
        if args.command == "serve":
            workers = args.workers or config.server.workers
            if workers > 1 and not os.environ.get("STACK_CFO_WORKER_INDEX"):
                from stack_cfo.wiring.workers import supervise

                return supervise(config, workers, args.config)
            from stack_cfo.telemetry.tracing import setup_tracing

            setup_tracing("stack-cfo")
            from stack_cfo.wiring.loop import run_with
            from stack_cfo.wiring.refusals import refusal, stop_on_refusal
            from stack_cfo.wiring.server import serve

            stop_on_refusal()  # a master key that does not unwrap the stored data keys: stop, exit 2
            code = run_with(config.server.event_loop, serve(config))
            refused = refusal()
            if refused is not None:
                raise refused
            return code
        if args.command == "scheduler":
            return _scheduler(config)
        if args.command == "migrate":
            return asyncio.run(_migrate(config, args.direction, args.target, args.steps))
        if args.command == "token":
            return _token(config, args.user, args.service, args.ttl)
        if args.command == "import-transactions":
            return _import(config, args)
        if args.command == "keys":
            return asyncio.run(_keys_rotate(config))
        if args.command == "notifications":
            return asyncio.run(_requeue_dead(config, args))
    except ConfigError as exc:
        print(f"stack-cfo: invalid configuration: {exc.key}: {exc.problem}", file=sys.stderr)
        return 2
    except StackCfoError as exc:  # a one-shot command's failure, said in one line (no traceback)
        cause = f": {str(exc.__cause__).splitlines()[0]}" if exc.__cause__ and str(exc.__cause__) else ""
        print(f"stack-cfo {args.command}: {exc} ({exc.reason}){cause}", file=sys.stderr)
        return 1
    except OSError as exc:  # a path the command needs (data_dir, a key file) it cannot use: one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"stack-cfo {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


def _check_master_keys(config: Config) -> None:
    """Before a one-shot command that may wrap data keys: its master keys well formed (or
    generated, embedded) before connecting, then each against the data keys stored under its id
    (exit 2 naming it). ``serve`` and ``scheduler`` check once the database answers."""
    from stack_cfo.wiring.archive import master_keys
    from stack_cfo.wiring.startup import check_master_keys_before, resolve_database_url

    master_keys(config)  # a missing or malformed key stops here (exit 2) before connecting
    conninfo, handle = resolve_database_url(config)
    asyncio.run(check_master_keys_before(config, conninfo))
    del handle  # the embedded server runs on until this process exits: the command finds it again


def _scheduler(config: Config) -> int:
    from stack_cfo.wiring.scheduler import main as scheduler_main

    return scheduler_main(config)


def _migrate_args_problem(direction: str, target: int | None, steps: int | None) -> str:
    if direction != "down" and steps is not None:
        return "--steps is for 'down' only"
    if direction == "status" and target is not None:
        return "--target is for 'up' and 'down' only"
    if direction == "up" and target == 0:
        return "--target 0 is for 'down' (revert everything)"
    if steps is not None and target is not None:
        return "give --steps or --target, not both"
    return ""


async def _migrate(config: Config, direction: str, target: int | None, steps: int | None) -> int:
    from stack_cfo.store.migrations import Migrator
    from stack_cfo.wiring.startup import resolve_database_url

    problem = _migrate_args_problem(direction, target, steps)
    if problem:
        print(f"stack-cfo migrate: {problem}", file=sys.stderr)
        return 2
    conninfo, handle = resolve_database_url(config)
    m = Migrator(conninfo)
    known = {mig.version for mig in m.migrations}
    if target is not None and target != 0 and target not in known:
        print(f"stack-cfo migrate: --target {target} is not a migration (known: "
              f"{', '.join(str(v) for v in sorted(known))}, or 0 with 'down')", file=sys.stderr)
        return 2
    if direction == "up":
        done = await m.up(target)
        print(f"applied: {done or 'nothing'}")
    elif direction == "down":
        done = await m.down(steps=1 if steps is None else steps, target=target)
        print(f"reverted: {done or 'nothing'}")
    else:
        st = await m.status()
        print(f"current: {st.current:04d}  head: {st.head:04d}  at_head: {st.at_head}")
        for mig in m.migrations:
            mark = "applied" if mig.version in st.applied else "pending"
            print(f"  {mig.version:04d} {mig.name:<32} {mark}")
    del handle
    return 0


async def _keys_rotate(config: Config) -> int:
    from stack_cfo.core.archive import ArchiveKeyMismatch
    from stack_cfo.store.db import Database, PoolSettings
    from stack_cfo.wiring.archive import master_keys, rotate_master_keys
    from stack_cfo.wiring.startup import require_schema_at_head, resolve_database_url

    master_keys(config)  # a missing or malformed key stops here (exit 2) before connecting
    conninfo, handle = resolve_database_url(config)
    await require_schema_at_head(conninfo)
    db = Database(conninfo, PoolSettings(min_size=1, max_size=2, timeout=30.0))
    await db.open()
    try:
        result = await rotate_master_keys(config, db)  # first: each key unwraps what is under its id (else exit 2)
    except ArchiveKeyMismatch as exc:
        print(f"stack-cfo: keys rotate: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()
        del handle
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    return 0


async def _requeue_dead(config: Config, args: argparse.Namespace) -> int:
    """Dead letters back to RETRY (the scheduler sends them again): every one, one kind, or the ids given."""
    from stack_cfo.core.data_scope import system_scope
    from stack_cfo.core.notifications.kinds import NotificationKind
    from stack_cfo.core.notifications.service import NotificationService
    from stack_cfo.store.db import Database, PoolSettings
    from stack_cfo.store.scheduler import SchedulerRepo
    from stack_cfo.wiring.settings import scheduler_config
    from stack_cfo.wiring.startup import require_schema_at_head, resolve_database_url

    conninfo, handle = resolve_database_url(config)
    await require_schema_at_head(conninfo)
    db = Database(conninfo, PoolSettings(min_size=1, max_size=2, timeout=30.0))
    await db.open()
    try:
        service = NotificationService(SchedulerRepo(db), scheduler_config(config))
        with system_scope("requeue-dead-letters"):  # every user's outbox rows
            ids = await service.requeue_dead_letters(
                ids=args.ids, kind=NotificationKind(args.kind) if args.kind else None
            )
    finally:
        await db.close()
        del handle
    print(f"requeued={len(ids)}" + (f" ids={','.join(str(i) for i in ids)}" if ids else ""))
    if not ids:
        asked = ", ".join(filter(None, [f"ids {', '.join(map(str, args.ids))}" if args.ids else "",
                                        f"kind {args.kind}" if args.kind else ""])) or "any"
        print(f"stack-cfo: no dead letter (status DEAD) matched ({asked}); ListNotifications shows statuses",
              file=sys.stderr)
    return 0


def _import(config: Config, args: argparse.Namespace) -> int:
    import uuid
    from pathlib import Path

    from stack_cfo.wiring.importer import import_transactions

    try:
        user = str(uuid.UUID(args.user))
    except ValueError:
        print("stack-cfo: --user must be a UUID", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "is not a regular file" if path.exists() else "no such file"
        print(f"stack-cfo: {path}: {what}", file=sys.stderr)
        return 2
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        print(f"stack-cfo: {path}: not UTF-8 text (byte {exc.start}); export the file as UTF-8 CSV or JSON",
              file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"stack-cfo: {path}: cannot be read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    _check_master_keys(config)  # the import may create the user's data key
    # the streams of now (a default argument would be those of when the module was first imported)
    return asyncio.run(import_transactions(config, user, text, fmt=args.format, dry_run=args.dry_run,
                                           base_currency=args.base_currency.upper(), out=sys.stdout,
                                           err=sys.stderr))


def _token(config: Config, user: str | None, service: str | None, ttl: int) -> int:
    import uuid

    from stack_cfo.api.auth import mint_token, resolve_jwt_secret
    from stack_cfo.core.data_scope import SERVICE_NAME_RULE, is_service_name

    secret = resolve_jwt_secret(config.auth, config.database.data_dir)
    if secret is None:
        print("stack-cfo: no HS256 secret configured (STACK_CFO_JWT_SECRET)", file=sys.stderr)
        return 2
    if service is not None and not is_service_name(service):
        print(f"stack-cfo: --service must be {SERVICE_NAME_RULE}", file=sys.stderr)
        return 2
    if user is not None:
        try:
            uuid.UUID(user)
        except ValueError:
            print("stack-cfo: --user must be a UUID", file=sys.stderr)
            return 2
    print(mint_token(secret, user_id=user, service=service, ttl_seconds=ttl, cfg=config.auth))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``stack-cfo import-transactions``: a file of transactions into a user's ledger, through the
same domain method as ``BatchCreateTransactions`` (validation, the whole-ledger checks, one
database transaction: all or nothing), with a progress bar and a ``--dry-run``."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stack_cfo.config import Config
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import InvalidArgument, StackCfoError
from stack_cfo.core.portfolio.importers import (
    ImportedRow,
    ImportError_,
    as_recorded,
    digest_ids,
    malformed_problems,
    oldest_first,
    parse,
    problem_lines,
)
from stack_cfo.core.portfolio.transactions import BatchCreateCommand
from stack_cfo.wiring.container import build_container
from stack_cfo.wiring.startup import require_schema_at_head, resolve_database_url


def _bar(out: TextIO) -> Progress:
    from rich.console import Console

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(file=out), transient=False)


def _report(err: InvalidArgument, rows: list[ImportedRow], out: TextIO) -> None:
    """Every problem the service found, one line each (by line and column of the file)."""
    for line in problem_lines(err, rows):
        print(line, file=out)


async def import_transactions(
    config: Config, user_id: str, text: str, *, fmt: str = "auto", dry_run: bool = False,
    base_currency: str = "", out: TextIO = sys.stdout, err: TextIO = sys.stderr,
) -> int:
    """Exit code 0 when imported (or a clean dry run), 1 on a bad file or row (nothing written)."""
    warnings: list[str] = []
    try:
        # a cell that does not read refuses its row only: reported with every other row's problems
        rows = parse(text, fmt, warnings, keep_malformed=True)
        # a file listed newest first is recorded oldest first (same-day rows in the order they happened);
        # each row keeps its line of the file for the errors
        rows = oldest_first(rows)
    except ImportError_ as exc:
        print(f"error: line {exc.line}, field {exc.where}: {exc.message} ({exc.reason}); nothing was imported",
              file=err)
        return 1
    for warning in warnings:
        print(warning, file=err)
    if not rows:
        print("error: the file holds no transactions; nothing was imported", file=err)
        return 1
    conninfo, handle = resolve_database_url(config)
    await require_schema_at_head(conninfo)
    container = build_container(config, conninfo)
    await container.db.open()
    # An operator importing one user's file: that user's scope (row-level security).
    with user_scope(user_id):
        try:
            service = container.portfolio
            # An empty currency is the base currency, in the rows' digest ids too: the one asked for (the
            # write refuses it when the portfolio has another), else the portfolio's, else USD (what the
            # write creates it in). Asked of the write, so that a portfolio created meanwhile in another
            # one refuses the import (CURRENCY_MISMATCH) rather than recording rows in a currency their
            # ids do not say.
            stored_base = await service.base_currency_of(user_id)
            base = base_currency or stored_base or "USD"
            rows = digest_ids(rows, base)
            earlier = {c for r in rows for c in r.known_as}
            if earlier:  # rows the previous release recorded, under the ids it gave them
                rows = as_recorded(rows, await service.recorded_client_ids_of(user_id, earlier))
            command = BatchCreateCommand(user_id, tuple(r.transaction for r in rows), base,
                                         malformed=malformed_problems(rows))
            with _bar(err) as progress:
                task = progress.add_task("checking", total=len(rows))
                checked = None
                if dry_run:  # every check of the write (the same base currency and price currency rules)
                    existing = await service.transactions_of(user_id)

                    checked = await service.dry_run(command, existing, stored_base, service.price_currencies_of)
                progress.update(task, completed=len(rows))
                if dry_run:
                    assert checked is not None
                    new, again = checked
                    kinds = Counter(r.type.value for r in new if r.type is not None)
                    days = sorted(r.trade_date for r in new if r.trade_date is not None)
                    print(f"dry run: {len(new)} transactions would be recorded, {again} are already recorded", file=out)
                    for kind, n in sorted(kinds.items()):
                        print(f"  {kind:<13} {n}", file=out)
                    if days:
                        print(f"  from {days[0].isoformat()} to {days[-1].isoformat()}", file=out)
                    return 0
                write = progress.add_task("recording", total=len(rows))
                result = await service.create_transactions(command, limited=False)
                progress.update(write, completed=len(rows))
            print(f"imported: {result.created} recorded, {result.existing} already recorded", file=out)
            return 0
        except InvalidArgument as exc:
            _report(exc, rows, err)
            return 1
        except StackCfoError as exc:
            print(f"error: {exc.message} ({exc.reason}); nothing was imported", file=err)
            return 1
        finally:
            await container.aclose()
            await container.db.close()
            del handle

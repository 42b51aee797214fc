"""``wellness db``: schema migrations and the document store's indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backend.cli.common import err, run
from backend.database import DatabaseManager
from backend.database import migration as mig

app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    run(lambda: mig.upgrade(DatabaseManager().engine, revision))
    err.print(f"Database at revision {revision}.")


@app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes every table.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    run(lambda: mig.downgrade(DatabaseManager().engine, revision))
    err.print(f"Database downgraded to {revision}.")


@app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one in the code."""
    current = run(lambda: mig.current_revision(DatabaseManager().engine))
    typer.echo(f"database: {current or '(empty)'}\ncode head: {mig.head_revision()}")


@app.command("indexes")
def db_indexes(
    export: Annotated[
        Path | None, typer.Option(help="Write Firestore's firestore.indexes.json here.")
    ] = None,
) -> None:
    """List the composite indexes the code's queries need; --export writes them for Firestore."""
    from backend.database.documents.indexes import IndexRegistry

    registry = IndexRegistry()
    if export is not None:
        registry.export(export)
        err.print(
            f"Wrote {len(registry.indexes)} indexes (composite, and collection-group field overrides) "
            f"to {export}. Deploy them with `firebase deploy --only firestore:indexes`."
        )
        return
    for declared in registry.indexes:
        typer.echo(declared.describe())


@app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change does.")],
) -> None:
    """(Developers) autogenerate a migration from changes to models_sql.py."""
    run(lambda: mig.new_revision(DatabaseManager().engine, message))

"""The ``wellness`` command: run the API and manage the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from backend.config import get_settings
from backend.database import DatabaseManager
from backend.database import migration as mig
from backend.database.postgres import install_signal_handlers
from backend.errors import WellnessError

app = typer.Typer(help="Startup Wellness analytics backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
err = Console(stderr=True)
T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run ``action`` with the database open; user-facing errors end the command with their message."""
    install_signal_handlers()
    try:
        return action()
    except WellnessError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=1) from exc
    finally:
        DatabaseManager.reset()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default from WELLNESS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from WELLNESS_PORT).")] = None,
) -> None:
    """Serve the API (and /healthz); Ctrl-C stops it and the embedded database cleanly."""
    import uvicorn

    from backend.api.app import create_app

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    bind_host, bind_port = host or settings.host, port or settings.port
    try:
        _ = DatabaseManager().engine  # connect first: a bad URL gives one clear line, not a traceback
    except WellnessError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        DatabaseManager.reset()
        raise typer.Exit(code=1) from exc
    err.print(f"Serving on http://{bind_host}:{bind_port} (health: /healthz); Ctrl-C stops.")
    # uvicorn turns SIGINT/SIGTERM into a graceful shutdown, which runs the app's lifespan exit.
    uvicorn.run(create_app(), host=bind_host, port=bind_port, log_level=settings.log_level)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _run(lambda: mig.upgrade(DatabaseManager().engine, revision))
    err.print(f"Database at revision {revision}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes every table.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    _run(lambda: mig.downgrade(DatabaseManager().engine, revision))
    err.print(f"Database downgraded to {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one in the code."""
    current = _run(lambda: mig.current_revision(DatabaseManager().engine))
    typer.echo(f"database: {current or '(empty)'}\ncode head: {mig.head_revision()}")


@db_app.command("indexes")
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
            f"to {export}. Deploy them with "
            "`firebase deploy --only firestore:indexes`."
        )
        return
    for declared in registry.indexes:
        typer.echo(declared.describe())


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change does.")],
) -> None:
    """(Developers) autogenerate a migration from changes to models_sql.py."""
    _run(lambda: mig.new_revision(DatabaseManager().engine, message))


if __name__ == "__main__":
    app()

"""The ``wellness`` command: serve the API, manage the database, the user accounts, the event bus and
the demo data."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from backend.cli import db, demo, events, ingest, users, worker
from backend.cli.common import err
from backend.database import DatabaseManager
from backend.errors import WellnessError
from backend.service.demo import accounts

app = typer.Typer(help="Startup Wellness analytics backend.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(events.app, name="events")
app.add_typer(demo.app, name="demo")
app.command("ingest")(ingest.ingest)
app.command("worker")(worker.worker)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default from WELLNESS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from WELLNESS_PORT).")] = None,
    demo_on_first_start: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="On the first start of an embedded system (no data dir yet), load the demo data and "
            "create a demo analyst and VC user; never with WELLNESS_DATABASE_URL.",
        ),
    ] = False,
) -> None:
    """Serve the API (docs at /docs, health at /healthz); Ctrl-C stops it and the embedded database."""
    import uvicorn

    from backend.api.app import create_app
    from backend.api.middleware import RequestLogFilter

    manager = DatabaseManager()
    settings = manager.settings
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s [%(request_id)s] %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestLogFilter())
    bind_host, bind_port = host or settings.host, port or settings.port
    fresh = demo_on_first_start and accounts.is_fresh(settings)
    try:
        _ = manager.engine  # connect first: a bad URL gives one clear line, not a traceback
        if fresh:
            _first_start(manager)
    except WellnessError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        DatabaseManager.reset()
        raise typer.Exit(code=1) from exc
    err.print(f"Serving on http://{bind_host}:{bind_port} (API docs: /docs, health: /healthz); Ctrl-C stops.")
    if fresh:
        err.print(f"Sign in at http://{bind_host}:{bind_port}/docs (Authorize) with an account above.")
    # uvicorn turns SIGINT/SIGTERM into a graceful shutdown, which runs the app's lifespan exit.
    # Its own access log is off: the app logs one line per request, with the request id.
    uvicorn.run(
        create_app(settings=settings, worker=settings.embedded_worker),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _first_start(manager: DatabaseManager) -> None:
    """A fresh embedded system: the demo data and two demo accounts, their passwords shown once."""
    from backend.database import init_db

    err.print("First start: loading the demo data (docs/demo-data.md) ...")
    init_db()
    demo.seed_with_progress(manager)
    demo.create_accounts(manager)

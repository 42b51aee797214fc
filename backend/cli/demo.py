"""``wellness demo``: a synthetic portfolio to try the system on (docs/demo-data.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.common import err, run
from backend.database import DatabaseManager, crud_sql, init_db
from backend.service.context import Context
from backend.service.demo import accounts
from backend.service.demo import seed as demo
from backend.service.demo.generate import Scale
from backend.service.events.worker import Worker
from backend.service.reports import lifecycle
from backend.service.storage import open_storage

app = typer.Typer(help="Demo data.", no_args_is_help=True)
ScaleOption = Annotated[str, typer.Option("--scale", help="small (6 companies, 12 months) or full (20, 24).")]
AllowServer = Annotated[
    bool, typer.Option("--allow-server", help="Write into a configured server (WELLNESS_DATABASE_URL) too.")
]


def seed_with_progress(manager: DatabaseManager, *, seed: int = 1, scale: Scale = "full") -> demo.SeedReport:
    """The demo data, with a progress bar on standard error."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("demo data", total=demo.steps(scale))

        def step(what: str) -> None:
            bar.update(task, advance=1, description=what)

        return demo.seed(manager, manager.settings, seed=seed, scale=scale, step=step)


@app.command("seed")
def demo_seed(
    seed: Annotated[int, typer.Option(help="The random seed: the same seed gives the same data.")] = 1,
    scale: ScaleOption = "full",
    allow_server: AllowServer = False,
) -> None:
    """Write the demo portfolio through the import path; running it again changes nothing."""
    chosen = _scale(scale)
    manager = DatabaseManager()
    _refuse_server(manager, allow_server)
    report = run(lambda: seed_with_progress(manager, seed=seed, scale=chosen), migrate=True)
    err.print(
        f"{report.files} files imported: {report.inserted:,} rows inserted, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged."
    )
    for dataset, rows in report.by_dataset.items():
        typer.echo(f"{dataset}\t{rows}")


@app.command("report")
def demo_report(
    company: Annotated[
        str | None, typer.Option(help="The demo company's name (default: the first one).")
    ] = None,
    scale: ScaleOption = "full",
    allow_server: AllowServer = False,
) -> None:
    """From an empty data dir to a finished PDF and Excel of one demo company, through the real path:
    the demo files imported into both stores, their events handled, the analyses cached, the report
    requested, rendered by a worker, stored, and its links made."""
    chosen_scale = _scale(scale)
    manager = DatabaseManager()
    _refuse_server(manager, allow_server)

    def action() -> lifecycle.ReportPublic:
        init_db()
        seed_with_progress(manager, scale=chosen_scale)  # a second run changes nothing
        with manager.session(actor="demo") as session:
            viewer = accounts.analyst(session)
        if viewer is None:
            create_accounts(manager)
            with manager.session(actor="demo") as session:
                viewer = accounts.analyst(session)
        assert viewer is not None
        _drain(manager, "handling the demo's events")
        with manager.session(actor=viewer.actor) as session:
            ctx = Context(session, manager.documents, viewer)
            chosen = (
                crud_sql.companies.get_by(session, name=company)
                if company
                else crud_sql.companies.list(session, limit=1).items[0]
            )
            asked = lifecycle.request(ctx, lifecycle.ReportAsk(company_ids=[chosen.id]))
        err.print(f"report {asked.id} of {chosen.name} requested")
        _drain(manager, "rendering the report")
        ttl = timedelta(seconds=manager.settings.storage_link_ttl_s)
        with manager.session(actor=viewer.actor) as session:
            ctx = Context(session, manager.documents, viewer)
            return lifecycle.get(ctx, asked.id, open_storage(manager.settings), link_ttl=ttl)

    done = run(action, migrate=True)
    if done.status != "done":
        err.print(f"[red]error:[/red] the report {done.status}: {done.error}")
        raise typer.Exit(code=1)
    settings = manager.settings
    for fmt, link in done.links.items():
        where = ""
        if settings.storage_backend == "local":
            where = f"{settings.objects_dir / done.paths[fmt]}  "
        typer.echo(f"{fmt}\t{where}{link.url}")
    err.print(f"The links expire at {min(link.expires_at for link in done.links.values()):%H:%M} UTC.")


def create_accounts(manager: DatabaseManager) -> None:
    """The demo accounts, their passwords shown this once (and kept in DATA_DIR/demo-accounts.txt)."""
    made = accounts.create_accounts(manager)
    err.print("Demo accounts (also in DATA_DIR/demo-accounts.txt):")
    for account in made:
        grants = f", companies {account.companies}" if account.companies else ""
        err.print(f"  {account.role.value:<8} {account.email}  password: {account.password}{grants}")


def _scale(scale: str) -> Scale:
    if scale not in ("small", "full"):
        err.print(f"[red]error:[/red] --scale is small or full, not {scale!r}.")
        raise typer.Exit(code=2)
    return "small" if scale == "small" else "full"


def _refuse_server(manager: DatabaseManager, allow_server: bool) -> None:
    if manager.settings.database_url and not allow_server:
        err.print(
            "[red]error:[/red] WELLNESS_DATABASE_URL names a server: demo data is for the embedded "
            "database. Add --allow-server to write it there anyway."
        )
        raise typer.Exit(code=1)


def _drain(manager: DatabaseManager, what: str) -> None:
    with Progress(
        TextColumn("{task.description}"), TextColumn("{task.completed} events"), console=err
    ) as bar:
        task = bar.add_task(what, total=None)
        worker = Worker(manager, on_outcome=lambda _, __: bar.advance(task))
        worker.run_until_idle(timeout_s=1800)

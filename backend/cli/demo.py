"""``wellness demo``: a synthetic portfolio to try the system on (docs/demo-data.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.common import err, run
from backend.database import DatabaseManager
from backend.service.demo import seed as demo
from backend.service.demo.generate import Scale

app = typer.Typer(help="Demo data.", no_args_is_help=True)


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
    scale: Annotated[str, typer.Option(help="small (6 companies, 12 months) or full (20, 24).")] = "full",
    allow_server: Annotated[
        bool,
        typer.Option("--allow-server", help="Write into a configured server (WELLNESS_DATABASE_URL) too."),
    ] = False,
) -> None:
    """Write the demo portfolio through the import path; running it again changes nothing."""
    if scale not in ("small", "full"):
        err.print(f"[red]error:[/red] --scale is small or full, not {scale!r}.")
        raise typer.Exit(code=2)
    chosen: Scale = "small" if scale == "small" else "full"
    manager = DatabaseManager()
    if manager.settings.database_url and not allow_server:
        err.print(
            "[red]error:[/red] WELLNESS_DATABASE_URL names a server: demo data is for the embedded "
            "database. Add --allow-server to write it there anyway."
        )
        raise typer.Exit(code=1)

    report = run(lambda: seed_with_progress(manager, seed=seed, scale=chosen), migrate=True)
    err.print(
        f"{report.files} files imported: {report.inserted:,} rows inserted, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged."
    )
    for dataset, rows in report.by_dataset.items():
        typer.echo(f"{dataset}\t{rows}")

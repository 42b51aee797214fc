"""``wellness ingest``: the same import as ``POST /api/v1/ingest/files``, for files too big for a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.common import err, run
from backend.database import DatabaseManager, audit, get_db_session
from backend.database.models_sql import UserRole
from backend.errors import Forbidden
from backend.service.auth.service import load_viewer
from backend.service.context import Context
from backend.service.ingest import importer
from backend.service.users import service as users

DATASETS = "auto, companies, employees, financial_statements, invoices, payments, treatments, surveys"


def ingest(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, TSV or XLSX.")
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="The analyst or admin the import is done for (email).")
    ],
    dataset: Annotated[str, typer.Option("--dataset", help=f"One of: {DATASETS}.")] = "auto",
    company: Annotated[
        int | None, typer.Option("--company", help="The company, for a file without one.")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="The XLSX sheet (default: the first).")] = None,
) -> None:
    """Import a file: every row, or none with every problem listed (exit 1)."""

    def action() -> None:
        manager = DatabaseManager()
        with get_db_session(actor=f"cli:{as_user}") as session:
            user = users.by_email(session, as_user)
            viewer = load_viewer(session, user.id)
            if viewer is None or viewer.role not in (UserRole.ADMIN, UserRole.ANALYST):
                raise Forbidden(f"{as_user} is not an active analyst or admin; imports are theirs to make.")
            session.info[audit.ACTOR_KEY] = viewer.actor
            ctx = Context(session=session, store=manager.documents, viewer=viewer)
            with file.open("rb") as source, _bar() as bar:
                task = bar.add_task(f"Importing {file.name}", total=None)
                report = importer.import_file(
                    ctx, manager.settings, source=source, filename=file.name, dataset=dataset,
                    company_id=company, sheet=sheet,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )  # fmt: skip
        encoding = f", {report.encoding}" if report.encoding else ""
        err.print(
            f"{report.dataset} ({report.format}{encoding}): {report.rows:,} rows — {report.inserted:,} new, "
            f"{report.updated:,} changed, {report.unchanged:,} unchanged."
        )
        if report.ignored_columns:
            err.print(f"Columns not imported: {', '.join(report.ignored_columns)}")
        if report.job_id:
            err.print(f"Job {report.job_id}")

    run(action, migrate=True)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )

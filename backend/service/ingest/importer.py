"""Importing a file: read and validate every row first, then write all of them, or nothing.

Relational datasets are written in the caller's transaction: new rows through COPY, changed ones
updated, unchanged ones left alone, all keyed on the dataset's natural key, so uploading the same
file again changes nothing. Document datasets are written in batches under an ingestion job (see
``jobs``): their ids come from the natural key, so a retried or resumed import never duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import crud_sql, events, get_db_for_category
from backend.database.bulk_sql import copy_validated
from backend.database.routing import DatabaseType
from backend.errors import FieldProblem, NotFound
from backend.service.access import not_visible
from backend.service.context import Context
from backend.service.ingest import jobs
from backend.service.ingest.headers import ColumnMap
from backend.service.ingest.parsing import Parsed, ParsedRow, parse_rows
from backend.service.ingest.problems import Problems
from backend.service.ingest.reading import Limits, Table, read_table
from backend.service.ingest.schemas import Counts, ImportReport
from backend.service.ingest.targets import TARGETS, DocumentTarget, SqlTarget

Validated = tuple[int, BaseModel]  # (row number as the user sees it, the validated row)


def import_file(
    ctx: Context,
    settings: Settings,
    *,
    source: BinaryIO | bytes,
    filename: str | None,
    dataset: str,
    company_id: int | None = None,
    sheet: str | None = None,
    progress: jobs.Progress | None = None,
) -> ImportReport:
    """Import one uploaded file; ValidationFailed (422) listing every problem, with nothing written.

    ``progress(done, total)`` is called as rows are written (after each batch of a document dataset).
    """
    table = read_table(source, filename=filename, sheet=sheet, limits=Limits.from_settings(settings))
    parsed = parse_rows(dataset, table, company_id=company_id)
    target = TARGETS[parsed.dataset.name]
    rows = _visible_companies(ctx, parsed)
    if target.resolve is not None:
        rows = target.resolve(ctx, rows, parsed.columns, parsed.problems)
    valid = _validated(ctx, target, rows, parsed.columns, parsed.problems)
    parsed.problems.raise_if_any()
    store = get_db_for_category(target.category)  # the routing table decides where the rows go
    if store.database_type is DatabaseType.POSTGRESQL:
        assert isinstance(target, SqlTarget)
        counts = _upsert(ctx, target, valid)
        job_id = None
        if progress is not None:
            progress(counts.rows, counts.rows)
    else:
        assert isinstance(target, DocumentTarget)
        job_id, counts = jobs.write(
            ctx,
            target,
            parsed.dataset.name,
            valid,
            source=source,
            filename=filename,
            company_id=company_id,
            progress=progress,
        )
    return _report(table, parsed, counts, job_id)


def _visible_companies(ctx: Context, parsed: Parsed) -> list[ParsedRow]:
    """Rows of companies the viewer may see; a row naming any other company gets a problem."""
    missing = set()
    for company_id in parsed.company_ids:
        try:
            crud_sql.companies.read(ctx.session, company_id, within=ctx.viewer.companies)
        except NotFound:
            missing.add(company_id)
    if not missing:
        return parsed.rows
    kept = []
    for r in parsed.rows:
        if r.values.get("company_id") in missing:
            reason = not_visible("company_id", r.values["company_id"], "company").problems[0].reason
            header = parsed.columns.header_of("company_id")
            parsed.problems.add(FieldProblem(header, reason, row=r.row, value=r.values["company_id"]))
        else:
            kept.append(r)
    return kept


def _validated(
    ctx: Context,
    target: SqlTarget | DocumentTarget,
    rows: list[ParsedRow],
    columns: ColumnMap,
    problems: Problems,
) -> list[Validated]:
    valid = []
    for r in rows:
        try:
            model = (
                target.schema.model_validate(r.values)
                if isinstance(target, SqlTarget)
                else target.build(ctx, r.values)
            )
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field = ".".join(str(part) for part in error["loc"]) or "row"
                reason = str(error["msg"]).removeprefix("Value error, ")
                value = r.values.get(field.split(".")[0])
                problems.add(FieldProblem(columns.header_of(field), reason, row=r.row, value=value))
            continue
        valid.append((r.row, model))
    return valid


def _upsert(ctx: Context, target: SqlTarget, valid: Sequence[Validated]) -> Counts:
    """Insert new rows (COPY), update changed ones, leave unchanged ones: all in the caller's transaction."""
    session, repo = ctx.session, target.repo
    existing = repo.rows_by_key(
        session, target.key, [tuple(getattr(model, k) for k in target.key) for _, model in valid]
    )
    new: list[dict[str, Any]] = []
    numbers: list[int] = []
    changed: list[tuple[int, dict[str, Any]]] = []
    unchanged = 0
    for number, model in valid:
        stored = existing.get(tuple(getattr(model, k) for k in target.key))
        if stored is None:
            new.append(model.to_columns())  # type: ignore[attr-defined]
            numbers.append(number)
            continue
        given = model.model_dump(include=model.model_fields_set)  # a column the file lacks stays as it is
        difference = {k: v for k, v in given.items() if getattr(stored, k) != v}
        if difference:
            changed.append((stored.id, difference))
        else:
            unchanged += 1
    if new:
        copy_validated(
            session, model=repo.model, columns=list(new[0]), rows=new, row_numbers=numbers, emit=False
        )
    repo.update_many(session, changed, emit=False)
    counts = Counts(rows=len(valid), inserted=len(new), updated=len(changed), unchanged=unchanged)
    if new or changed:  # one event for the whole import, in its transaction
        companies = _companies(session, [model for _, model in valid])
        event = events.import_event(session, repo.table, companies=companies, counts=counts.changes)
        events.emit(session, event)
    return counts


def _companies(session: Session, models: Sequence[BaseModel]) -> set[int]:
    """The companies of imported rows (payments: their invoices')."""
    fields = type(models[0]).model_fields if models else {}
    if "invoice_id" in fields and "company_id" not in fields:
        ids = sorted({getattr(m, "invoice_id") for m in models})  # noqa: B009
        return crud_sql.invoices.companies_of_ids(session, ids)
    return {c for m in models if (c := getattr(m, "company_id", None)) is not None}


def _report(table: Table, parsed: Parsed, counts: Counts, job_id: str | None) -> ImportReport:
    return ImportReport(
        dataset=parsed.dataset.name,
        format=table.format,
        encoding=table.encoding,
        sheet=table.sheet,
        header_row=table.header_row,
        ignored_columns=list(parsed.columns.ignored),
        job_id=job_id,
        **counts.model_dump(),
    )

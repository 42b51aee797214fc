"""Importing a file: read and validate every row first, then write all of them, or nothing.

The file is read once, a chunk of rows at a time, so memory stays bounded by a chunk (plus the keys
seen, to find a key given twice) whatever the file's size; no parsed row or model is held for the
whole file.

Relational datasets are written in the caller's transaction as each chunk is validated: new rows
through COPY, changed ones updated, unchanged ones left alone, all keyed on the dataset's natural key,
so uploading the same file again changes nothing. A problem anywhere stops the writing and the
import raises ValidationFailed once every row is checked: the caller's transaction is rolled back, so
nothing written is ever kept. Document datasets cannot be rolled back: their validated documents are
spooled to a temporary file, and only when the whole file is valid written in batches under an
ingestion job (see ``jobs``); their ids come from the natural key, so a retried or resumed import
never duplicates.
"""

from __future__ import annotations

import contextlib
import gc
import operator
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any, BinaryIO

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import audit, crud_sql, events, get_db_for_category
from backend.database.bulk_sql import _row_adapter, copy_validated
from backend.database.routing import DatabaseType
from backend.errors import FieldProblem, NotFound
from backend.service.access import not_visible
from backend.service.context import Context
from backend.service.ingest import jobs
from backend.service.ingest.headers import ColumnMap
from backend.service.ingest.parsing import ParsedRow, RowStream
from backend.service.ingest.problems import Problems
from backend.service.ingest.reading import Limits, Table, read_table
from backend.service.ingest.schemas import Counts, ImportReport
from backend.service.ingest.targets import TARGETS, DocumentTarget, SqlTarget

CHUNK_ROWS = 5_000  # rows parsed, validated and written together
# (row number, the row's columns with defaults, the fields the file gave: a column it lacks is not updated)
Validated = tuple[int, dict[str, Any], Iterable[str]]


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
    with _collections_skip_older_objects():
        return _import(ctx, settings, source, filename, dataset, company_id, sheet, progress)


@contextlib.contextmanager
def _collections_skip_older_objects() -> Iterator[None]:
    """An import allocates millions of short-lived objects, so the garbage collector runs often, and
    each full collection walks every object of the process (the whole app): about half of an
    import's time. Objects older than the import are frozen out of collections until it ends
    (``gc.freeze``; the objects the import makes are collected as usual)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _import(
    ctx: Context,
    settings: Settings,
    source: BinaryIO | bytes,
    filename: str | None,
    dataset: str,
    company_id: int | None,
    sheet: str | None,
    progress: jobs.Progress | None,
) -> ImportReport:
    table = read_table(source, filename=filename, sheet=sheet, limits=Limits.from_settings(settings))
    stream = RowStream(dataset, table, company_id=company_id)
    target = TARGETS[stream.dataset.name]
    store = get_db_for_category(target.category)  # the routing table decides where the rows go
    if store.database_type is DatabaseType.POSTGRESQL:
        assert isinstance(target, SqlTarget)
        counts = _import_sql(ctx, target, stream)
        job_id = None
        if progress is not None:
            progress(counts.rows, counts.rows)
    else:
        assert isinstance(target, DocumentTarget)
        with tempfile.TemporaryFile() as spool:
            rows, companies = _spool_documents(ctx, target, stream, spool)
            spool.seek(0)
            job_id, counts = jobs.write(
                ctx,
                target,
                stream.dataset.name,
                _unspooled(spool),
                rows=rows,
                companies=companies,
                source=source,
                filename=filename,
                company_id=company_id,
                progress=progress,
            )
    return _report(table, stream, counts, job_id)


def _chunks(ctx: Context, target: SqlTarget | DocumentTarget, stream: RowStream) -> Iterator[list[ParsedRow]]:
    """The stream's good rows a chunk at a time: rows of companies the viewer cannot see, and rows
    whose codes name nothing, are left out with their problems."""
    visible = _Visible(ctx, stream)
    known: dict[Any, Any] = {}  # the codes resolved so far
    rows = iter(stream)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        chunk = visible.rows(chunk)
        if target.resolve is not None:
            chunk = target.resolve(ctx, chunk, stream.columns, stream.problems, known)
        yield chunk


class _Visible:
    """Whether the viewer may see each company rows name, asked once per company."""

    def __init__(self, ctx: Context, stream: RowStream) -> None:
        self.ctx, self.stream = ctx, stream
        self.known: dict[int, bool] = {}

    def rows(self, chunk: list[ParsedRow]) -> list[ParsedRow]:
        missing = set()
        for company_id in {r.values["company_id"] for r in chunk if "company_id" in r.values}:
            if company_id not in self.known:
                try:
                    crud_sql.companies.read(self.ctx.session, company_id, within=self.ctx.viewer.companies)
                    self.known[company_id] = True
                except NotFound:
                    self.known[company_id] = False
            if not self.known[company_id]:
                missing.add(company_id)
        if not missing:
            return chunk
        kept = []
        header = self.stream.columns.header_of("company_id")
        for r in chunk:
            if (company_id := r.values.get("company_id")) in missing:
                reason = not_visible("company_id", company_id, "company").problems[0].reason
                self.stream.problems.add(FieldProblem(header, reason, row=r.row, value=company_id))
            else:
                kept.append(r)
        return kept


def _problems_of(
    exc: ValidationError, rows: Sequence[ParsedRow], columns: ColumnMap, problems: Problems, *, indexed: bool
) -> set[int]:
    """Add the errors of ``exc`` (of one row, or of a list of ``rows`` when ``indexed``) to ``problems``;
    answers the indexes of the rows that have one."""
    bad = set()
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        index = int(loc[0]) if indexed else 0
        bad.add(index)
        field = ".".join(str(part) for part in (loc[1:] if indexed else loc)) or "row"
        reason = str(error["msg"]).removeprefix("Value error, ")
        r = rows[index]
        value = r.values.get(field.split(".")[0])
        problems.add(FieldProblem(columns.header_of(field), reason, row=r.row, value=value))
    return bad


# -- relational datasets ---------------------------------------------------------------------------


def _validated_sql(
    target: SqlTarget, rows: list[ParsedRow], columns: ColumnMap, problems: Problems
) -> list[Validated]:
    """Each good row as its table's columns (defaults included) and the fields the file gave.

    A schema without validators of its own is checked a chunk at a time as TypedDicts (the bulk path's
    adapter: the same fields and constraints, several times faster than a model per row)."""
    try:
        adapter = _row_adapter(target.schema)
    except TypeError:  # model or field validators: a model per row
        adapter = None
    if adapter is None:
        valid: list[Validated] = []
        for r in rows:
            try:
                model = target.schema.model_validate(r.values)
            except ValidationError as exc:
                _problems_of(exc, [r], columns, problems, indexed=False)
                continue
            valid.append((r.row, model.to_columns(), model.model_fields_set))
        return valid
    good = rows
    try:
        out = adapter.validate_python([r.values for r in rows])
    except ValidationError as exc:
        bad = _problems_of(exc, rows, columns, problems, indexed=True)
        good = [r for i, r in enumerate(rows) if i not in bad]
        out = adapter.validate_python([r.values for r in good])
    return [(r.row, cols, r.values.keys()) for r, cols in zip(good, out, strict=True)]


class _SqlWriter:
    """Upserts validated chunks in the caller's transaction; the import's one audit entry per kind
    of write and its one event are written by ``finish``."""

    def __init__(self, ctx: Context, target: SqlTarget) -> None:
        self.session, self.target, self.repo = ctx.session, target, target.repo
        self.rows = self.inserted = self.updated = self.unchanged = 0
        self.columns: list[str] = []
        self.fields: set[str] = set()
        self.companies: set[int] = set()
        self.invoices: set[int] = set()
        self.had: dict[int, bool] = {}

    def write(self, valid: Sequence[Validated]) -> None:
        session, repo, key = self.session, self.repo, self.target.key
        self.rows += len(valid)
        if not valid:
            return
        looked_up = valid
        if key[0] == "company_id":  # rows of a company the table had none of are new: not looked up
            had = {c for c in {cols["company_id"] for _, cols, _ in valid} if self._had_rows(c)}
            looked_up = [v for v in valid if v[1]["company_id"] in had] if had else []
        of = operator.itemgetter(*key) if len(key) > 1 else lambda cols: (cols[key[0]],)
        existing = repo.rows_by_key(session, key, [of(cols) for _, cols, _ in looked_up]) if looked_up else {}
        new: list[dict[str, Any]] = []
        numbers: list[int] = []
        changed: list[tuple[int, dict[str, Any]]] = []
        for number, cols, given in valid:
            stored = existing.get(of(cols)) if existing else None
            if stored is None:
                new.append(cols)
                numbers.append(number)
                continue
            difference = {k: cols[k] for k in given if getattr(stored, k) != cols[k]}
            if difference:
                changed.append((stored.id, difference))
            else:
                self.unchanged += 1
        if new:
            self.columns = list(new[0])
            copy_validated(
                session, model=repo.model, columns=self.columns, rows=new, row_numbers=numbers,
                emit=False, record=False,
            )  # fmt: skip
            self.inserted += len(new)
        if changed:
            repo.update_many(session, changed, emit=False, record=False)
            self.updated += len(changed)
            self.fields.update(name for _, difference in changed for name in difference)
        for _, cols, _ in valid:  # the companies of every imported row (payments: their invoices')
            if (company := cols.get("company_id")) is not None:
                self.companies.add(company)
            elif "invoice_id" in cols:
                self.invoices.add(cols["invoice_id"])

    def _had_rows(self, company_id: int) -> bool:
        """Whether the table held rows of the company when the import began (asked before any row of
        the company is written: a file never gives a key twice, so its own rows never clash)."""
        if (had := self.had.get(company_id)) is None:
            had = self.had[company_id] = self.repo.has_company_rows(self.session, company_id)
        return had

    def finish(self) -> Counts:
        session, table = self.session, self.repo.table
        counts = Counts(
            rows=self.rows, inserted=self.inserted, updated=self.updated, unchanged=self.unchanged
        )
        if self.inserted:
            changes = {"rows": self.inserted, "fields": self.columns}
            audit.record(session, action="bulk_create", table=table, entity_id=None, changes=changes)
        if self.updated:
            changes = {"rows": self.updated, "fields": sorted(self.fields)}
            audit.record(session, action="bulk_update", table=table, entity_id=None, changes=changes)
        if self.inserted or self.updated:  # one event for the whole import, in its transaction
            companies = self.companies | _invoice_companies(session, self.invoices)
            event = events.import_event(session, table, companies=companies, counts=counts.changes)
            events.emit(session, event)
        return counts


def _invoice_companies(session: Session, invoices: set[int]) -> set[int]:
    return crud_sql.invoices.companies_of_ids(session, sorted(invoices)) if invoices else set()


def _import_sql(ctx: Context, target: SqlTarget, stream: RowStream) -> Counts:
    """Validate and write chunk by chunk; after the first problem only validate (the caller's
    transaction is rolled back by the ValidationFailed raised at the end)."""
    writer = _SqlWriter(ctx, target)
    for chunk in _chunks(ctx, target, stream):
        valid = _validated_sql(target, chunk, stream.columns, stream.problems)
        if not stream.problems:
            writer.write(valid)
    stream.problems.raise_if_any()
    return writer.finish()


# -- document datasets ------------------------------------------------------------------------------


def _spool_documents(
    ctx: Context, target: DocumentTarget, stream: RowStream, spool: IO[bytes]
) -> tuple[int, list[int]]:
    """Validate every row as its document; the documents, ``(id, data)``, pickled into ``spool`` a
    chunk at a time. Answers how many and their companies; ValidationFailed for any problem."""
    dataset, columns, problems = stream.dataset.name, stream.columns, stream.problems
    rows = 0
    companies: set[int] = set()
    for chunk in _chunks(ctx, target, stream):
        documents = []
        for r in chunk:
            try:
                model: BaseModel = target.build(ctx, r.values)
            except ValidationError as exc:
                _problems_of(exc, [r], columns, problems, indexed=False)
                continue
            data = model.model_dump()
            documents.append((target.document_id(dataset, data), data))
            if (company := data.get("company_id")) is not None:
                companies.add(company)
        rows += len(documents)
        if not problems:
            pickle.dump(documents, spool, protocol=pickle.HIGHEST_PROTOCOL)
    problems.raise_if_any()
    return rows, sorted(companies)


def _unspooled(spool: IO[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    while True:
        try:
            documents = pickle.load(spool)  # noqa: S301 - our own temporary file, written just now
        except EOFError:
            return
        yield from documents


def _report(table: Table, stream: RowStream, counts: Counts, job_id: str | None) -> ImportReport:
    return ImportReport(
        dataset=stream.dataset.name,
        format=table.format,
        encoding=table.encoding,
        sheet=table.sheet,
        header_row=table.header_row,
        ignored_columns=list(stream.columns.ignored),
        job_id=job_id,
        **counts.model_dump(),
    )

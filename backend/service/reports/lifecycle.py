"""A report's life: ``requested`` (a ``reports`` document, whose creation is the event
``report.requested``) → a worker renders its files, stores them and marks it ``done`` with their
paths, or ``failed`` with the error and no stored files → the API hands out links that expire →
deleted: the document goes at once (its deletion is the event ``report.deleted``), and a worker
removes the stored files.

Rendering is idempotent: a redelivered event of a done report does nothing, and a report rendered
again (after a crash between storing and marking done) writes the same paths, so one set of files
exists. A report deleted while it is rendered leaves no files: whichever of the two ends last
removes them. A VC user's report is rendered as that user sees the data (small groups suppressed); VC
users see their own reports only, the Startup Wellness team every report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from backend.database import audit, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.documents.paths import new_id
from backend.database.models import Report, ReportFormat
from backend.database.validation import INT64_MAX
from backend.errors import NotFound
from backend.service.analysis import service as analyses
from backend.service.auth.service import load_viewer
from backend.service.bigquery.service import BigQueryService
from backend.service.context import Context
from backend.service.reports import excel, pdf
from backend.service.reports.data import ReportData
from backend.service.reports.gather import gather
from backend.service.schemas import Listing, Public
from backend.service.storage.port import ObjectStorage

log = logging.getLogger(__name__)
CompanyId = Annotated[int, Field(ge=1, le=INT64_MAX)]
RENDERERS: dict[str, tuple[Callable[[ReportData], bytes], str]] = {
    "pdf": (pdf.render_pdf, "application/pdf"),
    "xlsx": (excel.render_excel, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _both_formats() -> list[ReportFormat]:
    return ["pdf", "xlsx"]


class ReportAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_ids: list[CompanyId] | None = Field(
        default=None, min_length=1, max_length=500, description="Omitted: every company you may see."
    )
    formats: list[ReportFormat] = Field(default_factory=_both_formats, min_length=1, max_length=2)

    @field_validator("formats")
    @classmethod
    def _once_each(cls, value: list[ReportFormat]) -> list[ReportFormat]:
        if len(set(value)) != len(value):
            raise ValueError("lists a format twice")
        return value


class ReportLink(BaseModel):
    url: str
    expires_at: datetime


class ReportPublic(Public):
    id: str
    kind: str = Field(description="company (one company) or portfolio.")
    company_id: int | None
    companies: list[int] | None = Field(description="The scope; null: every company.")
    formats: list[str]
    status: str = Field(description="requested, running, done or failed.")
    error: str | None
    created_at: datetime
    completed_at: datetime | None
    paths: dict[str, str] = Field(description="Once done: each format's object in the storage.")
    links: dict[str, ReportLink] = Field(description="Once done: a download link per format, expiring.")


def request(ctx: Context, ask: ReportAsk) -> ReportPublic:
    """A new report of the companies asked for (each must be visible: any other answers 404)."""
    scope = analyses.scope_for(ctx, ask.company_ids)
    one = next(iter(scope)) if scope is not None and len(scope) == 1 else None
    report = Report(
        company_id=one,
        scope=None if scope is None else sorted(scope),
        kind="company" if one is not None else "portfolio",
        formats=list(ask.formats),
        requested_by=ctx.viewer.user_id,
        created_at=datetime.now(UTC),
    )
    report_id = new_id()
    _audit(
        ctx, "create", report_id, {"kind": report.kind, "companies": report.scope, "formats": report.formats}
    )
    report_id, report = crud.reports.create(ctx.store, data=report, doc_id=report_id, actor=ctx.viewer.actor)
    return _public(report_id, report, {})


def get(ctx: Context, report_id: str, storage: ObjectStorage, *, link_ttl: timedelta) -> ReportPublic:
    """A report the viewer may see (any other answers 404), with its links once done."""
    report = _seen(ctx, report_id)
    links: dict[str, ReportLink] = {}
    if report.status == "done":
        expires = datetime.now(UTC) + link_ttl
        for fmt, path in report.storage_paths.items():
            url = storage.link(path, link_ttl, filename=path.rsplit("/", 1)[-1])
            links[fmt] = ReportLink(url=url, expires_at=expires)
    return _public(report_id, report, links)


def delete(ctx: Context, report_id: str) -> None:
    """Delete a report the viewer may see (any other answers 404); its files go with the event
    ``report.deleted`` (``remove_files``), so links already handed out stop working then."""
    _seen(ctx, report_id)
    _audit(ctx, "delete", report_id, {})
    crud.reports.delete(ctx.store, report_id, actor=ctx.viewer.actor)


def remove_files(storage: ObjectStorage, report_id: str) -> int:
    """Remove every stored file of a report (all of ``reports/<id>/``); answers how many. Running it
    again removes nothing more."""
    removed = 0
    for stored in storage.list(_prefix(report_id)):
        removed += storage.delete(stored.path)
    return removed


def listing(ctx: Context, *, after: str | None, limit: int) -> Listing[ReportPublic]:
    """The reports the viewer may see, newest first (links: ask for one report)."""
    conditions = [] if ctx.viewer.companies is None else [_mine(ctx)]
    page = crud.reports.list(ctx.store, conditions=conditions, after=after, limit=limit)
    return Listing([_public(i, r, {}) for i, r in page.items if _visible(ctx, r)], page.next_after)


def render(
    session: Session,
    store: DocumentStore,
    storage: ObjectStorage,
    report_id: str,
    *,
    warehouse: BigQueryService | None = None,
) -> None:
    """Render a requested report's files, store them, mark it done; on any error remove what was
    stored and mark it failed with the error (a done report is left alone)."""
    report = crud.reports.find(store, report_id)
    if report is None or report.status == "done":
        return
    viewer = load_viewer(session, report.requested_by)
    ctx = None if viewer is None else Context(session, store, viewer, warehouse)
    try:
        if ctx is None:
            raise PermissionError("the user who asked for this report is disabled or gone")
        crud.reports.update(store, report_id, data={"status": "running"})
        data = gather(ctx, report.scope)
        paths: dict[str, str] = {}
        for fmt in report.formats:
            draw, content_type = RENDERERS[fmt]
            path = f"{_prefix(report_id)}{_file_name(session, report)}.{fmt}"
            storage.put(path, draw(data), content_type=content_type)
            paths[fmt] = path
    except Exception as exc:
        remove_files(storage, report_id)
        if crud.reports.find(store, report_id) is None:  # deleted while it was rendered
            return
        log.exception("report %s failed", report_id)
        error = f"{type(exc).__name__}: {exc}"[:5000]
        crud.reports.update(
            store, report_id, data={"status": "failed", "error": error, "completed_at": datetime.now(UTC)}
        )
        return
    done = {"status": "done", "storage_paths": paths, "error": None, "completed_at": datetime.now(UTC)}
    try:
        crud.reports.update(store, report_id, data=done)
    except NotFound:  # deleted while it was rendered: the files stored since go too
        remove_files(storage, report_id)


def _audit(ctx: Context, action: str, report_id: str, changes: dict[str, object]) -> None:
    """Asking for a report and deleting one are writes: the audit log names who did them."""
    audit.record(
        ctx.session, action=action, table=crud.reports.collection, entity_id=report_id, changes=changes
    )


def _prefix(report_id: str) -> str:
    return f"reports/{report_id}/"


def _file_name(session: Session, report: Report) -> str:
    """The company's name for a company report ("株式会社テスト_2026-12-02"), else the portfolio's."""
    day = report.created_at.date().isoformat()
    if report.company_id is None:
        return f"portfolio_{day}"
    name = crud_sql.companies.get(session, report.company_id).name
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80] or "company"
    return f"{safe}_{day}"


def _mine(ctx: Context) -> dict[str, object]:
    return {"field": "requested_by", "operator": "==", "value": ctx.viewer.user_id}


def _seen(ctx: Context, report_id: str) -> Report:
    """The report, when the viewer may see it; NotFound otherwise, as for one that does not exist."""
    report = crud.reports.find(ctx.store, report_id)
    if report is None or not _visible(ctx, report):
        raise crud.reports.not_found(report_id)
    return report


def _visible(ctx: Context, report: Report) -> bool:
    visible = ctx.viewer.companies
    if visible is None:  # the Startup Wellness team
        return True
    return (
        report.requested_by == ctx.viewer.user_id
        and report.scope is not None
        and set(report.scope) <= visible
    )


def _public(report_id: str, report: Report, links: dict[str, ReportLink]) -> ReportPublic:
    return ReportPublic(
        id=report_id,
        kind=report.kind,
        company_id=report.company_id,
        companies=report.scope,
        formats=list(report.formats),
        status=report.status,
        error=report.error,
        created_at=report.created_at,
        completed_at=report.completed_at,
        paths=dict(report.storage_paths),
        links=links,
    )

"""What workers do with events: each handler is idempotent through the processed-event ledger.

A handler whose effect is in PostgreSQL records (event id, handler) in ``processed_events`` in the
same transaction as its effect; one whose effect is a document checks the document ledger in the
document transaction. Redelivered events therefore take effect once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from backend.database import crud, queue_sql
from backend.database.documents import DocumentStore
from backend.database.events import Event
from backend.database.routing import DataCategory

if TYPE_CHECKING:
    from backend.service.bigquery.service import BigQueryService
    from backend.service.storage.port import ObjectStorage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandlerContext:
    session: Session  # the worker's transaction: the handler's SQL effect commits with the ack
    store: DocumentStore
    event: Event
    warehouse: BigQueryService | None = None  # what refreshed analyses read through
    storage: ObjectStorage | None = None  # where rendered reports go


@dataclass(frozen=True)
class Handler:
    name: str  # the ledger key: never rename a handler that has run
    wants: Callable[[Event], bool]
    run: Callable[[HandlerContext], None]
    ordered: bool = False  # its events of one company must be handled one at a time, in order


def _touches_data(event: Event) -> bool:
    """Events that change a company's data (a report request, a chat or a user change do not)."""
    excluded = {DataCategory.REPORT, DataCategory.CHAT, DataCategory.USER_MASTER}
    return bool(event.companies) and event.category not in {c.value for c in excluded}


def bump_data_version(ctx: HandlerContext) -> None:
    """Every event touching a company's data bumps its data version (analytics keys include it)."""
    if queue_sql.first_time(ctx.session, ctx.event.id, "data_version"):
        queue_sql.bump_versions(ctx.session, ctx.event.companies)


def mark_analytics_stale(ctx: HandlerContext) -> None:
    """The company's cached analyses, and the portfolio-wide ones, no longer match its data."""
    companies: list[int | None] = [*ctx.event.companies, None]
    marked = crud.mark_analytics_stale(ctx.store, companies, ledger_id=f"{ctx.event.id}.stale_analytics")
    if marked:
        log.info("%s: marked %d cached analyses stale", ctx.event.type, marked)


REFRESH_USED_WITHIN = timedelta(days=1)


def refresh_analytics(ctx: HandlerContext) -> None:
    """Stale cached analyses of the event's companies that were in use (computed or served within
    ``REFRESH_USED_WITHIN``) are computed again for the new data, so the next request finds them
    ready; the stale entry they replace goes. Best effort: a failure leaves the entry stale (the next
    request computes it) and never holds up the event's other effects."""
    from backend.service.analysis import service  # the analyses load only where they are needed

    since = datetime.now(UTC) - REFRESH_USED_WITHIN
    for company_id in [*sorted(ctx.event.companies), None]:
        stale: list[dict[str, object]] = [  # company_id None: the portfolio-wide entries
            {"field": "company_id", "operator": "==", "value": company_id},
            {"field": "stale", "operator": "==", "value": True},
        ]
        for doc_id, entry in crud.analytics.scan(ctx.store, conditions=stale):
            if entry.last_used_at is None or entry.last_used_at < since:
                continue
            try:
                with ctx.session.begin_nested():
                    refreshed = service.refresh(ctx.session, ctx.store, entry, warehouse=ctx.warehouse)
            except Exception as exc:  # best effort: the entry stays stale
                log.warning("could not refresh the cached %s %s: %s", entry.analysis, doc_id, exc)
                continue
            if refreshed:
                crud.analytics.delete(ctx.store, doc_id)


def run_analysis_job(ctx: HandlerContext) -> None:
    """An analysis too large to answer inline is computed here, into the cache; its job says done."""
    from backend.service.analysis import service

    if ctx.event.entity_id is not None:
        service.run_job(ctx.session, ctx.store, ctx.event.entity_id, warehouse=ctx.warehouse)


def render_report(ctx: HandlerContext) -> None:
    """A requested report is rendered, stored and marked done (or failed) here."""
    from backend.service.reports import lifecycle  # the renderers load only where they are needed

    report_id, storage = _report_event(ctx)
    lifecycle.render(ctx.session, ctx.store, storage, report_id, warehouse=ctx.warehouse)


def remove_report_files(ctx: HandlerContext) -> None:
    """A deleted report's stored files go here (the document went with the request)."""
    from backend.service.reports import lifecycle

    report_id, storage = _report_event(ctx)
    removed = lifecycle.remove_files(storage, report_id)
    log.info("report %s deleted: removed %d stored files", report_id, removed)


def _report_event(ctx: HandlerContext) -> tuple[str, ObjectStorage]:
    """The report an event is about, and where its files are."""
    if ctx.event.entity_id is None or ctx.storage is None:
        raise RuntimeError("a report event needs its report id and a worker with object storage")
    return ctx.event.entity_id, ctx.storage


HANDLERS: tuple[Handler, ...] = (
    Handler("data_version", _touches_data, bump_data_version),
    Handler("stale_analytics", _touches_data, mark_analytics_stale),
    Handler("refresh_analytics", _touches_data, refresh_analytics),
    Handler("analysis_job", lambda e: e.type == "analysis_job.requested", run_analysis_job),
    Handler("report_requested", lambda e: e.type == "report.requested", render_report),
    Handler("report_deleted", lambda e: e.type == "report.deleted", remove_report_files),
)


def handlers_for(event: Event, handlers: tuple[Handler, ...] = HANDLERS) -> list[Handler]:
    return [h for h in handlers if h.wants(event)]


def needs_order(handlers: tuple[Handler, ...]) -> Callable[[Event], bool] | None:
    """Whether an event has a handler that needs its company's events in order; None when no
    handler needs order (the queue then orders nothing)."""
    ordered = [h for h in handlers if h.ordered]
    if not ordered:
        return None
    return lambda event: event.company_id is not None and any(h.wants(event) for h in ordered)

"""Reports: ``POST /reports`` asks for one (a worker renders it), ``GET /reports/{id}`` answers its
status and, once done, download links that expire; ``GET /reports`` lists what the caller may see;
``DELETE /reports/{id}`` deletes one (a worker removes its files)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations when defined.

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict

from backend.api.answers import answer, answer_for, answer_page
from backend.api.deps import AccessDep, ContextDep, CursorsDep, SettingsDep, StorageDep, UnitDep
from backend.api.paging import Page, PageParams
from backend.service.context import Context
from backend.service.reports import lifecycle

router = APIRouter(prefix="/reports", tags=["reports"])
ReportId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class NoFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")


@router.post(
    "",
    response_model=lifecycle.ReportPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a report (PDF and/or Excel) of one company or a portfolio",
)
async def create_report(
    ctx: ContextDep, unit: UnitDep, ask: Annotated[lifecycle.ReportAsk, Body()]
) -> Response:
    return await answer(lambda: lifecycle.request(ctx, ask), unit, status.HTTP_202_ACCEPTED)


@router.get("", response_model=Page[lifecycle.ReportPublic], summary="The reports you may see, newest first")
async def list_reports(
    access: AccessDep, cursors: CursorsDep, params: Annotated[PageParams, Query()]
) -> Response:
    def fetch(ctx: Context, _: NoFilters, after: Any, limit: int) -> Any:
        return lifecycle.listing(ctx, after=after, limit=limit)

    return await answer_page(
        access, cursors, listing="reports", params=params, filters=NoFilters, fetch=fetch,
        page=Page[lifecycle.ReportPublic],
    )  # fmt: skip


@router.get(
    "/{report_id}",
    response_model=lifecycle.ReportPublic,
    summary="A report's status and, once done, its download links (they expire)",
)
async def get_report(
    report_id: ReportId, access: AccessDep, settings: SettingsDep, storage: StorageDep
) -> Response:
    ttl = timedelta(seconds=settings.storage_link_ttl_s)
    return await answer_for(access, lambda ctx: lifecycle.get(ctx, report_id, storage, link_ttl=ttl))


@router.delete(
    "/{report_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a report you may see; its stored files are removed by the worker soon after",
)
async def delete_report(report_id: ReportId, ctx: ContextDep, unit: UnitDep) -> Response:
    return await answer(lambda: lifecycle.delete(ctx, report_id), unit, status.HTTP_204_NO_CONTENT)

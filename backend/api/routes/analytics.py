"""The analyses: one GET each, for one company (``company_id``) or every company the caller may see.

Answers come from the analytics cache when their data has not changed (``from_cache``,
``computed_at``). VC users get aggregates over at least 5 employees; ``segments`` is for the
Startup Wellness team only (the route table). Methods: docs/analysis.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from backend.api.answers import answer
from backend.api.deps import ContextDep, UnitDep
from backend.database.validation import INT64_MAX
from backend.service.analysis import service
from backend.service.analysis.roi import RoiAssumptions
from backend.service.analysis.wellness import WellnessWeights

router = APIRouter(prefix="/analytics", tags=["analytics"])

CompanyQuery = Annotated[
    int | None, Query(ge=1, le=INT64_MAX, description="One company; omitted: every company you may see.")
]
LagQuery = Annotated[int, Query(ge=0, le=24, description="Months between wellness and the KPI.")]
Weight = Annotated[float, Query(ge=0, le=100)]


@router.get("/vas-change", response_model=service.Answer, summary="VAS before → after, per dimension")
async def get_vas_change(ctx: ContextDep, unit: UnitDep, company_id: CompanyQuery = None) -> Response:
    return await answer(lambda: service.vas(ctx, company_id), unit)


@router.get("/wellness-score", response_model=service.Answer, summary="Monthly wellness score and trend")
async def get_wellness_score(
    ctx: ContextDep,
    unit: UnitDep,
    company_id: CompanyQuery = None,
    physical: Weight = 1.0,
    mental: Weight = 1.0,
    motivation: Weight = 1.0,
    communication: Weight = 1.0,
    other: Weight = 1.0,
    participation: Annotated[float, Query(ge=0, le=1)] = 0.2,
) -> Response:
    weights = WellnessWeights(
        physical=physical,
        mental=mental,
        motivation=motivation,
        communication=communication,
        other=other,
        participation=participation,
    )
    return await answer(lambda: service.wellness(ctx, company_id, weights), unit)


@router.get("/correlation", response_model=service.Answer, summary="Wellness vs P&L KPIs")
async def get_correlation(
    ctx: ContextDep, unit: UnitDep, company_id: CompanyQuery = None, lag_months: LagQuery = 0
) -> Response:
    return await answer(lambda: service.kpi_correlation(ctx, company_id, lag_months), unit)


@router.get("/regression", response_model=service.Answer, summary="A KPI on wellness, with controls")
async def get_regression(
    ctx: ContextDep,
    unit: UnitDep,
    company_id: CompanyQuery = None,
    kpi: service.Kpi = "leaver_rate",
    lag_months: LagQuery = 0,
) -> Response:
    return await answer(lambda: service.kpi_regression(ctx, company_id, kpi, lag_months), unit)


@router.get("/roi", response_model=service.Answer, summary="Programme ROI per company and VC firm")
async def get_roi(
    ctx: ContextDep,
    unit: UnitDep,
    company_id: CompanyQuery = None,
    yen_per_leaver: Annotated[int, Query(ge=0, le=10**9)] = 2_000_000,
    yen_per_vas_point_month: Annotated[int, Query(ge=0, le=10**7)] = 500,
) -> Response:
    assumptions = RoiAssumptions(
        yen_per_leaver=yen_per_leaver, yen_per_vas_point_month=yen_per_vas_point_month
    )
    return await answer(lambda: service.programme_roi(ctx, company_id, assumptions), unit)


@router.get("/segments", response_model=service.Answer, summary="Employee segments by VAS profile")
async def get_segments(
    ctx: ContextDep,
    unit: UnitDep,
    company_id: CompanyQuery = None,
    k: Annotated[int | None, Query(ge=2, le=20, description="Segments; omitted: by silhouette.")] = None,
) -> Response:
    return await answer(lambda: service.employee_segments(ctx, company_id, k), unit)

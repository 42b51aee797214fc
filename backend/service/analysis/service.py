"""The analyses for a viewer: scope, privacy, loading, caching. What the API's analysis routes call.

- **Scope**: one company (``company_id``; one the viewer cannot see answers 404, as a missing one
  does) or every company the viewer may see.
- **Privacy**: VC users get aggregates over at least ``VC_MIN_GROUP`` employees (smaller groups and
  those that would reveal them are suppressed); the Startup Wellness team sees every group.
  ``segments`` describes individuals and is for the team only (the route table says so).
- **Cache**: every answer goes through the analytics cache; it says whether it came from there and
  when it was computed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.database import crud_sql
from backend.database.models_sql import Company, Invoice, UserRole
from backend.service.analysis import cache, loaders
from backend.service.analysis.correlation import Correlation, correlation
from backend.service.analysis.regression import Regression, regression
from backend.service.analysis.results import VasChange
from backend.service.analysis.roi import RoiAssumptions, RoiResult, roi
from backend.service.analysis.segments import Segments, segments
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import WellnessScore, WellnessWeights, monthly_scores, wellness_score
from backend.service.context import Context

VC_MIN_GROUP = 5
Kpi = Literal["revenue_growth", "operating_margin", "leaver_rate"]


class Answer(BaseModel):
    """An analysis result with where it came from."""

    analysis: str
    companies: list[int] | Literal["all"] = Field(description="The scope: company ids, or every company.")
    from_cache: bool
    computed_at: datetime
    result: Any


def _scope(ctx: Context, company_id: int | None) -> frozenset[int] | None:
    if company_id is not None:
        crud_sql.companies.read(ctx.session, company_id, within=ctx.viewer.companies)  # NotFound
        return frozenset({company_id})
    return ctx.viewer.companies


def _min_group(ctx: Context) -> int:
    return VC_MIN_GROUP if ctx.viewer.role is UserRole.VC else 1


def _answer(
    ctx: Context,
    analysis: str,
    company_id: int | None,
    parameters: dict[str, Any],
    result_type: type[cache.R],
    compute: Callable[[frozenset[int] | None, int], cache.R],
) -> Answer:
    scope = _scope(ctx, company_id)
    min_group = _min_group(ctx)
    got = cache.cached(
        ctx.session,
        ctx.store,
        analysis=analysis,
        parameters={**parameters, "min_group": min_group},
        scope=scope,
        result_type=result_type,
        compute=lambda: compute(scope, min_group),
    )
    return Answer(
        analysis=analysis,
        companies="all" if scope is None else sorted(scope),
        from_cache=got.from_cache,
        computed_at=got.computed_at,
        result=got.result.model_dump(mode="json"),
    )


def vas(ctx: Context, company_id: int | None) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> VasChange:
        return vas_change(loaders.surveys(ctx.store, scope), min_group=min_group)

    return _answer(ctx, "vas_change", company_id, {}, VasChange, compute)


def wellness(ctx: Context, company_id: int | None, weights: WellnessWeights) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> WellnessScore:
        frames = loaders.surveys(ctx.store, scope), loaders.statements(ctx.session, scope)
        return wellness_score(*frames, weights=weights, min_group=min_group)

    return _answer(ctx, "wellness_score", company_id, weights.model_dump(), WellnessScore, compute)


def kpi_correlation(ctx: Context, company_id: int | None, lag_months: int) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> Correlation:
        surveys, statements = loaders.surveys(ctx.store, scope), loaders.statements(ctx.session, scope)
        scores = monthly_scores(surveys, statements)
        return correlation(scores, statements, lag_months=lag_months, min_group=min_group)

    return _answer(ctx, "correlation", company_id, {"lag_months": lag_months}, Correlation, compute)


def kpi_regression(ctx: Context, company_id: int | None, kpi: Kpi, lag_months: int) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> Regression:
        surveys, statements = loaders.surveys(ctx.store, scope), loaders.statements(ctx.session, scope)
        scores = monthly_scores(surveys, statements)
        return regression(scores, statements, kpi=kpi, lag_months=lag_months, min_group=min_group)

    parameters = {"kpi": kpi, "lag_months": lag_months}
    return _answer(ctx, "regression", company_id, parameters, Regression, compute)


def programme_roi(ctx: Context, company_id: int | None, assumptions: RoiAssumptions) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> RoiResult:
        surveys, statements = loaders.surveys(ctx.store, scope), loaders.statements(ctx.session, scope)
        companies, invoices = _companies_and_invoices(ctx, scope)
        return roi(surveys, statements, invoices, companies, assumptions=assumptions, min_group=min_group)

    return _answer(ctx, "roi", company_id, assumptions.model_dump(), RoiResult, compute)


def employee_segments(ctx: Context, company_id: int | None, k: int | None) -> Answer:
    def compute(scope: frozenset[int] | None, min_group: int) -> Segments:
        return segments(loaders.surveys(ctx.store, scope), k=k)

    return _answer(ctx, "segments", company_id, {"k": k}, Segments, compute)


def _companies_and_invoices(ctx: Context, scope: frozenset[int] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The companies in scope (id, vc_firm) and their invoices; invoices issued to a VC firm without
    a company count only where the scope is every company."""
    companies = select(Company.id, Company.vc_firm)
    invoices = select(Invoice.company_id, Invoice.vc_firm, Invoice.amount_yen, Invoice.status)
    if scope is not None:
        companies = companies.where(Company.id.in_(sorted(scope)))
        invoices = invoices.where(Invoice.company_id.in_(sorted(scope)))
    connection = ctx.session.connection()
    company_rows = [tuple(r) for r in connection.execute(companies)]
    invoice_rows = [
        (c, f, int(a), str(s.value if hasattr(s, "value") else s))
        for c, f, a, s in connection.execute(invoices)
    ]
    return (
        pd.DataFrame(company_rows, columns=["id", "vc_firm"]),
        pd.DataFrame(invoice_rows, columns=["company_id", "vc_firm", "amount_yen", "status"]),
    )

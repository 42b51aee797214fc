"""The analyses for a viewer: scope, privacy, loading, caching. What ``/api/v1/analyses`` calls.

- **Scope**: the companies asked for (each must be one the viewer may see: any other answers 404,
  as a missing company does), or every company the viewer may see.
- **Privacy**: VC users get aggregates over at least ``VC_MIN_GROUP`` employees (smaller groups and
  those that would reveal them are suppressed); the Startup Wellness team sees every group.
  ``segments`` describes individuals and is for the team only (the route table says so).
- **Cache**: every answer goes through the analytics cache; it says whether it came from there and
  when it was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from backend.database import crud_sql
from backend.database.documents import DocumentStore
from backend.database.models import AnalyticsCacheEntry
from backend.database.models_sql import UserRole
from backend.service.analysis import cache, loaders
from backend.service.analysis.correlation import Correlation, correlation
from backend.service.analysis.regression import Regression, regression
from backend.service.analysis.results import VasChange
from backend.service.analysis.roi import RoiAssumptions, RoiResult, roi
from backend.service.analysis.segments import Segments, segments
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import WellnessScore, WellnessWeights, monthly_scores, wellness_score
from backend.service.bigquery.service import BigQueryService
from backend.service.context import Context

VC_MIN_GROUP = 5
Scope = frozenset[int] | None


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParameters(Parameters):
    pass


class LagParameters(Parameters):
    lag_months: int = Field(default=0, ge=0, le=24, description="Months between wellness and the KPI.")


class RegressionParameters(LagParameters):
    kpi: Literal["revenue_growth", "operating_margin", "leaver_rate"] = "leaver_rate"


class SegmentParameters(Parameters):
    k: int | None = Field(default=None, ge=2, le=20, description="Segments; omitted: chosen by silhouette.")
    phase: Literal["before", "after"] | None = Field(default=None, description="Only these answers.")


class Answer(BaseModel):
    """An analysis result with where it came from."""

    analysis: str
    companies: list[int] | Literal["all"] = Field(description="The scope: company ids, or every company.")
    parameters: dict[str, Any]
    from_cache: bool
    computed_at: datetime
    result: Any


@dataclass(frozen=True)
class Frames:
    """What the analyses read, loaded only as needed: through the warehouse when there is one (the
    companies in scope synced first, those whose data changed only), else from the stores."""

    session: Session
    store: DocumentStore
    scope: Scope
    warehouse: BigQueryService | None = None

    def surveys(self) -> pd.DataFrame:
        if self._synced is not None:
            return self._synced.surveys(self.scope)
        return loaders.surveys(self.store, self.scope)

    def statements(self) -> pd.DataFrame:
        if self._synced is not None:
            return self._synced.statements(self.scope)
        return loaders.statements(self.session, self.scope)

    @cached_property
    def _synced(self) -> BigQueryService | None:
        if self.warehouse is not None:
            self.warehouse.sync(self.session, self.store, companies=self.scope)
        return self.warehouse


@dataclass(frozen=True)
class Analysis:
    name: str
    summary: str
    parameters: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Frames, Any, int], BaseModel]  # (frames, parameters, min_group) → result


def _vas(frames: Frames, _: NoParameters, min_group: int) -> VasChange:
    return vas_change(frames.surveys(), min_group=min_group)


def _wellness(frames: Frames, weights: WellnessWeights, min_group: int) -> WellnessScore:
    return wellness_score(frames.surveys(), frames.statements(), weights=weights, min_group=min_group)


def _correlation(frames: Frames, p: LagParameters, min_group: int) -> Correlation:
    statements = frames.statements()
    scores = monthly_scores(frames.surveys(), statements)
    return correlation(scores, statements, lag_months=p.lag_months, min_group=min_group)


def _regression(frames: Frames, p: RegressionParameters, min_group: int) -> Regression:
    statements = frames.statements()
    scores = monthly_scores(frames.surveys(), statements)
    return regression(scores, statements, kpi=p.kpi, lag_months=p.lag_months, min_group=min_group)


def _roi(frames: Frames, assumptions: RoiAssumptions, min_group: int) -> RoiResult:
    companies, invoices = loaders.companies_and_invoices(frames.session, frames.scope)
    return roi(
        frames.surveys(),
        frames.statements(),
        invoices,
        companies,
        assumptions=assumptions,
        min_group=min_group,
    )


def _segments(frames: Frames, p: SegmentParameters, _: int) -> Segments:
    return segments(frames.surveys(), k=p.k, phase=p.phase)


ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis(
            "vas_change", "VAS before → after a treatment, per dimension", NoParameters, VasChange, _vas
        ),
        Analysis(
            "wellness_score",
            "Monthly 0–100 wellness score and its trend",
            WellnessWeights,
            WellnessScore,
            _wellness,
        ),
        Analysis("correlation", "Wellness vs P&L KPIs, with a lag", LagParameters, Correlation, _correlation),
        Analysis(
            "regression",
            "A KPI on wellness, with size and month effects",
            RegressionParameters,
            Regression,
            _regression,
        ),
        Analysis("roi", "Programme ROI per company and VC firm", RoiAssumptions, RoiResult, _roi),
        Analysis(
            "segments",
            "Employee segments by VAS profile (the team only)",
            SegmentParameters,
            Segments,
            _segments,
        ),
    )
}


def run(ctx: Context, name: str, parameters: BaseModel, company_ids: Sequence[int] | None) -> Answer:
    """Analysis ``name`` over the companies asked for (None: every company the viewer may see)."""
    scope = _scope(ctx, company_ids)
    min_group = VC_MIN_GROUP if ctx.viewer.role is UserRole.VC else 1
    asked = parameters.model_dump(mode="json")
    got = computed(ctx.session, ctx.store, name, parameters, scope, min_group, warehouse=ctx.warehouse)
    return Answer(
        analysis=name,
        companies="all" if scope is None else sorted(scope),
        parameters=asked,
        from_cache=got.from_cache,
        computed_at=got.computed_at,
        result=got.result.model_dump(mode="json"),
    )


def computed(
    session: Session,
    store: DocumentStore,
    name: str,
    parameters: BaseModel,
    scope: Scope,
    min_group: int,
    *,
    warehouse: BigQueryService | None = None,
) -> cache.Cached[Any]:
    """Analysis ``name`` through the cache (the parameters' own fields plus ``min_group`` in its key)."""
    analysis = ANALYSES[name]
    return cache.cached(
        session,
        store,
        analysis=name,
        parameters={**parameters.model_dump(mode="json"), "min_group": min_group},
        scope=scope,
        result_type=analysis.result,
        compute=lambda: analysis.run(Frames(session, store, scope, warehouse), parameters, min_group),
    )


def refresh(
    session: Session,
    store: DocumentStore,
    entry: AnalyticsCacheEntry,
    *,
    warehouse: BigQueryService | None = None,
) -> bool:
    """Compute a stale entry again for the data as it is now (a new entry, under the new key);
    False when the entry is not one of these analyses' (nothing to refresh)."""
    analysis = ANALYSES.get(entry.analysis)
    if analysis is None:
        return False
    stored = dict(entry.parameters)
    min_group = int(str(stored.pop("min_group", 1)))
    parameters = analysis.parameters.model_validate(stored)
    scope = None if entry.scope is None else frozenset(entry.scope)
    computed(session, store, entry.analysis, parameters, scope, min_group, warehouse=warehouse)
    return True


def _scope(ctx: Context, company_ids: Sequence[int] | None) -> Scope:
    if company_ids is None:
        return ctx.viewer.companies
    for company_id in sorted(set(company_ids)):  # the first one not visible answers 404
        crud_sql.companies.read(ctx.session, company_id, within=ctx.viewer.companies)
    return frozenset(company_ids)

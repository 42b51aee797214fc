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
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.models import AnalysisJob, AnalyticsCacheEntry
from backend.database.models_sql import UserRole
from backend.errors import WellnessError
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
IN_LIMIT = 30  # values in one "in" condition (Firestore's limit)
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


JobState = Literal["requested", "done", "failed", "expired"]


class JobStatus(BaseModel):
    """An analysis left to the workers: poll ``GET /api/v1/analyses/jobs/{id}`` until it is done."""

    id: str
    analysis: str
    status: JobState = Field(description="expired: the data changed after it was done; ask again.")
    created_at: datetime
    completed_at: datetime | None
    error: str | None
    answer: Answer | None = Field(description="Once done: the answer, as an inline one would be.")


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
    """Analysis ``name`` over the companies asked for (None: every company the viewer may see),
    computed here when the cache does not have it."""
    scope, min_group = scope_for(ctx, company_ids), _min_group(ctx)
    got = computed(ctx.session, ctx.store, name, parameters, scope, min_group, warehouse=ctx.warehouse)
    return _answer(name, parameters.model_dump(mode="json"), scope, got)


def ask(
    ctx: Context,
    name: str,
    parameters: BaseModel,
    company_ids: Sequence[int] | None,
    *,
    inline_max_answers: int,
) -> Answer | JobStatus:
    """As ``run`` when the cache has the answer or the scope holds at most ``inline_max_answers``
    survey answers; otherwise a job for the workers (``analysis_job.requested``) to poll."""
    scope, min_group = scope_for(ctx, company_ids), _min_group(ctx)
    asked = parameters.model_dump(mode="json")
    keyed = {**asked, "min_group": min_group}
    analysis = ANALYSES[name]
    hit = cache.lookup(
        ctx.session, ctx.store, analysis=name, parameters=keyed, scope=scope, result_type=analysis.result
    )
    if hit is not None:
        return _answer(name, asked, scope, hit)
    if answers_in(ctx.store, scope) <= inline_max_answers:
        got = computed(ctx.session, ctx.store, name, parameters, scope, min_group, warehouse=ctx.warehouse)
        return _answer(name, asked, scope, got)
    job = AnalysisJob(
        analysis=name,
        parameters=asked,
        scope=None if scope is None else sorted(scope),
        min_group=min_group,
        requested_by=ctx.viewer.user_id,
        created_at=datetime.now(UTC),
    )
    job_id, job = crud.analysis_jobs.create(ctx.store, data=job, actor=ctx.viewer.actor)
    return _status(ctx.store, job_id, job, timeout_s=None)


def job_status(ctx: Context, job_id: str, *, timeout_s: float) -> JobStatus:
    """A job of the viewer's (any other answers 404, as a missing one does); a job still requested
    after ``timeout_s`` is reported failed."""
    job = crud.analysis_jobs.find(ctx.store, job_id)
    visible = ctx.viewer.companies
    if job is None or job.requested_by != ctx.viewer.user_id:
        raise crud.analysis_jobs.not_found(job_id)
    if visible is not None and (job.scope is None or not set(job.scope) <= visible):  # grants revoked
        raise crud.analysis_jobs.not_found(job_id)
    return _status(ctx.store, job_id, job, timeout_s=timeout_s)


def run_job(
    session: Session, store: DocumentStore, job_id: str, *, warehouse: BigQueryService | None = None
) -> None:
    """Compute a requested job into the cache and mark it done, or failed when the analysis refuses
    its data (any other error propagates: the event is delivered again). Done jobs are left alone."""
    job = crud.analysis_jobs.find(store, job_id)
    if job is None or job.status != "requested":
        return
    analysis = ANALYSES[job.analysis]
    scope = None if job.scope is None else frozenset(job.scope)
    try:
        parameters = analysis.parameters.model_validate(job.parameters)
        got = computed(session, store, job.analysis, parameters, scope, job.min_group, warehouse=warehouse)
    except (WellnessError, ValueError) as exc:
        crud.analysis_jobs.update(
            store,
            job_id,
            data={"status": "failed", "error": str(exc)[:5000], "completed_at": datetime.now(UTC)},
        )
        return
    crud.analysis_jobs.update(
        store, job_id, data={"status": "done", "cache_key": got.key, "completed_at": datetime.now(UTC)}
    )


def prune_jobs(store: DocumentStore, settings: Settings, *, now: datetime | None = None) -> int:
    """Delete the jobs that finished (done or failed) more than ``job_keep_days`` ago;
    their results stay in the cache, and jobs still requested are kept. Returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.job_keep_days)
    finished_before = [{"field": "completed_at", "operator": "<", "value": cutoff}]
    return crud.analysis_jobs.delete_matching(store, conditions=finished_before, order_by="completed_at")


def answers_in(store: DocumentStore, scope: Scope) -> int:
    """How many survey answers the companies in scope hold (every company's for None)."""
    if scope is None:
        return crud.consultations.count(store)
    ids = sorted(scope)
    return sum(
        crud.consultations.count(store, conditions=[{"field": "company_id", "operator": "in", "value": part}])
        for part in (ids[n : n + IN_LIMIT] for n in range(0, len(ids), IN_LIMIT))
    )


def _answer(name: str, asked: dict[str, Any], scope: Scope, got: cache.Cached[Any]) -> Answer:
    return Answer(
        analysis=name,
        companies="all" if scope is None else sorted(scope),
        parameters=asked,
        from_cache=got.from_cache,
        computed_at=got.computed_at,
        result=got.result.model_dump(mode="json"),
    )


def _status(store: DocumentStore, job_id: str, job: AnalysisJob, *, timeout_s: float | None) -> JobStatus:
    status: JobState = job.status
    error, answer = job.error, None
    waited = (datetime.now(UTC) - job.created_at).total_seconds()
    if status == "requested" and timeout_s is not None and waited > timeout_s:
        status = "failed"
        error = f"not computed within {timeout_s:.0f} s (are the workers running?); ask again"
    if status == "done" and job.cache_key is not None:
        entry = crud.analytics.find(store, job.cache_key)
        if entry is None:  # replaced by a newer computation since
            status, error = "expired", "the data changed since this job was done; ask again"
        else:
            scope = None if job.scope is None else frozenset(job.scope)
            result = ANALYSES[job.analysis].result.model_validate(entry.result)
            got = cache.Cached(
                result=result, from_cache=True, computed_at=entry.computed_at, key=entry.cache_key
            )
            answer = _answer(job.analysis, dict(job.parameters), scope, got)
    return JobStatus(
        id=job_id,
        analysis=job.analysis,
        status=status,
        created_at=job.created_at,
        completed_at=job.completed_at,
        error=error,
        answer=answer,
    )


def _min_group(ctx: Context) -> int:
    return VC_MIN_GROUP if ctx.viewer.role is UserRole.VC else 1


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


def scope_for(ctx: Context, company_ids: Sequence[int] | None) -> Scope:
    """The companies asked for, each one the viewer may see (the first that is not answers 404, as a
    missing one does), or every company the viewer may see."""
    if company_ids is None:
        return ctx.viewer.companies
    for company_id in sorted(set(company_ids)):  # the first one not visible answers 404
        crud_sql.companies.read(ctx.session, company_id, within=ctx.viewer.companies)
    return frozenset(company_ids)

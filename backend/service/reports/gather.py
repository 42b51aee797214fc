"""``gather``: a report's data for a viewer and a scope, from the analysis service (each result from
the analytics cache, or computed now when missing or stale: the service's job)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel

from backend.database import crud_sql
from backend.service.analysis.correlation import Correlation
from backend.service.analysis.regression import Regression
from backend.service.analysis.results import VasChange
from backend.service.analysis.roi import RoiAssumptions, RoiResult
from backend.service.analysis.service import (
    Answer,
    LagParameters,
    NoParameters,
    RegressionParameters,
    run,
)
from backend.service.analysis.wellness import WellnessScore, WellnessWeights
from backend.service.context import Context
from backend.service.reports.data import CompanyInfo, ReportData, ReportKind, report_data
from backend.service.schemas import TOKYO

LAGS = (0, 1, 2, 3)  # months between wellness and the KPI: every one is shown, none picked
REGRESSION_KPI = "leaver_rate"

R = TypeVar("R", bound=BaseModel)


def gather(
    ctx: Context,
    company_ids: Sequence[int] | None,
    *,
    kind: ReportKind | None = None,
    title: str | None = None,
    today: date | None = None,
) -> ReportData:
    """The report over ``company_ids`` (None: every company the viewer may see; one the viewer may not
    see answers ``NotFound``, as the analyses do). VC viewers get what the analyses show them:
    groups of fewer than 5 employees suppressed."""
    answers: list[Answer] = []

    def answer(name: str, parameters: BaseModel, result_type: type[R]) -> R:
        answers.append(run(ctx, name, parameters, company_ids))
        return result_type.model_validate(answers[-1].result)

    vas = answer("vas_change", NoParameters(), VasChange)
    wellness = answer("wellness_score", WellnessWeights(), WellnessScore)
    correlations = [answer("correlation", LagParameters(lag_months=lag), Correlation) for lag in LAGS]
    regressions = [
        answer("regression", RegressionParameters(kpi=REGRESSION_KPI, lag_months=lag), Regression)
        for lag in LAGS
    ]
    roi = answer("roi", RoiAssumptions(), RoiResult)
    scope = answers[0].companies
    return report_data(
        companies=_companies(ctx, scope),
        vas_change=vas,
        wellness_score=wellness,
        correlations=correlations,
        regressions=regressions,
        roi=roi,
        generated_on=today or datetime.now(TOKYO).date(),
        scope=scope,
        results_as_of=min(a.computed_at for a in answers),
        kind=kind,
        title=title,
    )


def _companies(ctx: Context, scope: list[int] | Literal["all"]) -> list[CompanyInfo]:
    """The companies in scope (``"all"``: every company), in id order."""
    within = None if scope == "all" else list(scope)
    found: list[CompanyInfo] = []
    after: int | None = None
    while True:
        page = crud_sql.companies.list(ctx.session, within=within, after=after, limit=crud_sql.MAX_PAGE)
        found += [
            CompanyInfo(
                id=row.id,
                name=row.name,
                vc_firm=row.vc_firm,
                industry=row.industry,
                employee_count=row.employee_count,
            )
            for row in page.items
        ]
        if page.next_after is None:
            return found
        after = page.next_after

"""What a report shows: the analyses' typed results for one scope, with the names and figures around
them. Built by ``gather`` from the analysis service, or by ``report_data`` from results in hand; the
renderers (``pdf.render_pdf``, ``excel.render_excel``) take nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from backend.service.analysis.correlation import Correlation
from backend.service.analysis.regression import Regression
from backend.service.analysis.results import GroupChange, VasChange
from backend.service.analysis.roi import Roi, RoiResult
from backend.service.analysis.wellness import CompanyScore, WellnessScore

ReportKind = Literal["company", "portfolio"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompanyInfo(_Model):
    id: int
    name: str
    vc_firm: str | None = None
    industry: str | None = None
    employee_count: int | None = None  # the company master's


class Participation(_Model):
    """Who took part in one company, from the results (suppressed months and groups stay empty)."""

    company_id: int
    employees_with_pairs: int | None  # None where the VAS group is suppressed
    months: int  # months with answers
    suppressed_months: int
    mean_participation: float | None  # 0–1, over the months shown with a headcount
    latest_period: str | None = None  # the last month shown
    latest_respondents: int | None = None
    latest_participation: float | None = None


class ReportData(_Model):
    title: str
    kind: ReportKind
    companies: list[CompanyInfo]  # in report order
    vc_firms: list[str]
    generated_on: date  # in Tokyo
    results_as_of: datetime | None  # when the oldest result was computed
    scope: list[int] | Literal["all"]
    min_group: int  # groups of fewer employees are suppressed (5 for VC users)
    vas_change: VasChange
    wellness_score: WellnessScore
    correlations: list[Correlation]  # one per lag
    regressions: list[Regression]  # the leaver rate on wellness, one per lag
    roi: RoiResult
    participation: list[Participation]

    def company(self, company_id: int) -> CompanyInfo:
        return next(c for c in self.companies if c.id == company_id)

    def vas_of(self, company_id: int) -> GroupChange | None:
        return next((g for g in self.vas_change.companies if g.company_id == company_id), None)

    def wellness_of(self, company_id: int) -> CompanyScore | None:
        return next((c for c in self.wellness_score.companies if c.company_id == company_id), None)

    def roi_of(self, company_id: int) -> Roi | None:
        return next((r for r in self.roi.companies if r.key == str(company_id)), None)

    def participation_of(self, company_id: int) -> Participation | None:
        return next((p for p in self.participation if p.company_id == company_id), None)


def report_data(
    *,
    companies: Sequence[CompanyInfo],
    vas_change: VasChange,
    wellness_score: WellnessScore,
    correlations: Sequence[Correlation],
    regressions: Sequence[Regression],
    roi: RoiResult,
    generated_on: date,
    scope: list[int] | Literal["all"],
    results_as_of: datetime | None = None,
    kind: ReportKind | None = None,
    title: str | None = None,
) -> ReportData:
    """A report over ``companies`` from their results; kind and title follow from the companies
    unless given (one company: a company report)."""
    kind = kind or ("company" if len(companies) == 1 else "portfolio")
    firms = sorted({c.vc_firm for c in companies if c.vc_firm})
    return ReportData(
        title=title or _title(kind, companies, firms),
        kind=kind,
        companies=list(companies),
        vc_firms=firms,
        generated_on=generated_on,
        results_as_of=results_as_of,
        scope=scope,
        min_group=vas_change.min_group,
        vas_change=vas_change,
        wellness_score=wellness_score,
        correlations=list(correlations),
        regressions=list(regressions),
        roi=roi,
        participation=[participation(c.id, vas_change, wellness_score) for c in companies],
    )


def participation(company_id: int, vas: VasChange, wellness: WellnessScore) -> Participation:
    """One company's participation figures, as its results show them."""
    group = next((g for g in vas.companies if g.company_id == company_id), None)
    score = next((c for c in wellness.companies if c.company_id == company_id), None)
    months = score.months if score else []
    shown = [m for m in months if not m.suppressed]
    shares = [m.participation for m in shown if m.participation is not None]
    latest = shown[-1] if shown else None
    return Participation(
        company_id=company_id,
        employees_with_pairs=0 if group is None else None if group.suppressed else group.employees,
        months=len(months),
        suppressed_months=len(months) - len(shown),
        mean_participation=sum(shares) / len(shares) if shares else None,
        latest_period=latest.period if latest else None,
        latest_respondents=latest.respondents if latest else None,
        latest_participation=latest.participation if latest else None,
    )


def _title(kind: ReportKind, companies: Sequence[CompanyInfo], firms: Sequence[str]) -> str:
    if kind == "company" and companies:
        return f"{companies[0].name} ウェルネスプログラム報告書"
    owner = f"{firms[0]} " if len(firms) == 1 else ""
    return f"{owner}ポートフォリオ ウェルネスプログラム報告書"

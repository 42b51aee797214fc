"""A report's data computed in this process from frames in memory: the same analyses as ``gather``,
with no store, cache or viewer (benchmarks, fixtures, previews of the real output). ``gather`` is
what the product uses: it checks the viewer's scope and goes through the analytics cache."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date
from typing import Any

import pandas as pd

from backend.service.analysis.correlation import correlation
from backend.service.analysis.regression import regression
from backend.service.analysis.roi import roi
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import monthly_scores, wellness_score
from backend.service.demo.frames import DemoFrames
from backend.service.reports.data import CompanyInfo, ReportData, report_data
from backend.service.reports.gather import LAGS, REGRESSION_KPI


def report_from_frames(
    frames: DemoFrames, company_ids: Sequence[int] | None, *, min_group: int = 1, today: date
) -> ReportData:
    """The report over ``company_ids`` (None: every company in the frames)."""
    companies = frames.companies
    if company_ids is not None:
        companies = companies[companies["id"].isin(list(company_ids))]
    ids = [int(i) for i in companies["id"]]
    surveys = frames.surveys[frames.surveys["company_id"].isin(ids)]
    statements = frames.statements[frames.statements["company_id"].isin(ids)]
    invoices = frames.invoices[frames.invoices["company_id"].isin(ids)]
    scores = monthly_scores(surveys, statements)
    return report_data(
        companies=[_info(row) for row in companies.to_dict("records")],
        vas_change=vas_change(surveys, min_group=min_group),
        wellness_score=wellness_score(surveys, statements, min_group=min_group),
        correlations=[correlation(scores, statements, lag_months=lag, min_group=min_group) for lag in LAGS],
        regressions=[
            regression(scores, statements, kpi=REGRESSION_KPI, lag_months=lag, min_group=min_group)
            for lag in LAGS
        ],
        roi=roi(surveys, statements, invoices, companies[["id", "vc_firm"]], min_group=min_group),
        generated_on=today,
        scope=sorted(ids),
    )


def _info(row: dict[Hashable, Any]) -> CompanyInfo:
    count = row.get("employee_count")
    return CompanyInfo(
        id=int(str(row["id"])),
        name=str(row["name"]),
        vc_firm=None if pd.isna(row.get("vc_firm")) else str(row["vc_firm"]),
        industry=None if pd.isna(row.get("industry")) else str(row["industry"]),
        employee_count=None if count is None or pd.isna(count) else int(str(count)),
    )

"""``wellness_score``: a monthly 0–100 score per company from its VAS answers and participation.

score = (1 − w_p) × Σ_d w_d × mean VAS_d / Σ_d w_d  +  w_p × 100 × participation

where the VAS means are over every answer of the month (before and after alike), participation is
the share of the month's headcount (P&L) that answered at least once, w_d are the dimension weights
and w_p the participation weight (``WellnessWeights``; defaults: the five dimensions equally, and
participation 0.2). A month without headcount has no participation and scores on VAS alone. The
trend is the least-squares slope of the score over the months (points per month) with its 95%
interval and p-value, from scipy's ``linregress``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy import stats

from backend.service.analysis.frames import VAS_DIMENSIONS, month_number
from backend.service.analysis.results import Interval, Result

LEVEL = 0.95


class WellnessWeights(Result):
    physical: float = Field(default=1.0, ge=0)
    mental: float = Field(default=1.0, ge=0)
    motivation: float = Field(default=1.0, ge=0)
    communication: float = Field(default=1.0, ge=0)
    other: float = Field(default=1.0, ge=0)
    participation: float = Field(default=0.2, ge=0, le=1)

    @model_validator(mode="after")
    def _some_dimension(self) -> WellnessWeights:
        if sum(self.dimension_weights().values()) <= 0:
            raise ValueError("at least one VAS dimension needs a weight above 0")
        return self

    def dimension_weights(self) -> dict[str, float]:
        return {d: float(getattr(self, d)) for d in VAS_DIMENSIONS}


class MonthScore(Result):
    period: str  # YYYY-MM
    suppressed: bool = False
    respondents: int | None = None
    participation: float | None = None  # 0–1; None without headcount (or suppressed)
    vas_score: float | None = None
    score: float | None = None


class Trend(Result):
    slope: float  # points per month
    interval: Interval | None  # None with fewer than three months
    p_value: float | None
    n: int  # months


class CompanyScore(Result):
    company_id: int
    months: list[MonthScore]
    trend: Trend | None  # None with fewer than two scored months


class WellnessScore(Result):
    weights: WellnessWeights
    companies: list[CompanyScore]
    min_group: int


def monthly_scores(
    surveys: pd.DataFrame, statements: pd.DataFrame, weights: WellnessWeights | None = None
) -> pd.DataFrame:
    """company_id, period (YYYY-MM), respondents, participation, vas_score, score: one row per
    company and month with answers."""
    weights = weights or WellnessWeights()
    dims = weights.dimension_weights()
    answers = surveys.assign(period=surveys["answered_at"].dt.strftime("%Y-%m"))
    grouped = answers.groupby(["company_id", "period"])
    months = grouped[list(VAS_DIMENSIONS)].mean()
    months["respondents"] = grouped["employee_id"].nunique()
    total = sum(dims.values())
    months["vas_score"] = sum(months[d] * w for d, w in dims.items()) / total
    heads = statements.assign(period=statements["period"].dt.strftime("%Y-%m"))
    heads = heads.set_index(["company_id", "period"])[["headcount"]]
    months = months.join(heads, how="left")
    headcount = months["headcount"].astype("Float64")
    months["participation"] = (months["respondents"] / headcount.where(headcount > 0)).clip(upper=1.0)
    share = weights.participation
    with_share = (1 - share) * months["vas_score"] + share * 100 * months["participation"]
    months["score"] = with_share.fillna(months["vas_score"])
    columns = ["respondents", "participation", "vas_score", "score"]
    return months[columns].reset_index()


def wellness_score(
    surveys: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    weights: WellnessWeights | None = None,
    min_group: int = 1,
) -> WellnessScore:
    """Per company: each month's score and the trend over the months shown. A month answered by
    fewer than ``min_group`` employees is suppressed (and left out of the trend)."""
    weights = weights or WellnessWeights()
    table = monthly_scores(surveys, statements, weights)
    companies = []
    for company, months in table.groupby("company_id", sort=True):
        shown = [_month(row, min_group) for row in months.sort_values("period").to_dict("records")]
        companies.append(CompanyScore(company_id=int(str(company)), months=shown, trend=trend(shown)))
    return WellnessScore(weights=weights, companies=companies, min_group=min_group)


def _month(row: Mapping[Any, Any], min_group: int) -> MonthScore:
    respondents = int(row["respondents"])
    if respondents < min_group:
        return MonthScore(period=str(row["period"]), suppressed=True)
    share = row["participation"]
    return MonthScore(
        period=str(row["period"]),
        respondents=respondents,
        participation=None if pd.isna(share) else float(share),
        vas_score=float(row["vas_score"]),
        score=float(row["score"]),
    )


def trend(months: list[MonthScore]) -> Trend | None:
    """The least-squares slope over the scored months, by their distance in months."""
    scored = [(month_number(m.period), m.score) for m in months if m.score is not None]
    if len(scored) < 2:
        return None
    x = np.array([p for p, _ in scored], dtype=float)
    y = np.array([s for _, s in scored], dtype=float)
    fit = stats.linregress(x, y)
    n = len(scored)
    if n < 3 or not math.isfinite(fit.stderr):
        return Trend(slope=float(fit.slope), interval=None, p_value=None, n=n)
    half = float(stats.t.ppf((1 + LEVEL) / 2, n - 2)) * float(fit.stderr)
    interval = Interval(low=float(fit.slope) - half, high=float(fit.slope) + half, level=LEVEL)
    return Trend(slope=float(fit.slope), interval=interval, p_value=float(fit.pvalue), n=n)

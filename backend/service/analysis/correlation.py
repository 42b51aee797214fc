"""``correlation``: company-month wellness against P&L KPIs, optionally with a lag.

Each pair is one company's wellness score in month t (``wellness.monthly_scores``) and its KPI in
month t + lag. Over all pairs of the companies in scope: Pearson's r with its p-value and a 95%
interval (Fisher's z), Spearman's rho with its p-value, n pairs and the number of companies. The
KPIs, from the P&L:

- ``revenue_growth``: revenue over the month before's, − 1 (only where that month exists and its
  revenue is above 0);
- ``operating_margin``: operating profit / revenue (revenue above 0);
- ``leaver_rate``: leavers / headcount (headcount above 0).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from backend.service.analysis.frames import month_numbers
from backend.service.analysis.results import Interval, Result

KPIS = ("revenue_growth", "operating_margin", "leaver_rate")
LEVEL = 0.95


class KpiCorrelation(Result):
    kpi: str
    n: int  # pairs (company-months)
    companies: int
    pearson_r: float | None = None
    pearson_p_value: float | None = None
    pearson_interval: Interval | None = None  # Fisher's z; needs at least 4 pairs
    spearman_rho: float | None = None
    spearman_p_value: float | None = None


class Correlation(Result):
    lag_months: int
    min_group: int
    kpis: list[KpiCorrelation]


def kpi_frame(statements: pd.DataFrame) -> pd.DataFrame:
    """company_id, period (YYYY-MM), the KPIs and the headcount, one row per P&L month (a KPI that
    cannot be computed is missing)."""
    frame = statements.sort_values(["company_id", "period"]).reset_index(drop=True)
    revenue = frame["revenue_yen"].astype("Float64")
    before = frame.groupby("company_id")[["period", "revenue_yen"]].shift(1)
    consecutive = (_months(frame["period"]) - _months(before["period"])).eq(1).fillna(False)
    previous = before["revenue_yen"].astype("Float64")
    growth = (revenue / previous.where(previous > 0) - 1).where(consecutive)
    margin = frame["operating_profit_yen"].astype("Float64") / revenue.where(revenue > 0)
    headcount = frame["headcount"].astype("Float64")
    rate = frame["leavers"].astype("Float64") / headcount.where(headcount > 0)
    return pd.DataFrame(
        {
            "company_id": frame["company_id"],
            "period": frame["period"].dt.strftime("%Y-%m"),
            "revenue_growth": growth,
            "operating_margin": margin,
            "leaver_rate": rate,
            "headcount": headcount,
        }
    )


def correlation(
    scores: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    lag_months: int = 0,
    kpis: Sequence[str] = KPIS,
    min_group: int = 1,
) -> Correlation:
    """``scores``: ``wellness.monthly_scores``. Months answered by fewer than ``min_group``
    employees are left out (5 for VC users)."""
    shown = scores[scores["respondents"] >= min_group]
    month = shown["period"].pipe(month_numbers) + lag_months
    wellness = pd.DataFrame(
        {"company_id": shown["company_id"], "month": month, "score": shown["score"].astype(float)}
    )
    targets = kpi_frame(statements)
    targets = targets.assign(month=targets["period"].pipe(month_numbers)).drop(columns="period")
    pairs = wellness.merge(targets, on=["company_id", "month"], how="inner")
    return Correlation(
        lag_months=lag_months, min_group=min_group, kpis=[_correlate(pairs, kpi) for kpi in kpis]
    )


def _correlate(pairs: pd.DataFrame, kpi: str) -> KpiCorrelation:
    both = pairs[["company_id", "score", kpi]].dropna()
    n = len(both)
    result = KpiCorrelation(kpi=kpi, n=n, companies=int(both["company_id"].nunique()) if n else 0)
    x, y = both["score"].to_numpy(float), both[kpi].to_numpy(float)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return result  # too few pairs, or one side constant: no correlation to state
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        pearson = stats.pearsonr(x, y)
        spearman = stats.spearmanr(x, y)
    r = float(pearson.statistic)
    interval = None
    if n > 3 and abs(r) < 1:
        z, half = math.atanh(r), float(stats.norm.ppf((1 + LEVEL) / 2)) / math.sqrt(n - 3)
        interval = Interval(low=math.tanh(z - half), high=math.tanh(z + half), level=LEVEL)
    return result.model_copy(
        update={
            "pearson_r": r,
            "pearson_p_value": float(pearson.pvalue),
            "pearson_interval": interval,
            "spearman_rho": float(spearman.statistic),
            "spearman_p_value": float(spearman.pvalue),
        }
    )


def _months(periods: pd.Series) -> pd.Series:
    """Months since year 0 (missing stays missing)."""
    months: pd.Series = (periods.dt.year * 12 + periods.dt.month).astype("Float64")
    return months

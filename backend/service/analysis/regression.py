"""``regression``: a P&L KPI on wellness, with controls, by ordinary least squares (statsmodels).

    kpi(company, t + lag) = b0 + b_wellness × score(company, t) + b_size × log(headcount) + month_t + e

- the KPI is one of ``correlation.KPIS`` (``kpi_frame``), the score ``wellness.monthly_scores``;
- company size enters as the log of the month's headcount;
- month fixed effects (one dummy per calendar month but the first) absorb what moves every company at
  once (seasons, the market);
- standard errors are clustered by company (a company's months are not independent), or
  heteroskedasticity-robust (HC1) with fewer than 5 companies; which one is said in the result.

Each coefficient comes with its 95% interval and p-value; the result carries n, the number of
companies, R² and the number of month effects.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from pydantic import Field

from backend.service.analysis.correlation import kpi_frame
from backend.service.analysis.frames import month_numbers
from backend.service.analysis.results import Interval, Result

LEVEL = 0.95
MIN_CLUSTERS = 5


class Coefficient(Result):
    name: str
    estimate: float
    interval: Interval
    p_value: float


class Regression(Result):
    kpi: str
    lag_months: int
    n: int
    companies: int
    r_squared: float | None = None
    month_effects: int = 0
    standard_errors: str | None = None  # "clustered by company" or "HC1"
    coefficients: list[Coefficient] = Field(default_factory=list)  # wellness, log_headcount


def regression(
    scores: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    kpi: str = "leaver_rate",
    lag_months: int = 0,
    min_group: int = 1,
) -> Regression:
    shown = scores[scores["respondents"] >= min_group]
    wellness = pd.DataFrame(
        {
            "company_id": shown["company_id"].astype(int),
            "month": shown["period"].pipe(month_numbers) + lag_months,
            "wellness": shown["score"].astype(float),
        }
    )
    targets = kpi_frame(statements)
    targets = targets.assign(
        company_id=targets["company_id"].astype(int), month=targets["period"].pipe(month_numbers)
    )
    data = wellness.merge(targets[["company_id", "month", "headcount", kpi]], on=["company_id", "month"])
    data = data.astype({"headcount": float, kpi: float})
    data = data[data["headcount"] > 0].dropna()
    companies = int(data["company_id"].nunique())
    dummies = pd.get_dummies(data["month"], prefix="m", drop_first=True, dtype=float)
    size = np.log(data["headcount"]).rename("log_headcount")
    design = pd.concat([data[["wellness"]], size, dummies], axis=1)
    design = sm.add_constant(design, has_constant="add")
    n = len(data)
    if n <= design.shape[1] or data["wellness"].nunique() < 2:
        return Regression(kpi=kpi, lag_months=lag_months, n=n, companies=companies)
    model = sm.OLS(data[kpi], design)
    if companies >= MIN_CLUSTERS:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": data["company_id"].to_numpy()})
        errors = "clustered by company"
    else:
        fit = model.fit(cov_type="HC1")
        errors = "HC1"
    bounds = fit.conf_int(alpha=1 - LEVEL)
    coefficients = [
        Coefficient(
            name=name,
            estimate=float(fit.params[name]),
            interval=Interval(low=float(bounds.loc[name, 0]), high=float(bounds.loc[name, 1]), level=LEVEL),
            p_value=float(fit.pvalues[name]),
        )
        for name in ("wellness", "log_headcount")
        if math.isfinite(float(fit.bse[name]))
    ]
    return Regression(
        kpi=kpi,
        lag_months=lag_months,
        n=n,
        companies=companies,
        r_squared=float(fit.rsquared),
        month_effects=dummies.shape[1],
        standard_errors=errors,
        coefficients=coefficients,
    )

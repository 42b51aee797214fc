"""regression: a planted effect of wellness on a KPI is recovered under month effects and company
size, with an interval that holds it; degenerate data states no coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backend.service.analysis.regression import regression


def panel(seed: int = 5, companies: int = 12, months: int = 18) -> tuple[pd.DataFrame, pd.DataFrame]:
    """leaver_rate = 0.06 − 0.0004 × wellness + 0.004 × log(headcount) + a shock per month + noise."""
    rng = np.random.default_rng(seed)
    periods = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    shocks = rng.normal(0, 0.01, size=months)
    score_rows, pl_rows = [], []
    for company in range(1, companies + 1):
        size = int(rng.integers(20, 400))
        for m, period in enumerate(periods):
            wellness = float(rng.uniform(30, 90))
            headcount = max(5, size + int(rng.integers(-5, 6)))
            rate = 0.06 - 0.0004 * wellness + 0.004 * np.log(headcount) + shocks[m] + rng.normal(0, 0.002)
            score_rows.append({"company_id": company, "period": period, "respondents": 10, "score": wellness})
            pl_rows.append(
                {
                    "company_id": company,
                    "period": f"{period}-01",
                    "revenue_yen": 10_000_000,
                    "operating_profit_yen": 0,
                    "headcount": headcount,
                    "leavers": round(rate * headcount * 1000),  # per mille units keep the rate exact enough
                }
            )
    statements = pd.DataFrame(pl_rows).assign(
        period=lambda f: pd.to_datetime(f["period"]).astype("datetime64[s]"),
    )
    statements["leavers"] = statements["leavers"].astype("Int64")
    return pd.DataFrame(score_rows), statements


def test_a_planted_effect_is_recovered_under_month_effects_and_size() -> None:
    scores, statements = panel()
    result = regression(scores, statements, kpi="leaver_rate")
    assert (result.n, result.companies, result.month_effects) == (12 * 18, 12, 17)
    assert result.standard_errors == "clustered by company"
    wellness = {c.name: c for c in result.coefficients}["wellness"]
    truth = -0.0004 * 1000  # leavers were recorded per mille
    assert wellness.interval.low < truth < wellness.interval.high
    assert wellness.p_value < 1e-6
    size = {c.name: c for c in result.coefficients}["log_headcount"]
    assert size.interval.low < 0.004 * 1000 < size.interval.high
    assert result.r_squared is not None
    assert result.r_squared > 0.9


def test_few_companies_use_robust_errors_and_too_little_data_states_nothing() -> None:
    scores, statements = panel(companies=3)
    assert regression(scores, statements).standard_errors == "HC1"
    tiny_scores, tiny_statements = panel(companies=1, months=2)
    tiny = regression(tiny_scores, tiny_statements)
    assert (tiny.n, tiny.coefficients, tiny.r_squared) == (2, [], None)
    vc = regression(scores, statements, min_group=11)  # every month has 10 respondents
    assert (vc.n, vc.coefficients) == (0, [])

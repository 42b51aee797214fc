"""correlation: KPIs from the P&L as defined, a planted lagged relation is found at its lag, the
statistics are the textbook ones, small months are left out for VC users."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backend.service.analysis.correlation import correlation, kpi_frame


def statements(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["period"] = pd.to_datetime(frame["period"] + "-01").astype("datetime64[s]")
    counts = ["company_id", "revenue_yen", "operating_profit_yen", "headcount", "leavers"]
    return frame.astype(dict.fromkeys(counts, "Int64"))


def pl(company: int, period: str, revenue: int, profit: int = 0, headcount: int = 20, leavers: int = 0):
    return {
        "company_id": company,
        "period": period,
        "revenue_yen": revenue,
        "operating_profit_yen": profit,
        "headcount": headcount,
        "leavers": leavers,
    }


def months(n: int) -> list[str]:
    return [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(n)]


def test_kpis_follow_their_definitions() -> None:
    frame = kpi_frame(
        statements(
            [
                pl(1, "2024-01", 1_000_000, 100_000, 20, 1),
                pl(1, "2024-02", 1_200_000, -60_000, 20, 0),
                pl(1, "2024-04", 1_500_000, 0, 0, 0),  # March missing: no growth for April
                pl(2, "2024-02", 0, 0, 10, 2),  # no revenue: no margin, no growth after it
                pl(2, "2024-03", 500_000, 50_000, 10, 1),
            ]
        )
    ).set_index(["company_id", "period"])
    assert pd.isna(frame.loc[(1, "2024-01"), "revenue_growth"])
    assert frame.loc[(1, "2024-02"), "revenue_growth"] == pytest.approx(0.2)
    assert pd.isna(frame.loc[(1, "2024-04"), "revenue_growth"])
    assert frame.loc[(1, "2024-01"), "operating_margin"] == pytest.approx(0.1)
    assert frame.loc[(1, "2024-02"), "operating_margin"] == pytest.approx(-0.05)
    assert frame.loc[(1, "2024-01"), "leaver_rate"] == pytest.approx(0.05)
    assert pd.isna(frame.loc[(1, "2024-04"), "leaver_rate"])  # no headcount
    assert pd.isna(frame.loc[(2, "2024-02"), "operating_margin"])
    assert pd.isna(frame.loc[(2, "2024-03"), "revenue_growth"])  # after a month without revenue
    assert frame.loc[(2, "2024-02"), "leaver_rate"] == pytest.approx(0.2)


def planted(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leavers two months after a month of high wellness are fewer: rate(t+2) = 0.08 − 0.001 × score(t)."""
    rng = np.random.default_rng(seed)
    periods = months(26)
    score_rows, pl_rows = [], []
    for company in range(1, 11):
        scores = rng.uniform(30, 90, size=len(periods))
        for m, period in enumerate(periods):
            row = {"company_id": company, "period": period, "respondents": 20, "score": scores[m]}
            score_rows.append(row)
            rate = 0.08 - 0.001 * scores[m - 2] + rng.normal(0, 0.004) if m >= 2 else 0.03
            leavers = max(0, round(rate * 1000))
            pl_rows.append(pl(company, period, 1_000_000 + m, 0, 1000, leavers))
    return pd.DataFrame(score_rows), statements(pl_rows)


def test_a_planted_lagged_relation_is_found_at_its_lag() -> None:
    scores, pls = planted()
    at_lag = {k.kpi: k for k in correlation(scores, pls, lag_months=2).kpis}["leaver_rate"]
    assert at_lag.n == 10 * 24
    assert at_lag.companies == 10
    assert at_lag.pearson_r is not None
    assert at_lag.pearson_r < -0.9
    assert at_lag.pearson_p_value is not None
    assert at_lag.pearson_p_value < 1e-10
    assert at_lag.spearman_rho is not None
    assert at_lag.spearman_rho < -0.9
    assert at_lag.pearson_interval is not None
    assert at_lag.pearson_interval.low < at_lag.pearson_r < at_lag.pearson_interval.high
    same_month = {k.kpi: k for k in correlation(scores, pls).kpis}["leaver_rate"]
    assert same_month.pearson_r is not None
    assert abs(same_month.pearson_r) < 0.2  # independent months: nothing at lag 0


def test_the_statistics_are_the_textbook_ones() -> None:
    scores = pd.DataFrame(
        {
            "company_id": [1] * 6,
            "period": months(6),
            "respondents": [9] * 6,
            "score": [50, 55, 61, 58, 70, 66],
        }
    )
    leavers = [5, 4, 4, 3, 1, 3]
    pls = statements([pl(1, p, 1_000_000, 0, 100, n) for p, n in zip(months(6), leavers, strict=True)])
    [kpi] = correlation(scores, pls, kpis=["leaver_rate"]).kpis
    x, y = np.array([50, 55, 61, 58, 70, 66.0]), np.array(leavers) / 100
    r = float(np.corrcoef(x, y)[0, 1])
    assert kpi.pearson_r == pytest.approx(r)
    ranks = lambda v: pd.Series(v).rank().to_numpy()  # noqa: E731
    assert kpi.spearman_rho == pytest.approx(float(np.corrcoef(ranks(x), ranks(y))[0, 1]))
    half = 1.959963984540054 / math.sqrt(6 - 3)
    assert kpi.pearson_interval is not None
    assert kpi.pearson_interval.low == pytest.approx(math.tanh(math.atanh(r) - half))
    assert kpi.n == 6


def test_too_few_or_constant_pairs_state_no_correlation_and_small_months_are_left_out() -> None:
    scores = pd.DataFrame(
        {"company_id": [1, 1, 1], "period": months(3), "respondents": [9, 9, 3], "score": [50.0, 60.0, 70.0]}
    )
    pls = statements([pl(1, p, 1_000_000, 0, 100, n) for p, n in zip(months(3), [1, 2, 3], strict=True)])
    [everyone] = correlation(scores, pls, kpis=["leaver_rate"]).kpis
    assert everyone.n == 3
    assert everyone.pearson_r == pytest.approx(1.0)
    assert everyone.pearson_interval is None  # Fisher's z needs four pairs and |r| < 1
    [vc] = correlation(scores, pls, kpis=["leaver_rate"], min_group=5).kpis
    assert (vc.n, vc.pearson_r, vc.spearman_rho) == (2, None, None)
    flat = statements([pl(1, p, 1_000_000, 0, 100, 2) for p in months(3)])
    [constant] = correlation(scores, flat, kpis=["leaver_rate"]).kpis
    assert (constant.n, constant.pearson_r) == (3, None)

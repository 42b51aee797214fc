"""The analysis functions vs the same computation in bare pandas/SciPy, on frames already in memory.

    .venv/bin/python bench/analysis.py [--answers 1000000] [--companies 200] [--months 24]

Builds survey answers (before/after pairs, one treatment each) and P&L months in memory, then times

- ``vas_change`` against a bare pandas pairing + ``scipy.stats.ttest_rel`` / ``wilcoxon`` per
  dimension, overall and per company;
- ``monthly_scores`` + ``correlation`` (lag 2) against a bare groupby + ``pearsonr`` / ``spearmanr``;

prints both times, the ratio bare / project (target >= 0.5), the peak memory the project's run
added (tracemalloc), and the project's time at a tenth of the answers (the growth should be close to
linear). Loading through the warehouse is not measured: the warehouse is not built yet.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.service.analysis.correlation import correlation
from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.vas import vas_change
from backend.service.analysis.wellness import monthly_scores


def frames(answers: int, companies: int, months: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pairs = answers // 2
    company = rng.integers(1, companies + 1, size=pairs)
    employee = company * 10_000 + rng.integers(0, 400, size=pairs)
    month = rng.integers(0, months, size=pairs)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    when = start + pd.to_timedelta(month * 30 + rng.integers(0, 25, size=pairs), unit="D")
    before = {d: rng.uniform(20, 80, size=pairs) for d in VAS_DIMENSIONS}
    after = {d: np.clip(before[d] + 8 + rng.normal(0, 6, size=pairs), 0, 100) for d in VAS_DIMENSIONS}
    treatment = pd.array([f"t{i}" for i in range(pairs)], dtype="string")
    halves = []
    for phase, at, scores in (("before", when, before), ("after", when + pd.Timedelta(days=7), after)):
        halves.append(
            pd.DataFrame(
                {
                    "employee_id": pd.array(employee, dtype="Int64"),
                    "company_id": pd.array(company, dtype="Int64"),
                    "treatment_id": treatment,
                    "phase": pd.array([phase] * pairs, dtype="string"),
                    "answered_at": at,
                    **scores,
                }
            )
        )
    surveys = pd.concat(halves, ignore_index=True)
    periods = pd.date_range("2024-01-01", periods=months, freq="MS").astype("datetime64[s]")
    pl = pd.DataFrame(
        [
            {
                "company_id": c,
                "period": p,
                "revenue_yen": int(rng.integers(10**7, 10**8)),
                "operating_profit_yen": int(rng.integers(-(10**6), 10**7)),
                "headcount": 400,
                "leavers": int(rng.integers(0, 20)),
            }
            for c in range(1, companies + 1)
            for p in periods
        ]
    ).astype({"company_id": "Int64", "revenue_yen": "Int64", "operating_profit_yen": "Int64"})
    pl = pl.astype({"headcount": "Int64", "leavers": "Int64"})
    return surveys, pl


# --- bare baselines ----------------------------------------------------------------------------------


def bare_vas(surveys: pd.DataFrame) -> dict[Any, Any]:
    key = ["company_id", "employee_id", "treatment_id"]
    b, a = surveys[surveys["phase"] == "before"], surveys[surveys["phase"] == "after"]
    pairs = b.merge(a, on=key, suffixes=("_b", "_a"))
    out: dict[Any, Any] = {}
    for key, group in [(None, pairs), *pairs.groupby("company_id")]:
        for d in VAS_DIMENSIONS:
            x, y = group[f"{d}_b"].to_numpy(), group[f"{d}_a"].to_numpy()
            diff = y - x
            out[(key, d)] = (
                diff.mean(),
                stats.ttest_rel(y, x),
                stats.wilcoxon(diff),
                diff.mean() / diff.std(ddof=1),
            )
    return out


def bare_correlation(surveys: pd.DataFrame, pl: pd.DataFrame) -> list[Any]:
    month = surveys["answered_at"].dt.strftime("%Y-%m")
    scores = (
        surveys.assign(month=month).groupby(["company_id", "month"])[list(VAS_DIMENSIONS)].mean().mean(axis=1)
    )
    scores = scores.rename("score").reset_index()
    pl = pl.assign(month=(pl["period"] - pd.DateOffset(months=2)).dt.strftime("%Y-%m"))
    pl["rate"] = pl["leavers"].astype(float) / pl["headcount"].astype(float)
    joined = scores.merge(pl, on=["company_id", "month"])
    return [stats.pearsonr(joined["score"], joined["rate"]), stats.spearmanr(joined["score"], joined["rate"])]


# --- running -----------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    print(f"building {args.answers:,} answers, {args.companies} companies × {args.months} months of P&L ...")
    surveys, pl = frames(args.answers, args.companies, args.months)
    small, small_pl = frames(args.answers // 10, args.companies, args.months)
    cases: list[
        tuple[str, Callable[[pd.DataFrame, pd.DataFrame], Any], Callable[[pd.DataFrame, pd.DataFrame], Any]]
    ] = [
        ("vas_change", lambda s, p: vas_change(s), lambda s, p: bare_vas(s)),
        (
            "wellness + correlation (lag 2)",
            lambda s, p: correlation(monthly_scores(s, p), p, lag_months=2),
            bare_correlation,
        ),
    ]
    heading = f"{'analysis':<32} {'project s':>10} {'bare s':>8} {'ratio':>6} {'peak MB':>8} {'1/10 s':>7}"
    print(f"\n{heading} {'growth':>7}")
    for name, project, bare in cases:
        t_project = timed(lambda f=project: f(surveys, pl))  # type: ignore[misc]
        t_bare = timed(lambda f=bare: f(surveys, pl))  # type: ignore[misc]
        t_small = timed(lambda f=project: f(small, small_pl))  # type: ignore[misc]
        peak = peak_mb(lambda f=project: f(surveys, pl))  # type: ignore[misc]
        print(
            f"{name:<32} {t_project:>10.2f} {t_bare:>8.2f} {t_bare / t_project:>6.2f} {peak:>8.0f}"
            f" {t_small:>7.2f} {t_project / t_small:>6.1f}×"
        )
    print(
        "\nratio = bare / project (target >= 0.5); growth = time at all answers / at a tenth (10× is linear)"
    )
    print("loading through the warehouse vs a raw scan: not measured, the warehouse is not built yet")


if __name__ == "__main__":
    main()

"""``vas_change``: how each VAS dimension moves from before a treatment to after it.

Pairs: an employee's answers for one treatment (``treatment_id``; answers without one pair per
employee), the latest answer of each phase, kept only where the before answer does not come after
the after answer. For each dimension and group the change is after − before: its mean with a 95%
interval from the t distribution, the paired t-test, the Wilcoxon signed-rank test (zero changes
dropped, as scipy's default does) and Cohen's d_z (mean change / SD of the changes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.privacy import suppressed_groups
from backend.service.analysis.results import GroupChange, Interval, PairedChange, VasChange

LEVEL = 0.95


def paired_answers(surveys: pd.DataFrame) -> pd.DataFrame:
    """One row per pair: company_id, employee_id, and ``<dimension>_before`` / ``_after`` columns."""
    frame = surveys.assign(pair=surveys["treatment_id"].fillna(""))
    key = ["company_id", "employee_id", "pair"]
    latest = frame.sort_values("answered_at").groupby([*key, "phase"], sort=False).tail(1)
    before = latest[latest["phase"] == "before"]
    after = latest[latest["phase"] == "after"]
    pairs = before.merge(after, on=key, how="inner", suffixes=("_before", "_after"))
    return pairs[pairs["answered_at_before"] <= pairs["answered_at_after"]].reset_index(drop=True)


def vas_change(
    surveys: pd.DataFrame, *, dimensions: Sequence[str] = VAS_DIMENSIONS, min_group: int = 1
) -> VasChange:
    """Per company and overall. ``min_group``: 5 for VC users (aggregates of at least 5 employees),
    1 for the Startup Wellness team."""
    pairs = paired_answers(surveys)
    by_company = {int(str(c)): group for c, group in pairs.groupby("company_id", sort=True)}
    sizes = {c: int(group["employee_id"].nunique()) for c, group in by_company.items()}
    hidden = suppressed_groups(sizes, min_group=min_group)
    companies = [
        _group(company, group, dimensions, suppressed=company in hidden)
        for company, group in by_company.items()
    ]
    total = int(pairs["employee_id"].nunique()) if len(pairs) else 0
    overall = _group(None, pairs, dimensions, suppressed=0 < total < min_group)
    return VasChange(overall=overall, companies=companies, min_group=min_group)


def _group(
    company_id: int | None, pairs: pd.DataFrame, dimensions: Sequence[str], *, suppressed: bool
) -> GroupChange:
    if suppressed:
        hidden = [PairedChange(dimension=d, n=None) for d in dimensions]
        return GroupChange(company_id=company_id, employees=None, suppressed=True, dimensions=hidden)
    changes = [
        paired_change(d, pairs[f"{d}_before"].to_numpy(float), pairs[f"{d}_after"].to_numpy(float))
        for d in dimensions
    ]
    employees = int(pairs["employee_id"].nunique()) if len(pairs) else 0
    return GroupChange(company_id=company_id, employees=employees, dimensions=changes)


def paired_change(dimension: str, before: np.ndarray, after: np.ndarray) -> PairedChange:
    """The statistics of one dimension's pairs (``before[i]`` and ``after[i]`` are one pair)."""
    n = len(before)
    if n == 0:
        return PairedChange(dimension=dimension, n=0)
    change = after - before
    mean = float(change.mean())
    result: dict[str, object] = {
        "dimension": dimension,
        "n": n,
        "mean_before": float(before.mean()),
        "mean_after": float(after.mean()),
        "mean_change": mean,
    }
    if n >= 2:
        sd = float(change.std(ddof=1))
        half = float(stats.t.ppf((1 + LEVEL) / 2, n - 1)) * sd / np.sqrt(n)
        result["interval"] = Interval(low=mean - half, high=mean + half, level=LEVEL)
        if sd > 0:
            tested = stats.ttest_rel(after, before)
            result |= {
                "t_statistic": float(tested.statistic),
                "t_p_value": float(tested.pvalue),
                "cohens_dz": mean / sd,
            }
    if np.any(change != 0):
        ranked = stats.wilcoxon(change)
        result |= {"wilcoxon_statistic": float(ranked.statistic), "wilcoxon_p_value": float(ranked.pvalue)}
    return PairedChange.model_validate(result)

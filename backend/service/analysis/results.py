"""What analyses answer: estimates with their interval and n, never a bare number; suppressed groups
say so instead of showing their values."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(Result):
    low: float
    high: float
    level: float = 0.95


class PairedChange(Result):
    """Before → after of one VAS dimension over paired answers (after − before)."""

    dimension: str
    n: int | None  # pairs; None where the group is suppressed
    mean_before: float | None = None
    mean_after: float | None = None
    mean_change: float | None = None
    interval: Interval | None = None  # of the mean change (t distribution); None below two pairs
    t_statistic: float | None = None  # paired t-test
    t_p_value: float | None = None
    wilcoxon_statistic: float | None = None  # Wilcoxon signed-rank (zero differences dropped)
    wilcoxon_p_value: float | None = None
    cohens_dz: float | None = None  # mean change / SD of the changes


class GroupChange(Result):
    """The changes of one company (``company_id``), or of all companies in scope (None)."""

    company_id: int | None
    employees: int | None  # distinct employees with a pair; None where suppressed
    suppressed: bool = False
    dimensions: list[PairedChange]


class VasChange(Result):
    overall: GroupChange
    companies: list[GroupChange]
    min_group: int  # groups of fewer employees (and those that would reveal them) are suppressed

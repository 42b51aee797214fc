"""``roi``: is the programme worth its cost? Per company and per VC firm,

    ROI = (estimated benefit − programme cost) / programme cost

- **Cost**: the invoices' amounts before tax (``amount_yen``), drafts and void invoices left out.
  An invoice with a company counts for that company (and its VC firm); one issued to a VC firm
  without a company counts for the firm only.
- **Start**: a company's programme starts in the month of its first survey answer; the months from
  then on are the programme months, the P&L months before it the baseline.
- **Benefit** = productivity + retention:
  - productivity: the mean VAS change over the five dimensions (``vas_change``, all companies' pairs
    of the company) × the employees with a pair × the programme months ×
    ``yen_per_vas_point_month`` (what one VAS point is worth per employee and month);
  - retention: (baseline leaver rate − programme leaver rate, per month) × the mean programme
    headcount × the programme months × ``yen_per_leaver`` (what losing one employee costs). Without
    baseline months there is no retention estimate (0).
- **Sensitivity**: ROI again with each assumption at half and at one and a half times its value
  (every combination); the result carries the lowest and the highest.

The assumptions are parameters (``RoiAssumptions``) with defaults written down here: a leaver costs
2,000,000 yen (recruiting and training a replacement, about half a year's pay at Japan's average
salary of about 4.6 M yen), one VAS point is worth 500 yen per employee and month (presenteeism).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pandas as pd
from pydantic import Field

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.privacy import suppressed_groups
from backend.service.analysis.results import Result
from backend.service.analysis.vas import paired_answers

COUNTED = ("issued", "paid", "overdue")  # invoice statuses that are a cost
SENSITIVITY = (0.5, 1.0, 1.5)


class RoiAssumptions(Result):
    yen_per_leaver: int = Field(default=2_000_000, ge=0)
    yen_per_vas_point_month: int = Field(default=500, ge=0)


class RoiRange(Result):
    low: float
    high: float
    factors: tuple[float, ...] = SENSITIVITY


class Roi(Result):
    scope: str  # "company" or "vc_firm"
    key: str  # the company id, or the VC firm's name
    cost_yen: int
    benefit_yen: int | None  # None without a cost to weigh it against
    productivity_yen: int | None = None
    retention_yen: int | None = None
    roi: float | None = None  # None where there is no cost
    sensitivity: RoiRange | None = None
    employees: int = 0  # with a before/after pair
    programme_months: int = 0
    mean_vas_change: float | None = None
    leaver_rate_change: float | None = None  # programme − baseline, per month
    suppressed: bool = False  # too few employees: what the VAS answers give (and ROI) is not shown


class RoiResult(Result):
    assumptions: RoiAssumptions
    companies: list[Roi]
    vc_firms: list[Roi]


def roi(
    surveys: pd.DataFrame,
    statements: pd.DataFrame,
    invoices: pd.DataFrame,
    companies: pd.DataFrame,
    *,
    assumptions: RoiAssumptions | None = None,
    min_group: int = 1,
) -> RoiResult:
    """``companies``: id and vc_firm of the companies in scope; ``invoices``: company_id, vc_firm,
    amount_yen, status. With ``min_group`` (5 for VC users), a company whose VAS pairs come from
    fewer employees (or one that would reveal such a company by subtraction from its firm's figure)
    shows its cost and retention only."""
    assumptions = assumptions or RoiAssumptions()
    counted = invoices[invoices["status"].isin(COUNTED)]
    ids = sorted(int(c) for c in companies["id"])
    parts_of = {c: _benefit_parts(c, surveys, statements) for c in ids}
    sizes = {c: p.employees for c, p in parts_of.items() if p.employees > 0}
    hidden = suppressed_groups(sizes, min_group=min_group)
    per_company = []
    for company in ids:
        cost = int(counted.loc[counted["company_id"] == company, "amount_yen"].sum())
        shown = _roi("company", str(company), cost, [parts_of[company]], assumptions)
        per_company.append(_suppressed(shown) if company in hidden else shown)
    firms = []
    firm_of = {int(i): f for i, f in zip(companies["id"], companies["vc_firm"], strict=True) if pd.notna(f)}
    for firm in sorted(set(firm_of.values())):
        members = [c for c, f in firm_of.items() if f == firm]
        cost = int(counted.loc[counted["company_id"].isin(members), "amount_yen"].sum())
        cost += int(
            counted.loc[counted["company_id"].isna() & (counted["vc_firm"] == firm), "amount_yen"].sum()
        )
        shown = _roi("vc_firm", firm, cost, [parts_of[c] for c in members], assumptions)
        firms.append(_suppressed(shown) if 0 < shown.employees < min_group else shown)
    return RoiResult(assumptions=assumptions, companies=per_company, vc_firms=firms)


class _Parts(Result):
    """What the benefit of one company is made of, before the assumptions price it."""

    vas_point_months: float  # mean VAS change × employees × programme months
    leavers_avoided: float
    employees: int
    months: int
    mean_vas_change: float | None
    leaver_rate_change: float | None


def _benefit_parts(company: int, surveys: pd.DataFrame, statements: pd.DataFrame) -> _Parts:
    answers = surveys[surveys["company_id"] == company]
    if answers.empty:
        return _Parts(
            vas_point_months=0,
            leavers_avoided=0,
            employees=0,
            months=0,
            mean_vas_change=None,
            leaver_rate_change=None,
        )
    start = answers["answered_at"].min().strftime("%Y-%m")
    pl = statements[statements["company_id"] == company].assign(
        month=lambda f: f["period"].dt.strftime("%Y-%m")
    )
    baseline, programme = pl[pl["month"] < start], pl[pl["month"] >= start]
    months = len(programme)
    pairs = paired_answers(answers)
    employees = int(pairs["employee_id"].nunique()) if len(pairs) else 0
    change = None
    if len(pairs):
        change = float(sum((pairs[f"{d}_after"] - pairs[f"{d}_before"]).mean() for d in VAS_DIMENSIONS) / 5)
    rate_change, avoided = None, 0.0
    before_rate, during_rate = _leaver_rate(baseline), _leaver_rate(programme)
    if before_rate is not None and during_rate is not None:
        rate_change = during_rate - before_rate
        avoided = -rate_change * float(programme["headcount"].astype(float).mean()) * months
    return _Parts(
        vas_point_months=(change or 0.0) * employees * months,
        leavers_avoided=avoided,
        employees=employees,
        months=months,
        mean_vas_change=change,
        leaver_rate_change=rate_change,
    )


def _leaver_rate(months: pd.DataFrame) -> float | None:
    """Leavers per head and month over ``months`` (None without headcount)."""
    heads = float(months["headcount"].astype(float).sum()) if len(months) else 0.0
    return float(months["leavers"].astype(float).sum()) / heads if heads > 0 else None


def _price(parts: Iterable[_Parts], assumptions: RoiAssumptions) -> tuple[float, float]:
    items = list(parts)
    productivity = sum(p.vas_point_months for p in items) * assumptions.yen_per_vas_point_month
    retention = sum(p.leavers_avoided for p in items) * assumptions.yen_per_leaver
    return productivity, retention


def _suppressed(shown: Roi) -> Roi:
    hidden = ("benefit_yen", "productivity_yen", "roi", "sensitivity", "mean_vas_change")
    return shown.model_copy(update={**dict.fromkeys(hidden), "employees": 0, "suppressed": True})


def _roi(scope: str, key: str, cost: int, parts: list[_Parts], assumptions: RoiAssumptions) -> Roi:
    productivity, retention = _price(parts, assumptions)
    employees = sum(p.employees for p in parts)
    months = max((p.months for p in parts), default=0)
    changes = [p.mean_vas_change for p in parts if p.mean_vas_change is not None]
    rates = [p.leaver_rate_change for p in parts if p.leaver_rate_change is not None]
    described = {
        "scope": scope,
        "key": key,
        "cost_yen": cost,
        "employees": employees,
        "programme_months": months,
        "mean_vas_change": sum(changes) / len(changes) if changes else None,
        "leaver_rate_change": sum(rates) / len(rates) if rates else None,
    }
    if cost <= 0:
        return Roi(**described, benefit_yen=None)
    benefit = productivity + retention
    ratios = []
    for lever, vas in itertools.product(SENSITIVITY, SENSITIVITY):
        varied = RoiAssumptions(
            yen_per_leaver=round(assumptions.yen_per_leaver * lever),
            yen_per_vas_point_month=round(assumptions.yen_per_vas_point_month * vas),
        )
        ratios.append((sum(_price(parts, varied)) - cost) / cost)
    return Roi(
        **described,
        benefit_yen=round(benefit),
        productivity_yen=round(productivity),
        retention_yen=round(retention),
        roi=(benefit - cost) / cost,
        sensitivity=RoiRange(low=min(ratios), high=max(ratios)),
    )

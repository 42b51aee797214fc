"""A synthetic portfolio with known effects, deterministic for a seed (docs/demo-data.md).

Pure: rows as the import files would hold them (canonical column names), no store involved.
Planted so the analyses have something true to find:

- after a treatment, VAS rises by ``EFFECT`` points per dimension (physical +12, mental +8, ...);
- a month's leaver rate falls with the company's participation two months earlier:
  rate(t) = 2.5% − 2% × participation(t − 2), at least 0.3%;
- revenue grows about 1.5% a month, with noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import numpy as np

Scale = Literal["small", "full"]
JST = timezone(timedelta(hours=9))
EFFECT = {"physical": 12.0, "mental": 8.0, "motivation": 4.0, "communication": 3.0, "other": 2.0}
BASE_RATE, PARTICIPATION_EFFECT, FLOOR_RATE, LAG = 0.025, 0.02, 0.003, 2
UNIT_PRICE_YEN = 5_000
FIRMS = ("さくらベンチャーズ", "富士キャピタル", "みなとパートナーズ")
NAMES = (
    "株式会社ミライケア", "株式会社ソラテック", "株式会社ハルカ", "株式会社ツナグ", "株式会社アオバ製作所",
    "株式会社ヒカリ物流", "株式会社カエデフィナンス", "株式会社ナギサ", "株式会社イロドリ", "株式会社ユイ",
    "株式会社タビト", "株式会社コトハ", "株式会社ミナモ", "株式会社サクヤ", "株式会社トモシビ",
    "株式会社ホシゾラ", "株式会社ワカバ", "株式会社シズク", "株式会社アカリ", "株式会社ツムギ",
)  # fmt: skip
INDUSTRIES = ("SaaS", "HealthTech", "FinTech", "EC", "製造", "物流", "教育", "HR Tech")
STAGES = ("seed", "series_a", "series_b", "series_c")
DEPARTMENTS = ("開発部", "営業部", "カスタマーサクセス", "管理部", "マーケティング部")
KINDS = ("massage", "chiropractic", "coaching")
PRACTITIONERS = ("佐藤", "鈴木", "高橋", "田中")


@dataclass(frozen=True)
class Plan:
    companies: int
    mean_employees: int
    first_month: date  # the first P&L month
    months: int


PLANS: dict[Scale, Plan] = {
    "full": Plan(companies=20, mean_employees=100, first_month=date(2024, 1, 1), months=24),
    "small": Plan(companies=6, mean_employees=20, first_month=date(2025, 1, 1), months=12),
}


@dataclass
class CompanyData:
    name: str
    employees: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    # a survey names its treatment by (employee_code, started_at); the seed resolves the id
    surveys: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoData:
    companies: list[dict[str, Any]]
    per_company: list[CompanyData]


def generate(seed: int = 1, scale: Scale = "full") -> DemoData:
    plan = PLANS[scale]
    rng = np.random.default_rng(seed)
    companies, per_company = [], []
    for c in range(plan.companies):
        size = max(8, int(rng.normal(plan.mean_employees, plan.mean_employees * 0.3)))
        name = NAMES[c]
        companies.append(
            {
                "name": name,
                "industry": INDUSTRIES[c % len(INDUSTRIES)],
                "funding_stage": STAGES[int(rng.integers(len(STAGES)))],
                "vc_firm": FIRMS[c % len(FIRMS)],
                "employee_count": size,
            }
        )
        per_company.append(_company(rng, plan, c, name, size))
    return DemoData(companies=companies, per_company=per_company)


def _months(plan: Plan) -> list[date]:
    first = plan.first_month
    return [
        date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1)
        for m in range(plan.months)
    ]


def _company(rng: np.random.Generator, plan: Plan, c: int, name: str, size: int) -> CompanyData:
    data = CompanyData(name=name)
    months = _months(plan)
    start = int(rng.integers(3, max(4, plan.months // 3)))  # the programme's first month (index)
    share = float(rng.uniform(0.15, 0.85))  # this company's usual participation
    # levels kept off the ends of the scale, so that clipping at 0 and 100 hardly bends the effects
    base = {e: {d: float(np.clip(rng.normal(50, 10), 15, 70)) for d in EFFECT} for e in range(size)}
    for e in range(size):
        hired = date(2018, 1, 1) + timedelta(days=int(rng.integers(0, 2000)))
        data.employees.append(
            {
                "employee_code": f"E{e + 1:04d}",
                "department": DEPARTMENTS[int(rng.integers(len(DEPARTMENTS)))],
                "hired_on": hired.isoformat(),
                "is_active": "true",
            }
        )
    participation = [0.0] * plan.months
    revenue = float(rng.uniform(20_000_000, 120_000_000))
    for m, month in enumerate(months):
        treated: list[int] = []
        if m >= start:
            wanted = max(1, round(size * float(np.clip(rng.normal(share, 0.08), 0.05, 0.95))))
            treated = sorted(int(e) for e in rng.choice(size, size=min(size, wanted), replace=False))
            participation[m] = len(treated) / size
        for e in treated:
            _treatment_and_surveys(rng, data, e, month, base[e])
        earlier = participation[m - LAG] if m >= LAG else 0.0
        rate = max(FLOOR_RATE, BASE_RATE - PARTICIPATION_EFFECT * earlier)
        leavers = int(rng.binomial(size, rate))
        revenue *= 1.015 + float(rng.normal(0, 0.02))
        sales = round(revenue)
        cost, sga = int(sales * 0.35), int(sales * float(rng.uniform(0.5, 0.62)))
        profit = sales - cost - sga
        data.statements.append(
            {
                "period": month.strftime("%Y-%m"),
                "revenue_yen": sales,
                "cost_of_sales_yen": cost,
                "sga_yen": sga,
                "operating_profit_yen": profit,
                "net_income_yen": int(profit * 0.7),
                "headcount": size,
                "leavers": leavers,
            }
        )
        if treated:
            _invoice(data, c, month, len(treated), paid=m < plan.months - 1)
    return data


def _treatment_and_surveys(
    rng: np.random.Generator, data: CompanyData, e: int, month: date, base: dict[str, float]
) -> None:
    code = f"E{e + 1:04d}"
    day = int(rng.integers(1, 21))
    started = datetime(month.year, month.month, day, 10 + int(rng.integers(0, 8)), 0, tzinfo=JST)
    data.treatments.append(
        {
            "employee_code": code,
            "practitioner": PRACTITIONERS[int(rng.integers(len(PRACTITIONERS)))],
            "kind": KINDS[int(rng.integers(len(KINDS)))],
            "started_at": started.isoformat(),
            "minutes": int(rng.choice([30, 45, 60])),
            "credits_used": 1,
        }
    )
    before = {d: float(np.clip(base[d] + rng.normal(0, 5), 0, 100)) for d in EFFECT}
    after = {d: float(np.clip(before[d] + EFFECT[d] + rng.normal(0, 6), 0, 100)) for d in EFFECT}
    for phase, when, scores in (
        ("before", started - timedelta(minutes=30), before),
        ("after", started + timedelta(days=7), after),
    ):
        data.surveys.append(
            {
                "employee_code": code,
                "phase": phase,
                "answered_at": when.isoformat(),
                **{f"vas_{d}": round(v, 1) for d, v in scores.items()},
                "treatment_started_at": started.isoformat(),
            }
        )


def _invoice(data: CompanyData, c: int, month: date, credits: int, *, paid: bool) -> None:
    number = f"DEMO-{c + 1:02d}-{month:%Y%m}"
    amount = credits * UNIT_PRICE_YEN
    tax = amount // 10
    issued = date(month.year + month.month // 12, month.month % 12 + 1, 1)  # the month after
    due = issued + timedelta(days=30)
    data.invoices.append(
        {
            "invoice_number": number,
            "credits": credits,
            "unit_price_yen": UNIT_PRICE_YEN,
            "amount_yen": amount,
            "tax_yen": tax,
            "total_yen": amount + tax,
            "issued_on": issued.isoformat(),
            "due_on": due.isoformat(),
            "status": "paid" if paid else "issued",
            "paid_on": (issued + timedelta(days=20)).isoformat() if paid else "",
        }
    )
    if paid:
        data.payments.append(
            {
                "invoice_number": number,
                "amount_yen": amount + tax,
                "paid_on": (issued + timedelta(days=20)).isoformat(),
                "method": "bank_transfer",
            }
        )

"""roi on a hand-made portfolio: the documented cost, benefit and sensitivity, per company and firm."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.roi import RoiAssumptions, roi


def portfolio() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    answers = []
    for employee in range(1, 11):  # ten pairs in company 1, every dimension 50 → 60
        for phase, day, score in (("before", 5, 50.0), ("after", 20, 60.0)):
            answers.append(
                {
                    "employee_id": employee,
                    "company_id": 1,
                    "treatment_id": "t",
                    "phase": phase,
                    "answered_at": pd.Timestamp(datetime(2024, 4, day, tzinfo=UTC)),
                    **dict.fromkeys(VAS_DIMENSIONS, score),
                }
            )
    pl = [
        {"company_id": c, "period": f"2024-{m:02d}-01", "headcount": 100, "leavers": (3 if m < 4 else 1)}
        for c in (1, 2)
        for m in range(1, 7)
    ]
    statements = pd.DataFrame(pl).assign(period=lambda f: pd.to_datetime(f["period"]).astype("datetime64[s]"))
    invoices = pd.DataFrame(
        [
            {"company_id": 1, "vc_firm": "A", "amount_yen": 1_000_000, "status": "issued"},
            {"company_id": 1, "vc_firm": "A", "amount_yen": 500_000, "status": "paid"},
            {"company_id": 1, "vc_firm": "A", "amount_yen": 9_999, "status": "void"},
            {"company_id": 1, "vc_firm": "A", "amount_yen": 7, "status": "draft"},
            {"company_id": 2, "vc_firm": "A", "amount_yen": 300_000, "status": "overdue"},
            {"company_id": None, "vc_firm": "A", "amount_yen": 200_000, "status": "paid"},  # the firm's own
        ]
    )
    companies = pd.DataFrame({"id": [1, 2, 3], "vc_firm": ["A", "A", "B"]})
    return pd.DataFrame(answers), statements, invoices, companies


def test_a_company_s_roi_is_its_priced_benefit_against_its_invoices() -> None:
    result = roi(*portfolio())
    one, two, three = result.companies
    assert one.cost_yen == 1_500_000  # drafts and void invoices are no cost
    assert (one.employees, one.programme_months, one.mean_vas_change) == (10, 3, pytest.approx(10.0))
    assert one.leaver_rate_change == pytest.approx(-0.02)  # 3 a month per 100 before, 1 after
    assert one.productivity_yen == 10 * 10 * 3 * 500
    assert one.retention_yen == round(0.02 * 100 * 3 * 2_000_000)
    assert one.roi == pytest.approx((12_150_000 - 1_500_000) / 1_500_000)
    assert one.sensitivity is not None
    assert one.sensitivity.low == pytest.approx((12_150_000 * 0.5 - 1_500_000) / 1_500_000)
    assert one.sensitivity.high == pytest.approx((12_150_000 * 1.5 - 1_500_000) / 1_500_000)
    assert (two.cost_yen, two.benefit_yen, two.roi) == (300_000, 0, pytest.approx(-1.0))  # no programme yet
    assert (three.cost_yen, three.benefit_yen, three.roi) == (0, None, None)  # nothing to weigh


def test_a_vc_firm_adds_its_companies_and_its_own_invoices() -> None:
    a, b = roi(*portfolio()).vc_firms
    assert (a.key, a.cost_yen, a.benefit_yen) == ("A", 2_000_000, 12_150_000)
    assert a.roi == pytest.approx((12_150_000 - 2_000_000) / 2_000_000)
    assert (b.key, b.roi) == ("B", None)


def test_the_assumptions_are_parameters() -> None:
    cheap = RoiAssumptions(yen_per_leaver=0, yen_per_vas_point_month=1_000)
    one = roi(*portfolio(), assumptions=cheap).companies[0]
    assert (one.retention_yen, one.productivity_yen) == (0, 300_000)
    assert one.roi == pytest.approx((300_000 - 1_500_000) / 1_500_000)


def test_for_vc_users_a_company_with_few_employees_shows_cost_and_retention_only() -> None:
    surveys, statements, invoices, companies = portfolio()  # company 1 has 10 employees with pairs
    few = surveys[surveys["employee_id"] <= 3]  # now 3
    one, two, _ = roi(few, statements, invoices, companies, min_group=5).companies
    assert one.suppressed
    assert (one.roi, one.benefit_yen, one.productivity_yen, one.mean_vas_change) == (None, None, None, None)
    assert (one.cost_yen, one.retention_yen) == (1_500_000, round(0.02 * 100 * 3 * 2_000_000))
    assert not two.suppressed  # no survey pairs: nothing of individuals to hide
    firm_a = roi(few, statements, invoices, companies, min_group=5).vc_firms[0]
    assert firm_a.suppressed  # the firm's figure is of the same 3 employees
    assert not roi(surveys, statements, invoices, companies, min_group=5).companies[0].suppressed

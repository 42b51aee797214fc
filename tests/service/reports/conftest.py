"""Report data for the renderers: from the small demo portfolio (the analyses run in process on its
frames) and hand-made (suppressed groups, names that look like formulas)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.service.analysis.correlation import Correlation, KpiCorrelation
from backend.service.analysis.frames import VAS_DIMENSIONS
from backend.service.analysis.regression import Coefficient, Regression
from backend.service.analysis.results import GroupChange, Interval, PairedChange, VasChange
from backend.service.analysis.roi import Roi as RoiRow
from backend.service.analysis.roi import RoiAssumptions, RoiRange, RoiResult
from backend.service.analysis.wellness import CompanyScore, MonthScore, Trend, WellnessScore, WellnessWeights
from backend.service.demo.frames import DemoFrames, demo_frames
from backend.service.demo.generate import generate
from backend.service.reports.data import CompanyInfo, ReportData, report_data
from backend.service.reports.offline import report_from_frames

TODAY = date(2026, 1, 15)
# names a spreadsheet would read as formulas (or a DDE command), and ones starting with a tab or CR
INJECTIONS = ('=HYPERLINK("http://x")', "=cmd|' /C calc'!A0", "+1 Holdings", "-1 Labs", "@SUM(A1:A9)")
CONTROL = ("\tTab株式会社", "\rCR株式会社")


@pytest.fixture(scope="session")
def demo() -> DemoFrames:
    return demo_frames(generate(1, "small"))


@pytest.fixture(scope="session")
def company_report(demo: DemoFrames) -> ReportData:
    """One demo company as the Startup Wellness team sees it."""
    return report_from_frames(demo, [1], today=TODAY)


@pytest.fixture(scope="session")
def portfolio_report(demo: DemoFrames) -> ReportData:
    """The whole small demo portfolio as a VC user sees it (groups of fewer than 5 suppressed)."""
    return report_from_frames(demo, None, min_group=5, today=TODAY)


def change(dimension: str, mean: float, n: int = 40) -> PairedChange:
    return PairedChange(
        dimension=dimension,
        n=n,
        mean_before=50.0,
        mean_after=50.0 + mean,
        mean_change=mean,
        interval=Interval(low=mean - 1.25, high=mean + 1.25),
        t_statistic=9.0,
        t_p_value=0.0004,
        wilcoxon_statistic=10.0,
        wilcoxon_p_value=0.0123,
        cohens_dz=0.87,
    )


def hidden_group(company_id: int) -> GroupChange:
    return GroupChange(
        company_id=company_id,
        employees=None,
        suppressed=True,
        dimensions=[PairedChange(dimension=d, n=None) for d in VAS_DIMENSIONS],
    )


def months(company_id: int, hide: set[str]) -> CompanyScore:
    periods = [f"2025-{m:02d}" for m in range(1, 7)]
    shown = [
        MonthScore(period=p, suppressed=True)
        if p in hide
        else MonthScore(
            period=p, respondents=12, participation=0.4 + i / 100, vas_score=55.0 + i, score=60.0 + i
        )
        for i, p in enumerate(periods)
    ]
    trend = Trend(slope=0.4321, interval=Interval(low=0.1234, high=0.7408), p_value=0.0213, n=len(periods))
    return CompanyScore(company_id=company_id, months=shown, trend=trend)


def hand_made(names: tuple[str, ...], *, firm: str = '=HYPERLINK("http://vc")') -> ReportData:
    """Companies 1..n: the first shown in full, the others suppressed as a VC user sees them."""
    ids = list(range(1, len(names) + 1))
    companies = [
        CompanyInfo(id=i, name=n, vc_firm=firm, employee_count=30) for i, n in zip(ids, names, strict=True)
    ]
    shown = GroupChange(
        company_id=1,
        employees=25,
        dimensions=[change(d, m) for d, m in zip(VAS_DIMENSIONS, (12.3, 8, 4, 3, 2), strict=True)],
    )
    overall = shown.model_copy(update={"company_id": None, "employees": 31})
    vas = VasChange(overall=overall, companies=[shown, *[hidden_group(i) for i in ids[1:]]], min_group=5)
    wellness = WellnessScore(
        weights=WellnessWeights(),
        companies=[months(i, {"2025-03"} if i == 1 else {"2025-01", "2025-02"}) for i in ids],
        min_group=5,
    )
    kpi = KpiCorrelation(
        kpi="leaver_rate",
        n=57,
        companies=len(ids),
        pearson_r=-0.3141,
        pearson_p_value=0.0042,
        pearson_interval=Interval(low=-0.52, high=-0.07),
        spearman_rho=-0.2718,
        spearman_p_value=0.011,
    )
    correlations = [Correlation(lag_months=lag, min_group=5, kpis=[kpi]) for lag in (0, 2)]
    regression = Regression(
        kpi="leaver_rate",
        lag_months=2,
        n=57,
        companies=len(ids),
        r_squared=0.21,
        month_effects=5,
        standard_errors="HC1",
        coefficients=[
            Coefficient(
                name="wellness",
                estimate=-0.00102,
                interval=Interval(low=-0.00146, high=-0.00058),
                p_value=0.0001,
            ),
            Coefficient(
                name="log_headcount", estimate=0.002, interval=Interval(low=-0.001, high=0.005), p_value=0.3
            ),
        ],
    )
    first = RoiRow(
        scope="company",
        key="1",
        cost_yen=1_234_567,
        benefit_yen=9_876_543,
        productivity_yen=5_000_000,
        retention_yen=4_876_543,
        roi=(9_876_543 - 1_234_567) / 1_234_567,
        sensitivity=RoiRange(low=3.1234, high=10.5678),
        employees=25,
        programme_months=6,
        mean_vas_change=5.87,
        leaver_rate_change=-0.0123,
    )
    others = [
        RoiRow(
            scope="company",
            key=str(i),
            cost_yen=250_000,
            benefit_yen=None,
            retention_yen=120_000,
            suppressed=True,
        )
        for i in ids[1:]
    ]
    firm_row = first.model_copy(update={"scope": "vc_firm", "key": firm, "cost_yen": 2_000_000, "roi": 2.5})
    roi = RoiResult(assumptions=RoiAssumptions(), companies=[first, *others], vc_firms=[firm_row])
    return report_data(
        companies=companies,
        vas_change=vas,
        wellness_score=wellness,
        correlations=correlations,
        regressions=[regression],
        roi=roi,
        generated_on=TODAY,
        scope=ids,
        results_as_of=datetime(2026, 1, 15, 0, 30, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def suppressed_portfolio() -> ReportData:
    """Three companies, two of them suppressed, named like formulas; the VC firm too."""
    return hand_made(("株式会社ミライケア", INJECTIONS[0], CONTROL[0]))


@pytest.fixture(scope="session")
def injected_portfolio() -> ReportData:
    return hand_made((*INJECTIONS, *CONTROL))

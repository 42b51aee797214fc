"""The figures a report leads with, taken from the results as they are (both formats show these):
the physical VAS change with its interval, the wellness trend, and the ROI with its sensitivity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.service.analysis.results import GroupChange, PairedChange
from backend.service.analysis.roi import Roi
from backend.service.analysis.wellness import CompanyScore
from backend.service.reports.data import ReportData

Unit = Literal["points", "points_per_month", "share", "companies"]
LEAD_DIMENSION = "physical"


@dataclass(frozen=True)
class Headline:
    label: str
    unit: Unit
    value: float | None
    low: float | None = None  # the 95% interval, or the ROI's sensitivity range
    high: float | None = None
    n: int | None = None
    suppressed: bool = False
    note: str = ""


@dataclass(frozen=True)
class Summary:
    vas: Headline
    wellness: Headline
    roi: list[Headline]  # the company's; in a portfolio, each VC firm's


def summary(data: ReportData) -> Summary:
    return Summary(vas=_vas(data.vas_change.overall), wellness=_wellness(data), roi=_roi(data))


def dimension(group: GroupChange, name: str = LEAD_DIMENSION) -> PairedChange | None:
    return next((d for d in group.dimensions if d.dimension == name), None)


def rising(score: CompanyScore) -> bool | None:
    """True where the trend's interval lies above 0, False below, None where it holds 0 (or is missing)."""
    interval = score.trend.interval if score.trend else None
    if interval is None or interval.low <= 0 <= interval.high:
        return None
    return interval.low > 0


def _vas(group: GroupChange) -> Headline:
    label = "身体症状のVAS変化（ポイント）"
    change = dimension(group)
    if group.suppressed or change is None:
        return Headline(label, "points", None, suppressed=group.suppressed)
    interval = change.interval
    return Headline(
        label,
        "points",
        change.mean_change,
        interval.low if interval else None,
        interval.high if interval else None,
        n=change.n,
        note=f"{group.employees or 0:,}名・{change.n or 0:,}組の施術前後",
    )


def _wellness(data: ReportData) -> Headline:
    if data.kind == "company":
        score = data.wellness_of(data.companies[0].id) if data.companies else None
        trend = score.trend if score else None
        label = "ウェルネス傾向（ポイント/月）"
        if trend is None:
            return Headline(label, "points_per_month", None)
        interval = trend.interval
        return Headline(
            label,
            "points_per_month",
            trend.slope,
            interval.low if interval else None,
            interval.high if interval else None,
            n=trend.n,
            note=f"{trend.n}か月の最小二乗傾向",
        )
    verdicts = [rising(s) for s in data.wellness_score.companies]
    up, down = verdicts.count(True), verdicts.count(False)
    return Headline(
        "ウェルネススコアが上昇傾向の企業",
        "companies",
        float(up),
        n=len(verdicts),
        note=f"低下 {down}社（95%区間で判定）",
    )


def _roi(data: ReportData) -> list[Headline]:
    rows: list[tuple[str, Roi | None]]
    if data.kind == "company":
        rows = [("ROI", data.roi_of(data.companies[0].id) if data.companies else None)]
    else:
        rows = [(f"ROI（{r.key}）", r) for r in data.roi.vc_firms]
    return [_roi_headline(label, row) for label, row in rows]


def _roi_headline(label: str, row: Roi | None) -> Headline:
    if row is None or row.roi is None:
        return Headline(label, "share", None, suppressed=bool(row and row.suppressed))
    sensitivity = row.sensitivity
    return Headline(
        label,
        "share",
        row.roi,
        sensitivity.low if sensitivity else None,
        sensitivity.high if sensitivity else None,
        note="感度範囲: 前提を0.5〜1.5倍",
    )

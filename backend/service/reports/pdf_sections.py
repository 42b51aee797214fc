"""The PDF's sections, one function each: what a section shows of the results, in the report's
number formats, suppressed values as suppressed."""

from __future__ import annotations

from backend.service.analysis.results import GroupChange
from backend.service.analysis.roi import Roi
from backend.service.reports import charts
from backend.service.reports import formats as f
from backend.service.reports.data import ReportData
from backend.service.reports.notes import roi_assumptions
from backend.service.reports.pdf_layout import MUTED, ReportPdf

ERRORS = {"clustered by company": "企業クラスター", "HC1": "HC1（頑健）"}


def participation(pdf: ReportPdf, data: ReportData, company_id: int) -> None:
    shown = data.participation_of(company_id)
    company = data.company(company_id)
    hidden = f.suppressed(data.min_group)
    if shown is None:
        pdf.paragraph("参加の記録がありません。")
        return
    with_pairs = hidden if shown.employees_with_pairs is None else f"{shown.employees_with_pairs:,}名"
    latest = f"直近月（{f.month(shown.latest_period)}）の参加率" if shown.latest_period else "直近月の参加率"
    pdf.figures(
        [
            ("従業員数（企業マスタ）", f.count(company.employee_count)),
            ("施術前後の回答がそろった従業員", with_pairs),
            ("月平均参加率", f.percent(shown.mean_participation)),
            (latest, f.percent(shown.latest_participation)),
        ]
    )
    notes = [f"回答のあった月: {shown.months}か月", "参加率 = その月の回答者 / 従業員数（損益計算書）"]
    if shown.latest_period:
        notes.insert(1, f"直近月の回答者: {f.count(shown.latest_respondents)}名")
    if shown.suppressed_months:
        notes.append(f"非表示の月: {shown.suppressed_months}か月 {hidden}")
    pdf.paragraph("　・　".join(notes), size=7.5, color=MUTED)


def participation_table(pdf: ReportPdf, data: ReportData) -> None:
    hidden = f.suppressed(data.min_group)
    rows = []
    for company in data.companies:
        p = data.participation_of(company.id)
        if p is None:
            continue
        pairs = hidden if p.employees_with_pairs is None else f.count(p.employees_with_pairs)
        rows.append(
            [
                company.name,
                f.count(company.employee_count),
                pairs,
                f"{p.months}",
                f.percent(p.mean_participation),
                f.percent(p.latest_participation),
            ]
        )
    overall = data.vas_change.overall
    total = hidden if overall.suppressed else f.count(overall.employees)
    rows.append(["合計", f.count(_sum(c.employee_count for c in data.companies)), total, "", "", ""])
    headings = [
        "企業",
        "従業員数",
        "前後の回答がそろった従業員",
        "回答月数",
        "月平均参加率",
        "直近月の参加率",
    ]
    pdf.data_table(headings, rows, widths=(0.28, 0.1, 0.24, 0.1, 0.14, 0.14))


def vas(pdf: ReportPdf, data: ReportData, group: GroupChange | None) -> None:
    """The chart of the mean changes with their intervals, and the table behind it."""
    if group is None:
        pdf.paragraph("施術前後の回答の組がありません。")
        return
    if group.suppressed:
        pdf.paragraph(f"VAS変化: {f.suppressed(data.min_group)}")
        return
    pdf.chart(charts.vas_change(group))
    rows = [
        [
            f.DIMENSIONS.get(d.dimension, d.dimension),
            f.count(d.n),
            f.number(d.mean_before),
            f.number(d.mean_after),
            f.estimate(d.mean_change, d.interval),
            f.p_value(d.t_p_value),
            f.p_value(d.wilcoxon_p_value),
            f.number(d.cohens_dz, 2),
        ]
        for d in group.dimensions
    ]
    headings = ["項目", "n（組）", "施術前", "施術後", "変化 [95%区間]", "p（t検定）", "p（Wilcoxon）", "d_z"]
    pdf.data_table(headings, rows, widths=(0.19, 0.09, 0.08, 0.08, 0.22, 0.11, 0.14, 0.09))
    pdf.paragraph(
        f"{group.employees or 0:,}名。変化は施術後 − 施術前（VAS 0–100）。区間はt分布による95%信頼区間、"
        "d_zは変化の平均 / 変化の標準偏差。",
        size=7.5,
        color=MUTED,
    )


def wellness(pdf: ReportPdf, data: ReportData, company_id: int) -> None:
    score = data.wellness_of(company_id)
    if score is None or not score.months:
        pdf.paragraph("ウェルネススコアを算出できる月がありません。")
        return
    shown = [m for m in score.months if m.score is not None]
    if shown:
        pdf.chart(charts.wellness_trend(score))
    trend = score.trend
    slope = f.estimate(trend.slope if trend else None, trend.interval if trend else None, 2)
    parts = [
        f"傾向 {slope} ポイント/月",
        f"p値 {f.p_value(trend.p_value if trend else None)}",
        f"{len(shown)}か月",
    ]
    if shown:
        parts.append(f"直近月（{f.month(shown[-1].period)}） {f.number(shown[-1].score)}")
    hidden = len(score.months) - len(shown)
    if hidden:
        parts.append(f"非表示の月（傾向から除外）{hidden}か月 {f.suppressed(data.min_group)}")
    pdf.paragraph(" ・ ".join(parts), size=8.5)


def trends_table(pdf: ReportPdf, data: ReportData) -> None:
    rows = []
    named = []
    for company in data.companies:
        score = data.wellness_of(company.id)
        if score is None:
            continue
        named.append((company.name, score))
        shown = [m for m in score.months if m.score is not None]
        trend = score.trend
        rows.append(
            [
                company.name,
                f.month(shown[-1].period) if shown else f.NOTHING,
                f.number(shown[-1].score) if shown else f.NOTHING,
                f.estimate(trend.slope if trend else None, trend.interval if trend else None, 2),
                f.p_value(trend.p_value if trend else None),
                f.count(trend.n if trend else None),
            ]
        )
    if any(s.trend for _, s in named):
        pdf.chart(charts.trends(named))
    headings = ["企業", "直近月", "直近スコア", "傾向（ポイント/月）[95%区間]", "p値", "月数"]
    pdf.data_table(headings, rows, widths=(0.3, 0.13, 0.11, 0.26, 0.1, 0.1))


def correlation(pdf: ReportPdf, data: ReportData) -> None:
    rows = [
        [
            f.KPIS.get(k.kpi, k.kpi),
            f"{c.lag_months}",
            f.count(k.n),
            f.count(k.companies),
            f.estimate(k.pearson_r, k.pearson_interval, 2),
            f.p_value(k.pearson_p_value),
            f.number(k.spearman_rho, 2),
        ]
        for kpi in f.KPIS
        for c in data.correlations
        for k in c.kpis
        if k.kpi == kpi
    ]
    headings = ["損益の指標", "ラグ（月）", "n", "企業数", "r [95%区間]", "p値", "Spearman ρ"]
    pdf.data_table(headings, rows, widths=(0.25, 0.1, 0.08, 0.09, 0.24, 0.1, 0.14))
    pdf.paragraph(
        "各組は企業のある月のウェルネススコアと、ラグ月後の損益指標です（企業×月をプール）。"
        "rはPearsonの相関係数（95%区間はFisherのz変換）。相関は因果を示しません。",
        size=7.5,
        color=MUTED,
    )
    regressions = [r for r in data.regressions if r.coefficients]
    if not regressions:
        return
    pdf.heading("回帰分析: 離職率とウェルネススコア", level=1)
    reg_rows = []
    for r in data.regressions:
        w = next((c for c in r.coefficients if c.name == "wellness"), None)
        scaled = (
            w.interval.model_copy(update={"low": w.interval.low * 100, "high": w.interval.high * 100})
            if w
            else None
        )
        reg_rows.append(
            [
                f"{r.lag_months}",
                f.estimate(w.estimate * 100 if w else None, scaled, 3),
                f.p_value(w.p_value if w else None),
                f.count(r.n),
                f.count(r.companies),
                f.number(r.r_squared, 2),
                ERRORS.get(r.standard_errors or "", r.standard_errors or f.NOTHING),
            ]
        )
    headings = ["ラグ（月）", "係数（%pt/スコア1点）[95%区間]", "p値", "n", "企業数", "R²", "標準誤差"]
    pdf.data_table(headings, reg_rows, widths=(0.1, 0.3, 0.1, 0.09, 0.09, 0.09, 0.23))
    pdf.paragraph(
        "離職率（月次） = b0 + b × ウェルネススコア（ラグ月前） + 企業規模（従業員数の対数） + 月の固定効果。"
        "係数はスコア1点あたりの離職率の変化（%ポイント）。",
        size=7.5,
        color=MUTED,
    )


def roi(pdf: ReportPdf, data: ReportData, row: Roi | None) -> None:
    if row is None:
        pdf.paragraph("ROIを算出できるデータがありません。")
        return
    hidden = f.suppressed(data.min_group)

    def shown(text: str) -> str:
        return hidden if row.suppressed else text

    no_cost = "—（費用なし）" if row.cost_yen <= 0 else None
    s = row.sensitivity
    span = f.percent_range(s.low if s else None, s.high if s else None)
    rows = [  # read in two columns: the money on the left, what it gives on the right
        ("費用（税抜）", f.yen(row.cost_yen)),
        ("ROI（(推定効果 − 費用) / 費用）", no_cost or shown(f.percent(row.roi))),
        ("推定効果", shown(f.yen(row.benefit_yen))),
        ("感度範囲（前提を0.5〜1.5倍）", no_cost or shown(span)),
        ("　うち生産性（VAS変化）", shown(f.yen(row.productivity_yen))),
        ("前後の回答がそろった従業員", shown(f"{row.employees:,}名")),
        ("　うち定着（離職の減少）", f.yen(row.retention_yen)),
        ("実施月数", f"{row.programme_months}か月"),
        ("平均VAS変化（5項目）", shown(f.number(row.mean_vas_change, signed=True))),
        ("月次離職率の変化（導入後 − 導入前）", _points(row.leaver_rate_change)),
    ]
    pdf.facts(rows)


def roi_tables(pdf: ReportPdf, data: ReportData) -> None:
    hidden = f.suppressed(data.min_group)
    named = [(data.company(int(r.key)).name, r) for r in data.roi.companies if _known(data, r.key)]
    if any(r.roi is not None for _, r in named):
        pdf.chart(charts.roi(named))
    headings = ["企業", "費用（税抜）", "推定効果", "ROI", "感度範囲"]
    pdf.data_table(
        headings, [_roi_row(name, r, hidden) for name, r in named], widths=(0.28, 0.16, 0.17, 0.15, 0.24)
    )
    if data.roi.vc_firms:
        firms = [_roi_row(r.key, r, hidden) for r in data.roi.vc_firms]
        pdf.data_table(
            ["VCファーム", "費用（税抜）", "推定効果", "ROI", "感度範囲"],
            firms,
            widths=(0.28, 0.16, 0.17, 0.15, 0.24),
        )


def assumptions(pdf: ReportPdf, data: ReportData) -> None:
    pdf.heading("ROIの前提", level=1)
    pdf.pairs(roi_assumptions(data.roi.assumptions), width=0.28)


def _roi_row(name: str, r: Roi, hidden: str) -> list[str]:
    if r.suppressed:
        return [name, f.yen(r.cost_yen), hidden, hidden, hidden]
    s = r.sensitivity
    return [
        name,
        f.yen(r.cost_yen),
        f.yen(r.benefit_yen),
        f.percent(r.roi),
        f.percent_range(s.low if s else None, s.high if s else None),
    ]


def _known(data: ReportData, key: str) -> bool:
    return any(str(c.id) == key for c in data.companies)


def _points(change: float | None) -> str:
    return f.NOTHING if change is None else f"{f.number(change * 100, 2, signed=True)}%pt"


def _sum(values: object) -> int | None:
    known = [v for v in values if isinstance(v, int)]  # type: ignore[attr-defined]
    return sum(known) if known else None

"""One sheet per analysis: the table a chart is drawn from, then the chart (a native Excel chart
referencing those cells)."""

from __future__ import annotations

from datetime import date
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_range_abs

from backend.service.analysis.roi import Roi
from backend.service.reports import formats as f
from backend.service.reports.data import ReportData
from backend.service.reports.excel_cells import Book, Sheet

INK, ACCENT = "#1F3A5F", "#2A9D8F"
SERIES = ("#1F3A5F", "#2A9D8F", "#E9C46A", "#F4A261", "#E76F51", "#8AB17D", "#6D597A", "#457B9D")


def participation(book: Book, data: ReportData) -> None:
    sheet = book.sheet("参加状況")
    hidden = f.suppressed(data.min_group)
    sheet.table_header(
        [
            "企業ID",
            "企業名",
            "VCファーム",
            "従業員数",
            "前後の回答がそろった従業員",
            "回答月数",
            "非表示の月",
            "月平均参加率",
            "直近月",
            "直近月の回答者",
            "直近月の参加率",
            "備考",
        ]
    )
    row = 0
    for company in data.companies:
        p = data.participation_of(company.id)
        if p is None:
            continue
        row += 1
        sheet.number(row, 0, company.id, "count")
        sheet.text(row, 1, company.name)
        sheet.text(row, 2, company.vc_firm or "")
        sheet.number(row, 3, company.employee_count, "count")
        if p.employees_with_pairs is None:
            sheet.text(row, 4, hidden)
            sheet.text(row, 11, hidden)
        else:
            sheet.number(row, 4, p.employees_with_pairs, "count")
        sheet.number(row, 5, p.months, "count")
        sheet.number(row, 6, p.suppressed_months, "count")
        sheet.number(row, 7, p.mean_participation, "percent")
        if p.latest_period:
            sheet.text(row, 8, p.latest_period)
        sheet.number(row, 9, p.latest_respondents, "count")
        sheet.number(row, 10, p.latest_participation, "percent")
    if row:
        chart = _chart(book, "column", "月平均参加率（企業別）", y_format="0%")
        chart.add_series(
            {
                "name": "月平均参加率",
                "categories": _cells(sheet, 1, 1, row, 1),
                "values": _cells(sheet, 1, 7, row, 7),
                "fill": {"color": ACCENT},
            }
        )
        sheet.ws.insert_chart(row + 2, 1, chart, {"x_scale": 1.8, "y_scale": 1.2})
    sheet.finish()


def vas(book: Book, data: ReportData) -> None:
    sheet = book.sheet("VAS変化")
    hidden = f.suppressed(data.min_group)
    sheet.table_header(
        [
            "対象",
            "企業ID",
            "項目",
            "n（組）",
            "施術前",
            "施術後",
            "平均変化",
            "95%下限",
            "95%上限",
            "誤差（下）",
            "誤差（上）",
            "p（t検定）",
            "p（Wilcoxon）",
            "d_z",
            "従業員",
            "備考",
        ]
    )
    groups = [("全体", data.vas_change.overall)]
    groups += [(_name(data, g.company_id), g) for g in data.vas_change.companies]
    row = 0
    for label, group in groups:
        for d in group.dimensions:
            row += 1
            sheet.text(row, 0, label)
            sheet.number(row, 1, group.company_id, "count")
            sheet.text(row, 2, f.DIMENSIONS.get(d.dimension, d.dimension))
            if group.suppressed:
                for col in (3, 4, 5, 6, 14, 15):
                    sheet.text(row, col, hidden)
                continue
            interval = d.interval
            sheet.number(row, 3, d.n, "count")
            sheet.number(row, 4, d.mean_before)
            sheet.number(row, 5, d.mean_after)
            sheet.number(row, 6, d.mean_change, "number2")
            sheet.number(row, 7, interval.low if interval else None, "number2")
            sheet.number(row, 8, interval.high if interval else None, "number2")
            change = d.mean_change
            low = change - interval.low if interval and change is not None else None
            high = interval.high - change if interval and change is not None else None
            sheet.number(row, 9, low, "number2")
            sheet.number(row, 10, high, "number2")
            sheet.number(row, 11, d.t_p_value, "p")
            sheet.number(row, 12, d.wilcoxon_p_value, "p")
            sheet.number(row, 13, d.cohens_dz, "number2")
            sheet.number(row, 14, group.employees, "count")
    overall = data.vas_change.overall
    if not overall.suppressed and overall.dimensions:
        last = len(overall.dimensions)
        chart = _chart(book, "column", "VAS変化（全体, 施術後 − 施術前）と95%区間", y_format="0.0")
        chart.add_series(
            {
                "name": "平均変化",
                "categories": _cells(sheet, 1, 2, last, 2),
                "values": _cells(sheet, 1, 6, last, 6),
                "fill": {"color": ACCENT},
                "y_error_bars": {
                    "type": "custom",
                    "plus_values": _range(sheet, 1, 10, last, 10),
                    "minus_values": _range(sheet, 1, 9, last, 9),
                },
            }
        )
        sheet.ws.insert_chart(1, 17, chart, {"x_scale": 1.5, "y_scale": 1.3})
    sheet.finish()


def wellness(book: Book, data: ReportData) -> None:
    sheet = book.sheet("ウェルネス")
    hidden = f.suppressed(data.min_group)
    sheet.table_header(
        ["企業ID", "企業名", "月", "回答者", "参加率", "VASスコア", "ウェルネススコア", "備考"]
    )
    blocks: list[tuple[int, int]] = []  # each company's first and last row
    row = 0
    for score in data.wellness_score.companies:
        first = row + 1
        for m in score.months:
            row += 1
            sheet.number(row, 0, score.company_id, "count")
            sheet.text(row, 1, _name(data, score.company_id))
            year, month = (int(x) for x in m.period.split("-"))
            sheet.when(row, 2, date(year, month, 1), "month")
            if m.suppressed:
                for col in (3, 4, 5, 7):
                    sheet.text(row, col, hidden)
                continue  # the score a chart plots stays blank: a gap, not a zero
            sheet.number(row, 3, m.respondents, "count")
            sheet.number(row, 4, m.participation, "percent")
            sheet.number(row, 5, m.vas_score)
            sheet.number(row, 6, m.score)
        if row >= first:
            blocks.append((first, row))
    left = 9
    sheet.header(
        0, ["企業ID", "企業名", "傾向（ポイント/月）", "95%下限", "95%上限", "p値", "月数"], col=left
    )
    trend_row = 0
    for score in data.wellness_score.companies:
        trend_row += 1
        trend = score.trend
        sheet.number(trend_row, left, score.company_id, "count")
        sheet.text(trend_row, left + 1, _name(data, score.company_id))
        sheet.number(trend_row, left + 2, trend.slope if trend else None, "number3")
        sheet.number(trend_row, left + 3, trend.interval.low if trend and trend.interval else None, "number3")
        sheet.number(
            trend_row, left + 4, trend.interval.high if trend and trend.interval else None, "number3"
        )
        sheet.number(trend_row, left + 5, trend.p_value if trend else None, "p")
        sheet.number(trend_row, left + 6, trend.n if trend else None, "count")
    weights = data.wellness_score.weights
    trend_row += 2
    sheet.header(trend_row, ["重み", "値"], col=left)
    for name, value in [*weights.dimension_weights().items(), ("participation", weights.participation)]:
        trend_row += 1
        sheet.text(trend_row, left, f.DIMENSIONS.get(name, "参加率"))
        sheet.number(trend_row, left + 1, value, "number2")
    if blocks:
        chart = _chart(
            book,
            "scatter",
            "ウェルネススコアの推移（0–100）",
            y_format="0",
            subtype="straight_with_markers",
            legend=True,
        )
        for i, (first, last) in enumerate(blocks):
            color = SERIES[i % len(SERIES)]
            chart.add_series(
                {
                    "name": _cells(sheet, first, 1, first, 1)[:3],
                    "categories": _cells(sheet, first, 2, last, 2),
                    "values": _cells(sheet, first, 6, last, 6),
                    "line": {"color": color, "width": 1.5},
                    "marker": {
                        "type": "circle",
                        "size": 4,
                        "fill": {"color": color},
                        "border": {"color": color},
                    },
                }
            )
        chart.set_x_axis({"num_format": "yyyy-mm", "name": "月"})
        chart.show_blanks_as("gap")
        sheet.ws.insert_chart(trend_row + 2, left, chart, {"x_scale": 2.0, "y_scale": 1.5})
    sheet.finish()


def correlation(book: Book, data: ReportData) -> None:
    sheet = book.sheet("相関")
    sheet.table_header(
        ["損益の指標", "ラグ（月）", "n", "企業数", "r", "95%下限", "95%上限", "p値", "Spearman ρ", "ρのp値"]
    )
    row = 0
    blocks: list[tuple[str, int, int]] = []
    for kpi, label in f.KPIS.items():
        first = row + 1
        for result in data.correlations:
            for k in (k for k in result.kpis if k.kpi == kpi):
                row += 1
                sheet.text(row, 0, label)
                sheet.number(row, 1, result.lag_months, "count")
                sheet.number(row, 2, k.n, "count")
                sheet.number(row, 3, k.companies, "count")
                sheet.number(row, 4, k.pearson_r, "number3")
                sheet.number(row, 5, k.pearson_interval.low if k.pearson_interval else None, "number3")
                sheet.number(row, 6, k.pearson_interval.high if k.pearson_interval else None, "number3")
                sheet.number(row, 7, k.pearson_p_value, "p")
                sheet.number(row, 8, k.spearman_rho, "number3")
                sheet.number(row, 9, k.spearman_p_value, "p")
        if row >= first:
            blocks.append((label, first, row))
    left = 11
    sheet.header(
        0,
        [
            "目的変数",
            "ラグ（月）",
            "n",
            "企業数",
            "係数（ウェルネス）",
            "95%下限",
            "95%上限",
            "p値",
            "係数（log従業員数）",
            "R²",
            "月効果の数",
            "標準誤差",
        ],
        col=left,
    )
    for i, r in enumerate(data.regressions, start=1):
        coefficients = {c.name: c for c in r.coefficients}
        w, size = coefficients.get("wellness"), coefficients.get("log_headcount")
        sheet.text(i, left, f.KPIS.get(r.kpi, r.kpi))
        sheet.number(i, left + 1, r.lag_months, "count")
        sheet.number(i, left + 2, r.n, "count")
        sheet.number(i, left + 3, r.companies, "count")
        sheet.number(i, left + 4, w.estimate if w else None, "number5")
        sheet.number(i, left + 5, w.interval.low if w else None, "number5")
        sheet.number(i, left + 6, w.interval.high if w else None, "number5")
        sheet.number(i, left + 7, w.p_value if w else None, "p")
        sheet.number(i, left + 8, size.estimate if size else None, "number5")
        sheet.number(i, left + 9, r.r_squared, "number3")
        sheet.number(i, left + 10, r.month_effects, "count")
        sheet.text(i, left + 11, r.standard_errors or f.NOTHING)
    if blocks:
        chart = _chart(
            book, "column", "ウェルネススコアと損益指標の相関 r（ラグ別）", y_format="0.00", legend=True
        )
        for i, (label, first, last) in enumerate(blocks):
            chart.add_series(
                {
                    "name": label,
                    "categories": _cells(sheet, first, 1, last, 1),
                    "values": _cells(sheet, first, 4, last, 4),
                    "fill": {"color": SERIES[i % len(SERIES)]},
                }
            )
        chart.set_x_axis({"name": "ラグ（月）"})
        sheet.ws.insert_chart(len(data.regressions) + 3, left, chart, {"x_scale": 1.6, "y_scale": 1.3})
    sheet.finish()


def roi(book: Book, data: ReportData) -> None:
    sheet = book.sheet("ROI")
    hidden = f.suppressed(data.min_group)
    sheet.table_header(
        [
            "区分",
            "企業ID / VCファーム",
            "名前",
            "費用（税抜）",
            "推定効果",
            "うち生産性",
            "うち定着",
            "ROI",
            "感度下限",
            "感度上限",
            "誤差（下）",
            "誤差（上）",
            "前後の回答がそろった従業員",
            "実施月数",
            "平均VAS変化",
            "月次離職率の変化",
            "備考",
        ]
    )
    companies = [r for r in data.roi.companies if any(str(c.id) == r.key for c in data.companies)]
    charted = [r for r in companies if r.roi is not None and not r.suppressed]
    rest = [
        r for r in companies if r not in charted
    ]  # after the charted rows: the chart's range is one block
    row = 0
    for r in [*charted, *rest]:
        row += 1
        _roi_row(sheet, row, r, "企業", _name(data, int(r.key)), hidden)
    for r in data.roi.vc_firms:
        row += 1
        _roi_row(sheet, row, r, "VCファーム", r.key, hidden)
    left = 18
    sheet.header(0, ["ROIの前提", "値"], col=left)
    a = data.roi.assumptions
    sheet.text(1, left, "離職者1人あたりのコスト")
    sheet.number(1, left + 1, a.yen_per_leaver, "yen")
    sheet.text(2, left, "VAS1ポイントの価値（従業員1人・1か月）")
    sheet.number(2, left + 1, a.yen_per_vas_point_month, "yen")
    sheet.text(3, left, "感度の倍率（各前提）")
    sheet.text(3, left + 1, "0.5, 1.0, 1.5")
    if charted:
        last = len(charted)
        chart = _chart(book, "column", "ROI（企業別）と感度範囲", y_format="0%")
        chart.add_series(
            {
                "name": "ROI",
                "categories": _cells(sheet, 1, 2, last, 2),
                "values": _cells(sheet, 1, 7, last, 7),
                "fill": {"color": ACCENT},
                "y_error_bars": {
                    "type": "custom",
                    "plus_values": _range(sheet, 1, 11, last, 11),
                    "minus_values": _range(sheet, 1, 10, last, 10),
                },
            }
        )
        sheet.ws.insert_chart(6, left, chart, {"x_scale": 2.0, "y_scale": 1.4})
    sheet.finish()


def _roi_row(sheet: Sheet, row: int, r: Roi, kind: str, name: str, hidden: str) -> None:
    sheet.text(row, 0, kind)
    if kind == "企業":
        sheet.number(row, 1, int(r.key), "count")
    else:
        sheet.text(row, 1, r.key)
    sheet.text(row, 2, name)
    sheet.number(row, 3, r.cost_yen, "yen")
    sheet.number(row, 6, r.retention_yen, "yen")
    sheet.number(row, 13, r.programme_months, "count")
    sheet.number(row, 15, r.leaver_rate_change, "number5")
    if r.suppressed:
        for col in (4, 5, 7, 8, 9, 12, 14, 16):
            sheet.text(row, col, hidden)
        return
    s = r.sensitivity
    sheet.number(row, 4, r.benefit_yen, "yen")
    sheet.number(row, 5, r.productivity_yen, "yen")
    sheet.number(row, 7, r.roi, "percent")
    sheet.number(row, 8, s.low if s else None, "percent")
    sheet.number(row, 9, s.high if s else None, "percent")
    sheet.number(row, 10, r.roi - s.low if s and r.roi is not None else None, "percent")
    sheet.number(row, 11, s.high - r.roi if s and r.roi is not None else None, "percent")
    sheet.number(row, 12, r.employees, "count")
    sheet.number(row, 14, r.mean_vas_change, "number2")
    if r.cost_yen <= 0:
        sheet.text(row, 16, "費用なし: ROIなし")


def _chart(
    book: Book, kind: str, title: str, *, y_format: str, subtype: str | None = None, legend: bool = False
) -> Any:
    chart = book.workbook.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
    chart.set_title({"name": title, "name_font": {"size": 12, "color": INK}})
    chart.set_y_axis(
        {"num_format": y_format, "major_gridlines": {"visible": True, "line": {"color": "#E3E7EE"}}}
    )
    chart.set_legend({"position": "bottom"} if legend else {"none": True})
    return chart


def _cells(sheet: Sheet, first_row: int, first_col: int, last_row: int, last_col: int) -> list[Any]:
    return [sheet.name, first_row, first_col, last_row, last_col]


def _range(sheet: Sheet, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    return f"={quote_sheetname(sheet.name)}!{xl_range_abs(first_row, first_col, last_row, last_col)}"


def _name(data: ReportData, company_id: int | None) -> str:
    if company_id is None:
        return "全体"
    return next((c.name for c in data.companies if c.id == company_id), str(company_id))

"""``render_pdf``: the report as a PDF in Japanese, its font embedded and subset, charts as images.

A company report: cover and summary, participation, VAS change, wellness trend, correlation with the
P&L, ROI, method notes. A portfolio report: cover and table of contents, the portfolio summary (the
same sections over every company), one section per company, the method notes."""

from __future__ import annotations

import math
from datetime import datetime

from fpdf.enums import WrapMode

from backend.service.reports import figures
from backend.service.reports import formats as f
from backend.service.reports import pdf_sections as sections
from backend.service.reports.data import CompanyInfo, ReportData
from backend.service.reports.figures import Headline
from backend.service.reports.notes import method_notes
from backend.service.reports.pdf_layout import ACCENT, INK, MUTED, Card, ReportPdf, render_toc
from backend.service.schemas import TOKYO

TOC_LINES_FIRST, TOC_LINES_MORE = 22, 38  # table-of-contents lines on the cover page, on a page after it


def render_pdf(data: ReportData) -> bytes:
    pdf = ReportPdf(title=data.title, date_text=f.day(data.generated_on))
    pdf.add_page()
    _cover(pdf, data)
    if data.kind == "portfolio":
        entries = len(data.companies) + 2
        more = max(0, math.ceil((entries - TOC_LINES_FIRST) / TOC_LINES_MORE))
        pdf.insert_toc_placeholder(render_toc, pages=1 + more)
        _portfolio_summary(pdf, data)
        for company in data.companies:
            _company(pdf, data, company)
    else:
        _company_report(pdf, data)
    pdf.running = data.title
    pdf.heading("分析方法と注意点", new_page=True)
    for heading, text in method_notes(data.min_group):
        pdf.heading(heading, level=1)
        pdf.paragraph(text)
    return bytes(pdf.output())


def _cover(pdf: ReportPdf, data: ReportData) -> None:
    pdf.set_font(size=9)
    pdf.set_text_color(*ACCENT)
    pdf.cell(pdf.epw, 6, "Startup Wellness", new_x="LMARGIN", new_y="NEXT")
    with pdf.bold():
        pdf.set_font(size=18)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*INK)
        pdf.multi_cell(pdf.epw, 9, data.title, new_x="LMARGIN", wrapmode=WrapMode.CHAR)
    pdf.ln(2)
    names = "、".join(c.name for c in data.companies[:3])
    many = f"ほか{len(data.companies) - 3}社" if len(data.companies) > 3 else ""
    lines = [
        ("対象企業", f"{names}{many}（{len(data.companies)}社）" if data.kind == "portfolio" else names),
        ("VCファーム", "、".join(data.vc_firms) or f.NOTHING),
        ("対象期間", _period(data)),
        ("作成日", f.day(data.generated_on)),
    ]
    if data.results_as_of:
        lines.append(("分析結果の算出時点", _when(data.results_as_of)))
    if data.min_group > 1:
        lines.append(("表示の基準", f"個人が特定されないよう{data.min_group}名未満のグループは非表示"))
    for label, value in lines:
        pdf.set_font(size=8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(32, 5.2, label)
        pdf.set_text_color(*INK)
        pdf.multi_cell(pdf.epw - 32, 5.2, value, new_x="LMARGIN", wrapmode=WrapMode.CHAR)
    pdf.ln(4)


def _company_report(pdf: ReportPdf, data: ReportData) -> None:
    company = data.companies[0]
    pdf.running = company.name
    _summary(pdf, data, "サマリー")
    pdf.heading("参加状況")
    sections.participation(pdf, data, company.id)
    pdf.heading("VAS変化（施術前 → 施術後）", keep=60)
    sections.vas(pdf, data, data.vas_change.overall)
    pdf.heading("ウェルネススコアの推移", keep=60)
    sections.wellness(pdf, data, company.id)
    pdf.heading("損益との相関")
    sections.correlation(pdf, data)
    pdf.heading("ROI（投資対効果）")
    sections.roi(pdf, data, data.roi_of(company.id))
    sections.assumptions(pdf, data)


def _portfolio_summary(pdf: ReportPdf, data: ReportData) -> None:
    pdf.running = data.title
    _summary(pdf, data, "ポートフォリオ・サマリー")
    pdf.heading("参加状況", level=1)
    sections.participation_table(pdf, data)
    pdf.heading("VAS変化（全社, 施術前 → 施術後）", level=1, keep=60)
    sections.vas(pdf, data, data.vas_change.overall)
    pdf.heading("ウェルネススコアの傾向（企業別）", level=1, keep=min(110.0, 7.0 * len(data.companies) + 20))
    sections.trends_table(pdf, data)
    pdf.heading("損益との相関（全社）", level=1)
    sections.correlation(pdf, data)
    pdf.heading("ROI（投資対効果）", level=1, keep=min(110.0, 7.0 * len(data.companies) + 20))
    sections.roi_tables(pdf, data)
    sections.assumptions(pdf, data)


def _company(pdf: ReportPdf, data: ReportData, company: CompanyInfo) -> None:
    pdf.running = company.name
    details = " / ".join(x for x in (company.industry, company.vc_firm) if x)
    pdf.heading(company.name, new_page=True, aside=details)
    pdf.heading("参加状況", level=1)
    sections.participation(pdf, data, company.id)
    pdf.heading("VAS変化（施術前 → 施術後）", level=1, keep=60)
    sections.vas(pdf, data, data.vas_of(company.id))
    pdf.heading("ウェルネススコアの推移", level=1, keep=60)
    sections.wellness(pdf, data, company.id)
    pdf.heading("ROI（投資対効果）", level=1, keep=27)
    sections.roi(pdf, data, data.roi_of(company.id))


def _summary(pdf: ReportPdf, data: ReportData, title: str) -> None:
    pdf.heading(title, new_page=data.kind == "portfolio")
    lead = figures.summary(data)
    hidden = f.suppressed(data.min_group)
    roi_lines = [f"{h.label.removeprefix('ROI（').removesuffix('）')}: {_text(h, hidden)}" for h in lead.roi]
    if data.kind == "company" or len(lead.roi) == 1:
        roi_card = Card(
            "ROI（投資対効果）",
            [_text(r, hidden) for r in lead.roi][:1] + [_range(r) for r in lead.roi][:1],
            lead.roi[0].note if lead.roi else "",
        )
    else:
        roi_card = Card(
            "ROI（VCファーム別）", roi_lines[:4] or [f.NOTHING], "感度範囲はROIの節に記載", large=False
        )
    pdf.cards(
        [
            Card(lead.vas.label, [_text(lead.vas, hidden), _range(lead.vas)], lead.vas.note),
            Card(
                lead.wellness.label, [_text(lead.wellness, hidden), _range(lead.wellness)], lead.wellness.note
            ),
            roi_card,
        ]
    )
    pdf.bullets(_points(data, lead))


def _text(h: Headline, hidden: str) -> str:
    if h.suppressed:
        return hidden
    if h.value is None:
        return f.NOTHING
    if h.unit == "share":
        return f.percent(h.value)
    if h.unit == "companies":
        return f"{round(h.value)}社 / {h.n}社"
    digits = 2 if h.unit == "points_per_month" else 1
    return f.number(h.value, digits, signed=True)


def _range(h: Headline) -> str:
    if h.low is None or h.high is None:
        return ""
    if h.unit == "share":
        return f"感度範囲 {f.percent_range(h.low, h.high)}"
    digits = 2 if h.unit == "points_per_month" else 1
    return f"95%区間 [{f.number(h.low, digits)}, {f.number(h.high, digits)}]"


def _points(data: ReportData, lead: figures.Summary) -> list[str]:
    points = []
    group = data.vas_change.overall
    if not group.suppressed and group.dimensions:
        better = [d for d in group.dimensions if d.interval and d.interval.low > 0]
        best = max(group.dimensions, key=lambda d: d.mean_change if d.mean_change is not None else -math.inf)
        if best.mean_change is not None:
            name = f.DIMENSIONS.get(best.dimension, best.dimension)
            most = f"{name} {f.number(best.mean_change, signed=True)}"
            points.append(
                f"施術後、VAS {len(group.dimensions)}項目のうち{len(better)}項目で95%区間が0を上回る"
                f"改善がみられました（最大: {most}ポイント）。"
            )
    shares = [p.mean_participation for p in data.participation if p.mean_participation is not None]
    if shares and not group.suppressed:
        points.append(
            f"施術前後の回答がそろった従業員は{group.employees or 0:,}名、月平均参加率は"
            f"{f.percent(sum(shares) / len(shares))}です{'（企業平均）' if len(shares) > 1 else ''}。"
        )
    for h in lead.roi:
        if h.low is None or h.high is None:
            continue
        name = "" if data.kind == "company" else f"{h.label.removeprefix('ROI（').removesuffix('）')}の"
        if h.low > 0:
            points.append(
                f"{name}ROIは前提を0.5〜1.5倍に変えてもプラスです（{f.percent_range(h.low, h.high)}）。"
            )
        elif h.high < 0:
            points.append(
                f"{name}ROIは前提を0.5〜1.5倍に変えてもマイナスです（{f.percent_range(h.low, h.high)}）。"
            )
        else:
            points.append(f"{name}ROIの感度範囲は0をまたぎます: ROIの符号はデータではなく前提で決まります。")
    if data.min_group > 1:
        points.append(f"{data.min_group}名未満のグループは非表示です（合計には含まれます）。")
    return points


def _period(data: ReportData) -> str:
    periods = sorted(m.period for c in data.wellness_score.companies for m in c.months)
    return f"{f.month(periods[0])}〜{f.month(periods[-1])}" if periods else f.NOTHING


def _when(value: datetime) -> str:
    local = value.astimezone(TOKYO)
    return f"{f.day(local.date())} {local:%H:%M}（日本時間）"

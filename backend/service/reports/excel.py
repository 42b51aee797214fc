"""``render_excel``: the report as a workbook (xlsxwriter, in memory). A summary sheet, one sheet per
analysis holding the aggregated data behind its chart, native Excel charts drawn from those cells,
¥ and % formats, frozen headings, and the method notes. Suppressed values are written as suppressed
(the text, in the cell and in the row's note); a cell a chart plots stays blank there instead, as
Excel would plot text as zero."""

from __future__ import annotations

import io

from backend.service.reports import excel_sheets as sheets
from backend.service.reports import formats as f
from backend.service.reports.data import ReportData
from backend.service.reports.excel_cells import Book, Sheet
from backend.service.reports.figures import Headline, summary
from backend.service.reports.notes import method_notes

UNITS = {"points": "number1", "points_per_month": "number2", "share": "percent", "companies": "count"}


def render_excel(data: ReportData) -> bytes:
    out = io.BytesIO()
    book = Book(out, title=data.title)
    _summary(book, data)
    sheets.participation(book, data)
    sheets.vas(book, data)
    sheets.wellness(book, data)
    sheets.correlation(book, data)
    sheets.roi(book, data)
    _notes(book, data)
    book.close()
    return out.getvalue()


def _summary(book: Book, data: ReportData) -> None:
    sheet = book.sheet("サマリー")
    sheet.text(0, 0, data.title, "title")
    facts: list[tuple[str, str]] = [
        ("種類", "企業レポート" if data.kind == "company" else "ポートフォリオレポート"),
        ("VCファーム", "、".join(data.vc_firms) or f.NOTHING),
        ("対象企業数", f"{len(data.companies)}社"),
        (
            "表示の基準",
            f"{data.min_group}名未満のグループは非表示" if data.min_group > 1 else "全グループを表示",
        ),
    ]
    row = 2
    sheet.text(row, 0, "作成日", "label")
    sheet.when(row, 1, data.generated_on)
    if data.results_as_of:
        row += 1
        sheet.text(row, 0, "分析結果の算出時点（UTC）", "label")
        sheet.when(row, 1, data.results_as_of, "datetime")
    for label, value in facts:
        row += 1
        sheet.text(row, 0, label, "label")
        sheet.text(row, 1, value)
    row += 2
    sheet.header(row, ["指標", "値", "下限", "上限", "n", "注記"])
    lead = summary(data)
    hidden = f.suppressed(data.min_group)
    for headline in [lead.vas, lead.wellness, *lead.roi]:
        row += 1
        _headline(sheet, row, headline, hidden)
    row += 2
    sheet.header(row, ["企業ID", "企業名", "VCファーム", "業種", "従業員数"])
    for company in data.companies:
        row += 1
        sheet.number(row, 0, company.id, "count")
        sheet.text(row, 1, company.name)
        sheet.text(row, 2, company.vc_firm or "")
        sheet.text(row, 3, company.industry or "")
        sheet.number(row, 4, company.employee_count, "count")
    sheet.ws.freeze_panes(1, 0)
    sheet.finish(widest=60)
    sheet.ws.activate()


def _headline(sheet: Sheet, row: int, h: Headline, hidden: str) -> None:
    style = UNITS[h.unit]
    sheet.text(row, 0, h.label)
    if h.suppressed:
        sheet.text(row, 1, hidden)
    else:
        sheet.number(row, 1, h.value, style)
    sheet.number(row, 2, h.low, style)
    sheet.number(row, 3, h.high, style)
    sheet.number(row, 4, h.n, "count")
    sheet.text(row, 5, h.note)


def _notes(book: Book, data: ReportData) -> None:
    sheet = book.sheet("注記")
    sheet.table_header(["項目", "内容"])
    for row, (heading, text) in enumerate(method_notes(data.min_group), start=1):
        sheet.text(row, 0, heading)
        sheet.text(row, 1, text, "wrap")
    sheet.finish()
    sheet.ws.set_column(1, 1, 100)

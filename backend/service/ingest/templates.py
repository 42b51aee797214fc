"""Empty import templates: each dataset's Japanese headers and one example row, as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from typing import Literal

import xlsxwriter

from backend.service.ingest.columns import DATASETS, Column, Kind

Format = Literal["csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

EXAMPLES = {
    "company_id": "1",
    "name": "株式会社サンプル",
    "industry": "SaaS",
    "funding_stage": "シリーズA",
    "vc_firm": "サンプル・ベンチャーズ",
    "employee_count": "25",
    "employee_code": "E001",
    "department": "開発部",
    "position": "エンジニア",
    "hired_on": "2022/4/1",
    "left_on": "",
    "is_active": "在籍",
    "period": "2024/04",
    "revenue_yen": "12,000,000",
    "cost_of_sales_yen": "4,000,000",
    "sga_yen": "9,000,000",
    "operating_profit_yen": "△1,000,000",
    "net_income_yen": "△1,200,000",
    "headcount": "25",
    "leavers": "1",
    "invoice_number": "INV-2024-0001",
    "invoice_id": "",
    "credits": "10",
    "unit_price_yen": "8,000",
    "amount_yen": "80,000",
    "tax_yen": "8,000",
    "total_yen": "88,000",
    "issued_on": "2024/4/30",
    "due_on": "2024/5/31",
    "paid_on": "2024/5/20",
    "status": "発行済",
    "notes": "",
    "method": "銀行振込",
    "reference": "振込 0001",
    "practitioner": "佐藤 花子",
    "kind": "マッサージ",
    "started_at": "2024/4/10 10:00",
    "minutes": "30",
    "credits_used": "1",
    "phase": "施術後",
    "answered_at": "2024/4/10 10:45",
    "vas_physical": "70",
    "vas_mental": "65",
    "vas_motivation": "60",
    "vas_communication": "75",
    "vas_other": "50",
    "free_text": "肩が軽くなった",
    "treatment_id": "",
    "response_id": "",
}


def template(dataset: str, fmt: Format) -> tuple[bytes, str]:
    """The template's bytes and a file name for it."""
    columns = DATASETS[dataset].columns
    headers = [c.label for c in columns]
    example = [EXAMPLES.get(c.field, "") for c in columns]
    body = _csv(headers, example) if fmt == "csv" else _xlsx(headers, example, columns)
    return body, f"template-{dataset}.{fmt}"


def _csv(headers: list[str], example: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerow(example)
    return ("\ufeff" + out.getvalue()).encode()  # with a BOM, Excel opens the Japanese headers right


def _xlsx(headers: list[str], example: list[str], columns: tuple[Column, ...]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = book.add_worksheet("データ")
    sheet.write_row(0, 0, headers, bold)
    sheet.write_row(1, 0, example)  # as text, the way a user types them
    sheet.freeze_panes(1, 0)
    for index, header in enumerate(headers):
        sheet.set_column(index, index, max(12, len(header) * 2 + 2))
    notes = book.add_worksheet("説明")
    notes.write_row(0, 0, ["列", "必須", "種類", "使える見出し"], bold)
    for row, column in enumerate(columns, start=1):
        required = "必須" if column.required else ""
        notes.write_row(row, 0, [column.label, required, _KIND[column.kind], " / ".join(column.aliases)])
    notes.set_column(0, 0, 24)
    notes.set_column(3, 3, 80)
    book.close()
    return out.getvalue()


_KIND = {
    Kind.TEXT: "文字",
    Kind.NOTE: "文章",
    Kind.CODE: "コード",
    Kind.ID: "ID (数字)",
    Kind.INT: "整数",
    Kind.YEN: "金額 (円)",
    Kind.SCORE: "0〜100",
    Kind.DATE: "日付",
    Kind.DATETIME: "日時",
    Kind.MONTH: "年月",
    Kind.BOOL: "はい / いいえ",
    Kind.CHOICE: "選択",
}

"""Writing cells of a report workbook (xlsxwriter): text always as text, numbers as numbers, each
with the report's number format, and column widths that fit what was written.

Formula injection: every text cell goes through ``Sheet.text``, which writes it with ``write_string``
(never a formula, whatever it starts with). Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return also carries Excel's quote prefix, so that editing the cell in Excel (F2, Enter)
keeps it text instead of turning it into a formula. The workbook is opened with
``strings_to_formulas`` off as a second guard."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STYLES: dict[str, dict[str, Any]] = {
    "title": {"font_size": 14, "bold": True, "font_color": "#1F3A5F"},
    "header": {
        "bold": True,
        "font_color": "#1F3A5F",
        "bg_color": "#E8EDF4",
        "bottom": 1,
        "text_wrap": True,
        "valign": "top",
    },
    "text": {},
    "label": {"font_color": "#6E7687"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "yen": {"num_format": '"¥"#,##0'},
    "percent": {"num_format": "0.0%"},
    "count": {"num_format": "#,##0"},
    "number1": {"num_format": "0.0"},
    "number2": {"num_format": "0.00"},
    "number3": {"num_format": "0.000"},
    "number5": {"num_format": "0.00000"},
    "p": {"num_format": "0.0000"},
    "month": {"num_format": "yyyy-mm", "align": "left"},
    "date": {"num_format": "yyyy-mm-dd", "align": "left"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm", "align": "left"},
}
FONT = "Meiryo UI"  # Excel's own Japanese UI font; the file holds no font


class Book:
    """The workbook, in memory, with one format per style."""

    def __init__(self, out: Any, *, title: str) -> None:
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        self.workbook: Workbook = xlsxwriter.Workbook(out, options)
        self.workbook.set_properties({"title": title, "author": "Startup Wellness"})
        self._formats: dict[tuple[str, bool], Any] = {}

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, name)

    def format(self, style: str, *, quoted: bool = False) -> Any:
        key = (style, quoted)
        if key not in self._formats:
            extra = {"quote_prefix": True} if quoted else {}
            self._formats[key] = self.workbook.add_format(
                {"font_name": FONT, "font_size": 10, **STYLES[style], **extra}
            )
        return self._formats[key]

    def close(self) -> None:
        self.workbook.close()


class Sheet:
    """One worksheet: cells written through these methods only."""

    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.ws: Worksheet = book.workbook.add_worksheet(name)
        self.name = name
        self._widths: dict[int, float] = {}

    def text(self, row: int, col: int, value: str, style: str = "text") -> None:
        """Text as text, never a formula (see the module's docstring)."""
        quoted = value.startswith(FORMULA_STARTS)
        self.ws.write_string(row, col, value, self._format(style, quoted=quoted))
        self._fit(col, value, limit=16 if style == "header" else 1e9)  # headings wrap

    def number(self, row: int, col: int, value: float | None, style: str = "number1") -> None:
        """A number as a number (a blank cell for None)."""
        if value is None:
            self.ws.write_blank(row, col, None, self._format(style))
            return
        self.ws.write_number(row, col, value, self._format(style))
        self._fit(col, f"{value:,.2f}")

    def when(self, row: int, col: int, value: date | datetime, style: str = "date") -> None:
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        self.ws.write_datetime(row, col, moment.replace(tzinfo=None), self._format(style))
        self._fit(col, "2026-01-01 00:00" if style == "datetime" else "2026-01-01")

    def header(self, row: int, headings: list[str], *, col: int = 0) -> None:
        self.ws.set_row(row, 30)
        for i, heading in enumerate(headings):
            self.text(row, col + i, heading, "header")

    def table_header(self, headings: list[str]) -> None:
        """Headings on the first row, frozen with the first column."""
        self.header(0, headings)
        self.ws.freeze_panes(1, 1)

    def finish(self, *, widest: float = 48) -> None:
        for col, width in self._widths.items():
            self.ws.set_column(col, col, min(widest, max(8.0, width + 2)))

    def _format(self, style: str, *, quoted: bool = False) -> Any:
        return self.book.format(style, quoted=quoted)

    def _fit(self, col: int, text: str, *, limit: float = 1e9) -> None:
        longest = max((_width(line) for line in text.splitlines()), default=0.0)
        self._widths[col] = max(self._widths.get(col, 0.0), min(limit, longest))


def _width(text: str) -> float:
    """Excel column units: wide (CJK) characters count about twice."""
    return sum(2.0 if unicodedata.east_asian_width(c) in "WF" else 1.1 for c in text)

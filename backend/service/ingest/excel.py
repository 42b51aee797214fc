"""XLSX workbooks: the archive checked before anything is decompressed, then one sheet streamed row by row.

openpyxl in read-only mode streams the sheet's XML, so memory stays flat however long the sheet is,
and with ``data_only=False`` a formula cell reads as its formula text (``=HYPERLINK(...)``): nothing
is ever evaluated, and the cached result a file carries (0 in files written by many programs) is
never taken for a value. Dates come back as ``datetime`` where the cell has a date format.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from backend.errors import FieldProblem, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from backend.service.ingest.sniffing import ACCEPTED

Cell = str | int | float | bool | date | datetime | time | timedelta | None
_SMALL_MEMBER = 1 << 20  # below 1 MiB any compression ratio is harmless


def check_archive(stream: BinaryIO, *, max_unzipped_bytes: int, max_ratio: int, filename: str | None) -> None:
    """Refuse a ZIP that is not a workbook (415) or would inflate absurdly (413), from its directory alone."""
    name = filename or "The file"
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsupportedMediaType(f"{name} is a damaged ZIP archive; upload {ACCEPTED}") from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        what = "an OpenDocument spreadsheet (.ods)" if "content.xml" in names else "a ZIP archive"
        raise UnsupportedMediaType(f"{name} is {what}, not an Excel workbook; upload {ACCEPTED}")
    if any(m.flag_bits & 0x1 for m in members):
        raise UnsupportedMediaType(f"{name} is encrypted; remove the password and save it again as .xlsx")
    total = sum(m.file_size for m in members)
    if total > max_unzipped_bytes:
        raise PayloadTooLarge(
            f"{name} would unpack to {total:,} bytes; at most {max_unzipped_bytes:,} are accepted. "
            "Split the workbook, or upload the sheet as CSV",
            details={"unzipped_bytes": total, "limit": max_unzipped_bytes},
        )
    for member in members:
        if member.file_size > _SMALL_MEMBER and member.file_size > max_ratio * max(1, member.compress_size):
            raise PayloadTooLarge(
                f"{name} holds {member.filename}, compressed more than {max_ratio}:1, which no real "
                "workbook does (a ZIP bomb?); save the workbook again from Excel",
                details={"member": member.filename, "limit_ratio": max_ratio},
            )


def open_sheet(
    stream: BinaryIO, sheet: str | None, *, filename: str | None
) -> tuple[Workbook, ReadOnlyWorksheet]:
    """The named sheet (compared after NFKC and trimming), else the first visible one; unknown → 422."""
    try:
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except Exception:  # openpyxl signals a damaged workbook with assorted exception types
        raise UnsupportedMediaType(
            f"{filename or 'The file'} could not be read as an Excel workbook (it is damaged or not .xlsx); "
            "open it in Excel and save it again as .xlsx"
        ) from None
    sheets = [ws for ws in workbook.worksheets if isinstance(ws, ReadOnlyWorksheet)]
    if sheet is None:
        visible = [ws for ws in sheets if ws.sheet_state == "visible"] or sheets
        if not visible:
            workbook.close()
            raise ValidationFailed([FieldProblem(field="sheet", reason="the workbook has no worksheet")])
        chosen = visible[0]
    else:
        wanted = _sheet_key(sheet)
        found = [ws for ws in sheets if _sheet_key(ws.title) == wanted]
        if not found:
            workbook.close()
            names = ", ".join(ws.title for ws in sheets)
            raise ValidationFailed(
                [
                    FieldProblem(
                        field="sheet",
                        reason=f"no sheet is named {sheet!r}; the sheets are: {names}",
                        value=sheet,
                    )
                ]
            )
        chosen = found[0]
    chosen.reset_dimensions()  # the stored dimensions may be wrong; read the rows as they are
    return workbook, chosen


def _sheet_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def sheet_rows(
    workbook: Workbook, worksheet: ReadOnlyWorksheet, *, filename: str | None
) -> Iterator[list[Cell]]:
    """Every row of the sheet from row 1 (empty rows included, so positions are Excel's row numbers)."""
    try:
        # the stubs type this method (borrowed from Worksheet) for Worksheet only
        for values in worksheet.iter_rows(values_only=True):  # type: ignore[misc]
            yield [_cell(value) for value in values]
    except (zipfile.BadZipFile, OSError, ValueError, SyntaxError) as exc:  # XML ParseError is a SyntaxError
        raise UnsupportedMediaType(
            f"{filename or 'The file'} is damaged: its sheet could not be read ({exc}); "
            "open it in Excel and save it again as .xlsx"
        ) from None
    finally:
        workbook.close()


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | date | time | timedelta):
        return value  # bool is an int, datetime a date
    return str(getattr(value, "text", value))  # array and table formulas: their formula text

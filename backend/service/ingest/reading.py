"""Read an uploaded file into a Table: the format and encoding found from the content, the header row
found under any title rows, and the data rows streamed with the row numbers Excel shows."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import BinaryIO, Literal

from backend.config import Settings
from backend.errors import FieldProblem, PayloadTooLarge, ValidationFailed
from backend.service.ingest.excel import Cell, check_archive, open_sheet, sheet_rows
from backend.service.ingest.headers import known_header_count
from backend.service.ingest.sniffing import detect_encoding, sniff

Row = tuple[int, list[Cell]]  # (row number as Excel shows it, the cells from column A on)
HEADER_SEARCH_ROWS = 30  # title rows above the header: how far down the header may be


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 1_000_000
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_ratio: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_bytes=settings.ingest_max_bytes,
            max_rows=settings.ingest_max_rows,
            max_unzipped_bytes=settings.ingest_max_unzipped_bytes,
            max_zip_ratio=settings.ingest_max_zip_ratio,
        )


@dataclass(frozen=True)
class Table:
    """A file's table. ``rows`` is an iterator, read once: the data rows below the header, empty rows skipped.

    Iterating may raise what reading raises: ``PayloadTooLarge`` past ``max_rows`` data rows,
    ``ValidationFailed`` for broken CSV quoting, ``UnsupportedMediaType`` for a damaged workbook.
    """

    format: Literal["csv", "tsv", "xlsx"]
    encoding: str | None  # utf-8, utf-8-sig or cp932 for text; None for xlsx
    sheet: str | None  # the sheet read, for xlsx
    header_row: int
    headers: list[str]  # as written, trimmed; "" for a blank header cell
    rows: Iterator[Row] = field(repr=False)
    notes: tuple[str, ...] = ()  # the text of rows above the header (titles, 単位:千円)


def _file_problem(reason: str, row: int | None = None) -> ValidationFailed:
    return ValidationFailed(
        [FieldProblem(field="file", reason=reason, row=row)], message=f"The file {reason}"
    )


def read_table(
    source: BinaryIO | bytes,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    limits: Limits = Limits(),
) -> Table:
    """Read CSV/TSV (UTF-8, UTF-8 with BOM, CP932) or XLSX, judged by content; ``filename`` only names it.

    413 over ``limits``; 415 for anything that is not such a file; 422 for an empty file, a text in
    another encoding or an unknown sheet. The stream must stay open while ``rows`` is read.
    """
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    size = stream.seek(0, io.SEEK_END)
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"{filename or 'The file'} is {size:,} bytes; at most {limits.max_bytes:,} are accepted. "
            "Split it, or use the command line (wellness ingest)",
            details={"bytes": size, "limit": limits.max_bytes},
        )
    stream.seek(0)
    head = stream.read(8192)
    if not head.strip().removeprefix(b"\xef\xbb\xbf").strip():
        raise _file_problem("is empty; upload a file with a header row and data rows")
    if sniff(head, filename=filename) == "zip":
        stream.seek(0)
        check_archive(
            stream,
            max_unzipped_bytes=limits.max_unzipped_bytes,
            max_ratio=limits.max_zip_ratio,
            filename=filename,
        )
        stream.seek(0)
        workbook, worksheet = open_sheet(stream, sheet, filename=filename)
        rows = enumerate(sheet_rows(workbook, worksheet, filename=filename), start=1)
        return _table("xlsx", None, worksheet.title, rows, limits)
    encoding = detect_encoding(stream)
    stream.seek(0)
    delimiter = _delimiter(stream)
    stream.seek(0)
    return _table(
        "tsv" if delimiter == "\t" else "csv", encoding, None, _csv_rows(stream, encoding, delimiter), limits
    )


def _delimiter(stream: BinaryIO) -> str:
    """Tab if the first lines (where the header is) hold more tabs than commas, else comma."""
    head = b"".join(islice(stream, HEADER_SEARCH_ROWS))  # both bytes are ASCII in UTF-8 and CP932 alike
    return "\t" if head.count(b"\t") > head.count(b",") else ","


def _csv_rows(stream: BinaryIO, encoding: str, delimiter: str) -> Iterator[Row]:
    """CSV records numbered from 1; line breaks inside a quoted cell keep a record one row, as in Excel."""
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    number = 0
    try:
        while True:
            number += 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _file_problem(_quoting_reason(str(exc)), row=number) from None
            yield number, list(record)
    finally:
        with contextlib.suppress(ValueError):  # already closed by its owner
            text.detach()  # the caller owns the stream: the wrapper must not close it when collected


def _quoting_reason(error: str) -> str:
    if "field larger than field limit" in error:
        return (
            'has a cell longer than 131,072 characters here, most likely a quote (") that is never closed; '
            "check the quotes in this row"
        )
    if "unexpected end of data" in error:
        return 'has a quote (") opened in this row that is never closed; check the quotes in this row'
    return f'has broken quoting in this row ({error}); a quote inside a quoted cell is written twice ("")'


def _is_blank(cells: list[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(
    format: Literal["csv", "tsv", "xlsx"],
    encoding: str | None,
    sheet: str | None,
    rows: Iterator[Row],
    limits: Limits,
) -> Table:
    """Find the header among the first rows and stream the rest."""
    first = list(islice(rows, HEADER_SEARCH_ROWS))
    filled = [(n, cells) for n, cells in first if not _is_blank(cells)]
    if not filled:
        raise _file_problem("has no rows with values; upload a file with a header row and data rows")
    at = _header_position(filled)
    header_number, header_cells = filled[at]
    notes = tuple(
        str(c).strip() for _, cells in filled[:at] for c in cells if c is not None and str(c).strip()
    )
    rest = chain((r for r in first if r[0] > header_number), rows)
    headers = _trimmed_headers(header_cells)
    return Table(format, encoding, sheet, header_number, headers, _data_rows(rest, limits), notes)


def _header_position(filled: list[Row]) -> int:
    """The first row naming the most known columns; failing that, the first with two values or more."""
    counts = [known_header_count(cells) for _, cells in filled]
    if max(counts) > 0:
        return counts.index(max(counts))
    two = [i for i, (_, cells) in enumerate(filled) if sum(not _is_blank([c]) for c in cells) >= 2]
    return two[0] if two else 0


def _trimmed_headers(cells: list[Cell]) -> list[str]:
    headers = ["" if c is None else str(c).strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _data_rows(rows: Iterable[Row], limits: Limits) -> Iterator[Row]:
    count = 0
    for number, cells in rows:
        first = cells[0] if cells else None
        if not (type(first) is str and first.strip()) and _is_blank(
            cells
        ):  # the first cell settles most rows
            continue
        count += 1
        if count > limits.max_rows:
            raise PayloadTooLarge(
                f"The file has more than {limits.max_rows:,} data rows; split it into smaller files",
                details={"limit_rows": limits.max_rows},
            )
        yield number, cells

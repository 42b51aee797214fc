"""read_table: formats by content, encodings, the header row under titles, row numbers, limits."""

from __future__ import annotations

import io
import random
import tempfile
from datetime import datetime

import pytest
import xlsxwriter

from backend.config import Settings
from backend.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from backend.service.ingest import Limits, Table, read_table

EMPLOYEES = "社員番号,部署,役職\nE001,営業部,部長\nE002,開発部,\n"


def _rows(table: Table) -> list[tuple[int, list[object]]]:
    return list(table.rows)


def _xlsx(
    rows: dict[int, list[object]], *, sheets: tuple[str, ...] = ("Sheet1",), hidden_first: bool = False
) -> bytes:
    """A workbook whose first sheet holds ``rows`` at the given 0-based row indexes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for position, name in enumerate(sheets):
        sheet = workbook.add_worksheet(name)
        if position == 0 and hidden_first:
            sheet.hide()
            sheet.write(0, 0, "hidden")
            continue
        for index, values in rows.items():
            sheet.write_row(index, 0, values)
    if hidden_first:
        workbook.worksheets()[1].activate()
    workbook.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (EMPLOYEES.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + EMPLOYEES.encode("utf-8"), "utf-8-sig"),
        (EMPLOYEES.encode("cp932"), "cp932"),
        (EMPLOYEES.replace("\n", "\r\n").encode("cp932"), "cp932"),
        ("社員番号,部署\nE001,①営業部髙橋\n".encode("cp932"), "cp932"),  # NEC and IBM extensions of CP932
    ],
)
def test_encodings(data: bytes, encoding: str) -> None:
    table = read_table(data)
    assert (table.format, table.encoding, table.header_row) == ("csv", encoding, 1)
    assert table.headers[:2] == ["社員番号", "部署"]
    number, cells = _rows(table)[0]
    assert (number, cells[0]) == (2, "E001")
    assert cells[1] in ("営業部", "①営業部髙橋")


def test_csv_cells_rows_and_quoting() -> None:
    text = '社員番号,部署,役職\r\nE001,"営業部, 東京","部長\r\n(兼務)"\r\n\r\n,,\r\nE002,"開発""部""",\r\n'
    table = read_table(text.encode("utf-8"))
    # a quoted line break keeps the record one row, as Excel shows it; blank rows are skipped, not renumbered
    assert _rows(table) == [(2, ["E001", "営業部, 東京", "部長\r\n(兼務)"]), (5, ["E002", '開発"部"', ""])]


def test_tsv_is_sniffed_from_the_header_line() -> None:
    table = read_table("社員番号\t部署\nE001\t営業部, 東京\n".encode())
    assert table.format == "tsv"
    assert _rows(table) == [(2, ["E001", "営業部, 東京"])]


def test_tsv_under_a_title_line_without_tabs() -> None:
    table = read_table("施術記録 2024年4月\n社員番号\t施術者\t備考\nE001\t佐藤\t肩, 首\n".encode("cp932"))
    assert (table.format, table.encoding, table.header_row) == ("tsv", "cp932", 2)
    assert _rows(table) == [(3, ["E001", "佐藤", "肩, 首"])]


def test_title_rows_above_the_header_are_skipped_and_kept_as_notes() -> None:
    text = "従業員一覧,2024年4月1日現在\n\n社員番号,部署,役職\nE001,営業部,部長\n"
    table = read_table(text.encode("utf-8"))
    assert (table.header_row, table.headers, table.notes) == (
        3,
        ["社員番号", "部署", "役職"],
        ("従業員一覧", "2024年4月1日現在"),
    )
    assert _rows(table) == [(4, ["E001", "営業部", "部長"])]


def test_without_known_headers_the_first_row_of_two_values_is_the_header() -> None:
    table = read_table("一覧\n氏名,メール\n山田,a@example.jp\n".encode())
    assert (table.header_row, table.headers) == (2, ["氏名", "メール"])


def test_trailing_empty_header_cells_are_dropped() -> None:
    table = read_table("社員番号,部署,,\nE001,営業部,,\n".encode())
    assert table.headers == ["社員番号", "部署"]


def test_xlsx_row_numbers_header_and_values() -> None:
    data = _xlsx(
        {
            0: ["2024年度 施術アンケート"],
            2: ["社員番号", "身体症状", "回答日時"],
            3: ["E001", 70, 45383.5],
            5: ["E002", 60.5, "2024/4/2"],
            9: [None, None],
        }
    )
    table = read_table(data, filename="a.xlsx")
    assert (table.format, table.encoding, table.sheet, table.header_row) == ("xlsx", None, "Sheet1", 3)
    assert table.notes == ("2024年度 施術アンケート",)
    assert _rows(table) == [(4, ["E001", 70, 45383.5]), (6, ["E002", 60.5, "2024/4/2"])]


def test_xlsx_dates_come_back_as_datetimes() -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, ["社員番号", "入社日"])
        sheet.write(1, 0, "E001")
        sheet.write_datetime(1, 1, datetime(2024, 4, 1), workbook.add_format({"num_format": "yyyy/mm/dd"}))
    assert _rows(read_table(buffer.getvalue())) == [(2, ["E001", datetime(2024, 4, 1)])]


def test_xlsx_sheet_by_name_or_first_visible() -> None:
    data = _xlsx({0: ["社員番号"], 1: ["E001"]}, sheets=("隠し", "社員", "メモ"), hidden_first=True)
    assert read_table(data).sheet == "社員"
    assert read_table(data, sheet=" メモ ").sheet == "メモ"
    with pytest.raises(ValidationFailed) as exc:
        read_table(data, sheet="Sheet9")
    assert [(p.field, p.reason) for p in exc.value.problems] == [
        ("sheet", "no sheet is named 'Sheet9'; the sheets are: 隠し, 社員, メモ")
    ]


def test_reads_from_a_spooled_upload_and_leaves_it_open() -> None:
    with tempfile.SpooledTemporaryFile(max_size=16) as upload:  # rolled over to disk, as a large upload is
        upload.write(EMPLOYEES.encode("cp932"))
        table = read_table(upload, filename="社員.csv")
        assert [n for n, _ in table.rows] == [2, 3]
        assert not upload.closed  # the CSV reader's text wrapper let go of it
        upload.seek(0)
        assert upload.read(4) == "社員".encode("cp932")


def test_empty_files() -> None:
    for data in (b"", b"\n\n  \r\n", b"\xef\xbb\xbf"):
        with pytest.raises(ValidationFailed, match="The file is empty"):
            read_table(data)
    with pytest.raises(ValidationFailed, match="has no rows with values"):
        read_table(_xlsx({}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4\n...", "x.csv is a PDF document; upload CSV or tab-separated text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(50), "x.csv is a PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "x.csv is an old-format Excel file (.xls)"),
        (b"\x7fELF" + random.Random(1).randbytes(600), "x.csv is not text (it holds binary data)"),
        (b"col\x01\x02\x03\x04\x05,b\n" * 3, "x.csv is not text (it holds binary data)"),  # control bytes
        (
            b"\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00" * 20,
            "x.csv is not text",
        ),  # NULs on one side, not UTF-16
        (b"PK\x03\x04 not really a zip", "x.csv is a damaged ZIP archive"),
    ],
)
def test_not_a_table_is_415(data: bytes, message: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        read_table(data, filename="x.csv")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (EMPLOYEES.encode("utf-16"), "is in UTF-16"),
        (EMPLOYEES.encode("utf-16-le"), "is in UTF-16"),
        (EMPLOYEES.encode("iso2022_jp"), "is in ISO-2022-JP (JIS)"),
        (
            "社員番号,部署\nE001,営業部\n".encode("euc_jp"),
            "is neither UTF-8 nor Shift_JIS (it looks like EUC-JP)",
        ),
        ("氏名\n山田\n".encode("euc_jp"), "is in EUC-JP"),  # decodes as CP932 too, into nonsense
        ("Société,Café\nNaïve,1\n".encode("cp1252"), "is neither UTF-8 nor Shift_JIS"),
    ],
)
def test_other_encodings_are_422(data: bytes, reason: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_table(data)
    assert exc.value.problems[0].field == "file"
    assert exc.value.problems[0].reason.startswith(reason)
    assert "save it as CSV UTF-8 or CSV (Shift_JIS)" in exc.value.problems[0].reason


def test_an_encoding_error_names_the_byte_and_line() -> None:
    data = ("社員番号,部署\n" + "E001,営業部\n" * 3).encode() + b"E005,\xff\xfe\n"
    with pytest.raises(ValidationFailed) as exc:
        read_table(data)
    assert exc.value.problems[0].reason.startswith(
        f"is neither UTF-8 nor Shift_JIS: it reads as UTF-8 up to byte {len(data) - 3:,} (line 5), "
        "where the byte 0xFF is not valid"
    )


def test_size_limit() -> None:
    data = EMPLOYEES.encode()
    assert read_table(data, limits=Limits(max_bytes=len(data))).headers
    with pytest.raises(PayloadTooLarge, match=f"^big.csv is {len(data) + 1:,} bytes; at most {len(data):,}"):
        read_table(data + b"\n", filename="big.csv", limits=Limits(max_bytes=len(data)))


@pytest.mark.parametrize("xlsx", [False, True])
def test_row_limit_counts_data_rows(xlsx: bool) -> None:
    rows = {0: ["社員番号"], **{i: [f"E{i}"] for i in range(1, 4)}}
    data = _xlsx(rows) if xlsx else "".join(f"{r[0]}\n\n" for r in rows.values()).encode()
    assert len(_rows(read_table(data, limits=Limits(max_rows=3)))) == 3  # blank rows do not count
    table = read_table(data, limits=Limits(max_rows=2))
    with pytest.raises(PayloadTooLarge, match=r"^The file has more than 2 data rows; split it"):
        _rows(table)


def test_limits_from_settings() -> None:
    settings = Settings(_env_file=None, ingest_max_bytes=2048, ingest_max_rows=10)  # type: ignore[call-arg]
    assert Limits.from_settings(settings) == Limits(max_bytes=2048, max_rows=10)
    assert Limits.from_settings(Settings(_env_file=None)) == Limits()  # type: ignore[call-arg]

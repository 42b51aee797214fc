"""Writes the golden files and the bad-input corpus of the ingest tests, byte for byte the same each run.

python tests/service/ingest/files/make_files.py [DIR]     (default: this file's folder)
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
FIXED = datetime(2024, 4, 1, 9, 0, 0)  # the workbooks' creation time, so they are reproducible

FINANCIAL_HEADER = "年月,売上高,売上原価,販売費及び一般管理費,営業利益,当期純利益,従業員数,退職者数"


def _crlf(lines: list[str]) -> str:
    return "".join(line + "\r\n" for line in lines)  # Excel on Windows writes CRLF


def financial_statements_cp932() -> bytes:
    """Excel's 'CSV (comma delimited)' on a Japanese Windows: Shift_JIS, CRLF, a title and a unit line."""
    return _crlf(
        [
            "損益計算書（月次）,,,,,,,",
            "（単位：円）,,,,,,,",
            FINANCIAL_HEADER,
            '2024/04,"12,500,000","4,000,000","6,000,000","2,500,000","1,700,000",25,0',
            '令和6年5月,"￥13,000,000",４００００００,"6,500,000","2,500,000","1,800,000",26,1',
            '2024年6月,"11,000,000","4,200,000","7,300,000","△500,000","(600,000)",26,2',
            "202407,9800000,4100000,7000000,-1300000,▲1400000,２５,",
        ]
    ).encode("cp932")


def employees_utf8_bom() -> bytes:
    """Excel's 'CSV UTF-8': a BOM; codes full-width, dates in four spellings, ○/× and a SQL-looking title."""
    text = _crlf(
        [
            "社員番号,部署,役職,入社日,退職日,在籍,メールアドレス",
            "E001,営業部,部長,2020/4/1,,○,a@example.jp",
            'Ｅ００２,開発部,"エンジニア, シニア",2021-10-01,,在籍,b@example.jp',
            'E003,管理部,"\'; DROP TABLE employees; --",令和3年4月1日,R6.3.31,×,c@example.jp',
            "E004,開発部,,2019年5月7日,,はい,",
        ]
    )
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def treatments_tsv() -> bytes:
    """Tab-separated UTF-8 with a quoted note that holds a line break and a formula-looking text."""
    rows = [
        ["社員番号", "施術者", "施術内容", "施術日時", "施術時間(分)", "使用クレジット", "備考"],
        ["E001", "佐藤 花子", "マッサージ", "2024/4/10 10:00", "30", "1", "肩こり"],
        ["E002", "鈴木 一郎", "整体", "2024-04-10 10:30", "45", "2", '"腰痛\n次回は来週"'],
        ["E001", "佐藤 花子", "coaching", "2024年4月17日 15時00分", "60", "2", '=HYPERLINK("http://x","x")'],
    ]
    return "".join("\t".join(r) + "\n" for r in rows).encode("utf-8")


SURVEY_HEADER = [
    "社員番号",
    "施術前後",
    "回答日時",
    "身体症状",
    "精神状態",
    "意欲",
    "コミュニケーション",
    "その他",
    "自由記述",
]


def _workbook(build: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": FIXED})
    build(workbook)
    workbook.close()
    return buffer.getvalue()


def surveys_xlsx() -> bytes:
    """A merged title over row 1, the header on row 2, date cells, a gap row, a formatted empty row below."""

    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("回答")
        when = workbook.add_format({"num_format": "yyyy/m/d h:mm"})
        sheet.merge_range(0, 0, 0, len(SURVEY_HEADER) - 1, "2024年4月 施術アンケート", workbook.add_format())
        sheet.write_row(1, 0, SURVEY_HEADER)
        rows = [
            ("E001", "施術前", datetime(2024, 4, 10, 9, 55), 70, 60, 50, 55, 40, "肩が重い"),
            ("E001", "施術後", datetime(2024, 4, 10, 10, 35), 30, 45.5, 65, 60, 35, None),
            (
                "E002",
                "before",
                datetime(2024, 4, 10, 10, 25),
                80,
                70,
                40,
                50,
                50,
                "Robert'); DROP TABLE x;--",
            ),
        ]
        for offset, row in enumerate(rows):
            r = 2 + offset + (offset == 2)  # row 5 is left empty: row 6 must still be called row 6
            sheet.write_row(r, 0, row[:2])
            sheet.write_datetime(r, 2, row[2], when)
            sheet.write_row(r, 3, row[3:])
        sheet.set_row(30, None, workbook.add_format({"bold": True}))  # a formatted, empty row far below
        workbook.add_worksheet("メモ").write(0, 0, "集計用")

    return _workbook(build)


def formulas_xlsx() -> bytes:
    """Formula cells: =HYPERLINK in free text (kept as its text) and =SUM in a score (refused)."""

    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("回答")
        sheet.write_row(0, 0, SURVEY_HEADER)
        sheet.write_row(1, 0, ["E001", "施術前", "2024-04-10 09:55", 70, 60, 50, 55, 40])
        sheet.write_formula(1, 8, '=HYPERLINK("http://evil.example/","click")', None, "click")
        sheet.write_row(2, 0, ["E001", "施術後", "2024-04-10 10:35"])
        sheet.write_formula(2, 3, "=SUM(D2,-40)", None, 30)
        sheet.write_row(2, 4, [45, 65, 60, 35])

    return _workbook(build)


def yen_1e20_xlsx() -> bytes:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, FINANCIAL_HEADER.split(","))
        sheet.write_row(1, 0, ["2024-04", 1e20, 1, 1, 1, 1, 3.0, 0])

    return _workbook(build)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def zip_bomb_ratio() -> bytes:
    """A workbook whose sheet inflates 20 MB of zeros from about 20 KB (ratio ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(_member("xl/workbook.xml"), "<workbook/>")
        with archive.open(_member("xl/worksheets/sheet1.xml"), "w") as member:
            for _ in range(20):
                member.write(b"\0" * (1 << 20))
    return buffer.getvalue()


def zip_bomb_claimed() -> bytes:
    """A tiny workbook whose central directory claims its sheet unpacks to about 4 GB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
            archive.writestr(_member(name), "<x/>")
    data = bytearray(buffer.getvalue())
    at = data.rfind(b"PK\x01\x02")  # the last member's central directory entry
    struct.pack_into("<I", data, at + 24, 0xF000_0000)  # its uncompressed size
    return bytes(data)


def not_a_workbook_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_member("readme.txt"), "hello")
    return buffer.getvalue()


def billion_laughs_xlsx() -> bytes:
    """A workbook whose sheet XML nests entities to expand into gigabytes (the parser must refuse)."""
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>'
    )
    source = zipfile.ZipFile(io.BytesIO(_workbook(lambda wb: wb.add_worksheet().write(0, 0, "x"))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            archive.writestr(info, body)
    return buffer.getvalue()


def _csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return "".join(line + "\n" for line in lines).encode(encoding)


FILES: dict[str, Callable[[], bytes]] = {
    # golden files: read back and compared value by value
    "financial_statements_cp932.csv": financial_statements_cp932,
    "employees_utf8_bom.csv": employees_utf8_bom,
    "treatments.tsv": treatments_tsv,
    "surveys_merged_title.xlsx": surveys_xlsx,
    # the bad-input corpus
    "bad_quoting_unclosed.csv": lambda: _csv(["社員番号,部署", "E001,営業部", 'E002,"開発部', "E003,管理部"]),
    "bad_quoting_stray.csv": lambda: _csv(["社員番号,部署", 'E001,"営業"部', "E002,開発部"]),
    "wrong_encoding_euc_jp.csv": lambda: _csv([FINANCIAL_HEADER, "2024-04,1,1,1,1,1,1,0"], "euc_jp"),
    "wrong_encoding_utf16.csv": lambda: _csv([FINANCIAL_HEADER, "2024-04,1,1,1,1,1,1,0"], "utf-16"),
    "no_known_column.csv": lambda: _csv(["氏名,メールアドレス,電話", "山田,a@example.jp,03-0000-0000"]),
    "missing_required.csv": lambda: _csv(
        ["年月,売上高,販管費,営業利益,当期純利益,従業員数", "2024-04,1,1,1,1,1"]
    ),
    "formulas.xlsx": formulas_xlsx,
    "yen_1e20_nan.csv": lambda: _csv(
        [FINANCIAL_HEADER, "2024-04,1e20,NaN,inf,1,1,3,0", "2024-05,1,1,1,1,1,3,0"]
    ),
    "yen_1e20.xlsx": yen_1e20_xlsx,
    "negative_headcount.csv": lambda: _csv([FINANCIAL_HEADER, "2024-04,1,1,1,1,1,-3,0"]),
    "vas_101.csv": lambda: _csv(
        [
            ",".join(SURVEY_HEADER),
            "E001,施術前,2024-04-10 09:55,101,50,50,50,50,",
            "E001,施術後,2024-04-10 10:35,50,-1,50,50,50,",
        ]
    ),
    "date_2024_13_01.csv": lambda: _csv(["社員番号,入社日", "E001,2024-13-01", "E002,2023-02-29"]),
    "duplicate_key.csv": lambda: _csv(["社員番号,部署", "E001,営業部", "E002,開発部", "Ｅ００１,管理部"]),
    "empty.csv": lambda: b"",
    "header_only.csv": lambda: _csv(["社員番号,部署,役職"]),
    "garbage.csv": lambda: random.Random(7).randbytes(4096),
    "pdf_named.csv": lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n",
    "legacy.xls": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "not_a_workbook.xlsx": not_a_workbook_zip,
    "zip_bomb_ratio.xlsx": zip_bomb_ratio,
    "zip_bomb_claimed.xlsx": zip_bomb_claimed,
    "billion_laughs.xlsx": billion_laughs_xlsx,
    "sql_strings.csv": lambda: _csv(
        [
            "会社名,業種,VC",
            '"Robert\'); DROP TABLE companies;--",IT,"1 OR 1=1"',
            '株式会社テスト,"\' UNION SELECT password FROM users --","$1; DELETE FROM x"',
        ]
    ),
}


def write_all(folder: Path) -> None:
    for name, make in FILES.items():
        (folder / name).write_bytes(make())


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)

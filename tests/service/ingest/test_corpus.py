"""The golden files read back value by value, and the bad-input corpus: each answered with its exact problems.

The files are made by ``files/make_files.py``; a test checks the committed ones are what it makes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from backend.database.models import SurveyAnswer, Treatment
from backend.database.schemas_sql import CompanyCreate, EmployeeCreate, FinancialStatementCreate
from backend.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed, WellnessError
from backend.service.ingest import Parsed, read_table
from backend.service.ingest.parsing import parse_rows
from backend.service.schemas import TOKYO
from tests.service.ingest.files import make_files

FILES = Path(__file__).resolve().parent / "files"


def _parse(name: str, dataset: str = "auto", company_id: int | None = 3) -> Parsed:
    with (FILES / name).open("rb") as stream:
        table = read_table(stream, filename=name, sheet=None)
        return parse_rows(dataset, table, company_id=company_id)


def _problems(parsed: Parsed) -> list[tuple[int | None, str, str, Any]]:
    return [(p.row, p.field, p.reason, p.value) for p in parsed.problems.items]


def _rows(parsed: Parsed) -> list[tuple[int, dict[str, Any]]]:
    return [(r.row, r.values) for r in parsed.rows]


def test_the_committed_files_are_what_make_files_writes(tmp_path: Path) -> None:
    make_files.write_all(tmp_path)
    for name in make_files.FILES:
        assert (tmp_path / name).read_bytes() == (FILES / name).read_bytes(), name


# --- golden files ------------------------------------------------------------------------------


def test_golden_financial_statements_cp932() -> None:
    with (FILES / "financial_statements_cp932.csv").open("rb") as stream:
        table = read_table(stream, filename="pl.csv")
        assert (table.format, table.encoding, table.header_row) == ("csv", "cp932", 3)
        assert table.notes == ("損益計算書（月次）", "（単位：円）")
        parsed = parse_rows("auto", table, company_id=7)
    assert parsed.dataset.name == "financial_statements"
    assert not parsed.problems
    assert parsed.company_ids == {7}
    keys = [
        "period",
        "revenue_yen",
        "cost_of_sales_yen",
        "sga_yen",
        "operating_profit_yen",
        "net_income_yen",
        "headcount",
        "leavers",
        "company_id",
    ]
    expected = [
        (4, [date(2024, 4, 1), 12_500_000, 4_000_000, 6_000_000, 2_500_000, 1_700_000, 25, 0, 7]),
        (5, [date(2024, 5, 1), 13_000_000, 4_000_000, 6_500_000, 2_500_000, 1_800_000, 26, 1, 7]),
        (6, [date(2024, 6, 1), 11_000_000, 4_200_000, 7_300_000, -500_000, -600_000, 26, 2, 7]),
        (7, [date(2024, 7, 1), 9_800_000, 4_100_000, 7_000_000, -1_300_000, -1_400_000, 25, None, 7]),
    ]
    assert _rows(parsed) == [
        (n, {k: v for k, v in zip(keys, values, strict=True) if v is not None}) for n, values in expected
    ]
    stored = [FinancialStatementCreate(**r.values).to_columns() for r in parsed.rows]
    assert stored[3]["leavers"] == 0  # an empty cell is left out, so the schema's default applies


def test_golden_employees_utf8_bom() -> None:
    parsed = _parse("employees_utf8_bom.csv")
    assert parsed.dataset.name == "employees"
    assert parsed.columns.ignored == ("メールアドレス",)
    assert not parsed.problems
    assert _rows(parsed) == [
        (
            2,
            {
                "employee_code": "E001",
                "department": "営業部",
                "position": "部長",
                "hired_on": date(2020, 4, 1),
                "is_active": True,
                "company_id": 3,
            },
        ),
        (
            3,
            {
                "employee_code": "E002",
                "department": "開発部",
                "position": "エンジニア, シニア",
                "hired_on": date(2021, 10, 1),
                "is_active": True,
                "company_id": 3,
            },
        ),
        (
            4,
            {
                "employee_code": "E003",
                "department": "管理部",
                "position": "'; DROP TABLE employees; --",
                "hired_on": date(2021, 4, 1),
                "left_on": date(2024, 3, 31),
                "is_active": False,
                "company_id": 3,
            },
        ),
        (
            5,
            {
                "employee_code": "E004",
                "department": "開発部",
                "hired_on": date(2019, 5, 7),
                "is_active": True,
                "company_id": 3,
            },
        ),
    ]
    for row in parsed.rows:
        EmployeeCreate(**row.values)


def test_golden_treatments_tsv() -> None:
    parsed = _parse("treatments.tsv")
    assert parsed.dataset.name == "treatments"
    assert not parsed.problems
    assert _rows(parsed) == [
        (
            2,
            {
                "employee_code": "E001",
                "practitioner": "佐藤 花子",
                "kind": "massage",
                "started_at": datetime(2024, 4, 10, 10, 0, tzinfo=TOKYO),
                "minutes": 30,
                "credits_used": 1,
                "notes": "肩こり",
                "company_id": 3,
            },
        ),
        (
            3,
            {
                "employee_code": "E002",
                "practitioner": "鈴木 一郎",
                "kind": "chiropractic",
                "started_at": datetime(2024, 4, 10, 10, 30, tzinfo=TOKYO),
                "minutes": 45,
                "credits_used": 2,
                "notes": "腰痛\n次回は来週",
                "company_id": 3,
            },
        ),
        (
            4,
            {
                "employee_code": "E001",
                "practitioner": "佐藤 花子",
                "kind": "coaching",
                "started_at": datetime(2024, 4, 17, 15, 0, tzinfo=TOKYO),
                "minutes": 60,
                "credits_used": 2,
                "notes": '=HYPERLINK("http://x","x")',
                "company_id": 3,
            },
        ),  # a formula-looking text stays text
    ]
    for row in parsed.rows:
        values = {k: v for k, v in row.values.items() if k != "employee_code"}
        assert Treatment(**values, employee_id=1).notes == row.values["notes"]


def test_golden_surveys_xlsx_with_a_merged_title() -> None:
    with (FILES / "surveys_merged_title.xlsx").open("rb") as stream:
        table = read_table(stream, filename="surveys.xlsx")
        assert (table.format, table.sheet, table.header_row, table.notes) == (
            "xlsx",
            "回答",
            2,
            ("2024年4月 施術アンケート",),
        )
        parsed = parse_rows("auto", table, company_id=3)
    assert parsed.dataset.name == "surveys"
    assert not parsed.problems
    at = lambda h, m: datetime(2024, 4, 10, h, m, tzinfo=TOKYO)  # noqa: E731
    assert _rows(parsed) == [
        (
            3,
            {
                "employee_code": "E001",
                "phase": "before",
                "answered_at": at(9, 55),
                "free_text": "肩が重い",
                "company_id": 3,
                "vas": {"physical": 70, "mental": 60, "motivation": 50, "communication": 55, "other": 40},
            },
        ),
        (
            4,
            {
                "employee_code": "E001",
                "phase": "after",
                "answered_at": at(10, 35),
                "company_id": 3,
                "vas": {"physical": 30, "mental": 45.5, "motivation": 65, "communication": 60, "other": 35},
            },
        ),
        (
            6,
            {
                "employee_code": "E002",
                "phase": "before",
                "answered_at": at(10, 25),
                "free_text": "Robert'); DROP TABLE x;--",
                "company_id": 3,
                "vas": {"physical": 80, "mental": 70, "motivation": 40, "communication": 50, "other": 50},
            },
        ),
    ]
    for row in parsed.rows:
        values = {k: v for k, v in row.values.items() if k != "employee_code"}
        SurveyAnswer(**values, employee_id=1)


def test_sql_looking_strings_come_through_verbatim() -> None:
    parsed = _parse("sql_strings.csv", company_id=None)
    assert parsed.dataset.name == "companies"
    assert _rows(parsed) == [
        (2, {"name": "Robert'); DROP TABLE companies;--", "industry": "IT", "vc_firm": "1 OR 1=1"}),
        (
            3,
            {
                "name": "株式会社テスト",
                "industry": "' UNION SELECT password FROM users --",
                "vc_firm": "$1; DELETE FROM x",
            },
        ),
    ]
    for row in parsed.rows:
        CompanyCreate(**row.values)


# --- the bad-input corpus ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error", "status", "start"),
    [
        (
            "bad_quoting_unclosed.csv",
            ValidationFailed,
            422,
            'The file has a quote (") opened in this row that is never closed',
        ),
        (
            "bad_quoting_stray.csv",
            ValidationFailed,
            422,
            "The file has broken quoting in this row (',' expected after '\"')",
        ),
        (
            "wrong_encoding_euc_jp.csv",
            ValidationFailed,
            422,
            "The file is neither UTF-8 nor Shift_JIS (it looks like EUC-JP)",
        ),
        ("wrong_encoding_utf16.csv", ValidationFailed, 422, "The file is in UTF-16"),
        (
            "empty.csv",
            ValidationFailed,
            422,
            "The file is empty; upload a file with a header row and data rows",
        ),
        (
            "garbage.csv",
            UnsupportedMediaType,
            415,
            "garbage.csv is not text (it holds binary data); upload CSV",
        ),
        ("pdf_named.csv", UnsupportedMediaType, 415, "pdf_named.csv is a PDF document"),
        ("legacy.xls", UnsupportedMediaType, 415, "legacy.xls is an old-format Excel file (.xls)"),
        (
            "not_a_workbook.xlsx",
            UnsupportedMediaType,
            415,
            "not_a_workbook.xlsx is a ZIP archive, not an Excel workbook",
        ),
        (
            "zip_bomb_ratio.xlsx",
            PayloadTooLarge,
            413,
            "zip_bomb_ratio.xlsx holds xl/worksheets/sheet1.xml, compressed more than 100:1",
        ),
        ("zip_bomb_claimed.xlsx", PayloadTooLarge, 413, "zip_bomb_claimed.xlsx would unpack to 4,026,531,"),
        (
            "billion_laughs.xlsx",
            UnsupportedMediaType,
            415,
            "billion_laughs.xlsx could not be read as an Excel workbook",
        ),
        (
            "no_known_column.csv",
            ValidationFailed,
            422,
            "The header row fits no dataset; choose the dataset to see which columns are missing "
            "(columns seen: 氏名, メールアドレス, 電話)",
        ),
    ],
)
def test_refused_files(name: str, error: type[WellnessError], status: int, start: str) -> None:
    with pytest.raises(error) as exc:
        _parse(name)
    assert exc.value.status_code == status
    assert exc.value.message.startswith(start)


def test_broken_quoting_names_the_row() -> None:
    with pytest.raises(ValidationFailed) as exc:
        _parse("bad_quoting_unclosed.csv")
    assert [(p.row, p.field) for p in exc.value.problems] == [(3, "file")]
    with pytest.raises(ValidationFailed) as exc:
        _parse("bad_quoting_stray.csv")
    assert [(p.row, p.field) for p in exc.value.problems] == [(2, "file")]


def test_a_header_with_no_known_column_for_a_chosen_dataset() -> None:
    with pytest.raises(ValidationFailed) as exc:
        _parse("no_known_column.csv", dataset="employees")
    assert [(p.row, p.field, p.reason) for p in exc.value.problems] == [
        (
            1,
            "社員番号",
            "is missing: add a column named 社員番号 or 従業員番号 or 社員コード "
            "(columns seen: 氏名, メールアドレス, 電話)",
        )
    ]


def test_a_missing_required_column() -> None:
    with pytest.raises(ValidationFailed) as exc:
        _parse("missing_required.csv", dataset="financial_statements")
    assert [(p.row, p.field) for p in exc.value.problems] == [(1, "売上原価")]


def test_formula_cells_are_never_evaluated() -> None:
    parsed = _parse("formulas.xlsx")
    assert parsed.rows[0].values["free_text"] == '=HYPERLINK("http://evil.example/","click")'  # text, kept
    assert _problems(parsed) == [
        (
            3,
            "身体症状",
            "is an Excel formula, not a value; in Excel copy the cells and use Paste Special → Values",
            "=SUM(D2,-40)",
        ),  # not its cached result, 30
    ]


def test_1e20_nan_and_inf_in_yen_columns() -> None:
    parsed = _parse("yen_1e20_nan.csv")
    assert _problems(parsed) == [
        (2, "売上高", "is written in exponent notation (1e20); write the number in full digits", "1e20"),
        (2, "売上原価", "is NaN, not a number", "NaN"),
        (2, "販売費及び一般管理費", "is inf, not a number", "inf"),
    ]
    assert [r.row for r in parsed.rows] == [3]
    parsed = _parse("yen_1e20.xlsx")
    assert _problems(parsed) == [
        (2, "売上高", "is larger than 1,000,000,000,000,000; check the figure and its unit", 1e20)
    ]


def test_negative_headcount() -> None:
    assert _problems(_parse("negative_headcount.csv")) == [
        (2, "従業員数", "is negative, and this column cannot be negative", "-3")
    ]


def test_vas_out_of_range() -> None:
    assert _problems(_parse("vas_101.csv")) == [
        (2, "身体症状", "must be a score from 0 to 100", "101"),
        (3, "精神状態", "must be a score from 0 to 100", "-1"),
    ]


def test_impossible_dates() -> None:
    assert _problems(_parse("date_2024_13_01.csv")) == [
        (2, "入社日", "is not a date: there is no month 13", "2024-13-01"),
        (3, "入社日", "is not a date: February 2023 has no day 29", "2023-02-29"),
    ]


def test_the_same_key_twice_names_both_rows() -> None:
    parsed = _parse("duplicate_key.csv")
    assert _problems(parsed) == [
        (
            4,
            "社員番号",
            "repeats row 2 (社員番号 E001); the same key may appear only once in a file",
            "社員番号 E001",
        )
    ]


def test_a_header_only_file() -> None:
    parsed = _parse("header_only.csv")
    assert parsed.rows == []
    assert _problems(parsed) == [
        (1, "file", "has a header row but no data rows below it; add the rows to import", None)
    ]
    with pytest.raises(ValidationFailed, match=r"^The file has 1 problem; nothing was stored"):
        parsed.problems.raise_if_any()

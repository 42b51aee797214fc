"""parse_rows: the company of each row, cells past the header, natural keys, the problem cap, streaming."""

from __future__ import annotations

from datetime import date

import pytest

from backend.errors import FieldProblem, ValidationFailed
from backend.service.ingest import MAX_PROBLEMS, Parsed, Problems, RowStream, parse_rows, parsing, read_table

FS_HEADER = "年月,売上高,売上原価,販管費,営業利益,当期純利益,従業員数"
FS_ROW = "1000,500,300,200,150,10"
ONCE = "the same key may appear only once in a file"


def _parse(text: str, dataset: str = "auto", company_id: int | None = 3) -> Parsed:
    return parse_rows(dataset, read_table(text.encode()), company_id=company_id)


def _problems(parsed: Parsed) -> list[tuple[int | None, str, str]]:
    return [(p.row, p.field, p.reason) for p in parsed.problems.items]


def test_the_upload_company_fills_rows_without_a_company_column() -> None:
    parsed = _parse(f"{FS_HEADER}\n2024-04,{FS_ROW}\n", company_id=5)
    assert parsed.rows[0].values["company_id"] == 5
    assert parsed.company_ids == {5}


def test_a_company_column_names_each_row_company() -> None:
    parsed = _parse(
        f"会社ID,{FS_HEADER}\n1,2024-04,{FS_ROW}\n2,2024-04,{FS_ROW}\n,2024-05,{FS_ROW}\n", company_id=None
    )
    assert [r.values["company_id"] for r in parsed.rows] == [1, 2]
    assert parsed.company_ids == {1, 2}  # the caller checks the user may write to each
    assert _problems(parsed) == [(4, "会社ID", "is empty; give the company id of this row")]


def test_a_row_of_another_company_than_the_upload_is_a_problem() -> None:
    parsed = _parse(
        f"会社ID,{FS_HEADER}\n5,2024-04,{FS_ROW}\n6,2024-05,{FS_ROW}\n,2024-06,{FS_ROW}\n", company_id=5
    )
    assert _problems(parsed) == [
        (
            3,
            "会社ID",
            "is company 6, but this upload is for company 5; upload each company's rows on their own",
        )
    ]
    assert [(r.row, r.values["company_id"]) for r in parsed.rows] == [(2, 5), (4, 5)]


def test_a_company_dataset_without_a_company_is_refused_before_any_row() -> None:
    with pytest.raises(ValidationFailed) as exc:
        _parse(f"{FS_HEADER}\n2024-04,{FS_ROW}\n", company_id=None)
    assert exc.value.problems == [
        FieldProblem(
            field="company_id",
            row=1,
            reason="is needed: choose the company this file is for, or add a column 会社ID",
        )
    ]


def test_invoices_may_have_a_company_and_companies_and_payments_none() -> None:
    invoice = (
        "請求書番号,VC,数量,単価,金額,発行日,支払期限\nINV-1,ABCキャピタル,10,5000,50000,2024/4/1,2024/4/30\n"
    )
    assert "company_id" not in _parse(invoice, company_id=None).rows[0].values
    assert _parse(invoice, company_id=4).rows[0].values["company_id"] == 4
    assert _parse("会社名\n株式会社テスト\n", company_id=4).rows[0].values == {"name": "株式会社テスト"}
    payment = "請求書番号,入金額,入金日,支払方法\nINV-1,55000,2024/4/20,振込\n"
    assert _parse(payment, company_id=4).rows[0].values == {
        "invoice_number": "INV-1",
        "amount_yen": 55000,
        "paid_on": date(2024, 4, 20),
        "method": "bank_transfer",
    }


def test_a_required_value_left_empty() -> None:
    parsed = _parse(f"{FS_HEADER}\n2024-04,,500,300,200,150,10\n")
    assert _problems(parsed) == [(2, "売上高", "is empty; this column needs a value in every row")]


def test_every_problem_of_a_row_and_of_every_row() -> None:
    parsed = _parse(f"{FS_HEADER}\n2024-13,abc,△1,300,200,150,1.5\n2024-04,{FS_ROW}\n2024-05,1,1,1,1,1,-1\n")
    assert _problems(parsed) == [
        (2, "年月", "is not a date: there is no month 13"),
        (2, "売上高", "is not a number"),
        (2, "売上原価", "is negative, and this column cannot be negative"),
        (2, "従業員数", "is not a whole number; write a whole number"),
        (4, "従業員数", "is negative, and this column cannot be negative"),
    ]
    assert [r.row for r in parsed.rows] == [3]
    assert parsed.row_count == 3


def test_cells_past_the_header_of_a_csv_row_are_a_problem() -> None:
    parsed = _parse(f"{FS_HEADER}\n2024-04,1,000,500,300,200,150,10\n2024-05,{FS_ROW},,\n")
    assert _problems(parsed) == [
        (
            2,
            "file",
            "this row has 8 cells but the header has 7 columns; a value holding a comma (1,000) must be "
            "in quotes, or the extra cells removed",
        ),
    ]
    assert [r.row for r in parsed.rows] == [3]  # empty extra cells (trailing commas) are fine


def test_yen_in_thousands() -> None:
    parsed = _parse(
        '年月,売上高(千円),売上原価,販管費,営業利益,当期純利益,従業員数\n2024-04,"1,234.5",1,1,△1,1,3\n'
    )
    values = parsed.rows[0].values
    assert (values["revenue_yen"], values["cost_of_sales_yen"], values["operating_profit_yen"]) == (
        1_234_500,
        1,
        -1,
    )


@pytest.mark.parametrize(
    ("text", "dataset", "problem"),
    [
        (
            f"{FS_HEADER}\n2024-04,{FS_ROW}\n2024/4,{FS_ROW}\n",
            "financial_statements",
            (3, "年月", "repeats row 2 (年月 2024-04-01); the same key may appear only once in a file"),
        ),
        (
            f"会社ID,{FS_HEADER}\n1,2024-04,{FS_ROW}\n2,2024-04,{FS_ROW}\n1,令和6年4月,{FS_ROW}\n",
            "financial_statements",
            (
                4,
                "会社ID + 年月",
                "repeats row 2 (会社ID 1, 年月 2024-04-01); the same key may appear only once in a file",
            ),
        ),
        (
            "会社名\nA社\nB社\nA社\n",
            "companies",
            (4, "会社名", "repeats row 2 (会社名 A社); the same key may appear only once in a file"),
        ),
        (
            "請求書番号,数量,単価,金額,発行日,支払期限,VC\nINV-1,1,1,1,2024/4/1,2024/4/30,X\nＩＮＶ－１,1,1,1,2024/4/1,2024/4/30,X\n",
            "invoices",
            (
                3,
                "請求書番号",
                "repeats row 2 (請求書番号 INV-1); the same key may appear only once in a file",
            ),
        ),
        (
            '請求書番号,入金額,入金日\nINV-1,100,2024/4/20\nINV-1,200,2024/4/20\nINV-1,"¥100",2024-04-20\n',
            "payments",
            (
                4,
                "請求書番号 + 入金日 + 入金額",
                "repeats row 2 (請求書番号 INV-1, 入金日 2024-04-20, 入金額 100); " + ONCE,
            ),
        ),
        (
            "社員番号,施術者,施術内容,施術日時,施術時間,使用クレジット\nE1,A,整体,2024/4/10 10:00,30,1\n"
            "E1,B,整体,2024-04-10 10:00,30,1\n",
            "treatments",
            (
                3,
                "社員番号 + 施術日時",
                "repeats row 2 (社員番号 E1, 施術日時 2024-04-10T10:00:00+09:00); " + ONCE,
            ),
        ),
    ],
)
def test_the_same_natural_key_twice(text: str, dataset: str, problem: tuple[int, str, str]) -> None:
    parsed = _parse(text, dataset, company_id=None if text.startswith("会社ID") else 3)
    assert _problems(parsed) == [problem]


SURVEY_HEADER = "社員番号,施術前後,回答日時,身体症状,精神状態,意欲,コミュニケーション,その他"


def test_surveys_are_keyed_by_response_id_where_the_file_has_one() -> None:
    rows = [
        "R1,E1,前,2024/4/10 10:00,1,2,3,4,5",
        "R2,E1,前,2024/4/10 10:00,1,2,3,4,5",
        "R1,E2,後,2024/4/11,1,2,3,4,5",
    ]
    parsed = _parse("\n".join([f"回答ID,{SURVEY_HEADER}", *rows]) + "\n")
    assert _problems(parsed) == [
        (4, "回答ID", "repeats row 2 (回答ID R1); the same key may appear only once in a file")
    ]
    parsed = _parse(
        f"{SURVEY_HEADER}\nE1,前,2024/4/10 10:00,1,2,3,4,5\nE1,before,2024-04-10 10:00,1,2,3,4,5\n"
    )
    assert _problems(parsed) == [
        (
            3,
            "社員番号 + 施術前後 + 回答日時",
            "repeats row 2 (社員番号 E1, 施術前後 before, 回答日時 2024-04-10T10:00:00+09:00); " + ONCE,
        ),
    ]


def test_survey_scores_become_the_vas_map() -> None:
    parsed = _parse(f"{SURVEY_HEADER},自由記述\nE1,施術後,2024/4/10 10:00,10,20.5,30,40,50,よく眠れた\n")
    assert parsed.rows[0].values == {
        "employee_code": "E1",
        "phase": "after",
        "answered_at": parsed.rows[0].values["answered_at"],
        "vas": {"physical": 10, "mental": 20.5, "motivation": 30, "communication": 40, "other": 50},
        "free_text": "よく眠れた",
        "company_id": 3,
    }
    assert parsed.columns.header_of("vas.mental") == "精神状態"  # a schema error's location, as written


def test_an_unknown_dataset_name() -> None:
    with pytest.raises(ValidationFailed) as exc:
        _parse(f"{FS_HEADER}\n2024-04,{FS_ROW}\n", dataset="budgets")
    assert exc.value.problems[0].reason == (
        "must be auto or one of companies, employees, financial_statements, invoices, payments, "
        "treatments, surveys"
    )


def test_problems_are_capped_and_counted() -> None:
    rows = "".join(f"2024-04,x,1,1,1,1,{i}\n" for i in range(MAX_PROBLEMS + 200))
    parsed = _parse(f"{FS_HEADER}\n{rows}")
    assert parsed.problems.total == 2 * (MAX_PROBLEMS + 200) - 1  # a bad revenue each, and repeated months
    assert len(parsed.problems.items) == MAX_PROBLEMS
    error = parsed.problems.error()
    assert error.details["total"] == parsed.problems.total
    assert len(error.details["problems"]) == MAX_PROBLEMS
    assert error.message.startswith(
        f"The file has {parsed.problems.total:,} problems (the first 1,000 are listed)"
    )


def test_problems_added_by_the_caller_count_too() -> None:
    problems = Problems(limit=2)
    assert not problems
    problems.raise_if_any()
    for row in (2, 3, 4):
        problems.add(FieldProblem(field="入社日", reason="is after 退職日", row=row))
    assert (problems.total, [p.row for p in problems.items]) == (3, [2, 3])
    with pytest.raises(ValidationFailed):
        problems.raise_if_any()


def test_row_stream_reads_lazily_and_completes_its_counts_at_the_end() -> None:
    stream = RowStream(
        "auto", read_table(f"{FS_HEADER}\n2024-04,{FS_ROW}\n2024-05,x,1,1,1,1,1\n".encode()), company_id=3
    )
    rows = iter(stream)
    assert next(rows).row == 2
    assert (stream.row_count, stream.problems.total) == (1, 0)
    assert list(rows) == []
    assert (stream.row_count, stream.problems.total) == (2, 1)


def test_a_columns_parser_remembers_text_cells_but_never_a_refusal() -> None:
    calls: list[object] = []

    def convert(raw: object) -> object:
        calls.append(raw)
        if raw == "bad":
            raise ValueError("is bad")
        return ("parsed", raw)

    parse = parsing._remembering(convert)
    assert parse("7") == parse("7") == ("parsed", "7")
    assert calls == ["7"]  # the second answer was remembered
    for _ in range(2):
        with pytest.raises(ValueError, match="is bad"):
            parse("bad")
    assert calls == ["7", "bad", "bad"]
    # XLSX cells that are one key to a dict are each parsed: 1, 1.0 and True are different cells.
    assert [parse(cell) for cell in (1, 1.0, True)] == [("parsed", 1), ("parsed", 1.0), ("parsed", True)]
    assert [type(c) for c in calls[3:]] == [int, float, bool]


def test_a_column_whose_cells_do_not_repeat_stops_being_remembered() -> None:
    calls: list[object] = []
    parse = parsing._remembering(lambda raw: calls.append(raw) or raw)
    for n in range(parsing.MEMO_CELLS):  # every cell distinct
        parse(str(n))
    calls.clear()
    parse("0")
    assert calls == ["0"]  # parsed again: the memo was dropped

    calls.clear()
    repeating = parsing._remembering(lambda raw: calls.append(raw) or raw)
    for n in range(parsing.MEMO_CELLS * 2):  # each cell twice
        repeating(str(n // 2))
    calls.clear()
    repeating("0")
    assert calls == []  # still remembered

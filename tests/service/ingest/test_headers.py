"""Header rows: aliases, normalisation, units, every header problem at once, and dataset=auto."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from backend.config import Settings
from backend.database.models import SurveyAnswer, Treatment
from backend.database.models_sql import FundingStage, InvoiceStatus, PaymentMethod
from backend.database.schemas_sql import (
    CompanyCreate,
    EmployeeCreate,
    FinancialStatementCreate,
    InvoiceCreate,
    PaymentCreate,
)
from backend.errors import FieldProblem, ValidationFailed
from backend.service.ingest import DATASETS, detect_dataset, match_headers
from backend.service.ingest.choices import (
    FUNDING_STAGES,
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    PHASES,
    TREATMENT_KINDS,
)
from backend.service.ingest.columns import VAS_FIELDS
from backend.service.ingest.headers import known_header_count, normalise_header

FS = DATASETS["financial_statements"]
FS_HEADER = ["年月", "売上高", "売上原価", "販管費", "営業利益", "当期純利益", "従業員数"]


def _problems(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str, int | None]]:
    return [(p.field, p.reason, p.row) for p in exc.value.problems]


# The fields each dataset's rows become: the Create schema's own, with the employee named by code.
TARGETS = {
    "companies": set(CompanyCreate.model_fields),
    "employees": set(EmployeeCreate.model_fields),
    "financial_statements": set(FinancialStatementCreate.model_fields),
    "invoices": set(InvoiceCreate.model_fields),
    "payments": set(PaymentCreate.model_fields) | {"invoice_number"},
    "treatments": set(Treatment.model_fields) - {"employee_id"} | {"employee_code"},
    "surveys": set(SurveyAnswer.model_fields) - {"employee_id", "vas"}
    | {"employee_code", "response_id", *VAS_FIELDS},
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_column_is_a_field_of_the_target_schema(name: str) -> None:
    assert {c.field for c in DATASETS[name].columns} <= TARGETS[name]


def test_choices_give_exactly_the_schemas_values() -> None:
    assert set(FUNDING_STAGES.values()) == {s.value for s in FundingStage}
    assert set(INVOICE_STATUSES.values()) == {s.value for s in InvoiceStatus}
    assert set(PAYMENT_METHODS.values()) == {m.value for m in PaymentMethod}
    assert set(TREATMENT_KINDS.values()) == set(get_args(Treatment.model_fields["kind"].annotation))
    assert set(PHASES.values()) == {"before", "after"}


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("売上高", "売上高"),
        (" 売上高（円） ", "売上高"),
        ("売上高[千円]", "売上高"),
        ("【必須】社員番号", "社員番号"),
        ("社員番号*", "社員番号"),
        ("※社員番号", "社員番号"),
        ("Employee_Code", "employeecode"),
        ("employee code", "employeecode"),
        ("ＥＭＰＬＯＹＥＥ－ＣＯＤＥ", "employeecode"),
        ("社員No.", "社員no"),
        ("営業利益（損失）", "営業利益"),
        ("身体症状（0〜100）", "身体症状"),
        ("売上高\n(千円)", "売上高"),
    ],
)
def test_normalise_header(header: str, normalised: str) -> None:
    assert normalise_header(header) == normalised


def test_aliases_in_japanese_and_english() -> None:
    columns = match_headers(
        FS, ["対象月", "売上", "COGS", "SG&A", "Operating Profit", "net_income", "Headcount", "離職者数"]
    )
    assert [m.column.field for m in columns.columns] == [
        "period",
        "revenue_yen",
        "cost_of_sales_yen",
        "sga_yen",
        "operating_profit_yen",
        "net_income_yen",
        "headcount",
        "leavers",
    ]
    assert columns.header_of("revenue_yen") == "売上"
    assert columns.header_of("company_id") == "会社ID"  # not in the file: the label
    assert match_headers("financial_statements", FS_HEADER).dataset is FS


def test_unknown_columns_are_ignored_and_reported() -> None:
    columns = match_headers(FS, [*FS_HEADER, "備考", "", "担当者"])
    assert columns.ignored == ("備考", "担当者")
    assert len(columns.columns) == 7


def test_every_header_problem_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        match_headers(FS, ["年月", "売上高", "売上", "販管費", "販管費", "純利益"], header_row=3)
    assert _problems(exc) == [
        ("売上", "names the same field (revenue_yen) as the column '売上高'; keep one", 3),
        ("販管費", "names the same field (sga_yen) as the column '販管費'; keep one", 3),
        (
            "売上原価",
            "is missing: add a column named 売上原価 or 原価 or cost_of_sales "
            "(columns seen: 年月, 売上高, 売上, 販管費, 販管費, 純利益)",
            3,
        ),
        (
            "営業利益",
            "is missing: add a column named 営業利益 or 営業損益 or 営業損益金額 "
            "(columns seen: 年月, 売上高, 売上, 販管費, 販管費, 純利益)",
            3,
        ),
        (
            "従業員数",
            "is missing: add a column named 従業員数 or 社員数 or 人員数 "
            "(columns seen: 年月, 売上高, 売上, 販管費, 販管費, 純利益)",
            3,
        ),
    ]
    assert exc.value.message.startswith("The header row does not fit the financial_statements dataset")


def test_payments_need_an_invoice_number_or_id() -> None:
    payments = DATASETS["payments"]
    assert match_headers(payments, ["請求書番号", "入金額", "入金日"]).mapped("invoice_number") is not None
    assert match_headers(payments, ["invoice_id", "amount", "paid_on"]).mapped("invoice_id") is not None
    with pytest.raises(ValidationFailed) as exc:
        match_headers(payments, ["入金額", "入金日"])
    assert _problems(exc) == [
        ("請求書番号 or 請求書ID", "is missing: add a column 請求書番号 or 請求書ID", None)
    ]


def test_units_scale_yen_columns() -> None:
    header = [
        "年月",
        "売上高(千円)",
        "売上原価（百万円）",
        "販管費(円)",
        "営業利益",
        "当期純利益[単位:千円]",
        "従業員数",
    ]
    scales = {m.column.field: m.scale for m in match_headers(FS, header).columns}
    assert scales == {
        "period": 1,
        "revenue_yen": 1000,
        "cost_of_sales_yen": 1_000_000,
        "sga_yen": 1,
        "operating_profit_yen": 1,
        "net_income_yen": 1000,
        "headcount": 1,
    }


def test_a_unit_written_above_the_table_scales_columns_without_their_own() -> None:
    header = ["年月", "売上高", "売上原価(円)", "販管費", "営業利益", "当期純利益", "従業員数"]
    columns = match_headers(FS, header, notes=["損益計算書", "（単位：千円）"])
    assert columns.mapped("revenue_yen").scale == 1000  # type: ignore[union-attr]
    assert columns.mapped("cost_of_sales_yen").scale == 1  # type: ignore[union-attr]


def test_units_that_are_not_yen_or_minutes_are_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        match_headers(FS, ["年月", "売上高(USD)", "売上原価", "販管費", "営業利益", "当期純利益", "従業員数"])
    assert _problems(exc) == [("売上高(USD)", "is not in yen; convert the amounts to yen (円 or 千円)", None)]
    treatment = ["社員番号", "施術者", "施術内容", "施術日時", "施術時間(h)", "使用クレジット"]
    with pytest.raises(ValidationFailed) as exc:
        match_headers(DATASETS["treatments"], treatment)
    assert _problems(exc) == [("施術時間(h)", "is in hours; give the treatment's length in minutes", None)]


@pytest.mark.parametrize(
    ("headers", "dataset"),
    [
        (FS_HEADER, "financial_statements"),
        (["会社名", "業種", "資金調達ステージ"], "companies"),
        (["社員番号", "部署", "役職", "入社日"], "employees"),
        (["従業員番号"], "employees"),
        (["請求書番号", "数量", "単価", "金額", "消費税", "合計", "発行日", "支払期限"], "invoices"),
        (["請求書番号", "入金額", "入金日", "支払方法"], "payments"),
        (["社員番号", "施術者", "施術内容", "施術日時", "施術時間(分)", "使用クレジット"], "treatments"),
        (
            [
                "社員番号",
                "施術前後",
                "タイムスタンプ",
                "身体症状",
                "精神状態",
                "意欲",
                "コミュニケーション",
                "その他",
            ],
            "surveys",
        ),
    ],
)
def test_detect_dataset(headers: list[str], dataset: str) -> None:
    assert detect_dataset(headers) == dataset


def test_detect_dataset_names_no_fit() -> None:
    with pytest.raises(ValidationFailed) as exc:
        detect_dataset(["氏名", "メールアドレス"], header_row=1)
    assert exc.value.problems == [
        FieldProblem(
            field="dataset",
            reason="fits no dataset; choose the dataset to see which columns are missing "
            "(columns seen: 氏名, メールアドレス)",
            row=1,
            value="氏名, メールアドレス",
        )
    ]


def test_detect_dataset_names_the_candidates_of_an_ambiguous_header() -> None:
    # each header names the one required column of a dataset: both fit, neither better
    with pytest.raises(ValidationFailed) as exc:
        detect_dataset(["社員番号", "会社名"])
    assert _problems(exc) == [
        ("dataset", "fits companies and employees equally well; choose the dataset for this upload", None)
    ]
    assert detect_dataset(["社員番号", "会社名", "部署"]) == "employees"  # one more column decides


def test_known_header_count() -> None:
    assert known_header_count(["2024年度 アンケート", None, ""]) == 0
    assert known_header_count(["社員番号", "施術前後", "メモ欄", 3]) == 2


def test_the_docs_list_every_alias_and_setting() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "ingest.md").read_text()
    aliases = [a for d in DATASETS.values() for c in d.columns for a in (f"`{c.field}`", *c.aliases)]
    assert [a for a in aliases if a not in text] == []
    settings = [f"WELLNESS_{name.upper()}" for name in Settings.model_fields if name.startswith("ingest_")]
    assert len(settings) == 4
    assert [s for s in settings if s not in text] == []

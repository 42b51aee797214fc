"""What each dataset's file holds: its columns, their Japanese and English header aliases, kinds and rules.

The first alias of a column is its label: the header a template writes and messages name when
the column is missing. Aliases are compared after ``headers.normalise_header`` (NFKC, case-folded,
no spaces, underscores or parenthesised notes such as ``(円)``); within one dataset no two columns
share an alias, so a header can name at most one field (checked at import).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any, Literal

from backend.service.ingest.choices import (
    FUNDING_STAGES,
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    PHASES,
    TREATMENT_KINDS,
)


class Kind(enum.StrEnum):
    TEXT = "text"  # one line, kept as written (names, labels)
    NOTE = "note"  # free text, line breaks allowed, kept as written
    CODE = "code"  # an identifier the user gives (employee code, invoice number): NFKC
    ID = "id"  # an id this system gave (company id): a whole number from 1
    INT = "int"
    YEN = "yen"
    SCORE = "score"  # VAS, 0-100
    DATE = "date"
    DATETIME = "datetime"  # without a time zone: Tokyo time
    MONTH = "month"  # the first day of the month
    BOOL = "bool"
    CHOICE = "choice"


@dataclasses.dataclass(frozen=True)
class Column:
    field: str
    kind: Kind
    aliases: tuple[str, ...]
    required: bool = False  # the column must be there and each row's cell must be filled
    negative: bool = False  # △1,234 / -1,234 / (1,234) allowed
    choices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # choice_key(label) → value

    @property
    def label(self) -> str:
        return self.aliases[0]


CompanyRule = Literal["required", "optional", "none"]


@dataclasses.dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the natural key: the same key twice in one file is an error
    # required: each row belongs to a company, from a company column or the caller's company_id;
    # optional: it may (invoices: a company or a VC firm); none: the file has no company column.
    company: CompanyRule
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one column of each group must be present

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


def col(name: str, kind: Kind, aliases: str, **rules: Any) -> Column:
    """A column from its aliases written as one space-separated string (no alias holds a space)."""
    return Column(name, kind, tuple(aliases.split()), **rules)


K = Kind
COMPANY = col("company_id", K.ID, "会社ID 企業ID company_id")
EMPLOYEE_CODE = col(
    "employee_code",
    K.CODE,
    "社員番号 従業員番号 社員コード 従業員コード 社員ID 従業員ID 社員No 従業員No 職員番号 "
    "employee_code employee_no employee_number employee_id emp_id staff_id",
    required=True,
)

COMPANIES = Dataset(
    "companies",
    (
        col("name", K.TEXT, "会社名 企業名 社名 法人名 会社 company company_name name", required=True),
        col("industry", K.TEXT, "業種 業界 industry sector"),
        col(
            "funding_stage",
            K.CHOICE,
            "資金調達ステージ 調達ステージ ステージ ラウンド funding_stage stage round",
            choices=FUNDING_STAGES,
        ),
        col("vc_firm", K.TEXT, "VC VC名 ベンチャーキャピタル 投資元 vc_firm"),
        col("employee_count", K.INT, "従業員数 社員数 employee_count employees"),
    ),
    key=("name",),
    company="none",
)

EMPLOYEES = Dataset(
    "employees",
    (
        COMPANY,
        EMPLOYEE_CODE,
        col("department", K.TEXT, "部署 部署名 所属 所属部署 部門 部門名 department dept division"),
        col("position", K.TEXT, "役職 役職名 職位 position title job_title"),
        col(
            "hired_on", K.DATE, "入社日 入社年月日 雇用開始日 採用日 hired_on hire_date start_date joined_on"
        ),
        col(
            "left_on", K.DATE, "退職日 退社日 離職日 退職年月日 left_on leave_date termination_date end_date"
        ),
        col("is_active", K.BOOL, "在籍 在籍状況 在籍区分 在籍フラグ 在職 在職状況 有効 is_active active"),
    ),
    key=("company_id", "employee_code"),
    company="required",
)

FINANCIAL_STATEMENTS = Dataset(
    "financial_statements",
    (
        COMPANY,
        col(
            "period",
            K.MONTH,
            "年月 対象月 対象年月 会計月 計上月 月 月度 期間 period month year_month yyyymm",
            required=True,
        ),
        col(
            "revenue_yen",
            K.YEN,
            "売上高 売上 売上金額 売上収益 営業収益 revenue sales net_sales revenue_yen",
            required=True,
        ),
        col(
            "cost_of_sales_yen",
            K.YEN,
            "売上原価 原価 cost_of_sales cogs cost_of_revenue cost_of_sales_yen",
            required=True,
        ),
        col(
            "sga_yen",
            K.YEN,
            "販売費及び一般管理費 販売費および一般管理費 販売管理費 販管費 一般管理費 "
            "sga sg&a sga_expenses sga_yen",
            required=True,
        ),
        col(
            "operating_profit_yen",
            K.YEN,
            "営業利益 営業損益 営業損益金額 operating_profit operating_income operating_profit_yen",
            required=True,
            negative=True,
        ),
        col(
            "net_income_yen",
            K.YEN,
            "当期純利益 当期純損益 当期純損益金額 純利益 純損益 税引後当期純利益 "
            "net_income net_profit net_income_yen",
            required=True,
            negative=True,
        ),
        col(
            "headcount",
            K.INT,
            "従業員数 社員数 人員数 在籍人数 在籍者数 人数 headcount number_of_employees",
            required=True,
        ),
        col("leavers", K.INT, "退職者数 離職者数 退職者 退職人数 leavers attrition separations"),
    ),
    key=("company_id", "period"),
    company="required",
)

INVOICE_NUMBER = "請求書番号 請求番号 請求書No invoice_number invoice_no invoice"
INVOICES = Dataset(
    "invoices",
    (
        col("invoice_number", K.CODE, INVOICE_NUMBER, required=True),
        COMPANY,
        col("vc_firm", K.TEXT, "請求先VC VC VC名 ベンチャーキャピタル vc_firm"),
        col("credits", K.INT, "クレジット数 クレジット 数量 credits quantity qty", required=True),
        col("unit_price_yen", K.YEN, "単価 unit_price unit_price_yen", required=True),
        col(
            "amount_yen",
            K.YEN,
            "金額 小計 税抜金額 税抜合計 本体金額 amount subtotal amount_yen",
            required=True,
        ),
        col("tax_yen", K.YEN, "消費税 消費税額 税額 tax consumption_tax tax_yen"),
        col("total_yen", K.YEN, "合計 合計金額 税込金額 税込合計 請求金額 請求額 total total_yen"),
        col(
            "issued_on",
            K.DATE,
            "発行日 請求日 請求書発行日 請求年月日 issued_on issue_date invoice_date",
            required=True,
        ),
        col(
            "due_on", K.DATE, "支払期限 支払期日 お支払期限 入金期限 期日 due_on due_date due", required=True
        ),
        col("paid_on", K.DATE, "入金日 支払日 paid_on payment_date paid_date"),
        col("status", K.CHOICE, "ステータス 状態 状況 status", choices=INVOICE_STATUSES),
        col("notes", K.NOTE, "備考 メモ 摘要 notes note memo remarks"),
    ),
    key=("invoice_number",),
    company="optional",
)

PAYMENTS = Dataset(
    "payments",
    (
        col("invoice_number", K.CODE, INVOICE_NUMBER),
        col("invoice_id", K.ID, "請求書ID invoice_id"),
        col(
            "amount_yen",
            K.YEN,
            "入金額 入金金額 支払額 支払金額 金額 amount paid_amount amount_yen",
            required=True,
        ),
        col(
            "paid_on",
            K.DATE,
            "入金日 支払日 振込日 決済日 paid_on payment_date paid_date date",
            required=True,
        ),
        col(
            "method",
            K.CHOICE,
            "支払方法 入金方法 決済方法 支払手段 method payment_method",
            choices=PAYMENT_METHODS,
        ),
        col("reference", K.TEXT, "参照番号 取引番号 取引ID 照会番号 振込番号 reference ref transaction_id"),
    ),
    key=("invoice", "paid_on", "amount_yen"),  # "invoice": the number, or the id where the file gives ids
    company="none",
    one_of=(("invoice_number", "invoice_id"),),
)

TREATMENTS = Dataset(
    "treatments",
    (
        COMPANY,
        EMPLOYEE_CODE,
        col(
            "practitioner",
            K.TEXT,
            "施術者 施術者名 担当者 担当者名 担当 セラピスト トレーナー practitioner therapist",
            required=True,
        ),
        col(
            "kind",
            K.CHOICE,
            "施術内容 施術種別 施術の種類 種別 種類 メニュー kind type treatment_type treatment",
            required=True,
            choices=TREATMENT_KINDS,
        ),
        col(
            "started_at",
            K.DATETIME,
            "施術日時 開始日時 実施日時 施術開始 施術日 実施日 日時 "
            "started_at start start_time datetime date",
            required=True,
        ),
        col("minutes", K.INT, "施術時間 所要時間 時間 分数 minutes duration duration_minutes", required=True),
        col(
            "credits_used",
            K.INT,
            "使用クレジット 使用クレジット数 消費クレジット クレジット クレジット数 credits_used credits",
            required=True,
        ),
        col("notes", K.NOTE, "備考 メモ 施術メモ notes note memo remarks"),
    ),
    key=("company_id", "employee_code", "started_at"),
    company="required",
)

VAS_FIELDS = ("vas_physical", "vas_mental", "vas_motivation", "vas_communication", "vas_other")
SURVEYS = Dataset(
    "surveys",
    (
        COMPANY,
        EMPLOYEE_CODE,
        col(
            "phase",
            K.CHOICE,
            "施術前後 前後 タイミング 回答タイミング 区分 phase timing",
            required=True,
            choices=PHASES,
        ),
        col(
            "answered_at",
            K.DATETIME,
            "回答日時 回答日 タイムスタンプ 日時 answered_at timestamp date",
            required=True,
        ),
        col(
            "vas_physical", K.SCORE, "身体症状 身体 身体の状態 体の状態 vas_physical physical", required=True
        ),
        col("vas_mental", K.SCORE, "精神状態 精神 気分 メンタル vas_mental mental", required=True),
        col("vas_motivation", K.SCORE, "意欲 やる気 モチベーション vas_motivation motivation", required=True),
        col(
            "vas_communication",
            K.SCORE,
            "コミュニケーション 対人関係 vas_communication communication",
            required=True,
        ),
        col("vas_other", K.SCORE, "その他 その他の症状 vas_other other", required=True),
        col("free_text", K.NOTE, "自由記述 自由回答 感想 コメント ご意見 free_text comment comments"),
        col("treatment_id", K.TEXT, "施術ID treatment_id"),
        col("response_id", K.CODE, "回答ID 回答番号 レスポンスID response_id"),
    ),
    key=("company_id", "employee_code", "phase", "answered_at"),  # or response_id where a row has one
    company="required",
)

DATASETS: dict[str, Dataset] = {
    d.name: d for d in (COMPANIES, EMPLOYEES, FINANCIAL_STATEMENTS, INVOICES, PAYMENTS, TREATMENTS, SURVEYS)
}

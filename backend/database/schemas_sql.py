"""Validated input for the relational CRUD: one Create and one Update schema per table."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from backend.database.models_sql import FundingStage, InvoiceStatus, PaymentMethod, UserRole
from backend.database.validation import INT64_MAX, MultiLine, SingleLine
from backend.security import hash_password

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(value: Any) -> Any:
    """Accept 'YYYY-MM' as the month; anything else must be a date on the first day."""
    if isinstance(value, str) and (m := _MONTH.match(value.strip())):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is not between 01 and 12")
        return date(year, month, 1)
    return value


def _first_of_month(value: date) -> date:
    if value.day != 1:
        raise ValueError(
            f"a period is a month: give 'YYYY-MM' or the first day of the month "
            f"({value:%Y-%m}-01), not {value.isoformat()}"
        )
    return value


def _trimmed(max_length: int, min_length: int = 1) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Text is trimmed and bounded; one-line fields hold no control characters, notes only line breaks.
Name = Annotated[str, _trimmed(200), SingleLine]
ShortText = Annotated[str, _trimmed(100), SingleLine]
Code = Annotated[str, _trimmed(64), SingleLine]
InvoiceNumber = Annotated[str, _trimmed(32), SingleLine]
Action = Annotated[str, _trimmed(32), SingleLine]
Notes = Annotated[str, _trimmed(2000, min_length=0), MultiLine]
Period = Annotated[date, BeforeValidator(_month_start), AfterValidator(_first_of_month)]
Yen = Annotated[int, Field(ge=0, le=10**15)]
SignedYen = Annotated[int, Field(ge=-(10**15), le=10**15)]
Count = Annotated[int, Field(ge=0, le=10**7)]
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, str_max_length=10_000)

    def to_columns(self) -> dict[str, Any]:
        """Column values for a new row, defaults included."""
        return self.model_dump()


class _Update(_Input):
    def to_columns(self) -> dict[str, Any]:
        """Column values to change: only the fields the caller set."""
        return self.model_dump(exclude_unset=True)


class UserCreate(_Input):
    email: Email
    display_name: Name
    role: UserRole
    password: SecretStr | None = Field(default=None, min_length=8, max_length=1024)
    is_active: bool = True

    def to_columns(self) -> dict[str, Any]:
        columns = self.model_dump(exclude={"password"})
        columns["password_hash"] = hash_password(self.password.get_secret_value()) if self.password else None
        return columns


class UserUpdate(_Update):
    email: Email | None = None
    display_name: Name | None = None
    role: UserRole | None = None
    password: SecretStr | None = Field(default=None, min_length=8, max_length=1024)
    is_active: bool | None = None

    def to_columns(self) -> dict[str, Any]:
        columns = self.model_dump(exclude_unset=True, exclude={"password"})
        if self.password is not None:
            columns["password_hash"] = hash_password(self.password.get_secret_value())
        return columns


class CompanyCreate(_Input):
    name: Name
    industry: ShortText | None = None
    funding_stage: FundingStage | None = None
    vc_firm: Name | None = None
    employee_count: Count | None = None


class CompanyUpdate(_Update):
    name: Name | None = None
    industry: ShortText | None = None
    funding_stage: FundingStage | None = None
    vc_firm: Name | None = None
    employee_count: Count | None = None


class CompanyAccessCreate(_Input):
    user_id: Id
    company_id: Id
    granted_by_user_id: Id | None = None


class CompanyAccessUpdate(_Update):
    granted_by_user_id: Id | None = None


class _EmployeeDates(_Input):
    @model_validator(mode="after")
    def _left_after_hired(self) -> _EmployeeDates:
        hired, left = getattr(self, "hired_on", None), getattr(self, "left_on", None)
        if hired and left and left < hired:
            raise ValueError(f"left_on ({left}) is before hired_on ({hired})")
        return self


class EmployeeCreate(_EmployeeDates):
    company_id: Id
    employee_code: Code
    department: ShortText | None = None
    position: ShortText | None = None
    hired_on: date | None = None
    left_on: date | None = None
    is_active: bool = True


class EmployeeUpdate(_EmployeeDates, _Update):
    employee_code: Code | None = None
    department: ShortText | None = None
    position: ShortText | None = None
    hired_on: date | None = None
    left_on: date | None = None
    is_active: bool | None = None


class FinancialStatementCreate(_Input):
    company_id: Id
    period: Period
    revenue_yen: Yen
    cost_of_sales_yen: Yen
    sga_yen: Yen
    operating_profit_yen: SignedYen
    net_income_yen: SignedYen
    headcount: Count
    leavers: Count = 0


class FinancialStatementUpdate(_Update):
    revenue_yen: Yen | None = None
    cost_of_sales_yen: Yen | None = None
    sga_yen: Yen | None = None
    operating_profit_yen: SignedYen | None = None
    net_income_yen: SignedYen | None = None
    headcount: Count | None = None
    leavers: Count | None = None


class InvoiceCreate(_Input):
    invoice_number: InvoiceNumber
    company_id: Id | None = None
    vc_firm: Name | None = None
    credits: Count
    unit_price_yen: Yen
    amount_yen: Yen
    tax_yen: Yen = 0
    total_yen: Yen | None = Field(default=None, description="Defaults to amount_yen + tax_yen.")
    issued_on: date
    due_on: date
    paid_on: date | None = None
    status: InvoiceStatus = InvoiceStatus.DRAFT
    notes: Notes | None = None

    @model_validator(mode="after")
    def _consistent(self) -> InvoiceCreate:
        if self.company_id is None and self.vc_firm is None:
            raise ValueError("an invoice is addressed to a company (company_id) or a VC firm (vc_firm)")
        if self.total_yen is None:
            self.total_yen = self.amount_yen + self.tax_yen
        elif self.total_yen != self.amount_yen + self.tax_yen:
            raise ValueError(f"total_yen {self.total_yen} is not amount_yen + tax_yen")
        if self.due_on < self.issued_on:
            raise ValueError(f"due_on ({self.due_on}) is before issued_on ({self.issued_on})")
        return self


class InvoiceUpdate(_Update):
    vc_firm: Name | None = None
    credits: Count | None = None
    unit_price_yen: Yen | None = None
    amount_yen: Yen | None = None
    tax_yen: Yen | None = None
    total_yen: Yen | None = None
    due_on: date | None = None
    paid_on: date | None = None
    status: InvoiceStatus | None = None
    notes: Notes | None = None


class PaymentCreate(_Input):
    invoice_id: Id
    amount_yen: Annotated[int, Field(gt=0, le=10**15)]
    paid_on: date
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: ShortText | None = None


class PaymentUpdate(_Update):
    amount_yen: Annotated[int, Field(gt=0, le=10**15)] | None = None
    paid_on: date | None = None
    method: PaymentMethod | None = None
    reference: ShortText | None = None


class AuditLogCreate(_Input):
    actor: Name
    action: Action
    table_name: Code
    entity_id: Code | None = None
    changes: dict[str, Any] = Field(default_factory=dict)

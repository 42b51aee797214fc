"""What the resource services hand out (Public schemas) and the document inputs the API takes.

Relational inputs are the database layer's own Create/Update schemas (``schemas_sql``), so the API,
the bulk path and the CRUD accept exactly the same values.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.database.models import (
    Body,
    Count,
    DocumentId,
    Id,
    LongText,
    Name,
    SurveyAnswer,
    Timestamp,
    Treatment,
    Vas,
)
from backend.database.models_sql import FundingStage, InvoiceStatus, PaymentMethod
from backend.service.schemas import Public, TokyoTime


class CompanyPublic(Public):
    id: int
    name: str
    industry: str | None
    funding_stage: FundingStage | None
    vc_firm: str | None
    employee_count: int | None
    created_at: TokyoTime
    updated_at: TokyoTime


class EmployeePublic(Public):
    id: int
    company_id: int
    employee_code: str
    department: str | None
    position: str | None
    hired_on: date | None
    left_on: date | None
    is_active: bool
    created_at: TokyoTime
    updated_at: TokyoTime


class FinancialStatementPublic(Public):
    id: int
    company_id: int
    period: date
    revenue_yen: int
    cost_of_sales_yen: int
    sga_yen: int
    operating_profit_yen: int
    net_income_yen: int
    headcount: int
    leavers: int
    created_at: TokyoTime
    updated_at: TokyoTime


class InvoicePublic(Public):
    id: int
    invoice_number: str
    company_id: int | None
    vc_firm: str | None
    credits: int
    unit_price_yen: int
    amount_yen: int
    tax_yen: int
    total_yen: int
    issued_on: date
    due_on: date
    paid_on: date | None
    status: InvoiceStatus
    notes: str | None
    created_at: TokyoTime
    updated_at: TokyoTime


class PaymentPublic(Public):
    id: int
    invoice_id: int
    amount_yen: int
    paid_on: date
    method: PaymentMethod
    reference: str | None
    created_at: TokyoTime


class AuditLogPublic(Public):
    id: int
    occurred_at: TokyoTime
    actor: str
    action: str
    table_name: str
    entity_id: str | None
    changes: dict[str, Any]


# --- documents ---------------------------------------------------------------------------------

TreatmentKind = Literal["massage", "chiropractic", "coaching", "other"]
Minutes = Annotated[int, Field(strict=True, ge=1, le=600)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TreatmentPublic(Public):
    id: str
    employee_id: int
    company_id: int
    practitioner: str
    kind: TreatmentKind
    started_at: TokyoTime
    minutes: int
    credits_used: int
    notes: str | None


class TreatmentChanges(_Input):
    practitioner: Name | None = None
    kind: TreatmentKind | None = None
    started_at: Timestamp | None = None
    minutes: Minutes | None = None
    credits_used: Count | None = None
    notes: LongText | None = None


class SurveyPublic(Public):
    id: str
    employee_id: int
    company_id: int
    treatment_id: str | None
    phase: Literal["before", "after"]
    answered_at: TokyoTime
    vas: Vas
    free_text: str | None
    source: Literal["google_forms", "upload", "manual"]
    form_id: str | None
    response_id: str | None
    user_id: int | None


class NewSurvey(SurveyAnswer):
    """A survey answer entered by hand (stored with source ``manual`` and the signed-in user)."""


NewTreatment = Treatment  # a new treatment is given whole, exactly as it is stored


class SurveyChanges(_Input):
    treatment_id: DocumentId | None = None
    phase: Literal["before", "after"] | None = None
    answered_at: Timestamp | None = None
    vas: Vas | None = Field(default=None, description="All five dimensions; replaces the stored ones.")
    free_text: LongText | None = None


class ChatPublic(Public):
    id: str
    company_id: int
    thread_id: str
    author_id: int
    body: str
    created_at: TokyoTime


class NewChat(_Input):
    """A message; its author is the signed-in user and its time the server's."""

    company_id: Id
    thread_id: Name
    body: Body


class ChatChanges(_Input):
    body: Body | None = None

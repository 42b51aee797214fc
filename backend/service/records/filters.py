"""What each list can be narrowed by: one model per resource, turned into a ``Where``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from backend.database.models_sql import InvoiceStatus, UserRole
from backend.database.schemas_sql import Code, Id, Name, Period
from backend.service.schemas import TOKYO

Range = tuple[Any, Any]  # inclusive bounds; None leaves that end open


@dataclass(frozen=True)
class Where:
    """A list's conditions: the company, equal columns or fields, and inclusive ranges."""

    company_id: int | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    employee_id: int | None = None  # checked to be visible, like company_id


class Filters(BaseModel):
    """Base of the filter models: unknown parameters are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    def where(self) -> Where:
        return Where()


def _equal(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# The calendar's first and last days shift out of range when moved between Tokyo time and UTC.
_FIRST_DAY, _LAST_DAY = date.min + timedelta(days=1), date.max - timedelta(days=1)


def _tokyo_days(start: date | None, end: date | None) -> Range:
    """Whole days in Tokyo time as an inclusive range of instants."""
    low = high = None
    if start is not None:
        low = datetime.combine(min(max(start, _FIRST_DAY), _LAST_DAY), time.min, TOKYO)
    if end is not None:
        next_day = min(max(end, _FIRST_DAY), _LAST_DAY) + timedelta(days=1)
        high = datetime.combine(next_day, time.min, TOKYO) - timedelta(microseconds=1)
    return low, high


CompanyId = Annotated[Id | None, Field(description="Only this company's rows.")]


class CompanyFilters(Filters):
    company_id: CompanyId = None
    vc_firm: Name | None = None

    def where(self) -> Where:
        return Where(company_id=self.company_id, equals=_equal(vc_firm=self.vc_firm))


class EmployeeFilters(Filters):
    company_id: CompanyId = None
    employee_code: Code | None = None
    is_active: bool | None = None

    def where(self) -> Where:
        equals = _equal(employee_code=self.employee_code, is_active=self.is_active)
        return Where(company_id=self.company_id, equals=equals)


class StatementFilters(Filters):
    company_id: CompanyId = None
    period_from: Period | None = Field(default=None, description="First month, YYYY-MM.")
    period_to: Period | None = Field(default=None, description="Last month, YYYY-MM.")

    def where(self) -> Where:
        return Where(company_id=self.company_id, ranges={"period": (self.period_from, self.period_to)})


class InvoiceFilters(Filters):
    company_id: CompanyId = None
    status: InvoiceStatus | None = None
    issued_from: date | None = None
    issued_to: date | None = None

    def where(self) -> Where:
        ranges = {"issued_on": (self.issued_from, self.issued_to)}
        return Where(company_id=self.company_id, equals=_equal(status=self.status), ranges=ranges)


class PaymentFilters(Filters):
    company_id: CompanyId = None
    invoice_id: Id | None = None
    paid_from: date | None = None
    paid_to: date | None = None

    def where(self) -> Where:
        ranges = {"paid_on": (self.paid_from, self.paid_to)}
        return Where(company_id=self.company_id, equals=_equal(invoice_id=self.invoice_id), ranges=ranges)


class TreatmentFilters(Filters):
    company_id: CompanyId = None
    employee_id: Id | None = None
    started_from: date | None = Field(default=None, description="First day (Tokyo time).")
    started_to: date | None = Field(default=None, description="Last day (Tokyo time).")

    def where(self) -> Where:
        ranges = {"started_at": _tokyo_days(self.started_from, self.started_to)}
        return Where(company_id=self.company_id, employee_id=self.employee_id, ranges=ranges)


class SurveyFilters(Filters):
    company_id: CompanyId = None
    employee_id: Id | None = None
    phase: Literal["before", "after"] | None = None
    answered_from: date | None = Field(default=None, description="First day (Tokyo time).")
    answered_to: date | None = Field(default=None, description="Last day (Tokyo time).")

    def where(self) -> Where:
        ranges = {"answered_at": _tokyo_days(self.answered_from, self.answered_to)}
        return Where(
            company_id=self.company_id,
            employee_id=self.employee_id,
            equals=_equal(phase=self.phase),
            ranges=ranges,
        )


class ChatFilters(Filters):
    company_id: CompanyId = None
    thread_id: Name | None = None
    created_from: date | None = Field(default=None, description="First day (Tokyo time).")
    created_to: date | None = Field(default=None, description="Last day (Tokyo time).")

    def where(self) -> Where:
        ranges = {"created_at": _tokyo_days(self.created_from, self.created_to)}
        return Where(company_id=self.company_id, equals=_equal(thread_id=self.thread_id), ranges=ranges)


class UserFilters(Filters):
    role: UserRole | None = None
    is_active: bool | None = None


class AuditFilters(Filters):
    actor: Annotated[str, Field(max_length=200)] | None = Field(default=None, description="e.g. user:42")
    table: Annotated[str, Field(max_length=64)] | None = Field(default=None, description="e.g. employees")
    since: AwareDatetime | None = Field(default=None, description="From this instant (ISO 8601 with offset).")
    until: AwareDatetime | None = Field(default=None, description="Up to this instant.")

    def where(self) -> Where:
        return Where(
            equals=_equal(actor=self.actor, table_name=self.table),
            ranges={"occurred_at": (self.since, self.until)},
        )

"""PostgreSQL tables (SQLAlchemy 2 typed models) for the relational data categories."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True), int: Integer}


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    VC = "vc"


class FundingStage(enum.StrEnum):
    PRE_SEED = "pre_seed"
    SEED = "seed"
    SERIES_A = "series_a"
    SERIES_B = "series_b"
    SERIES_C = "series_c"
    LATER = "later"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


class PaymentMethod(enum.StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    OTHER = "other"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR + CHECK enum: adding a value later is a plain migration, not an ALTER TYPE."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class _Id:
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True, sort_order=-10)


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), sort_order=10)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), sort_order=10
    )


def _nonneg(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_nonnegative") for c in columns]


class User(_Id, _Timestamps, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "role_valid"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(server_default="true")

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)


class Company(_Id, _Timestamps, Base):
    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    funding_stage: Mapped[FundingStage | None] = mapped_column(_enum(FundingStage, "funding_stage_valid"))
    vc_firm: Mapped[str | None] = mapped_column(String(200), index=True)
    employee_count: Mapped[int | None]

    __table_args__ = (*_nonneg("employee_count"),)


class CompanyAccess(_Id, Base):
    """A grant letting a user (typically a VC user) read one company's data."""

    __tablename__ = "company_access"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    granted_by_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (UniqueConstraint("user_id", "company_id"),)


class Employee(_Id, _Timestamps, Base):
    __tablename__ = "employees"

    company_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("companies.id", ondelete="CASCADE"))
    employee_code: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(100))
    hired_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(server_default="true")

    __table_args__ = (
        UniqueConstraint("company_id", "employee_code"),
        CheckConstraint(
            "left_on IS NULL OR hired_on IS NULL OR left_on >= hired_on", name="left_on_after_hired"
        ),
    )


class FinancialStatement(_Id, _Timestamps, Base):
    """One month of a company's P&L (損益計算書); amounts in integer yen."""

    __tablename__ = "financial_statements"

    company_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("companies.id", ondelete="CASCADE"))
    period: Mapped[date] = mapped_column(Date)
    revenue_yen: Mapped[int] = mapped_column(BigInteger)
    cost_of_sales_yen: Mapped[int] = mapped_column(BigInteger)
    sga_yen: Mapped[int] = mapped_column(BigInteger)
    # Profits may be negative: most startups in the portfolio run at a loss.
    operating_profit_yen: Mapped[int] = mapped_column(BigInteger)
    net_income_yen: Mapped[int] = mapped_column(BigInteger)
    headcount: Mapped[int]
    leavers: Mapped[int] = mapped_column(server_default="0")

    __table_args__ = (
        UniqueConstraint("company_id", "period"),
        CheckConstraint("period = date_trunc('month', period)::date", name="period_first_of_month"),
        *_nonneg("revenue_yen", "cost_of_sales_yen", "sga_yen", "headcount", "leavers"),
    )


class Invoice(_Id, _Timestamps, Base):
    """A bill for treatment credits, addressed to a VC firm or to a company."""

    __tablename__ = "invoices"

    invoice_number: Mapped[str] = mapped_column(String(32), unique=True)
    company_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="RESTRICT"), index=True
    )
    vc_firm: Mapped[str | None] = mapped_column(String(200), index=True)
    credits: Mapped[int]
    unit_price_yen: Mapped[int] = mapped_column(BigInteger)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    tax_yen: Mapped[int] = mapped_column(BigInteger, server_default="0")
    total_yen: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "status_valid"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("company_id IS NOT NULL OR vc_firm IS NOT NULL", name="bill_to_present"),
        CheckConstraint("total_yen = amount_yen + tax_yen", name="total_yen_is_amount_plus_tax"),
        CheckConstraint("due_on >= issued_on", name="due_on_after_issued"),
        *_nonneg("credits", "unit_price_yen", "amount_yen", "tax_yen", "total_yen"),
    )


class Payment(_Id, Base):
    __tablename__ = "payments"

    invoice_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "method_valid"))
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (CheckConstraint("amount_yen > 0", name="amount_yen_positive"),)


class AuditLog(Base):
    """Append-only record of every write (a trigger in the migrations rejects UPDATE and DELETE)."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")

    __table_args__ = (Index(None, "table_name", "entity_id"),)


# --- the event system (``events.py``, ``queue_sql.py``): written with SQL Core, never audited -------


class _EventFields:
    """The one outbox format as columns: what ``events.Event`` holds."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, sort_order=-10)
    type: Mapped[str] = mapped_column(String(64), sort_order=-9)
    category: Mapped[str] = mapped_column(String(32), sort_order=-8)
    entity_id: Mapped[str | None] = mapped_column(String(64), sort_order=-7)
    company_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=-6)
    occurred_at: Mapped[datetime] = mapped_column(sort_order=-5)
    actor: Mapped[str] = mapped_column(String(200), sort_order=-4)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}", sort_order=-3)


class EventOutbox(_EventFields, Base):
    """Events written in the same transaction as the data they describe; the relay empties it."""

    __tablename__ = "event_outbox"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)


class EventStatus(enum.StrEnum):
    PENDING = "pending"
    DEAD = "dead"


class EventQueue(_EventFields, Base):
    """The PostgreSQL bus: one row per published event until a worker acknowledges it.

    ``visible_at`` is when a worker may next claim it (a claim pushes it forward by the visibility
    timeout, a failure by the backoff); ``attempts`` counts claims; after too many it is ``dead``.
    """

    __tablename__ = "event_queue"

    # Publication order (unique by its identity; no index: only the ordered claims compare it, on
    # ix_event_queue_ordered, and each index costs every insert and every claim's update)
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    # Events with the same key are delivered one at a time, in ``seq`` order (the company of events
    # whose handlers need order; None: no order).
    ordering_key: Mapped[int | None] = mapped_column(BigInteger)
    enqueued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    visible_at: Mapped[datetime] = mapped_column(server_default=func.now())
    attempts: Mapped[int] = mapped_column(server_default="0")
    status: Mapped[EventStatus] = mapped_column(
        _enum(EventStatus, "status_valid"), server_default=EventStatus.PENDING.value
    )
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_event_queue_pending", "visible_at", postgresql_where="status = 'pending'"),
        Index(
            "ix_event_queue_ordered",
            "ordering_key",
            "seq",
            postgresql_where="status = 'pending' AND ordering_key IS NOT NULL",
        ),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )


class ProcessedEvent(Base):
    """The ledger: (event, handler) pairs whose effect is committed, written in the same transaction."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handler: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CompanyDataVersion(Base):
    """A company's data version: every event touching its data bumps it (analytics keys include it)."""

    __tablename__ = "company_data_versions"

    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class EventCounter(Base):
    """Per event type: how many were handled, retried and buried (the admin view).

    Each type's counts are spread over shards (the counting connection's backend pid modulo
    ``COUNTER_SHARDS``) and summed when read: workers count in their own transactions, and one row
    per type would make every worker wait for the others' commits."""

    __tablename__ = "event_counters"

    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")
    handled: Mapped[int] = mapped_column(BigInteger, server_default="0")
    retried: Mapped[int] = mapped_column(BigInteger, server_default="0")
    dead: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_at: Mapped[datetime] = mapped_column(server_default=func.now())

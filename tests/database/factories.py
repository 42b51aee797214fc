"""Valid input for each relational table, with overrides; tests change one field at a time."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from backend.database import crud_sql
from backend.database.models_sql import Company, Employee, Invoice, User

_seq = itertools.count(1)


def user_data(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {"email": f"user{n}@example.jp", "display_name": f"User {n}", "role": "analyst", **overrides}


def company_data(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {
        "name": f"Startup {n} 株式会社",
        "industry": "SaaS",
        "funding_stage": "seed",
        "vc_firm": "Example Ventures",
        "employee_count": 25,
        **overrides,
    }


def employee_data(company_id: int, **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {
        "company_id": company_id,
        "employee_code": f"E{n:05d}",
        "department": "開発",
        "position": "Engineer",
        "hired_on": date(2022, 4, 1),
        **overrides,
    }


def statement_data(company_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "period": "2024-04",
        "revenue_yen": 12_000_000,
        "cost_of_sales_yen": 4_000_000,
        "sga_yen": 9_000_000,
        "operating_profit_yen": -1_000_000,
        "net_income_yen": -1_200_000,
        "headcount": 25,
        "leavers": 1,
        **overrides,
    }


def invoice_data(company_id: int | None, **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {
        "invoice_number": f"INV-{n:06d}",
        "company_id": company_id,
        "credits": 10,
        "unit_price_yen": 8_000,
        "amount_yen": 80_000,
        "tax_yen": 8_000,
        "issued_on": date(2024, 4, 30),
        "due_on": date(2024, 5, 31),
        "status": "issued",
        **overrides,
    }


def payment_data(invoice_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "amount_yen": 88_000,
        "paid_on": date(2024, 5, 20),
        "method": "bank_transfer",
        **overrides,
    }


def make_user(session: Session, **overrides: Any) -> User:
    return crud_sql.users.create(session, data=user_data(**overrides))


def make_company(session: Session, **overrides: Any) -> Company:
    return crud_sql.companies.create(session, data=company_data(**overrides))


def make_employee(session: Session, company_id: int, **overrides: Any) -> Employee:
    return crud_sql.employees.create(session, data=employee_data(company_id, **overrides))


def make_invoice(session: Session, company_id: int | None, **overrides: Any) -> Invoice:
    return crud_sql.invoices.create(session, data=invoice_data(company_id, **overrides))

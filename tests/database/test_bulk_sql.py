"""The COPY bulk path: same rules as single-row CRUD, every bad row named, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.database import bulk_sql, crud_sql
from backend.database.models_sql import AuditLog, FinancialStatement
from backend.errors import Conflict, ValidationFailed
from tests.database.factories import make_company, statement_data


def months(company_id: int, n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        statement_data(company_id, period=f"{2020 + i // 12}-{i % 12 + 1:02d}", **overrides) for i in range(n)
    ]


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FinancialStatement)) or 0


def test_bulk_insert_writes_every_row_and_one_audit_entry(session: Session) -> None:
    company = make_company(session)
    assert crud_sql.bulk_create_financial_statements(session, rows=months(company.id, 30)) == 30
    assert stored(session) == 30
    first = crud_sql.financial_statements.list(session, company_id=company.id, limit=1).items[0]
    assert (first.period.isoformat(), first.revenue_yen, first.operating_profit_yen) == (
        "2020-01-01",
        12_000_000,
        -1_000_000,
    )
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "bulk_create")).one()
    assert (entry.table_name, entry.actor, entry.changes["rows"]) == ("financial_statements", "test", 30)


def test_default_values_apply_in_bulk(session: Session) -> None:
    company = make_company(session)
    row = statement_data(company.id)
    del row["leavers"]
    crud_sql.bulk_create_financial_statements(session, rows=[row])
    assert session.scalars(select(FinancialStatement.leavers)).one() == 0


def test_every_bad_row_is_reported_with_row_field_and_reason(session: Session) -> None:
    company = make_company(session)
    rows = months(company.id, 6)
    rows[1]["revenue_yen"] = -10
    rows[3]["period"] = "2021-02-30"
    rows[4]["headcount"] = "twelve"
    del rows[5]["sga_yen"]
    with pytest.raises(ValidationFailed) as info:
        crud_sql.bulk_create_financial_statements(session, rows=rows, first_row=2)
    found = {(p.row, p.field) for p in info.value.problems}
    assert found == {(3, "revenue_yen"), (5, "period"), (6, "headcount"), (7, "sga_yen")}
    reasons = {p.field: p.reason for p in info.value.problems}
    assert reasons["sga_yen"] == "Field required"
    assert "row 3, revenue_yen" in info.value.message
    assert stored(session) == 0


def test_rows_repeating_a_month_in_the_same_input_are_named(session: Session) -> None:
    company = make_company(session)
    rows = months(company.id, 3) + [statement_data(company.id, period="2020-02")]
    with pytest.raises(Conflict) as info:
        crud_sql.bulk_create_financial_statements(session, rows=rows)
    (problem,) = info.value.details["problems"]
    assert (problem["row"], problem["field"]) == (4, "company_id, period")
    assert "repeats row 2" in problem["reason"]
    assert stored(session) == 0


def test_clash_with_a_stored_month_names_the_input_row(session: Session) -> None:
    company = make_company(session)
    crud_sql.financial_statements.create(session, data=statement_data(company.id, period="2020-03"))
    with pytest.raises(Conflict) as info:
        crud_sql.bulk_create_financial_statements(session, rows=months(company.id, 5))
    assert info.value.details["row"] == 3
    assert info.value.message.startswith(
        "row 3: financial_statements already has a row with company_id, period"
    )
    assert stored(session) == 1
    assert (
        session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "bulk_create"))
        == 0
    )


def test_rows_for_a_missing_company_are_named(session: Session) -> None:
    company = make_company(session)
    rows = months(company.id, 2) + [statement_data(company.id + 1000)]
    with pytest.raises(Conflict) as info:
        crud_sql.bulk_create_financial_statements(session, rows=rows)
    assert info.value.details["row"] == 3
    assert "does not exist in companies" in info.value.message
    assert stored(session) == 0


def test_hostile_rows(session: Session) -> None:
    company = make_company(session)
    rows: list[Any] = [
        statement_data(company.id, revenue_yen="1; DROP TABLE financial_statements"),
        statement_data(company.id, period="2020-05", net_income_yen=10**40),
        statement_data(company.id, period="2020-06", injected_column="x"),
        "not a mapping",
    ]
    with pytest.raises(ValidationFailed) as info:
        crud_sql.bulk_create_financial_statements(session, rows=rows)
    assert {(p.row, p.field) for p in info.value.problems} == {
        (1, "revenue_yen"),
        (2, "net_income_yen"),
        (3, "injected_column"),
        (4, "value"),
    }
    assert stored(session) == 0


def test_oversized_input_is_refused_before_validation(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    company = make_company(session)
    monkeypatch.setattr(bulk_sql, "MAX_ROWS", 10)
    with pytest.raises(ValidationFailed, match="at most 10 rows"):
        crud_sql.bulk_create_financial_statements(session, rows=months(company.id, 11))
    assert stored(session) == 0


def test_an_empty_input_writes_nothing(session: Session) -> None:
    assert crud_sql.bulk_create_financial_statements(session, rows=[]) == 0
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_schemas_with_validators_cannot_use_the_bulk_path() -> None:
    from backend.database.schemas_sql import InvoiceCreate

    with pytest.raises(TypeError, match="validators"):
        bulk_sql._row_adapter(InvoiceCreate)

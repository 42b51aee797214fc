"""CRUD for every relational table against real PostgreSQL: round trips, pages, errors, audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.database import crud_sql
from backend.database.crud_sql import Repository
from backend.database.models_sql import AuditLog, Base, Employee, FinancialStatement
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.database.factories import (
    company_data,
    employee_data,
    invoice_data,
    make_company,
    make_employee,
    make_invoice,
    make_user,
    payment_data,
    statement_data,
    user_data,
)


@dataclass
class Case:
    repo: Repository[Any]
    data: Callable[[Session], dict[str, Any]]
    change: Callable[[Session], dict[str, Any]]


CASES = {
    "users": Case(crud_sql.users, lambda s: user_data(), lambda s: {"display_name": "改名 太郎"}),
    "companies": Case(crud_sql.companies, lambda s: company_data(), lambda s: {"employee_count": 31}),
    "company_access": Case(
        crud_sql.company_access,
        lambda s: {"user_id": make_user(s, role="vc").id, "company_id": make_company(s).id},
        lambda s: {"granted_by_user_id": make_user(s, role="admin").id},
    ),
    "employees": Case(
        crud_sql.employees,
        lambda s: employee_data(make_company(s).id),
        lambda s: {"department": "営業", "left_on": date(2025, 3, 31)},
    ),
    "financial_statements": Case(
        crud_sql.financial_statements,
        lambda s: statement_data(make_company(s).id),
        lambda s: {"revenue_yen": 13_500_000},
    ),
    "invoices": Case(
        crud_sql.invoices,
        lambda s: invoice_data(make_company(s).id),
        lambda s: {"status": "paid", "paid_on": date(2024, 5, 20)},
    ),
    "payments": Case(
        crud_sql.payments,
        lambda s: payment_data(make_invoice(s, make_company(s).id).id),
        lambda s: {"reference": "振込 0001"},
    ),
}


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def audit_rows(session: Session, table: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.table_name == table).order_by(AuditLog.id)))


@pytest.mark.parametrize("name", CASES)
def test_create_get_update_delete_round_trip(session: Session, name: str) -> None:
    case = CASES[name]
    created = case.repo.create(session, data=case.data(session))
    assert case.repo.get(session, created.id) is created

    change = case.change(session)
    updated = case.repo.update(session, created.id, data=change)
    session.expire_all()
    reread = case.repo.get(session, created.id)
    for key, value in change.items():
        assert getattr(reread, key) == value
    assert updated.id == created.id

    case.repo.delete(session, created.id)
    with pytest.raises(NotFound, match=f"No {name} row with id {created.id}"):
        case.repo.get(session, created.id)

    actions = [
        (row.action, row.entity_id, row.actor)
        for row in audit_rows(session, name)
        if row.entity_id == str(created.id)
    ]
    assert actions == [
        ("create", str(created.id), "test"),
        ("update", str(created.id), "test"),
        ("delete", str(created.id), "test"),
    ]


@pytest.mark.parametrize("name", CASES)
def test_missing_rows_raise_not_found(session: Session, name: str) -> None:
    repo = CASES[name].repo
    with pytest.raises(NotFound):
        repo.get(session, 987_654)
    with pytest.raises(NotFound):
        repo.update(session, 987_654, data=CASES[name].change(session))
    with pytest.raises(NotFound):
        repo.delete(session, 987_654)


def test_update_audit_names_only_the_changed_fields(session: Session) -> None:
    company = make_company(session)
    crud_sql.companies.update(session, company.id, data={"industry": "HealthTech", "employee_count": 40})
    update = [r for r in audit_rows(session, "companies") if r.action == "update"]
    assert [r.changes for r in update] == [{"fields": ["employee_count", "industry"]}]


def test_audit_never_records_values(session: Session) -> None:
    user = crud_sql.users.create(session, data=user_data(password="correct horse battery"))
    (created,) = audit_rows(session, "users")
    assert "password_hash" in created.changes["fields"]
    assert user.password_hash is not None
    assert user.password_hash not in str(created.changes)
    assert user.email not in str(created.changes)


def test_list_pages_through_every_row_once_in_id_order(session: Session) -> None:
    made = [make_company(session).id for _ in range(7)]
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = crud_sql.companies.list(session, after=after, limit=3)
        seen += [c.id for c in page.items]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == sorted(made)
    assert pages == 3


def test_list_filters_by_company(session: Session) -> None:
    a, b = make_company(session), make_company(session)
    mine = [make_employee(session, a.id).id for _ in range(3)]
    make_employee(session, b.id)
    assert [e.id for e in crud_sql.employees.list(session, company_id=a.id).items] == mine
    assert [c.id for c in crud_sql.companies.list(session, company_id=b.id).items] == [b.id]


def test_payments_filter_by_company_through_their_invoice(session: Session) -> None:
    a, b = make_company(session), make_company(session)
    paid_a = crud_sql.payments.create(session, data=payment_data(make_invoice(session, a.id).id))
    crud_sql.payments.create(session, data=payment_data(make_invoice(session, b.id).id))
    assert [p.id for p in crud_sql.payments.list(session, company_id=a.id).items] == [paid_a.id]


def test_within_hides_other_companies_rows_everywhere(session: Session) -> None:
    mine, other = make_company(session), make_company(session)
    own_invoice, other_invoice = make_invoice(session, mine.id), make_invoice(session, other.id)
    firm_invoice = make_invoice(session, None, vc_firm="Example Ventures")  # no company: nobody's tenant
    paid = crud_sql.payments.create(session, data=payment_data(own_invoice.id))
    crud_sql.payments.create(session, data=payment_data(other_invoice.id))
    within = {mine.id}
    assert [c.id for c in crud_sql.companies.list(session, within=within).items] == [mine.id]
    assert [i.id for i in crud_sql.invoices.list(session, within=within).items] == [own_invoice.id]
    assert [p.id for p in crud_sql.payments.list(session, within=within).items] == [paid.id]
    assert crud_sql.companies.list(session, within=set()).items == []
    assert crud_sql.invoices.get(session, own_invoice.id, within=within) is own_invoice
    for repo, hidden in [
        (crud_sql.companies, other.id),
        (crud_sql.invoices, other_invoice.id),
        (crud_sql.invoices, firm_invoice.id),
    ]:
        with pytest.raises(NotFound):
            repo.get(session, hidden, within=within)
        with pytest.raises(NotFound):
            repo.update(
                session, hidden, data={"notes": "x"} if repo is crud_sql.invoices else {}, within=within
            )
        with pytest.raises(NotFound):
            repo.delete(session, hidden, within=within)
    assert crud_sql.companies.get(session, other.id).name == other.name  # untouched
    with pytest.raises(ValidationFailed, match="not company-scoped"):
        crud_sql.users.list(session, within=within)


def test_read_sees_only_rows_within_the_companies_given(session: Session) -> None:
    mine, other = make_company(session), make_company(session)
    own_invoice, other_invoice = make_invoice(session, mine.id), make_invoice(session, other.id)
    paid = crud_sql.payments.create(session, data=payment_data(own_invoice.id))
    hidden_payment = crud_sql.payments.create(session, data=payment_data(other_invoice.id))
    within = {mine.id}
    assert crud_sql.companies.read(session, mine.id, within=within).name == mine.name
    assert crud_sql.invoices.read(session, own_invoice.id, within=within).id == own_invoice.id
    assert crud_sql.payments.read(session, paid.id, within=within).id == paid.id  # through its invoice
    assert crud_sql.payments.read(session, hidden_payment.id).id == hidden_payment.id  # unscoped
    for repo, hidden, scope in [
        (crud_sql.companies, other.id, within),
        (crud_sql.invoices, other_invoice.id, within),
        (crud_sql.payments, hidden_payment.id, within),
        (crud_sql.companies, mine.id, set()),  # no grants: nothing is visible
    ]:
        with pytest.raises(NotFound):
            repo.read(session, hidden, within=scope)
    with pytest.raises(ValidationFailed, match="not company-scoped"):
        crud_sql.users.read(session, 1, within=within)


def test_defaults_of_the_create_schema_reach_the_row(session: Session) -> None:
    invoice = make_invoice(session, make_company(session).id)
    data = payment_data(invoice.id)
    del data["method"]  # no server default: the schema's default must be written
    assert crud_sql.payments.create(session, data=data).method == "bank_transfer"


def test_list_ranges_and_newest_first(session: Session) -> None:
    company = make_company(session)
    made = [
        crud_sql.financial_statements.create(session, data=statement_data(company.id, period=f"2024-{m:02d}"))
        for m in range(1, 7)
    ]
    page = crud_sql.financial_statements.list(
        session, company_id=company.id, between={"period": (date(2024, 2, 1), date(2024, 4, 1))}
    )
    assert [f.period.month for f in page.items] == [2, 3, 4]
    page = crud_sql.financial_statements.list(session, between={"period": (None, date(2024, 1, 1))})
    assert [f.id for f in page.items] == [made[0].id]
    newest = crud_sql.financial_statements.list(session, descending=True, limit=4)
    assert [f.id for f in newest.items] == [m.id for m in reversed(made)][:4]
    rest = crud_sql.financial_statements.list(session, descending=True, after=newest.next_after)
    assert [f.id for f in rest.items] == [made[1].id, made[0].id]
    with pytest.raises(ValidationFailed) as info:
        crud_sql.financial_statements.list(session, between={"nope": (1, 2)})
    assert info.value.fields == ["nope"]


def test_list_filters_by_column_equality_and_rejects_unknown_columns(session: Session) -> None:
    vc = make_user(session, role="vc")
    make_user(session, role="admin")
    assert [u.id for u in crud_sql.users.list(session, role="vc").items] == [vc.id]
    with pytest.raises(ValidationFailed) as info:
        crud_sql.users.list(session, favourite_colour="blue")
    assert info.value.fields == ["favourite_colour"]
    with pytest.raises(ValidationFailed, match="limit"):
        crud_sql.users.list(session, limit=0)
    with pytest.raises(ValidationFailed, match="company_id"):
        crud_sql.users.list(session, company_id=1)


def test_list_statements_are_kept_per_shape_never_per_value(session: Session) -> None:
    """A list's statement is built once per shape of call; the values of each call are its own."""
    company = make_company(session)
    sales = make_employee(session, company.id, department="営業")
    dev = make_employee(session, company.id, department="開発")
    unplaced = make_employee(session, company.id, department=None)
    for department, expected in (("営業", [sales.id]), ("開発", [dev.id]), (None, [unplaced.id])):
        page = crud_sql.employees.list(session, company_id=company.id, department=department)
        assert [e.id for e in page.items] == expected  # None: IS NULL, as a plain comparison would not
    other = make_company(session)
    assert crud_sql.employees.list(session, company_id=other.id, department="営業").items == []
    first = crud_sql.employees.list(session, company_id=company.id, limit=1)
    rest = crud_sql.employees.list(session, company_id=company.id, after=first.next_after, limit=5)
    assert [e.id for e in [*first.items, *rest.items]] == [sales.id, dev.id, unplaced.id]


def test_find_by_count_and_the_grant_queries(session: Session) -> None:
    vc = make_user(session, role="vc")
    make_user(session, role="vc", is_active=False)
    assert crud_sql.users.find_by(session, email="nobody@example.jp") is None
    assert crud_sql.users.count(session, role="vc") == 2
    assert crud_sql.users.count(session, role="vc", is_active=True) == 1
    a, b = make_company(session, name="甲"), make_company(session, name="乙")
    for company in (b, a):
        crud_sql.company_access.create(session, data={"user_id": vc.id, "company_id": company.id})
    assert [(g.company_id, g.company_name) for g in crud_sql.grants_of(session, vc.id)] == [
        (b.id, "乙"),
        (a.id, "甲"),
    ]
    row = crud_sql.user_with_grants(session, vc.id)
    assert row is not None
    assert (row.email, row.role, sorted(row.granted)) == (vc.email, "vc", sorted([a.id, b.id]))
    assert crud_sql.user_with_grants(session, 10**12) is None


def test_get_by_finds_one_row_or_raises(session: Session) -> None:
    user = make_user(session, email="Sato@Example.JP")
    assert crud_sql.users.get_by(session, email="sato@example.jp") is user
    with pytest.raises(NotFound, match=r"email='nobody@example\.jp'"):
        crud_sql.users.get_by(session, email="nobody@example.jp")


# --- bad input: the documented error, naming the field, and nothing written -------------------


def test_negative_amount_names_the_field_and_writes_nothing(session: Session) -> None:
    company = make_company(session)
    with pytest.raises(ValidationFailed) as info:
        crud_sql.financial_statements.create(session, data=statement_data(company.id, revenue_yen=-1))
    assert info.value.fields == ["revenue_yen"]
    assert "greater than or equal to 0" in info.value.message
    assert count(session, FinancialStatement) == 0
    assert audit_rows(session, "financial_statements") == []


def test_second_statement_for_the_same_month_is_a_conflict(session: Session) -> None:
    company = make_company(session)
    crud_sql.financial_statements.create(session, data=statement_data(company.id, period="2024-04"))
    with pytest.raises(Conflict) as info:
        crud_sql.financial_statements.create(
            session, data=statement_data(company.id, period=date(2024, 4, 1))
        )
    assert info.value.details["fields"] == ["company_id", "period"]
    assert info.value.details["values"] == f"{company.id}, 2024-04-01"
    assert "already has a row with company_id, period" in info.value.message
    assert count(session, FinancialStatement) == 1
    # the caller's transaction is still usable after the rejected write
    crud_sql.financial_statements.create(session, data=statement_data(company.id, period="2024-05"))
    assert count(session, FinancialStatement) == 2


def test_employee_for_a_missing_company_names_the_company(session: Session) -> None:
    with pytest.raises(Conflict) as info:
        crud_sql.employees.create(session, data=employee_data(424_242))
    assert info.value.details["fields"] == ["company_id"]
    assert info.value.details["values"] == "424242"
    assert "companies" in info.value.message
    assert count(session, Employee) == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.jp", "a b@example.jp", "", "x" * 300])
def test_email_that_is_not_one_is_rejected(session: Session, email: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud_sql.users.create(session, data=user_data(email=email))
    assert info.value.fields == ["email"]


def test_email_is_unique_regardless_of_case(session: Session) -> None:
    make_user(session, email="Tanaka@Example.jp")
    with pytest.raises(Conflict, match=r"email = tanaka@example\.jp"):
        make_user(session, email="tanaka@example.JP")


@pytest.mark.parametrize(
    "period", ["2024-04-15", "2024-13", "April 2024", "2024-00", date(2024, 4, 2), 202404]
)
def test_period_that_is_not_a_month_is_rejected(session: Session, period: object) -> None:
    company = make_company(session)
    with pytest.raises(ValidationFailed) as info:
        crud_sql.financial_statements.create(session, data=statement_data(company.id, period=period))
    assert info.value.fields == ["period"]
    assert count(session, FinancialStatement) == 0


def test_database_checks_back_up_partial_updates(session: Session) -> None:
    """A rule spanning two columns is enforced by PostgreSQL when an update sends only one."""
    employee = make_employee(session, make_company(session).id, hired_on=date(2023, 4, 1))
    with pytest.raises(ValidationFailed) as info:
        crud_sql.employees.update(session, employee.id, data={"left_on": date(2023, 3, 31)})
    assert info.value.fields == ["left_on"]
    session.expire_all()
    assert crud_sql.employees.get(session, employee.id).left_on is None


def test_setting_a_required_column_to_null_names_it(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(ValidationFailed) as info:
        crud_sql.users.update(session, user.id, data={"display_name": None})
    assert info.value.fields == ["display_name"]


def test_invoice_with_payments_cannot_be_deleted(session: Session) -> None:
    invoice = make_invoice(session, make_company(session).id)
    crud_sql.payments.create(session, data=payment_data(invoice.id))
    with pytest.raises(Conflict, match="referenced from payments"):
        crud_sql.invoices.delete(session, invoice.id)
    assert crud_sql.invoices.get(session, invoice.id).id == invoice.id


def test_deleting_a_company_removes_its_employees_and_statements(session: Session) -> None:
    company = make_company(session)
    make_employee(session, company.id)
    crud_sql.financial_statements.create(session, data=statement_data(company.id))
    crud_sql.companies.delete(session, company.id)
    assert count(session, Employee) == 0
    assert count(session, FinancialStatement) == 0


def test_invoice_rules(session: Session) -> None:
    company = make_company(session)
    with pytest.raises(ValidationFailed, match="company_id"):
        crud_sql.invoices.create(session, data=invoice_data(None))
    with pytest.raises(ValidationFailed, match="total_yen"):
        crud_sql.invoices.create(session, data=invoice_data(company.id, total_yen=1))
    with pytest.raises(ValidationFailed, match="due_on"):
        crud_sql.invoices.create(session, data=invoice_data(company.id, due_on=date(2024, 1, 1)))
    billed_to_vc = crud_sql.invoices.create(session, data=invoice_data(None, vc_firm="Example Ventures"))
    assert billed_to_vc.total_yen == 88_000


def test_unknown_enum_values_and_fields_are_rejected(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud_sql.users.create(session, data=user_data(role="superuser", is_admin=True))
    assert sorted(info.value.fields) == ["is_admin", "role"]


# --- hostile and oversized input --------------------------------------------------------------


def test_sql_in_values_is_stored_as_text(session: Session) -> None:
    hostile = "x'); DROP TABLE companies; --"
    company = make_company(session, name=hostile)
    session.expire_all()
    assert crud_sql.companies.get(session, company.id).name == hostile
    assert session.execute(text("SELECT count(*) FROM companies")).scalar_one() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "会" * 201),
        ("name", "   "),
        ("name", "nul\x00byte"),
        ("employee_count", 10**12),
        ("employee_count", "many"),
        ("industry", ["a", "list"]),
    ],
)
def test_oversized_or_malformed_company_fields(session: Session, field: str, value: object) -> None:
    with pytest.raises(ValidationFailed) as info:
        make_company(session, **{field: value})
    assert info.value.fields == [field]
    assert len(info.value.message) < 1000


def test_huge_numbers_are_rejected_before_the_database(session: Session) -> None:
    company = make_company(session)
    with pytest.raises(ValidationFailed) as info:
        crud_sql.financial_statements.create(session, data=statement_data(company.id, sga_yen=10**30))
    assert info.value.fields == ["sga_yen"]


def test_every_problem_is_reported_at_once(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud_sql.financial_statements.create(
            session, data=statement_data(0, revenue_yen=-5, period="2024-04-09", headcount=-1)
        )
    assert sorted(info.value.fields) == ["company_id", "headcount", "period", "revenue_yen"]


# --- the audit log ----------------------------------------------------------------------------


def test_audit_log_is_append_only(session: Session) -> None:
    entry = crud_sql.audit_logs.create(
        session,
        data={"actor": "admin:1", "action": "export", "table_name": "reports", "changes": {"kind": "pdf"}},
    )
    assert crud_sql.audit_logs.get(session, entry.id).changes == {"kind": "pdf"}
    with pytest.raises(Forbidden):
        crud_sql.audit_logs.update(session, entry.id, data={"actor": "someone else"})
    with pytest.raises(Forbidden):
        crud_sql.audit_logs.delete(session, entry.id)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_logs SET actor = 'forged'"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM audit_logs"))


def test_writes_made_outside_crud_are_audited_too(session: Session) -> None:
    """The seed's own style (session.add) lands in the audit log as well."""
    session.add(Employee(company_id=make_company(session).id, employee_code="RAW-1"))
    session.flush()
    assert [r.action for r in audit_rows(session, "employees")] == ["create"]

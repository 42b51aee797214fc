"""The outboxes: every write records its event with the data, and a write that fails records none."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import crud, crud_sql, events
from backend.database.documents import DocumentStore
from backend.database.models_sql import EventOutbox
from backend.database.routing import DOCUMENT_OUTBOX
from backend.errors import Conflict, ValidationFailed
from tests.database.document_factories import (
    analytics_data,
    consultation_data,
    report_data,
    session_data,
    treatment_data,
)
from tests.database.factories import employee_data, make_company, make_invoice, payment_data, statement_data


def outbox(session: Session) -> list[events.Event]:
    rows = session.connection().execute(select(EventOutbox).order_by(EventOutbox.seq)).all()
    return [events.Event.from_row(r) for r in rows]


def document_outbox(store: DocumentStore) -> list[events.Event]:
    return [e for _, e in events.document_outbox(store, limit=500)]


def test_each_orm_write_adds_its_event_in_the_same_transaction(session: Session) -> None:
    company = make_company(session)
    employee = crud_sql.employees.create(session, data=employee_data(company.id))
    crud_sql.employees.update(session, employee.id, data={"department": "営業"})
    crud_sql.employees.delete(session, employee.id)
    found = [(e.type, e.entity_id, e.company_id, e.actor) for e in outbox(session)]
    assert found == [
        ("company.created", str(company.id), company.id, "test"),
        ("employee.created", str(employee.id), company.id, "test"),
        ("employee.updated", str(employee.id), company.id, "test"),
        ("employee.deleted", str(employee.id), company.id, "test"),
    ]
    assert {e.category for e in outbox(session)} == {"company_master", "employee_master"}


def test_a_write_that_is_refused_adds_no_event(session: Session) -> None:
    company = make_company(session)
    before = len(outbox(session))
    with pytest.raises(ValidationFailed):
        crud_sql.financial_statements.create(session, data=statement_data(company.id, revenue_yen=-1))
    crud_sql.employees.create(session, data=employee_data(company.id, employee_code="X1"))
    with pytest.raises(Conflict):
        crud_sql.employees.create(session, data=employee_data(company.id, employee_code="X1"))
    assert [e.type for e in outbox(session)[before:]] == ["employee.created"]


def test_a_rolled_back_transaction_emits_nothing(session: Session) -> None:
    company = make_company(session)
    before = len(outbox(session))
    nested = session.begin_nested()
    crud_sql.employees.create(session, data=employee_data(company.id))
    assert len(outbox(session)) == before + 1
    nested.rollback()
    assert len(outbox(session)) == before


def test_a_bulk_insert_emits_one_event_with_counts(session: Session) -> None:
    company = make_company(session)
    before = len(outbox(session))
    rows = [statement_data(company.id, period=f"2024-{m:02d}") for m in range(1, 13)]
    crud_sql.bulk_create_financial_statements(session, rows=rows)
    added = outbox(session)[before:]
    assert [(e.type, e.company_id, e.payload) for e in added] == [
        ("financial_statements.imported", company.id, {"inserted": 12})
    ]


def test_payments_are_events_of_their_invoices_company(session: Session) -> None:
    company = make_company(session)
    invoice = make_invoice(session, company.id)
    payment = crud_sql.payments.create(session, data=payment_data(invoice.id))
    event = outbox(session)[-1]
    assert (event.type, event.company_id, event.payload) == (
        "payment.created",
        company.id,
        {"invoice_id": invoice.id},
    )
    assert event.entity_id == str(payment.id)


def test_event_payloads_hold_no_personal_data(session: Session) -> None:
    company = make_company(session)
    crud_sql.employees.create(session, data=employee_data(company.id, employee_code="SECRET-CODE"))
    crud_sql.users.create(session, data={"email": "hanako@example.jp", "display_name": "花子", "role": "vc"})
    text = repr([e.to_row() for e in outbox(session)])
    for personal in ("SECRET-CODE", "hanako", "花子", "開発"):
        assert personal not in text


def test_events_round_trip_through_the_wire_format() -> None:
    event = events.new_event(
        "consultations", "created", entity_id="abc", company_id=3, actor="user:1", payload={"n": 1}
    )
    assert events.Event.from_json(event.to_json()) == event
    assert events.Event.from_row(event.to_document()) == event


# --- documents ---------------------------------------------------------------------------------


def test_document_writes_add_their_event_in_the_same_write(document_store: DocumentStore) -> None:
    doc_id, survey = crud.consultations.create(document_store, data=consultation_data(), actor="user:7")
    crud.consultations.update(document_store, doc_id, data={"free_text": "ok"}, actor="user:7")
    crud.consultations.delete(document_store, doc_id, actor="user:7")
    found = [(e.type, e.entity_id, e.company_id, e.actor) for e in document_outbox(document_store)]
    assert sorted(found) == sorted(
        [
            ("survey.created", doc_id, survey.company_id, "user:7"),
            ("survey.updated", doc_id, survey.company_id, "user:7"),
            ("survey.deleted", doc_id, survey.company_id, "user:7"),
        ]
    )


def test_a_new_report_is_a_report_requested_event(document_store: DocumentStore) -> None:
    doc_id, _ = crud.reports.create(document_store, data=report_data())
    assert [(e.type, e.entity_id) for e in document_outbox(document_store)] == [("report.requested", doc_id)]


def test_a_refused_document_write_adds_no_event(document_store: DocumentStore) -> None:
    crud.consultations.create(document_store, data=consultation_data(), doc_id="fixed")
    with pytest.raises(Conflict):
        crud.consultations.create(document_store, data=consultation_data(), doc_id="fixed")
    with pytest.raises(ValidationFailed):
        crud.consultations.create(document_store, data={**consultation_data(), "phase": "later"})
    assert len(document_outbox(document_store)) == 1


@pytest.mark.parametrize(
    ("repo", "make"),
    [(crud.sessions, session_data), (crud.analytics, analytics_data)],
    ids=["sessions", "analytics"],
)
def test_bookkeeping_collections_emit_nothing(document_store: DocumentStore, repo: Any, make: Any) -> None:
    repo.create(document_store, data=make())
    assert document_store.count(DOCUMENT_OUTBOX) == 0


def test_bulk_deletes_emit_one_event_per_document_in_the_same_batch(document_store: DocumentStore) -> None:
    ids = [crud.treatments.create(document_store, data=treatment_data())[0] for _ in range(3)]
    events.remove_document_events(
        document_store, [f"{DOCUMENT_OUTBOX}/{e.id}" for e in document_outbox(document_store)]
    )
    crud.treatments.delete_many(document_store, ids)
    assert sorted(e.entity_id for e in document_outbox(document_store)) == sorted(ids)

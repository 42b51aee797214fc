"""A delivery made a survey, and the survey written together with its delivery record.

The survey's document id comes from (company, response id), as a surveys file with a 回答ID column
gives it, so a response delivered again, or replayed, lands on the same document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from backend.database import audit, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.models import Consultation, FormDelivery, GoogleForm
from backend.errors import Conflict, FieldProblem
from backend.service.ingest.google_forms import mapping
from backend.service.ingest.google_forms.payload import Delivery
from backend.service.ingest.targets import TARGETS, DocumentTarget


@dataclass(frozen=True)
class Built:
    """The survey a delivery makes, and the id it is stored under."""

    survey_id: str
    survey: Consultation
    ignored: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refused:
    """Why a delivery makes no survey: every problem, each naming the question."""

    problems: list[FieldProblem]
    ignored: list[str] = field(default_factory=list)


def delivery_id(form_id: str, response_id: str) -> str:
    """The delivery record of one response of one form: every delivery of it lands there."""
    return hashlib.sha256(f"{form_id}\x1f{response_id}".encode()).hexdigest()[:32]


def build(session: Session, form_id: str, form: GoogleForm, delivery: Delivery) -> Built | Refused:
    """The survey of ``delivery`` by the form's current mapping, its employee found by code."""
    mapped = mapping.apply(form, delivery.answers)
    if mapped.problems:
        return Refused(mapped.problems, mapped.ignored)
    values = dict(mapped.values)
    code = values.pop("employee_code")
    employee = crud_sql.employees.find_by(session, company_id=form.company_id, employee_code=code)
    if employee is None:
        reason = (
            f"no employee has this code in company {form.company_id}; import the employees first, or "
            "ask the respondent for the right code"
        )
        title = mapping.title_of(form, "employee_code") or "employee_code"
        return Refused([FieldProblem(title, reason, value=code)], mapped.ignored)
    data: dict[str, Any] = {
        **values,
        "employee_id": employee.id,
        "company_id": form.company_id,
        "answered_at": delivery.submitted_at,
        "source": "google_forms",
        "form_id": form_id,
        "response_id": delivery.response_id,
        "user_id": None,
    }
    try:
        survey = Consultation.model_validate(data)
    except ValidationError as exc:
        return Refused(_problems(form, exc), mapped.ignored)
    return Built(survey_id(survey), survey, mapped.ignored)


def survey_id(survey: Consultation) -> str:
    """The id file ingest gives the same survey: from (company, "response", response id)."""
    target = TARGETS["surveys"]
    assert isinstance(target, DocumentTarget)
    return target.document_id("surveys", survey.model_dump())


def _problems(form: GoogleForm, exc: ValidationError) -> list[FieldProblem]:
    """The survey model's errors, named by the question each field came from."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        target = f"vas_{loc[1]}" if loc[:1] == ["vas"] and len(loc) > 1 else loc[0] if loc else "survey"
        title = mapping.title_of(form, target) or ".".join(loc) or "survey"
        reason = str(error["msg"]).removeprefix("Value error, ")
        problems.append(FieldProblem(title, reason))
    return problems


def store(
    session: Session,
    store: DocumentStore,
    built: Built,
    *,
    delivery_id: str,
    record: FormDelivery,
    actor: str | None = None,
) -> None:
    """Audit the survey in the caller's transaction, then write it and its delivery record in one
    batch; Conflict (nothing written) when the survey got stored by then."""
    fields = sorted(k for k, v in built.survey.model_dump().items() if v is not None)
    audit.record(
        session,
        action="create",
        table=crud.consultations.collection,
        entity_id=built.survey_id,
        changes={"fields": fields, "form_id": record.form_id, "delivery_id": delivery_id},
        actor=actor,
    )
    batch = store.batch()
    crud.consultations.create_in(
        batch, built.survey_id, built.survey, actor=actor or f"form:{record.form_id}"
    )
    crud.form_deliveries.set_in(batch, delivery_id, record)
    try:
        batch.commit()
    except Conflict:
        raise Conflict(
            f"The survey of response {record.response_id} was stored by another delivery at the same "
            "moment; it is stored once, and nothing more was stored.",
            details={"survey_id": built.survey_id, "delivery_id": delivery_id},
        ) from None

"""A delivery from a form's script: checked, read, mapped, and stored once, or kept when rejected.

Order matters: the signature is checked before anything of the body is read, and every way of
failing it (no such form, a disabled form, another form's secret, a changed body) answers the same
401, so form ids cannot be probed. Only the clock check may say more: it tells nothing of a form.
The webhook has no signed-in user: its audit rows name the form (``form:<id>``).
"""

from __future__ import annotations

import email.message
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import audit, crud
from backend.database.documents import DocumentStore
from backend.database.documents.paths import document_id_problem
from backend.database.models import MAX_PROBLEMS_KEPT, DeliveryProblem, FormDelivery, GoogleForm
from backend.errors import FieldProblem, UnsupportedMediaType, ValidationFailed
from backend.service.ingest.google_forms import forms, payload, signature, surveys
from backend.service.ingest.google_forms.schemas import DeliveryReceipt

MAX_KEPT_REJECTED = 1_000  # rejected deliveries one form keeps; beyond, a rejection is answered, not kept


def deliver(
    session: Session,
    store: DocumentStore,
    settings: Settings,
    *,
    form_id: str,
    timestamp: str | None,
    signed: str | None,
    content_type: str | None,
    body: bytes,
    now: datetime | None = None,
) -> DeliveryReceipt | ValidationFailed:
    """Store the survey of one delivery (once: a response already stored answers ``already_stored``).

    Raises BadSignature (401) and UnsupportedMediaType (415), and ValidationFailed (422) for a body
    that cannot be read, all with nothing written. A delivery that makes no survey by the mapping
    is kept for an analyst, and its 422 is *returned*: the caller commits the kept delivery and its
    audit row, then answers the error.
    """
    now = now or datetime.now(UTC)
    stamp = signature.check_timestamp(timestamp, signed, now=now)
    form = _form(store, form_id)
    secret = forms.open_secret(settings, form_id, form) if form is not None else None
    if signed is None or not signature.matches(secret, stamp, body, signed) or form is None:
        raise signature.BadSignature(signature.NOT_SIGNED)
    _json_only(content_type)
    delivery = payload.parse(body)
    record_id = surveys.delivery_id(form_id, delivery.response_id)
    kept = crud.form_deliveries.find(store, record_id)
    if kept is not None and kept.status != "rejected":
        return DeliveryReceipt(
            status="already_stored", delivery_id=record_id, response_id=delivery.response_id,
            survey_id=kept.survey_id,
        )  # fmt: skip
    built = surveys.build(session, form_id, form, delivery)
    if isinstance(built, surveys.Refused):
        return _keep(session, store, form_id, form, delivery, built, record_id, kept, now)
    if crud.consultations.find(store, built.survey_id) is not None:  # stored from a file, say
        return DeliveryReceipt(
            status="already_stored", delivery_id=record_id, response_id=delivery.response_id,
            survey_id=built.survey_id, ignored_questions=built.ignored,
        )  # fmt: skip
    record = FormDelivery(
        form_id=form_id, company_id=form.company_id, response_id=delivery.response_id,
        submitted_at=delivery.submitted_at, received_at=kept.received_at if kept else now,
        last_received_at=now, attempts=kept.attempts + 1 if kept else 1, status="stored",
        survey_id=built.survey_id,
    )  # fmt: skip
    surveys.store(session, store, built, delivery_id=record_id, record=record, actor=f"form:{form_id}")
    return DeliveryReceipt(
        status="stored", delivery_id=record_id, response_id=delivery.response_id,
        survey_id=built.survey_id, ignored_questions=built.ignored,
    )  # fmt: skip


def _form(store: DocumentStore, form_id: str) -> GoogleForm | None:
    """The active form ``form_id``; None for an id no form can have, an unknown or a disabled form."""
    if document_id_problem(form_id) is not None:
        return None
    form = crud.google_forms.find(store, form_id)
    return form if form is not None and form.active else None


def _json_only(content_type: str | None) -> None:
    header = email.message.Message()
    header["content-type"] = content_type or ""
    if header.get_content_type() != "application/json":
        raise UnsupportedMediaType(
            "Send the delivery as JSON, with the header Content-Type: application/json.",
            details={"content_type": content_type, "expected": "application/json"},
        )


def _keep(
    session: Session,
    store: DocumentStore,
    form_id: str,
    form: GoogleForm,
    delivery: payload.Delivery,
    refused: surveys.Refused,
    record_id: str,
    kept: FormDelivery | None,
    now: datetime,
) -> ValidationFailed:
    """Keep a rejected delivery (one record per response, its attempts counted) and audit it."""
    rejected = [{"field": "form_id", "operator": "==", "value": form_id}, _status("rejected")]
    if kept is None and crud.form_deliveries.count(store, conditions=rejected) >= MAX_KEPT_REJECTED:
        return _refusal(form_id, refused, record_id, kept=False)
    problems = [
        DeliveryProblem(
            field=p.field, reason=p.reason[:1_000], value=None if p.value is None else str(p.value)[:300]
        )
        for p in refused.problems[:MAX_PROBLEMS_KEPT]
    ]

    def keep(current: FormDelivery | None) -> FormDelivery:
        return FormDelivery(
            form_id=form_id, company_id=form.company_id, response_id=delivery.response_id,
            submitted_at=delivery.submitted_at, received_at=current.received_at if current else now,
            last_received_at=now, attempts=current.attempts + 1 if current else 1, status="rejected",
            answers=delivery.answers, problems=problems,
        )  # fmt: skip

    changes = {"form_id": form_id, "problems": len(refused.problems)}
    audit.record(
        session, action="reject", table=crud.form_deliveries.collection, entity_id=record_id,
        changes=changes, actor=f"form:{form_id}",
    )  # fmt: skip
    crud.form_deliveries.upsert(store, record_id, keep)
    return _refusal(form_id, refused, record_id, kept=True)


def _status(status: str) -> dict[str, str]:
    return {"field": "status", "operator": "==", "value": status}


def _refusal(form_id: str, refused: surveys.Refused, record_id: str, *, kept: bool) -> ValidationFailed:
    count = len(refused.problems)
    shown = "; ".join(p.describe() for p in refused.problems[:3])
    if kept:
        then = (
            f"The delivery is kept as {record_id}: fix the form's mapping (or the data it names), then "
            f"replay it: POST /api/v1/ingest/google-forms/{form_id}/deliveries/{record_id}/replay."
        )
    else:
        then = (
            f"The delivery is not kept: the form already keeps {MAX_KEPT_REJECTED:,} rejected deliveries; "
            "replay or delete those first."
        )
    error = ValidationFailed(
        refused.problems or [FieldProblem("answers", "make no survey")],
        message=f"The survey was not stored ({count} problem{'s' * (count != 1)}: {shown}). {then}",
    )
    error.details.update(
        {"delivery_id": record_id if kept else None, "kept": kept, "ignored_questions": refused.ignored}
    )
    return error

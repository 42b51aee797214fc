"""The forms analysts manage: create (the secret shown once), list, get, change, delete, rotate the
secret; the deliveries of a form, and replaying a rejected one against the current mapping.

Every function takes the request's Context and never commits; every write is audited first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from backend.config import Settings
from backend.database import audit, crud, crud_sql
from backend.database.documents.paths import new_id
from backend.database.models import FormDelivery, GoogleForm
from backend.database.sql_errors import from_pydantic
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.security import new_shared_secret, seal, unseal
from backend.service.access import not_visible
from backend.service.context import Context
from backend.service.ingest.google_forms import surveys
from backend.service.ingest.google_forms.payload import Delivery
from backend.service.ingest.google_forms.schemas import (
    DeliveryFilters,
    DeliveryPublic,
    DeliveryReceipt,
    FormFilters,
    FormSecret,
    GoogleFormChanges,
    GoogleFormCreated,
    GoogleFormPublic,
    NewGoogleForm,
)
from backend.service.schemas import Listing, require_changes

PURPOSE = "google-forms"  # the server key's use: sealing form secrets
WEBHOOK = "/api/v1/ingest/google-forms/{}"


def open_secret(settings: Settings, form_id: str, form: GoogleForm) -> str | None:
    """The form's current secret; None when it does not open (the server's secret key changed)."""
    return unseal(
        settings, form.secret_sealed, purpose=PURPOSE, bound_to=_owner(form_id, form.secret_version)
    )


def _sealed(settings: Settings, form_id: str, version: int, secret: str) -> str:
    return seal(settings, secret, purpose=PURPOSE, bound_to=_owner(form_id, version))


def _owner(form_id: str, version: int) -> str:
    return f"{form_id}:{version}"  # a sealed secret opens only for its form and version


def create(ctx: Context, settings: Settings, data: NewGoogleForm) -> GoogleFormCreated:
    """A new form for a company; the answer holds its secret, which no later answer shows."""
    try:
        crud_sql.companies.read(ctx.session, data.company_id, within=ctx.viewer.companies)
    except NotFound:
        raise not_visible("company_id", data.company_id, "company") from None
    form_id, secret, now = new_id(), new_shared_secret(), datetime.now(UTC)
    try:
        form = GoogleForm.model_validate(
            {
                **data.model_dump(),
                "secret_sealed": _sealed(settings, form_id, 1, secret),
                "secret_version": 1,
                "secret_rotated_at": now,
                "created_by": ctx.viewer.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    _audit(ctx, "create", crud.google_forms.collection, form_id, {"fields": sorted(data.model_fields_set)})
    crud.google_forms.create(ctx.store, data=form, doc_id=form_id)
    return GoogleFormCreated(form=_public(form_id, form), secret=secret)


def list_forms(
    ctx: Context, filters: FormFilters, *, after: str | None, limit: int
) -> Listing[GoogleFormPublic]:
    if filters.company_id is not None:  # a company the viewer cannot see answers 404, as a missing one
        crud_sql.companies.read(ctx.session, filters.company_id, within=ctx.viewer.companies)
    conditions = [] if filters.active is None else [_equal("active", filters.active)]
    page = crud.google_forms.list(
        ctx.store, company_id=filters.company_id, conditions=conditions, after=after, limit=limit
    )
    return Listing([_public(form_id, form) for form_id, form in page.items], page.next_after)


def get(ctx: Context, form_id: str) -> GoogleFormPublic:
    return _public(form_id, _visible(ctx, form_id))


def update(ctx: Context, form_id: str, changes: GoogleFormChanges) -> GoogleFormPublic:
    """Change the title, the phase, the mapping (whole) or whether the form is active."""
    require_changes(changes)
    _visible(ctx, form_id)
    values: dict[str, Any] = changes.model_dump(exclude_unset=True)
    _audit(ctx, "update", crud.google_forms.collection, form_id, {"fields": sorted(values)})
    values["updated_at"] = datetime.now(UTC)
    return _public(form_id, crud.google_forms.update(ctx.store, form_id, data=values))


def delete(ctx: Context, form_id: str) -> None:
    """Delete the form and the deliveries it keeps; the surveys it stored stay."""
    _visible(ctx, form_id)
    _audit(ctx, "delete", crud.google_forms.collection, form_id, {})
    crud.form_deliveries.delete_matching(ctx.store, conditions=[_equal("form_id", form_id)])
    crud.google_forms.delete(ctx.store, form_id)


def rotate_secret(ctx: Context, settings: Settings, form_id: str) -> FormSecret:
    """A new secret, shown this once; from now on only it signs the form's deliveries."""
    _visible(ctx, form_id)
    secret, now = new_shared_secret(), datetime.now(UTC)
    fields = ["secret_rotated_at", "secret_sealed", "secret_version"]
    _audit(ctx, "rotate_secret", crud.google_forms.collection, form_id, {"fields": fields})

    def rotate(current: GoogleForm | None) -> GoogleForm:
        if current is None:
            raise crud.google_forms.not_found(form_id)
        version = current.secret_version + 1
        sealed = _sealed(settings, form_id, version, secret)
        update = {
            "secret_sealed": sealed,
            "secret_version": version,
            "secret_rotated_at": now,
            "updated_at": now,
        }
        return current.model_copy(update=update)

    form = crud.google_forms.upsert(ctx.store, form_id, rotate)
    assert form is not None
    return FormSecret(
        form_id=form_id, secret=secret, secret_version=form.secret_version, secret_rotated_at=now
    )


def deliveries(
    ctx: Context, form_id: str, filters: DeliveryFilters, *, after: str | None, limit: int
) -> Listing[DeliveryPublic]:
    """The form's deliveries, the last received first; ``status=rejected`` for those to look at."""
    _visible(ctx, form_id)
    conditions = [_equal("form_id", form_id)]
    if filters.status is not None:
        conditions.append(_equal("status", filters.status))
    page = crud.form_deliveries.list(ctx.store, conditions=conditions, after=after, limit=limit)
    return Listing(
        [DeliveryPublic.model_validate({"id": i, **d.model_dump()}) for i, d in page.items], page.next_after
    )


def delete_delivery(ctx: Context, form_id: str, delivery_id: str) -> None:
    """Drop a kept delivery (a test submission, say) without storing its survey."""
    _visible(ctx, form_id)
    _delivery_of(ctx, form_id, delivery_id)
    _audit(ctx, "delete", crud.form_deliveries.collection, delivery_id, {})
    crud.form_deliveries.delete(ctx.store, delivery_id)


def replay(ctx: Context, form_id: str, delivery_id: str) -> DeliveryReceipt:
    """Store the survey of a rejected delivery by the form's current mapping; 422 (nothing changed)
    while it still has problems, 409 when the delivery is no longer rejected."""
    form = _visible(ctx, form_id)
    kept = _delivery_of(ctx, form_id, delivery_id)
    if kept.status != "rejected":
        raise Conflict(
            f"This delivery is already {kept.status}: its survey is {kept.survey_id}. Nothing was stored.",
            details={"survey_id": kept.survey_id},
        )
    built = surveys.build(
        ctx.session, form_id, form, Delivery(kept.response_id, kept.submitted_at, kept.answers)
    )
    if isinstance(built, surveys.Refused):
        shown = "; ".join(p.describe() for p in built.problems[:3])
        raise ValidationFailed(
            built.problems,
            message=f"The delivery still makes no survey with the current mapping, so nothing was stored: "
            f"{shown}. Fix the mapping (or the data it names) and replay it again.",
        )
    if crud.consultations.find(ctx.store, built.survey_id) is not None:
        raise Conflict(
            f"The survey of response {kept.response_id} is already stored ({built.survey_id}); delete this "
            "delivery instead of replaying it.",
            details={"survey_id": built.survey_id},
        )
    now = datetime.now(UTC)
    record = FormDelivery.model_validate(
        {
            **kept.model_dump(),
            "status": "replayed",
            "answers": [],
            "problems": [],
            "survey_id": built.survey_id,
            "replayed_by": ctx.viewer.user_id,
            "replayed_at": now,
        }
    )
    surveys.store(ctx.session, ctx.store, built, delivery_id=delivery_id, record=record)
    return DeliveryReceipt(
        status="stored",
        delivery_id=delivery_id,
        response_id=kept.response_id,
        survey_id=built.survey_id,
        ignored_questions=built.ignored,
    )


def _visible(ctx: Context, form_id: str) -> GoogleForm:
    form = crud.google_forms.get(ctx.store, form_id)
    if not ctx.viewer.sees(form.company_id):
        raise crud.google_forms.not_found(form_id)
    return form


def _delivery_of(ctx: Context, form_id: str, delivery_id: str) -> FormDelivery:
    kept = crud.form_deliveries.get(ctx.store, delivery_id)
    if kept.form_id != form_id:
        raise crud.form_deliveries.not_found(delivery_id)
    return kept


def _public(form_id: str, form: GoogleForm) -> GoogleFormPublic:
    data = form.model_dump(exclude={"secret_sealed"})
    return GoogleFormPublic.model_validate({"id": form_id, "webhook_path": WEBHOOK.format(form_id), **data})


def _audit(ctx: Context, action: str, table: str, entity_id: str, changes: dict[str, Any]) -> None:
    audit.record(ctx.session, action=action, table=table, entity_id=entity_id, changes=changes)


def _equal(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": "==", "value": value}

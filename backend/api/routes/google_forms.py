"""Google Forms: the signed webhook a form's script posts to, and the forms analysts manage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from backend.api.answers import answer, answer_for, answer_or_error, answer_page
from backend.api.deps import AccessDep, ContextDep, CursorsDep, SettingsDep, StoreDep, UnitDep
from backend.api.paging import Page, PageParams
from backend.service.context import Context
from backend.service.ingest.google_forms import forms, webhook
from backend.service.ingest.google_forms.payload import SHAPE
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
from backend.service.ingest.google_forms.signature import MAX_SKEW_S

router = APIRouter(prefix="/ingest/google-forms", tags=["google-forms"])
FormId = Annotated[str, Path(min_length=1, max_length=1500, description="The form's id.")]
DeliveryId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The delivery's id.")]


class FormQuery(FormFilters, PageParams):
    """Filters of the form list, with limit and cursor."""


class DeliveryQuery(DeliveryFilters, PageParams):
    """Filters of a form's deliveries, with limit and cursor."""


_DELIVERY_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": f"What the script in docs/google-forms.md sends: {SHAPE}.",
                "required": ["response_id", "submitted_at", "answers"],
                "additionalProperties": False,
                "properties": {
                    "response_id": {"type": "string", "maxLength": 200},
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "answers": {
                        "type": "array",
                        "maxItems": 50,
                        "items": {
                            "type": "object",
                            "required": ["title"],
                            "additionalProperties": False,
                            "properties": {"title": {"type": "string"}, "answer": {}},
                        },
                    },
                },
            }
        }
    },
}


@router.post(
    "/{form_id}",
    response_model=DeliveryReceipt,
    summary="A form's delivery of one response, signed with the form's secret (no sign-in)",
    description=(
        "Signed, not signed in: X-Wellness-Signature is `sha256=` and the hex HMAC-SHA256, under "
        "the form's secret, of the X-Wellness-Timestamp value, a full stop, and the raw body. "
        f"401 for a bad or missing signature, a timestamp more than {MAX_SKEW_S} s away, an "
        "unknown or disabled form (all alike); 422 for a delivery that makes no survey, which is "
        "kept for replay. See docs/google-forms.md."
    ),
    responses={
        401: {"description": "Not signed by this form (or no such active form); nothing stored."},
        409: {"description": "Another delivery of the response stored it at the same moment."},
        413: {"description": "The body is over WELLNESS_MAX_BODY_BYTES."},
        415: {"description": "Not sent as application/json."},
        422: {"description": "Unreadable (nothing kept) or no survey by the mapping (kept for replay)."},
    },
    openapi_extra={"requestBody": _DELIVERY_BODY},
)
async def deliver(
    form_id: Annotated[str, Path(description="The form's id.")],
    request: Request,
    unit: UnitDep,
    store: StoreDep,
    settings: SettingsDep,
    x_wellness_timestamp: Annotated[str | None, Header(description="Unix seconds when signed.")] = None,
    x_wellness_signature: Annotated[str | None, Header(description="sha256=<hex HMAC-SHA256>.")] = None,
) -> Response:
    body = await request.body()  # the raw bytes: the signature covers them exactly

    def run() -> Any:
        return webhook.deliver(
            unit.session,
            store,
            settings,
            form_id=form_id,
            timestamp=x_wellness_timestamp,
            signed=x_wellness_signature,
            content_type=request.headers.get("content-type"),
            body=body,
        )

    return await answer_or_error(run, unit)


@router.get("", response_model=Page[GoogleFormPublic], summary="List Google Forms")
async def list_forms(
    access: AccessDep, cursors: CursorsDep, params: Annotated[FormQuery, Query()]
) -> Response:
    def fetch(ctx: Context, filters: FormFilters, after: Any, limit: int) -> Any:
        return forms.list_forms(ctx, filters, after=after, limit=limit)

    return await answer_page(
        access, cursors, listing="google_forms", params=params, filters=FormFilters, fetch=fetch,
        page=Page[GoogleFormPublic],
    )  # fmt: skip


@router.post(
    "",
    response_model=GoogleFormCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a form's mapping; the answer shows its secret, once",
)
async def create_form(ctx: ContextDep, unit: UnitDep, settings: SettingsDep, data: NewGoogleForm) -> Response:
    return await answer(lambda: forms.create(ctx, settings, data), unit, status.HTTP_201_CREATED)


@router.get("/{form_id}", response_model=GoogleFormPublic, summary="One Google Form (never its secret)")
async def get_form(access: AccessDep, form_id: FormId) -> Response:
    return await answer_for(access, lambda ctx: forms.get(ctx, form_id))


@router.patch(
    "/{form_id}", response_model=GoogleFormPublic, summary="Change a form's mapping, title or state"
)
async def update_form(
    ctx: ContextDep, unit: UnitDep, form_id: FormId, changes: GoogleFormChanges
) -> Response:
    return await answer(lambda: forms.update(ctx, form_id, changes), unit)


@router.delete(
    "/{form_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a form and its kept deliveries (its surveys stay)",
)
async def delete_form(ctx: ContextDep, unit: UnitDep, form_id: FormId) -> Response:
    return await answer(lambda: forms.delete(ctx, form_id), unit, status.HTTP_204_NO_CONTENT)


@router.post(
    "/{form_id}/secret",
    response_model=FormSecret,
    summary="Rotate the form's secret: the new one is shown once, the old one stops working at once",
)
async def rotate_secret(ctx: ContextDep, unit: UnitDep, settings: SettingsDep, form_id: FormId) -> Response:
    return await answer(lambda: forms.rotate_secret(ctx, settings, form_id), unit)


@router.get(
    "/{form_id}/deliveries",
    response_model=Page[DeliveryPublic],
    summary="A form's deliveries, the last received first (status=rejected: those to fix and replay)",
)
async def list_deliveries(
    access: AccessDep, cursors: CursorsDep, form_id: FormId, params: Annotated[DeliveryQuery, Query()]
) -> Response:
    def fetch(ctx: Context, filters: DeliveryFilters, after: Any, limit: int) -> Any:
        return forms.deliveries(ctx, form_id, filters, after=after, limit=limit)

    return await answer_page(
        access, cursors, listing=f"form_deliveries:{form_id}", params=params, filters=DeliveryFilters,
        fetch=fetch, page=Page[DeliveryPublic],
    )  # fmt: skip


@router.delete(
    "/{form_id}/deliveries/{delivery_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Drop a kept delivery without storing its survey",
)
async def delete_delivery(
    ctx: ContextDep, unit: UnitDep, form_id: FormId, delivery_id: DeliveryId
) -> Response:
    return await answer(
        lambda: forms.delete_delivery(ctx, form_id, delivery_id), unit, status.HTTP_204_NO_CONTENT
    )


@router.post(
    "/{form_id}/deliveries/{delivery_id}/replay",
    response_model=DeliveryReceipt,
    summary="Store a rejected delivery's survey by the form's current mapping",
)
async def replay(ctx: ContextDep, unit: UnitDep, form_id: FormId, delivery_id: DeliveryId) -> Response:
    return await answer(lambda: forms.replay(ctx, form_id, delivery_id), unit)

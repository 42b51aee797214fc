"""The event system for admins: counters, queue, outbox, dead letters, and replaying them."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations when defined.

import uuid

from fastapi import APIRouter, Response, status

from backend.api.answers import answer, answer_for
from backend.api.deps import AccessDep, ContextDep, UnitDep
from backend.service.events import stats as service
from backend.service.events.stats import EventStats

router = APIRouter(prefix="/admin/events", tags=["events"])


@router.get("", response_model=EventStats, summary="Event counters, queue depth, in flight, dead letters")
async def get_events(access: AccessDep) -> Response:
    return await answer_for(access, lambda ctx: service.stats(ctx.session))


@router.post(
    "/dead-letters/{event_id}/replay",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Deliver a dead letter again (after its handler was fixed)",
)
async def replay_dead_letter(ctx: ContextDep, unit: UnitDep, event_id: uuid.UUID) -> Response:
    return await answer(lambda: service.replay(ctx.session, event_id), unit, status.HTTP_204_NO_CONTENT)

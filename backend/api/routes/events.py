"""The event system for admins: counters, queue, outbox, dead letters, and replaying them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from backend.api.deps import SessionDep
from backend.service.events import stats as service
from backend.service.events.stats import EventStats

router = APIRouter(prefix="/admin/events", tags=["events"])


@router.get("", response_model=EventStats, summary="Event counters, queue depth, in flight, dead letters")
def get_events(session: SessionDep) -> EventStats:
    return service.stats(session)


@router.post(
    "/dead-letters/{event_id}/replay",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Deliver a dead letter again (after its handler was fixed)",
)
def replay_dead_letter(session: SessionDep, event_id: uuid.UUID) -> Response:
    service.replay(session, event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

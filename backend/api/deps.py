"""What routes receive, as ``Annotated`` aliases: the unit of work, the stores, settings and the viewer.

Routes never reach for the ``DatabaseManager`` themselves; tests override ``get_manager`` instead.
Dependencies are ``async def`` unless they do blocking I/O: FastAPI runs a plain ``def`` in the
thread pool, and a thread hop costs more than handing over an object. The access check (which reads
both stores) is a plain ``def``; the unit of work hands its blocking end to the thread pool itself.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.paging import Cursors, cursors_for
from backend.api.policy import rule_for
from backend.config import Settings
from backend.database import DatabaseManager, audit
from backend.database.documents import DocumentStore
from backend.errors import Forbidden, Unauthenticated
from backend.service.access import Viewer
from backend.service.auth import service as auth
from backend.service.context import Context
from backend.service.storage import ObjectStorage, open_storage


async def get_manager() -> DatabaseManager:
    return DatabaseManager()


ManagerDep = Annotated[DatabaseManager, Depends(get_manager)]


@dataclass
class UnitOfWork:
    """The request's unit of work: its session, ended exactly once (committed, or rolled back)."""

    session: Session
    manager: DatabaseManager
    ended: bool = False

    def end(self, failed: BaseException | None = None) -> None:
        """Blocking: commit (or roll back after ``failed``) and close; a second call does nothing."""
        if not self.ended:
            self.ended = True
            self.manager.end_session(self.session, failed=failed)


async def get_unit(request: Request, manager: ManagerDep) -> AsyncIterator[UnitOfWork]:
    """Opened without I/O (read-only for GET and HEAD: no BEGIN/COMMIT round trips) and ended when
    the route returns, before the answer is sent. A route that answers through ``answer()`` ends it
    in the same thread hop as its work; otherwise it ends here."""
    unit = UnitOfWork(manager.open_session(read_only=request.method in ("GET", "HEAD")), manager)
    try:
        yield unit
    except BaseException as exc:
        if not unit.ended:
            await run_in_threadpool(unit.end, exc)
        raise
    if not unit.ended:
        await run_in_threadpool(unit.end)


# scope="function": the commit happens before the response goes out, so a failed commit is the answer.
UnitDep = Annotated[UnitOfWork, Depends(get_unit, scope="function")]


async def get_session(unit: UnitDep) -> Session:
    return unit.session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_store(manager: ManagerDep) -> DocumentStore:
    return manager.documents


async def get_settings(manager: ManagerDep) -> Settings:
    return manager.settings


StoreDep = Annotated[DocumentStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


_storage_lock = threading.Lock()


def get_storage(request: Request, settings: SettingsDep) -> ObjectStorage:
    """The app's object storage, opened once for its settings and kept (a plain ``def``: opening
    it blocks). Opening GCS reads credentials and starts an HTTP session, not a cost per request."""
    with _storage_lock:
        held: tuple[Settings, ObjectStorage] | None = getattr(request.app.state, "storage", None)
        if held is None or held[0] is not settings:  # tests serve one app under many settings
            held = request.app.state.storage = (settings, open_storage(settings))
        return held[1]


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]


async def get_cursors(manager: ManagerDep) -> Cursors:
    return cursors_for(manager.settings)


CursorsDep = Annotated[Cursors, Depends(get_cursors)]

SIGN_IN = "Sign in first: POST /api/v1/auth/login, then send the header Authorization: Bearer <access_token>."


def authorize(request: Request, unit: UnitDep, manager: ManagerDep) -> Context | None:
    """The access check of every /api/v1 route, run by the router from the route table.

    Public routes pass without a token. Every other route needs a live session, whose user becomes
    the audit actor of the request's unit of work, and a role the table allows for the route; the
    answer is the request's Context (session, document store, viewer).
    """
    rule = rule_for(request)
    if rule.public:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(SIGN_IN)
    session, store = unit.session, manager.documents
    viewer = auth.authenticate(session, store, manager.settings, token=token.strip())
    session.info[audit.ACTOR_KEY] = viewer.actor
    if viewer.role not in rule.roles:
        allowed = ", ".join(sorted(role.value for role in rule.roles))
        raise Forbidden(
            f"Your role ({viewer.role.value}) may not {rule.method} {rule.path}; it is for: {allowed}.",
            details={"role": viewer.role.value, "allowed": sorted(r.value for r in rule.roles)},
        )
    return Context(session, store, viewer, request.app.state.warehouse)


Authorized = Annotated[Context | None, Depends(authorize)]


async def get_context(context: Authorized) -> Context:
    assert context is not None, "a route asking for the viewer must not be public in the route table"
    return context


ContextDep = Annotated[Context, Depends(get_context)]


async def get_viewer(context: ContextDep) -> Viewer:
    return context.viewer


ViewerDep = Annotated[Viewer, Depends(get_viewer)]

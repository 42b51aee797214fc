"""What routes receive, as ``Annotated`` aliases: the unit of work, the stores, settings and the viewer.

Routes never reach for the ``DatabaseManager`` themselves; tests override ``get_manager`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.api.paging import Cursors, cursors_for
from backend.api.policy import rule_for
from backend.config import Settings
from backend.database import DatabaseManager, audit
from backend.database.documents import DocumentStore
from backend.errors import Forbidden, Unauthenticated
from backend.service.access import Viewer
from backend.service.auth import service as auth
from backend.service.context import Context


def get_manager() -> DatabaseManager:
    return DatabaseManager()


ManagerDep = Annotated[DatabaseManager, Depends(get_manager)]


def get_session(manager: ManagerDep) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, before the answer is sent."""
    with manager.session() as session:
        yield session


# scope="function": the commit happens before the response goes out, so a failed commit is the answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_store(manager: ManagerDep) -> DocumentStore:
    return manager.documents


def get_settings(manager: ManagerDep) -> Settings:
    return manager.settings


StoreDep = Annotated[DocumentStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_cursors(settings: SettingsDep) -> Cursors:
    return cursors_for(settings)


CursorsDep = Annotated[Cursors, Depends(get_cursors)]

SIGN_IN = "Sign in first: POST /api/v1/auth/login, then send the header Authorization: Bearer <access_token>."


def authorize(request: Request, session: SessionDep, store: StoreDep, settings: SettingsDep) -> Viewer | None:
    """The access check of every /api/v1 route, run by the router from the route table.

    Public routes pass without a token. Every other route needs a live session, whose user becomes
    the audit actor of the request's unit of work, and a role the table allows for the route.
    """
    rule = rule_for(request)
    if rule.public:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(SIGN_IN)
    viewer = auth.authenticate(session, store, settings, token=token.strip())
    session.info[audit.ACTOR_KEY] = viewer.actor
    if viewer.role not in rule.roles:
        allowed = ", ".join(sorted(role.value for role in rule.roles))
        raise Forbidden(
            f"Your role ({viewer.role.value}) may not {rule.method} {rule.path}; it is for: {allowed}.",
            details={"role": viewer.role.value, "allowed": sorted(r.value for r in rule.roles)},
        )
    return viewer


Authorized = Annotated[Viewer | None, Depends(authorize)]


def require_viewer(viewer: Authorized) -> Viewer:
    assert viewer is not None, "a route asking for the viewer must not be public in the route table"
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]


def get_context(session: SessionDep, store: StoreDep, viewer: ViewerDep) -> Context:
    return Context(session=session, store=store, viewer=viewer)


ContextDep = Annotated[Context, Depends(get_context)]

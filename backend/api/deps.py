"""What routes receive, as ``Annotated`` aliases: the unit of work, the stores, settings and the viewer.

Routes never reach for the ``DatabaseManager`` themselves; tests override ``get_manager`` instead.
Dependencies are ``async def`` unless they do blocking I/O: FastAPI runs a plain ``def`` in the
thread pool, and under load each thread hop costs about as much as a short query (the GIL changes
hands). The access check, which reads both stores, is therefore not a dependency of its own: it runs
in the hop of the route's work (``Access``, ``answers.answer_for``); the unit of work hands its
blocking end to the thread pool itself.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.api.paging import Cursors, cursors_for
from backend.api.policy import Rule, rule_for
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
    access: Access | None = getattr(request.state, "access", None)
    if access is not None and access.context is None:  # a programming error: never answer unchecked
        raise RuntimeError(f"{request.method} {request.url.path} answered without checking its access")


# scope="function": the commit happens before the response goes out, so a failed commit is the answer.
UnitDep = Annotated[UnitOfWork, Depends(get_unit, scope="function")]


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


async def get_cursors(request: Request, settings: SettingsDep) -> Cursors:
    """The list cursors' signer, kept per app and settings: finding the key resolves the data
    directory's path, a dozen system calls that every list request paid for."""
    held: tuple[Settings, Cursors] | None = getattr(request.app.state, "cursors", None)
    if held is None or held[0] is not settings:  # tests serve one app under many settings
        held = request.app.state.cursors = (settings, cursors_for(settings))
    return held[1]


CursorsDep = Annotated[Cursors, Depends(get_cursors)]

SIGN_IN = "Sign in first: POST /api/v1/auth/login, then send the header Authorization: Bearer <access_token>."


@dataclass
class Access:
    """The access check of one request to a route that is not public: its route's rule and the
    bearer token it came with, checked once by ``check``.

    The check reads both stores, so it blocks: a route hands it to ``answer_for``, which runs it
    in the thread hop of the route's own work, before that work; ``ContextDep`` runs it in a hop of
    its own. A route answering without it fails loudly (``get_unit``).
    """

    request: Request
    rule: Rule
    token: str
    unit: UnitOfWork
    context: Context | None = None

    def check(self) -> Context:
        """Blocking: the request's Context (session, document store, viewer) for a live session
        whose role the rule allows; the user becomes the audit actor of the unit of work."""
        if self.context is None:
            viewer = self._viewer(self.unit.session)
            self.unit.session.info[audit.ACTOR_KEY] = viewer.actor
            warehouse = self.request.app.state.warehouse
            self.context = Context(self.unit.session, self.unit.manager.documents, viewer, warehouse)
        return self.context

    def check_apart(self) -> None:
        """Blocking: the same check in a read-only unit of its own (for an answer given without the
        request's unit, such as a request-validation error)."""
        manager = self.unit.manager
        session = manager.open_session(read_only=True)
        try:
            self._viewer(session)
        finally:
            manager.end_session(session)

    def _viewer(self, session: Session) -> Viewer:
        manager, rule = self.unit.manager, self.rule
        viewer = auth.authenticate(session, manager.documents, manager.settings, token=self.token)
        if viewer.role not in rule.roles:
            allowed = ", ".join(sorted(role.value for role in rule.roles))
            raise Forbidden(
                f"Your role ({viewer.role.value}) may not {rule.method} {rule.path}; it is for: {allowed}.",
                details={"role": viewer.role.value, "allowed": sorted(r.value for r in rule.roles)},
            )
        return viewer


async def authorize(request: Request, unit: UnitDep) -> Access | None:
    """The access check of every /api/v1 route, set up by the router from the route table.

    Public routes pass without a token. Every other route needs a bearer token here, and a live
    session whose role the table allows for the route when its Access is checked (see ``Access``).
    """
    rule = rule_for(request)
    if rule.public:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(SIGN_IN)
    access = request.state.access = Access(request, rule, token.strip(), unit)
    if not _checks_in_its_work(request):
        await run_in_threadpool(access.check)
    return access


def _checks_in_its_work(request: Request) -> bool:
    """Whether the route takes its Access (or Context) itself, and so checks it in its own hop;
    every other route is checked here. Worked out once per route (routes live as long as the app)."""
    known: dict[int, bool] = request.app.state.checks_in_work
    route: APIRoute = request.scope["route"]
    if (later := known.get(id(route))) is None:
        wanted = {d.call for d in route.dependant.dependencies}
        later = known[id(route)] = bool(wanted & {get_access, get_context})
    return later


Authorized = Annotated[Access | None, Depends(authorize)]


async def get_access(access: Authorized) -> Access:
    assert access is not None, "a route asking for the viewer must not be public in the route table"
    return access


AccessDep = Annotated[Access, Depends(get_access)]


async def get_context(access: AccessDep) -> Context:
    """The checked Context, for a route that needs the viewer before its work (one thread hop)."""
    if access.context is not None:  # the router checked it already
        return access.context
    return await run_in_threadpool(access.check)


ContextDep = Annotated[Context, Depends(get_context)]

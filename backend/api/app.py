"""The FastAPI application: every route under /api/v1 behind the route table, docs at /docs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from backend.api import errors, policy
from backend.api.deps import authorize
from backend.api.middleware import RequestContext
from backend.api.routes import (
    analyses,
    auth,
    events,
    files,
    google_forms,
    health,
    ingest,
    records,
    reports,
    users,
)
from backend.config import Settings
from backend.database import DatabaseManager, init_db
from backend.errors import WellnessError
from backend.service.analysis import service as analysis_service
from backend.service.auth import service as auth_service
from backend.service.bigquery.service import BigQueryService, open_service
from backend.service.events.worker import Worker
from backend.service.ingest import jobs as ingest_jobs

log = logging.getLogger(__name__)
VERSION = "0.1.0"
MULTIPART_OVERHEAD = 64 * 1024  # the form's other fields and part headers around the file


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    manager = DatabaseManager()
    if app.state.migrate:
        await run_in_threadpool(init_db)
        await run_in_threadpool(housekeeping, manager)
    warehouse = app.state.warehouse = await run_in_threadpool(open_service, manager.settings)
    worker = _start_worker(manager, warehouse) if app.state.worker else None
    try:
        yield
    finally:
        if worker is not None:
            await run_in_threadpool(_stop_worker, *worker)
        app.state.warehouse = None
        if warehouse is not None:
            await run_in_threadpool(warehouse.close)
        await run_in_threadpool(manager.close)


def _start_worker(
    manager: DatabaseManager, warehouse: BigQueryService | None
) -> tuple[Worker, threading.Thread]:
    """One event worker in this process (the embedded default: one command gives a working system)."""
    worker = Worker(manager, warehouse=warehouse)
    thread = threading.Thread(target=worker.run, name="event-worker", daemon=True)
    thread.start()
    log.info("An event worker runs in this process (WELLNESS_EMBEDDED_WORKER=false turns it off)")
    return worker, thread


def _stop_worker(worker: Worker, thread: threading.Thread) -> None:
    worker.stop()  # it finishes the event in hand
    thread.join(timeout=60)


def create_app(*, migrate: bool = True, settings: Settings | None = None, worker: bool = False) -> FastAPI:
    """The API; with ``migrate`` the stores are brought up to date on start-up; with ``worker`` one
    event worker runs in the process while it serves."""
    settings = settings or DatabaseManager().settings
    app = FastAPI(
        title="Startup Wellness analytics",
        version=VERSION,
        description="Sign in at POST /api/v1/auth/login, then press Authorize and paste the access_token.",
        lifespan=lifespan,
    )
    app.state.migrate = migrate
    app.state.warehouse = None  # opened by the lifespan: what the analyses read through
    app.state.worker = worker
    errors.install(app)
    # The body limit sits on the router, inside RequestContext, so its early 413 gets the envelope;
    # a route that takes files can raise its own limit (FastAPI's route-level max_body_size).
    v1 = APIRouter(
        prefix=policy.PREFIX, dependencies=[Depends(authorize)], max_body_size=settings.max_body_bytes
    )
    for module in (auth, users, records, ingest, google_forms, analyses, events, files, reports):
        v1.include_router(module.router)
    # File uploads are larger than any JSON body: their route raises the limit for itself alone.
    v1.include_router(ingest.files_router, max_body_size=settings.ingest_max_bytes + MULTIPART_OVERHEAD)
    app.include_router(health.router)
    app.include_router(v1)
    app.state.rules = policy.bind(app.routes)
    app.state.checks_in_work = {}  # per route: does it check its access in its own hop (deps.authorize)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContext)  # outermost: every answer, CORS preflights included, gets an id
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the bearer scheme on exactly the routes the table guards."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "The access_token from /auth/login.",
            }
        }
        for rule in policy.RULES:
            operation = schema["paths"].get(rule.openapi_path, {}).get(rule.method.lower())
            if operation is not None and not rule.public:
                operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def housekeeping(manager: DatabaseManager) -> None:
    """Expired sessions and sign-in counters, and analysis and import jobs finished long ago, are
    deleted."""
    for what, prune in (
        ("expired sessions and sign-in counters", auth_service.prune),
        ("finished analysis jobs", analysis_service.prune_jobs),
        ("completed import jobs", ingest_jobs.prune),
    ):
        try:
            removed = prune(manager.documents, manager.settings)
        except WellnessError as exc:  # housekeeping must not stop the API from starting
            log.warning("Could not delete the %s: %s", what, exc.message)
            continue
        if removed:
            log.info("Deleted %d %s", removed, what)

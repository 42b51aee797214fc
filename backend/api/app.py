"""The FastAPI application and its start-up/shut-down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from backend.api import errors
from backend.api.routes import health
from backend.database import DatabaseManager, init_db


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    manager = DatabaseManager()
    if app.state.migrate:
        await run_in_threadpool(init_db)
    try:
        yield
    finally:
        await run_in_threadpool(manager.close)


def create_app(*, migrate: bool = True) -> FastAPI:
    """The API; with ``migrate`` the schema is brought up to date on start-up."""
    app = FastAPI(title="Startup Wellness analytics", version="0.1.0", lifespan=lifespan)
    app.state.migrate = migrate
    errors.install(app)
    app.include_router(health.router)
    return app

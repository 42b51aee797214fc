"""The one place project errors become HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from backend.errors import WellnessError

log = logging.getLogger(__name__)


async def _wellness_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WellnessError)
    if exc.status_code >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return JSONResponse(status_code=exc.status_code, content=exc.to_dict())


def install(app: FastAPI) -> None:
    app.add_exception_handler(WellnessError, _wellness_error)

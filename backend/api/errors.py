"""The one place errors become HTTP answers, all in one envelope: ``{"error": {code, message, details}}``.

Project errors carry their own status; request-validation errors become ``ValidationFailed`` (422
naming each field); the framework's own HTTP errors (no such route, method not allowed, body too
large) and anything unexpected get the same envelope, the last without internals.
"""

from __future__ import annotations

import email.message
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi import params as params_module
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from backend.errors import (
    FieldProblem,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    WellnessError,
)

log = logging.getLogger(__name__)

_REASONS = {
    "extra_forbidden": "is not a field you can set here",
    "missing": "is required",
    "json_invalid": "is not valid JSON",
}
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def answer(error: WellnessError) -> JSONResponse:
    """The HTTP answer for a project error."""
    return JSONResponse(status_code=error.status_code, content=error.to_dict(), headers=error.headers)


async def _wellness_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WellnessError)
    if exc.status_code >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return answer(exc)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    access = getattr(request.state, "access", None)  # deps.Access, not yet checked by the route
    if access is not None and access.context is None:  # who may call comes before what they sent
        try:
            await run_in_threadpool(access.check_apart)
        except WellnessError as error:
            return answer(error)
    errors = exc.errors()
    expected = _expected_media_type(request)
    if _body_is_not(expected, request, errors):
        how = "as multipart/form-data (a file upload)" if expected == _FORM else "as JSON"
        return answer(
            UnsupportedMediaType(
                f"Send the request body {how}, with the header Content-Type: {expected}.",
                details={"content_type": request.headers.get("content-type"), "expected": expected},
            )
        )
    return answer(ValidationFailed([_problem(error) for error in errors]))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 413:
        return answer(too_large(request.scope))
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = {
        404: f"There is no route {request.url.path}; the API is described at /docs.",
        405: f"{request.method} is not allowed on {request.url.path}; the API is described at /docs.",
    }.get(exc.status_code, str(exc.detail))
    body = {"error": {"code": code, "message": message, "details": {}}}
    return JSONResponse(status_code=exc.status_code, content=body, headers=exc.headers)


def internal_error(request_id: str) -> dict[str, Any]:
    """The body of a 500: no internals, only the id that finds the log lines."""
    message = f"Something went wrong on our side; quote the request id {request_id} when you report it."
    return {"error": {"code": "internal", "message": message, "details": {"request_id": request_id}}}


def too_large(scope: Mapping[str, Any]) -> PayloadTooLarge:
    limit = scope.get("starlette.max_body_size")
    size = f" than {limit:,} bytes" if isinstance(limit, int) else ""
    return PayloadTooLarge(
        f"The request body is larger{size}; send less at once.", details={"max_bytes": limit}
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(WellnessError, _wellness_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http_error)
    # Anything else is answered by the RequestContext middleware (a 500 with the request id).


def _problem(error: dict[str, Any]) -> FieldProblem:
    loc = [str(part) for part in error.get("loc", ())]
    field = ".".join(loc[1:]) or (loc[0] if loc else "request")
    kind = error.get("type", "")
    reason = _REASONS.get(kind) or str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind == "json_invalid":
        field = "body"
        reason = f"is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    value = None if kind in ("missing", "extra_forbidden", "json_invalid") else error.get("input")
    if not isinstance(value, str | int | float | bool | type(None)):
        value = None
    return FieldProblem(field=field, reason=reason, value=value)


_JSON, _FORM = "application/json", "multipart/form-data"


def _expected_media_type(request: Request) -> str:
    """What the route reads its body as: a form (it takes files or form fields) or JSON."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    params = getattr(dependant, "body_params", []) if dependant is not None else []
    is_form = any(isinstance(getattr(p, "field_info", None), params_module.Form) for p in params)
    return _FORM if is_form else _JSON


def _body_is_not(expected: str, request: Request, errors: Sequence[Any]) -> bool:
    """A body sent as something other than the route reads (FastAPI then validates nothing useful)."""
    if not any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors):
        return False
    raw = request.headers.get("content-type")
    if raw is None:  # no type: a problem only when there is a body to have one
        return request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    header = email.message.Message()
    header["content-type"] = raw
    if expected == _FORM:
        return header.get_content_type() not in (_FORM, "application/x-www-form-urlencoded")
    subtype = header.get_content_subtype()
    return not (
        header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))
    )

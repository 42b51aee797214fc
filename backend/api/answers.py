"""Answering with a service's result: run the blocking call in the thread pool, serialise once."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from backend.api.deps import UnitOfWork


async def answer(call: Callable[[], BaseModel | None], unit: UnitOfWork, status_code: int = 200) -> Response:
    """The JSON answer of ``call()``, a Public model the service has already validated (None: no body).

    One thread hop runs the call and ends the unit of work (commit, or rollback on error), so the
    data is committed before the answer is sent. The answer is a ready Response: FastAPI does not
    validate the model a second time; the route's ``response_model`` still documents it.
    """
    result = await run_in_threadpool(_work_then_end, call, unit)
    if result is None:
        return Response(status_code=status_code)
    return Response(result.model_dump_json(), status_code=status_code, media_type="application/json")


def _work_then_end(call: Callable[[], BaseModel | None], unit: UnitOfWork) -> BaseModel | None:
    try:
        result = call()
    except BaseException as exc:
        unit.end(exc)
        raise
    unit.end()
    return result

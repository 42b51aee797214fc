"""Answering with a service's result: run the blocking call in the thread pool, serialise once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from backend.api.deps import Access, UnitOfWork
from backend.api.errors import answer as error_answer
from backend.api.paging import Cursors, Page, PageParams, one_page
from backend.errors import WellnessError
from backend.service.context import Context
from backend.service.schemas import Listing

T = TypeVar("T")
F = TypeVar("F", bound=BaseModel)


async def answer(
    call: Callable[[], BaseModel | None],
    unit: UnitOfWork,
    status_code: int = 200,
    *,
    status_of: Callable[[BaseModel], tuple[int, dict[str, str]]] | None = None,
) -> Response:
    """The JSON answer of ``call()``, a Public model the service has already validated (None: no body).

    One thread hop runs the call and ends the unit of work (commit, or rollback on error), so the
    data is committed before the answer is sent. The answer is a ready Response: FastAPI does not
    validate the model a second time; the route's ``response_model`` still documents it.
    ``status_of`` gives the status and headers from the result (a 202 with its Location, say).
    """
    result = await run_in_threadpool(_work_then_end, call, unit)
    if result is None:
        return Response(status_code=status_code)
    headers: dict[str, str] = {}
    if status_of is not None:
        status_code, headers = status_of(result)
    body = result.model_dump_json()
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


async def answer_for(
    access: Access, call: Callable[[Context], BaseModel | None], status_code: int = 200
) -> Response:
    """As ``answer``, with the request's access check in the same thread hop, before ``call``
    gets the checked Context: one hop for the whole request."""
    return await answer(lambda: call(access.check()), access.unit, status_code)


async def answer_page(
    access: Access,
    cursors: Cursors,
    *,
    listing: str,
    params: PageParams,
    filters: type[F],
    fetch: Callable[[Context, F, Any, int], Listing[Any]],
    page: type[Page[Any]],
) -> Response:
    """One page of a list (``paging.one_page``), checked and fetched in one thread hop:
    ``fetch(ctx, filters, after, limit)``."""

    def one(ctx: Context) -> Page[Any]:
        def fetch_for(chosen: F, after: Any, limit: int) -> Listing[Any]:
            return fetch(ctx, chosen, after, limit)

        return one_page(cursors, listing=listing, params=params, filters=filters, fetch=fetch_for, page=page)

    return await answer_for(access, one)


async def answer_or_error(call: Callable[[], BaseModel | WellnessError], unit: UnitOfWork) -> Response:
    """As ``answer``, for a call that may *return* an error: its writes are committed all the same
    (a rejected delivery is kept), and the error is the answer. A raised error rolls back, as ever."""
    result = await run_in_threadpool(_work_then_end, call, unit)
    if isinstance(result, WellnessError):
        return error_answer(result)
    assert result is not None
    return Response(result.model_dump_json(), media_type="application/json")


def _work_then_end(call: Callable[[], T], unit: UnitOfWork) -> T:
    try:
        result = call()
    except BaseException as exc:
        unit.end(exc)
        raise
    unit.end()
    return result

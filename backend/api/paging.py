"""Cursor paging: signed, opaque cursors bound to one list and one set of filters.

A cursor carries the key to continue after. It is signed with the server's secret key under a salt
naming the list, and holds a digest of the filters it was made with; a cursor that was changed, comes
from another list, or is used with other filters is refused (422), never silently misread.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field, create_model

from backend.config import Settings
from backend.errors import FieldProblem, ValidationFailed
from backend.security import secret_key
from backend.service.schemas import Listing

T = TypeVar("T")
MAX_LIMIT = 500


class PageParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}.")] = 50
    cursor: Annotated[str | None, Field(max_length=512, description="next_cursor of the page before.")] = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class Cursors:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, listing: str, filters: BaseModel, after: int | str | None) -> str | None:
        if after is None:
            return None
        return str(self._serializer(listing).dumps({"after": after, "filters": _digest(filters)}))

    def decode(self, listing: str, filters: BaseModel, cursor: str | None) -> Any:
        """The key to continue after, or None for the first page."""
        if cursor is None:
            return None
        try:
            payload = self._serializer(listing).loads(cursor)
        except BadSignature:
            payload = None
        if not isinstance(payload, dict) or payload.get("filters") != _digest(filters):
            raise ValidationFailed(
                [
                    FieldProblem(
                        "cursor",
                        "is not a cursor of this list with these filters (changed, or from another list); "
                        "start again without it",
                        value=cursor,
                    )
                ]
            )
        return payload.get("after")

    def _serializer(self, listing: str) -> URLSafeSerializer:
        return URLSafeSerializer(self._key, salt=f"cursor:{listing}")


def cursors_for(settings: Settings) -> Cursors:
    return _cursors(secret_key(settings))


@functools.cache
def _cursors(key: bytes) -> Cursors:
    return Cursors(key)


def _digest(filters: BaseModel) -> str:
    return hashlib.sha256(filters.model_dump_json().encode()).hexdigest()[:16]


F = TypeVar("F", bound=BaseModel)


def query_model(filters: type[BaseModel]) -> type[PageParams]:
    """The query parameters of a list: its filters, plus ``limit`` and ``cursor``."""
    bases: tuple[type[PageParams], ...] = (filters, PageParams)  # type: ignore[assignment]
    return create_model(f"{filters.__name__}Query", __base__=bases)


def one_page(
    cursors: Cursors,
    *,
    listing: str,
    params: PageParams,
    filters: type[F],
    fetch: Callable[[F, Any, int], Listing[Any]],
    page: type[Page[Any]],
) -> Page[Any]:
    """Decode the cursor, fetch one page with the filters, and answer it with the next cursor."""
    chosen = filters.model_validate(params.model_dump(include=set(filters.model_fields)))
    result = fetch(chosen, cursors.decode(listing, chosen, params.cursor), params.limit)
    return page(items=result.items, next_cursor=cursors.encode(listing, chosen, result.next_after))

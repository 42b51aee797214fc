"""Shapes every service shares: the Public base of response schemas, Tokyo time, and one page of a list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from backend.errors import FieldProblem, ValidationFailed

# Asia/Tokyo has had no daylight saving time since 1951, so a fixed offset is exact (and needs no tzdata).
TOKYO = timezone(timedelta(hours=9), "Asia/Tokyo")


def _in_tokyo(value: datetime) -> datetime:
    return value.astimezone(TOKYO)


# Stored in UTC, shown in Tokyo time: 2024-04-01T09:00:00+09:00.
TokyoTime = Annotated[AwareDatetime, AfterValidator(_in_tokyo)]


class Public(BaseModel):
    """Base of what services hand out: built from rows or documents, never carrying secrets."""

    model_config = ConfigDict(from_attributes=True)


P = TypeVar("P", bound=Public)


@dataclass(frozen=True)
class Listing(Generic[P]):
    """One page of a list; ``next_after`` is the key to continue after (None: this was the last page)."""

    items: list[P]
    next_after: int | str | None


def require_changes(changes: BaseModel) -> None:
    """Refuse an update that sets nothing: it is almost always a mistake in the request."""
    if not changes.model_fields_set:
        raise ValidationFailed([FieldProblem("body", "an update needs at least one field")])

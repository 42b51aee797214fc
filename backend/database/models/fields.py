"""The field types and checks the document models share, and their base class."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
)

from backend.database.documents.paths import MAX_ID_BYTES, document_id_problem
from backend.database.documents.values import check_value
from backend.database.validation import INT64_MAX, MultiLine, NoNul, SingleLine, no_nul
from backend.errors import ValidationFailed

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _utc(value: datetime) -> datetime:
    # A bound on the year keeps every stored time showable in Tokyo time (9999-12-31 in UTC is
    # year 10000 there, which Python cannot represent) and catches typing slips such as 20240.
    if not 1900 <= value.year <= 2200:
        raise ValueError(f"has the year {value.year}; give a time between the years 1900 and 2200")
    return value.astimezone(UTC)


def _document_id(value: str) -> str:
    if (reason := document_id_problem(value)) is not None:
        raise ValueError(reason)
    return value


def _ip_text(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None


def _sha256_hex(value: str) -> str:
    if not _SHA256_HEX.fullmatch(value):
        raise ValueError("must be the SHA-256 of the token as 64 lowercase hex characters, never the token")
    return value


def _score(value: object) -> object:
    # checked here in full: a failure inside the int | float union would be reported once per member
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValueError("must be a number from 0 to 100")
    return value


NotBlank = AfterValidator(_not_blank)
Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]
Count = Annotated[int, Field(strict=True, ge=0, le=10**9)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_utc)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine, NotBlank]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine, NotBlank]
Key = Annotated[str, StringConstraints(min_length=1, max_length=512), SingleLine, NotBlank]
StoragePath = Annotated[str, StringConstraints(min_length=1, max_length=1024), SingleLine, NotBlank]
LongText = Annotated[str, StringConstraints(max_length=5000), MultiLine]
Body = Annotated[str, StringConstraints(min_length=1, max_length=10_000), MultiLine, NotBlank]
DocumentId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_BYTES), AfterValidator(_document_id)
]
IpAddress = Annotated[str, StringConstraints(max_length=64), AfterValidator(_ip_text)]
UserAgent = Annotated[str, StringConstraints(max_length=512), NoNul]
TokenHash = Annotated[str, AfterValidator(_sha256_hex)]
Score = Annotated[int | float, BeforeValidator(_score), Field(ge=0, le=100, allow_inf_nan=False)]
ReportFormat = Literal["pdf", "xlsx"]


def _no_nul_inside(value: Any) -> None:
    if isinstance(value, str):
        no_nul(value)
    elif isinstance(value, list):
        for item in value:
            _no_nul_inside(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            no_nul(key)
            _no_nul_inside(item)


def _bounded_map(max_bytes: int) -> AfterValidator:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        try:  # Firestore's rules: field names, nesting depth, int64 range, size (an int is 8 bytes...)
            size = check_value(value, [], 0)
        except ValidationFailed as exc:
            raise ValueError(exc.problems[0].describe()) from None
        _no_nul_inside(value)
        if size > max_bytes:
            raise ValueError(f"is {size:,} bytes when stored; at most {max_bytes:,} bytes are allowed")
        return value

    return AfterValidator(check)


Parameters = Annotated[dict[str, JsonValue], _bounded_map(16_384)]
Result = Annotated[dict[str, JsonValue], _bounded_map(1_000_000)]


class DocumentModel(BaseModel):
    """The base of every document model: unknown fields refused, no infinities or NaN."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def check_later(info: ValidationInfo, value: datetime | None, earlier: str, *, strictly: bool = True) -> None:
    """Raise when ``value`` is not after the (valid) field ``earlier``."""
    start = info.data.get(earlier)
    if value is None or start is None:
        return
    if value < start or (strictly and value == start):
        raise ValueError(f"must be {'after' if strictly else 'at or after'} {earlier}")

"""Firestore's value model: the special types, the write sentinels, validation and limits, ordering.

Both adapters validate with ``check_document`` before anything is written, so the embedded store
and Firestore refuse the same documents with the same error. ``compare`` is Firestore's total
order over all values (null < booleans < NaN < numbers < timestamps < strings < bytes <
references < geo points < arrays < maps); the embedded store uses it wherever SQL cannot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.database.documents.paths import FieldPath, check_field_name, document_name_size, document_path
from backend.database.validation import INT64_MAX, INT64_MIN
from backend.errors import FieldProblem, ValidationFailed

MAX_DOCUMENT_BYTES = 1_048_576
MAX_DEPTH = 20


@dataclass(frozen=True, order=True)
class GeoPoint:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError("latitude must be within [-90, 90] and longitude within [-180, 180]")


@dataclass(frozen=True)
class Reference:
    """A reference to another document, by its path (``companies/1``)."""

    path: str

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SERVER_TIMESTAMP: Any = _Sentinel("SERVER_TIMESTAMP")
"""Replaced by the commit time of the write."""
DELETE_FIELD: Any = _Sentinel("DELETE_FIELD")
"""In ``update`` (or ``set(merge=True)``): removes the field."""


@dataclass(frozen=True)
class Increment:
    """Adds ``amount`` to the stored number (a missing or non-numeric field becomes ``amount``)."""

    amount: int | float


def is_sentinel(value: object) -> bool:
    return value is SERVER_TIMESTAMP or value is DELETE_FIELD or isinstance(value, Increment)


# --- validation and size -----------------------------------------------------------------------


class _Bad(Exception):
    """A rule broken deep inside a value; each enclosing map adds its field name on the way out."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.path: list[str] = []

    def to_error(self, prefix: list[str]) -> ValidationFailed:
        where = ".".join([*prefix, *reversed(self.path)]) or "document"
        return ValidationFailed([FieldProblem(where, self.reason)])


_TOO_DEEP = f"maps and arrays may be nested at most {MAX_DEPTH} deep"


def _size(value: Any, depth: int, in_array: bool, allow_delete: bool) -> int:
    """Firestore's storage size of a value, checking its rules (the write path's hot loop)."""
    kind = type(value)
    if kind is str:
        return (len(value) if value.isascii() else len(value.encode())) + 1
    if kind is int:
        if not INT64_MIN <= value <= INT64_MAX:
            raise _Bad("integer is outside the 64-bit range")
        return 8
    if kind is bool or value is None:
        return 1
    if kind is float:
        return 8
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        if depth >= MAX_DEPTH:
            raise _Bad(_TOO_DEEP)
        return _fields(value, depth + 1, allow_delete)
    if kind is list or kind is tuple:
        if in_array:
            raise _Bad("an array cannot directly contain another array")
        if depth >= MAX_DEPTH:
            raise _Bad(_TOO_DEEP)
        total = 0
        for item in value:
            total += _size(item, depth + 1, True, allow_delete)
        return total
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _Bad("timestamps must be timezone-aware (use UTC)")
        if value.year in (1, 9999):  # only near the ends can the instant fall outside Firestore's range
            _check_timestamp_range(value)
        return 8
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, GeoPoint):
        return 16
    if isinstance(value, Reference):
        document_path(value.path)
        return document_name_size(value.path)
    if is_sentinel(value):
        if in_array:
            raise _Bad(f"{value!r} cannot be used inside an array")
        if value is DELETE_FIELD and not allow_delete:
            raise _Bad("DELETE_FIELD works only with update or merge")
        if isinstance(value, Increment) and type(value.amount) not in (int, float):
            raise _Bad("Increment takes an int or a float")
        return 8
    raise _Bad(f"{kind.__name__} is not a storable value")


def _check_timestamp_range(value: datetime) -> None:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise _Bad(
            "timestamp is outside Firestore's range (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z)"
        ) from None


# Field names already checked, with their storage size: documents of a collection share their names.
_NAME_SIZES: dict[str, int] = {}


def _name_size(name: Any) -> int:
    try:
        check_field_name(name)
    except ValidationFailed as exc:
        bad = _Bad(exc.problems[0].reason)
        bad.path.append(str(name) if name else "field")
        raise bad from None
    size: int = len(name.encode()) + 1
    if len(_NAME_SIZES) > 50_000:
        _NAME_SIZES.clear()
    _NAME_SIZES[name] = size
    return size


def _fields(fields: Mapping[Any, Any], depth: int, allow_delete: bool) -> int:
    size = 0
    sizes = _NAME_SIZES
    for name, value in fields.items():
        size += sizes.get(name) or _name_size(name)
        try:
            size += _size(value, depth, False, allow_delete)
        except _Bad as bad:
            bad.path.append(name)
            raise
    return size


def check_value(value: object, path: list[str], depth: int = 0, *, in_array: bool = False) -> int:
    """Validate one value (``path`` names it in errors); return its Firestore storage size."""
    try:
        return _size(value, depth, in_array, True)
    except _Bad as bad:
        raise bad.to_error(path) from None


def check_document(doc_path: str, data: Mapping[str, Any], *, allow_delete: bool = True) -> int:
    """Validate a whole document against Firestore's rules; return its storage size."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationFailed([FieldProblem("document", "must be a mapping of field names to values")])
    try:
        size = document_name_size(doc_path) + _fields(data, 0, allow_delete) + 32
    except _Bad as bad:
        raise bad.to_error([]) from None
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            [
                FieldProblem(
                    "document", f"is {size:,} bytes; a document may be at most {MAX_DOCUMENT_BYTES:,} bytes"
                )
            ]
        )
    return size


def lookup(data: Mapping[str, Any], field: FieldPath) -> tuple[bool, Any]:
    """(True, value) when ``field`` exists in ``data``; (False, None) otherwise."""
    current: Any = data
    for part in field:
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def is_null_or_nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- ordering ----------------------------------------------------------------------------------

NULL, BOOLEAN, NAN, NUMBER, TIMESTAMP, STRING, BYTES, REFERENCE, GEO, ARRAY, MAP = range(11)


def rank(value: object) -> int:
    """Position of the value's type in Firestore's ordering (NaN sorts below every other number)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return NUMBER
    if isinstance(value, float):
        return NAN if math.isnan(value) else NUMBER
    if isinstance(value, datetime):
        return TIMESTAMP
    if isinstance(value, str):
        return STRING
    if isinstance(value, bytes):
        return BYTES
    if isinstance(value, Reference):
        return REFERENCE
    if isinstance(value, GeoPoint):
        return GEO
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, Mapping):
        return MAP
    raise TypeError(f"not a document value: {type(value).__name__}")


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def compare(a: object, b: object) -> int:
    """-1, 0 or 1: Firestore's order of two values of any types."""
    ra, rb = rank(a), rank(b)
    if ra != rb:
        return _sign(ra, rb)
    if ra in (NULL, NAN):
        return 0
    if ra == REFERENCE:
        return _sign(a.segments, b.segments)  # type: ignore[attr-defined]
    if ra == TIMESTAMP:
        return _sign(a.astimezone(UTC), b.astimezone(UTC))  # type: ignore[attr-defined]
    if ra == ARRAY:
        for x, y in zip(a, b, strict=False):  # type: ignore[call-overload]
            if c := compare(x, y):
                return c
        return _sign(len(a), len(b))  # type: ignore[arg-type]
    if ra == MAP:
        ka, kb = sorted(a), sorted(b)  # type: ignore[call-overload]
        for x, y in zip(ka, kb, strict=False):
            if c := _sign(x, y) or compare(a[x], b[y]):  # type: ignore[index]
                return c
        return _sign(len(ka), len(kb))
    return _sign(a, b)


def equal(a: object, b: object) -> bool:
    """Firestore equality: 1 == 1.0, NaN == NaN, maps equal whatever their key order."""
    return compare(a, b) == 0


@dataclass(frozen=True)
class SortKey:
    """Wraps a value so Python's sort uses Firestore's order (missing values are never sorted)."""

    value: Any
    descending: bool = False

    def __lt__(self, other: SortKey) -> bool:
        c = compare(self.value, other.value)
        return c > 0 if self.descending else c < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SortKey) and compare(self.value, other.value) == 0

    def __hash__(self) -> int:  # pragma: no cover - only ordered, never hashed
        raise TypeError("SortKey is not hashable")

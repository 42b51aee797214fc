"""What a write does to a stored document, by Firestore's rules (used by the embedded store).

set replaces the document; set(merge=True) merges maps deeply; update sets field paths
(``a.b``), creating maps on the way. SERVER_TIMESTAMP becomes the commit time; Increment adds to
the current number (a missing or non-numeric value counts as absent); DELETE_FIELD removes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.database.documents.paths import parse_field_path
from backend.database.documents.port import Write
from backend.database.documents.values import DELETE_FIELD, SERVER_TIMESTAMP, Increment
from backend.errors import Conflict, FieldProblem, NotFound, ValidationFailed


def apply(current: dict[str, Any] | None, write: Write, now: datetime) -> dict[str, Any] | None:
    """The document after ``write`` (None: deleted); raises NotFound / Conflict like Firestore."""
    if write.kind == "delete":
        return None
    if write.kind == "create" and current is not None:
        raise Conflict(f"Document {write.path} already exists.", details={"path": write.path})
    if write.kind == "update" and current is None:
        raise NotFound(f"No document {write.path} to update.", details={"path": write.path})
    if write.kind in ("set", "create"):
        return _resolve(write.data, None, now, allow_delete=False)
    result = dict(current or {})
    if write.kind == "merge":
        _merge(result, write.data, now)
        return result
    for key, value in write.data.items():
        _set_path(result, parse_field_path(key), value, now)
    return result


def _transform(value: Any, old: Any, now: datetime) -> Any:
    if value is SERVER_TIMESTAMP:
        return now
    if isinstance(value, Increment):
        if isinstance(old, int | float) and not isinstance(old, bool):
            total = old + value.amount
            if isinstance(total, int) and not -(2**63) <= total < 2**63:
                total = 2**63 - 1 if total > 0 else -(2**63)  # Firestore saturates integer overflow
            return total
        return value.amount
    return value


def _resolve(
    data: Mapping[str, Any], old: Mapping[str, Any] | None, now: datetime, *, allow_delete: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is DELETE_FIELD:
            if not allow_delete:
                raise ValidationFailed([FieldProblem(key, "DELETE_FIELD works only with update or merge")])
            continue
        previous = old.get(key) if isinstance(old, Mapping) else None
        if isinstance(value, Mapping):
            out[key] = _resolve(
                value, previous if isinstance(previous, Mapping) else None, now, allow_delete=allow_delete
            )
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = _transform(value, previous, now)
    return out


def _merge(target: dict[str, Any], data: Mapping[str, Any], now: datetime) -> None:
    for key, value in data.items():
        if value is DELETE_FIELD:
            target.pop(key, None)
        elif isinstance(value, Mapping) and value:
            inner = target.get(key)
            inner = dict(inner) if isinstance(inner, Mapping) else {}
            _merge(inner, value, now)
            target[key] = inner
        elif isinstance(value, Mapping):  # merging {} keeps an existing map, else sets an empty one
            if not isinstance(target.get(key), Mapping):
                target[key] = {}
        else:
            target[key] = list(value) if isinstance(value, tuple) else _transform(value, target.get(key), now)


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any, now: datetime) -> None:
    for part in path[:-1]:
        inner = target.get(part)
        inner = dict(inner) if isinstance(inner, Mapping) else {}
        target[part] = inner
        target = inner
    last = path[-1]
    if value is DELETE_FIELD:
        target.pop(last, None)
    elif isinstance(value, Mapping):
        target[last] = _resolve(value, None, now, allow_delete=False)
    else:
        target[last] = list(value) if isinstance(value, tuple) else _transform(value, target.get(last), now)

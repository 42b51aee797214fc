"""Composite indexes as code: the registry of indexes the code's queries need, and the check.

Firestore serves a query from single-field indexes when it has only equality conditions, or
touches a single field; anything else (equality plus an order on another field, two orders, a
range plus an equality, ...) needs a composite index that must be declared here and deployed
(``wellness db indexes --export firestore.indexes.json``, then ``firebase deploy --only
firestore:indexes``). Both adapters run ``check`` before a query, so a missing declaration fails
in the tests, never first in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from backend.database.documents.paths import FieldPath, collection_id, collection_path, parse_field_path
from backend.database.documents.query import EQUALITY, Query
from backend.errors import WellnessError

Kind = Literal["asc", "desc", "contains"]


class MissingIndex(WellnessError):
    """A query needs a composite index that the registry does not declare."""

    status_code = 500
    code = "missing_index"


@dataclass(frozen=True)
class IndexField:
    path: FieldPath
    kind: Kind

    def describe(self) -> str:
        return f"{'.'.join(self.path)} {self.kind.upper()}"

    def to_json(self) -> dict[str, str]:
        if self.kind == "contains":
            return {"fieldPath": ".".join(self.path), "arrayConfig": "CONTAINS"}
        return {
            "fieldPath": ".".join(self.path),
            "order": "ASCENDING" if self.kind == "asc" else "DESCENDING",
        }


@dataclass(frozen=True)
class CompositeIndex:
    collection: str  # the collection id (a collection group: 'chats' matches companies/*/chats too)
    fields: tuple[IndexField, ...]

    def describe(self) -> str:
        return f"{self.collection} ({', '.join(f.describe() for f in self.fields)})"

    def to_json(self) -> dict[str, object]:
        return {
            "collectionGroup": self.collection,
            "queryScope": "COLLECTION",
            "fields": [f.to_json() for f in self.fields],
        }


def index(collection: str, *fields: str) -> CompositeIndex:
    """``index('consultations', 'company_id', '-answered_at', 'tags[]')``: '-' descending, '[]' contains."""
    parsed = []
    for spec in fields:
        if spec.endswith("[]"):
            parsed.append(IndexField(parse_field_path(spec[:-2]), "contains"))
        elif spec.startswith("-"):
            parsed.append(IndexField(parse_field_path(spec[1:]), "desc"))
        else:
            parsed.append(IndexField(parse_field_path(spec), "asc"))
    return CompositeIndex(collection, tuple(parsed))


# The composite indexes the code's own queries need (crud.py, services). Add one here when the
# check below says so, with the line it prints.
INDEXES: tuple[CompositeIndex, ...] = (
    index("chats", "company_id", "thread_id", "created_at"),
    index("chats", "company_id", "-created_at"),
    index("chats", "company_id", "created_at"),
    index("consultations", "company_id", "answered_at"),
    index("consultations", "company_id", "phase", "answered_at"),
    index("consultations", "employee_id", "answered_at"),
    # the API's survey, treatment and chat lists: every combination of their equality filters
    index("consultations", "phase", "answered_at"),
    index("consultations", "company_id", "employee_id", "answered_at"),
    index("consultations", "employee_id", "phase", "answered_at"),
    index("consultations", "company_id", "employee_id", "phase", "answered_at"),
    index("treatments", "company_id", "employee_id", "started_at"),
    index("chats", "thread_id", "created_at"),
    index("treatments", "company_id", "started_at"),
    index("treatments", "employee_id", "started_at"),
    index("reports", "company_id", "-created_at"),
    index("reports", "status", "created_at"),  # the report worker takes the oldest request first
    index("reports", "status", "-created_at"),  # listing reports of one status, newest first
    index("sessions", "user_id", "-created_at"),
    index("analytics", "analysis", "company_id", "-computed_at"),
    index("analytics", "company_id", "-computed_at"),
)


def required_index(query: Query) -> CompositeIndex | None:
    """The composite index Firestore needs for ``query``, or None when single-field indexes do."""
    equality: dict[FieldPath, Kind] = {}
    for c in query.conditions:
        if c.op in ("==", "in"):
            equality.setdefault(c.field, "asc")
        elif c.op in EQUALITY:
            equality[c.field] = "contains"
    orders = [o for o in query.effective_orders if o.field not in equality]
    touched = set(equality) | {o.field for o in orders}
    if not orders or len(touched) <= 1:
        return None
    fields = [IndexField(f, k) for f, k in sorted(equality.items())]
    fields += [IndexField(o.field, o.direction) for o in orders]
    return CompositeIndex(collection_id(query.collection), tuple(fields))


class IndexRegistry:
    """The declared composite indexes; ``check`` raises MissingIndex naming the one to add."""

    def __init__(self, indexes: Iterable[CompositeIndex] = INDEXES) -> None:
        self.indexes = tuple(indexes)

    def query(self, collection: str, **spec: Any) -> Query:
        """``Query.build`` for ``collection``, then ``check``: how both adapters start every query."""
        query = Query.build(collection_path(collection), **spec)
        self.check(query)
        return query

    def check(self, query: Query) -> None:
        needed = required_index(query)
        if needed is None:
            return
        n_equality = len({c.field for c in query.conditions if c.op in EQUALITY})
        if any(serves(d, needed, n_equality) for d in self.indexes):
            return
        spec = ", ".join(repr(_spec(f)) for f in needed.fields)
        raise MissingIndex(
            f"This query on {query.collection} needs the composite index {needed.describe()}, which is "
            f"not declared. Add `index({needed.collection!r}, {spec})` to INDEXES in "
            "backend/database/documents/indexes.py, then export and deploy it "
            "(wellness db indexes --export firestore.indexes.json).",
            details={"index": needed.to_json()},
        )

    def to_json(self) -> dict[str, object]:
        return {"indexes": [i.to_json() for i in self.indexes], "fieldOverrides": []}

    def export(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")


def serves(declared: CompositeIndex, needed: CompositeIndex, n_equality: int) -> bool:
    """Whether ``declared`` serves a query needing ``needed`` (whose first ``n_equality`` fields come
    from equality conditions): same collection and length, those fields first in any order and
    either direction, then the ordered fields exactly."""
    if declared.collection != needed.collection or len(declared.fields) != len(needed.fields):
        return False

    def head(fields: tuple[IndexField, ...]) -> set[tuple[FieldPath, bool]]:
        return {(f.path, f.kind == "contains") for f in fields[:n_equality]}

    tail_declared, tail_needed = declared.fields[n_equality:], needed.fields[n_equality:]
    return head(declared.fields) == head(needed.fields) and tail_declared == tail_needed


def _spec(field: IndexField) -> str:
    path = ".".join(field.path)
    return f"{path}[]" if field.kind == "contains" else f"-{path}" if field.kind == "desc" else path

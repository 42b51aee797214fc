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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from backend.database.documents.aggregates import Aggregation, Wanted, fields, index_query, wanted
from backend.database.documents.paths import FieldPath, collection_id, parse_field_path
from backend.database.documents.query import EQUALITY, Query, target
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
    """An index Firestore must be told about: a composite one (two or more fields), or, with
    ``group``, a single-field one for collection-group queries (Firestore keeps single-field
    indexes of collection scope by itself, but not of collection-group scope)."""

    collection: str  # the collection id: 'chats' serves companies/*/chats as well as chats
    fields: tuple[IndexField, ...]
    group: bool = False  # queryScope COLLECTION_GROUP: serves collection_group('chats') queries

    def describe(self) -> str:
        scope = ", collection group" if self.group else ""
        return f"{self.collection} ({', '.join(f.describe() for f in self.fields)}){scope}"

    def to_json(self) -> dict[str, object]:
        return {
            "collectionGroup": self.collection,
            "queryScope": "COLLECTION_GROUP" if self.group else "COLLECTION",
            "fields": [f.to_json() for f in self.fields],
        }


def index(collection: str, *fields: str, group: bool = False) -> CompositeIndex:
    """``index('consultations', 'company_id', '-answered_at', 'tags[]')``: '-' descending, '[]' contains;
    ``group=True`` for collection-group queries (one field: a single-field index of that scope)."""
    parsed = []
    for spec in fields:
        if spec.endswith("[]"):
            parsed.append(IndexField(parse_field_path(spec[:-2]), "contains"))
        elif spec.startswith("-"):
            parsed.append(IndexField(parse_field_path(spec[1:]), "desc"))
        else:
            parsed.append(IndexField(parse_field_path(spec), "asc"))
    if len(parsed) < (1 if group else 2):
        raise ValueError(
            f"index({collection!r}, ...) needs two or more fields (one with group=True): Firestore keeps "
            "single-field indexes of collection scope by itself"
        )
    return CompositeIndex(collection, tuple(parsed), group)


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
    index("reports", "requested_by", "-created_at"),  # a VC user's own reports, newest first
    index("reports", "status", "created_at"),  # the report worker takes the oldest request first
    index("reports", "status", "-created_at"),  # listing reports of one status, newest first
    index("sessions", "user_id", "-created_at"),
    index("analytics", "analysis", "company_id", "-computed_at"),
    index("analytics", "company_id", "-computed_at"),
    # Google Forms: the forms of a company (active or not), and a form's deliveries (of one status)
    index("google_forms", "company_id", "-created_at"),
    index("google_forms", "active", "-created_at"),
    index("google_forms", "company_id", "active", "-created_at"),
    index("form_deliveries", "company_id", "-last_received_at"),
    index("form_deliveries", "form_id", "-last_received_at"),
    index("form_deliveries", "form_id", "status", "-last_received_at"),
)


def required_index(query: Query) -> CompositeIndex | None:
    """The composite index Firestore needs for ``query``, or None when single-field indexes do."""
    equality = _equality_fields(query)
    orders = [o for o in query.effective_orders if o.field not in equality]
    touched = set(equality) | {o.field for o in orders}
    if not orders or len(touched) <= 1:
        return None
    fields = [IndexField(f, k) for f, k in sorted(equality.items())]
    fields += [IndexField(o.field, o.direction) for o in orders]
    return CompositeIndex(collection_id(query.collection), tuple(fields), query.group)


def required_group_fields(query: Query) -> list[CompositeIndex]:
    """The single-field indexes of collection-group scope a collection-group query needs when it
    needs no composite index: one per field it filters or orders on."""
    if not query.group or required_index(query) is not None:
        return []
    needed = dict(_equality_fields(query))
    for order in query.effective_orders:
        needed.setdefault(order.field, order.direction)
    return [CompositeIndex(query.collection, (IndexField(f, k),), True) for f, k in sorted(needed.items())]


def _equality_fields(query: Query) -> dict[FieldPath, Kind]:
    equality: dict[FieldPath, Kind] = {}
    for c in query.conditions:
        if c.op in ("==", "in"):
            equality.setdefault(c.field, "asc")
        elif c.op in EQUALITY:
            equality[c.field] = "contains"
    return equality


class IndexRegistry:
    """The declared composite indexes; ``check`` raises MissingIndex naming the one to add."""

    def __init__(self, indexes: Iterable[CompositeIndex] | None = None) -> None:
        self.indexes = tuple(INDEXES if indexes is None else indexes)

    def query(
        self, collection: str | None = None, *, collection_group: str | None = None, **spec: Any
    ) -> Query:
        """``Query.build`` for the collection (or collection group), then ``check``: how both adapters
        start every query."""
        name, group = target(collection, collection_group)
        query = Query.build(name, group=group, **spec)
        self.check(query)
        return query

    def aggregate_query(
        self,
        collection: str | None,
        aggregations: Mapping[str, Aggregation],
        *,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> tuple[Query, tuple[Wanted, ...]]:
        """The query and the checked aggregations of an aggregation query, its indexes checked."""
        name, group = target(collection, collection_group)
        query = Query.build(name, group=group, conditions=conditions)
        requested = wanted(aggregations)
        self.check(index_query(query, fields(requested)))
        return query, requested

    def check(self, query: Query) -> None:
        needed = required_index(query)
        if needed is not None:
            n_equality = len({c.field for c in query.conditions if c.op in EQUALITY})
            if not any(serves(d, needed, n_equality) for d in self.indexes):
                raise _missing(query, needed)
        for single in required_group_fields(query):
            if not any(serves(d, single, 0) or _serves_equality(d, single, query) for d in self.indexes):
                raise _missing(query, single)

    def to_json(self) -> dict[str, object]:
        composite = [i for i in self.indexes if len(i.fields) > 1]
        return {"indexes": [i.to_json() for i in composite], "fieldOverrides": self._field_overrides()}

    def _field_overrides(self) -> list[dict[str, object]]:
        """Single-field indexes of collection-group scope. An override replaces a field's automatic
        indexes, so it lists the automatic collection-scope ones (ascending, descending, contains) too."""
        overrides: dict[tuple[str, str], list[dict[str, str]]] = {}
        for declared in self.indexes:
            if len(declared.fields) != 1:
                continue
            field = declared.fields[0]
            key = (declared.collection, ".".join(field.path))
            entries = overrides.setdefault(
                key,
                [
                    {"order": "ASCENDING", "queryScope": "COLLECTION"},
                    {"order": "DESCENDING", "queryScope": "COLLECTION"},
                    {"arrayConfig": "CONTAINS", "queryScope": "COLLECTION"},
                ],
            )
            entry = {k: v for k, v in field.to_json().items() if k != "fieldPath"}
            entry["queryScope"] = "COLLECTION_GROUP"
            if entry not in entries:
                entries.append(entry)
        return [
            {"collectionGroup": collection, "fieldPath": path, "indexes": entries}
            for (collection, path), entries in sorted(overrides.items())
        ]

    def export(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")


def serves(declared: CompositeIndex, needed: CompositeIndex, n_equality: int) -> bool:
    """Whether ``declared`` serves a query needing ``needed`` (whose first ``n_equality`` fields come
    from equality conditions): same collection, scope and length, those fields first in any order
    and either direction, then the ordered fields exactly."""
    if (declared.collection, declared.group) != (needed.collection, needed.group):
        return False
    if len(declared.fields) != len(needed.fields):
        return False

    def head(fields: tuple[IndexField, ...]) -> set[tuple[FieldPath, bool]]:
        return {(f.path, f.kind == "contains") for f in fields[:n_equality]}

    tail_declared, tail_needed = declared.fields[n_equality:], needed.fields[n_equality:]
    return head(declared.fields) == head(needed.fields) and tail_declared == tail_needed


def _serves_equality(declared: CompositeIndex, needed: CompositeIndex, query: Query) -> bool:
    """A single-field index of either direction serves an equality ('==', 'in') on its field."""
    (field,) = needed.fields
    is_equality = any(c.field == field.path and c.op in ("==", "in") for c in query.conditions)
    return (
        is_equality
        and (declared.collection, declared.group) == (needed.collection, True)
        and len(declared.fields) == 1
        and declared.fields[0].path == field.path
        and declared.fields[0].kind != "contains"
    )


def _missing(query: Query, needed: CompositeIndex) -> MissingIndex:
    spec = ", ".join(repr(_spec(f)) for f in needed.fields)
    group = ", group=True" if needed.group else ""
    kind = "collection-group index" if needed.group else "composite index"
    where = f"collection group {query.collection}" if query.group else query.collection
    return MissingIndex(
        f"This query on {where} needs the {kind} {needed.describe()}, which is not declared. "
        f"Add `index({needed.collection!r}, {spec}{group})` to INDEXES in "
        "backend/database/documents/indexes.py, then export and deploy it "
        "(wellness db indexes --export firestore.indexes.json).",
        details={"index": needed.to_json()},
    )


def _spec(field: IndexField) -> str:
    path = ".".join(field.path)
    return f"{path}[]" if field.kind == "contains" else f"-{path}" if field.kind == "desc" else path

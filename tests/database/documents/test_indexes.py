"""Composite indexes as code: which queries need one, the check both adapters run, the export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backend.cli import app
from backend.database.documents import INDEXES, DocumentStore, IndexRegistry, MissingIndex, index
from backend.database.documents.indexes import required_index
from backend.database.documents.query import Query


def needed(**spec: Any) -> str | None:
    conditions = [{"field": f, "operator": op, "value": v} for f, op, v in spec.pop("where", [])]
    found = required_index(Query.build("consultations", conditions=conditions, **spec))
    return None if found is None else found.describe()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, None),
        ({"where": [("a", "==", 1), ("b", "==", 2)]}, None),  # equalities merge single-field indexes
        ({"where": [("a", "==", 1), ("tags", "array-contains", "x")]}, None),
        ({"order_by": "-a"}, None),
        ({"where": [("a", ">", 1)], "order_by": "a"}, None),  # one field only
        ({"where": [("a", "!=", 1)]}, None),
        ({"where": [("a", "==", 1)], "order_by": "b"}, "consultations (a ASC, b ASC)"),
        (
            {"where": [("b", "==", 1), ("a", "in", [1, 2])], "order_by": "-c"},
            "consultations (a ASC, b ASC, c DESC)",
        ),
        ({"where": [("a", "==", 1), ("b", ">", 2)]}, "consultations (a ASC, b ASC)"),
        ({"where": [("tags", "array-contains", 1)], "order_by": "b"}, "consultations (tags CONTAINS, b ASC)"),
        ({"order_by": ["a", "-b"]}, "consultations (a ASC, b DESC)"),
        ({"where": [("z", ">", 1), ("y", "<", 2)]}, "consultations (y ASC, z ASC)"),
        ({"where": [("a", ">", 1)], "order_by": "-b"}, "consultations (b DESC, a DESC)"),
    ],
)
def test_which_queries_need_a_composite_index(spec: dict[str, Any], expected: str | None) -> None:
    assert needed(**spec) == expected


def test_declared_indexes_serve_queries_with_equalities_in_any_order() -> None:
    registry = IndexRegistry([index("c", "b", "a", "-t")])
    conditions = [{"field": "a", "value": 1}, {"field": "b", "value": 2}]
    registry.check(Query.build("c", conditions=conditions, order_by="-t"))
    with pytest.raises(MissingIndex):
        registry.check(Query.build("c", conditions=conditions, order_by="t"))  # directions must match


def test_a_query_without_its_index_is_refused_naming_the_index(make_store: Any) -> None:
    store: DocumentStore = make_store(indexes=IndexRegistry([]))
    store.set("consultations/x", {"company_id": 1, "answered_at": 1})
    with pytest.raises(MissingIndex) as info:
        store.query(
            "consultations", conditions=[{"field": "company_id", "value": 1}], order_by="-answered_at"
        )
    assert "index('consultations', 'company_id', '-answered_at')" in info.value.message
    assert "backend/database/documents/indexes.py" in info.value.message
    with pytest.raises(MissingIndex):
        store.count(
            "consultations",
            conditions=[
                {"field": "company_id", "value": 1},
                {"field": "answered_at", "operator": ">", "value": 0},
            ],
        )


def test_subcollections_use_the_collection_group_name(make_store: Any) -> None:
    store: DocumentStore = make_store(indexes=IndexRegistry([index("chats", "thread_id", "created_at")]))
    store.set("companies/1/chats/m", {"thread_id": "t", "created_at": 1})
    got = store.query(
        "companies/1/chats", conditions=[{"field": "thread_id", "value": "t"}], order_by="created_at"
    )
    assert [d.id for d in got] == ["m"]


def test_export_writes_firestore_indexes_json(tmp_path: Path) -> None:
    target = tmp_path / "firestore.indexes.json"
    result = CliRunner().invoke(app, ["db", "indexes", "--export", str(target)])
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text())
    assert exported["fieldOverrides"] == []
    assert len(exported["indexes"]) == len(INDEXES)
    first = exported["indexes"][0]
    assert first["queryScope"] == "COLLECTION"
    assert {"fieldPath": "company_id", "order": "ASCENDING"} in first["fields"]
    assert any(f.get("order") == "DESCENDING" for i in exported["indexes"] for f in i["fields"])


def test_listing_the_indexes() -> None:
    result = CliRunner().invoke(app, ["db", "indexes"])
    assert result.exit_code == 0
    assert "consultations (company_id ASC, answered_at ASC)" in result.output


def test_contains_fields_export_as_array_config() -> None:
    exported = IndexRegistry([index("c", "tags[]", "-t")]).to_json()
    assert exported["indexes"] == [
        {
            "collectionGroup": "c",
            "queryScope": "COLLECTION",
            "fields": [
                {"fieldPath": "tags", "arrayConfig": "CONTAINS"},
                {"fieldPath": "t", "order": "DESCENDING"},
            ],
        }
    ]

"""Google's client conformance cases for queries that must fail, translated to the port.

The cases are the ``isError`` ones of ``firestore/v1/query-*.json`` in the public repository
googleapis/conformance-tests; each test id is the case's file name. The port has no ArrayUnion or
ArrayRemove, so its one transform, ``Increment``, stands in for them; it has no ``select``, so
``query-invalid-path-select`` does not apply, and its one cursor is ``start_after``, which stands
in for ``start_at``, ``end_before`` and ``end_at``. Both adapters must refuse each case with
``ValidationFailed`` naming the condition, order or cursor, before anything reaches Firestore.
"""

from __future__ import annotations

from typing import Any

import pytest

from backend.database.documents import DELETE_FIELD, SERVER_TIMESTAMP, DocumentStore, Increment
from backend.database.documents.port import Document
from backend.errors import ValidationFailed


def where(op: str, value: Any, field: str = "a") -> dict[str, Any]:
    return {"conditions": [{"field": field, "operator": op, "value": value}]}


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("query-arrayremove-cursor", {"order_by": "a", "start_after": {"a": Increment(1)}}, "start_after.a"),
    ("query-arrayremove-where", where("==", Increment(-1)), "conditions[0].value"),
    ("query-arrayunion-cursor", {"order_by": "a", "start_after": {"a": [Increment(1)]}}, "start_after.a"),
    ("query-arrayunion-where", where("==", {"m": Increment(1)}), "conditions[0].value"),
    ("query-bad-NaN", where("<", float("nan")), "conditions[0].value"),
    ("query-bad-null", where(">", None), "conditions[0].value"),
    ("query-cursor-endbefore-empty", {"order_by": "a", "start_after": {}}, "start_after"),
    ("query-cursor-no-order", {"start_after": {"a": 2}}, "start_after"),
    ("query-cursor-startat-empty", {"order_by": "a", "start_after": {}}, "start_after"),
    ("query-del-cursor", {"order_by": "a", "start_after": {"a": DELETE_FIELD}}, "start_after.a"),
    ("query-del-where", where("==", DELETE_FIELD), "conditions[0].value"),
    ("query-invalid-operator", where("|~|", 4), "conditions[0].operator"),
    ("query-invalid-path-order", {"order_by": "*.``"}, "order_by[0].field"),
    ("query-invalid-path-where", where("==", 4, field="*.``"), "conditions[0].field"),
    ("query-st-cursor", {"order_by": "a", "start_after": {"a": SERVER_TIMESTAMP}}, "start_after.a"),
    ("query-st-where", where("==", SERVER_TIMESTAMP), "conditions[0].value"),
    (
        "query-wrong-collection",
        {"start_after": Document(id="D", path="C2/D", data={"a": 7, "b": 8})},
        "start_after",
    ),
]


@pytest.mark.parametrize(("spec", "where_"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_conformance_error_cases(document_store: DocumentStore, spec: dict[str, Any], where_: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.query("C", **spec)
    assert info.value.fields == [where_]


# What Google's client refuses beyond the conformance files (each a bare ValueError or TypeError
# from the client before this port checked them).
MORE: list[tuple[str, dict[str, Any], str, str]] = [
    ("array-contains-None", where("array-contains", None), "conditions[0].value", "only '==' and '!='"),
    (
        "array-contains-NaN",
        where("array-contains", float("nan")),
        "conditions[0].value",
        "not 'array-contains'",
    ),
    ("sentinel-in-list", where("in", [1, SERVER_TIMESTAMP]), "conditions[0].value", "can only be written"),
    (
        "sentinel-in-map-cursor",
        {"order_by": "a", "start_after": {"a": {"b": Increment(2)}}},
        "start_after.a",
        "can only be written",
    ),
    (
        "sentinel-in-document-cursor",
        {"order_by": "a", "start_after": Document(id="D", path="C/D", data={"a": SERVER_TIMESTAMP})},
        "start_after.a",
        "can only be written",
    ),
    (
        "unstorable-cursor-value",
        {"order_by": "a", "start_after": {"a": object()}},
        "start_after.a",
        "not a storable value",
    ),
]


@pytest.mark.parametrize(("spec", "where_", "says"), [c[1:] for c in MORE], ids=[c[0] for c in MORE])
def test_more_refusals_of_googles_client(
    document_store: DocumentStore, spec: dict[str, Any], where_: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.query("C", **spec)
    assert info.value.fields == [where_]
    assert says in info.value.message


def test_a_document_of_the_same_collection_is_a_valid_cursor(document_store: DocumentStore) -> None:
    for key in ("x", "y", "z"):
        document_store.set(f"C/{key}", {"a": 1})
    after = Document(id="x", path="C/x", data={"a": 1})
    assert [d.id for d in document_store.query("C", order_by="a", start_after=after)] == ["y", "z"]
    assert [d.id for d in document_store.query("/C/", start_after=after)] == ["y", "z"]

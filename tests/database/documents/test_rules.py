"""Document-store contract: Firestore's limits, refused the same way by both adapters before sending."""

from __future__ import annotations

from typing import Any

import pytest

from backend.database.documents import DocumentStore
from backend.database.documents.values import MAX_DOCUMENT_BYTES
from backend.errors import ValidationFailed


def cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": op, "value": value}


@pytest.mark.parametrize(
    ("conditions", "where", "says"),
    [
        ([cond("a", "~=", 1)], "conditions[0].operator", "unknown operator '~='"),
        (["a == 1"], "conditions[0]", "must be a mapping"),
        ([{"field": "a"}], "conditions[0]", "needs 'field' and 'value'"),
        ([{"field": "a", "value": 1, "extra": 2}], "conditions[0]", "needs 'field' and 'value'"),
        ([cond("", "==", 1)], "conditions[0].field", "non-empty field path"),
        ([cond("a..b", "==", 1)], "conditions[0].field", "field names must be non-empty"),
        ([cond("a", "in", list(range(31)))], "conditions[0].value", "at most 30 values"),
        ([cond("a", "array-contains-any", list(range(31)))], "conditions[0].value", "at most 30 values"),
        ([cond("a", "not-in", list(range(11)))], "conditions[0].value", "at most 10 values"),
        ([cond("a", "in", [])], "conditions[0].value", "non-empty list"),
        ([cond("a", "in", 5)], "conditions[0].value", "non-empty list"),
        ([cond("a", "!=", 1), cond("b", "!=", 2)], "conditions", "at most one '!=' or 'not-in'"),
        ([cond("a", "!=", 1), cond("b", "not-in", [2])], "conditions", "at most one '!=' or 'not-in'"),
        ([cond("a", "not-in", [1]), cond("b", "in", [2])], "conditions", "cannot be combined"),
        (
            [cond("a", "not-in", [1]), cond("b", "array-contains-any", [2])],
            "conditions",
            "cannot be combined",
        ),
        (
            [cond("a", "array-contains", 1), cond("b", "array-contains", 2)],
            "conditions",
            "at most one 'array-contains'",
        ),
        ([cond("a", "in", list(range(6))), cond("b", "in", list(range(6)))], "conditions", "multiply to 36"),
        ([cond("a", "<", None)], "conditions[0].value", "only '==' and '!='"),
        ([cond("a", ">", float("nan"))], "conditions[0].value", "only '==' and '!='"),
    ],
)
def test_queries_firestore_refuses(
    document_store: DocumentStore, conditions: list[Any], where: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.query("things", conditions=conditions)
    assert info.value.fields == [where]
    assert says in info.value.message


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"order_by": ["a", "a"]}, "order_by"),
        ({"order_by": ("a", "sideways")}, "order_by[0]"),
        ({"order_by": 5}, "order_by[0]"),
        ({"start_after": 5, "order_by": "a"}, "start_after"),
        ({"start_after": {"b": 1}, "order_by": "a"}, "start_after"),
    ],
)
def test_bad_orders_limits_and_cursors(
    document_store: DocumentStore, kwargs: dict[str, Any], where: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.query("things", **kwargs)
    assert info.value.fields == [where]


def test_document_size_limit(document_store: DocumentStore) -> None:
    fits = "x" * (MAX_DOCUMENT_BYTES - 200)
    document_store.set("big/ok", {"s": fits})
    with pytest.raises(ValidationFailed, match="a document may be at most 1,048,576 bytes"):
        document_store.set("big/too", {"s": fits, "t": "y" * 300})
    assert document_store.get("big/too") is None


def test_size_counts_utf8_bytes(document_store: DocumentStore) -> None:
    with pytest.raises(ValidationFailed, match="at most 1,048,576 bytes"):
        document_store.set("big/jp", {"s": "あ" * 400_000})  # 1.2 MB in UTF-8


def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    inner = doc
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return doc


def test_nesting_depth(document_store: DocumentStore) -> None:
    document_store.set("deep/ok", nested(20))
    with pytest.raises(ValidationFailed, match="nested at most 20 deep"):
        document_store.set("deep/too", nested(21))
    assert document_store.get("deep/too") is None


def test_batches_hold_at_most_500_writes(document_store: DocumentStore) -> None:
    batch = document_store.batch()
    for i in range(500):
        batch.set(f"b/{i}", {"i": i})
    with pytest.raises(ValidationFailed, match="at most 500 writes"):
        batch.set("b/500", {"i": 500})
    assert document_store.count("b") == 0  # nothing is sent until commit
    batch.commit()
    assert document_store.count("b") == 500


def test_field_names(document_store: DocumentStore) -> None:
    document_store.set("names/ok", {"a.b": 1, "日本語": 2, "with space": 3})
    doc = document_store.get("names/ok")
    assert doc is not None
    assert doc.data == {"a.b": 1, "日本語": 2, "with space": 3}
    got = document_store.query("names", conditions=[cond("`a.b`", "==", 1)])
    assert [d.id for d in got] == ["ok"]
    with pytest.raises(ValidationFailed, match="reserved"):
        document_store.set("names/bad", {"m": {"__name__": 1}})

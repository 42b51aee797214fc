"""Document-store contract: collection-group queries (every collection with one id, under any parent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import app
from backend.database.documents import DocumentStore, IndexRegistry, MissingIndex, Transaction, index
from backend.errors import ValidationFailed

REGISTRY = IndexRegistry(
    [
        index("chats", "company_id", "n", group=True),
        index("chats", "n", group=True),
        index("chats", "-n", group=True),
        index("chats", "company_id", group=True),
    ]
)
PATHS = [
    "chats/a",
    "companies/1/chats/b",
    "companies/1/chats/c",
    "companies/2/chats/a",
    "companies-x/1/chats/d",
    "companies/1/threads/t/chats/e",
    "chats/a/chats/f",  # a chats collection under a chats document
]
ELSEWHERE = ["chatsx/g", "companies/1/xchats/h", "companies/1/chats_archive/i", "chats2/j"]


@pytest.fixture
def chats(make_store: Callable[..., DocumentStore]) -> DocumentStore:
    store = make_store(indexes=REGISTRY)
    with store.batch() as batch:
        for n, path in enumerate(PATHS):
            batch.set(path, {"n": n % 3, "company_id": 1 if "companies/1/" in path else 2, "path": path})
        for path in ELSEWHERE:
            batch.set(path, {"n": 0, "company_id": 1, "path": path})
    return store


def paths(docs: list[object]) -> list[str]:
    return [d.path for d in docs]  # type: ignore[attr-defined]


def test_a_group_query_reads_every_collection_with_the_id(chats: DocumentStore) -> None:
    # Ordered by the document's path, segment by segment ('companies' < 'companies-x').
    assert paths(chats.query(collection_group="chats")) == [
        "chats/a",
        "chats/a/chats/f",
        "companies/1/chats/b",
        "companies/1/chats/c",
        "companies/1/threads/t/chats/e",
        "companies/2/chats/a",
        "companies-x/1/chats/d",
    ]
    assert chats.count(collection_group="chats") == len(PATHS)
    assert paths(chats.query("chats")) == ["chats/a"]  # a collection query stays in its collection


def test_conditions_orders_and_paging_across_parents(chats: DocumentStore) -> None:
    conditions = [{"field": "company_id", "operator": "==", "value": 1}]
    everything = chats.query(collection_group="chats", conditions=conditions, order_by="n")
    assert [(d.data["n"], d.path) for d in everything] == sorted(
        (n % 3, p) for n, p in enumerate(PATHS) if "companies/1/" in p
    )
    pages: list[str] = []
    after = None
    while True:
        page = chats.query(
            collection_group="chats", conditions=conditions, order_by="n", limit=1, start_after=after
        )
        pages += paths(page)
        if not page:
            break
        after = page[-1]
    assert pages == paths(everything)
    descending = chats.query(collection_group="chats", order_by="-n")
    assert [d.data["n"] for d in descending] == sorted((n % 3 for n in range(len(PATHS))), reverse=True)
    assert chats.count(collection_group="chats", conditions=conditions) == len(everything)


def test_a_group_query_in_a_transaction(chats: DocumentStore) -> None:
    def mark_all(tx: Transaction) -> int:
        found = tx.query(collection_group="chats", conditions=[{"field": "company_id", "value": 2}])
        for doc in found:
            tx.update(doc.path, {"seen": True})
        return len(found)

    assert chats.run_transaction(mark_all) == 4
    assert chats.count(collection_group="chats", conditions=[{"field": "company_id", "value": 2}]) == 4


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({}, "collection"),
        ({"collection": "chats", "collection_group": "chats"}, "collection"),
        ({"collection_group": "companies/1/chats"}, "collection_group"),
        ({"collection_group": "__x__"}, "collection_group"),
        ({"collection_group": ""}, "collection_group"),
    ],
)
def test_naming_what_to_read(document_store: DocumentStore, kwargs: dict[str, str], where: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.query(**kwargs)  # type: ignore[arg-type]
    assert info.value.fields == [where]


def test_group_queries_need_indexes_of_group_scope(make_store: Callable[..., DocumentStore]) -> None:
    # Firestore keeps no single-field index of collection-group scope by itself: a group query that
    # filters or orders on a field needs one declared (a field override in firestore.indexes.json).
    bare: DocumentStore = make_store(indexes=IndexRegistry([index("chats", "company_id", "n")]))
    bare.set("companies/1/chats/a", {"company_id": 1, "n": 1})
    assert [d.id for d in bare.query(collection_group="chats")] == ["a"]  # no field: no index
    with pytest.raises(MissingIndex) as info:
        bare.query(collection_group="chats", order_by="n")
    assert "index('chats', 'n', group=True)" in info.value.message
    with pytest.raises(MissingIndex) as info:
        bare.query(collection_group="chats", conditions=[{"field": "company_id", "value": 1}], order_by="n")
    assert "index('chats', 'company_id', 'n', group=True)" in info.value.message  # collection scope won't do
    served: DocumentStore = make_store(indexes=REGISTRY)
    assert served.count(collection_group="chats", conditions=[{"field": "company_id", "value": 1}]) == 1
    with pytest.raises(MissingIndex, match="'tags\\[\\]', group=True"):
        served.query(
            collection_group="chats", conditions=[{"field": "tags", "operator": "array-contains", "value": 1}]
        )


def test_export_writes_group_indexes_and_field_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.database.documents import indexes

    declared = (
        index("reports", "status", "created_at"),
        index("chats", "company_id", "-created_at", group=True),
        index("chats", "created_at", group=True),
        index("chats", "-created_at", group=True),
    )
    monkeypatch.setattr(indexes, "INDEXES", declared)
    target = tmp_path / "firestore.indexes.json"
    result = CliRunner().invoke(app, ["db", "indexes", "--export", str(target)])
    assert result.exit_code == 0, result.output
    exported = json.loads(target.read_text())
    assert [(i["collectionGroup"], i["queryScope"]) for i in exported["indexes"]] == [
        ("reports", "COLLECTION"),
        ("chats", "COLLECTION_GROUP"),
    ]
    assert exported["fieldOverrides"] == [
        {
            "collectionGroup": "chats",
            "fieldPath": "created_at",
            "indexes": [
                {"order": "ASCENDING", "queryScope": "COLLECTION"},
                {"order": "DESCENDING", "queryScope": "COLLECTION"},
                {"arrayConfig": "CONTAINS", "queryScope": "COLLECTION"},
                {"order": "ASCENDING", "queryScope": "COLLECTION_GROUP"},
                {"order": "DESCENDING", "queryScope": "COLLECTION_GROUP"},
            ],
        }
    ]
    listed = CliRunner().invoke(app, ["db", "indexes"])
    assert "chats (company_id ASC, created_at DESC), collection group" in listed.output


def test_a_single_field_index_of_collection_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="two or more fields"):
        index("chats", "created_at")

"""Document-store contract: single-document operations, on the embedded store and the emulator."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from backend.database.documents import (
    DELETE_FIELD,
    SERVER_TIMESTAMP,
    DocumentStore,
    GeoPoint,
    Increment,
    Reference,
)
from backend.errors import Conflict, NotFound, ValidationFailed

EVERY_TYPE = {
    "null": None,
    "flag": True,
    "count": 42,
    "big": 2**62,
    "ratio": 0.25,
    "inf": float("inf"),
    "at": datetime(2024, 4, 1, 9, 30, 15, 123456, tzinfo=UTC),
    "text": "体調は良い 😊",
    "raw": b"\x00\x01\xfe",
    "place": GeoPoint(35.68, 139.76),
    "company": Reference("companies/1"),
    "tags": ["a", 1, None, {"nested": True}],
    "vas": {"physical": 40, "mental": 55.5, "notes": {"deep": ["x"]}},
    "empty_map": {},
    "empty_list": [],
}


def test_every_value_type_round_trips(document_store: DocumentStore) -> None:
    document_store.set("consultations/c1", EVERY_TYPE)
    doc = document_store.get("consultations/c1")
    assert doc is not None
    assert (doc.id, doc.path) == ("c1", "consultations/c1")
    assert doc.data == EVERY_TYPE
    assert isinstance(doc.data["count"], int)
    assert isinstance(doc.data["ratio"], float)
    assert doc.data["at"].tzinfo is not None


def test_nan_round_trips(document_store: DocumentStore) -> None:
    document_store.set("t/nan", {"x": float("nan")})
    doc = document_store.get("t/nan")
    assert doc is not None
    assert math.isnan(doc.data["x"])


def test_missing_document_is_none(document_store: DocumentStore) -> None:
    assert document_store.get("chats/nope") is None


def test_create_refuses_an_existing_document(document_store: DocumentStore) -> None:
    document_store.create("chats/m1", {"body": "first"})
    with pytest.raises(Conflict):
        document_store.create("chats/m1", {"body": "second"})
    doc = document_store.get("chats/m1")
    assert doc is not None
    assert doc.data == {"body": "first"}


def test_update_of_a_missing_document_is_not_found(document_store: DocumentStore) -> None:
    with pytest.raises(NotFound):
        document_store.update("chats/ghost", {"body": "x"})
    assert document_store.get("chats/ghost") is None


def test_update_sets_field_paths_and_keeps_the_rest(document_store: DocumentStore) -> None:
    document_store.set("t/u", {"a": 1, "vas": {"physical": 10, "mental": 20}, "gone": "x", "s": "text"})
    document_store.update(
        "t/u", {"vas.physical": 15, "new.deep.field": True, "gone": DELETE_FIELD, "s.inner": 1}
    )
    doc = document_store.get("t/u")
    assert doc is not None
    assert doc.data == {
        "a": 1,
        "vas": {"physical": 15, "mental": 20},
        "new": {"deep": {"field": True}},
        "s": {"inner": 1},
    }


def test_set_replaces_and_merge_merges_deeply(document_store: DocumentStore) -> None:
    document_store.set("t/m", {"a": 1, "m": {"x": 1, "y": 2}})
    document_store.set("t/m", {"m": {"y": 3, "z": 4}, "b": 2, "a": DELETE_FIELD}, merge=True)
    doc = document_store.get("t/m")
    assert doc is not None
    assert doc.data == {"m": {"x": 1, "y": 3, "z": 4}, "b": 2}
    document_store.set("t/m", {"only": True})
    doc = document_store.get("t/m")
    assert doc is not None
    assert doc.data == {"only": True}


def test_delete_is_idempotent(document_store: DocumentStore) -> None:
    document_store.set("t/d", {"a": 1})
    document_store.delete("t/d")
    document_store.delete("t/d")
    assert document_store.get("t/d") is None


def test_add_makes_a_random_id(document_store: DocumentStore) -> None:
    first = document_store.add("chats", {"body": "hello"})
    second = document_store.add("chats", {"body": "hello"})
    assert len(first) == 20
    assert first != second
    doc = document_store.get(f"chats/{first}")
    assert doc is not None
    assert doc.data == {"body": "hello"}


def test_subcollections_are_separate_from_their_parents(document_store: DocumentStore) -> None:
    document_store.set("companies/1/chats/a", {"n": 1})
    document_store.set("companies/2/chats/a", {"n": 2})
    document_store.set("chats/a", {"n": 3})
    assert [d.data["n"] for d in document_store.query("companies/1/chats")] == [1]
    assert document_store.get("companies/1") is None  # a parent need not exist
    assert document_store.count("chats") == 1


def test_server_timestamp_is_the_commit_time(document_store: DocumentStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    document_store.set("t/ts", {"at": SERVER_TIMESTAMP, "nested": {"at": SERVER_TIMESTAMP}})
    document_store.update("t/ts", {"seen": SERVER_TIMESTAMP})
    after = datetime.now(UTC) + timedelta(seconds=5)
    doc = document_store.get("t/ts")
    assert doc is not None
    assert before <= doc.data["at"] <= after
    assert doc.data["nested"]["at"] == doc.data["at"]
    assert doc.data["seen"] >= doc.data["at"]


def test_increment(document_store: DocumentStore) -> None:
    document_store.set("t/c", {"n": 1, "f": 1.5, "s": "text", "m": {"k": 10}})
    document_store.update(
        "t/c",
        {
            "n": Increment(2),
            "f": Increment(1),
            "s": Increment(3),
            "missing": Increment(4),
            "m.k": Increment(-1),
        },
    )
    document_store.set("t/c", {"n": Increment(10)}, merge=True)
    doc = document_store.get("t/c")
    assert doc is not None
    assert doc.data == {"n": 13, "f": 2.5, "s": 3, "missing": 4, "m": {"k": 9}}
    assert isinstance(doc.data["n"], int)


def test_create_and_update_times(document_store: DocumentStore) -> None:
    document_store.set("t/times", {"v": 1})
    first = document_store.get("t/times")
    document_store.update("t/times", {"v": 2})
    second = document_store.get("t/times")
    assert first is not None
    assert second is not None
    assert first.create_time == second.create_time
    assert first.update_time is not None
    assert second.update_time is not None
    assert second.update_time > first.update_time


def test_to_dict_carries_the_id(document_store: DocumentStore) -> None:
    document_store.set("t/x", {"a": 1})
    doc = document_store.get("t/x")
    assert doc is not None
    assert doc.to_dict() == {"id": "x", "a": 1}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"at": datetime(2024, 4, 1, 9, 0)}, "at"),
        ({"x": object()}, "x"),
        ({"n": 2**63}, "n"),
        ({"list": [[1, 2]]}, "list"),
        ({"__secret__": 1}, "__secret__"),
        ({"": 1}, "field"),
        ({"m": {"deep": Increment(1)}, "a": [SERVER_TIMESTAMP]}, "a"),
    ],
)
def test_values_firestore_refuses_are_refused_before_writing(
    document_store: DocumentStore, data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.set("t/bad", data)
    assert info.value.fields == [field]
    assert document_store.get("t/bad") is None


def test_delete_field_only_in_update_or_merge(document_store: DocumentStore) -> None:
    with pytest.raises(ValidationFailed, match="DELETE_FIELD"):
        document_store.set("t/df", {"a": DELETE_FIELD})
    assert document_store.get("t/df") is None


@pytest.mark.parametrize("path", ["chats", "chats/a/b", "", "chats//a", "chats/__x__", "chats/..", 42])
def test_invalid_document_paths(document_store: DocumentStore, path: object) -> None:
    with pytest.raises(ValidationFailed):
        document_store.set(path, {"a": 1})  # type: ignore[arg-type]


def test_increment_saturates_at_the_64_bit_limits(document_store: DocumentStore) -> None:
    document_store.set("t/limits", {"hi": 2**63 - 2, "lo": -(2**63) + 1})
    document_store.update("t/limits", {"hi": Increment(5), "lo": Increment(-5)})
    doc = document_store.get("t/limits")
    assert doc is not None
    assert doc.data == {"hi": 2**63 - 1, "lo": -(2**63)}


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9))),  # 0000-12-31T15:00Z
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # 10000-01-01T04:00Z
    ],
)
def test_timestamps_outside_firestores_range_are_refused(document_store: DocumentStore, at: datetime) -> None:
    # Found by the differential test: both adapters let Python's OverflowError escape.
    with pytest.raises(ValidationFailed, match="outside Firestore's range") as info:
        document_store.set("t/when", {"m": {"at": at}})
    assert info.value.fields == ["m.at"]
    document_store.set("t/first", {"at": datetime(1, 1, 1, tzinfo=UTC)})
    document_store.set("t/last", {"at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)})
    assert [d.id for d in document_store.query("t", order_by="-at")] == ["last", "first"]

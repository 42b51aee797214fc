"""Document-store contract: aggregation queries (count, sum, avg) by Firestore's rules, and batch reads."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from backend.database.documents import (
    Avg,
    Count,
    DocumentStore,
    IndexRegistry,
    MissingIndex,
    Sum,
    Transaction,
    index,
)
from backend.errors import ValidationFailed

NAN, INF = float("nan"), float("inf")
INT64_MAX = 2**63 - 1

# values of the field "v" -> (sum, avg, count of documents holding v); as the emulator answers.
CASES: list[tuple[str, list[Any], Any, Any, int]] = [
    ("ints", [1, 2, 3], 6, 2.0, 3),
    ("ints-and-floats", [1, 2.5], 3.5, 1.75, 2),
    ("nothing", [], 0, None, 0),
    ("no-numbers", ["x", None, True, [1], {"a": 1}], 0, None, 5),
    ("strings-skipped", [1, 2, "3"], 3, 1.5, 3),
    ("int64-overflow", [INT64_MAX, 1], 9.223372036854776e18, 4.611686018427388e18, 2),
    ("int64-fits", [INT64_MAX, -1], INT64_MAX - 1, 4.611686018427388e18, 2),
    ("overflow-on-the-way", [INT64_MAX, 1, -5], INT64_MAX - 4, 3.0744573456182584e18, 3),
    ("two-halves-overflow", [2**62, 2**62], 9.223372036854776e18, 4.611686018427388e18, 2),
    ("int64-min", [-(2**63), -1], -9.223372036854776e18, -4.611686018427388e18, 2),
    ("nan", [1, NAN], NAN, NAN, 2),
    ("inf-minus-inf", [INF, -INF], NAN, NAN, 2),
    ("inf", [INF, 1], INF, INF, 2),
    ("negative-zero", [-0.0], 0.0, 0.0, 1),
    ("ints-apart-from-floats", [2**53, 1, 1.0], 9007199254740992.0, 3002399751580330.5, 3),
    ("zero-sum-of-ints", [1, -1], 0, 0.0, 2),
]


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return bool(a == b)


@pytest.mark.parametrize(("values", "total", "mean", "n"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sum_and_avg_follow_firestores_rules(
    document_store: DocumentStore, values: list[Any], total: Any, mean: Any, n: int
) -> None:
    with document_store.batch() as batch:
        for i, value in enumerate(values):
            batch.set(f"agg/d{i}", {"v": value})
        batch.set("agg/no_v", {"w": 1})
    answer = document_store.aggregate("agg", aggregations={"s": Sum("v"), "a": Avg("v"), "n": Count()})
    assert same(answer["s"], total), answer
    assert same(answer["a"], mean), answer
    assert answer["n"] == n  # documents without the aggregated field are not counted
    assert same(document_store.sum("agg", field="v"), total)
    assert same(document_store.avg("agg", field="v"), mean)
    assert document_store.aggregate("agg", aggregations={"n": Count()}) == {"n": len(values) + 1}


def test_float_sums_are_close(document_store: DocumentStore) -> None:
    # Firestore documents float sums as non-deterministic in the last bits; integer sums are exact.
    with document_store.batch() as batch:
        for i, value in enumerate([0.1, 0.2, 0.3]):
            batch.set(f"agg/f{i}", {"v": value})
    assert document_store.sum("agg", field="v") == pytest.approx(0.6)
    assert document_store.avg("agg", field="v") == pytest.approx(0.2)


def test_every_aggregated_field_must_exist(make_store: Callable[..., DocumentStore]) -> None:
    document_store = make_store(indexes=IndexRegistry([index("agg", "v", "w")]))  # two fields: composite
    with document_store.batch() as batch:
        batch.set("agg/a", {"v": 1, "w": 10})
        batch.set("agg/b", {"v": 2})
        batch.set("agg/c", {"w": 30})
        batch.set("agg/d", {"x": 1})
    both = document_store.aggregate("agg", aggregations={"n": Count(), "sv": Sum("v"), "sw": Sum("w")})
    assert both == {"n": 1, "sv": 1, "sw": 10}
    assert document_store.aggregate("agg", aggregations={"n": Count(), "av": Avg("v")}) == {"n": 2, "av": 1.5}
    assert document_store.aggregate("agg", aggregations={"n": Count()}) == {"n": 4}


def test_aggregations_with_conditions_nested_fields_and_groups(
    make_store: Callable[..., DocumentStore],
) -> None:
    store = make_store(
        indexes=IndexRegistry(
            [
                index("treatments", "company_id", "vas.physical"),
                index("treatments", "vas.physical", group=True),
            ]
        )
    )
    with store.batch() as batch:
        batch.set("treatments/a", {"company_id": 1, "vas": {"physical": 40}})
        batch.set("treatments/b", {"company_id": 1, "vas": {"physical": 61}})
        batch.set("treatments/c", {"company_id": 2, "vas": {"physical": 10}})
        batch.set("companies/9/treatments/d", {"company_id": 9, "vas": {"physical": 5}})
    mine = [{"field": "company_id", "operator": "==", "value": 1}]
    answer = store.aggregate(
        "treatments",
        aggregations={"n": Count(), "total": Sum("vas.physical"), "mean": Avg("vas.physical")},
        conditions=mine,
    )
    assert answer == {"n": 2, "total": 101, "mean": 50.5}
    assert store.sum(collection_group="treatments", field="vas.physical") == 116
    assert store.aggregate(collection_group="treatments", aggregations={"n": Count()}) == {"n": 4}


def test_a_sum_with_a_filter_on_another_field_needs_a_composite_index(
    make_store: Callable[..., DocumentStore],
) -> None:
    store = make_store(indexes=IndexRegistry([]))
    store.set("treatments/a", {"company_id": 1, "minutes": 45})
    assert store.sum("treatments", field="minutes") == 45  # one field: single-field indexes do
    with pytest.raises(MissingIndex) as info:
        store.sum("treatments", field="minutes", conditions=[{"field": "company_id", "value": 1}])
    assert "index('treatments', 'company_id', 'minutes')" in info.value.message
    assert store.count("treatments", conditions=[{"field": "company_id", "value": 1}]) == 1


@pytest.mark.parametrize(
    ("aggregations", "where"),
    [
        ({}, "aggregations"),
        ({f"a{i}": Count() for i in range(6)}, "aggregations"),
        ({"s": "sum"}, "aggregations.s"),
        ({"s": Sum("")}, "aggregations.s.field"),
        ({"s": Avg("a..b")}, "aggregations.s.field"),
        ({"": Count()}, "aggregations"),
    ],
)
def test_bad_aggregations_are_refused(
    document_store: DocumentStore, aggregations: dict[str, Any], where: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.aggregate("agg", aggregations=aggregations)
    assert info.value.fields == [where]


# --- batch reads -----------------------------------------------------------------------------


def test_get_all_reads_many_documents_in_the_order_asked(document_store: DocumentStore) -> None:
    with document_store.batch() as batch:
        batch.set("chats/a", {"n": 1})
        batch.set("chats/b", {"n": 2})
        batch.set("companies/1/chats/a", {"n": 3})
    paths = ["chats/b", "chats/missing", "companies/1/chats/a", "chats/a", "chats/b", "/chats/a/", "other/x"]
    found = document_store.get_all(paths)
    assert [None if d is None else (d.path, d.data["n"]) for d in found] == [
        ("chats/b", 2),
        None,
        ("companies/1/chats/a", 3),
        ("chats/a", 1),
        ("chats/b", 2),
        ("chats/a", 1),
        None,
    ]
    assert all(d is None or d.create_time is not None for d in found)
    assert document_store.get_all([]) == []


def test_get_all_of_many(document_store: DocumentStore) -> None:
    for start in range(0, 900, 300):
        with document_store.batch() as batch:
            for i in range(start, start + 300):
                batch.set(f"many/{i:04d}", {"i": i})
    paths = [f"many/{i:04d}" for i in reversed(range(0, 950))]
    found = document_store.get_all(paths)
    assert [None if d is None else d.data["i"] for d in found] == [
        i if i < 900 else None for i in reversed(range(950))
    ]


@pytest.mark.parametrize(
    ("paths", "where"), [("chats/a", "paths"), (["chats"], "path"), (["chats/a", 7], "path")]
)
def test_get_all_refuses_what_is_not_a_list_of_document_paths(
    document_store: DocumentStore, paths: Any, where: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        document_store.get_all(paths)
    assert info.value.fields == [where]


def test_get_all_in_a_transaction(document_store: DocumentStore) -> None:
    document_store.set("acc/a", {"v": 1})
    document_store.set("acc/b", {"v": 2})

    def move(tx: Transaction) -> None:
        a, b, missing = tx.get_all(["acc/a", "acc/b", "acc/none"])
        assert a is not None
        assert b is not None
        assert missing is None
        tx.update("acc/a", {"v": a.data["v"] - 1})
        tx.update("acc/b", {"v": b.data["v"] + 1})

    document_store.run_transaction(move)
    assert [d.data["v"] for d in document_store.get_all(["acc/a", "acc/b"]) if d is not None] == [0, 3]

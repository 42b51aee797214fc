"""Document-store contract: queries give Firestore's results on both adapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.database.documents import DocumentStore, GeoPoint, IndexRegistry, Reference, index

# Every type, in Firestore's order (NaN sorts below the other numbers; ints and floats interleave).
ORDERED = [
    ("a_null", None),
    ("b_false", False),
    ("c_true", True),
    ("d_nan", float("nan")),
    ("e_ninf", float("-inf")),
    ("f_neg", -5),
    ("g_zero", 0),
    ("h_half", 0.5),
    ("i_one", 1),
    ("j_onehalf", 1.5),
    ("k_inf", float("inf")),
    ("l_ts", datetime(2024, 1, 1, tzinfo=UTC)),
    ("m_ts2", datetime(2024, 1, 2, tzinfo=UTC)),
    ("n_empty", ""),
    ("o_upper", "B"),
    ("p_lower", "abc"),
    ("q_kana", "あ"),
    ("r_bytes", b"\x01"),
    ("s_bytes2", b"\x01\x00"),
    ("t_ref", Reference("a/b")),
    ("u_ref2", Reference("a/b/c/d")),
    ("v_ref3", Reference("a-c/x")),
    ("w_geo", GeoPoint(1, 2)),
    ("x_geo2", GeoPoint(1, 3)),
    ("y_arr", [1, 2]),
    ("y_arr2", [1, 2, 0]),
    ("y_arr3", [2]),
    ("z_map", {"a": 1}),
    ("z_map2", {"a": 2}),
    ("z_map3", {"b": 0}),
]
REGISTRY = IndexRegistry(
    [
        index("things", "kind", "v"),
        index("things", "kind", "-v"),
        index("things", "k", "v"),
        index("things", "g", "-n"),
        index("things", "g", "n", "-v"),
    ]
)


@pytest.fixture
def things(make_store: Callable[..., DocumentStore]) -> DocumentStore:
    store = make_store(indexes=REGISTRY)
    with store.batch() as batch:
        for i, (key, value) in enumerate(ORDERED):
            batch.set(f"things/{key}", {"v": value, "k": key, "kind": "all", "n": i % 4, "g": i % 2})
        batch.set("things/zz_no_v", {"k": "zz_no_v", "kind": "all", "n": 9, "g": 0})
    return store


def ids(
    store: DocumentStore, conditions: list[tuple[str, str, Any]] | None = None, **kwargs: Any
) -> list[str]:
    conds = [{"field": f, "operator": op, "value": v} for f, op, v in conditions or []]
    return [d.id for d in store.query("things", conditions=conds, **kwargs)]


def keys(*prefixes: str) -> list[str]:
    return [k for k, _ in ORDERED if k.startswith(prefixes)]


def test_order_across_every_type(things: DocumentStore) -> None:
    expected = [k for k, _ in ORDERED]
    assert ids(things, order_by="v") == expected
    assert ids(things, order_by="-v") == expected[::-1]
    assert ids(things, [("kind", "==", "all")], order_by="v") == expected  # via a composite index


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (("v", "==", 1), ["i_one"]),
        (("v", "==", 1.0), ["i_one"]),
        (("v", "==", None), ["a_null"]),
        (("v", "==", float("nan")), ["d_nan"]),
        (("v", "==", [1, 2]), ["y_arr"]),
        (("v", "==", {"a": 1}), ["z_map"]),
        (("v", "==", GeoPoint(1, 2)), ["w_geo"]),
        (("v", "==", Reference("a/b")), ["t_ref"]),
        (("v", "==", b"\x01"), ["r_bytes"]),
        (("v", ">", 0), ["h_half", "i_one", "j_onehalf", "k_inf"]),
        (("v", ">=", 1), ["i_one", "j_onehalf", "k_inf"]),
        (("v", "<", 0), ["e_ninf", "f_neg"]),
        (("v", "<=", False), ["b_false"]),
        (("v", ">", "B"), ["p_lower", "q_kana"]),
        (("v", ">=", datetime(2024, 1, 2, tzinfo=UTC)), ["m_ts2"]),
        (("v", ">", b"\x01"), ["s_bytes2"]),
        (("v", "<", Reference("a/b/c/a")), ["t_ref"]),
        (("v", ">", GeoPoint(1, 2)), ["x_geo2"]),
        (("v", ">", [1, 2]), ["y_arr2", "y_arr3"]),
        (("v", "<", {"a": 5}), ["z_map", "z_map2"]),
        (("v", "in", [1, "abc", None, [2]]), ["i_one", "p_lower", "y_arr3"]),
        (("v", "array-contains", 2), ["y_arr", "y_arr2", "y_arr3"]),
        (("v", "array-contains-any", [0, 2]), ["y_arr", "y_arr2", "y_arr3"]),
        (("v.a", "==", 2), ["z_map2"]),
    ],
)
def test_each_operator(things: DocumentStore, condition: tuple[str, str, Any], expected: list[str]) -> None:
    assert ids(things, [condition]) == expected


def test_not_equal_and_not_in_skip_null_and_missing(things: DocumentStore) -> None:
    everything = [k for k, _ in ORDERED]
    assert ids(things, [("v", "!=", 1)]) == [k for k in everything if k not in ("a_null", "i_one")]
    assert ids(things, [("v", "!=", None)]) == everything[1:]
    assert ids(things, [("v", "not-in", [1, "abc"])]) == [
        k for k in everything if k not in ("a_null", "i_one", "p_lower")
    ]


def test_documents_without_the_ordered_field_are_left_out(things: DocumentStore) -> None:
    assert "zz_no_v" not in ids(things, order_by="v")
    assert "zz_no_v" in ids(things)
    assert ids(things) == sorted([k for k, _ in ORDERED] + ["zz_no_v"])  # by document id


def test_several_orders_and_directions(things: DocumentStore) -> None:
    got = ids(things, [("g", "==", 1)], order_by=[("n", "asc"), ("v", "desc")])
    rows = [(i % 4, k) for i, (k, _) in enumerate(ORDERED) if i % 2 == 1]
    by_n: dict[int, list[str]] = {}
    for n, k in rows:
        by_n.setdefault(n, []).append(k)
    assert got == [k for n in sorted(by_n) for k in reversed(by_n[n])]


def test_inequalities_on_two_fields(things: DocumentStore) -> None:
    got = ids(things, [("v", ">", 0), ("k", ">", "i")])
    assert got == ["i_one", "j_onehalf", "k_inf"]


def test_limit_and_paging_with_start_after(things: DocumentStore) -> None:
    for order_by in ("v", "-v", ["g", "-n"]):
        conditions = [{"field": "g", "operator": "==", "value": 0}] if order_by == ["g", "-n"] else None
        everything = things.query("things", conditions=conditions, order_by=order_by)
        pages: list[str] = []
        after = None
        while True:
            page = things.query(
                "things", conditions=conditions, order_by=order_by, limit=4, start_after=after
            )
            pages += [d.id for d in page]
            if len(page) < 4:
                break
            after = page[-1]
        assert pages == [d.id for d in everything], order_by


def test_start_after_values(things: DocumentStore) -> None:
    assert ids(things, order_by="v", start_after={"v": 1.5}, limit=2) == ["k_inf", "l_ts"]


def test_count(things: DocumentStore) -> None:
    assert things.count("things") == len(ORDERED) + 1
    assert things.count("things", conditions=[{"field": "v", "operator": ">", "value": 0}]) == 4
    assert things.count("things", conditions=[{"field": "g", "value": 1}]) == len(ORDERED) // 2


def test_query_of_an_empty_collection(document_store: DocumentStore) -> None:
    assert document_store.query("nothing_here") == []
    assert document_store.count("nothing_here") == 0


# None and NaN in list operators, as the emulator answers them: listed at the top level of an
# 'in', 'not-in' or 'array-contains-any' list they match nothing (a None in 'not-in' makes the
# whole condition match nothing); nested inside an array or map they compare as usual.
NAN = float("nan")
LISTS = {
    "arr_1": [1],
    "arr_nan": [NAN],
    "arr_null": [None, 1],
    "map_nan": {"a": NAN},
    "nan": NAN,
    "null": None,
    "one": 1,
}
NOT_NULL_BY_VALUE = ["nan", "one", "arr_null", "arr_nan", "arr_1", "map_nan"]  # '!=' orders by the field


@pytest.fixture
def lists(document_store: DocumentStore) -> DocumentStore:
    with document_store.batch() as batch:
        for key, value in LISTS.items():
            batch.set(f"things/{key}", {"v": value})
        batch.set("things/missing", {"w": 1})
    return document_store


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (("v", "in", [None]), []),
        (("v", "in", [NAN]), []),
        (("v", "in", [NAN, 1, None]), ["one"]),
        (("v", "in", [[NAN], {"a": NAN}]), ["arr_nan", "map_nan"]),
        (("v", "not-in", [NAN]), NOT_NULL_BY_VALUE),
        (("v", "not-in", [1, NAN]), [k for k in NOT_NULL_BY_VALUE if k != "one"]),
        (("v", "not-in", [None]), []),
        (("v", "not-in", [1, None]), []),
        (("v", "not-in", [[NAN]]), [k for k in NOT_NULL_BY_VALUE if k != "arr_nan"]),
        (("v", "array-contains-any", [None]), []),
        (("v", "array-contains-any", [NAN]), []),
        (("v", "array-contains-any", [None, NAN, 1]), ["arr_1", "arr_null"]),
        (("v", "==", [NAN]), ["arr_nan"]),
        (("v", "==", {"a": NAN}), ["map_nan"]),
        (("v", "==", NAN), ["nan"]),
        (("v", "!=", NAN), [k for k in NOT_NULL_BY_VALUE if k != "nan"]),
        (("v", "!=", None), NOT_NULL_BY_VALUE),
        (("v", "array-contains", 1), ["arr_1", "arr_null"]),
    ],
)
def test_null_and_nan_in_list_operators(
    lists: DocumentStore, condition: tuple[str, str, Any], expected: list[str]
) -> None:
    assert ids(lists, [condition]) == expected
    assert lists.count(
        "things", conditions=[{"field": condition[0], "operator": condition[1], "value": condition[2]}]
    ) == len(expected)

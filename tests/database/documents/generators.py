"""Hypothesis strategies for the differential test: documents of every Firestore value type and
queries with every operator, order, limit and cursor.

Values are drawn mostly from small pools of awkward ones (int64 edges, NaN, ±inf, -0.0, empty
strings and bytes, references, geo points, arrays and maps holding null and NaN) so that
conditions, orders and ties meet often, and otherwise from Hypothesis's own wide strategies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from backend.database.documents import GeoPoint, Reference
from backend.database.documents.paths import FieldPath, format_field_path
from backend.database.documents.query import OPERATORS

NAN = float("nan")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Top-level field names, some of which only a backtick-quoted path can name, some of which the
# embedded store cannot spell as a SQLite JSON path (a quote, a backslash) and filters in Python.
NAMES = ["a", "b", "a.b", "sp ace", "日本", 'q"uote', "back\\slash", "`tick", "9lives"]
MAP_KEYS = ["x", "y", "z.z"]
FIELDS: list[FieldPath] = [(n,) for n in NAMES] + [("m", k) for k in MAP_KEYS] + [("m",)]
QUERIED: list[FieldPath] = [("a",)] * len(FIELDS) + [("m", "x")] * 3 + FIELDS  # mostly the field a

TS = [datetime(1970, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)]
SCALARS: list[Any] = [
    None,
    False,
    True,
    0,
    1,
    -1,
    0.0,
    -0.0,
    1.0,
    0.5,
    NAN,
    float("inf"),
    float("-inf"),
    INT64_MAX,
    INT64_MIN,
    2**53,
    float(2**53),
    2**53 + 1,
    5e-324,
    "",
    "a",
    "B",
    "あ",
    "\U0001f600",
    "\uffff",
    b"",
    b"\x00",
    b"\x01",
    *TS,
    datetime(1, 1, 1, tzinfo=UTC),  # Firestore's first and last instants
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9))),  # before the first: refused
    Reference("a/b"),
    Reference("a/b/c/d"),
    Reference("a-c/x"),
    GeoPoint(0, 0),
    GeoPoint(1, 2),
    GeoPoint(-90, 180),
]
COMPOSITES: list[Any] = [[], [1], [None, 1], [NAN], ["a", 1], [1, NAN], {}, {"x": 1}, {"x": NAN}, {"x": None}]

_offsets = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5, minutes=-30))])
wide_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999), timezones=_offsets
    ),
    st.text(alphabet=st.sampled_from("aAbB あ\U0001f600\uffff\x00"), max_size=3),
    st.binary(max_size=3),
    st.sampled_from([Reference("a/b"), Reference("a/b/c/d"), Reference("z/z")]),
    st.builds(
        GeoPoint,
        st.floats(min_value=-90, max_value=90, allow_nan=False),
        st.floats(min_value=-180, max_value=180, allow_nan=False),
    ),
)
# A few values drawn often, so that conditions, cursors and order ties meet the documents.
HOT: list[Any] = [
    None,
    False,
    0,
    1,
    1.0,
    -0.0,
    NAN,
    "a",
    "",
    TS[0],
    b"\x01",
    Reference("a/b"),
    GeoPoint(1, 2),
]
scalars = st.one_of(st.sampled_from(HOT), st.sampled_from(HOT), st.sampled_from(SCALARS), wide_scalars)
arrays = st.one_of(
    st.sampled_from([c for c in COMPOSITES if isinstance(c, list)]), st.lists(scalars, max_size=3)
)
maps = st.one_of(
    st.sampled_from([c for c in COMPOSITES if isinstance(c, dict)]),
    st.dictionaries(st.sampled_from(MAP_KEYS), st.one_of(scalars, arrays), max_size=3),
)
values = st.one_of(scalars, scalars, scalars, arrays, maps)


# Where a document lives: the example's collection ('@') at the top, or collections with the same
# id under other parents, which only a collection-group query reads ('p' < 'p-q', segment-wise).
PARENTS = ["", "", "", "p/1/@/", "p/2/@/", "p-q/1/@/", "@/d0/@/"]


@st.composite
def documents(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """A few documents by name ('d3' in the example's collection, 'p/1/@/d3' in another of its id),
    each with some of the fields."""
    ids = draw(st.lists(st.sampled_from([f"d{i}" for i in range(10)]), min_size=1, max_size=8, unique=True))
    docs = {}
    for doc_id in ids:
        doc_id = draw(st.sampled_from(PARENTS)) + doc_id
        names = draw(st.lists(st.sampled_from([*NAMES, "m"]), max_size=3, unique=True))
        if "a" not in names and draw(st.sampled_from([True, True, True, False])):
            names.append("a")  # most documents hold the field most queries ask about
        docs[doc_id] = {name: draw(maps if name == "m" else values) for name in names}
    return docs


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(OPERATORS))
    field = draw(st.sampled_from(QUERIED))
    if op in ("in", "not-in", "array-contains-any"):
        value: Any = draw(st.lists(values, min_size=1, max_size=4))
    else:
        value = draw(values)
    return {"field": format_field_path(field), "operator": op, "value": value}


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    """A query spec: conditions, orders, limit; the cursor is drawn later, from the results."""
    spec: dict[str, Any] = {"conditions": draw(st.lists(conditions(), max_size=2))}
    if draw(st.booleans()):
        spec["group"] = True  # a collection-group query
    orders = draw(st.lists(st.sampled_from(QUERIED), max_size=2, unique=True))
    if orders:
        spec["order_by"] = [(format_field_path(f), draw(st.sampled_from(["asc", "desc"]))) for f in orders]
    if draw(st.booleans()):
        spec["limit"] = draw(st.integers(min_value=1, max_value=5))
    return spec

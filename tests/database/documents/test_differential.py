"""Differential test: generated documents and queries give the same answers on the embedded store
and on Google's Firestore emulator (the same documents in the same order, or the same refusal).

`make test` runs a fixed, derandomized set of examples; the long run for nightly use is
``make differential`` (WELLNESS_DIFFERENTIAL_EXAMPLES examples, and a random seed unless
WELLNESS_DIFFERENTIAL_SEED names one; see docs/documents.md). A difference found once is kept
below as an explicit regression case.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from backend.database.documents import Avg, Count, DocumentStore, IndexRegistry, Sum
from backend.database.documents.firestore import FirestoreDocumentStore
from backend.database.documents.local import LocalDocumentStore
from backend.database.documents.port import Document
from backend.database.documents.query import Query
from backend.errors import ValidationFailed, WellnessError
from tests import emulators
from tests.database.documents.generators import documents, queries

EXAMPLES = int(os.environ.get("WELLNESS_DIFFERENTIAL_EXAMPLES", "100"))
SEED = os.environ.get("WELLNESS_DIFFERENTIAL_SEED")
_collections = itertools.count()

pytestmark = pytest.mark.emulator


class AnyIndex(IndexRegistry):
    """Declares every composite index (the emulator needs none; which ones Firestore needs is
    tested in test_indexes.py)."""

    def check(self, query: Query) -> None:
        return None


class Stores(tuple[DocumentStore, DocumentStore]):
    """The embedded store and the emulator, emptied every ``EMPTY_EVERY`` examples: each example
    writes a collection of its own, and collection-group queries read them all, so a long run would
    otherwise slow down as the stores fill."""

    EMPTY_EVERY = 500
    firestore_host: str

    def fresh_collection(self) -> str:
        n = next(_collections)
        if n and n % self.EMPTY_EVERY == 0:
            local = self[0]
            assert isinstance(local, LocalDocumentStore)
            local.connection().execute("DELETE FROM documents")
            emulators.wipe_firestore(self.firestore_host)
        return f"diff{n}"


@pytest.fixture(scope="module")
def stores(firestore_host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    emulators.wipe_firestore(firestore_host)
    local = LocalDocumentStore(
        tmp_path_factory.mktemp("differential") / "documents.sqlite3", indexes=AnyIndex()
    )
    remote = FirestoreDocumentStore(project=emulators.PROJECT, indexes=AnyIndex())
    both = Stores((local, remote))
    both.firestore_host = firestore_host
    yield both
    local.close()
    remote.close()


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call answered: its result, or the kind of refusal (and the fields it names)."""
    try:
        return ("ok", call())
    except ValidationFailed as exc:
        return ("refused", tuple(exc.fields))
    except WellnessError as exc:
        return ("error", type(exc).__name__)
    except Exception as exc:  # a bug on either side; compared, then failed below
        return ("crash", repr(exc))


def same(a: Any, b: Any) -> bool:
    """Equal as Firestore values, strictly: NaN equals NaN, 1 differs from 1.0, -0.0 from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def close(a: tuple[Any, ...], b: tuple[Any, ...], docs: dict[str, dict[str, Any]]) -> bool:
    """Aggregation answers agree: counts and integer sums exactly, the types of every value, float
    sums and means within the rounding of adding these documents' numbers in another order."""
    if a[0] != "ok" or b[0] != "ok":
        return a == b
    magnitude = sum(abs(x) for x in _numbers(docs) if math.isfinite(x)) + 1.0
    for key in a[1]:
        x, y = a[1][key], b[1][key]
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
                if not same(x, y):
                    return False
            elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=magnitude * 1e-12):
                return False
        elif x != y:
            return False
    return True


def _numbers(value: Any) -> list[float]:
    if type(value) in (int, float):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return []


def ids(found: tuple[Any, ...]) -> tuple[Any, ...]:
    """The documents' paths (a collection group's documents share ids across parents)."""
    return ("ok", [d.path for d in found[1]]) if found[0] == "ok" else found


def both(stores: tuple[DocumentStore, ...], call: Callable[[DocumentStore], Any]) -> list[tuple[Any, ...]]:
    return [outcome(functools.partial(call, store)) for store in stores]


def check_one(
    stores: Stores,
    docs: dict[str, dict[str, Any]],
    specs: list[dict[str, Any]],
    cursor_picks: list[int],
    record: Callable[[str], object] = event,
) -> None:
    """Write ``docs`` to a fresh collection of both stores, then run each query on both."""
    collection = stores.fresh_collection()

    paths = {name: name.replace("@", collection) if "/" in name else f"{collection}/{name}" for name in docs}

    def write(store: DocumentStore) -> None:
        with store.batch() as batch:
            for name, data in docs.items():
                batch.set(paths[name], data)

    written = both(stores, write)
    assert written[0] == written[1], f"writing {docs!r}"
    assert written[0][0] != "crash", f"writing {docs!r}"
    record(f"write {written[0][0]}")
    if written[0][0] != "ok":
        return
    for path in paths.values():
        local, remote = (s.get(path) for s in stores)
        assert local is not None
        assert remote is not None
        assert same(local.data, remote.data), f"{path}: {local.data!r} != {remote.data!r}"

    for full_spec, pick in zip(specs, cursor_picks, strict=True):
        spec = {k: v for k, v in full_spec.items() if k != "group"}
        spec["collection_group" if full_spec.get("group") else "collection"] = collection
        answers = [ids(a) for a in both(stores, lambda s, spec=spec: s.query(**spec))]
        assert answers[0] == answers[1], f"query {spec!r} on {docs!r}"
        assert answers[0][0] != "crash", f"query {spec!r} on {docs!r}"
        record(
            f"query {answers[0][0]}"
            + (f", {min(len(answers[0][1]), 3)}+ found" if answers[0][0] == "ok" else "")
        )
        counted = both(
            stores,
            lambda s, spec=spec: s.count(
                spec.get("collection"),
                collection_group=spec.get("collection_group"),
                conditions=spec["conditions"],
            ),
        )
        assert counted[0] == counted[1], f"count {spec['conditions']!r} on {docs!r}"
        field = spec["order_by"][0][0] if spec.get("order_by") else "a"
        wanted = {"n": Count(), "s": Sum(field), "m": Avg(field)}
        totals = both(
            stores,
            lambda s, spec=spec, wanted=wanted: s.aggregate(
                spec.get("collection"),
                aggregations=wanted,
                collection_group=spec.get("collection_group"),
                conditions=spec["conditions"],
            ),
        )
        assert close(totals[0], totals[1], docs), f"aggregate {field} {spec['conditions']!r} on {docs!r}"
        if answers[0][0] != "ok" or not answers[0][1]:
            continue
        after_path = answers[0][1][pick % len(answers[0][1])]
        after = stores[0].get(after_path)
        assert isinstance(after, Document)
        paged = [
            ids(a) for a in both(stores, lambda s, spec=spec, after=after: s.query(**spec, start_after=after))
        ]
        assert paged[0] == paged[1], f"query {spec!r} after {after_path} on {docs!r}"


def _settings(examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        derandomize=SEED is None,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def _seeded(test: Callable[..., Any]) -> Callable[..., Any]:
    return seed(int(SEED))(test) if SEED is not None else test


@_seeded
@_settings(EXAMPLES)
@given(
    docs=documents(),
    specs=st.lists(queries(), min_size=1, max_size=4),
    cursor_picks=st.lists(st.integers(min_value=0, max_value=10), min_size=4, max_size=4),
)
def test_embedded_store_answers_as_the_emulator(
    stores: Stores,
    docs: dict[str, dict[str, Any]],
    specs: list[dict[str, Any]],
    cursor_picks: list[int],
) -> None:
    check_one(stores, docs, specs, cursor_picks[: len(specs)])


# --- differences the differential found, kept as explicit cases --------------------------------


def where(field: str, op: str, value: Any, **spec: Any) -> dict[str, Any]:
    return {"conditions": [{"field": field, "operator": op, "value": value}], **spec}


NUL_STRINGS = {
    "d0": {"a": "\x00"},
    "d1": {"a": ""},
    "d2": {"a": "\x01"},
    "d3": {"a": "\x00a"},
    "d4": {"a": "a"},
}
REGRESSIONS: list[tuple[str, dict[str, dict[str, Any]], dict[str, Any]]] = [
    # SQLite's JSON functions cut strings at U+0000: "\x00" equalled "" (now stored escaped).
    ("nul-equals-empty", {"d0": {"a": "\x00"}}, where("a", "==", "")),
    ("nul-string-operand", NUL_STRINGS, where("a", "in", ["\x00", "\x00a", "\x01"])),
    ("nul-strings-ordered", NUL_STRINGS, {"conditions": [], "order_by": "a"}),
    ("nul-strings-range", NUL_STRINGS, where("a", ">", "\x00", order_by=[("a", "desc")])),
    ("nul-in-array", {"d0": {"a": ["\x00"]}, "d1": {"a": [""]}}, where("a", "array-contains", "")),
    # array-contains with a tagged operand (inf, a timestamp...) read a string element as JSON.
    (
        "array-contains-inf",
        {"d0": {"a": [""]}, "d1": {"a": [float("inf")]}},
        where("a", "array-contains", float("inf")),
    ),
]


@pytest.mark.parametrize(("docs", "spec"), [r[1:] for r in REGRESSIONS], ids=[r[0] for r in REGRESSIONS])
def test_differences_found_before(
    stores: Stores, docs: dict[str, dict[str, Any]], spec: dict[str, Any]
) -> None:
    check_one(stores, docs, [spec], [0], record=print)


def test_the_comparison_itself_can_fail(tmp_path: Path) -> None:
    assert not same(1, 1.0)
    assert not same(0.0, -0.0)
    assert same(float("nan"), float("nan"))
    assert not same({"a": [1]}, {"a": [2]})

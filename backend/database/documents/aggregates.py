"""Aggregation queries, Firestore's count, sum and avg over a query, and their rules.

``store.aggregate("treatments", aggregations={"n": Count(), "minutes": Sum("minutes"),
"mean": Avg("minutes")}, conditions=[...])`` answers ``{"n": 12, "minutes": 540, "mean": 45.0}`` in
one round trip; ``store.sum`` and ``store.avg`` are the one-aggregation forms. Firestore's rules,
which the emulator follows and the embedded store copies:

- every field aggregated must exist in a document for the document to count at all, so
  ``Count()`` next to ``Sum("minutes")`` counts only the documents that have ``minutes``;
- only numbers are summed or averaged: null, booleans, strings and the rest are skipped;
- a sum of integers is an integer while it fits in 64 bits, else a float; once a float is among
  the numbers, the integers' exact sum and the floats' sum are added as floats; NaN makes NaN,
  and +inf with -inf makes NaN; the sum of no numbers is the integer 0;
- an average is a float, None when there are no numbers.

Floating-point sums may differ in the last bits between runs and stores (Firestore documents its
own as non-deterministic); integer sums are exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from backend.database.documents.paths import FieldPath, parse_field_path
from backend.database.documents.query import Order, Query
from backend.database.validation import INT64_MAX, INT64_MIN
from backend.errors import FieldProblem, ValidationFailed

MAX_AGGREGATIONS = 5  # per request, Firestore's limit


@dataclass(frozen=True)
class Count:
    """The number of documents the query matches."""


@dataclass(frozen=True)
class Sum:
    """The sum of a numeric field (``Sum("vas.physical")``) over the documents the query matches."""

    field: str


@dataclass(frozen=True)
class Avg:
    """The mean of a numeric field over the documents the query matches (None when there are none)."""

    field: str


Aggregation = Count | Sum | Avg
Kind = Literal["count", "sum", "avg"]


class Wanted(NamedTuple):
    """One validated aggregation: its alias, kind and field (None for count)."""

    alias: str
    kind: Kind
    field: FieldPath | None


def wanted(aggregations: Mapping[str, Aggregation]) -> tuple[Wanted, ...]:
    """Check the requested aggregations against Firestore's rules, naming the bad one."""
    if not isinstance(aggregations, Mapping) or not aggregations:
        raise _bad("aggregations", "give at least one, e.g. {'n': Count(), 'total': Sum('minutes')}")
    if len(aggregations) > MAX_AGGREGATIONS:
        raise _bad("aggregations", f"Firestore computes at most {MAX_AGGREGATIONS} per request")
    found = []
    for alias, spec in aggregations.items():
        where = f"aggregations.{alias}"
        if not isinstance(alias, str) or not alias:
            raise _bad("aggregations", "each aggregation needs a non-empty name (a string key)")
        if isinstance(spec, Count):
            found.append(Wanted(alias, "count", None))
        elif isinstance(spec, Sum | Avg):
            kind: Kind = "sum" if isinstance(spec, Sum) else "avg"
            found.append(Wanted(alias, kind, parse_field_path(spec.field, what=f"{where}.field")))
        else:
            raise _bad(where, "must be Count(), Sum('field') or Avg('field')")
    return tuple(found)


def fields(aggregations: Sequence[Wanted]) -> tuple[FieldPath, ...]:
    """The aggregated fields, each once, in order: every one must exist in a counted document."""
    return tuple(dict.fromkeys(a.field for a in aggregations if a.field is not None))


def index_query(query: Query, aggregated: Sequence[FieldPath]) -> Query:
    """The query as Firestore indexes it: sum and avg read their field from the index, like an
    ascending order on it, so a filter on another field needs a composite index with both."""
    ordered = {o.field for o in query.orders}
    extra = tuple(Order(f) for f in aggregated if f not in ordered)
    return replace(query, orders=query.orders + extra) if extra else query


class Totals(NamedTuple):
    """What a sum and an average are made of, kept apart as Firestore keeps them."""

    ints: int = 0  # exact sum of the integers
    floats: float = 0.0  # sum of the finite floats
    has_float: bool = False  # a float (finite or not) was among the numbers
    numbers: int = 0  # how many numbers, NaN and infinities included
    nan: bool = False
    pos_inf: bool = False
    neg_inf: bool = False


def totals(values: Iterable[Any]) -> Totals:
    """Totals of the numeric values among ``values`` (the Python evaluation)."""
    ints, floats, numbers = 0, 0.0, 0
    has_float = nan = pos_inf = neg_inf = False
    for value in values:
        kind = type(value)
        if kind is int:
            ints += value
        elif kind is float:
            has_float = True
            if math.isnan(value):
                nan = True
            elif value == math.inf:
                pos_inf = True
            elif value == -math.inf:
                neg_inf = True
            else:
                floats += value
        else:
            continue
        numbers += 1
    return Totals(ints, floats, has_float, numbers, nan, pos_inf, neg_inf)


def sum_of(t: Totals) -> int | float:
    if t.nan or (t.pos_inf and t.neg_inf):
        return math.nan
    if t.pos_inf or t.neg_inf:
        return math.inf if t.pos_inf else -math.inf
    if not t.has_float:
        return t.ints if INT64_MIN <= t.ints <= INT64_MAX else float(t.ints)
    return float(t.ints) + t.floats


def avg_of(t: Totals) -> float | None:
    return None if t.numbers == 0 else float(sum_of(t)) / t.numbers


def result(
    aggregations: Sequence[Wanted], count: int, by_field: Mapping[FieldPath, Totals]
) -> dict[str, Any]:
    """The answer by alias, from the number of documents and each field's totals."""
    answer: dict[str, Any] = {}
    for a in aggregations:
        if a.field is None:
            answer[a.alias] = count
        else:
            answer[a.alias] = (sum_of if a.kind == "sum" else avg_of)(by_field[a.field])
    return answer


def _bad(where: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(where, reason)])


class AggregateMethods:
    """``sum`` and ``avg``, the one-aggregation forms of an adapter's ``aggregate``."""

    def aggregate(
        self,
        collection: str | None = None,
        *,
        aggregations: Mapping[str, Aggregation],
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def sum(
        self,
        collection: str | None = None,
        *,
        field: str,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> int | float:
        """The sum of ``field`` over the matching documents (Firestore's rules: see the module)."""
        answer = self.aggregate(
            collection,
            aggregations={"sum": Sum(field)},
            collection_group=collection_group,
            conditions=conditions,
        )
        total: int | float = answer["sum"]
        return total

    def avg(
        self,
        collection: str | None = None,
        *,
        field: str,
        collection_group: str | None = None,
        conditions: Sequence[Mapping[str, Any]] | None = None,
    ) -> float | None:
        """The mean of ``field`` over the matching documents; None when none holds a number."""
        answer = self.aggregate(
            collection,
            aggregations={"avg": Avg(field)},
            collection_group=collection_group,
            conditions=conditions,
        )
        mean: float | None = answer["avg"]
        return mean

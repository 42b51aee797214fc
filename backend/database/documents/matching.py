"""Firestore's matching rules in Python: the embedded store's reference evaluation of conditions.

The SQL the embedded store runs (``local_sql``) follows the same rules; where SQL cannot compare
exactly (arrays and maps as operands, field names SQLite's JSON paths cannot spell) these functions
decide. ``list_operands`` and ``matches_nothing`` are shared by both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.database.documents.query import LIST_OPERATORS, Condition, Query
from backend.database.documents.values import ARRAY, MAP, NULL, compare, equal, is_null_or_nan, lookup, rank


def list_operands(condition: Condition) -> list[Any]:
    """The elements of an 'in', 'not-in' or 'array-contains-any' list that can match anything.

    Firestore (the emulator is the referee) never matches a None or NaN listed at the top level of
    these lists, though nested inside an array or map they compare as usual; and a None in a
    'not-in' list makes the whole condition match nothing (see ``matches_nothing``).
    """
    return [x for x in condition.value if not is_null_or_nan(x)]


def matches_nothing(condition: Condition) -> bool:
    """Whether the condition can match no document at all, whatever the data."""
    if condition.op == "not-in":
        return any(x is None for x in condition.value)
    return condition.op in ("in", "array-contains-any") and not list_operands(condition)


def matches(data: Mapping[str, Any], condition: Condition) -> bool:
    """Whether a document satisfies one condition, by Firestore's rules (type-bounded ranges)."""
    found, value = lookup(data, condition.field)
    if not found:
        return False
    op, operand = condition.op, condition.value
    if op == "==":
        return equal(value, operand)
    if op in LIST_OPERATORS and matches_nothing(condition):
        return False
    if op == "in":
        return any(equal(value, x) for x in list_operands(condition))
    if op == "array-contains":
        return isinstance(value, list) and any(equal(item, operand) for item in value)
    if op == "array-contains-any":
        wanted = list_operands(condition)
        return isinstance(value, list) and any(equal(item, x) for item in value for x in wanted)
    if value is None or rank(value) == NULL:
        return False  # '!=', 'not-in' and ranges never match null
    if op == "!=":
        return not equal(value, operand)
    if op == "not-in":
        return not any(equal(value, x) for x in list_operands(condition))
    if rank(value) != rank(operand):
        return False
    c = compare(value, operand)
    return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def needs_python(query: Query) -> bool:
    """Whether some operand is an array or a map (SQL can only compare scalars exactly)."""
    operands: list[Any] = []
    for c in query.conditions:
        operands.extend(c.value if c.op in LIST_OPERATORS else [c.value])
    operands.extend(query.start_after or ())
    return any(rank(v) in (ARRAY, MAP) for v in operands if v is not None)

"""Queries in the seed's form, checked against Firestore's rules before any adapter runs them.

``Query.build`` turns ``conditions=[{'field': 'user_id', 'operator': '==', 'value': 'u1'}]``,
``order_by``, ``limit`` and ``start_after`` into a validated ``Query``; it raises
``ValidationFailed`` for anything Firestore would refuse, naming the condition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

from backend.database.documents.paths import (
    FieldPath,
    collection_path,
    document_id_problem,
    format_field_path,
    parse_field_path,
)
from backend.database.documents.values import check_value, is_null_or_nan, is_sentinel, lookup
from backend.errors import FieldProblem, ValidationFailed

Direction = Literal["asc", "desc"]

EQUALITY = ("==", "in", "array-contains", "array-contains-any")
RANGE = ("<", "<=", ">", ">=")
NOT_EQUAL = ("!=", "not-in")
OPERATORS = (*EQUALITY, *RANGE, *NOT_EQUAL)
_ALIASES = {
    "array_contains": "array-contains",
    "array_contains_any": "array-contains-any",
    "not_in": "not-in",
    "=": "==",
}
LIST_OPERATORS = {"in": 30, "array-contains-any": 30, "not-in": 10}
MAX_DISJUNCTIONS = 30


@dataclass(frozen=True)
class Condition:
    field: FieldPath
    op: str
    value: Any

    @property
    def name(self) -> str:
        return format_field_path(self.field)

    @property
    def is_inequality(self) -> bool:
        return self.op in RANGE or self.op in NOT_EQUAL


@dataclass(frozen=True)
class Order:
    field: FieldPath
    direction: Direction = "asc"

    @property
    def name(self) -> str:
        return format_field_path(self.field)


@dataclass(frozen=True)
class Query:
    """A validated query; ``orders`` are the explicit orders, ``effective_orders`` add Firestore's
    implicit ones (inequality fields, then the document name)."""

    collection: str  # the collection's path; for a collection group, the collection id
    conditions: tuple[Condition, ...] = ()
    orders: tuple[Order, ...] = ()
    limit: int | None = None
    start_after: tuple[Any, ...] | None = None  # values for effective_orders, then the document's name
    group: bool = False  # every collection with this id, under any parent ('chats': companies/*/chats)

    @cached_property
    def effective_orders(self) -> tuple[Order, ...]:
        explicit = {o.field for o in self.orders}
        direction: Direction = self.orders[-1].direction if self.orders else "asc"
        implicit = sorted({c.field for c in self.conditions if c.is_inequality} - explicit)
        return self.orders + tuple(Order(f, direction) for f in implicit)

    @property
    def name_direction(self) -> Direction:
        orders = self.effective_orders
        return orders[-1].direction if orders else "asc"

    @classmethod
    def build(
        cls,
        collection: str,
        *,
        group: bool = False,
        conditions: Sequence[Mapping[str, Any]] | None = None,
        order_by: Any = None,
        limit: int | None = None,
        start_after: Any = None,
    ) -> Query:
        parsed = tuple(_condition(c, i) for i, c in enumerate(conditions or ()))
        _check_combination(parsed)
        query = cls(collection, parsed, _orders(order_by), _limit(limit), group=group)
        if start_after is not None:
            query = replace(query, start_after=_cursor(query, start_after))
        return query


def target(collection: str | None, collection_group: str | None) -> tuple[str, bool]:
    """(collection path, False) or (collection id, True): what a query reads; exactly one is named."""
    if (collection is None) == (collection_group is None):
        raise _bad(
            "collection",
            "name either a collection ('companies/1/chats') or a collection_group ('chats'), not both",
        )
    if collection is not None:
        return collection_path(collection), False
    if (reason := document_id_problem(collection_group)) is not None:
        raise _bad("collection_group", f"a collection id such as 'chats': {reason}", collection_group)
    return str(collection_group), True


def _bad(where: str, reason: str, value: object = None) -> ValidationFailed:
    return ValidationFailed([FieldProblem(where, reason, value=value)])


def _condition(raw: object, index: int) -> Condition:
    where = f"conditions[{index}]"
    if not isinstance(raw, Mapping):
        raise _bad(where, "must be a mapping like {'field': 'user_id', 'operator': '==', 'value': 'u1'}", raw)
    unknown = set(raw) - {"field", "operator", "op", "value"}
    if unknown or "field" not in raw or "value" not in raw:
        raise _bad(
            where,
            "needs 'field' and 'value' (and optionally 'operator'); got keys "
            + ", ".join(sorted(map(str, raw))),
        )
    op = str(raw.get("operator", raw.get("op", "==")))
    op = _ALIASES.get(op, op)
    if op not in OPERATORS:
        raise _bad(f"{where}.operator", f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}", op)
    field = parse_field_path(raw["field"], what=f"{where}.field")
    value = raw["value"]
    _check_operand(where, op, value)
    return Condition(field, op, list(value) if isinstance(value, tuple) else value)


def _check_operand(where: str, op: str, value: Any) -> None:
    if op in LIST_OPERATORS:
        if not isinstance(value, list | tuple) or not value:
            raise _bad(f"{where}.value", f"'{op}' takes a non-empty list of values", value)
        if len(value) > LIST_OPERATORS[op]:
            raise _bad(
                f"{where}.value", f"'{op}' takes at most {LIST_OPERATORS[op]} values, got {len(value)}"
            )
        items = list(value)
    else:
        items = [value]
    for item in items:
        check_query_value(f"{where}.value", item)
    if op not in ("==", "!=") and op not in LIST_OPERATORS and is_null_or_nan(value):
        # Google's client refuses these (array-contains too); the server could not answer them
        reason = f"only '==' and '!=' can compare with None or NaN, not '{op}'"
        raise _bad(f"{where}.value", reason, str(value))


def check_query_value(where: str, value: Any) -> None:
    """A value a query can hold (a condition's operand or a cursor's): storable, and no write sentinel
    at any depth (SERVER_TIMESTAMP, DELETE_FIELD and Increment only mean something in a write)."""
    if _holds_sentinel(value):
        raise _bad(where, "SERVER_TIMESTAMP, DELETE_FIELD and Increment can only be written, not queried")
    check_value(value, [where], 1)


def _holds_sentinel(value: Any) -> bool:
    if is_sentinel(value):
        return True
    if isinstance(value, Mapping):
        return any(_holds_sentinel(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_sentinel(v) for v in value)
    return False


def _check_combination(conditions: tuple[Condition, ...]) -> None:
    ops = [c.op for c in conditions]
    if sum(op in NOT_EQUAL for op in ops) > 1:
        raise _bad("conditions", "at most one '!=' or 'not-in' condition per query")
    if "not-in" in ops and ("in" in ops or "array-contains-any" in ops):
        raise _bad("conditions", "'not-in' cannot be combined with 'in' or 'array-contains-any'")
    if sum(op in ("array-contains", "array-contains-any") for op in ops) > 1:
        raise _bad("conditions", "at most one 'array-contains' or 'array-contains-any' condition per query")
    disjunctions = math.prod(len(c.value) for c in conditions if c.op in ("in", "array-contains-any"))
    if disjunctions > MAX_DISJUNCTIONS:
        raise _bad(
            "conditions",
            f"'in' and 'array-contains-any' lists multiply to {disjunctions} "
            f"alternatives; Firestore allows at most {MAX_DISJUNCTIONS}",
        )


def _orders(order_by: Any) -> tuple[Order, ...]:
    if order_by is None:
        return ()
    if isinstance(order_by, str | Mapping) or _is_pair(order_by):
        items = [order_by]
    elif isinstance(order_by, list | tuple):
        items = list(order_by)
    else:
        items = [order_by]  # refused below, naming it
    orders = []
    for i, item in enumerate(items):
        where = f"order_by[{i}]"
        field: Any
        if isinstance(item, str):
            field, direction = (item[1:], "desc") if item.startswith("-") else (item, "asc")
        elif isinstance(item, Mapping):
            field, direction = item.get("field"), str(item.get("direction", "asc"))
        elif _is_pair(item):
            field, direction = item[0], str(item[1])
        else:
            raise _bad(
                where, "must be 'field', '-field', ('field', 'desc') or {'field': ..., 'direction': ...}"
            )
        direction = direction.lower().removesuffix("ending")
        if direction not in ("asc", "desc"):
            raise _bad(where, f"direction must be 'asc' or 'desc', not {direction!r}")
        orders.append(Order(parse_field_path(field, what=f"{where}.field"), direction))  # type: ignore[arg-type]
    if len({o.field for o in orders}) != len(orders):
        raise _bad("order_by", "orders the same field twice")
    return tuple(orders)


def _is_pair(item: object) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)


def _limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise _bad("limit", "must be a positive whole number", limit)
    return limit


def _cursor(query: Query, start_after: Any) -> tuple[Any, ...]:
    """Cursor values from a document of the previous page, or from a mapping of order fields."""
    from backend.database.documents.port import Document

    orders = query.effective_orders
    if isinstance(start_after, Document):
        parent = start_after.path.rpartition("/")[0]
        # Google's client refuses another collection's document; in a collection group, any
        # document's path is a position in the order, and the client takes it.
        if not query.group and parent != query.collection:
            raise _bad(
                "start_after",
                f"the document {start_after.path} is not in {query.collection}; "
                "pass a document from this query's own results",
            )
        values = []
        for order in orders:
            found, value = lookup(start_after.data, order.field)
            if not found:
                raise _bad(
                    "start_after", f"the document has no field {order.name}, which the query orders by"
                )
            values.append(value)
        cursor = (*values, start_after.path if query.group else start_after.id)
    elif isinstance(start_after, Mapping):
        if not orders:
            raise _bad("start_after", "a cursor of field values needs order_by (or pass a document)")
        missing = [o.name for o in orders if o.name not in start_after]
        if missing:
            raise _bad("start_after", "give a value for every ordered field: " + ", ".join(missing))
        cursor = tuple(start_after[o.name] for o in orders)
    else:
        raise _bad("start_after", "must be a document from the previous page or a mapping of ordered fields")
    for order, value in zip(orders, cursor, strict=False):
        check_query_value(f"start_after.{order.name}", value)
    return cursor

"""Firestore queries as SQLite SQL over the JSON documents of the embedded store.

Every condition on scalar operands is translated exactly: a value only matches values of its
own type (Firestore's type-bounded comparisons), and orders sort by (type rank, value) so mixed
types come out in Firestore's order. Operands that are arrays or maps, and field names SQLite's
JSON paths cannot spell, are left to the Python evaluator (``matching.matches``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from backend.database.documents import values as v
from backend.database.documents.local_codec import BYTES, FLOAT, GEO, REF, TS, sql_text, timestamp_text
from backend.database.documents.matching import list_operands, matches_nothing
from backend.database.documents.paths import FieldPath
from backend.database.documents.query import LIST_OPERATORS, Condition, Query

SLASH_KEY = "\x01"  # references order segment by segment: '/' is replaced by a character below all


class NotExpressible(Exception):
    """This part of the query must be evaluated in Python."""


@dataclass
class Sql:
    """Collects SQL fragments and their named parameters."""

    params: dict[str, Any] = field(default_factory=dict)

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def literal(text: str) -> str:
    """A string as an SQL literal. Collection names and JSON paths are inlined rather than bound so
    that SQLite can match the partial expression indexes ``prepare`` creates."""
    return "'" + text.replace("'", "''") + "'"


def json_path(path: FieldPath) -> str:
    """The path as an SQL string literal (literal, not a parameter, so expression indexes match)."""
    if any('"' in part or "\\" in part or "\x00" in part for part in path):
        raise NotExpressible
    return literal("$" + "".join(f'."{part}"' for part in path))


def value_expression(path: FieldPath) -> str:
    """The SQL reading a field's raw value: what equality uses and what local indexes index."""
    return f"json_extract(data, {json_path(path)})"


class Accessor:
    """SQL for reading one value: a document field, or an array element of json_each."""

    def __init__(self, sql: Sql, path: FieldPath | None) -> None:
        self.sql = sql
        self._tag_paths: dict[str, str] | None = None  # None: an array element (json_each alias e)
        if path is None:
            self.type, self.raw = "e.type", "e.value"
        else:
            base = json_path(path)
            self.type, self.raw = f"json_type(data, {base})", value_expression(path)
            self._tag_paths = {tag: f'{base[:-1]}."{tag}"\'' for tag in (TS, BYTES, REF, GEO, FLOAT)}

    def _tag_call(self, function: str, tag: str) -> str:
        if self._tag_paths is None:  # an element's value is JSON text only when it is an object
            return f"CASE e.type WHEN 'object' THEN {function}(e.value, '$.\"{tag}\"') END"
        return f"{function}(data, {self._tag_paths[tag]})"

    def tag(self, tag: str) -> str:
        """The tagged value (timestamp text, bytes hex, ...); NULL when the value has another type."""
        return self._tag_call("json_extract", tag)

    def geo(self, index: int) -> str:
        """The latitude (0) or longitude (1) of a geo point; NULL for any other value."""
        if self._tag_paths is None:
            return f"json_extract({self.tag(GEO)}, '$[{index}]')"
        return f"json_extract(data, {self._tag_paths[GEO][:-1]}[{index}]')"  # one walk, not two

    def _tag_type(self, tag: str) -> str:
        return self._tag_call("json_type", tag)

    def number(self) -> str:
        return (
            f"CASE {self.type} WHEN 'integer' THEN {self.raw} WHEN 'real' THEN {self.raw} "
            f"ELSE CASE {self.tag(FLOAT)} WHEN 'inf' THEN 9e999 WHEN '-inf' THEN -9e999 END END"
        )

    def rank(self) -> str:
        t = self._tag_type
        return (
            f"CASE {self.type} WHEN 'null' THEN {v.NULL} WHEN 'true' THEN {v.BOOLEAN} "
            f"WHEN 'false' THEN {v.BOOLEAN} WHEN 'integer' THEN {v.NUMBER} WHEN 'real' THEN {v.NUMBER} "
            f"WHEN 'text' THEN {v.STRING} WHEN 'array' THEN {v.ARRAY} WHEN 'object' THEN CASE "
            f"WHEN {t(TS)} IS NOT NULL THEN {v.TIMESTAMP} WHEN {t(BYTES)} IS NOT NULL THEN {v.BYTES} "
            f"WHEN {t(REF)} IS NOT NULL THEN {v.REFERENCE} WHEN {t(GEO)} IS NOT NULL THEN {v.GEO} "
            f"WHEN {self.tag(FLOAT)} = 'nan' THEN {v.NAN} WHEN {t(FLOAT)} IS NOT NULL THEN {v.NUMBER} "
            f"ELSE {v.MAP} END END"
        )

    def sort_value(self) -> str:
        return (
            f"CASE {self.type} WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'integer' THEN {self.raw} "
            f"WHEN 'real' THEN {self.raw} WHEN 'text' THEN {self.raw} WHEN 'object' THEN COALESCE("
            f"{self.tag(TS)}, {self.tag(BYTES)}, replace({self.tag(REF)}, '/', char(1)), "
            f"{self.geo(0)}, "
            f"CASE {self.tag(FLOAT)} WHEN 'inf' THEN 9e999 WHEN '-inf' THEN -9e999 END) END"
        )

    def typed(self, value: Any) -> tuple[str, list[Any]]:
        """(SQL reading this field as the operand's type, the operand's SQL values)."""
        kind = v.rank(value)
        if kind == v.BOOLEAN:
            return f"CASE {self.type} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END", [int(value)]
        if kind == v.NUMBER:
            return self.number(), [value]
        if kind == v.TIMESTAMP:
            return self.tag(TS), [timestamp_text(value)]
        if kind == v.STRING:
            return f"CASE WHEN {self.type} = 'text' THEN {self.raw} END", [sql_text(value)]
        if kind == v.BYTES:
            return self.tag(BYTES), [value.hex()]
        if kind == v.REFERENCE:
            return f"replace({self.tag(REF)}, '/', char(1))", [value.path.replace("/", SLASH_KEY)]
        if kind == v.GEO:
            return f"{self.geo(0)}, {self.geo(1)}", [
                value.latitude,
                value.longitude,
            ]
        raise NotExpressible

    def equals(self, value: Any) -> str:
        kind = v.rank(value)
        if kind == v.NULL:
            return f"{self.type} = 'null'"
        if kind == v.NAN:
            return f"{self.tag(FLOAT)} = 'nan'"
        # The indexable form: the raw value (what ``prepare``'s expression indexes hold) first. The
        # raw value of an array, a map or a tagged value is its JSON text, and of a boolean 1 or 0,
        # so only operands that could equal those need the type checked too (each check costs a
        # second walk of the JSON per row).
        if kind == v.STRING:
            text = sql_text(value)
            typed = f" AND {self.type} = 'text'" if text[:1] in ("[", "{") else ""
            return f"({self.raw} = {self.sql.param(text)}{typed})"
        if kind == v.NUMBER and math.isfinite(value):
            typed = f" AND {self.type} IN ('integer', 'real')" if value in (0, 1) else ""
            return f"({self.raw} = {self.sql.param(value)}{typed})"
        return self.compare("=", value)

    def compare(self, op: str, value: Any) -> str:
        expr, operands = self.typed(value)
        params = ", ".join(self.sql.param(x) for x in operands)
        return f"(({expr}) {op} ({params}))" if len(operands) > 1 else f"({expr} {op} {params})"


def condition_sql(sql: Sql, c: Condition) -> str:
    """SQL for one condition; raises NotExpressible when only Python can evaluate it exactly."""
    field = Accessor(sql, c.field)
    if c.op == "==":
        return field.equals(c.value)
    if c.op in LIST_OPERATORS and matches_nothing(c):
        return "0"
    if c.op == "in":
        return "(" + " OR ".join(field.equals(x) for x in list_operands(c)) + ")"
    if c.op in ("array-contains", "array-contains-any"):
        operands = [c.value] if c.op == "array-contains" else list_operands(c)
        element = Accessor(sql, None)
        any_element = " OR ".join(element.equals(x) for x in operands)
        array = json_path(c.field)
        elements = f"SELECT 1 FROM json_each(data, {array}) AS e WHERE {any_element}"
        return f"({field.type} = 'array' AND EXISTS ({elements}))"
    present = f"({field.type} IS NOT NULL AND {field.type} != 'null')"
    if c.op == "!=":
        return f"({present} AND NOT COALESCE({field.equals(c.value)}, 0))" if c.value is not None else present
    if c.op == "not-in":
        listed = " OR ".join(field.equals(x) for x in list_operands(c))
        return f"({present} AND NOT COALESCE(({listed}), 0))" if listed else present
    return field.compare(c.op, c.value)


@dataclass(frozen=True)
class SortTerm:
    """How SQL orders by one field: its type's rank, then its value within the type.

    A geo point's value is its latitude only: results whose ordered fields hold geo points (or
    arrays or maps) are ordered again in Python (``local_query``), and a geo point as a cursor value
    is left to Python too, so SQL never needs a third key (each key costs a JSON walk per row)."""

    expressions: tuple[str, str]  # rank, value
    descending: bool
    present: str  # true when the document has the field (ordering leaves out those without)


def order_terms(sql: Sql, query: Query) -> list[SortTerm]:
    terms = []
    for order in query.effective_orders:
        field = Accessor(sql, order.field)
        expressions = (field.rank(), field.sort_value())
        terms.append(SortTerm(expressions, order.direction == "desc", f"{field.type} IS NOT NULL"))
    return terms


def cursor_values(value: Any) -> tuple[Any, Any]:
    """(rank, value) of a cursor value, as ``order_terms`` computes them in SQL."""
    kind = v.rank(value)
    if kind in (v.NULL, v.NAN):
        return kind, None
    if kind in (v.GEO, v.ARRAY, v.MAP):
        raise NotExpressible
    return kind, Accessor(Sql(), ("x",)).typed(value)[1][0]


def scope_sql(query: Query) -> str:
    """The rows a query reads: its collection's, or those of every collection with the group's id."""
    if not query.group:
        return f"parent = {literal(query.collection)}"
    suffix = "/" + query.collection
    return f"(parent = {literal(query.collection)} OR substr(parent, -{len(suffix)}) = {literal(suffix)})"


def name_sql(query: Query) -> str:
    """The document's name as it orders: its id in a collection; in a collection group its path,
    compared segment by segment ('/' replaced by a character below all others)."""
    return "replace(parent, '/', char(1)) || char(1) || id" if query.group else "id"


def cursor_sql(sql: Sql, terms: list[SortTerm], query: Query, name_desc: bool) -> str:
    """Rows strictly after the query's cursor in its order (keys compared lexicographically)."""
    cursor = query.start_after or ()
    keys: list[tuple[str, Any, bool]] = []
    for term, value in zip(terms, cursor, strict=False):
        for expr, key in zip(term.expressions, cursor_values(value), strict=True):
            keys.append((expr, key, term.descending))
    if len(cursor) > len(terms):
        name = cursor[len(terms)]
        keys.append((name_sql(query), name.replace("/", SLASH_KEY) if query.group else name, name_desc))
    alternatives = []
    for i, (expr, key, desc) in enumerate(keys):
        if key is None:
            continue  # a NULL key never orders rows apart; the earlier keys decided
        earlier = [f"{e} IS {sql.param(k)}" for e, k, _ in keys[:i]]
        earlier.append(f"{expr} {'<' if desc else '>'} {sql.param(key)}")
        alternatives.append("(" + " AND ".join(earlier) + ")")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "0"

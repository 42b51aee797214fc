"""Running a validated ``Query`` on the embedded store: in SQL when that is exact, else in Python."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from backend.database.documents import local_codec
from backend.database.documents.local_sql import (
    NotExpressible,
    Sql,
    condition_sql,
    cursor_sql,
    name_sql,
    order_terms,
    scope_sql,
)
from backend.database.documents.matching import matches, needs_python
from backend.database.documents.port import Document
from backend.database.documents.query import Query
from backend.database.documents.values import ARRAY, MAP, SortKey, lookup, rank

COLUMNS = "id, data, create_time, update_time, version"
GROUP_COLUMNS = f"parent, {COLUMNS}"  # a collection group's documents have different parents


class Versioned(NamedTuple):
    """A document with the store's write counter (what transactions compare)."""

    document: Document
    version: int

    @classmethod
    def from_row(cls, parent: str, row: tuple[Any, ...]) -> Versioned:
        doc_id, data, created, updated, version = row
        return cls(
            Document(
                id=doc_id,
                path=f"{parent}/{doc_id}",
                data=local_codec.decode(data),
                create_time=datetime.fromisoformat(created),
                update_time=datetime.fromisoformat(updated),
            ),
            version,
        )


def _rows(query: Query, rows: Iterable[tuple[Any, ...]]) -> list[Versioned]:
    if query.group:
        return [Versioned.from_row(row[0], row[1:]) for row in rows]
    return [Versioned.from_row(query.collection, row) for row in rows]


def run_query(conn: sqlite3.Connection, query: Query, *, count: bool = False) -> Any:
    """The matching documents (or their number, with ``count``)."""
    if not needs_python(query):
        try:
            sql, params = _select(query, count=count)
        except NotExpressible:
            pass
        else:
            if count:
                return int(conn.execute(sql, params).fetchone()[0])
            found = _rows(query, conn.execute(sql, params))
            # SQL orders arrays and maps only by type; when one is among the results, order in Python.
            if not query.effective_orders or not any(_composite(v.document, query) for v in found):
                return found
    found = _in_python(conn, query)
    return len(found) if count else found


def _composite(doc: Document, query: Query) -> bool:
    return any(rank(lookup(doc.data, o.field)[1]) in (ARRAY, MAP) for o in query.effective_orders)


def _select(query: Query, *, count: bool) -> tuple[str, dict[str, Any]]:
    sql = Sql()
    where = [scope_sql(query)]
    where += [condition_sql(sql, c) for c in query.conditions]
    terms = order_terms(sql, query)
    where += [f"{t.expressions[0]} IS NOT NULL" for t in terms]  # ordered fields must exist
    if count:
        return f"SELECT count(*) FROM documents WHERE {' AND '.join(where)}", sql.params
    name_desc = query.name_direction == "desc"
    if query.start_after is not None:
        where.append(cursor_sql(sql, terms, query, name_desc))
    order = [f"{e} {'DESC' if t.descending else 'ASC'}" for t in terms for e in t.expressions]
    order.append(f"{name_sql(query)} {'DESC' if name_desc else 'ASC'}")
    columns = GROUP_COLUMNS if query.group else COLUMNS
    text = f"SELECT {columns} FROM documents WHERE {' AND '.join(where)} ORDER BY {', '.join(order)}"
    if query.limit is not None:
        text += f" LIMIT {int(query.limit)}"
    return text, sql.params


def _in_python(conn: sqlite3.Connection, query: Query) -> list[Versioned]:
    """The reference evaluation: every condition, order and cursor by Firestore's rules."""
    sql = Sql()
    where = [scope_sql(query)]
    for c in query.conditions:  # narrow with the conditions SQL can do exactly; Python does the rest
        try:
            where.append(condition_sql(sql, c))
        except NotExpressible:
            continue
    columns = GROUP_COLUMNS if query.group else COLUMNS
    rows = conn.execute(f"SELECT {columns} FROM documents WHERE {' AND '.join(where)}", sql.params)
    orders = query.effective_orders
    found = [
        v
        for v in _rows(query, rows)
        if all(matches(v.document.data, c) for c in query.conditions)
        and all(lookup(v.document.data, o.field)[0] for o in orders)
    ]
    name_desc = query.name_direction == "desc"

    def name(v: Versioned) -> Any:  # documents order by their path, segment by segment
        return tuple(v.document.path.split("/")) if query.group else v.document.id

    def key(v: Versioned) -> tuple[SortKey, ...]:
        values = [SortKey(lookup(v.document.data, o.field)[1], o.direction == "desc") for o in orders]
        return (*values, SortKey(name(v), name_desc))

    found.sort(key=key)
    if query.start_after is not None:
        cursor = [SortKey(x, o.direction == "desc") for x, o in zip(query.start_after, orders, strict=False)]
        if len(query.start_after) > len(orders):
            after = query.start_after[-1]
            cursor.append(SortKey(tuple(after.split("/")) if query.group else after, name_desc))
        found = [v for v in found if tuple(cursor) < key(v)[: len(cursor)]]
    return found[: query.limit] if query.limit is not None else found

"""Running a validated ``Query`` on the embedded store: in SQL when that is exact, else in Python."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from itertools import repeat
from operator import attrgetter
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
from backend.database.documents.port import DOCUMENT_FIELD_SETTERS, Document
from backend.database.documents.query import Query
from backend.database.documents.values import GeoPoint, SortKey, lookup

COLUMNS = "id, data, create_time, update_time, version"
GROUP_COLUMNS = f"parent, {COLUMNS}"  # a collection group's documents have different parents
# Reads outside a transaction need no versions; a create time equal to the update time comes as NULL.
PLAIN_COLUMNS = "id, data, NULLIF(create_time, update_time), update_time"


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


def documents(parent: str | None, rows: Iterable[tuple[Any, ...]]) -> list[Document]:
    """Documents from ``PLAIN_COLUMNS`` rows: the query path's hot loop (``parent`` None: each row
    starts with its parent).

    The same work as ``Versioned.from_row`` with less per row: commit times repeat across rows (a
    batch shares one, and an unchanged document's two are one), so each is parsed once; the JSON
    scanner is called directly; and documents are built without the dataclass's per-field setattr.
    """
    if parent is None:
        return [doc for row in rows for doc in documents(row[0], [row[1:]])]
    parse, scan, decode = datetime.fromisoformat, local_codec.scan, local_codec.decode
    escaped = local_codec.ESCAPED
    new = object.__new__
    set_id, set_path, set_data, set_created, set_updated = DOCUMENT_FIELD_SETTERS
    stamps: dict[str, datetime] = {}
    prefix = parent + "/"
    found: list[Document] = []
    append = found.append
    created_at: datetime | None
    for doc_id, data, created, updated in rows:
        updated_at = stamps.get(updated)
        if updated_at is None:
            updated_at = stamps[updated] = parse(updated)
        if created is None:  # NULLIF: created when last updated
            created_at = updated_at
        else:
            created_at = stamps.get(created)
            if created_at is None:
                created_at = stamps[created] = parse(created)
        doc = new(Document)  # = Document(...), as port.stored_document explains
        set_id(doc, doc_id)
        set_path(doc, prefix + doc_id)
        set_data(doc, scan(data, 0)[0] if escaped not in data else decode(data))
        set_created(doc, created_at)
        set_updated(doc, updated_at)
        append(doc)
    return found


def run_query(conn: sqlite3.Connection, query: Query, *, count: bool = False, versions: bool = False) -> Any:
    """The matching documents (``versions``: as ``Versioned``, for transactions), or their number."""
    if not needs_python(query):
        try:
            sql, params = _select(query, count=count, versions=versions)
        except NotExpressible:
            pass
        else:
            if count:
                return int(conn.execute(sql, params).fetchone()[0])
            # Rows are decoded as the cursor yields them, while each row's text is still in the CPU's
            # cache (fetching them all first makes the decoding about a quarter slower).
            rows = conn.execute(sql, params)
            if versions:
                found = _rows(query, rows)
                docs = [v.document for v in found]
            else:
                docs = documents(None if query.group else query.collection, rows)
            # SQL orders arrays and maps only by type: when one is among the results, order in Python.
            if not _any_composite(docs, query):
                return found if versions else docs
    found_python = _in_python(conn, query)
    if count:
        return len(found_python)
    return found_python if versions else [v.document for v in found_python]


def _any_composite(docs: list[Document], query: Query) -> bool:
    """Whether an ordered field holds an array, a map or a geo point in one of the documents (SQL
    orders arrays and maps only by type, and geo points only by latitude)."""
    for order in query.effective_orders:
        if len(order.field) == 1:  # the usual case, in C: dict.get of each document's data
            values: Iterable[Any] = map(dict.get, map(_data, docs), repeat(order.field[0]))
        else:
            values = (lookup(doc.data, order.field)[1] for doc in docs)
        if not _ORDERED_IN_PYTHON.isdisjoint(map(type, values)):
            return True
    return False


_data = attrgetter("data")


_ORDERED_IN_PYTHON = frozenset((list, dict, GeoPoint))


def _select(query: Query, *, count: bool, versions: bool = False) -> tuple[str, dict[str, Any]]:
    sql = Sql()
    where = [scope_sql(query)]
    where += [condition_sql(sql, c) for c in query.conditions]
    terms = order_terms(sql, query)
    where += [t.present for t in terms]  # ordered fields must exist
    if count:
        return f"SELECT count(*) FROM documents WHERE {' AND '.join(where)}", sql.params
    name_desc = query.name_direction == "desc"
    if query.start_after is not None:
        where.append(cursor_sql(sql, terms, query, name_desc))
    order = [f"{e} {'DESC' if t.descending else 'ASC'}" for t in terms for e in t.expressions]
    order.append(f"{name_sql(query)} {'DESC' if name_desc else 'ASC'}")
    columns = COLUMNS if versions else PLAIN_COLUMNS
    if query.group:
        columns = f"parent, {columns}"
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

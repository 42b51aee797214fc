"""Aggregation queries on the embedded store: one SQL statement when the query is expressible,
else the Python evaluation of the query with ``aggregates.totals`` over the matching documents."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from backend.database.documents.aggregates import Totals, Wanted, fields, result, totals
from backend.database.documents.local_codec import FLOAT
from backend.database.documents.local_query import run_query
from backend.database.documents.local_sql import Accessor, NotExpressible, Sql, condition_sql, scope_sql
from backend.database.documents.matching import needs_python
from backend.database.documents.paths import FieldPath
from backend.database.documents.query import Query
from backend.database.documents.values import lookup

_PER_FIELD = 7  # the columns ``_field_sql`` selects for one field


def run_aggregate(conn: sqlite3.Connection, query: Query, aggregations: Sequence[Wanted]) -> dict[str, Any]:
    aggregated = fields(aggregations)
    if not needs_python(query):
        try:
            sql, params = _select(query, aggregated)
            row = conn.execute(sql, params).fetchone()
        except NotExpressible:
            pass
        except sqlite3.OperationalError as exc:
            if "integer overflow" not in str(exc):  # SQLite's sum() of int64s; Python's ints do not
                raise
        else:
            by_field = {
                f: _totals(row[1 + i * _PER_FIELD : 1 + (i + 1) * _PER_FIELD])
                for i, f in enumerate(aggregated)
            }
            return result(aggregations, int(row[0]), by_field)
    docs = [doc.data for doc in run_query(conn, query)]
    counted = [d for d in docs if all(lookup(d, f)[0] for f in aggregated)]
    by_field = {f: totals(lookup(d, f)[1] for d in counted) for f in aggregated}
    return result(aggregations, len(counted), by_field)


def _select(query: Query, aggregated: Sequence[FieldPath]) -> tuple[str, dict[str, Any]]:
    """One statement: an inner query reads each aggregated field's type and value once per row
    (its LIMIT keeps SQLite from folding it into the outer one, which would read them again for
    every column), the outer one keeps the rows that have every field and adds up."""
    sql = Sql()
    where = [scope_sql(query)]
    where += [condition_sql(sql, c) for c in query.conditions]
    inner, present, columns = [], [], ["count(*)"]
    for i, path in enumerate(aggregated):
        field = Accessor(sql, path)
        inner += [f"{field.type} AS t{i}", f"{field.raw} AS x{i}"]
        present.append(f"t{i} IS NOT NULL")  # an aggregated field must exist
        columns += _field_sql(f"t{i}", f"x{i}")
    if not aggregated:
        return f"SELECT count(*) FROM documents WHERE {' AND '.join(where)}", sql.params
    rows = f"SELECT {', '.join(inner)} FROM documents WHERE {' AND '.join(where)} LIMIT -1"
    return f"SELECT {', '.join(columns)} FROM ({rows}) WHERE {' AND '.join(present)}", sql.params


def _field_sql(kind: str, value: str) -> list[str]:
    """The totals of one field from its JSON type and value (for an object, its JSON text)."""
    tag = f"CASE {kind} WHEN 'object' THEN json_extract({value}, '$.\"{FLOAT}\"') END"
    return [
        f"sum(CASE {kind} WHEN 'integer' THEN {value} END)",
        f"total(CASE {kind} WHEN 'real' THEN {value} END)",
        f"count(CASE {kind} WHEN 'real' THEN 1 END)",
        f"count(CASE WHEN {kind} IN ('integer', 'real') THEN 1 END)",
        f"count(CASE {tag} WHEN 'nan' THEN 1 END)",
        f"count(CASE {tag} WHEN 'inf' THEN 1 END)",
        f"count(CASE {tag} WHEN '-inf' THEN 1 END)",
    ]


def _totals(columns: Sequence[Any]) -> Totals:
    ints, floats, n_floats, n_finite, nan, pos_inf, neg_inf = columns
    return Totals(
        ints=int(ints or 0),
        floats=float(floats),
        has_float=bool(n_floats or nan or pos_inf or neg_inf),
        numbers=n_finite + nan + pos_inf + neg_inf,
        nan=bool(nan),
        pos_inf=bool(pos_inf),
        neg_inf=bool(neg_inf),
    )

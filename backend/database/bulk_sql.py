"""Bulk insert through PostgreSQL COPY: validate every row first, then stream them in one savepoint.

Validation uses the same Create schema as ``crud_sql``, turned into a TypedDict (pydantic validates
TypedDicts several times faster than it builds models), so the bulk path and the single-row path
accept exactly the same input.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import cache
from typing import Annotated, Any, NotRequired, cast

import psycopg
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from backend.database import audit, events
from backend.database.models_sql import Base
from backend.database.sql_errors import from_pydantic, translate
from backend.errors import Conflict, FieldProblem, ValidationFailed

MAX_ROWS = 1_000_000


def copy_rows(
    session: Session,
    *,
    model: type[Base],
    schema: type[BaseModel],
    rows: Iterable[Mapping[str, Any]],
    first_row: int = 1,
    unique: tuple[str, ...] = (),
) -> int:
    """Insert ``rows`` into ``model``'s table; all or nothing. Returns how many rows were written.

    Problems name the row as ``first_row`` + its index (pass 2 for a CSV with a header line).
    ``unique`` names a key that must not repeat within the batch (checked before the database does).
    """
    data = rows if isinstance(rows, list) else list(rows)
    if len(data) > MAX_ROWS:
        raise ValidationFailed(
            [FieldProblem("rows", f"at most {MAX_ROWS:,} rows per call, got {len(data):,}")]
        )
    if not data:
        return 0
    try:
        valid = _row_adapter(schema).validate_python(data)
    except ValidationError as exc:
        raise from_pydantic(exc, row_offset=first_row) from exc
    if unique:
        _reject_repeats(valid, unique, first_row)
    return copy_validated(
        session,
        model=model,
        columns=list(schema.model_fields),
        rows=valid,
        row_numbers=range(first_row, first_row + len(valid)),
    )


def copy_validated(
    session: Session,
    *,
    model: type[Base],
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    row_numbers: Sequence[int],
    emit: bool = True,
    record: bool = True,
) -> int:
    """COPY rows their Create schema has already validated (``columns`` of each), in one savepoint
    with one audit entry and one event (``<table>.imported``; ``emit=False`` when the caller emits
    one for a larger import, ``record=False`` when it also writes the audit entry for all of its
    calls); a database refusal names the row by its number in ``row_numbers``."""
    if not rows:
        return 0
    table = model.__table__
    table_name = model.__tablename__
    values = operator.itemgetter(*columns)
    single = len(columns) == 1
    statement = f"COPY {table_name} ({', '.join(columns)}) FROM STDIN"  # names come from the model
    try:
        with session.begin_nested():
            cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row((values(row),) if single else values(row))
            if record:
                audit.record(
                    session,
                    action="bulk_create",
                    table=table_name,
                    entity_id=None,
                    changes={"rows": len(rows), "fields": list(columns)},
                )
            if emit:
                events.emit(
                    session,
                    events.import_event(
                        session, table_name, companies=companies_of(rows), counts={"inserted": len(rows)}
                    ),
                )
    except (DBAPIError, psycopg.Error) as exc:
        error = translate(exc, columns=[c.key for c in table.columns])
        if error is None:
            raise
        index = _failed_line(exc)
        if index is None and isinstance(error, Conflict):
            index = _row_with_key(rows, error.details.get("fields") or [], error.details.get("values"))
        if index is not None:
            number = row_numbers[index]
            error.details["row"] = number
            error.message = f"row {number}: {error.message}"
            error.args = (error.message,)
        raise error from exc
    return len(rows)


def companies_of(rows: Iterable[Mapping[str, Any]]) -> set[int]:
    """The companies rows belong to (their ``company_id``; none for rows without one)."""
    return {row["company_id"] for row in rows if row.get("company_id") is not None}


_COPY_LINE = re.compile(r"COPY \w+, line (\d+)")


def _failed_line(exc: Exception) -> int | None:
    """The index of the row COPY failed on, when PostgreSQL says (unique and check violations)."""
    orig = getattr(exc, "orig", exc)
    context = getattr(getattr(orig, "diag", None), "context", None) or ""
    m = _COPY_LINE.search(context)
    return int(m.group(1)) - 1 if m else None


def _row_with_key(rows: Sequence[Mapping[str, Any]], key: list[str], values: object) -> int | None:
    """The index of the first row whose ``key`` columns print as ``values`` (foreign-key clashes,
    which PostgreSQL checks after the COPY and reports without a line number)."""
    if not key or any(k not in rows[0] for k in key):
        return None
    for index, row in enumerate(rows):
        if ", ".join(str(row[k]) for k in key) == values:
            return index
    return None


def _reject_repeats(rows: list[dict[str, Any]], key: tuple[str, ...], first_row: int) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    problems = []
    get = operator.itemgetter(*key)
    for index, row in enumerate(rows):
        value = get(row) if len(key) > 1 else (get(row),)
        if value in seen:
            problems.append(
                FieldProblem(
                    field=", ".join(key),
                    row=index + first_row,
                    value=", ".join(map(str, value)),
                    reason=f"repeats row {seen[value]}; each ({', '.join(key)}) may appear once",
                )
            )
        else:
            seen[value] = index + first_row
    if problems:
        raise Conflict(
            f"{len(problems)} row(s) repeat a ({', '.join(key)}) given earlier in the same input: "
            + "; ".join(p.describe() for p in problems[:5]),
            details={"problems": [asdict(p) for p in problems]},
        )


@cache
def _row_adapter(schema: type[BaseModel]) -> TypeAdapter[list[dict[str, Any]]]:
    decorators = schema.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators:
        raise TypeError(
            f"{schema.__name__} has validators the bulk path would not run; "
            "express its rules as Annotated types instead"
        )
    fields: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        if not info.is_required():
            annotation = NotRequired[Annotated[annotation, Field(default=info.default)]]
        fields[name] = annotation
    make_typed_dict: Any = TypedDict  # built at run time from the schema's fields
    row_type = make_typed_dict(f"{schema.__name__}Row", fields)
    row_type.__pydantic_config__ = ConfigDict(**schema.model_config)
    return TypeAdapter(cast(Any, list)[row_type])

"""Translate PostgreSQL constraint errors into the project's errors, naming field and value."""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.exc import DBAPIError

from backend.errors import Conflict, FieldProblem, ValidationFailed, WellnessError

# "Key (company_id, period)=(1, 2024-01-01) already exists."
_KEY = re.compile(r"Key \((?P<fields>[^)]*)\)=\((?P<values>.*)\)(?P<rest>.*)$", re.DOTALL)
_REFERENCED_TABLE = re.compile(r'table "(?P<table>[^"]+)"')

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
RESTRICT_VIOLATION = "23001"
CHECK_VIOLATION = "23514"
NOT_NULL_VIOLATION = "23502"


def translate(exc: Exception, *, columns: list[str] | None = None) -> WellnessError | None:
    """The project error for a constraint violation (SQLAlchemy- or psycopg-raised), or None."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    if diag is None or sqlstate is None:
        return None
    table = diag.table_name or "the table"
    detail = diag.message_detail or ""
    if sqlstate == UNIQUE_VIOLATION:
        fields, values, _ = _key(detail)
        return Conflict(
            f"{table} already has a row with {fields} = {values}; change the value or update that row.",
            details={
                "table": table,
                "fields": fields.split(", "),
                "values": values,
                "constraint": diag.constraint_name,
            },
        )
    if sqlstate in (FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION):
        fields, values, rest = _key(detail)
        other = m.group("table") if (m := _REFERENCED_TABLE.search(rest)) else "another table"
        if "referenced from" in rest:
            message = (
                f"The row with {fields} = {values} is still referenced from {other}; remove those rows first."
            )
        else:
            message = f"{fields} = {values} does not exist in {other}; create it first or fix the reference."
        return Conflict(
            message,
            details={
                "table": table,
                "fields": fields.split(", "),
                "values": values,
                "referenced_table": other,
                "constraint": diag.constraint_name,
            },
        )
    if sqlstate == CHECK_VIOLATION:
        constraint = diag.constraint_name or ""
        field = _field_of_check(constraint, table, columns or [])
        return ValidationFailed([FieldProblem(field=field, reason=f"violates the rule {constraint}")])
    if sqlstate == NOT_NULL_VIOLATION:
        return ValidationFailed([FieldProblem(field=diag.column_name or "?", reason="is required")])
    return None


def from_pydantic(exc: ValidationError, *, row_offset: int | None = None) -> ValidationFailed:
    """Every problem pydantic found; for lists, ``row`` is the item's number plus ``row_offset``."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        row = None
        if row_offset is not None and loc and isinstance(loc[0], int):
            row = int(loc.pop(0)) + row_offset
        field = ".".join(str(part) for part in loc) or "value"
        problems.append(FieldProblem(field=field, reason=_reason(err), row=row, value=_echo(err)))
    return ValidationFailed(problems)


def _reason(err: ErrorDetails) -> str:
    message = str(err["msg"])
    return message.removeprefix("Value error, ")


def _echo(err: ErrorDetails) -> object:
    if err["type"] in ("missing", "extra_forbidden"):
        return None
    value = err.get("input")
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _key(detail: str) -> tuple[str, str, str]:
    m = _KEY.search(detail)
    if m is None:
        return "?", "?", detail
    return m.group("fields"), m.group("values"), m.group("rest")


def _field_of_check(constraint: str, table: str, columns: list[str]) -> str:
    """``ck_<table>_<column>_<rule>`` names the column it guards; the longest matching column wins."""
    rule = constraint.removeprefix(f"ck_{table}_")
    matches = [c for c in columns if rule == c or rule.startswith(c + "_")]
    return max(matches, key=len) if matches else rule

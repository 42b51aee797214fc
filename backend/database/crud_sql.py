"""PostgreSQL CRUD: one typed repository per table; each call takes the caller's session and never commits.

Each write runs in a savepoint and is flushed at once, so a rejected write raises here (``Conflict``,
``ValidationFailed``), leaves nothing behind and leaves the caller's transaction usable.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import BigInteger, ColumnElement, Row, Select, and_, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.database import audit, events
from backend.database import schemas_sql as s
from backend.database.bulk_sql import copy_rows
from backend.database.models_sql import (
    AuditLog,
    Base,
    Company,
    CompanyAccess,
    Employee,
    FinancialStatement,
    Invoice,
    Payment,
    User,
)
from backend.database.sql_errors import from_pydantic, translate
from backend.errors import FieldProblem, Forbidden, NotFound, ValidationFailed

M = TypeVar("M", bound=Base)
T = TypeVar("T")

DEFAULT_PAGE = 50
MAX_PAGE = 500
_KEYS_PER_QUERY = 50_000

# The rows of a table that belong to any of the companies in an array of ids (one bind parameter:
# ``= ANY(:ids)`` is one statement for any number of companies, where ``IN`` renders one per count).
CompanyScope = Callable[[ColumnElement[Any]], ColumnElement[bool]]
CompanyIds = ARRAY(BigInteger)
# ``within``: the companies a caller may see (None: every company). Rows outside them do not exist
# for that caller: get/update/delete answer NotFound, list leaves them out.
Within = Collection[int] | None


_SHAPES_KEPT = 256  # list statements kept per table (the API's filters make a few dozen)


@dataclass(frozen=True)
class _ListShape:
    """What a ``list`` call filters on, without the values: the key of its built statement."""

    equals: tuple[tuple[str, bool], ...]  # column, compared with None (IS NULL)
    ranges: tuple[tuple[str, bool, bool], ...]  # column, has a low end, has a high end
    company: bool
    within: bool
    after: bool
    descending: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list; pass ``next_after`` as ``after`` for the next page."""

    items: list[T]
    next_after: int | None


class Repository(Generic[M]):
    """create / get / read / get_by / list / update / delete for one table.

    ``get`` answers the ORM object (to change or delete); ``read`` and ``list`` answer plain rows
    (read-only, the table's columns as attributes), several times cheaper to load than ORM objects.
    """

    def __init__(
        self,
        model: type[M],
        *,
        create: type[s._Input],
        update: type[s._Input],
        company_scope: CompanyScope | None = None,
    ) -> None:
        self.model = model
        self.create_schema = create
        self.update_schema = update
        self.table = model.__tablename__
        self.columns = [c.key for c in model.__table__.columns]
        if company_scope is None and "company_id" in self.columns:
            company_scope = _column_in(model.__table__.c.company_id)
        self._company_scope = company_scope
        self._lists: dict[_ListShape, Select[Any]] = {}
        # ``read`` runs on most requests: statements built once skip SQLAlchemy's construction and
        # cache-key work (about a third of a short read's time).
        table = model.__table__
        self._read_any = select(table).where(table.c.id == bindparam("id"))
        self._read_within = (
            None
            if company_scope is None
            else self._read_any.where(company_scope(bindparam("within", type_=CompanyIds)))
        )

    def create(self, session: Session, *, data: BaseModel | Mapping[str, Any]) -> M:
        columns = self._validate(self.create_schema, data).to_columns()
        obj = self.model(**columns)
        self._write(session, lambda: session.add(obj))
        return obj

    def get(self, session: Session, entity_id: int, *, within: Within = None) -> M:
        if within is None:
            obj = session.get(self.model, entity_id)
        else:
            pk = self.model.__table__.c.id
            query = select(self.model).where(pk == entity_id, self.scope(within))
            obj = session.scalars(query).first()
        if obj is None:
            raise NotFound(
                f"No {self.table} row with id {entity_id}.", details={"table": self.table, "id": entity_id}
            )
        return obj

    def read(self, session: Session, entity_id: int, *, within: Within = None) -> Row[Any]:
        """The row ``entity_id`` as a plain row; NotFound as ``get``."""
        params: dict[str, Any]
        if within is None:
            query, params = self._read_any, {"id": entity_id}
        elif self._read_within is None:
            raise self._not_scoped()
        else:
            query, params = self._read_within, {"id": entity_id, "within": sorted(within)}
        row = session.connection().execute(query, params).first()  # Core: no ORM work for a plain row
        if row is None:
            raise NotFound(
                f"No {self.table} row with id {entity_id}.", details={"table": self.table, "id": entity_id}
            )
        return row

    def find_by(self, session: Session, **equals: Any) -> M | None:
        """The one row whose columns equal ``equals``, or None."""
        return session.scalars(select(self.model).where(*self._equals(equals)).limit(1)).first()

    def count(self, session: Session, **equals: Any) -> int:
        """How many rows have columns equal to ``equals``."""
        query = select(func.count()).select_from(self.model).where(*self._equals(equals))
        return int(session.scalar(query) or 0)

    def get_by(self, session: Session, **equals: Any) -> M:
        """The one row whose columns equal ``equals``; ``NotFound`` when there is none."""
        obj = self.find_by(session, **equals)
        if obj is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in equals.items())
            raise NotFound(f"No {self.table} row with {shown}.", details={"table": self.table, **equals})
        return obj

    def list(
        self,
        session: Session,
        *,
        company_id: int | None = None,
        within: Within = None,
        between: Mapping[str, tuple[Any, Any]] | None = None,
        after: int | None = None,
        descending: bool = False,
        limit: int = DEFAULT_PAGE,
        **equals: Any,
    ) -> Page[Row[Any]]:
        """Plain rows in id order (``descending``: newest first) after the id ``after``; filter by company,
        by column equality and by inclusive ranges (``between={"period": (start, end)}``, either end None).
        """
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed([FieldProblem("limit", f"must be between 1 and {MAX_PAGE}", value=limit)])
        ranges = between or {}
        shape = _ListShape(
            tuple((key, value is None) for key, value in equals.items()),
            tuple((key, low is not None, high is not None) for key, (low, high) in ranges.items()),
            company_id is not None,
            within is not None,
            after is not None,
            descending,
        )
        query = self._lists.get(shape)
        if query is None:
            query = self._list_statement(shape)
            if len(self._lists) < _SHAPES_KEPT:
                self._lists[shape] = query
        params: dict[str, Any] = {"limit": limit + 1, "after": after}
        params |= {f"eq_{key}": value for key, value in equals.items()}
        params |= {f"lo_{key}": low for key, (low, _) in ranges.items()}
        params |= {f"hi_{key}": high for key, (_, high) in ranges.items()}
        if company_id is not None:
            params["company"] = [company_id]
        if within is not None:
            params["within"] = sorted(within)
        rows = list(session.connection().execute(query, params).all())
        more = len(rows) > limit
        items = rows[:limit]
        return Page(items=items, next_after=items[-1].id if more else None)

    def _list_statement(self, shape: _ListShape) -> Select[Any]:
        """The statement of one shape of ``list`` call, every value a bind parameter: built once per
        shape, it spares each call SQLAlchemy's construction and cache-key work (half a list's time)."""
        self._known_columns([key for key, _ in shape.equals] + [key for key, _, _ in shape.ranges])
        table = self.model.__table__
        pk = table.c.id
        query = select(table).where(
            *(
                table.c[key].is_(None) if null else table.c[key] == bindparam(f"eq_{key}")
                for key, null in shape.equals
            )
        )
        for key, low, high in shape.ranges:
            if low:
                query = query.where(table.c[key] >= bindparam(f"lo_{key}"))
            if high:
                query = query.where(table.c[key] <= bindparam(f"hi_{key}"))
        for wanted, name in ((shape.company, "company"), (shape.within, "within")):
            if wanted:
                query = query.where(self._scoped(bindparam(name, type_=CompanyIds)))
        if shape.after:
            query = query.where(pk < bindparam("after") if shape.descending else pk > bindparam("after"))
        return query.order_by(pk.desc() if shape.descending else pk).limit(bindparam("limit"))

    def has_company_rows(self, session: Session, company_id: int) -> bool:
        """Whether the table holds any row of the company (a table with a ``company_id`` column)."""
        column = self.model.__table__.c.company_id
        query = select(column).where(column == company_id).limit(1)
        return session.connection().execute(query).first() is not None

    def rows_by_key(
        self, session: Session, key: tuple[str, ...], values: Iterable[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], Row[Any]]:
        """The rows whose ``key`` columns equal one of ``values``, keyed by those values.

        The wanted keys travel as one array per column, joined through ``unnest``: the statement
        stays a few lines long however many keys there are (an IN list of tuples grows with them,
        and building and planning it cost more than the lookup)."""
        self._known_columns(key)
        table = self.model.__table__
        columns = [table.c[k] for k in key]
        wanted = builtins.list(dict.fromkeys(values))
        found: dict[tuple[Any, ...], Row[Any]] = {}
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            keys = select(
                *[
                    func.unnest(bindparam(f"k{i}", [v[i] for v in chunk], type_=ARRAY(c.type))).label(c.key)
                    for i, c in enumerate(columns)
                ]
            ).subquery("wanted")
            query = select(table).join(keys, and_(*[c == keys.c[c.key] for c in columns]))
            for row in session.connection().execute(query):
                found[tuple(getattr(row, k) for k in key)] = row
        return found

    def update_many(
        self,
        session: Session,
        changes: Sequence[tuple[int, Mapping[str, Any]]],
        *,
        emit: bool = True,
        record: bool = True,
    ) -> int:
        """Set columns of many rows by id (values already validated), with one audit entry and one
        event (``emit=False`` when the caller emits one for a larger import, ``record=False`` when it
        also writes the audit entry for all of its calls)."""
        if not changes:
            return 0
        table = self.model.__table__
        groups: dict[tuple[str, ...], builtins.list[dict[str, Any]]] = {}
        for entity_id, columns in changes:
            groups.setdefault(tuple(sorted(columns)), []).append({"_id": entity_id, **columns})
        try:
            with session.begin_nested():
                for names, params in groups.items():
                    statement = (
                        update(self.model)
                        .where(table.c.id == bindparam("_id"))
                        .values({name: bindparam(name) for name in names})
                    )
                    session.connection().execute(statement, params)
                if record:
                    fields = sorted({name for names in groups for name in names})
                    audit.record(
                        session,
                        action="bulk_update",
                        table=self.table,
                        entity_id=None,
                        changes={"rows": len(changes), "fields": fields},
                    )
                if emit:
                    companies = self.companies_of_ids(session, [entity_id for entity_id, _ in changes])
                    event = events.import_event(
                        session, self.table, companies=companies, counts={"updated": len(changes)}
                    )
                    events.emit(session, event)
        except DBAPIError as exc:
            error = translate(exc, columns=self.columns)
            if error is None:
                raise
            raise error from exc
        return len(changes)

    def companies_of_ids(self, session: Session, ids: Sequence[int]) -> set[int]:
        """The companies that the rows ``ids`` of this table belong to."""
        if self._company_scope is None or not ids:
            return set()
        table: Any = self.model.__table__
        column: Any
        if "company_id" in self.columns:
            column = table.c.company_id
        elif self.model is Company:
            return set(ids)
        else:  # payments: through their invoices
            column = Invoice.company_id
            table = table.join(Invoice.__table__, Invoice.id == table.c.invoice_id)
        found: set[int] = set()
        for start in range(0, len(ids), _KEYS_PER_QUERY):
            chunk = ids[start : start + _KEYS_PER_QUERY]
            ids_param = bindparam("ids", builtins.list(chunk), type_=ARRAY(BigInteger))
            query = select(column).select_from(table).where(self.model.__table__.c.id == any_(ids_param))
            query = query.distinct()
            found.update(c for c in session.connection().execute(query).scalars() if c is not None)
        return found

    def update(
        self, session: Session, entity_id: int, *, data: BaseModel | Mapping[str, Any], within: Within = None
    ) -> M:
        columns = self._validate(self.update_schema, data).to_columns()
        obj = self.get(session, entity_id, within=within)

        def apply() -> None:
            for key, value in columns.items():
                setattr(obj, key, value)

        self._write(session, apply)
        return obj

    def delete(self, session: Session, entity_id: int, *, within: Within = None) -> None:
        obj = self.get(session, entity_id, within=within)
        self._write(session, lambda: session.delete(obj))

    def scope(self, companies: Collection[int]) -> ColumnElement[bool]:
        """The condition selecting this table's rows of ``companies``."""
        return self._scoped(bindparam(None, sorted(companies), type_=CompanyIds))

    def _scoped(self, ids: ColumnElement[Any]) -> ColumnElement[bool]:
        """The condition selecting this table's rows of the companies in the array ``ids``."""
        if self._company_scope is None:
            raise self._not_scoped()
        return self._company_scope(ids)

    def _not_scoped(self) -> ValidationFailed:
        return ValidationFailed([FieldProblem("company_id", f"{self.table} is not company-scoped")])

    def _write(self, session: Session, change: Callable[[], None]) -> None:
        try:
            with session.begin_nested():
                change()
        except DBAPIError as exc:
            error = translate(exc, columns=self.columns)
            if error is None:
                raise
            raise error from exc

    def _validate(self, schema: type[s._Input], data: BaseModel | Mapping[str, Any]) -> s._Input:
        if isinstance(data, schema):
            return data
        raw = data.model_dump(exclude_unset=True) if isinstance(data, BaseModel) else data
        try:
            return schema.model_validate(raw)
        except ValidationError as exc:
            raise from_pydantic(exc) from exc

    def _equals(self, equals: Mapping[str, Any]) -> builtins.list[ColumnElement[bool]]:
        self._known_columns(equals)
        table = self.model.__table__
        return [table.c[key] == value for key, value in equals.items()]

    def _known_columns(self, names: Iterable[str]) -> None:
        """ValidationFailed naming each of ``names`` that is not a column of this table."""
        unknown = sorted(set(names) - set(self.columns))
        if unknown:
            raise ValidationFailed([FieldProblem(k, f"{self.table} has no such column") for k in unknown])


class AppendOnlyRepository(Repository[M]):
    """For the audit log: rows are added and read, never changed (the database enforces it too)."""

    def update(
        self, session: Session, entity_id: int, *, data: BaseModel | Mapping[str, Any], within: Within = None
    ) -> M:
        raise Forbidden(f"{self.table} is append-only; record a new entry instead of changing one.")

    def delete(self, session: Session, entity_id: int, *, within: Within = None) -> None:
        raise Forbidden(f"{self.table} is append-only; entries are never deleted.")


def _column_in(column: Any) -> CompanyScope:
    return lambda ids: column == any_(ids)


def _payments_of_companies(ids: ColumnElement[Any]) -> ColumnElement[bool]:
    return Payment.invoice_id.in_(select(Invoice.id).where(Invoice.company_id == any_(ids)))


users = Repository(User, create=s.UserCreate, update=s.UserUpdate)
companies = Repository(
    Company, create=s.CompanyCreate, update=s.CompanyUpdate, company_scope=_column_in(Company.id)
)
company_access = Repository(CompanyAccess, create=s.CompanyAccessCreate, update=s.CompanyAccessUpdate)
employees = Repository(Employee, create=s.EmployeeCreate, update=s.EmployeeUpdate)
financial_statements = Repository(
    FinancialStatement, create=s.FinancialStatementCreate, update=s.FinancialStatementUpdate
)
invoices = Repository(Invoice, create=s.InvoiceCreate, update=s.InvoiceUpdate)
payments = Repository(
    Payment, create=s.PaymentCreate, update=s.PaymentUpdate, company_scope=_payments_of_companies
)
audit_logs = AppendOnlyRepository(AuditLog, create=s.AuditLogCreate, update=s.AuditLogCreate)


_GRANTED = select(CompanyAccess.company_id).where(CompanyAccess.user_id == User.id).scalar_subquery()
# Built once: every request runs it, and a prepared statement object skips SQLAlchemy's cache-key work.
_USER_WITH_GRANTS = select(
    User.id, User.email, User.role, User.is_active, func.array(_GRANTED).label("granted")
).where(User.id == bindparam("user_id"))


def user_with_grants(session: Session, user_id: int) -> Row[Any] | None:
    """id, email, role, is_active and the granted company ids (``granted``) of a user, in one query."""
    return session.connection().execute(_USER_WITH_GRANTS, {"user_id": user_id}).one_or_none()


def grants_of(session: Session, user_id: int) -> Sequence[Row[int, str, datetime, int | None]]:
    """A user's grants, oldest first: company_id, company_name, granted_at, granted_by_user_id."""
    query = (
        select(
            CompanyAccess.company_id,
            Company.name.label("company_name"),
            CompanyAccess.granted_at,
            CompanyAccess.granted_by_user_id,
        )
        .join(Company, Company.id == CompanyAccess.company_id)
        .where(CompanyAccess.user_id == user_id)
        .order_by(CompanyAccess.id)
    )
    return session.execute(query).all()


def bulk_create_financial_statements(
    session: Session, *, rows: Iterable[Mapping[str, Any]], first_row: int = 1
) -> int:
    """Insert many monthly statements at once through COPY; all or nothing. Returns the row count."""
    return copy_rows(
        session,
        model=FinancialStatement,
        schema=s.FinancialStatementCreate,
        rows=rows,
        first_row=first_row,
        unique=("company_id", "period"),
    )

"""A document resource for a viewer: validated by its model, checked against PostgreSQL, audited."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from backend.database import audit, crud, crud_sql
from backend.database.documents.paths import new_id
from backend.errors import FieldProblem, ValidationFailed
from backend.service.context import Context
from backend.service.records.filters import Where
from backend.service.schemas import Listing, Public, require_changes

ModelT = TypeVar("ModelT", bound=BaseModel)
P = TypeVar("P", bound=Public)


class DocumentRecords(Generic[ModelT, P]):
    """list / get / create / update / delete over one ``crud`` repository, answering Public schemas.

    ``build`` turns the caller's input into the stored model (adding what the server decides, such as
    the author); ``check`` holds the model against the relational data (the employee belongs to the
    company...). Every write is recorded in the audit log of the request's transaction before the
    document is written, so a write the audit log cannot take does not happen.
    """

    def __init__(
        self,
        repo: crud.DocumentRepository[ModelT],
        public: type[P],
        *,
        build: Callable[[Context, Any], ModelT],
        check: Callable[[Context, ModelT], None],
    ) -> None:
        self.repo = repo
        self.public = public
        self.build = build
        self.check = check

    def list(self, ctx: Context, *, where: Where, after: str | None, limit: int) -> Listing[P]:
        within = ctx.viewer.companies
        if where.company_id is not None:  # a company the viewer cannot see answers 404, as a missing one
            crud_sql.companies.read(ctx.session, where.company_id, within=within)
        elif within is not None:
            raise ValidationFailed([FieldProblem("company_id", "is required: name one of your companies")])
        conditions: list[dict[str, Any]] = []
        if where.employee_id is not None:
            crud_sql.employees.read(ctx.session, where.employee_id, within=within)
            conditions.append(_condition("employee_id", "==", where.employee_id))
        conditions += [_condition(key, "==", value) for key, value in where.equals.items()]
        for key, (low, high) in where.ranges.items():
            if low is not None:
                conditions.append(_condition(key, ">=", low))
            if high is not None:
                conditions.append(_condition(key, "<=", high))
        page = self.repo.list(
            ctx.store, company_id=where.company_id, conditions=conditions, after=after, limit=limit
        )
        return Listing([self._public(doc_id, model) for doc_id, model in page.items], page.next_after)

    def get(self, ctx: Context, doc_id: str) -> P:
        return self._public(doc_id, self._visible(ctx, doc_id))

    def create(self, ctx: Context, data: BaseModel) -> P:
        model = self.build(ctx, data)
        self.check(ctx, model)
        doc_id = new_id()
        stored = sorted(k for k, v in model.model_dump().items() if v is not None)
        self._audit(ctx, "create", doc_id, stored)
        self.repo.create(ctx.store, data=model, doc_id=doc_id, actor=ctx.viewer.actor)
        return self._public(doc_id, model)

    def update(self, ctx: Context, doc_id: str, changes: BaseModel) -> P:
        require_changes(changes)
        current = self._visible(ctx, doc_id)
        values = changes.model_dump(exclude_unset=True)
        self.check(ctx, current.model_copy(update=values))
        self._audit(ctx, "update", doc_id, sorted(values))
        return self._public(doc_id, self.repo.update(ctx.store, doc_id, data=values, actor=ctx.viewer.actor))

    def delete(self, ctx: Context, doc_id: str) -> None:
        self._visible(ctx, doc_id)
        self._audit(ctx, "delete", doc_id, [])
        self.repo.delete(ctx.store, doc_id, actor=ctx.viewer.actor)

    def _visible(self, ctx: Context, doc_id: str) -> ModelT:
        model = self.repo.get(ctx.store, doc_id)
        if not ctx.viewer.sees(getattr(model, "company_id", None)):
            raise self.repo.not_found(doc_id)
        return model

    def _audit(self, ctx: Context, action: str, doc_id: str, fields: builtins.list[str]) -> None:
        changes = {"fields": fields} if fields else {}
        audit.record(
            ctx.session, action=action, table=self.repo.collection, entity_id=doc_id, changes=changes
        )

    def _public(self, doc_id: str, model: ModelT) -> P:
        return self.public.model_validate({"id": doc_id, **model.model_dump()})


def _condition(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}

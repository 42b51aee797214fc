"""The resource routes: list, get, create, update (PATCH) and delete of each resource, over both stores.

Each resource is one line of ``RESOURCES``; ``add_routes`` gives it the same five thin routes (parse,
call one service function, shape the answer). Who may call which is the route table's business
(``backend/api/policy.py``), checked by the router before any of these runs.
"""

# No ``from __future__ import annotations`` here: FastAPI reads these routes' annotations when they
# are defined, and they name classes chosen per resource (closure variables, not module globals).
# The routes are ``async``: each runs its one service call in the thread pool (``answer``), so a
# request costs one thread hop for its work, not one more for FastAPI's re-validation of the answer.

from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response, status
from pydantic import BaseModel

from backend.api.answers import answer, answer_for, answer_page
from backend.api.deps import AccessDep, ContextDep, CursorsDep, UnitDep
from backend.api.paging import Page, query_model
from backend.database import schemas_sql as sql
from backend.database.validation import INT64_MAX
from backend.service.context import Context
from backend.service.records import catalog
from backend.service.records import filters as f
from backend.service.records import schemas as s
from backend.service.records.documents import DocumentRecords
from backend.service.records.sql import SqlRecords

ALL = frozenset({"list", "get", "create", "update", "delete"})
IntId = Annotated[int, Path(ge=1, le=INT64_MAX, description="The row's id.")]
DocId = Annotated[str, Path(min_length=1, max_length=1500, description="The document's id.")]


@dataclass(frozen=True)
class Resource:
    path: str  # the URL segment: "financial-statements"
    noun: str  # one of them, for the docs: "financial statement"
    service: SqlRecords[Any, Any] | DocumentRecords[Any, Any]
    public: type[BaseModel]
    filters: type[f.Filters]
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    operations: Set[str] = ALL

    @property
    def name(self) -> str:
        return self.path.replace("-", "_")


RESOURCES = (
    Resource("companies", "company", catalog.companies, s.CompanyPublic, f.CompanyFilters,
             sql.CompanyCreate, sql.CompanyUpdate),
    Resource("employees", "employee", catalog.employees, s.EmployeePublic, f.EmployeeFilters,
             sql.EmployeeCreate, sql.EmployeeUpdate),
    Resource("financial-statements", "monthly P&L statement", catalog.financial_statements,
             s.FinancialStatementPublic, f.StatementFilters,
             sql.FinancialStatementCreate, sql.FinancialStatementUpdate),
    Resource("invoices", "invoice", catalog.invoices, s.InvoicePublic, f.InvoiceFilters,
             sql.InvoiceCreate, sql.InvoiceUpdate),
    Resource("payments", "payment", catalog.payments, s.PaymentPublic, f.PaymentFilters,
             sql.PaymentCreate, sql.PaymentUpdate),
    Resource("treatments", "treatment", catalog.treatments, s.TreatmentPublic, f.TreatmentFilters,
             s.NewTreatment, s.TreatmentChanges),
    Resource("surveys", "VAS survey answer", catalog.surveys, s.SurveyPublic, f.SurveyFilters,
             s.NewSurvey, s.SurveyChanges),
    Resource("chats", "chat message", catalog.chats, s.ChatPublic, f.ChatFilters,
             s.NewChat, s.ChatChanges),
    Resource("audit-logs", "audit log entry", catalog.audit_logs, s.AuditLogPublic, f.AuditFilters,
             operations={"list"}),
)  # fmt: skip


def add_routes(router: APIRouter, r: Resource) -> None:
    """The routes of one resource, as its ``operations`` say."""
    params_model = query_model(r.filters)
    page_model = Page[r.public]  # type: ignore[name-defined]
    id_type = DocId if isinstance(r.service, DocumentRecords) else IntId
    service, name, item = r.service, r.name, f"/{r.path}/{{id}}"

    # The reads check access in the hop of their work (one hop a request); the writes take the
    # checked Context first, so that who may write is answered before what the body holds.
    async def list_items(
        access: AccessDep,
        cursors: CursorsDep,
        params: Annotated[params_model, Query()],  # type: ignore[valid-type]
    ) -> Any:
        def fetch(ctx: Context, chosen: f.Filters, after: Any, limit: int) -> Any:
            return service.list(ctx, where=chosen.where(), after=after, limit=limit)

        return await answer_page(
            access, cursors, listing=name, params=params, filters=r.filters, fetch=fetch, page=page_model
        )

    async def get_item(access: AccessDep, id: id_type) -> Any:  # type: ignore[valid-type]
        return await answer_for(access, lambda ctx: service.get(ctx, id))

    async def create_item(
        ctx: ContextDep,
        unit: UnitDep,
        data: Annotated[r.create, Body()],  # type: ignore[name-defined]
    ) -> Any:
        return await answer(lambda: service.create(ctx, data), unit, status.HTTP_201_CREATED)

    async def update_item(
        ctx: ContextDep,
        unit: UnitDep,
        id: id_type,  # type: ignore[valid-type]
        data: Annotated[r.update, Body()],  # type: ignore[name-defined]
    ) -> Any:
        return await answer(lambda: service.update(ctx, id, data), unit)

    async def delete_item(ctx: ContextDep, unit: UnitDep, id: id_type) -> Response:  # type: ignore[valid-type]
        return await answer(lambda: service.delete(ctx, id), unit, status.HTTP_204_NO_CONTENT)

    routes: dict[str, tuple[str, str, Callable[..., Any], Any, int, str]] = {
        "list": (f"/{r.path}", "GET", list_items, page_model, 200, f"List {r.path}"),
        "get": (item, "GET", get_item, r.public, 200, f"One {r.noun}"),
        "create": (f"/{r.path}", "POST", create_item, r.public, 201, f"Create a {r.noun}"),
        "update": (item, "PATCH", update_item, r.public, 200, f"Change a {r.noun}"),
        "delete": (item, "DELETE", delete_item, None, 204, f"Delete a {r.noun}"),
    }
    for operation, (path, method, endpoint, response_model, code, summary) in routes.items():
        if operation in r.operations:
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                response_model=response_model,
                status_code=code,
                summary=summary,
                name=f"{operation}_{name}",
                operation_id=f"{operation}_{name}",
                tags=[r.path],
            )


router = APIRouter()
for resource in RESOURCES:
    add_routes(router, resource)

"""User management (admins): accounts, and the companies each VC user may see."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations when defined.

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import RootModel

from backend.api.answers import answer, answer_for, answer_page
from backend.api.deps import AccessDep, ContextDep, CursorsDep, UnitDep
from backend.api.paging import Page, PageParams
from backend.database.validation import INT64_MAX
from backend.service.context import Context
from backend.service.records.filters import UserFilters
from backend.service.users import service as users
from backend.service.users.schemas import GrantPublic, NewGrant, NewUser, UserChanges, UserCreated, UserPublic

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=INT64_MAX)]
CompanyId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class UserQuery(UserFilters, PageParams):
    """Filters of the user list, with limit and cursor."""


class Grants(RootModel[list[GrantPublic]]):
    """A user's grants as one answer (a JSON array)."""


@router.get("", response_model=Page[UserPublic], summary="List users")
async def list_users(
    access: AccessDep, cursors: CursorsDep, params: Annotated[UserQuery, Query()]
) -> Response:
    def fetch(ctx: Context, filters: UserFilters, after: Any, limit: int) -> Any:
        return users.list_users(
            ctx.session, role=filters.role, is_active=filters.is_active, after=after, limit=limit
        )

    return await answer_page(
        access, cursors, listing="users", params=params, filters=UserFilters, fetch=fetch,
        page=Page[UserPublic],
    )  # fmt: skip


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(data: NewUser, ctx: ContextDep, unit: UnitDep) -> Response:
    return await answer(
        lambda: users.create(ctx.session, data=data, by=ctx.viewer), unit, status.HTTP_201_CREATED
    )


@router.get("/{user_id}", response_model=UserPublic, summary="One user")
async def get_user(user_id: UserId, access: AccessDep) -> Response:
    return await answer_for(access, lambda ctx: users.get(ctx.session, user_id))


@router.patch("/{user_id}", response_model=UserPublic, summary="Change a user (is_active: false disables)")
async def update_user(user_id: UserId, changes: UserChanges, ctx: ContextDep, unit: UnitDep) -> Response:
    return await answer(lambda: users.update(ctx.session, ctx.store, user_id=user_id, changes=changes), unit)


@router.get("/{user_id}/grants", response_model=list[GrantPublic], summary="Companies a VC user may see")
async def list_grants(user_id: UserId, access: AccessDep) -> Response:
    return await answer_for(access, lambda ctx: Grants(users.grants(ctx.session, user_id)))


@router.post(
    "/{user_id}/grants",
    response_model=GrantPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Let a VC user see a company",
)
async def add_grant(user_id: UserId, grant: NewGrant, ctx: ContextDep, unit: UnitDep) -> Response:
    def add() -> GrantPublic:
        return users.grant(ctx.session, user_id=user_id, company_id=grant.company_id, by=ctx.viewer)

    return await answer(add, unit, status.HTTP_201_CREATED)


@router.delete(
    "/{user_id}/grants/{company_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Take a company away"
)
async def remove_grant(user_id: UserId, company_id: CompanyId, ctx: ContextDep, unit: UnitDep) -> Response:
    def remove() -> None:
        users.revoke(ctx.session, user_id=user_id, company_id=company_id)

    return await answer(remove, unit, status.HTTP_204_NO_CONTENT)

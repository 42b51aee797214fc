"""User management (admins): accounts, and the companies each VC user may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from backend.api.deps import CursorsDep, SessionDep, StoreDep, ViewerDep
from backend.api.paging import Page, PageParams, one_page
from backend.database.validation import INT64_MAX
from backend.service.records.filters import UserFilters
from backend.service.users import service as users
from backend.service.users.schemas import GrantPublic, NewGrant, NewUser, UserChanges, UserCreated, UserPublic

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=INT64_MAX)]
CompanyId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class UserQuery(UserFilters, PageParams):
    """Filters of the user list, with limit and cursor."""


@router.get("", response_model=Page[UserPublic], summary="List users")
def list_users(session: SessionDep, cursors: CursorsDep, params: Annotated[UserQuery, Query()]) -> Page[Any]:
    def fetch(filters: UserFilters, after: Any, limit: int) -> Any:
        return users.list_users(
            session, role=filters.role, is_active=filters.is_active, after=after, limit=limit
        )

    return one_page(
        cursors, listing="users", params=params, filters=UserFilters, fetch=fetch, page=Page[UserPublic]
    )


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED, summary="Create a user")
def create_user(data: NewUser, session: SessionDep, viewer: ViewerDep) -> UserCreated:
    return users.create(session, data=data, by=viewer)


@router.get("/{user_id}", response_model=UserPublic, summary="One user")
def get_user(user_id: UserId, session: SessionDep) -> UserPublic:
    return users.get(session, user_id)


@router.patch("/{user_id}", response_model=UserPublic, summary="Change a user (is_active: false disables)")
def update_user(user_id: UserId, changes: UserChanges, session: SessionDep, store: StoreDep) -> UserPublic:
    return users.update(session, store, user_id=user_id, changes=changes)


@router.get("/{user_id}/grants", response_model=list[GrantPublic], summary="Companies a VC user may see")
def list_grants(user_id: UserId, session: SessionDep) -> list[GrantPublic]:
    return users.grants(session, user_id)


@router.post(
    "/{user_id}/grants",
    response_model=GrantPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Let a VC user see a company",
)
def add_grant(user_id: UserId, grant: NewGrant, session: SessionDep, viewer: ViewerDep) -> GrantPublic:
    return users.grant(session, user_id=user_id, company_id=grant.company_id, by=viewer)


@router.delete(
    "/{user_id}/grants/{company_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Take a company away"
)
def remove_grant(user_id: UserId, company_id: CompanyId, session: SessionDep) -> Response:
    users.revoke(session, user_id=user_id, company_id=company_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Accounts and grants, used alike by the admin API and the ``wellness users`` commands."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.database import crud_sql
from backend.database.documents import DocumentStore
from backend.database.models_sql import User, UserRole
from backend.database.schemas_sql import UserCreate, UserUpdate
from backend.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from backend.security import generate_password
from backend.service.access import Viewer
from backend.service.auth.service import revoke_sessions
from backend.service.schemas import Listing
from backend.service.users.schemas import GrantPublic, NewUser, UserChanges, UserCreated, UserPublic


def create(session: Session, *, data: NewUser, by: Viewer | None = None) -> UserCreated:
    """A new account (and its grants); the password is generated when none is given."""
    generated = None if data.password is not None else generate_password()
    password = data.password.get_secret_value() if data.password is not None else generated
    user = crud_sql.users.create(
        session,
        data=UserCreate(
            email=data.email,
            display_name=data.display_name or data.email.split("@", 1)[0],
            role=data.role,
            password=password,
        ),
    )
    for company_id in dict.fromkeys(data.companies):
        grant(session, user_id=user.id, company_id=company_id, by=by)
    return UserCreated(user=UserPublic.model_validate(user), password=generated)


def list_users(
    session: Session,
    *,
    role: UserRole | None = None,
    is_active: bool | None = None,
    after: int | None,
    limit: int,
) -> Listing[UserPublic]:
    equals: dict[str, Any] = {
        k: v for k, v in {"role": role, "is_active": is_active}.items() if v is not None
    }
    page = crud_sql.users.list(session, after=after, limit=limit, **equals)
    return Listing([UserPublic.model_validate(u) for u in page.items], page.next_after)


def get(session: Session, user_id: int) -> UserPublic:
    return UserPublic.model_validate(crud_sql.users.get(session, user_id))


def by_email(session: Session, email: str) -> User:
    """The account with this email (any case); NotFound naming it."""
    return crud_sql.users.get_by(session, email=email.strip().lower())


def update(session: Session, store: DocumentStore, *, user_id: int, changes: UserChanges) -> UserPublic:
    """Change an account. Disabling it or setting a new password ends its sessions; the last active
    admin can be neither disabled nor demoted, so the system is never left without one."""
    user = crud_sql.users.get(session, user_id)
    losing_admin = (
        user.role is UserRole.ADMIN
        and user.is_active
        and (changes.is_active is False or (changes.role is not None and changes.role is not UserRole.ADMIN))
    )
    if losing_admin and crud_sql.users.count(session, role=UserRole.ADMIN, is_active=True) <= 1:
        raise Conflict(
            f"{user.email} is the last active admin; make another user admin first.",
            details={"user_id": user_id},
        )
    values = changes.model_dump(exclude_unset=True)
    if "password" in values:
        values["password"] = changes.password.get_secret_value() if changes.password else None
    crud_sql.users.update(session, user_id, data=UserUpdate.model_validate(values))
    if changes.is_active is False or changes.password is not None:
        revoke_sessions(store, user_id)
    return UserPublic.model_validate(user)


def grants(session: Session, user_id: int) -> list[GrantPublic]:
    """The companies a user may see (VC users), oldest grant first."""
    crud_sql.users.read(session, user_id)
    return [GrantPublic.model_validate(row) for row in crud_sql.grants_of(session, user_id)]


def grant(session: Session, *, user_id: int, company_id: int, by: Viewer | None = None) -> GrantPublic:
    """Let a VC user see one company; Conflict when it already may."""
    user = crud_sql.users.get(session, user_id)
    if user.role is not UserRole.VC:
        raise ValidationFailed(
            [
                FieldProblem(
                    "user_id", f"is a {user.role.value}, who sees every company; grants are for VC users"
                )
            ]
        )
    company = crud_sql.companies.find_by(session, id=company_id)
    if company is None:
        raise ValidationFailed(
            [FieldProblem("company_id", "there is no company with this id", value=company_id)]
        )
    access = crud_sql.company_access.create(
        session,
        data={"user_id": user_id, "company_id": company_id, "granted_by_user_id": by.user_id if by else None},
    )
    return GrantPublic(
        company_id=access.company_id,
        company_name=company.name,
        granted_at=access.granted_at,
        granted_by_user_id=access.granted_by_user_id,
    )


def revoke(session: Session, *, user_id: int, company_id: int) -> None:
    """Take one company away from a user; NotFound when it was not granted."""
    try:
        access = crud_sql.company_access.get_by(session, user_id=user_id, company_id=company_id)
    except NotFound:
        raise NotFound(
            f"User {user_id} has no grant for company {company_id}.",
            details={"user_id": user_id, "company_id": company_id},
        ) from None
    crud_sql.company_access.delete(session, access.id)

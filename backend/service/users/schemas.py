"""What user management takes and hands out; password hashes never leave the database layer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from backend.database.models_sql import UserRole
from backend.database.schemas_sql import Email, Id, Name
from backend.service.schemas import Public, TokyoTime

Password = Annotated[SecretStr, Field(min_length=12, max_length=1024)]


class UserPublic(Public):
    id: int
    email: str
    display_name: str
    role: UserRole
    is_active: bool
    created_at: TokyoTime
    updated_at: TokyoTime


class NewUser(BaseModel):
    """A new account; without a password one is generated and shown once."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    display_name: Name | None = Field(default=None, description="Defaults to the part of the email before @.")
    role: UserRole
    password: Password | None = None
    companies: list[Id] = Field(default_factory=list, max_length=1000, description="Grants (VC users only).")


class UserChanges(BaseModel):
    """Changes to an account; ``is_active: false`` disables it and ends its sessions at once."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    display_name: Name | None = None
    role: UserRole | None = None
    is_active: bool | None = None
    password: Password | None = None


class UserCreated(BaseModel):
    user: UserPublic
    password: str | None = Field(
        default=None, description="The generated password, shown this once; None when one was given."
    )


class NewGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: Id


class GrantPublic(Public):
    company_id: int
    company_name: str
    granted_at: TokyoTime
    granted_by_user_id: int | None

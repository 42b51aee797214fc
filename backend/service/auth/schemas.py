"""What sign-in takes and hands out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from backend.database.models_sql import UserRole
from backend.service.schemas import Public, TokyoTime
from backend.service.users.schemas import UserPublic


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[SecretStr, Field(min_length=1, max_length=1024)]


class Token(BaseModel):
    access_token: str = Field(description="Send as Authorization: Bearer <access_token>; shown only now.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_at: TokyoTime = Field(
        description="When the session ends at the latest (idle sessions end sooner)."
    )


class CompanyRef(Public):
    id: int
    name: str


class Me(BaseModel):
    user: UserPublic
    role: UserRole
    all_companies: bool = Field(description="True for admins and analysts, who see every company.")
    companies: list[CompanyRef] = Field(description="The companies granted to a VC user.")

"""Sign-in: POST /auth/login, POST /auth/logout, GET /auth/me."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from backend.api.deps import ContextDep, SessionDep, SettingsDep, StoreDep
from backend.service.auth import service as auth
from backend.service.auth.schemas import Credentials, Me, Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=Token, summary="Sign in with email and password")
def login(
    credentials: Credentials, request: Request, session: SessionDep, store: StoreDep, settings: SettingsDep
) -> Token:
    client = auth.Client(
        address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    issued = auth.login(
        session,
        store,
        settings,
        email=credentials.email,
        password=credentials.password.get_secret_value(),
        client=client,
    )
    return Token(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session now")
def logout(ctx: ContextDep) -> Response:
    auth.logout(ctx.session, ctx.store, ctx.viewer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, summary="Who is signed in, and which companies they see")
def me(ctx: ContextDep) -> Me:
    return auth.me(ctx.session, ctx.viewer)

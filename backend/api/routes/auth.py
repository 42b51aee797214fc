"""Sign-in: POST /auth/login, POST /auth/logout, GET /auth/me."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations when defined.

from fastapi import APIRouter, Request, Response, status

from backend.api.answers import answer, answer_for
from backend.api.deps import AccessDep, ContextDep, SettingsDep, StoreDep, UnitDep
from backend.service.auth import service as auth
from backend.service.auth.schemas import Credentials, Me, Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=Token, summary="Sign in with email and password")
async def login(
    credentials: Credentials, request: Request, unit: UnitDep, store: StoreDep, settings: SettingsDep
) -> Response:
    client = auth.Client(
        address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
    )

    def sign_in() -> Token:
        issued = auth.login(
            unit.session,
            store,
            settings,
            email=credentials.email,
            password=credentials.password.get_secret_value(),
            client=client,
        )
        return Token(access_token=issued.token, expires_at=issued.expires_at)

    return await answer(sign_in, unit)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session now")
async def logout(ctx: ContextDep, unit: UnitDep) -> Response:
    return await answer(
        lambda: auth.logout(ctx.session, ctx.store, ctx.viewer), unit, status.HTTP_204_NO_CONTENT
    )


@router.get("/me", response_model=Me, summary="Who is signed in, and which companies they see")
async def me(access: AccessDep) -> Response:
    return await answer_for(access, lambda ctx: auth.me(ctx.session, ctx.viewer))

"""The route table: complete, enforced at start-up, and nothing answers without a sign-in but the
health check, the sign-in itself and the docs (the Google Forms webhook is public, but answers 401
to anything not signed with a form's secret; the file downloads are public, but answer 403 to
anything but a signed link)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import APIRoute, iter_route_contexts

from backend.api import policy
from backend.api.app import create_app
from backend.config import Settings
from tests.api.conftest import Api
from tests.api.world import World

OPEN = {"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, context.path or "")
        for context in iter_route_contexts(app.routes)
        for method in (context.methods or set()) - {"HEAD"}
    )


def test_every_api_route_has_exactly_one_rule(app: FastAPI) -> None:
    api_routes = {(m, p) for m, p in every_route(app) if p.startswith("/api/v1/")}
    assert api_routes == {(rule.method, rule.path) for rule in policy.RULES}
    assert len(policy.RULES) == len({(rule.method, rule.path) for rule in policy.RULES})
    assert set(every_route(app)) - api_routes == {("GET", path) for path in OPEN}


def test_a_route_without_a_rule_stops_the_app(app: FastAPI) -> None:
    extra = APIRouter(prefix="/api/v1")

    @extra.get("/secrets")
    def secrets() -> dict[str, str]:
        return {}

    app_copy = FastAPI()
    app_copy.router.routes.extend(app.router.routes)
    app_copy.include_router(extra)
    with pytest.raises(RuntimeError, match=r"no rule for GET /api/v1/secrets"):
        policy.bind(app_copy.routes)


def test_a_rule_without_a_route_stops_the_app(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    stale = policy.Rule("GET", "/api/v1/forgotten", policy.EVERYONE, tenant=False)
    monkeypatch.setattr(policy, "_BY_KEY", {**policy._BY_KEY, ("GET", "/api/v1/forgotten"): stale})
    with pytest.raises(RuntimeError, match=r"rule without a route: GET /api/v1/forgotten"):
        create_app(migrate=False, settings=settings)


def test_only_health_login_and_docs_answer_without_a_sign_in(api: Api, app: FastAPI, world: World) -> None:
    answers = {}
    for method, path in every_route(app):
        url = path.replace("{id}", "1").replace("{user_id}", "1").replace("{company_id}", "1")
        answers[(method, path)] = api.client.request(method, url, json={}).status_code
    assert {key for key, status in answers.items() if status < 400} == {("GET", path) for path in OPEN}
    guarded = {key: status for key, status in answers.items() if key[1].startswith("/api/v1/")}
    assert guarded.pop(("POST", "/api/v1/auth/login")) == 422  # public, but {} is no credentials
    webhook = ("POST", "/api/v1/ingest/google-forms/{form_id}")
    files = ("GET", "/api/v1/files/{path:path}")
    public = {(r.method, r.path) for r in policy.RULES if r.public}
    assert public == {("POST", "/api/v1/auth/login"), webhook, files}
    assert guarded.pop(webhook) == 401  # public, but authenticated by a form's signature
    assert guarded.pop(files) == 403  # public, but only a signed link opens a file
    assert set(guarded.values()) == {401}


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Bearer " + "A" * 43, "bearer x y"],
)
def test_anything_but_a_live_token_is_401(api: Api, world: World, authorization: str) -> None:
    response = api.client.get("/api/v1/companies", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_bearer_scheme_is_lowercase_tolerant(api: Api, world: World) -> None:
    token = world.tokens["analyst"]
    assert (
        api.client.get("/api/v1/companies", headers={"Authorization": f"bearer {token}"}).status_code == 200
    )


def test_openapi_marks_exactly_the_guarded_routes(app: FastAPI) -> None:
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for rule in policy.RULES:
        operation = schema["paths"][rule.openapi_path][rule.method.lower()]
        assert ("security" in operation) is (not rule.public), rule
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_every_route_declares_its_response(app: FastAPI) -> None:
    """A JSON answer has its model; a file (a template) declares its media types instead."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and (context.path or "").startswith("/api/v1/"):
            a_file = route.response_class is Response and bool(route.responses.get(200, {}).get("content"))
            assert route.response_model is not None or route.status_code == 204 or a_file, context.path

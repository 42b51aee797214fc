"""The access check (``backend/api/deps.py``): where it runs, and that it comes before anything else.

Reads check access in the thread hop of their work; every other route is checked by the router.
Either way an unauthenticated or unauthorised caller hears 401 or 403 before any validation error,
and a route that would answer without the check answers 500 instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from backend.api import errors
from backend.api.deps import AccessDep, authorize
from backend.api.policy import EVERYONE, STAFF, Rule
from tests.api.conftest import Api
from tests.api.world import World

BAD_TOKEN = {"Authorization": "Bearer not-a-session"}


@pytest.mark.parametrize("resource", ["employees", "companies", "treatments"])
def test_who_may_read_is_answered_before_what_the_query_holds(api: Api, world: World, resource: str) -> None:
    bad_query = f"/api/v1/{resource}?limit=1000000000"
    assert api.client.get(bad_query, headers=BAD_TOKEN).status_code == 401
    assert api.client.get(bad_query).status_code == 401
    expected_for_vc = 422 if resource == "companies" else 403  # employee-level data is not for VCs
    answer = api.client.get(bad_query, headers=world.headers("vc"))
    assert answer.status_code == expected_for_vc, answer.text
    answer = api.client.get(bad_query, headers=world.headers("analyst"))
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["problems"][0]["field"] == "limit"


def test_a_read_checks_its_access_with_the_work(api: Api, world: World) -> None:
    """The reads' check (in the hop of the work) answers as the router's did: 401, 403, 404, 200."""
    own, other = world.own.rows["employees"], world.other.rows["employees"]
    assert api.client.get(f"/api/v1/employees/{own}", headers=BAD_TOKEN).status_code == 401
    assert api.client.get(f"/api/v1/employees/{own}", headers=world.headers("vc")).status_code == 403
    assert (
        api.client.get(f"/api/v1/companies/{world.other.id}", headers=world.headers("vc")).status_code == 404
    )
    answer = api.client.get(f"/api/v1/employees/{other}", headers=world.headers("analyst"))
    assert answer.status_code == 200
    assert answer.json()["id"] == other


@pytest.fixture
def probe(api: Api) -> TestClient:
    """An app with two guarded routes: one that leaves its check to the router, one that takes its
    Access and (wrongly) never checks it."""
    app = FastAPI()
    errors.install(app)
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)])

    @router.get("/staff-only")
    async def staff_only() -> dict[str, Any]:
        return {"ok": True}

    @router.get("/forgets")
    async def forgets(access: AccessDep) -> dict[str, Any]:
        return {"ok": True}

    app.include_router(router)
    app.state.warehouse = None
    app.state.checks_in_work = {}
    paths = {c.path or "": id(c.original_route) for c in iter_route_contexts(app.routes)}
    app.state.rules = {  # as policy.bind pairs them
        (paths["/api/v1/staff-only"], "GET"): Rule("GET", "/staff-only", STAFF, False),
        (paths["/api/v1/forgets"], "GET"): Rule("GET", "/forgets", EVERYONE, False),
    }
    return TestClient(app, raise_server_exceptions=False)


def test_a_route_that_takes_no_access_is_checked_by_the_router(probe: TestClient, world: World) -> None:
    assert probe.get("/api/v1/staff-only", headers=BAD_TOKEN).status_code == 401
    assert probe.get("/api/v1/staff-only", headers=world.headers("vc")).status_code == 403
    assert probe.get("/api/v1/staff-only", headers=world.headers("analyst")).json() == {"ok": True}


def test_a_route_that_never_checks_its_access_answers_500(probe: TestClient, world: World) -> None:
    answer = probe.get("/api/v1/forgets", headers=world.headers("admin"))
    assert answer.status_code == 500
    assert "ok" not in answer.text

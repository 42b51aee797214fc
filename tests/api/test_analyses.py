"""The analysis routes on the real app: answers from the cache until the data changes, VC users see
small groups suppressed, a company outside the grants does not exist for them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from backend.api import deps
from backend.config import Settings
from backend.database import crud, crud_sql, queue_sql
from backend.database.events import document_outbox
from backend.service.events import handlers
from tests.api.conftest import Api
from tests.api.world import World
from tests.database.document_factories import T0, consultation_data, vas


def pairs(api: Api, company: int, employees: int, *, gain: float = 10.0) -> None:
    """``employees`` new employees of ``company``, each with a before and an after answer."""
    with api.manager.session(actor="test") as session:
        ids = [
            crud_sql.employees.create(
                session, data={"company_id": company, "employee_code": f"P{company}-{n}"}
            ).id
            for n in range(employees)
        ]
    for employee in ids:
        for phase, days, score in (("before", 0, 40.0), ("after", 7, 40.0 + gain)):
            data = consultation_data(
                employee_id=employee,
                company_id=company,
                treatment_id="tr-x",
                phase=phase,
                answered_at=T0 + timedelta(days=days),
                vas=vas(physical=score),
            )
            crud.consultations.create(api.store, data=data)


def physical(group: dict) -> dict:
    return next(d for d in group["dimensions"] if d["dimension"] == "physical")


def test_an_answer_comes_from_the_cache_until_the_company_s_data_changes(api: Api, world: World) -> None:
    company = world.own.id
    pairs(api, company, 6)
    url, scope = "/api/v1/analyses/vas_change", {"company_ids": [company]}
    first = api.client.post(url, json=scope, headers=world.headers("analyst"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["analysis"], body["companies"], body["from_cache"]) == ("vas_change", [company], False)
    change = physical(body["result"]["overall"])
    assert (change["n"], change["mean_change"]) == (6, 10.0)
    again = api.client.post(url, json=scope, headers=world.headers("analyst")).json()
    assert (again["from_cache"], again["computed_at"]) == (True, body["computed_at"])
    with api.manager.session() as session:
        queue_sql.bump_versions(session, [company])  # what the worker does for the company's next event
    changed = api.client.post(url, json=scope, headers=world.headers("analyst")).json()
    assert changed["from_cache"] is False


def test_vc_users_get_small_groups_suppressed_and_only_their_companies(api: Api, world: World) -> None:
    pairs(api, world.own.id, 3)  # three employees: too few to show a VC user
    for role, hidden in (("vc", True), ("analyst", False)):
        response = api.client.post(
            "/api/v1/analyses/vas_change", json={"company_ids": [world.own.id]}, headers=world.headers(role)
        )
        assert response.status_code == 200, response.text
        overall = response.json()["result"]["overall"]
        assert overall["suppressed"] is hidden
        assert physical(overall)["mean_change"] == (None if hidden else 10.0)
    everything = api.client.post("/api/v1/analyses/vas_change", headers=world.headers("vc")).json()
    assert everything["companies"] == [world.own.id]  # its grants, not every company
    outside = api.client.get(
        f"/api/v1/analytics/roi?company_id={world.other.id}", headers=world.headers("vc")
    )
    assert outside.status_code == 404


def test_every_analysis_answers_for_the_team(api: Api, world: World) -> None:
    pairs(api, world.own.id, 8)
    listed = api.client.get("/api/v1/analyses", headers=world.headers("vc")).json()["analyses"]
    names = [a["name"] for a in listed]
    assert names == ["vas_change", "wellness_score", "correlation", "regression", "roi", "segments"]
    assert {a["name"]: a["roles"] for a in listed}["segments"] == ["admin", "analyst"]
    assert "lag_months" in {a["name"]: a["parameters"] for a in listed}["correlation"]["properties"]
    for name in names:
        response = api.client.post(f"/api/v1/analyses/{name}", headers=world.headers("analyst"))
        assert response.status_code == 200, (name, response.text)
        assert response.json()["companies"] == "all"
    roi = api.client.post(
        "/api/v1/analyses/roi", json={"company_ids": [world.own.id]}, headers=world.headers("admin")
    )
    [own] = roi.json()["result"]["companies"]
    assert own["cost_yen"] > 0  # the world's invoice


def test_parameter_errors_name_the_parameter(api: Api, world: World) -> None:
    for body, field in (
        ({"parameters": {"lag_months": 99}}, "lag_months"),
        ({"parameters": {"lag": 1}}, "lag"),
        ({"company_ids": []}, "company_ids"),
        ({"company_ids": ["one"]}, "company_ids"),
    ):
        response = api.client.post(
            "/api/v1/analyses/correlation", json=body, headers=world.headers("analyst")
        )
        assert response.status_code == 422, body
        assert field in response.text
    weighted = api.client.post(
        "/api/v1/analyses/wellness_score",
        json={"parameters": {"physical": 0, "mental": 0, "motivation": 0, "communication": 0, "other": 0}},
        headers=world.headers("analyst"),
    )
    assert weighted.status_code == 422
    assert "at least one VAS dimension" in weighted.text


def test_a_json_null_body_is_no_body(api: Api, world: World) -> None:
    response = api.client.post(
        "/api/v1/analyses/vas_change",
        content=b"null",
        headers={**world.headers("analyst"), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["companies"] == "all"


@pytest.fixture
def jobs_only(api: Api) -> Iterator[Settings]:
    """Every analysis not in the cache is left to the workers (the inline limit is 0 answers)."""
    settings = api.manager.settings.model_copy(update={"analysis_inline_max_answers": 0})
    app = api.client.app
    app.dependency_overrides[deps.get_settings] = lambda: settings  # type: ignore[attr-defined]
    yield settings
    app.dependency_overrides.pop(deps.get_settings)  # type: ignore[attr-defined]


def work_the_job(api: Api, job_id: str) -> int:
    """What a worker does with the job's events in the document outbox; answers how many handlers ran."""
    ran = 0
    with api.manager.session(actor="worker") as session:
        for _, event in document_outbox(api.store, limit=100):
            if (event.type, event.entity_id) == ("analysis_job.requested", job_id):
                for handler in handlers.handlers_for(event, handlers.HANDLERS):  # as the worker picks them
                    handler.run(handlers.HandlerContext(session, api.store, event))
                    ran += 1
    return ran


def test_a_large_analysis_is_a_job_that_the_workers_compute(
    api: Api, world: World, jobs_only: Settings
) -> None:
    pairs(api, world.own.id, 6)
    url, scope = "/api/v1/analyses/vas_change", {"company_ids": [world.own.id]}
    started = api.client.post(url, json=scope, headers=world.headers("analyst"))
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["answer"], job["analysis"]) == ("requested", None, "vas_change")
    assert started.headers["location"] == f"/api/v1/analyses/jobs/{job['id']}"
    waiting = api.client.get(started.headers["location"], headers=world.headers("analyst"))
    assert (waiting.status_code, waiting.json()["status"]) == (200, "requested")
    assert work_the_job(api, job["id"]) == 1
    done = api.client.get(started.headers["location"], headers=world.headers("analyst")).json()
    assert (done["status"], done["error"]) == ("done", None)
    assert done["answer"]["companies"] == [world.own.id]
    assert physical(done["answer"]["result"]["overall"])["mean_change"] == 10.0
    inline = api.client.post(url, json=scope, headers=world.headers("analyst"))  # now in the cache
    assert inline.status_code == 200
    assert inline.json()["from_cache"] is True
    assert inline.json()["result"] == done["answer"]["result"]
    assert work_the_job(api, job["id"]) == 1  # a redelivered event: the job is done, nothing runs again
    assert api.client.get(started.headers["location"], headers=world.headers("analyst")).json() == done


def test_a_job_is_its_requester_s_only_and_an_unworked_one_fails_after_the_timeout(
    api: Api, world: World, jobs_only: Settings
) -> None:
    pairs(api, world.own.id, 6)
    started = api.client.post(
        "/api/v1/analyses/vas_change", json={"company_ids": [world.own.id]}, headers=world.headers("vc")
    )
    assert started.status_code == 202, started.text
    where = started.headers["location"]
    for other in ("analyst", "admin"):  # someone else's job does not exist for them
        assert api.client.get(where, headers=world.headers(other)).status_code == 404
    assert api.client.get("/api/v1/analyses/jobs/nope", headers=world.headers("vc")).status_code == 404
    assert api.client.get("/api/v1/analyses/jobs/..%2Fx", headers=world.headers("vc")).status_code in (
        404,
        422,
    )
    jobs_only.analysis_job_timeout_s = 0.001
    late = api.client.get(where, headers=world.headers("vc")).json()
    assert (late["status"], late["answer"]) == ("failed", None)
    assert "workers" in late["error"]


def test_a_job_whose_parameters_no_longer_fit_says_failed_with_the_reason(
    api: Api, world: World, jobs_only: Settings
) -> None:
    pairs(api, world.own.id, 6)
    started = api.client.post(
        "/api/v1/analyses/correlation", json={"company_ids": [world.own.id]}, headers=world.headers("analyst")
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    # asked before an upgrade that dropped the parameter: the worker cannot compute it
    crud.analysis_jobs.update(api.store, job_id, data={"parameters": {"window_months": 3}})
    assert work_the_job(api, job_id) == 1
    failed = api.client.get(started.headers["location"], headers=world.headers("analyst")).json()
    assert (failed["status"], failed["answer"]) == ("failed", None)
    assert "window_months" in failed["error"]

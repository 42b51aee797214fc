"""Google Forms through the real app, on both document backends: signed deliveries stored once,
every way of failing the signature a 401 storing nothing, rejected deliveries kept and replayed,
the secret shown once and stored sealed, and the forms managed by analysts only."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from backend.database import crud
from backend.service.ingest.google_forms import webhook
from tests.api.conftest import Api
from tests.api.test_hostile import snapshot
from tests.api.world import Company, World
from tests.database.document_factories import form_questions

FORMS = "/api/v1/ingest/google-forms"


def answers(company: Company, **changed: Any) -> list[dict[str, Any]]:
    """A whole response to the world's form (its mapping is ``form_questions()``); None drops one."""
    given: dict[str, Any] = {
        "社員番号": company.employee_code, "施術の前後": "施術後", "身体の状態": "７", "気分": "6",
        "やる気": 10, "対人関係": "3", "その他の症状": "25点", "自由記述": "肩が軽くなった\nまた受けたい",
        "お名前": "山田 花子", **changed,
    }  # fmt: skip
    return [{"title": title, "answer": answer} for title, answer in given.items() if answer is not None]


def payload(company: Company, response_id: str = "2_ABaOnud9xYz", **changed: Any) -> dict[str, Any]:
    return {
        "response_id": response_id,
        "submitted_at": "2024-04-01T01:30:00.000Z",
        "answers": answers(company, **changed),
    }


def encoded(data: Any) -> bytes:
    """As the script's JSON.stringify writes it: compact, Japanese as UTF-8."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def deliver(
    api: Api,
    form_id: str,
    body: bytes | dict[str, Any],
    secret: str | None,
    *,
    skew: int = 0,
    headers: dict[str, str | None] | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else encoded(body)
    stamp = str(int(time.time()) + skew)
    sent: dict[str, str | None] = {
        "Content-Type": "application/json",
        "X-Wellness-Timestamp": stamp,
        "X-Wellness-Signature": signature(secret, stamp, raw) if secret is not None else None,
        **(headers or {}),
    }
    return api.client.post(
        f"{FORMS}/{form_id}", content=raw, headers={k: v for k, v in sent.items() if v is not None}
    )


def form_of(company: Company) -> tuple[str, str]:
    return company.rows["google-forms"], company.form_secret


def surveys_from_forms(api: Api, world: World, company: Company) -> list[dict[str, Any]]:
    response = api.client.get(
        "/api/v1/surveys", params={"company_id": company.id, "limit": 500}, headers=world.headers("analyst")
    )
    assert response.status_code == 200, response.text
    return [s for s in response.json()["items"] if s["source"] == "google_forms"]


def deliveries(api: Api, world: World, form_id: str, **params: str) -> list[dict[str, Any]]:
    response = api.client.get(
        f"{FORMS}/{form_id}/deliveries", params=params, headers=world.headers("analyst")
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def audit_rows(api: Api, world: World, actor: str) -> list[dict[str, Any]]:
    response = api.client.get("/api/v1/audit-logs", params={"actor": actor}, headers=world.headers("admin"))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


# --- a delivery stored once -----------------------------------------------------------------------


def test_a_delivery_stores_one_survey_readable_through_the_api(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, payload(world.own), secret)
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["status"] == "stored"
    assert receipt["ignored_questions"] == ["お名前"]
    assert grown(before, snapshot(api)) == {"consultations": 1, "form_deliveries": 1, "audit_logs": 1}
    [survey] = surveys_from_forms(api, world, world.own)
    assert survey["id"] == receipt["survey_id"]
    assert survey["employee_id"] == world.own.rows["employees"]
    assert (survey["form_id"], survey["response_id"], survey["user_id"]) == (form_id, "2_ABaOnud9xYz", None)
    assert survey["phase"] == "after"
    assert survey["answered_at"] == "2024-04-01T10:30:00+09:00"
    assert survey["vas"] == {
        "physical": 70,
        "mental": 60,
        "motivation": 100,
        "communication": 50,
        "other": 25,
    }
    assert survey["free_text"] == "肩が軽くなった\nまた受けたい"
    [row] = audit_rows(api, world, f"form:{form_id}")
    assert (row["action"], row["table_name"], row["entity_id"]) == ("create", "consultations", survey["id"])
    [record] = deliveries(api, world, form_id, status="stored")
    assert (record["id"], record["survey_id"], record["answers"]) == (
        receipt["delivery_id"],
        survey["id"],
        [],
    )


def test_the_same_delivery_three_times_stores_one_survey(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    body = encoded(payload(world.own))
    first = deliver(api, form_id, body, secret)
    after_first = snapshot(api)
    again = [deliver(api, form_id, body, secret) for _ in range(2)]
    assert [r.status_code for r in (first, *again)] == [200, 200, 200]
    assert [r.json()["status"] for r in (first, *again)] == ["stored", "already_stored", "already_stored"]
    assert {r.json()["survey_id"] for r in (first, *again)} == {first.json()["survey_id"]}
    assert snapshot(api) == after_first  # no second survey, delivery record or audit row
    assert len(surveys_from_forms(api, world, world.own)) == 1
    assert len(audit_rows(api, world, f"form:{form_id}")) == 1


def test_hostile_text_in_an_answer_is_stored_verbatim(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    text = '\'); DROP TABLE consultations; -- {"$where": 1} <script>alert(1)</script>\t😀'
    assert deliver(api, form_id, payload(world.own, 自由記述=text), secret).status_code == 200
    [survey] = surveys_from_forms(api, world, world.own)
    assert survey["free_text"] == text


# --- every way of failing the signature: 401, nothing stored --------------------------------------


NO_STAMP: dict[str, str | None] = {"X-Wellness-Timestamp": None}


def _unsigned(api: Api, world: World) -> dict[str, Any]:
    form_id, secret = form_of(world.own)
    body = encoded(payload(world.own))
    other_form, other_secret = form_of(world.other)
    return {
        "a bad signature": dict(form_id=form_id, body=body, secret="not-the-secret"),
        "another form's secret": dict(form_id=form_id, body=body, secret=other_secret),
        "the right secret for another form": dict(form_id=other_form, body=body, secret=secret),
        "a timestamp 6 minutes old": dict(form_id=form_id, body=body, secret=secret, skew=-400),
        "a timestamp 6 minutes ahead": dict(form_id=form_id, body=body, secret=secret, skew=400),
        "a timestamp a day old": dict(form_id=form_id, body=body, secret=secret, skew=-86_400),
        "no timestamp": dict(form_id=form_id, body=body, secret=secret, headers=NO_STAMP),
        "no signature": dict(form_id=form_id, body=body, secret=None),
        "no headers at all": dict(
            form_id=form_id, body=body, secret=None, headers=NO_STAMP
        ),
        "a timestamp that is no number": dict(
            form_id=form_id, body=body, secret=secret, headers={"X-Wellness-Timestamp": "yesterday"}
        ),
        "a signature without its scheme": dict(
            form_id=form_id, body=body, secret=secret,
            headers={"X-Wellness-Signature": "0" * 64},
        ),
        "a bearer token instead": dict(
            form_id=form_id, body=body, secret=None, headers=dict(world.headers("admin"))
        ),
        "an unknown form": dict(form_id="NoSuchForm0000000000", body=body, secret=secret),
        "an id no form can have": dict(form_id="__x__", body=body, secret=secret),
        "a body changed after signing": dict(form_id=form_id, body=body, secret=secret, tamper=True),
    }  # fmt: skip


CASES = [  # the keys of _unsigned, for the test ids
    "a bad signature", "another form's secret", "the right secret for another form",
    "a timestamp 6 minutes old", "a timestamp 6 minutes ahead", "a timestamp a day old", "no timestamp",
    "no signature", "no headers at all", "a timestamp that is no number", "a signature without its scheme",
    "a bearer token instead", "an unknown form", "an id no form can have", "a body changed after signing",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_an_unsigned_delivery_is_401_and_stores_nothing(api: Api, world: World, case: str) -> None:
    spec = _unsigned(api, world)[case]
    before = snapshot(api)
    if spec.pop("tamper", False):
        stamp = str(int(time.time()))
        good = signature(spec["secret"], stamp, spec["body"])
        changed = spec["body"].replace("７".encode(), b"0")
        response = api.client.post(
            f"{FORMS}/{spec['form_id']}",
            content=changed,
            headers={
                "Content-Type": "application/json",
                "X-Wellness-Timestamp": stamp,
                "X-Wellness-Signature": good,
            },
        )
    else:
        response = deliver(api, **spec)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "HMAC-SHA256" in response.headers["WWW-Authenticate"]
    assert "nothing was stored" in response.json()["error"]["message"]
    assert snapshot(api) == before


def test_an_unknown_form_answers_exactly_as_a_bad_signature(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    body = encoded(payload(world.own))
    bad = deliver(api, form_id, body, "wrong")
    unknown = deliver(api, "NoSuchForm0000000000", body, secret)
    disabled_form = api.client.post(
        FORMS,
        json={
            "company_id": world.own.id,
            "title": "止めたフォーム",
            "questions": form_questions(),
            "active": False,
        },
        headers=world.headers("analyst"),
    ).json()
    disabled = deliver(api, disabled_form["form"]["id"], body, disabled_form["secret"])
    assert bad.status_code == unknown.status_code == disabled.status_code == 401
    assert bad.json() == unknown.json() == disabled.json()
    assert bad.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def test_a_disabled_form_is_401_until_enabled_again(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    off = api.client.patch(f"{FORMS}/{form_id}", json={"active": False}, headers=world.headers("analyst"))
    assert off.status_code == 200, off.text
    before = snapshot(api)
    assert deliver(api, form_id, payload(world.own), secret).status_code == 401
    assert snapshot(api) == before
    api.client.patch(f"{FORMS}/{form_id}", json={"active": True}, headers=world.headers("analyst"))
    assert deliver(api, form_id, payload(world.own), secret).json()["status"] == "stored"


def test_rotation_makes_the_old_secret_fail_and_the_new_one_work(api: Api, world: World) -> None:
    form_id, old = form_of(world.own)
    rotated = api.client.post(f"{FORMS}/{form_id}/secret", headers=world.headers("analyst"))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old
    assert rotated.json()["secret_version"] == 2
    before = snapshot(api)
    assert deliver(api, form_id, payload(world.own), old).status_code == 401
    assert snapshot(api) == before
    assert deliver(api, form_id, payload(world.own), new).json()["status"] == "stored"
    shown = api.client.get(f"{FORMS}/{form_id}", headers=world.headers("analyst")).json()
    assert shown["secret_version"] == 2
    assert new not in json.dumps(shown)


# --- rejected deliveries: 422 naming the question, kept, replayed -------------------------------


@pytest.mark.parametrize(
    ("changed", "title", "reason"),
    [
        ({"社員番号": "E-NOBODY"}, "社員番号", "no employee has this code"),
        ({"気分": None, "今日の気分": "6"}, "気分", "has no answer in this delivery"),
        ({"身体の状態": "11"}, "身体の状態", "is 11, outside this question's scale 0–10"),
        ({"対人関係": "0"}, "対人関係", "outside this question's scale 1–5"),
        ({"その他の症状": "101"}, "その他の症状", "outside this question's scale 0–100"),
        ({"やる気": "とても"}, "やる気", "is not a number"),
        ({"施術の前後": "施術中"}, "施術の前後", "is not a phase"),
        ({"身体の状態": ["3", "4"]}, "身体の状態", "has 2 answers"),
    ],
)
def test_a_delivery_that_makes_no_survey_is_422_and_kept(
    api: Api, world: World, changed: dict[str, Any], title: str, reason: str
) -> None:
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, payload(world.own, "r-bad", **changed), secret)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert any(p["field"] == title and reason in p["reason"] for p in error["details"]["problems"]), error
    assert error["details"]["kept"] is True
    assert "replay" in error["message"]
    # The one thing a 422 stores: the kept delivery, with its audit row.
    assert grown(before, snapshot(api)) == {"form_deliveries": 1, "audit_logs": 1}
    kept = [d for d in deliveries(api, world, form_id, status="rejected") if d["response_id"] == "r-bad"]
    assert [d["id"] for d in kept] == [error["details"]["delivery_id"]]
    assert kept[0]["problems"][0]["field"] == title
    assert {a["title"] for a in kept[0]["answers"]} >= {"社員番号", "お名前"}
    [row] = audit_rows(api, world, f"form:{form_id}")
    assert (row["action"], row["table_name"]) == ("reject", "form_deliveries")


def test_a_rejected_delivery_replays_once_the_mapping_is_fixed(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    renamed = payload(world.own, "r-renamed", 気分=None, **{"今の気分": "9"})
    first = deliver(api, form_id, renamed, secret)
    again = deliver(api, form_id, renamed, secret)  # the form tries again: still one kept record
    assert (first.status_code, again.status_code) == (422, 422)
    delivery_id = first.json()["error"]["details"]["delivery_id"]
    assert again.json()["error"]["details"]["delivery_id"] == delivery_id
    [kept] = [d for d in deliveries(api, world, form_id) if d["id"] == delivery_id]
    assert (kept["status"], kept["attempts"]) == ("rejected", 2)
    replay = f"{FORMS}/{form_id}/deliveries/{delivery_id}/replay"
    still = api.client.post(replay, headers=world.headers("analyst"))
    assert still.status_code == 422
    assert still.json()["error"]["details"]["problems"][0]["field"] == "気分"

    fixed = form_questions(
        vas_mental={"title": "今の気分", "target": "vas_mental", "scale": {"min": 0, "max": 10}}
    )
    patched = api.client.patch(
        f"{FORMS}/{form_id}", json={"questions": fixed}, headers=world.headers("analyst")
    )
    assert patched.status_code == 200, patched.text
    replayed = api.client.post(replay, headers=world.headers("analyst"))
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["status"] == "stored"
    [survey] = surveys_from_forms(api, world, world.own)
    assert (survey["id"], survey["vas"]["mental"]) == (replayed.json()["survey_id"], 90)
    [record] = [d for d in deliveries(api, world, form_id) if d["id"] == delivery_id]
    assert (record["status"], record["replayed_by"], record["answers"]) == (
        "replayed",
        world.users["analyst"].id,
        [],
    )
    before = snapshot(api)
    assert api.client.post(replay, headers=world.headers("analyst")).status_code == 409
    assert deliver(api, form_id, renamed, secret).json()["status"] == "already_stored"
    assert snapshot(api) == before
    assert len(surveys_from_forms(api, world, world.own)) == 1


def test_the_form_sending_again_after_the_fix_stores_it_too(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    body = payload(world.own, "r-late", 社員番号="E-LATE")
    assert deliver(api, form_id, body, secret).status_code == 422
    employee = {"company_id": world.own.id, "employee_code": "E-LATE"}
    assert (
        api.client.post("/api/v1/employees", json=employee, headers=world.headers("analyst")).status_code
        == 201
    )
    stored = deliver(api, form_id, body, secret)
    assert stored.json()["status"] == "stored"
    [record] = [d for d in deliveries(api, world, form_id) if d["response_id"] == "r-late"]
    assert (record["status"], record["attempts"], record["problems"], record["answers"]) == (
        "stored",
        2,
        [],
        [],
    )


def test_a_kept_delivery_can_be_dropped(api: Api, world: World) -> None:
    form_id, delivery_id = world.own.rows["google-forms"], world.own.rows["deliveries"]
    url = f"{FORMS}/{form_id}/deliveries/{delivery_id}"
    assert api.client.delete(url, headers=world.headers("analyst")).status_code == 204
    assert deliveries(api, world, form_id) == []
    assert api.client.post(f"{url}/replay", headers=world.headers("analyst")).status_code == 404
    other = f"{FORMS}/{world.other.rows['google-forms']}/deliveries/{world.own.rows['deliveries']}"
    assert api.client.delete(other, headers=world.headers("analyst")).status_code == 404


def test_kept_deliveries_are_bounded(api: Api, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "MAX_KEPT_REJECTED", 1)  # the world's form keeps one already
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, payload(world.own, "r-over", 社員番号="NOBODY"), secret)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["kept"] is False
    assert "not kept" in response.json()["error"]["message"]
    assert snapshot(api) == before


# --- bodies that cannot be read: 4xx naming the field, nothing stored or kept ---------------------


NO_ANSWERS = {"response_id": "r", "submitted_at": "2024-04-01T01:30:00Z"}


def _megabyte_answer(company: Company) -> dict[str, Any]:
    return payload(company, 自由記述="x" * 1_000_000)


@pytest.mark.parametrize(
    ("make", "status", "field", "reason"),
    [
        (lambda c: b'{"response_id": "r1", ', 422, "body", "is not valid JSON"),
        (lambda c: b"", 422, "body", "is not valid JSON"),
        (lambda c: encoded([payload(c)]), 422, "body", "must be a JSON object"),
        (lambda c: encoded({**payload(c), "answers": {"社員番号": "E1"}}), 422, "answers", "list"),
        (lambda c: encoded({**payload(c), "answers": None}), 422, "answers", "list"),
        (lambda c: encoded(NO_ANSWERS), 422, "answers", "required"),
        (lambda c: encoded({**payload(c), "submitted_at": "2024-04-01 10:30"}), 422, "submitted_at", "zone"),
        (lambda c: encoded({**payload(c), "respondent": "x@example.jp"}), 422, "respondent", "Extra"),
        (lambda c: encoded(payload(c, 自由記述="ok\x07")), 422, "自由記述", "U+0007"),
        (lambda c: encoded(payload(c, 気分="\x00")), 422, "気分", "NUL"),
        (lambda c: encoded({**payload(c), "answers": [{"title": "社員\x1b番号", "answer": "E1"}]}),
         422, "answers.0.title", "U+001B"),
        (lambda c: encoded(_megabyte_answer(c)), 422, "自由記述", "1,000,000 characters"),
        (lambda c: encoded(payload(c, 自由記述="株" * 400_000)), 413, None, None),
        (lambda c: b'{"response_id": "' + b"x" * 2_000_000 + b'"}', 413, None, None),
        (lambda c: b"[" * 50_000 + b"]" * 50_000, 422, "body", "nested too deeply"),
    ],
)  # fmt: skip
def test_a_body_that_cannot_be_read_stores_nothing(
    api: Api, world: World, make: Any, status: int, field: str | None, reason: str | None
) -> None:
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, make(world.own), secret)
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if field is not None:
        assert any(p["field"] == field and reason in p["reason"] for p in error["details"]["problems"]), error
        assert error["details"]["kept"] is False
    assert snapshot(api) == before


def test_a_signed_body_that_is_not_json_is_415(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, payload(world.own), secret, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert snapshot(api) == before


# --- the forms analysts manage ------------------------------------------------------------------


def test_the_secret_is_shown_once_and_stored_sealed(api: Api, world: World) -> None:
    body = {"company_id": world.own.id, "title": "アンケート", "questions": form_questions()}
    created = api.client.post(FORMS, json=body, headers=world.headers("analyst"))
    assert created.status_code == 201, created.text
    form, secret = created.json()["form"], created.json()["secret"]
    assert len(secret) >= 43
    assert form["webhook_path"] == f"{FORMS}/{form['id']}"
    shown = [
        api.client.get(f"{FORMS}/{form['id']}", headers=world.headers("analyst")).text,
        api.client.get(FORMS, params={"company_id": world.own.id}, headers=world.headers("analyst")).text,
        api.client.patch(
            f"{FORMS}/{form['id']}", json={"title": "改"}, headers=world.headers("analyst")
        ).text,
        api.client.get(f"{FORMS}/{form['id']}/deliveries", headers=world.headers("analyst")).text,
        api.client.get("/api/v1/audit-logs", headers=world.headers("admin")).text,
    ]
    assert all(secret not in text for text in shown)
    assert all("secret_sealed" not in text for text in shown[:3])
    stored = api.store.get(f"google_forms/{form['id']}")
    assert stored is not None
    assert secret not in json.dumps(stored.data, default=str)
    assert stored.data["secret_sealed"].startswith("v1.")
    assert deliver(api, form["id"], payload(world.own), secret).status_code == 200


def question(target: str, **more: Any) -> dict[str, Any]:
    return {"title": "その他", "target": target, **more}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questions": form_questions(vas_mental=None)}, "questions"),
        ({"questions": form_questions(phase=None)}, "questions"),
        ({"phase": "before"}, "questions"),
        ({"questions": form_questions(free_text=question("free_text", scale={"min": 0, "max": 9}))},
         "questions.7.scale"),
        ({"questions": form_questions(vas_other=question("vas_other", scale={"min": 3, "max": 1}))},
         "questions.6.scale.max"),
        ({"questions": form_questions(vas_other=question("sleep"))}, "questions.6.target"),
        ({"questions": []}, "questions"),
        ({"title": "x\u202e"}, "title"),
        ({"company_id": 5}, "company_id"),
        ({"secret_sealed": "v1.x"}, "secret_sealed"),
        ({}, "body"),
    ],
)  # fmt: skip
def test_a_bad_mapping_is_422_naming_the_field_and_changes_nothing(
    api: Api, world: World, change: dict[str, Any], field: str
) -> None:
    form_id = world.own.rows["google-forms"]
    before = snapshot(api)
    shown = api.client.get(f"{FORMS}/{form_id}", headers=world.headers("analyst")).json()
    response = api.client.patch(f"{FORMS}/{form_id}", json=change, headers=world.headers("analyst"))
    assert response.status_code == 422, response.text
    assert field in [p["field"] for p in response.json()["error"]["details"]["problems"]]
    assert snapshot(api) == before
    assert api.client.get(f"{FORMS}/{form_id}", headers=world.headers("analyst")).json() == shown


def test_a_new_form_for_a_missing_company_is_422(api: Api, world: World) -> None:
    before = snapshot(api)
    body = {"company_id": 10**12, "title": "x", "questions": form_questions()}
    response = api.client.post(FORMS, json=body, headers=world.headers("admin"))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["field"] == "company_id"
    assert snapshot(api) == before


def test_vc_users_and_strangers_cannot_manage_forms(api: Api, world: World) -> None:
    form_id = world.own.rows["google-forms"]  # the VC user's own company, even so
    calls = [
        ("GET", FORMS), ("POST", FORMS), ("GET", f"{FORMS}/{form_id}"), ("PATCH", f"{FORMS}/{form_id}"),
        ("DELETE", f"{FORMS}/{form_id}"), ("POST", f"{FORMS}/{form_id}/secret"),
        ("GET", f"{FORMS}/{form_id}/deliveries"),
        ("POST", f"{FORMS}/{form_id}/deliveries/{world.own.rows['deliveries']}/replay"),
    ]  # fmt: skip
    before = snapshot(api)
    for method, url in calls:
        assert api.client.request(method, url, headers=world.headers("vc"), json={}).status_code == 403, url
        assert api.client.request(method, url, json={}).status_code == 401, url
    assert snapshot(api) == before


def test_deleting_a_form_drops_its_deliveries_and_keeps_its_surveys(api: Api, world: World) -> None:
    form_id, secret = form_of(world.own)
    assert deliver(api, form_id, payload(world.own), secret).status_code == 200
    assert api.client.delete(f"{FORMS}/{form_id}", headers=world.headers("analyst")).status_code == 204
    assert api.client.get(f"{FORMS}/{form_id}", headers=world.headers("analyst")).status_code == 404
    assert (
        crud.form_deliveries.count(
            api.store, conditions=[{"field": "form_id", "operator": "==", "value": form_id}]
        )
        == 0
    )
    assert len(surveys_from_forms(api, world, world.own)) == 1
    assert deliver(api, form_id, payload(world.own, "r-after"), secret).status_code == 401


def test_a_company_with_forms_cannot_be_deleted(api: Api, world: World) -> None:
    response = api.client.delete(f"/api/v1/companies/{world.other.id}", headers=world.headers("admin"))
    assert response.status_code == 409
    assert "google_forms" in response.json()["error"]["details"]["documents"]


def test_forms_and_deliveries_are_listed_in_pages(api: Api, world: World) -> None:
    headers = world.headers("analyst")
    for n in range(3):
        body = {"company_id": world.other.id, "title": f"フォーム{n}", "questions": form_questions()}
        api.client.post(FORMS, json=body, headers=headers)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "company_id": world.other.id,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = api.client.get(FORMS, params=params, headers=headers).json()
        seen += [f["title"] for f in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ["フォーム2", "フォーム1", "フォーム0", "施術アンケート"]  # the newest first
    inactive = api.client.get(FORMS, params={"active": "false"}, headers=headers).json()["items"]
    assert inactive == []
    form_id = world.own.rows["google-forms"]
    assert [d["status"] for d in deliveries(api, world, form_id, status="rejected")] == ["rejected"]
    assert deliveries(api, world, form_id, status="stored") == []


def test_a_response_imported_from_a_file_is_not_stored_again(api: Api, world: World) -> None:
    """A surveys file with 回答ID and a delivery of that response land on the same document."""
    csv = (
        "社員番号,施術前後,回答日時,身体症状,精神状態,意欲,コミュニケーション,その他,回答ID\n"
        f"{world.own.employee_code},施術後,2024-04-01 10:30,70,60,100,50,25,2_ABaOnud9xYz\n"
    )
    uploaded = api.client.post(
        "/api/v1/ingest/files",
        files={"file": ("surveys.csv", csv.encode(), "text/csv")},
        data={"dataset": "surveys", "company_id": str(world.own.id)},
        headers=world.headers("analyst"),
    )
    assert uploaded.status_code == 200, uploaded.text
    form_id, secret = form_of(world.own)
    before = snapshot(api)
    response = deliver(api, form_id, payload(world.own), secret)
    assert response.json()["status"] == "already_stored"
    assert snapshot(api) == before

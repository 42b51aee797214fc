"""Uploading files through the real app: golden files read back, re-uploads that change nothing,
the bad-input corpus refused with nothing stored, and document imports under a resumable job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from tests.api.conftest import Api
from tests.api.test_hostile import snapshot
from tests.api.world import World

FILES = Path(__file__).resolve().parent.parent / "service" / "ingest" / "files"
UPLOAD = "/api/v1/ingest/files"


def upload(api: Api, world: World, name: str, *, role: str = "analyst", **form: Any) -> Any:
    content = (FILES / name).read_bytes() if (FILES / name).exists() else name.encode()
    data = {key: str(value) for key, value in form.items()}
    return api.client.post(
        UPLOAD,
        files={"file": (name, content, "application/octet-stream")},
        data=data,
        headers=world.headers(role),
    )


def listed(api: Api, world: World, resource: str, company_id: int) -> list[dict[str, Any]]:
    response = api.client.get(
        f"/api/v1/{resource}",
        params={"company_id": company_id, "limit": 500},
        headers=world.headers("analyst"),
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_employees_from_a_utf8_bom_csv_then_again(api: Api, world: World) -> None:
    first = upload(api, world, "employees_utf8_bom.csv", dataset="employees", company_id=world.own.id)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["dataset"], report["format"], report["encoding"]) == ("employees", "csv", "utf-8-sig")
    assert (report["inserted"], report["updated"], report["unchanged"]) == (4, 0, 0)
    assert report["ignored_columns"] == ["メールアドレス"]
    stored = {e["employee_code"]: e for e in listed(api, world, "employees", world.own.id)}
    assert stored["E002"]["position"] == "エンジニア, シニア"  # full-width code normalised, quoted comma kept
    assert stored["E003"]["position"] == "'; DROP TABLE employees; --"  # stored verbatim
    assert (stored["E003"]["hired_on"], stored["E003"]["left_on"]) == ("2021-04-01", "2024-03-31")
    assert stored["E003"]["is_active"] is False
    again = upload(api, world, "employees_utf8_bom.csv", dataset="employees", company_id=world.own.id).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 4)


def test_a_changed_row_is_updated_and_a_missing_column_left_alone(api: Api, world: World) -> None:
    csv = "社員番号,部署,役職\nK1,営業,課長\nK2,開発,\n"
    upload(api, world, csv, dataset="employees", company_id=world.own.id)
    changed = upload(
        api, world, "社員番号,部署\nK1,営業\nK2,人事\n", dataset="employees", company_id=world.own.id
    )
    assert (changed.json()["updated"], changed.json()["unchanged"]) == (1, 1)
    stored = {e["employee_code"]: e for e in listed(api, world, "employees", world.own.id)}
    assert (stored["K1"]["position"], stored["K2"]["department"]) == ("課長", "人事")


def test_financial_statements_from_a_shift_jis_csv(api: Api, world: World) -> None:
    response = upload(api, world, "financial_statements_cp932.csv", company_id=world.other.id)
    assert response.status_code == 200, response.text
    assert (response.json()["dataset"], response.json()["encoding"]) == ("financial_statements", "cp932")
    rows = {s["period"]: s for s in listed(api, world, "financial-statements", world.other.id)}
    april = rows["2024-04-01"]
    assert (april["revenue_yen"], april["operating_profit_yen"], april["headcount"]) == (
        12_500_000,
        2_500_000,
        25,
    )


@pytest.mark.parametrize(
    ("name", "form", "status"),
    [
        ("bad_quoting_unclosed.csv", {}, 422),
        ("wrong_encoding_euc_jp.csv", {}, 422),
        ("no_known_column.csv", {}, 422),
        ("missing_required.csv", {"dataset": "employees"}, 422),
        ("negative_headcount.csv", {"dataset": "financial_statements"}, 422),
        ("date_2024_13_01.csv", {}, 422),
        ("duplicate_key.csv", {}, 422),
        ("empty.csv", {}, 422),
        ("header_only.csv", {}, 422),
        ("garbage.csv", {}, 415),
        ("pdf_named.csv", {}, 415),
        ("legacy.xls", {}, 415),
        ("zip_bomb_ratio.xlsx", {}, 413),
        ("zip_bomb_claimed.xlsx", {}, 413),
        ("yen_1e20_nan.csv", {}, 422),
        ("formulas.xlsx", {}, 422),
    ],
)
def test_the_bad_input_corpus_stores_nothing(
    api: Api, world: World, name: str, form: dict[str, Any], status: int
) -> None:
    before = snapshot(api)
    response = upload(api, world, name, company_id=world.own.id, **form)
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert error["message"]
    if status == 422 and "problems" in error["details"]:
        assert all(p["field"] for p in error["details"]["problems"])
    assert snapshot(api) == before


def test_every_problem_names_row_column_value_and_reason(api: Api, world: World) -> None:
    csv = "社員番号,入社日,退職日\nA1,2024-13-01,\nA2,2024-04-01,2023-01-01\nA1,2024-04-01,\n"
    response = upload(api, world, csv, dataset="employees", company_id=world.own.id)
    assert response.status_code == 422
    problems = response.json()["error"]["details"]["problems"]
    assert {(p["row"], p["field"]) for p in problems} >= {(2, "入社日"), (4, "社員番号")}
    assert any(p["row"] == 3 and "left_on" in p["reason"] + p["field"] + "退職日" for p in problems)
    assert response.json()["error"]["details"]["total"] == len(problems)


def test_a_company_that_does_not_exist_is_a_problem_of_each_row(api: Api, world: World) -> None:
    response = upload(api, world, "社員番号\nZ1\n", dataset="employees", company_id=10**9)
    assert response.status_code == 422
    [problem] = response.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["reason"]) == (2, "there is no company with this id")


def test_a_file_over_the_limit_is_refused_before_it_is_read(api: Api, world: World) -> None:
    small = api.manager.settings.model_copy(update={"ingest_max_bytes": 1_000})
    client = TestClient(create_app(migrate=False, settings=small))
    big = b"\xe7\xa4\xbe\xe5\x93\xa1\xe7\x95\xaa\xe5\x8f\xb7\n" + b"E1\n" * 200_000
    response = client.post(
        UPLOAD,
        files={"file": ("big.csv", big, "text/csv")},
        data={"dataset": "employees"},
        headers=world.headers("analyst"),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_json_instead_of_a_file_is_415(api: Api, world: World) -> None:
    response = api.client.post(UPLOAD, json={"file": "x"}, headers=world.headers("analyst"))
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["error"]["message"]


def test_treatments_from_a_tsv_under_a_job(api: Api, world: World) -> None:
    upload(api, world, "employees_utf8_bom.csv", dataset="employees", company_id=world.own.id)
    response = upload(api, world, "treatments.tsv", company_id=world.own.id)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dataset"], report["format"]) == ("treatments", "tsv")
    assert report["job_id"]
    stored = [t for t in listed(api, world, "treatments", world.own.id) if t["practitioner"] != "山田"]
    assert len(stored) == report["inserted"] == report["rows"]
    job = api.client.get(f"/api/v1/ingest/jobs/{report['job_id']}", headers=world.headers("analyst")).json()
    assert (job["status"], job["written"], job["rows"], job["sha256"]) == (
        "done",
        report["rows"],
        report["rows"],
        job["sha256"],
    )
    again = upload(api, world, "treatments.tsv", company_id=world.own.id).json()
    assert (again["job_id"], again["inserted"], again["unchanged"]) == (report["job_id"], 0, report["rows"])
    assert len(
        [t for t in listed(api, world, "treatments", world.own.id) if t["practitioner"] != "山田"]
    ) == len(stored)


def test_surveys_from_an_xlsx_with_a_merged_title(api: Api, world: World) -> None:
    upload(api, world, "employees_utf8_bom.csv", dataset="employees", company_id=world.own.id)
    response = upload(api, world, "surveys_merged_title.xlsx", company_id=world.own.id)
    assert response.status_code == 200, response.text
    assert (response.json()["dataset"], response.json()["format"]) == ("surveys", "xlsx")
    uploaded = [s for s in listed(api, world, "surveys", world.own.id) if s["source"] == "upload"]
    assert len(uploaded) == response.json()["inserted"] > 0
    assert all(s["user_id"] == world.users["analyst"].id for s in uploaded)
    assert all(0 <= s["vas"]["physical"] <= 100 for s in uploaded)


def test_treatments_of_unknown_employees_store_nothing(api: Api, world: World) -> None:
    before = snapshot(api)
    response = upload(api, world, "treatments.tsv", company_id=world.other.id)
    assert response.status_code == 422
    problems = response.json()["error"]["details"]["problems"]
    assert {p["field"] for p in problems} == {"社員番号"}
    assert all("no employee has this code" in p["reason"] for p in problems)
    assert snapshot(api) == before


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv"), ("xlsx", "spreadsheetml")])
def test_a_filled_template_imports(api: Api, world: World, fmt: str, media: str) -> None:
    got = api.client.get(
        "/api/v1/ingest/templates/companies", params={"format": fmt}, headers=world.headers("analyst")
    )
    assert got.status_code == 200
    assert media in got.headers["content-type"]
    assert got.headers["content-disposition"] == f'attachment; filename="template-companies.{fmt}"'
    response = api.client.post(
        UPLOAD, files={"file": (f"t.{fmt}", got.content)}, headers=world.headers("analyst")
    )
    assert response.status_code == 200, response.text
    assert (response.json()["dataset"], response.json()["inserted"]) == ("companies", 1)


def test_an_unknown_template_is_422(api: Api, world: World) -> None:
    response = api.client.get("/api/v1/ingest/templates/everything", headers=world.headers("analyst"))
    assert response.status_code == 422


SAMPLES = Path(__file__).resolve().parent.parent.parent / "docs" / "samples"


def test_the_readmes_sample_files_import_in_order(api: Api, world: World) -> None:
    """What the README walks a new user through: every sample file lands, and the API shows its rows."""
    headers = world.headers("analyst")

    def send(name: str, **form: Any) -> dict[str, Any]:
        content = (SAMPLES / name).read_bytes()
        data = {key: str(value) for key, value in form.items()}
        response = api.client.post(UPLOAD, files={"file": (name, content)}, data=data, headers=headers)
        assert response.status_code == 200, (name, response.text)
        return dict(response.json())

    assert send("companies.csv")["inserted"] == 1
    company = next(c for c in api.client.get("/api/v1/companies?limit=500", headers=headers).json()["items"]
                   if c["name"] == "株式会社サンプルヘルス")["id"]  # fmt: skip
    reports = [
        send(name, company_id=company)
        for name in ("employees.csv", "financial_statements_sjis.csv", "treatments.tsv", "surveys.xlsx")
    ]
    assert [r["dataset"] for r in reports] == ["employees", "financial_statements", "treatments", "surveys"]
    assert [r["inserted"] for r in reports] == [10, 12, 40, 80]
    assert reports[1]["encoding"] == "cp932"
    assert len(listed(api, world, "surveys", company)) == 80
    statements = listed(api, world, "financial-statements", company)
    assert min(s["operating_profit_yen"] for s in statements) == 0

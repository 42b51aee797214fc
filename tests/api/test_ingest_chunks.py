"""Imports read a file a chunk of rows at a time (relational chunks are written as they are checked):
a problem in a later chunk still leaves nothing stored, a key repeated across chunks names both rows,
and re-uploads count and record what they change once per import. Chunks of two rows here."""

from __future__ import annotations

import pytest

from backend.service.ingest import importer
from tests.api.conftest import Api
from tests.api.test_hostile import snapshot
from tests.api.test_ingest import upload
from tests.api.world import World

STATEMENTS = "年月,売上高,売上原価,販売費及び一般管理費,営業利益,当期純利益,従業員数\n"


@pytest.fixture(autouse=True)
def chunks_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)


def _statement(month: int, revenue: str = "1,000") -> str:
    return f'2030/{month},"{revenue}",500,300,200,△10,12\n'


def test_a_problem_in_the_last_chunk_stores_nothing_of_the_chunks_before(api: Api, world: World) -> None:
    before = snapshot(api)
    csv = "社員番号,入社日\n" + "".join(f"C{n},2024-04-01\n" for n in range(5)) + "C9,2024-13-01\n"
    response = upload(api, world, csv, dataset="employees", company_id=world.own.id)
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["field"], problem["value"]) == (7, "入社日", "2024-13-01")
    assert snapshot(api) == before


def test_a_key_repeated_chunks_apart_names_both_rows(api: Api, world: World) -> None:
    before = snapshot(api)
    csv = STATEMENTS + _statement(4) + _statement(5) + _statement(6) + _statement(7) + _statement(4, "9")
    response = upload(api, world, csv, dataset="financial_statements", company_id=world.own.id)
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]["problems"]
    assert problem["row"] == 6
    assert "repeats row 2" in problem["reason"]
    assert snapshot(api) == before


def test_a_bad_survey_in_the_last_chunk_writes_no_document_and_no_job(api: Api, world: World) -> None:
    employees = "社員番号\n" + "".join(f"S{n}\n" for n in range(3))
    assert upload(api, world, employees, dataset="employees", company_id=world.own.id).status_code == 200
    before = snapshot(api)
    header = "社員番号,施術前後,回答日時,身体症状,精神状態,意欲,コミュニケーション,その他\n"
    rows = [f"S{n % 3},施術前,2024/04/0{n + 1} 10:00,50,50,50,50,50\n" for n in range(5)]
    rows.append("S1,施術後,2024/04/09 10:00,101,50,50,50,50\n")
    response = upload(api, world, header + "".join(rows), dataset="surveys", company_id=world.own.id)
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]["problems"]
    assert (problem["row"], problem["field"]) == (7, "身体症状")
    assert snapshot(api) == before


def test_a_re_upload_across_chunks_counts_and_records_each_change_once(api: Api, world: World) -> None:
    first = STATEMENTS + _statement(4) + _statement(5) + _statement(6)
    report = upload(api, world, first, dataset="financial_statements", company_id=world.own.id).json()
    assert (report["inserted"], report["updated"], report["unchanged"]) == (3, 0, 0)
    before = snapshot(api)
    again = (
        STATEMENTS + _statement(4) + _statement(5, "2,000") + _statement(6) + _statement(7) + _statement(8)
    )
    response = upload(api, world, again, dataset="financial_statements", company_id=world.own.id)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["inserted"], report["updated"], report["unchanged"]) == (5, 2, 1, 2)
    after = snapshot(api)
    assert after["financial_statements"] == before["financial_statements"] + 2
    assert after["audit_logs"] == before["audit_logs"] + 2  # one bulk_create, one bulk_update
    assert after["event_outbox"] + after["event_queue"] == before["event_outbox"] + before["event_queue"] + 1
    listed = api.client.get(
        "/api/v1/financial-statements",
        params={"company_id": world.own.id, "limit": 50},
        headers=world.headers("analyst"),
    ).json()["items"]
    assert {s["period"][:7]: s["revenue_yen"] for s in listed if s["period"] >= "2030"} == {
        "2030-04": 1000, "2030-05": 2000, "2030-06": 1000, "2030-07": 1000, "2030-08": 1000,
    }  # fmt: skip

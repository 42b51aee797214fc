"""Reports through the real app: asked for, rendered by the worker's handler, stored, downloaded by
their expiring links, deleted with their files; other users' reports do not exist for a VC user; a
failure, or a deletion while rendering, leaves no files."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from backend.database import crud, crud_sql
from backend.database.events import document_outbox
from backend.service.events import handlers
from backend.service.reports import lifecycle
from backend.service.storage import open_storage
from tests.api.conftest import Api
from tests.api.test_analyses import pairs
from tests.api.world import World


def work_the_report(api: Api, report_id: str, kind: str = "report.requested") -> int:
    """What a worker does with the report's events of ``kind``; answers how many handlers ran."""
    ran = 0
    storage = open_storage(api.manager.settings)
    with api.manager.session(actor="worker") as session:
        for _, event in document_outbox(api.store, limit=200):
            if (event.type, event.entity_id) == (kind, report_id):
                for handler in handlers.handlers_for(event, handlers.HANDLERS):
                    handler.run(handlers.HandlerContext(session, api.store, event, storage=storage))
                    ran += 1
    return ran


def stored(api: Api, report_id: str) -> list[str]:
    return sorted(o.path for o in open_storage(api.manager.settings).list(f"reports/{report_id}/"))


def download(api: Api, url: str) -> bytes:
    parts = urlsplit(url)
    got = api.client.get(f"{parts.path}?{parts.query}")
    assert got.status_code == 200, got.text
    return got.content


def test_a_report_is_rendered_stored_and_downloaded_by_its_links(api: Api, world: World) -> None:
    pairs(api, world.own.id, 6)
    asked = api.client.post(
        "/api/v1/reports", json={"company_ids": [world.own.id]}, headers=world.headers("analyst")
    )
    assert asked.status_code == 202, asked.text
    report = asked.json()
    assert (report["status"], report["kind"], report["links"]) == ("requested", "company", {})
    assert work_the_report(api, report["id"]) == 1
    done = api.client.get(f"/api/v1/reports/{report['id']}", headers=world.headers("analyst")).json()
    assert (done["status"], done["error"], sorted(done["links"])) == ("done", None, ["pdf", "xlsx"])
    pdf = download(api, done["links"]["pdf"]["url"])
    with api.manager.session() as session:
        name = crud_sql.companies.get(session, world.own.id).name
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert name in text
    workbook = load_workbook(io.BytesIO(download(api, done["links"]["xlsx"]["url"])))
    assert len(workbook.sheetnames) >= 2
    assert work_the_report(api, report["id"]) == 1  # redelivered: the done report is left alone
    assert stored(api, report["id"]) == sorted(done["paths"].values())  # one set of files
    listed = api.client.get("/api/v1/reports", headers=world.headers("admin")).json()["items"]
    assert report["id"] in [r["id"] for r in listed]


def test_a_vc_user_sees_only_its_own_reports_of_its_companies(api: Api, world: World) -> None:
    staff = api.client.post(
        "/api/v1/reports", json={"company_ids": [world.own.id]}, headers=world.headers("analyst")
    ).json()
    assert api.client.get(f"/api/v1/reports/{staff['id']}", headers=world.headers("vc")).status_code == 404
    outside = api.client.post(
        "/api/v1/reports", json={"company_ids": [world.other.id]}, headers=world.headers("vc")
    )
    assert outside.status_code == 404  # as a company that does not exist
    mine = api.client.post("/api/v1/reports", json={"formats": ["pdf"]}, headers=world.headers("vc"))
    assert mine.status_code == 202, mine.text
    assert mine.json()["companies"] == [world.own.id]  # its grants, not every company
    listed = api.client.get("/api/v1/reports", headers=world.headers("vc")).json()["items"]
    assert [r["id"] for r in listed] == [mine.json()["id"], world.reports["vc"]]  # its own, newest first


@pytest.mark.parametrize(
    "body",
    [
        {"formats": []},
        {"formats": ["pdf", "pdf"]},
        {"formats": ["docx"]},
        {"company_ids": []},
        {"company_ids": [-1]},
        {"unknown": 1},
    ],
)
def test_a_bad_request_is_a_422_and_writes_nothing(api: Api, world: World, body: dict[str, object]) -> None:
    before = api.client.get("/api/v1/reports", headers=world.headers("analyst")).json()["items"]
    answer = api.client.post("/api/v1/reports", json=body, headers=world.headers("analyst"))
    assert answer.status_code == 422, answer.text
    after = api.client.get("/api/v1/reports", headers=world.headers("analyst")).json()["items"]
    assert after == before


def test_a_failed_rendering_says_failed_and_leaves_no_files(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: object) -> bytes:
        raise RuntimeError("the chart library ran out of ink")

    monkeypatch.setitem(lifecycle.RENDERERS, "xlsx", (broken, "application/octet-stream"))
    report = api.client.post(
        "/api/v1/reports", json={"company_ids": [world.own.id]}, headers=world.headers("analyst")
    ).json()
    work_the_report(api, report["id"])  # the PDF is stored first, then the Excel fails
    failed = api.client.get(f"/api/v1/reports/{report['id']}", headers=world.headers("analyst")).json()
    assert (failed["status"], failed["links"], failed["paths"]) == ("failed", {}, {})
    assert "ran out of ink" in failed["error"]
    assert stored(api, report["id"]) == []


def test_a_link_that_was_changed_answers_403(api: Api, world: World) -> None:
    report = api.client.post(
        "/api/v1/reports", json={"company_ids": [world.own.id], "formats": ["pdf"]},
        headers=world.headers("analyst"),
    ).json()  # fmt: skip
    work_the_report(api, report["id"])
    done = api.client.get(f"/api/v1/reports/{report['id']}", headers=world.headers("analyst")).json()
    parts = urlsplit(done["links"]["pdf"]["url"])
    first = "y" if report["id"][0] == "x" else "x"  # a random id may start with x itself
    other = parts.path.replace(report["id"], first + report["id"][1:])
    assert other != parts.path
    assert api.client.get(f"{other}?{parts.query}").status_code == 403  # signed for another path
    tampered = parts.query.replace("signature=", "signature=0")
    assert api.client.get(f"{parts.path}?{tampered}").status_code == 403


def test_a_deleted_report_goes_with_its_files_and_its_links(api: Api, world: World) -> None:
    analyst = world.headers("analyst")
    report = api.client.post("/api/v1/reports", json={"company_ids": [world.own.id]}, headers=analyst).json()
    work_the_report(api, report["id"])
    done = api.client.get(f"/api/v1/reports/{report['id']}", headers=analyst).json()
    link = done["links"]["pdf"]["url"]
    assert download(api, link).startswith(b"%PDF")
    assert api.client.delete(f"/api/v1/reports/{report['id']}", headers=analyst).status_code == 204
    assert api.client.get(f"/api/v1/reports/{report['id']}", headers=analyst).status_code == 404
    listed = api.client.get("/api/v1/reports", headers=world.headers("admin")).json()["items"]
    assert report["id"] not in [r["id"] for r in listed]
    assert stored(api, report["id"]) == sorted(done["paths"].values())  # until the worker has it
    assert work_the_report(api, report["id"], "report.deleted") == 1
    assert stored(api, report["id"]) == []
    parts = urlsplit(link)
    assert api.client.get(f"{parts.path}?{parts.query}").status_code == 404  # a link handed out before
    assert work_the_report(api, report["id"], "report.deleted") == 1  # redelivered: nothing more to do
    assert api.client.delete(f"/api/v1/reports/{report['id']}", headers=analyst).status_code == 404
    audited = api.client.get("/api/v1/audit-logs?table=reports&limit=500", headers=world.headers("admin"))
    mine = [(r["action"], r["actor"]) for r in audited.json()["items"] if r["entity_id"] == report["id"]]
    actor = f"user:{world.users['analyst'].id}"
    assert sorted(mine) == [("create", actor), ("delete", actor)]


def test_a_vc_user_deletes_its_own_reports_only(api: Api, world: World) -> None:
    staff = world.reports["analyst"]
    assert api.client.delete(f"/api/v1/reports/{staff}", headers=world.headers("vc")).status_code == 404
    assert crud.reports.find(api.store, staff) is not None  # as a report that does not exist
    mine = world.reports["vc"]
    assert api.client.delete(f"/api/v1/reports/{mine}", headers=world.headers("vc")).status_code == 204
    assert crud.reports.find(api.store, mine) is None


@pytest.mark.parametrize("report_id", ["..", "a%2Fb", "x" * 101, "%00"])
def test_a_malformed_report_id_deletes_nothing(api: Api, world: World, report_id: str) -> None:
    before = api.client.get("/api/v1/reports", headers=world.headers("admin")).json()["items"]
    answer = api.client.delete(f"/api/v1/reports/{report_id}", headers=world.headers("admin"))
    assert answer.status_code in (404, 422), answer.text
    assert api.client.get("/api/v1/reports", headers=world.headers("admin")).json()["items"] == before


@pytest.mark.parametrize("then", ["returns", "raises"])
def test_a_report_deleted_while_it_is_rendered_leaves_no_files(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    analyst = world.headers("analyst")
    report = api.client.post("/api/v1/reports", json={"company_ids": [world.own.id]}, headers=analyst).json()

    def deleted_meanwhile(data: object) -> bytes:  # the PDF is stored; then someone deletes the report
        assert api.client.delete(f"/api/v1/reports/{report['id']}", headers=analyst).status_code == 204
        assert work_the_report(api, report["id"], "report.deleted") == 1  # the worker is quicker
        if then == "raises":
            raise RuntimeError("the renderer failed too")
        return b"PK spreadsheet"

    monkeypatch.setitem(lifecycle.RENDERERS, "xlsx", (deleted_meanwhile, "application/octet-stream"))
    work_the_report(api, report["id"])
    assert crud.reports.find(api.store, report["id"]) is None  # not brought back as done or failed
    assert stored(api, report["id"]) == []


def test_a_report_deleted_before_the_worker_came_renders_nothing(api: Api, world: World) -> None:
    analyst = world.headers("analyst")
    report = api.client.post("/api/v1/reports", json={"company_ids": [world.own.id]}, headers=analyst).json()
    assert api.client.delete(f"/api/v1/reports/{report['id']}", headers=analyst).status_code == 204
    work_the_report(api, report["id"])
    assert stored(api, report["id"]) == []
    assert crud.reports.find(api.store, report["id"]) is None

"""GET /api/v1/files/{path}: the local object storage's signed, expiring links, through the real app.

Every refusal answers the same 403 envelope and says nothing of the file, the key or the signature
that would have been right.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents.local import LocalDocumentStore
from backend.service.storage import LocalStorage, local_storage

NAME = "reports/株式会社テスト/2026-12.pdf"
BODY = b"%PDF-1.7\n" + bytes(range(256)) * 5000


@pytest.fixture
def files_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"data_dir": tmp_path})


@pytest.fixture
def client(
    app: FastAPI, files_settings: Settings, connection: Connection, tmp_path: Path
) -> Iterator[TestClient]:
    """The app on the test's data dir (its objects and signing key), over the embedded document store."""
    store = LocalDocumentStore(tmp_path / "documents.sqlite3")
    DatabaseManager.reset()
    DatabaseManager().configure(files_settings, bind=connection, documents=store)
    yield TestClient(app, raise_server_exceptions=False)
    DatabaseManager.reset()
    store.close()


@pytest.fixture
def storage(files_settings: Settings) -> LocalStorage:
    storage = local_storage(files_settings)
    storage.put(NAME, BODY, content_type="application/pdf")
    return storage


def parts(link: str) -> tuple[str, dict[str, str]]:
    url = urllib.parse.urlsplit(link)
    return url.path, dict(urllib.parse.parse_qsl(url.query))


def with_query(path: str, query: dict[str, str]) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}"


def assert_refused(response: object, *secrets: str) -> None:
    status, body = response.status_code, response.json()  # type: ignore[attr-defined]
    assert status == 403, body
    assert body["error"]["code"] == "forbidden"
    assert set(body) == {"error"}
    assert "%PDF" not in response.text  # type: ignore[attr-defined]
    for secret in secrets:
        assert secret not in response.text  # type: ignore[attr-defined]


def test_a_link_downloads_the_file(client: TestClient, storage: LocalStorage) -> None:
    link = storage.link(NAME, timedelta(minutes=15))
    assert link.startswith("http://127.0.0.1:8000/api/v1/files/reports/%E6%A0%AA")
    response = client.get(link)
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"2026-12.pdf\"; filename*=UTF-8''2026-12.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"


def test_a_japanese_download_name_is_rfc_5987(client: TestClient, storage: LocalStorage) -> None:
    response = client.get(storage.link(NAME, timedelta(minutes=1), filename="月次レポート 12月.pdf"))
    assert response.status_code == 200
    quoted = urllib.parse.quote("月次レポート 12月.pdf", safe="")
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"______ 12_.pdf\"; filename*=UTF-8''{quoted}"
    )


def test_the_base_url_is_the_public_one(files_settings: Settings) -> None:
    public = files_settings.model_copy(update={"public_base_url": "https://wellness.example.jp"})
    assert (
        local_storage(public)
        .link("a.pdf", timedelta(minutes=1))
        .startswith("https://wellness.example.jp/api/v1/files/a.pdf?expires=")
    )


def test_a_tampered_signature_is_403(client: TestClient, storage: LocalStorage) -> None:
    path, query = parts(storage.link(NAME, timedelta(minutes=15)))
    signature = query["signature"]
    for forged in (signature[:-1] + ("0" if signature[-1] != "0" else "1"), signature.upper(), "", "x"):
        assert_refused(client.get(with_query(path, {**query, "signature": forged})), signature)


def test_a_changed_expiry_or_name_is_403(client: TestClient, storage: LocalStorage) -> None:
    path, query = parts(storage.link(NAME, timedelta(minutes=15), filename="a.pdf"))
    later = str(int(query["expires"]) + 3600)
    for changed in ({"expires": later}, {"expires": "0" + query["expires"]}, {"filename": "b.pdf"}):
        assert_refused(client.get(with_query(path, {**query, **changed})), query["signature"])
    without_name = {k: v for k, v in query.items() if k != "filename"}
    assert_refused(client.get(with_query(path, without_name)))


def test_an_expired_link_is_403(client: TestClient, storage: LocalStorage) -> None:
    link = storage.link(NAME, timedelta(seconds=1))
    assert client.get(link).status_code == 200
    time.sleep(max(0.0, int(parts(link)[1]["expires"]) - time.time()) + 0.05)
    response = client.get(link)
    assert_refused(response)
    assert "expired" in response.json()["error"]["message"]


def test_a_signature_for_another_path_is_403(client: TestClient, storage: LocalStorage) -> None:
    storage.put("reports/other/2026-12.pdf", b"someone else's", content_type="application/pdf")
    _, query = parts(storage.link(NAME, timedelta(minutes=15)))
    other = urllib.parse.quote("/api/v1/files/reports/other/2026-12.pdf")
    assert_refused(client.get(with_query(other, query)), query["signature"])


@pytest.mark.parametrize("missing", [("signature",), ("expires",), ("signature", "expires")])
def test_no_signature_is_403(client: TestClient, storage: LocalStorage, missing: tuple[str, ...]) -> None:
    path, query = parts(storage.link(NAME, timedelta(minutes=15)))
    assert_refused(client.get(with_query(path, {k: v for k, v in query.items() if k not in missing})))
    assert_refused(client.get(path))


@pytest.mark.parametrize(
    "path",
    [
        "%2e%2e/storage_signing_key",
        "%2e%2e%2fsecret_key",
        "reports/%2e%2e/%2e%2e/storage_signing_key",
        "%2fetc%2fpasswd",
        "..%5c..%5csecret_key",
        "reports/a%00.pdf",
        ".meta/reports/%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%E3%83%86%E3%82%B9%E3%83%88/2026-12.pdf",
    ],
)
def test_traversal_is_refused(client: TestClient, storage: LocalStorage, path: str) -> None:
    """Any query, even one signed for a real file: the signature names the exact path."""
    _, query = parts(storage.link(NAME, timedelta(minutes=15)))
    assert_refused(client.get(f"/api/v1/files/{path}?{urllib.parse.urlencode(query)}"))
    assert_refused(client.get(f"/api/v1/files/{path}"))


def test_dot_segments_never_reach_the_route(client: TestClient, storage: LocalStorage) -> None:
    # The client resolves them, as browsers do: what arrives is another route, or none.
    response = client.get("/api/v1/files/../../secret_key")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_deleted_file_is_404(client: TestClient, storage: LocalStorage) -> None:
    link = storage.link(NAME, timedelta(minutes=15))
    storage.delete(NAME)
    response = client.get(link)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_with_cloud_storage_the_route_serves_nothing(
    app: FastAPI, files_settings: Settings, connection: Connection, storage: LocalStorage
) -> None:
    link = storage.link(NAME, timedelta(minutes=15))  # valid for the local key
    gcs = files_settings.model_copy(update={"storage_backend": "gcs", "storage_bucket": "wellness-reports"})
    DatabaseManager.reset()
    DatabaseManager().configure(gcs, bind=connection)
    try:
        response = TestClient(app, raise_server_exceptions=False).get(link)
    finally:
        DatabaseManager.reset()
    assert response.status_code == 404
    assert "Cloud Storage" in response.json()["error"]["message"]

"""What every answer carries: the error envelope, the request id (also in the log), security headers,
and CORS only when configured."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from backend.api import app as app_module
from backend.api import deps
from backend.api.middleware import SECURITY_HEADERS, RequestLogFilter
from backend.config import Settings
from backend.service.records import catalog
from tests.api.conftest import Api
from tests.api.world import World


def test_unknown_routes_and_methods_answer_in_the_envelope(api: Api) -> None:
    missing = api.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert "/docs" in missing.json()["error"]["message"]
    wrong = api.client.put("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_an_unexpected_failure_answers_500_without_internals(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail /srv/app.py line 42")

    monkeypatch.setattr(catalog.companies, "get", explode)
    response = api.client.get(f"/api/v1/companies/{world.own.id}", headers=world.headers("vc"))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "secret" not in response.text
    assert (
        response.headers["X-Request-ID"] in response.json()["error"]["message"]
        or "X-Request-ID" in response.text
    )
    assert "secret internal detail" in caplog.text  # the operator still sees it


def test_a_safe_request_id_is_kept_and_an_unsafe_one_replaced(api: Api) -> None:
    kept = api.client.get("/healthz", headers={"X-Request-ID": "abc-123.def:9"})
    assert kept.headers["X-Request-ID"] == "abc-123.def:9"
    for unsafe in ("has space", "x" * 200, "semi;colon", "a\tb", "<script>"):
        replaced = api.client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert replaced.headers["X-Request-ID"] != unsafe
        assert len(replaced.headers["X-Request-ID"]) == 32
    assert (
        api.client.get("/healthz").headers["X-Request-ID"]
        != api.client.get("/healthz").headers["X-Request-ID"]
    )


def test_the_request_id_is_in_the_log_lines_of_the_request(
    api: Api, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestLogFilter())
    with caplog.at_level(logging.INFO):
        api.client.get("/api/v1/companies", headers={**world.headers("vc"), "X-Request-ID": "trace-me-1"})
        api.client.get(
            "/api/v1/companies/999999999", headers={**world.headers("vc"), "X-Request-ID": "trace-me-2"}
        )
    access = [r for r in caplog.records if r.name == "backend.api.access"]
    assert [getattr(r, "request_id", None) for r in access] == ["trace-me-1", "trace-me-2"]
    assert "GET /api/v1/companies 200" in access[0].getMessage()
    assert "404" in access[1].getMessage()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/healthz", 200), ("GET", "/api/v1/companies", 401), ("GET", "/nowhere", 404)],
)
def test_security_headers_on_every_answer(api: Api, method: str, path: str, status: int) -> None:
    response = api.client.request(method, path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_the_early_413_carries_the_envelope_and_the_headers(api: Api, world: World) -> None:
    body = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    response = api.client.post(
        "/api/v1/companies",
        content=body,
        headers={**world.headers("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"]["max_bytes"] == api.manager.settings.max_body_bytes
    assert response.headers["X-Request-ID"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_are_served_with_their_own_policy(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]
    schema = api.client.get("/openapi.json").json()
    assert "/api/v1/auth/login" in schema["paths"]


def test_cors_is_off_unless_configured(api: Api) -> None:
    preflight = {"Origin": "https://app.example.jp", "Access-Control-Request-Method": "GET"}
    response = api.client.options("/api/v1/companies", headers=preflight)
    assert "access-control-allow-origin" not in response.headers


def test_cors_answers_only_the_configured_origins(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": ["https://app.example.jp"]})
    client = TestClient(app_module.create_app(migrate=False, settings=configured))
    allowed = client.options(
        "/api/v1/companies",
        headers={"Origin": "https://app.example.jp", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.jp"
    assert allowed.headers["X-Request-ID"]
    refused = client.options(
        "/api/v1/companies",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in refused.headers


def test_the_object_storage_is_opened_once_per_app_and_settings(settings: Settings, tmp_path: Path) -> None:
    app = app_module.create_app(migrate=False, settings=settings)
    request = Request({"type": "http", "app": app})
    first = deps.get_storage(request, settings)
    assert deps.get_storage(request, settings) is first
    other = settings.model_copy(update={"data_dir": tmp_path})
    assert deps.get_storage(request, other) is not first  # new settings: opened again, for them
    assert deps.get_storage(request, other) is deps.get_storage(request, other)

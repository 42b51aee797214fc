"""The default `make run` set-up end to end: a survey uploaded through the API is seen by the worker
inside `wellness serve`, and its company's cached analyses become stale."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from backend.database import crud
from backend.database.documents.local import LocalDocumentStore
from tests.cli.test_ingest_resume import server

PASSWORD = "events test passphrase"


def test_an_uploaded_survey_makes_its_companys_analyses_stale(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "users", "create", "--email", "a@example.jp",
         "--role", "analyst", "--password-stdin"],
        cwd=tmp_path, env=env, input=PASSWORD + "\n", check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    with server(tmp_path, env) as (_, base):
        token = httpx.post(f"{base}/api/v1/auth/login", json={"email": "a@example.jp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        company = httpx.post(f"{base}/api/v1/companies", json={"name": "鮮度株式会社"}, headers=headers)
        company_id = company.json()["id"]
        employees = "社員番号,部署\nE1,開発\n".encode()
        form = {"company_id": str(company_id), "dataset": "employees"}
        loaded = httpx.post(f"{base}/api/v1/ingest/files", files={"file": ("e.csv", employees)}, data=form,
                            headers=headers)  # fmt: skip
        assert loaded.status_code == 200, loaded.text
        store = LocalDocumentStore(tmp_path / ".wellness" / "documents.sqlite3")
        try:
            now = datetime.now(UTC)
            entry = {"cache_key": "k", "analysis": "vas_change", "company_id": company_id,
                     "data_version": "1", "result": {"n": 0}, "computed_at": now}  # fmt: skip
            crud.analytics.create(store, data=entry, doc_id="cached")
            surveys = (
                "社員番号,回答日時,タイミング,身体症状,精神状態,意欲,コミュニケーション,その他\n"
                "E1,2024-04-01 10:00,施術前,40,50,60,55,50\n"
            ).encode()
            form = {"company_id": str(company_id), "dataset": "surveys"}
            uploaded = httpx.post(f"{base}/api/v1/ingest/files", files={"file": ("s.csv", surveys)},
                                  data=form, headers=headers)  # fmt: skip
            assert uploaded.status_code == 200, uploaded.text
            deadline = time.monotonic() + 60
            while not crud.analytics.get(store, "cached").stale:
                assert time.monotonic() < deadline, (
                    "the worker in wellness serve never marked the entry stale"
                )
                time.sleep(0.2)
        finally:
            store.close()

"""What the API deletes at start-up: expired sessions, and analysis and import jobs finished long ago."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.api.app import housekeeping
from backend.database import crud
from tests.api.conftest import Api


def _job(status: str, finished_days_ago: float | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    job: dict[str, Any] = {
        "analysis": "vas_change", "scope": [1], "min_group": 1, "requested_by": 1, "status": status,
        "created_at": now - timedelta(days=400),
    }  # fmt: skip
    if finished_days_ago is not None:
        job["completed_at"] = now - timedelta(days=finished_days_ago)
    if status == "done":
        job["cache_key"] = f"key-{finished_days_ago}"
    if status == "failed":
        job["error"] = "the analysis refused its data"
    return job


def _import(status: str, updated_at: datetime) -> dict[str, Any]:
    return {
        "dataset": "surveys", "company_id": 1, "sha256": "0" * 64, "status": status, "rows": 2,
        "written": 2 if status == "done" else 1, "inserted": 1, "updated": 0, "unchanged": 0,
        "error": "a batch failed" if status == "failed" else None, "created_by": 1,
        "created_at": updated_at - timedelta(minutes=5), "updated_at": updated_at,
    }  # fmt: skip


def test_jobs_finished_past_their_keep_days_and_expired_sessions_are_deleted(api: Api) -> None:
    store, keep = api.store, api.manager.settings.job_keep_days
    ids = {
        name: crud.analysis_jobs.create(store, data=_job(status, days))[0]
        for name, status, days in [
            ("old done", "done", keep + 1),
            ("old failed", "failed", keep + 5),
            ("recent done", "done", keep - 1),
            ("still requested", "requested", None),
        ]
    }
    now = datetime.now(UTC)
    sessions = {}
    for expired in (True, False):
        created = now - timedelta(days=2) if expired else now
        digest = hashlib.sha256(f"session-{expired}".encode()).hexdigest()
        crud.sessions.create(
            store,
            data={"user_id": 1, "token_hash": digest, "created_at": created,
                  "expires_at": created + timedelta(hours=12), "last_seen_at": created},
            doc_id=digest,
        )  # fmt: skip
        sessions[expired] = digest

    old, recent = now - timedelta(days=keep + 1), now - timedelta(days=keep - 1)
    imports = {}
    for name, status, updated in [("old done", "done", old), ("old failed", "failed", old),
                                  ("recent done", "done", recent)]:  # fmt: skip
        doc_id = hashlib.sha256(name.encode()).hexdigest()[:32]
        crud.ingest_jobs.create(store, data=_import(status, updated), doc_id=doc_id)
        imports[name] = doc_id

    housekeeping(api.manager)

    kept = {doc_id for doc_id, _ in crud.analysis_jobs.list(store).items}
    assert kept == {ids["recent done"], ids["still requested"]}
    assert {doc_id for doc_id, _ in crud.sessions.list(store).items} == {sessions[False]}
    # an import that failed stays, to be resumed by the same file
    assert {doc_id for doc_id, _ in crud.ingest_jobs.list(store).items} == {
        imports["old failed"],
        imports["recent done"],
    }

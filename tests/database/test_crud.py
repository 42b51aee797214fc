"""Document CRUD through the real embedded store, and get_user against PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from backend.database import DatabaseManager, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.errors import Conflict, NotFound, ValidationFailed
from tests.database.document_factories import (
    HOSTILE,
    T0,
    analytics_data,
    chat_data,
    consultation_data,
    form_delivery_data,
    google_form_data,
    report_data,
    session_data,
    treatment_data,
    vas,
)
from tests.database.factories import user_data

REPOSITORIES: list[tuple[crud.DocumentRepository[Any], Any]] = [
    (crud.chats, chat_data),
    (crud.analytics, analytics_data),
    (crud.sessions, session_data),
    (crud.consultations, consultation_data),
    (crud.treatments, treatment_data),
    (crud.reports, report_data),
    (crud.google_forms, google_form_data),
    (crud.form_deliveries, form_delivery_data),
]
IDS = [repo.collection for repo, _ in REPOSITORIES]


@pytest.mark.parametrize(("repo", "make"), REPOSITORIES, ids=IDS)
def test_create_then_get(
    document_store: DocumentStore, repo: crud.DocumentRepository[Any], make: Any
) -> None:
    doc_id, created = repo.create(document_store, data=make())
    assert len(doc_id) == 20
    assert repo.get(document_store, doc_id) == created
    assert document_store.count(repo.collection) == 1


def test_collections_follow_the_categories() -> None:
    assert IDS == [
        "chats", "analytics", "sessions", "consultations", "treatments", "reports", "google_forms",
        "form_deliveries",
    ]  # fmt: skip


def test_create_with_id_and_conflict(document_store: DocumentStore) -> None:
    crud.treatments.create(document_store, data=treatment_data(minutes=30), doc_id="t1")
    with pytest.raises(Conflict) as info:
        crud.treatments.create(document_store, data=treatment_data(minutes=90), doc_id="t1")
    assert info.value.details == {"collection": "treatments", "id": "t1"}
    assert crud.treatments.get(document_store, "t1").minutes == 30


def test_a_batch_creating_an_existing_document_writes_nothing(document_store: DocumentStore) -> None:
    crud.treatments.create(document_store, data=treatment_data(minutes=30), doc_id="t1")
    batch = document_store.batch()
    crud.treatments.create_in(batch, "t1", treatment_data(minutes=90))
    crud.chats.set_in(batch, "c1", chat_data())
    with pytest.raises(Conflict):
        batch.commit()
    assert crud.treatments.get(document_store, "t1").minutes == 30
    assert crud.chats.find(document_store, "c1") is None
    fresh = document_store.batch()
    crud.treatments.create_in(fresh, "t2", treatment_data())
    fresh.commit()
    assert crud.treatments.find(document_store, "t2") is not None


def test_get_missing_names_collection_and_id(document_store: DocumentStore) -> None:
    with pytest.raises(NotFound) as info:
        crud.reports.get(document_store, "nope")
    assert info.value.details == {"collection": "reports", "id": "nope"}


@pytest.mark.parametrize("doc_id", ["", "a/b", "a/b/c", "..", "__x__", "x" * 1501])
def test_bad_ids_are_refused(document_store: DocumentStore, doc_id: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud.chats.create(document_store, data=chat_data(), doc_id=doc_id)
    assert info.value.fields == ["id"]
    with pytest.raises(ValidationFailed):
        crud.chats.get(document_store, doc_id)
    assert document_store.count("chats") == 0


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (consultation_data(vas=vas(physical=101), phase="x"), ["phase", "vas.physical"]),
        (consultation_data(free_text="a\x00b"), ["free_text"]),
        (consultation_data(answered_at=T0.replace(tzinfo=None)), ["answered_at"]),
        (consultation_data(extra="x"), ["extra"]),
        (consultation_data(free_text="x" * 100_000), ["free_text"]),
    ],
)
def test_invalid_data_is_refused_and_nothing_written(
    document_store: DocumentStore, data: dict[str, Any], fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud.consultations.create(document_store, data=data)
    assert sorted(info.value.fields) == fields
    assert document_store.count("consultations") == 0


@pytest.mark.parametrize("rows", [["x" * 1000] * 1100, list(range(140_000))], ids=["text", "numbers"])
def test_oversized_document_is_refused(document_store: DocumentStore, rows: list[Any]) -> None:
    with pytest.raises(ValidationFailed) as info:
        crud.analytics.create(document_store, data=analytics_data(result={"rows": rows}))
    assert info.value.fields == ["result"]
    assert document_store.count("analytics") == 0


def test_hostile_strings_round_trip(document_store: DocumentStore) -> None:
    doc_id, _ = crud.chats.create(document_store, data=chat_data(body=HOSTILE, thread_id="' OR 1=1 --"))
    stored = crud.chats.get(document_store, doc_id)
    assert stored.body == HOSTILE
    assert stored.thread_id == "' OR 1=1 --"


def _consultations(store: DocumentStore, count: int, *, company_id: int) -> list[str]:
    return [
        crud.consultations.create(
            store, data=consultation_data(company_id=company_id, answered_at=T0 + timedelta(minutes=n))
        )[0]
        for n in range(count)
    ]


def test_list_pages_in_natural_order(document_store: DocumentStore) -> None:
    expected = _consultations(document_store, 7, company_id=1)
    _consultations(document_store, 2, company_id=2)
    seen: list[str] = []
    sizes = []
    after = None
    for _ in range(5):
        page = crud.consultations.list(document_store, company_id=1, limit=3, after=after)
        seen += [doc_id for doc_id, _ in page.items]
        sizes.append(len(page.items))
        assert all(model.company_id == 1 for _, model in page.items)
        after = page.next_after
        if after is None:
            break
    assert sizes == [3, 3, 1]
    assert seen == expected  # answered_at ascending, no repeats, nothing skipped


def test_list_orders_and_conditions(document_store: DocumentStore) -> None:
    for n, status in enumerate(["requested", "done", "requested"]):
        created = T0 + timedelta(hours=n)
        done = {"completed_at": created, "storage_paths": {"pdf": "a.pdf", "xlsx": "a.xlsx"}}
        data = report_data(status=status, created_at=created, **(done if status == "done" else {}))
        crud.reports.create(document_store, data=data, doc_id=f"r{n}")
    newest_first = crud.reports.list(document_store)
    assert [doc_id for doc_id, _ in newest_first.items] == ["r2", "r1", "r0"]
    queue = crud.reports.list(
        document_store,
        conditions=[{"field": "status", "operator": "==", "value": "requested"}],
        order_by="created_at",
    )
    assert [doc_id for doc_id, _ in queue.items] == ["r0", "r2"]
    assert queue.next_after is None


@pytest.mark.parametrize(
    ("repo", "make"), [r for r in REPOSITORIES if r[0] is not crud.sessions], ids=IDS[:2] + IDS[3:]
)
def test_company_lists_have_their_indexes(
    document_store: DocumentStore, repo: crud.DocumentRepository[Any], make: Any
) -> None:
    repo.create(document_store, data=make(company_id=5))
    repo.create(document_store, data=make(company_id=6))
    page = repo.list(document_store, company_id=5)
    assert [model.company_id for _, model in page.items] == [5]


def test_list_refuses_bad_arguments(document_store: DocumentStore) -> None:
    for limit in (0, 501, True):
        with pytest.raises(ValidationFailed) as info:
            crud.chats.list(document_store, limit=limit)
        assert info.value.fields == ["limit"]
    with pytest.raises(ValidationFailed) as info:
        crud.sessions.list(document_store, company_id=1)
    assert info.value.fields == ["company_id"]
    with pytest.raises(ValidationFailed) as info:
        crud.chats.list(document_store, company_id="1")  # type: ignore[arg-type]
    assert info.value.fields == ["company_id"]
    with pytest.raises(ValidationFailed) as info:
        crud.chats.list(document_store, after="missing")
    assert info.value.fields == ["after"]


def test_partial_update_keeps_the_document_valid(document_store: DocumentStore) -> None:
    doc_id, _ = crud.consultations.create(document_store, data=consultation_data())
    updated = crud.consultations.update(document_store, doc_id, data={"vas.physical": 20, "free_text": None})
    assert updated.vas.physical == 20
    assert updated.vas.mental == 55.5
    assert updated.free_text is None
    assert crud.consultations.get(document_store, doc_id) == updated


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"vas.physical": 101}, "vas.physical"),
        ({"vas": {"physical": 10}}, "vas.mental"),
        ({"source": "google_forms"}, "user_id"),
        ({"answered_at": "yesterday"}, "answered_at"),
        ({"unknown": 1}, "unknown"),
        ({"vas.physical.deep": 1}, "vas.physical"),
    ],
)
def test_invalid_update_changes_nothing(
    document_store: DocumentStore, data: dict[str, Any], field: str
) -> None:
    doc_id, _ = crud.consultations.create(document_store, data=consultation_data())
    before = document_store.get(f"consultations/{doc_id}")
    with pytest.raises(ValidationFailed) as info:
        crud.consultations.update(document_store, doc_id, data=data)
    assert field in info.value.fields
    assert document_store.get(f"consultations/{doc_id}") == before


def test_session_update_cannot_expire_before_creation(document_store: DocumentStore) -> None:
    doc_id, _ = crud.sessions.create(document_store, data=session_data())
    with pytest.raises(ValidationFailed) as info:
        crud.sessions.update(document_store, doc_id, data={"expires_at": T0 - timedelta(days=1)})
    assert info.value.fields == ["expires_at"]
    assert crud.sessions.update(document_store, doc_id, data={"revoked": True}).revoked is True


def test_update_and_delete_missing(document_store: DocumentStore) -> None:
    with pytest.raises(NotFound):
        crud.chats.update(document_store, "gone", data={"body": "x"})
    with pytest.raises(NotFound):
        crud.chats.delete(document_store, "gone")
    with pytest.raises(ValidationFailed):
        crud.chats.update(document_store, "gone", data={})
    assert document_store.count("chats") == 0


def test_delete(document_store: DocumentStore) -> None:
    doc_id, _ = crud.chats.create(document_store, data=chat_data())
    crud.chats.delete(document_store, doc_id)
    with pytest.raises(NotFound):
        crud.chats.get(document_store, doc_id)


def test_corrupt_stored_document_is_reported(document_store: DocumentStore) -> None:
    document_store.set("chats/bad", {**chat_data(), "body": ""})
    with pytest.raises(ValidationFailed) as info:
        crud.chats.get(document_store, "bad")
    assert info.value.fields == ["body"]
    assert "chats/bad" in info.value.message


# --- get_user (PostgreSQL) ----------------------------------------------------------------------


def test_get_user_reads_a_detached_loaded_user(manager: DatabaseManager, session: Session) -> None:
    user = crud_sql.users.create(session, data=user_data(display_name="佐藤 花子"))
    session.flush()
    found = crud.get_user(str(user.id))
    assert (found.id, found.email, found.display_name) == (user.id, user.email, "佐藤 花子")
    assert found is not user
    assert inspect(found).detached
    assert crud.get_user(user.id).email == user.email


def test_get_user_errors(manager: DatabaseManager) -> None:
    with pytest.raises(NotFound):
        crud.get_user("999999999")
    for bad in ("abc", "", "-1", "1.5", " 1", "0", "9" * 25, True):
        with pytest.raises(ValidationFailed) as info:
            crud.get_user(bad)
        assert info.value.fields == ["user_id"]

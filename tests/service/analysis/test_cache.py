"""The analytics cache on the real stores: served when fresh, recomputed after a data change, a
stale mark or expiry, computed once for identical concurrent requests."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from backend.database import crud, crud_sql, locks, queue_sql
from backend.database.documents import DocumentStore
from backend.database.models import AnalyticsCacheEntry
from backend.service.analysis import cache
from backend.service.analysis.results import Interval
from tests.database.factories import company_data


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Interval:
        self.calls += 1
        return Interval(low=-1.0, high=float(self.calls))


def ask(session: Session, store: DocumentStore, company: int, compute: Counter, **kw: object):
    return cache.cached(
        session,
        store,
        analysis="vas_change",
        parameters={"min_group": 1},
        scope=frozenset({company}),
        result_type=Interval,
        compute=compute,
        **kw,  # type: ignore[arg-type]
    )


def test_a_fresh_entry_is_served_and_a_data_change_recomputes(
    session: Session, document_store: DocumentStore
) -> None:
    company = crud_sql.companies.create(session, data=company_data()).id
    compute = Counter()
    first = ask(session, document_store, company, compute)
    again = ask(session, document_store, company, compute)
    assert (first.from_cache, again.from_cache, compute.calls) == (False, True, 1)
    assert again.result == first.result
    assert again.computed_at == first.computed_at
    stored = crud.analytics.get(document_store, first.key)
    assert (stored.analysis, stored.company_id, stored.stale) == ("vas_change", company, False)
    queue_sql.bump_versions(session, [company])  # what the worker does for an event of the company
    changed = ask(session, document_store, company, compute)
    assert (changed.from_cache, compute.calls) == (False, 2)
    assert changed.key != first.key


def test_a_stale_entry_is_recomputed(session: Session, document_store: DocumentStore) -> None:
    company = crud_sql.companies.create(session, data=company_data()).id
    compute = Counter()
    first = ask(session, document_store, company, compute)
    crud.mark_analytics_stale(document_store, [company], ledger_id="test-event.stale_analytics")
    assert crud.analytics.get(document_store, first.key).stale
    assert not ask(session, document_store, company, compute).from_cache
    assert ask(session, document_store, company, compute).from_cache  # the new entry is fresh


def test_an_expired_entry_is_recomputed(document_store: DocumentStore) -> None:
    compute = Counter()

    def ask_briefly() -> cache.Cached[Interval]:
        return cache.cached_for(
            document_store,
            analysis="wellness_score",
            parameters={},
            scope=frozenset({1}),
            versions={1: 0},
            result_type=Interval,
            compute=compute,
            ttl=timedelta(milliseconds=200),
        )

    assert not ask_briefly().from_cache
    assert ask_briefly().from_cache
    time.sleep(0.3)
    assert not ask_briefly().from_cache
    assert compute.calls == 2


def test_identical_concurrent_requests_compute_once(document_store: DocumentStore) -> None:
    calls = []
    start = threading.Barrier(4)

    def slow() -> Interval:
        calls.append(1)
        time.sleep(0.3)
        return Interval(low=0.0, high=1.0)

    answers: list[bool] = []

    def request() -> None:
        start.wait()
        got = cache.cached_for(
            document_store,
            analysis="roi",
            parameters={},
            scope=None,
            versions={1: 3, 2: 1},
            result_type=Interval,
            compute=slow,
        )
        answers.append(got.from_cache)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert sorted(answers) == [False, True, True, True]


@pytest.mark.parametrize(
    "other",
    [
        {"analysis": "roi"},
        {"parameters": {"min_group": 5}},
        {"scope": frozenset({1, 2})},
        {"scope": None},
        {"versions": {1: 4}},
    ],
)
def test_the_key_changes_with_everything_the_result_depends_on(other: dict[str, object]) -> None:
    base: dict[str, object] = {
        "analysis": "vas_change",
        "parameters": {"min_group": 1},
        "scope": frozenset({1}),
        "versions": {1: 3},
    }
    assert cache.cache_key(**base) == cache.cache_key(**dict(base))  # type: ignore[arg-type]
    assert cache.cache_key(**base) != cache.cache_key(**(base | other))  # type: ignore[arg-type]


def test_a_computation_in_another_process_is_waited_for_and_read(
    engine: Engine, document_store: DocumentStore
) -> None:
    """The PostgreSQL lock makes a request wait for another process computing the same key (its own
    connection holding the lock, as another API instance or worker would), then read its entry."""
    versions = {1: 7}
    key = cache.cache_key("roi", {}, None, versions)
    compute = Counter()
    got: list[cache.Cached[Interval]] = []

    def request() -> None:
        with Session(bind=engine) as session, session.begin():
            got.append(
                cache.cached_for(
                    document_store,
                    session=session,
                    analysis="roi",
                    parameters={},
                    scope=None,
                    versions=versions,
                    result_type=Interval,
                    compute=compute,
                )
            )

    with Session(bind=engine) as other, other.begin():
        locks.lock_for_transaction(other, f"analytics:{key}")
        waiting = threading.Thread(target=request)
        waiting.start()
        deadline = time.monotonic() + 10
        while not _waits_for_advisory_lock(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waits_for_advisory_lock(engine), "the request did not wait for the other process"
        assert got == []
        at = datetime.now(UTC)
        entry = AnalyticsCacheEntry(
            cache_key=key, analysis="roi", data_version="7", result={"low": 1.0, "high": 2.0}, computed_at=at
        )
        batch = document_store.batch()
        crud.analytics.set_in(batch, key, entry)
        batch.commit()  # the other process wrote its entry, then its transaction ends
    waiting.join(timeout=10)
    assert [(g.from_cache, g.result) for g in got] == [(True, Interval(low=1.0, high=2.0))]
    assert compute.calls == 0


def _waits_for_advisory_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return bool(connection.execute(query).scalar())

"""The analytics cache (ANALYTICS_CACHE: the ``analytics`` collection, ``AnalyticsCacheEntry``).

An entry's key is the SHA-256 of (analysis, parameters, scope, the data versions of the companies in
scope). Every event touching a company's data bumps its version (``handlers.bump_data_version``),
so a result computed before a change can never be served under the new key; the worker also marks
the old entries stale (``handlers.mark_analytics_stale``). A request whose key has a fresh entry is
served from it; otherwise the analysis runs and its result is stored. Identical requests in one
process, or in processes sharing the database, at the same time compute once: the others wait for
the first and read its entry.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import crud, locks, queue_sql
from backend.database.documents import DocumentStore
from backend.database.models import AnalyticsCacheEntry
from backend.database.models_sql import Company

R = TypeVar("R", bound=BaseModel)
TOUCH_EVERY = timedelta(minutes=1)
Scope = frozenset[int] | None  # None: every company


@dataclass(frozen=True)
class Cached(Generic[R]):
    result: R
    from_cache: bool
    computed_at: datetime
    key: str


def cache_key(analysis: str, parameters: Mapping[str, Any], scope: Scope, versions: Mapping[int, int]) -> str:
    """Canonical JSON of what the result depends on, hashed."""
    basis = {
        "analysis": analysis,
        "parameters": parameters,
        "scope": "all" if scope is None else sorted(scope),
        "versions": sorted(versions.items()),
    }
    canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def versions_in_scope(session: Session, scope: Scope) -> dict[int, int]:
    """The data version of every company in scope (all companies for None)."""
    companies: Iterable[int] = scope if scope is not None else session.scalars(select(Company.id)).all()
    return queue_sql.data_versions(session, companies)


def cached(
    session: Session,
    store: DocumentStore,
    *,
    analysis: str,
    parameters: Mapping[str, Any],
    scope: Scope,
    result_type: type[R],
    compute: Callable[[], R],
    ttl: timedelta | None = None,
) -> Cached[R]:
    """The result of ``compute()`` for this key, from the cache when a fresh entry has it."""
    versions = versions_in_scope(session, scope)
    return cached_for(
        store,
        session=session,
        analysis=analysis,
        parameters=parameters,
        scope=scope,
        versions=versions,
        result_type=result_type,
        compute=compute,
        ttl=ttl,
    )


def cached_for(
    store: DocumentStore,
    *,
    analysis: str,
    parameters: Mapping[str, Any],
    scope: Scope,
    versions: Mapping[int, int],
    result_type: type[R],
    compute: Callable[[], R],
    ttl: timedelta | None = None,
    session: Session | None = None,
) -> Cached[R]:
    """``cached`` with the data versions already read. With ``session``, processes computing the
    same key also wait for each other (a PostgreSQL advisory lock held until its transaction ends,
    after the entry is written), so one computes and the others read its entry."""
    key = cache_key(analysis, parameters, scope, versions)
    if (hit := _fresh(store, key, result_type)) is not None:
        return hit
    with _single_flight(key):
        if session is not None:
            locks.lock_for_transaction(session, f"analytics:{key}")
        if (hit := _fresh(store, key, result_type)) is not None:  # computed while this one waited
            return hit
        result = compute()
        at = datetime.now(UTC)
        entry = AnalyticsCacheEntry(
            cache_key=key,
            analysis=analysis,
            parameters=json.loads(json.dumps(dict(parameters), default=str)),
            company_id=next(iter(scope)) if scope is not None and len(scope) == 1 else None,
            data_version=_version_label(versions),
            result=result.model_dump(mode="json"),
            computed_at=at,
            expires_at=at + ttl if ttl is not None else None,
            scope=None if scope is None else sorted(scope),
            last_used_at=at,
        )
        batch = store.batch()
        crud.analytics.set_in(batch, key, entry)
        batch.commit()
        return Cached(result=result, from_cache=False, computed_at=at, key=key)


def lookup(
    session: Session,
    store: DocumentStore,
    *,
    analysis: str,
    parameters: Mapping[str, Any],
    scope: Scope,
    result_type: type[R],
) -> Cached[R] | None:
    """The fresh cached result for this key, or None (nothing is computed)."""
    key = cache_key(analysis, parameters, scope, versions_in_scope(session, scope))
    return _fresh(store, key, result_type)


def _fresh(store: DocumentStore, key: str, result_type: type[R]) -> Cached[R] | None:
    entry = crud.analytics.find(store, key)
    now = datetime.now(UTC)
    if entry is None or entry.stale:
        return None
    if entry.expires_at is not None and entry.expires_at <= now:
        return None
    if entry.last_used_at is None or now - entry.last_used_at >= TOUCH_EVERY:  # at most one write a minute
        crud.analytics.update(store, key, data={"last_used_at": now})
    return Cached(
        result=result_type.model_validate(entry.result),
        from_cache=True,
        computed_at=entry.computed_at,
        key=key,
    )


def _version_label(versions: Mapping[int, int]) -> str:
    """A short label of the versions (the key holds them all): their sum and a digest."""
    digest = hashlib.sha256(json.dumps(sorted(versions.items())).encode()).hexdigest()[:12]
    return f"{sum(versions.values())}:{digest}"


_flights: dict[str, threading.Lock] = {}
_flights_lock = threading.Lock()


@contextmanager
def _single_flight(key: str) -> Iterator[None]:
    with _flights_lock:
        lock = _flights.setdefault(key, threading.Lock())
    with lock:
        yield
    with _flights_lock:
        if not lock.locked():
            _flights.pop(key, None)

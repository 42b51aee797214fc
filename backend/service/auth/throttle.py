"""Failed sign-ins counted per account and per client address, in the document store.

The counters live in USER_SESSION (collection ``login_attempts``), so every API instance sees the
same ones. A document is keyed by a hash of the account's email or of the address, so neither is
stored in clear. Within ``window`` seconds, ``max`` failures lock the key for ``lockout`` seconds;
a successful sign-in clears the account's counter (not the address's: one valid account must not
reset what an address spent guessing others).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from backend.config import Settings
from backend.database import crud
from backend.database.documents import DocumentStore
from backend.database.models import LoginThrottle
from backend.errors import TooManyRequests

Scope = Literal["account", "address"]


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Key:
    scope: Scope
    doc_id: str
    limits: Limits


def keys(settings: Settings, *, email: str, address: str) -> tuple[Key, Key]:
    """The counters one sign-in attempt touches: the account's and the client address's."""
    window = timedelta(seconds=settings.login_failure_window_s)
    lockout = timedelta(seconds=settings.login_lockout_s)
    per_account = Limits(settings.login_max_failures_per_account, window, lockout)
    per_address = Limits(settings.login_max_failures_per_address, window, lockout)
    return Key("account", _hash("account", email), per_account), Key(
        "address", _hash("address", address), per_address
    )


def check(store: DocumentStore, keys: list[Key], *, now: datetime) -> None:
    """TooManyRequests (with Retry-After) while any of ``keys`` is locked."""
    for key in keys:
        doc = crud.login_attempts.find(store, key.doc_id)
        if doc is not None and doc.locked_until is not None and doc.locked_until > now:
            wait = math.ceil((doc.locked_until - now).total_seconds())
            subject = "this account" if key.scope == "account" else "this address"
            raise TooManyRequests(
                f"Too many failed sign-ins for {subject}; try again in {wait} seconds.",
                retry_after_s=wait,
                details={"scope": key.scope},
            )


def record_failure(store: DocumentStore, keys: list[Key], *, now: datetime) -> None:
    """Count one failure on each key, locking those that reach their limit."""
    for key in keys:

        def count(current: LoginThrottle | None, key: Key = key) -> LoginThrottle:
            fresh = current is None or now - current.window_started_at > key.limits.window
            failures = 1 if fresh or current is None else current.failures + 1
            locked = now + key.limits.lockout if failures >= key.limits.max_failures else None
            return LoginThrottle(
                scope=key.scope,
                failures=0 if locked else failures,  # a lockout starts a fresh count after it
                window_started_at=now if fresh or current is None else current.window_started_at,
                locked_until=locked,
                updated_at=now,
            )

        crud.login_attempts.upsert(store, key.doc_id, count)


def clear(store: DocumentStore, key: Key) -> None:
    """Forget the failures of ``key`` (after a successful sign-in)."""
    crud.login_attempts.delete_many(store, [key.doc_id])


def prune(store: DocumentStore, settings: Settings, *, now: datetime) -> int:
    """Delete counters nobody has touched for a window plus a lockout; returns how many."""
    horizon = now - timedelta(seconds=settings.login_failure_window_s + settings.login_lockout_s)
    stale = [{"field": "updated_at", "operator": "<", "value": horizon}]
    return crud.login_attempts.delete_matching(store, conditions=stale)


def _hash(scope: Scope, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()

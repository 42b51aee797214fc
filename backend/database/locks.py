"""Locks across processes, on PostgreSQL: transaction-scoped advisory locks named by a string."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def lock_for_transaction(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock ``name``, then hold it until this session's
    transaction ends (commit or rollback). Taking it twice in one transaction does not wait."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))

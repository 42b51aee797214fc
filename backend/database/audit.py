"""Every ORM write appends an ``audit_logs`` row in the same transaction as the write itself.

The hook runs on every flush of every session, so a write cannot skip the audit log by going
around ``crud_sql`` (the seed's ``session.add(...)`` is audited too). Only field *names* are
recorded, never values: the log must not become a second copy of personal data or password hashes.
Bulk paths that bypass the ORM (COPY) call ``record`` themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from backend.database.models_sql import AuditLog, Base

ACTOR_KEY = "actor"
READ_ONLY_KEY = "read_only"
SYSTEM_ACTOR = "system"


class ReadOnlyUnitOfWork(RuntimeError):
    """A write through a unit of work opened to read (a GET request)."""


def actor_of(session: Session) -> str:
    """Who is acting in this unit of work (set by ``get_db_session(actor=...)``)."""
    return str(session.info.get(ACTOR_KEY, SYSTEM_ACTOR))


def record(
    session: Session,
    *,
    action: str,
    table: str,
    entity_id: str | None,
    changes: dict[str, Any],
    actor: str | None = None,
) -> None:
    """Append one audit row through the session's connection (same transaction); ``actor`` overrides
    the unit of work's (a sign-in acts for the user it signs in)."""
    _refuse_read_only(session)
    row = _row(session, action=action, table=table, entity_id=entity_id, changes=changes)
    if actor is not None:
        row["actor"] = actor
    session.connection().execute(insert(AuditLog), [row])


def _row(
    session: Session, *, action: str, table: str, entity_id: str | None, changes: dict[str, Any]
) -> dict[str, Any]:
    return {
        "actor": actor_of(session),
        "action": action,
        "table_name": table,
        "entity_id": entity_id,
        "changes": changes,
    }


def entity_id(obj: Base) -> str | None:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return None if any(part is None for part in key) else ",".join(str(part) for part in key)


def changed_fields(obj: Base) -> list[str]:
    state = inspect(obj)
    return sorted(attr.key for attr in state.attrs if attr.history.has_changes())


def _refuse_read_only(session: Session, *_: Any) -> None:
    if session.info.get(READ_ONLY_KEY):
        raise ReadOnlyUnitOfWork(
            "This unit of work only reads (a GET request); write in a POST, PATCH or DELETE."
        )


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # In after_flush the new/dirty/deleted sets and attribute histories still show what was flushed.
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Base) or isinstance(obj, AuditLog):
                continue
            fields = changed_fields(obj) if action != "delete" else []
            if action == "update" and not fields:
                continue
            rows.append(
                _row(
                    session,
                    action=action,
                    table=obj.__tablename__,
                    entity_id=entity_id(obj),
                    changes={"fields": fields} if fields else {},
                )
            )
    if rows:
        session.connection().execute(insert(AuditLog), rows)


event.listen(Session, "before_flush", _refuse_read_only)
event.listen(Session, "after_flush", _after_flush)

"""Sign-in: sessions in USER_SESSION (only the token's SHA-256 is stored), checked on every request.

A session ends at its absolute expiry (``session_absolute_ttl_s`` after sign-in), after
``session_idle_ttl_s`` without a request, at logout, or when its user is disabled. The last-seen
time is written at most once a minute, so a busy client does not turn every read into a write.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import audit, crud, crud_sql
from backend.database.documents import DocumentStore
from backend.database.models import UserSession
from backend.database.models_sql import User, UserRole
from backend.errors import Unauthenticated, ValidationFailed
from backend.security import DECOY_HASH, new_token, token_hash, verify_password
from backend.service.access import Viewer
from backend.service.auth import throttle
from backend.service.auth.schemas import CompanyRef, Me
from backend.service.users.schemas import UserPublic

log = logging.getLogger(__name__)
TOUCH_EVERY = timedelta(seconds=60)
WRONG_CREDENTIALS = "The email or password is wrong, or the account is disabled."
SIGN_IN_AGAIN = "Your session has ended (expired, signed out or disabled); sign in again."


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from, as the API saw it."""

    address: str
    user_agent: str | None = None


@dataclass(frozen=True)
class IssuedSession:
    token: str  # shown to the client once, never stored
    expires_at: datetime
    viewer: Viewer


def now() -> datetime:
    return datetime.now(UTC)


def login(
    session: Session, store: DocumentStore, settings: Settings, *, email: str, password: str, client: Client
) -> IssuedSession:
    """A new session for the right email and password; the same Unauthenticated for every wrong one.

    An unknown email costs the same scrypt call as a wrong password, and counts against the same
    throttles, so neither the answer nor its time tells whether an account exists.
    """
    email = email.strip().lower()
    at = now()
    account, address = throttle.keys(settings, email=email, address=client.address)
    throttle.check(store, [account, address], now=at)
    user = crud_sql.users.find_by(session, email=email)
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = verify_password(password, stored or DECOY_HASH)
    if user is None or stored is None or not matches or not user.is_active:
        throttle.record_failure(store, [account, address], now=at)
        raise Unauthenticated(WRONG_CREDENTIALS)
    throttle.clear(store, account)
    return open_session(session, store, settings, user=user, client=client)


def open_session(
    session: Session, store: DocumentStore, settings: Settings, *, user: User, client: Client
) -> IssuedSession:
    """A new session for ``user`` (whose credentials were checked): a fresh token, its hash stored."""
    at = now()
    token = new_token()
    digest = token_hash(token)
    assert digest is not None
    expires = at + timedelta(seconds=settings.session_absolute_ttl_s)
    record = UserSession(
        user_id=user.id,
        token_hash=digest,
        created_at=at,
        expires_at=expires,
        last_seen_at=at,
        client_ip=client.address if _is_ip(client.address) else None,
        user_agent=(client.user_agent or "")[:512] or None,
    )
    actor = f"user:{user.id}"
    audit.record(session, action="login", table="sessions", entity_id=str(user.id), changes={}, actor=actor)
    crud.sessions.create(store, data=record, doc_id=digest)
    viewer = load_viewer(session, user.id, session_id=digest)
    assert viewer is not None  # the caller has just checked the user
    return IssuedSession(token=token, expires_at=expires, viewer=viewer)


def authenticate(session: Session, store: DocumentStore, settings: Settings, *, token: str) -> Viewer:
    """The viewer a bearer token belongs to; Unauthenticated for anything but a live session."""
    digest = token_hash(token)
    record = None if digest is None else _stored_session(store, digest)
    at = now()
    if digest is None or record is None or not _live(record, settings, at):
        raise Unauthenticated(SIGN_IN_AGAIN)
    viewer = load_viewer(session, record.user_id, session_id=digest)
    if viewer is None:  # deleted or disabled since signing in
        raise Unauthenticated(SIGN_IN_AGAIN)
    if at - record.last_seen_at >= TOUCH_EVERY:
        crud.sessions.update(store, digest, data={"last_seen_at": at})
    return viewer


def logout(session: Session, store: DocumentStore, viewer: Viewer) -> None:
    """End the viewer's session at once."""
    if viewer.session_id is not None:
        crud.sessions.update(store, viewer.session_id, data={"revoked": True})
        audit.record(session, action="logout", table="sessions", entity_id=str(viewer.user_id), changes={})


def revoke_sessions(store: DocumentStore, user_id: int) -> int:
    """End every live session of a user (disabled, demoted or given a new password); returns how many."""
    ended, after = 0, None
    while True:
        page = crud.sessions.list(
            store, conditions=[{"field": "user_id", "operator": "==", "value": user_id}], after=after
        )
        for doc_id, record in page.items:
            if not record.revoked:
                crud.sessions.update(store, doc_id, data={"revoked": True})
                ended += 1
        if page.next_after is None:
            return ended
        after = page.next_after


def prune(store: DocumentStore, settings: Settings) -> int:
    """Delete sessions past their absolute expiry and stale sign-in counters; returns how many."""
    at = now()
    expired = [{"field": "expires_at", "operator": "<", "value": at}]
    deleted = crud.sessions.delete_matching(store, conditions=expired, order_by="expires_at")
    return deleted + throttle.prune(store, settings, now=at)


def load_viewer(session: Session, user_id: int, *, session_id: str | None = None) -> Viewer | None:
    """The Viewer of an active user (with a VC user's granted companies), in one query; None when
    the user is gone or disabled."""
    row = crud_sql.user_with_grants(session, user_id)
    if row is None or not row.is_active:
        return None
    granted = frozenset(row.granted) if row.role is UserRole.VC else frozenset()
    return Viewer(user_id=row.id, email=row.email, role=row.role, granted=granted, session_id=session_id)


def _stored_session(store: DocumentStore, digest: str) -> UserSession | None:
    try:
        return crud.sessions.find(store, digest)
    except ValidationFailed as exc:  # a damaged session document is no sign-in
        log.warning("Unreadable session document %s…: %s", digest[:8], exc.message)
        return None


def _live(record: UserSession, settings: Settings, at: datetime) -> bool:
    idle = timedelta(seconds=settings.session_idle_ttl_s)
    return not record.revoked and at < record.expires_at and at - record.last_seen_at < idle


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def me(session: Session, viewer: Viewer) -> Me:
    """The signed-in user, its role and the companies it may see."""
    user = crud_sql.users.read(session, viewer.user_id)
    companies: list[CompanyRef] = []
    if viewer.companies:  # a VC user's grants (at most a page: a VC firm's portfolio)
        granted = crud_sql.companies.list(session, within=viewer.companies, limit=crud_sql.MAX_PAGE)
        companies = [CompanyRef.model_validate(company) for company in granted.items]
    return Me(
        user=UserPublic.model_validate(user),
        role=viewer.role,
        all_companies=viewer.companies is None,
        companies=companies,
    )

"""The seed's session helper: commit on success, roll back and re-raise on error, always close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.database import DatabaseManager, audit, crud_sql, get_db_session
from backend.database.migration import upgrade
from backend.database.models_sql import AuditLog, Company, User, UserRole


def emails(connection: Connection) -> list[str]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as other:
        return list(other.scalars(select(User.email).order_by(User.email)))


def test_seed_transaction_example_runs_as_written(manager: DatabaseManager, connection: Connection) -> None:
    new_user = User(email="suzuki@example.jp", display_name="鈴木", role=UserRole.ANALYST)
    user_profile = Company(name="Profile KK")
    # トランザクション管理 — the seed's example, verbatim
    with get_db_session() as session:
        try:
            session.add(new_user)
            session.add(user_profile)
            session.commit()
        except Exception:
            session.rollback()
            raise
    assert emails(connection) == ["suzuki@example.jp"]
    assert inspect(new_user).detached


def test_block_commits_without_an_explicit_commit(manager: DatabaseManager, connection: Connection) -> None:
    with get_db_session(actor="user:7") as session:
        session.add(User(email="kato@example.jp", display_name="加藤", role=UserRole.VC))
    assert emails(connection) == ["kato@example.jp"]
    with Session(bind=connection, join_transaction_mode="create_savepoint") as other:
        actors = list(other.scalars(select(AuditLog.actor).where(AuditLog.table_name == "users")))
    assert actors == ["user:7"]


def test_exception_rolls_back_and_is_re_raised(manager: DatabaseManager, connection: Connection) -> None:
    with pytest.raises(RuntimeError, match="boom"), get_db_session() as session:
        session.add(User(email="ito@example.jp", display_name="伊藤", role=UserRole.VC))
        session.flush()
        raise RuntimeError("boom")
    assert emails(connection) == []


def test_failed_commit_rolls_back_everything(manager: DatabaseManager, connection: Connection) -> None:
    with pytest.raises(IntegrityError), get_db_session() as session:
        session.add(User(email="dup@example.jp", display_name="A", role=UserRole.VC))
        session.add(User(email="dup@example.jp", display_name="B", role=UserRole.VC))
    assert emails(connection) == []


def test_manager_is_one_per_process(manager: DatabaseManager) -> None:
    assert DatabaseManager() is DatabaseManager() is manager


def test_configure_after_connecting_is_refused(manager: DatabaseManager) -> None:
    manager.session_factory  # noqa: B018 - connects
    with pytest.raises(RuntimeError, match="reset"):
        manager.configure(manager.settings)


@pytest.fixture
def server_manager(fresh_schema: Any) -> Iterator[DatabaseManager]:
    """A manager on its own engine (not the test's connection), over a fresh migrated schema."""
    settings = fresh_schema()
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(settings)
    upgrade(manager.engine)
    yield manager
    DatabaseManager.reset()


def test_a_read_only_unit_of_work_reads_without_a_transaction(server_manager: DatabaseManager) -> None:
    with server_manager.session() as session:
        crud_sql.companies.create(session, data={"name": "読む会社"})
    reader = server_manager.open_session(read_only=True)
    try:
        assert [c.name for c in crud_sql.companies.list(reader).items] == ["読む会社"]
        status = reader.connection().connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == psycopg.pq.TransactionStatus.IDLE  # autocommit: no BEGIN was sent
    finally:
        server_manager.end_session(reader)


def test_read_only_units_keep_their_own_autocommit_pool(server_manager: DatabaseManager) -> None:
    """Reads borrow connections that stay in autocommit; a unit that writes still gets transactions."""
    for _ in range(2):  # the second round reuses the pooled connections: neither was switched over
        reader, writer = server_manager.open_session(read_only=True), server_manager.open_session()
        try:
            read_conn = reader.connection().connection.driver_connection
            write_conn = writer.connection().connection.driver_connection
            assert read_conn.autocommit is True  # type: ignore[union-attr]
            assert write_conn.autocommit is False  # type: ignore[union-attr]
            assert reader.get_bind() is not writer.get_bind()
        finally:
            server_manager.end_session(reader)
            server_manager.end_session(writer)


def test_a_read_only_unit_of_work_refuses_every_write(server_manager: DatabaseManager) -> None:
    reader = server_manager.open_session(read_only=True)
    try:
        with pytest.raises(audit.ReadOnlyUnitOfWork, match="only reads"):
            crud_sql.companies.create(reader, data={"name": "書けない会社"})
        with pytest.raises(audit.ReadOnlyUnitOfWork):
            audit.record(reader, action="x", table="companies", entity_id=None, changes={})
    finally:
        server_manager.end_session(reader)
    with server_manager.session() as session:
        assert crud_sql.companies.list(session).items == []

"""``wellness users`` against a real, migrated schema: accounts, grants, disabling, no default users."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.database import DatabaseManager, crud, crud_sql
from backend.database.migration import upgrade
from backend.database.models_sql import CompanyAccess, User
from backend.security import verify_password
from backend.service.auth import service as auth
from tests.cli.conftest import Cli
from tests.database.factories import company_data

PASSWORD = "a long enough passphrase"


def test_there_are_no_default_users(cli: Cli) -> None:
    upgrade(cli.engine)
    with cli.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_create_the_first_admin_from_stdin(cli: Cli) -> None:
    result = cli("users", "create", "--email", "Admin@Example.JP", "--role", "admin", "--password-stdin",
                 input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created admin admin@example.jp" in result.output
    assert PASSWORD not in result.output
    user = cli.user("admin@example.jp")
    assert user is not None
    assert user.password_hash is not None
    assert verify_password(PASSWORD, user.password_hash)
    assert user.display_name == "admin"


def test_a_generated_password_is_printed_once_and_works(cli: Cli) -> None:
    result = cli("users", "create", "--email", "vc@fund.jp", "--role", "vc", "--generate-password")
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Password")]
    password = line.rsplit(" ", 1)[1]
    user = cli.user("vc@fund.jp")
    assert user is not None
    assert user.password_hash is not None
    assert verify_password(password, user.password_hash)


def test_the_prompt_asks_twice(cli: Cli) -> None:
    ok = cli(
        "users", "create", "--email", "a@example.jp", "--role", "analyst", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert ok.exit_code == 0, ok.output
    mismatch = cli(
        "users", "create", "--email", "b@example.jp", "--role", "analyst", input=f"{PASSWORD}\nother\n"
    )
    assert mismatch.exit_code != 0
    assert cli.user("b@example.jp") is None


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["--email", "not-an-email", "--role", "admin"], PASSWORD, "email"),
        (["--email", "x@example.jp", "--role", "admin"], "short", "password"),
        (["--email", "x@example.jp", "--role", "vc", "--company", "999"], PASSWORD, "company_id"),
    ],
)
def test_bad_input_says_what_and_writes_nothing(cli: Cli, args: list[str], stdin: str, says: str) -> None:
    result = cli("users", "create", *args, "--password-stdin", input=stdin + "\n")
    assert result.exit_code == 1
    assert says in result.output
    assert "Traceback" not in result.output
    assert cli.user("x@example.jp") is None


def test_an_unknown_role_is_refused(cli: Cli) -> None:
    result = cli("users", "create", "--email", "x@example.jp", "--role", "superuser", "--generate-password")
    assert result.exit_code == 2
    assert "superuser" in result.output


def test_a_taken_email_is_refused(cli: Cli) -> None:
    args = ["users", "create", "--email", "a@example.jp", "--role", "analyst", "--password-stdin"]
    assert cli(*args, input=PASSWORD + "\n").exit_code == 0
    again = cli(*args, input=PASSWORD + "\n")
    assert again.exit_code == 1
    assert "already has a row" in again.output


def test_grant_list_revoke(cli: Cli) -> None:
    upgrade(cli.engine)
    with DatabaseManager().session(actor="test") as session:
        company = crud_sql.companies.create(session, data=company_data()).id
    DatabaseManager.reset()
    assert (
        cli("users", "create", "--email", "vc@fund.jp", "--role", "vc", "--generate-password").exit_code == 0
    )
    granted = cli("users", "grant", "--email", "vc@fund.jp", "--company", str(company))
    assert granted.exit_code == 0, granted.output
    listing = cli("users", "list")
    assert "vc@fund.jp" in listing.output
    assert str(company) in listing.output
    assert cli("users", "revoke", "--email", "vc@fund.jp", "--company", str(company)).exit_code == 0
    with cli.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CompanyAccess)).scalar_one() == 0
    unknown = cli("users", "grant", "--email", "nobody@fund.jp", "--company", str(company))
    assert unknown.exit_code == 1
    assert "nobody@fund.jp" in unknown.output


def test_disable_ends_the_users_sessions(cli: Cli) -> None:
    assert (
        cli(
            "users", "create", "--email", "a@example.jp", "--role", "analyst", "--generate-password"
        ).exit_code
        == 0
    )
    manager = DatabaseManager()
    with manager.session(actor="test") as session:
        user = crud_sql.users.get_by(session, email="a@example.jp")
        issued = auth.open_session(
            session, manager.documents, manager.settings, user=user, client=auth.Client("::1")
        )
    DatabaseManager.reset()
    result = cli("users", "disable", "--email", "a@example.jp")
    assert result.exit_code == 0, result.output
    disabled = cli.user("a@example.jp")
    assert disabled is not None
    assert not disabled.is_active
    manager = DatabaseManager()
    assert crud.sessions.get(manager.documents, issued.viewer.session_id or "").revoked is True
    assert cli("users", "enable", "--email", "a@example.jp").exit_code == 0
    enabled = cli.user("a@example.jp")
    assert enabled is not None
    assert enabled.is_active

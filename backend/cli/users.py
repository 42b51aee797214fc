"""``wellness users``: accounts from the command line. There are no default credentials; the first
admin is created here (``wellness users create --email you@example.jp --role admin``)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from backend.cli.common import err, run
from backend.database import DatabaseManager, get_db_session
from backend.database.models_sql import UserRole
from backend.database.sql_errors import from_pydantic
from backend.errors import FieldProblem, ValidationFailed
from backend.security import generate_password
from backend.service.users import service as users
from backend.service.users.schemas import NewUser, UserChanges, UserPublic

app = typer.Typer(help="User accounts: create, list, grant companies, disable.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The user's email (sign-in name).")]
Company = Annotated[int, typer.Option("--company", help="A company id.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]
Generate = Annotated[
    bool, typer.Option("--generate-password", help="Generate a strong password and print it once.")
]
Role = Annotated[UserRole, typer.Option("--role", help="admin, analyst or vc.")]
Name = Annotated[str | None, typer.Option("--name", help="Display name (default: from the email).")]
Grants = Annotated[list[int] | None, typer.Option("--company", help="Grant a company (VC users; repeat).")]
SHOWN_ONCE = "Password (shown only now, store it safely): {}"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(*, from_stdin: bool, generate: bool) -> str:
    """The new password: from stdin, generated, or typed twice at a prompt."""
    if from_stdin and generate:
        both = "use --password-stdin or --generate-password, not both"
        raise ValidationFailed([FieldProblem("password", both)])
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if generate:
        return generate_password()
    return str(typer.prompt("Password (at least 12 characters)", hide_input=True, confirmation_prompt=True))


def _validated(model: type[NewUser] | type[UserChanges], **values: object) -> NewUser | UserChanges:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise from_pydantic(exc) from exc


@app.command("create")
def create(
    email: Email,
    role: Annotated[UserRole, typer.Option("--role", help="admin, analyst or vc.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Display name (default: from the email).")
    ] = None,
    company: Annotated[
        list[int] | None, typer.Option("--company", help="Grant a company (VC; repeat).")
    ] = None,
    password_stdin: PasswordStdin = False,
    generate_password: Generate = False,
) -> None:
    """Create a user. Without --password-stdin or --generate-password it asks for the password twice."""

    def action() -> None:
        password = _password(from_stdin=password_stdin, generate=generate_password)
        values = {"display_name": name, "role": role, "password": password, "companies": company or []}
        data = _validated(NewUser, email=email, **values)
        assert isinstance(data, NewUser)
        with get_db_session(actor=_actor()) as session:
            created = users.create(session, data=data)
        err.print(f"Created {created.user.role.value} {created.user.email} (id {created.user.id}).")
        if generate_password:
            typer.echo(SHOWN_ONCE.format(password))

    run(action, migrate=True)


def _every_user(session: Session) -> Iterator[UserPublic]:
    after = None
    while True:
        page = users.list_users(session, after=after, limit=500)
        yield from page.items
        if page.next_after is None:
            return
        after = int(page.next_after)


@app.command("list")
def list_users() -> None:
    """Every user with role, state and granted companies."""

    def action() -> None:
        table = Table("id", "email", "name", "role", "active", "companies")
        with get_db_session(actor=_actor()) as session:
            for user in _every_user(session):
                granted = ", ".join(str(g.company_id) for g in users.grants(session, user.id))
                companies = granted or ("all" if user.role is not UserRole.VC else "-")
                active = "yes" if user.is_active else "no"
                table.add_row(str(user.id), user.email, user.display_name, user.role, active, companies)
        Console().print(table)

    run(action, migrate=True)


@app.command("grant")
def grant(email: Email, company: Company) -> None:
    """Let a VC user see one company's data."""

    def action() -> None:
        with get_db_session(actor=_actor()) as session:
            given = users.grant(session, user_id=users.by_email(session, email).id, company_id=company)
        err.print(f"{email} may now see company {given.company_id} ({given.company_name}).")

    run(action, migrate=True)


@app.command("revoke")
def revoke(email: Email, company: Company) -> None:
    """Take one company away from a VC user."""

    def action() -> None:
        with get_db_session(actor=_actor()) as session:
            users.revoke(session, user_id=users.by_email(session, email).id, company_id=company)
        err.print(f"{email} may no longer see company {company}.")

    run(action, migrate=True)


def _change(email: str, done: str, **changes: object) -> None:
    def action() -> None:
        data = _validated(UserChanges, **changes)
        assert isinstance(data, UserChanges)
        with get_db_session(actor=_actor()) as session:
            user_id = users.by_email(session, email).id
            users.update(session, DatabaseManager().documents, user_id=user_id, changes=data)
        err.print(done)

    run(action, migrate=True)


@app.command("disable")
def disable(email: Email) -> None:
    """Disable a user: they cannot sign in, and their open sessions end at once."""
    _change(email, f"{email} is disabled; their sessions have ended.", is_active=False)


@app.command("enable")
def enable(email: Email) -> None:
    """Enable a disabled user again."""
    _change(email, f"{email} is enabled.", is_active=True)


@app.command("password")
def password(email: Email, password_stdin: PasswordStdin = False, generate: Generate = False) -> None:
    """Set a new password (their open sessions end)."""
    new = _password(from_stdin=password_stdin, generate=generate)
    _change(email, f"{email} has a new password; their sessions have ended.", password=new)
    if generate:
        typer.echo(SHOWN_ONCE.format(new))

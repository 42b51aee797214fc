"""``wellness ingest``: the API's import from the command line, with the same all-or-nothing rules."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from backend.database import DatabaseManager, crud_sql
from backend.database.models_sql import Employee
from tests.cli.conftest import Cli
from tests.database.factories import company_data

FILES = Path(__file__).resolve().parent.parent / "service" / "ingest" / "files"


def _company_and_analyst(cli: Cli) -> int:
    assert (
        cli(
            "users", "create", "--email", "a@example.jp", "--role", "analyst", "--generate-password"
        ).exit_code
        == 0
    )
    with DatabaseManager().session(actor="test") as session:
        company_id = crud_sql.companies.create(session, data=company_data()).id
    DatabaseManager.reset()
    return company_id


def _employees(cli: Cli) -> int:
    with cli.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Employee)).scalar_one())


def test_a_file_imported_from_the_command_line(cli: Cli) -> None:
    company = _company_and_analyst(cli)
    args = [
        "ingest",
        str(FILES / "employees_utf8_bom.csv"),
        "--as",
        "a@example.jp",
        "--company",
        str(company),
    ]
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert "employees (csv, utf-8-sig): 4 rows — 4 new, 0 changed, 0 unchanged." in first.output
    assert "メールアドレス" in first.output  # the column it did not import
    again = cli(*args)
    assert "0 new, 0 changed, 4 unchanged" in again.output
    assert _employees(cli) == 4


def test_a_bad_file_lists_its_problems_and_stores_nothing(cli: Cli) -> None:
    company = _company_and_analyst(cli)
    result = cli(
        "ingest", str(FILES / "date_2024_13_01.csv"), "--as", "a@example.jp", "--company", str(company)
    )
    assert result.exit_code == 1
    assert "row 2" in result.output
    assert "Traceback" not in result.output
    assert _employees(cli) == 0


def test_only_analysts_and_admins_import(cli: Cli) -> None:
    company = _company_and_analyst(cli)
    assert (
        cli("users", "create", "--email", "vc@fund.jp", "--role", "vc", "--generate-password").exit_code == 0
    )
    result = cli(
        "ingest", str(FILES / "employees_utf8_bom.csv"), "--as", "vc@fund.jp", "--company", str(company)
    )
    assert result.exit_code == 1
    assert "not an active analyst or admin" in result.output
    assert _employees(cli) == 0

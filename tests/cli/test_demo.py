"""``wellness demo seed``: the small portfolio lands, a second run changes nothing, a configured
server needs --allow-server."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.database.models_sql import Company
from tests.cli.conftest import Cli


def test_demo_seed_writes_once_and_refuses_a_server_unasked(cli: Cli) -> None:
    refused = cli("demo", "seed", "--scale", "small")
    assert refused.exit_code == 1
    assert "--allow-server" in refused.output
    first = cli("demo", "seed", "--scale", "small", "--allow-server")
    assert first.exit_code == 0, first.output
    assert "0 updated, 0 unchanged" in first.output
    with cli.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Company)) == 6
    second = cli("demo", "seed", "--scale", "small", "--allow-server")
    assert second.exit_code == 0, second.output
    assert " 0 rows inserted, 0 updated" in second.output
    bad = cli("demo", "seed", "--scale", "huge", "--allow-server")
    assert bad.exit_code == 2
    assert "small or full" in bad.output

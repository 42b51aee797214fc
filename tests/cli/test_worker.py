"""``wellness worker``: before it works, it prunes the warehouse, as every event worker does (a
scheduled ``--until-idle`` job may be the only process that runs)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest

from backend.config import Settings
from backend.service.bigquery import service
from backend.service.bigquery.warehouse import open_warehouse
from backend.service.bigquery.warehouse_bigquery import bigquery_client
from tests import emulators
from tests.cli.conftest import Cli


@pytest.fixture
def on_bigquery(cli: Cli, bigquery_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI's settings with the warehouse on bqemulator, in a dataset of its own."""
    chosen = {
        "warehouse_backend": "bigquery",
        "bigquery_project": emulators.BIGQUERY_PROJECT,
        "bigquery_api_endpoint": bigquery_endpoint,
        "bigquery_dataset": f"cli_{secrets.token_hex(6)}",
    }
    for name, value in chosen.items():
        monkeypatch.setenv(f"WELLNESS_{name.upper()}", value)
    settings = cli.settings.model_copy(update=chosen)
    yield settings
    client = bigquery_client(settings)
    client.delete_dataset(settings.bigquery_dataset, delete_contents=True, not_found_ok=True)
    client.close()


def test_the_worker_prunes_the_warehouse_before_it_works(
    cli: Cli, on_bigquery: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = open_warehouse(on_bigquery)
    for x in (1.0, 2.0):  # the second replace supersedes the first
        rows = pd.DataFrame({"company_id": pd.array([1], dtype="Int64"), "x": [x]})
        warehouse.replace("surveys", [1], rows)
    monkeypatch.setattr(service, "PRUNE_AFTER", timedelta(0))  # the test cannot wait 3 hours
    ran = cli("worker", "--until-idle", "--timeout", "60")
    assert ran.exit_code == 0, ran.output
    client = bigquery_client(on_bigquery)
    stored = client.query(f"SELECT COUNT(*) AS n FROM `{on_bigquery.bigquery_dataset}.surveys`").result()
    assert [row["n"] for row in stored] == [1]  # the superseded row is gone
    client.close()
    assert list(warehouse.query("surveys")["x"]) == [2.0]  # what queries read is unchanged
    warehouse.close()

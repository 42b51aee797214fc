"""Generated requests for every operation of the OpenAPI document (schemathesis): none may answer 5xx.

Signed in as an admin (who may call every route), with a fixed seed and a modest number of examples
per operation, so the run is the same each time and fast; it first found the date-range overflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import Connection

from backend.api.app import create_app
from backend.config import Settings
from backend.database import DatabaseManager
from backend.database.documents.local import LocalDocumentStore
from tests.api.world import World, make_world
from tests.support import make_settings


@pytest.fixture
def fuzzed(settings: Settings, connection: Connection, tmp_path: Path) -> Iterator[World]:
    """The world on the embedded document store (the emulator would only slow the generated calls)."""
    store = LocalDocumentStore(tmp_path / "documents.sqlite3")
    DatabaseManager.reset()
    manager = DatabaseManager()
    manager.configure(settings, bind=connection, documents=store)
    yield make_world(manager)
    DatabaseManager.reset()
    store.close()


# The app keeps no state between requests (the configured DatabaseManager does), so the schema can
# be read from an app made here; every call goes to the same ASGI app, configured by ``fuzzed``.
APP = create_app(migrate=False, settings=make_settings("postgresql://unused@127.0.0.1/x", Path("/tmp")))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.exclude(path="/api/v1/auth/logout").parametrize()  # signing out would end the run's session
@settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case: Any, fuzzed: World) -> None:
    case.call_and_validate(headers=fuzzed.headers("admin"), checks=[not_a_server_error])

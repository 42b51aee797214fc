"""Object storage under test: each adapter on its own fresh peer (a temporary folder; a new bucket on
fake-gcs-server), and ``fetch``, which downloads a link the way a browser would."""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from google.oauth2 import service_account

from backend.api.app import create_app
from backend.config import Settings
from backend.database import DatabaseManager
from backend.service.storage import ObjectStorage, local_storage
from backend.service.storage.gcs import GcsStorage, gcs_client
from tests.emulators import PROJECT
from tests.support import make_settings

Fetch = Callable[[str], tuple[int, dict[str, str], bytes]]


@pytest.fixture(scope="session")
def signing_credentials() -> service_account.Credentials:
    """Service-account credentials with a throwaway RSA key: generate_signed_url needs a private key
    (fake-gcs-server checks no signature, so any key will do)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "client_email": f"reports@{PROJECT}.iam.gserviceaccount.com",
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]


@pytest.fixture
def storage_settings(tmp_path: Path) -> Settings:
    """Settings of a data dir of the test's own (only ``fetch`` reaches a database)."""
    return make_settings("postgresql://unused@127.0.0.1/x", tmp_path)


@pytest.fixture(params=["local", "gcs"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(
    storage_backend: str, storage_settings: Settings, request: pytest.FixtureRequest
) -> ObjectStorage:
    if storage_backend == "local":
        return local_storage(storage_settings)
    host = request.getfixturevalue("gcs_host")
    client = gcs_client(project=PROJECT, emulator_host=host)
    bucket = client.create_bucket(f"wellness-test-{secrets.token_hex(6)}")
    credentials = request.getfixturevalue("signing_credentials")
    return GcsStorage(client, bucket.name, signing_credentials=credentials, chunk_size=256 * 1024)


@pytest.fixture
def fetch(
    storage_backend: str, storage_settings: Settings, request: pytest.FixtureRequest
) -> Iterator[Fetch]:
    """GET a link: the local backend's through the API's own route (the app opens a unit of work on
    PostgreSQL for every request), Cloud Storage's over HTTP."""
    if storage_backend == "gcs":

        def over_http(url: str) -> tuple[int, dict[str, str], bytes]:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, dict(response.headers), response.read()

        yield over_http
        return
    settings = request.getfixturevalue("settings").model_copy(update={"data_dir": storage_settings.data_dir})
    DatabaseManager.reset()
    DatabaseManager().configure(settings, bind=request.getfixturevalue("connection"))
    client = TestClient(create_app(migrate=False, settings=settings), raise_server_exceptions=False)

    def through_api(url: str) -> tuple[int, dict[str, str], bytes]:
        response = client.get(url)
        return response.status_code, dict(response.headers), response.content

    yield through_api
    DatabaseManager.reset()

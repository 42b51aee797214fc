"""open_storage: the settings choose the adapter; gcs honours STORAGE_EMULATOR_HOST."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.service.storage import LocalStorage, open_storage
from backend.service.storage.gcs import GcsStorage, gcs_client
from tests.emulators import PROJECT
from tests.support import make_settings

URL = "postgresql://unused@127.0.0.1/x"


def test_local_is_the_default_under_the_data_dir(tmp_path: Path) -> None:
    storage = open_storage(make_settings(URL, tmp_path))
    assert isinstance(storage, LocalStorage)
    storage.put("a/b.txt", b"x", content_type="text/plain")
    assert (tmp_path / "objects" / "a" / "b.txt").read_bytes() == b"x"


def test_gcs_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="WELLNESS_STORAGE_BUCKET"):
        make_settings(URL, tmp_path, storage_backend="gcs")


def test_gcs_goes_to_the_emulator_the_environment_names(gcs_host: str, tmp_path: Path) -> None:
    bucket = f"wellness-factory-{secrets.token_hex(4)}"
    gcs_client(project=PROJECT, emulator_host=gcs_host).create_bucket(bucket)
    settings = make_settings(URL, tmp_path, storage_backend="gcs", storage_bucket=bucket)
    assert settings.storage_emulator_host == gcs_host  # read from STORAGE_EMULATOR_HOST
    storage = open_storage(settings)
    assert isinstance(storage, GcsStorage)
    storage.put("reports/株式会社テスト/x.pdf", b"%PDF", content_type="application/pdf")
    assert storage.get("reports/株式会社テスト/x.pdf") == b"%PDF"

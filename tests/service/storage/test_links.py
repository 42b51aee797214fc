"""The local backend's link signing as pure logic, and where its key comes from (the route itself is
tested through the app in tests/api/test_files.py)."""

from __future__ import annotations

import stat
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from backend.errors import Forbidden
from backend.security import storage_signing_key
from backend.service.storage import local_storage
from backend.service.storage.links import LinkSigner, content_disposition
from tests.support import make_settings

SIGNER = LinkSigner(key=b"k" * 32, base_url="https://wellness.example.jp")


def query(link: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))


def test_a_link_verifies_for_exactly_its_path_expiry_and_name() -> None:
    q = query(SIGNER.link("reports/株式会社テスト/a.pdf", timedelta(minutes=5), filename="報告.pdf"))
    SIGNER.verify("reports/株式会社テスト/a.pdf", **q)
    for changed in (
        {"expires": str(int(q["expires"]) + 1)},
        {"filename": "other.pdf"},
        {"filename": None},
        {"signature": q["signature"][::-1]},
    ):
        with pytest.raises(Forbidden, match="not valid"):
            SIGNER.verify("reports/株式会社テスト/a.pdf", **{**q, **changed})
    with pytest.raises(Forbidden, match="not valid"):
        SIGNER.verify("reports/株式会社テスト/b.pdf", **q)


def test_another_key_does_not_verify() -> None:
    q = query(SIGNER.link("a.pdf", timedelta(minutes=5)))
    with pytest.raises(Forbidden):
        LinkSigner(key=b"j" * 32, base_url="x").verify("a.pdf", **q)


def test_an_expiry_reached_is_refused_after_the_signature() -> None:
    link = SIGNER.link("a.pdf", timedelta(seconds=1))
    q = query(link)
    assert int(q["expires"]) - time.time() >= 1  # never shorter than asked
    SIGNER.verify("a.pdf", **q)
    time.sleep(int(q["expires"]) - time.time() + 0.05)
    with pytest.raises(Forbidden, match="expired"):
        SIGNER.verify("a.pdf", **q)


@pytest.mark.parametrize("expires", ["", "-5", "1e9", "１２３", "9" * 13, None])
def test_an_unreadable_expiry_is_refused(expires: str | None) -> None:
    with pytest.raises(Forbidden, match="not valid"):
        SIGNER.verify("a.pdf", expires=expires, signature="0" * 64)


def test_content_disposition_has_an_ascii_fallback_and_rfc_5987_name() -> None:
    assert content_disposition("報告 2026.pdf") == (
        "attachment; filename=\"__ 2026.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%202026.pdf"
    )
    assert (
        content_disposition('a"b\\c.pdf')
        == "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"
    )


def test_the_key_is_generated_into_the_data_dir_once(tmp_path: Path) -> None:
    settings = make_settings("postgresql://unused@127.0.0.1/x", tmp_path)
    key = storage_signing_key(settings)
    path = tmp_path / "storage_signing_key"
    assert path.read_text().strip().encode() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32
    again = make_settings("postgresql://unused@127.0.0.1/x", tmp_path)
    q = query(local_storage(settings).link("a.pdf", timedelta(minutes=1)))
    local_storage(again).signer.verify("a.pdf", **q)  # another process on the same data dir agrees
    assert key != storage_signing_key(make_settings("postgresql://unused@127.0.0.1/x", tmp_path / "x"))


def test_a_configured_key_wins(tmp_path: Path) -> None:
    settings = make_settings(
        "postgresql://unused@127.0.0.1/x", tmp_path, storage_signing_key=SecretStr("s" * 40)
    )
    assert storage_signing_key(settings) == b"s" * 40
    assert not (tmp_path / "storage_signing_key").exists()

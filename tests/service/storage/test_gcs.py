"""Pure logic of the Cloud Storage adapter: which credentials sign a URL (a private key, or IAM
signBlob as on Cloud Run), and the one-pass stream the upload library reads. Against the store
itself, the adapter runs the contract suite on fake-gcs-server."""

from __future__ import annotations

import io
from typing import Any

import pytest
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from backend.errors import Unavailable
from backend.service.storage.gcs import _Forward, emulator_url, signing_arguments


class MetadataServerCredentials(Credentials):
    """Like Cloud Run's: a token and the account's email once refreshed, and no private key."""

    def __init__(self, email: str | None) -> None:
        super().__init__()
        self.service_account_email = "default"
        self._email = email
        self.refreshed = 0

    def refresh(self, request: Any) -> None:
        self.refreshed += 1
        self.token = f"token-{self.refreshed}"
        self.service_account_email = self._email


def test_a_private_key_signs_itself(signing_credentials: service_account.Credentials) -> None:
    assert signing_arguments(signing_credentials, request=None) == {"credentials": signing_credentials}  # type: ignore[arg-type]


def test_without_a_private_key_iam_signs_as_the_service_account() -> None:
    credentials = MetadataServerCredentials("reports@demo.iam.gserviceaccount.com")
    arguments = signing_arguments(credentials, request=None)  # type: ignore[arg-type]
    assert arguments == {
        "service_account_email": "reports@demo.iam.gserviceaccount.com",
        "access_token": "token-1",
    }
    assert credentials.refreshed == 1


def test_credentials_naming_no_account_cannot_sign() -> None:
    with pytest.raises(Unavailable, match="no private key"):
        signing_arguments(MetadataServerCredentials(None), request=None)  # type: ignore[arg-type]


def test_a_one_pass_stream_counts_and_resends_its_last_chunk() -> None:
    source = io.BufferedReader(io.BytesIO(bytes(range(256)) * 40))  # type: ignore[arg-type]
    stream = _Forward(source)
    assert (stream.tell(), stream.read(1000)) == (0, (bytes(range(256)) * 4)[:1000])
    second = stream.read(1000)
    assert stream.tell() == 2000
    stream.seek(1500)  # a failed request: the server kept 1500 bytes
    assert stream.read(1000) == second[500:] + (bytes(range(256)) * 40)[2000:2500]
    assert stream.tell() == 2500
    with pytest.raises(io.UnsupportedOperation):
        stream.seek(0)  # more than the last read back: the bytes are gone
    assert len(stream.read(10**6)) == 10240 - 2500


def test_short_reads_are_filled_up() -> None:
    class Trickle(io.RawIOBase):
        left = 10_000

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            n = min(7, len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n

    stream = _Forward(Trickle())  # type: ignore[arg-type]
    assert len(stream.read(4096)) == 4096  # the upload library takes a short chunk for the end


def test_the_emulator_host_may_have_a_scheme() -> None:
    assert emulator_url("127.0.0.1:9023") == "http://127.0.0.1:9023"
    assert emulator_url("http://127.0.0.1:9023") == "http://127.0.0.1:9023"

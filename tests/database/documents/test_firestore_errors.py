"""No exception of Google's libraries leaves the Firestore adapter: each becomes the project's error.

The emulator cannot refuse credentials, run out of quota or time out on demand, so these mappings
are checked with the real exception classes of google.api_core, google.auth and gRPC (and real
client functions for the client's own ValueError and TypeError). What the emulator can produce is
checked against it in the contract suite (NotFound, AlreadyExists) and at the end of this file.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from google.api_core import exceptions as gexc
from google.auth.exceptions import DefaultCredentialsError, RefreshError
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.base_query import FieldFilter

from backend.database.documents import MissingIndex
from backend.database.documents.firestore import FirestoreDocumentStore
from backend.database.documents.firestore_errors import errors, translate
from backend.database.documents.port import Write
from backend.errors import Conflict, NotFound, Unavailable, ValidationFailed, WellnessError
from tests import emulators

CASES: list[tuple[BaseException, type[WellnessError], str]] = [
    (gexc.InvalidArgument("bad value"), ValidationFailed, "Firestore refused it: bad value"),
    (gexc.OutOfRange("offset"), ValidationFailed, "Firestore refused it: offset"),
    (gexc.NotFound("no entity"), NotFound, "not found"),
    (gexc.AlreadyExists("entity exists"), Conflict, "already exists"),
    (gexc.Aborted("too much contention"), Conflict, "try again"),
    (gexc.FailedPrecondition("The query requires an index."), MissingIndex, "wellness db indexes --export"),
    (gexc.FailedPrecondition("transaction expired"), Conflict, "try again"),
    (gexc.PermissionDenied("Missing or insufficient permissions."), Unavailable, "roles/datastore.user"),
    (gexc.Unauthenticated("no token"), Unavailable, "roles/datastore.user"),
    (gexc.ResourceExhausted("Quota exceeded."), Unavailable, "quota"),
    (gexc.DeadlineExceeded("Deadline Exceeded"), Unavailable, "did not answer in time"),
    (gexc.RetryError("gave up", cause=None), Unavailable, "did not answer in time"),  # type: ignore[arg-type]
    (gexc.ServiceUnavailable("connection refused"), Unavailable, "FIRESTORE_EMULATOR_HOST"),
    (gexc.InternalServerError("oops"), Unavailable, "unreachable or failed"),
    (gexc.Unknown("?"), Unavailable, "unreachable or failed"),
    (gexc.Cancelled("cancelled"), Unavailable, "unreachable or failed"),
    (DefaultCredentialsError("no ADC"), Unavailable, "roles/datastore.user"),
    (RefreshError("token expired"), Unavailable, "credentials"),
    (grpc.RpcError(), Unavailable, "connection to Firestore failed"),
    (ValueError("Failed to commit transaction in 5 attempts."), Conflict, "contention"),
]


@pytest.mark.parametrize(("raised", "expected", "says"), CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_each_google_exception_becomes_a_project_error(
    raised: BaseException, expected: type[WellnessError], says: str
) -> None:
    with pytest.raises(expected) as info, errors("Reading chats/a"):
        raise raised
    assert type(info.value) is expected
    assert info.value.message.startswith("Reading chats/a: ") or expected is ValidationFailed
    assert says in info.value.message
    assert info.value.__cause__ is raised


def _client_value_error() -> None:
    FieldFilter("a", "<", None)


def _client_type_error() -> None:
    _helpers.encode_value(object())


@pytest.mark.parametrize("call", [_client_value_error, _client_type_error])
def test_the_clients_own_refusals_become_validation_failed(call: Callable[[], None]) -> None:
    with pytest.raises(ValidationFailed, match="Google's client refused it") as info, errors("Querying C"):
        call()
    assert info.value.fields == ["request"]


def test_errors_of_the_callers_own_code_pass_through() -> None:
    def users_code() -> None:
        raise ValueError("the caller's own bug")

    with pytest.raises(ValueError, match="the caller's own bug"), errors("Transaction"):
        users_code()
    assert translate(KeyError("k"), "x") is None
    with pytest.raises(NotFound), errors("Transaction"):
        raise NotFound("already the project's error")


@pytest.mark.emulator
def test_a_refusal_by_the_emulator_itself_is_validation_failed(firestore_host: str) -> None:
    # The shared checks refuse update-then-create before sending; committing raw writes bypasses them.
    emulators.wipe_firestore(firestore_host)
    store = FirestoreDocumentStore(project=emulators.PROJECT)
    store.set("acc/a", {"v": 1})
    with pytest.raises(ValidationFailed, match="Cannot update then insert") as info:
        store.commit([Write("update", "acc/a", {"v": 2}), Write("create", "acc/a", {"v": 3})])
    assert info.value.fields == ["request"]
    with pytest.raises(NotFound, match="Committing 1 write"):
        store.commit([Write("update", "acc/missing", {"v": 2})])
    with pytest.raises(Conflict, match="already exists"):
        store.commit([Write("create", "acc/a", {"v": 2})])
    store.close()

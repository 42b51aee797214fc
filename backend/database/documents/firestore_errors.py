"""Google's exceptions (google.api_core, gRPC, google.auth, the client's own) as the project's errors.

Every call of the Firestore adapter runs inside ``errors(what)``, so no exception of Google's
libraries reaches the API as a bare 500: a refused request becomes ``ValidationFailed``, a missing
or existing document ``NotFound`` / ``Conflict``, contention ``Conflict`` (try again), a missing
index ``MissingIndex``, and everything about reaching Firestore at all (network, credentials,
permissions, quotas, deadlines, outages) ``Unavailable`` saying what to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import grpc
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from backend.database.documents.indexes import MissingIndex
from backend.errors import Conflict, FieldProblem, NotFound, Unavailable, ValidationFailed, WellnessError

_WHERE = (
    "Check GOOGLE_CLOUD_PROJECT and WELLNESS_FIRESTORE_DATABASE, the credentials (Application Default "
    "Credentials), and the network; for the emulator, FIRESTORE_EMULATOR_HOST."
)
_CREDENTIALS = (
    "Check that the service account has the Cloud Datastore User role (roles/datastore.user) on the "
    "project named by GOOGLE_CLOUD_PROJECT, and that Application Default Credentials find it."
)
_CONTENTION = "gave up because of contention with other writes; try again."


@contextmanager
def errors(what: str) -> Iterator[None]:
    """Runs the block; an exception of Google's libraries leaves it as the project's error."""
    try:
        yield
    except WellnessError:
        raise
    except Exception as exc:
        mapped = translate(exc, what)
        if mapped is None:
            raise
        raise mapped from exc


def translate(exc: BaseException, what: str) -> WellnessError | None:
    """The project's error for an exception from Google's libraries; None for anything else
    (an exception of the caller's own code inside a transaction passes through unchanged)."""
    if isinstance(exc, gexc.GoogleAPIError):
        return _from_api(exc, what)
    if isinstance(exc, auth_exc.GoogleAuthError):
        return Unavailable(f"{what}: no usable Google credentials ({exc}). {_CREDENTIALS}")
    if isinstance(exc, grpc.RpcError):
        return Unavailable(f"{what}: the connection to Firestore failed ({exc}). {_WHERE}")
    if isinstance(exc, ValueError) and str(exc).startswith("Failed to commit transaction"):
        return Conflict(f"{what}: {_CONTENTION}")  # the client's "too many attempts"
    if isinstance(exc, ValueError | TypeError) and _raised_by_google(exc.__traceback__):
        # The shared checks refuse what the client refuses; this is the net for anything they miss.
        return ValidationFailed([FieldProblem("request", f"Google's client refused it: {exc}")])
    return None


def _from_api(exc: gexc.GoogleAPIError, what: str) -> WellnessError:
    message = str(getattr(exc, "message", None) or exc)
    details = {"reason": message, "grpc_status": str(getattr(exc, "grpc_status_code", None) or "")}
    if isinstance(exc, gexc.NotFound):
        return NotFound(f"{what}: not found ({message}).", details=details)
    if isinstance(exc, gexc.AlreadyExists):
        return Conflict(f"{what}: already exists ({message}).", details=details)
    if isinstance(exc, gexc.Aborted):
        return Conflict(f"{what}: {_CONTENTION}", details=details)
    if isinstance(exc, gexc.FailedPrecondition):
        if "index" in message.lower():
            return MissingIndex(
                f"{what}: Firestore needs an index it does not have ({message}). Declare it in "
                "backend/database/documents/indexes.py and deploy the indexes "
                "(wellness db indexes --export firestore.indexes.json).",
                details=details,
            )
        return Conflict(f"{what}: refused in the current state of the data ({message}); try again.")
    if isinstance(exc, gexc.InvalidArgument | gexc.OutOfRange | gexc.BadRequest):
        return ValidationFailed([FieldProblem("request", f"Firestore refused it: {message}")])
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated | gexc.Forbidden | gexc.Unauthorized):
        return Unavailable(
            f"{what}: Firestore refused the credentials ({message}). {_CREDENTIALS}", details=details
        )
    if isinstance(exc, gexc.ResourceExhausted | gexc.TooManyRequests):
        return Unavailable(
            f"{what}: Firestore's quota or rate limit is exhausted ({message}). Try again later; if it "
            "persists, check the project's Firestore quotas and spread the load over time.",
            details=details,
        )
    if isinstance(exc, gexc.DeadlineExceeded | gexc.GatewayTimeout | gexc.RetryError):
        return Unavailable(
            f"{what}: Firestore did not answer in time ({message}). Try again; if it persists, "
            f"check that Firestore is reachable from here. {_WHERE}",
            details=details,
        )
    return Unavailable(f"{what}: Firestore is unreachable or failed ({message}). {_WHERE}", details=details)


def _raised_by_google(tb: TracebackType | None) -> bool:
    """Whether the innermost frame of the traceback is in Google's (or gRPC's) libraries."""
    module = ""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    return module.startswith(("google.", "grpc", "proto."))

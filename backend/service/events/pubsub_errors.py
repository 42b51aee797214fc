"""Google's exceptions from Pub/Sub calls as the project's errors, saying what to check.

The same shape as ``backend/database/documents/firestore_errors.py`` (whose messages name
Firestore's settings and roles): a missing topic or subscription means ``wellness events setup``
has not run, refused credentials name the Pub/Sub roles, and everything about reaching Pub/Sub at
all is ``Unavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from backend.errors import Conflict, FieldProblem, Unavailable, ValidationFailed, WellnessError

_WHERE = (
    "Check GOOGLE_CLOUD_PROJECT and WELLNESS_PUBSUB_TOPIC / WELLNESS_PUBSUB_SUBSCRIPTION / "
    "WELLNESS_PUBSUB_DEAD_LETTER_TOPIC, the credentials (Application Default Credentials) and the "
    "network; for the emulator, PUBSUB_EMULATOR_HOST."
)
_ROLES = (
    "The service account needs roles/pubsub.publisher on the topics and roles/pubsub.subscriber on "
    "the subscriptions (roles/pubsub.editor to run `wellness events setup`)."
)


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
    """The project's error for an exception of Google's libraries; None for anything else."""
    if isinstance(exc, auth_exc.GoogleAuthError):
        return Unavailable(f"{what}: no usable Google credentials ({exc}). {_ROLES}")
    if isinstance(exc, grpc.RpcError):
        return Unavailable(f"{what}: the connection to Pub/Sub failed ({exc}). {_WHERE}")
    if not isinstance(exc, gexc.GoogleAPIError):
        return None
    message = str(getattr(exc, "message", None) or exc)
    details = {"reason": message}
    if isinstance(exc, gexc.NotFound):
        return Unavailable(
            f"{what}: {message}. Run `wellness events setup` to create the topics and subscriptions "
            f"(with the same settings). {_WHERE}",
            details=details,
        )
    if isinstance(exc, gexc.AlreadyExists):
        return Conflict(f"{what}: already exists ({message}).", details=details)
    if isinstance(exc, gexc.InvalidArgument | gexc.OutOfRange | gexc.BadRequest):
        return ValidationFailed([FieldProblem("request", f"Pub/Sub refused it: {message}")])
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated | gexc.Forbidden | gexc.Unauthorized):
        return Unavailable(f"{what}: Pub/Sub refused the credentials ({message}). {_ROLES}", details=details)
    if isinstance(exc, gexc.ResourceExhausted | gexc.TooManyRequests):
        return Unavailable(
            f"{what}: Pub/Sub's quota or rate limit is exhausted ({message}). Try again later; if it "
            "persists, check the project's Pub/Sub quotas.",
            details=details,
        )
    if isinstance(exc, gexc.DeadlineExceeded | gexc.GatewayTimeout | gexc.RetryError):
        return Unavailable(f"{what}: Pub/Sub did not answer in time ({message}). {_WHERE}", details=details)
    return Unavailable(f"{what}: Pub/Sub is unreachable or failed ({message}). {_WHERE}", details=details)

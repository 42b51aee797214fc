"""Who is calling and what they may see: the ``Viewer`` every service function receives."""

from __future__ import annotations

from dataclasses import dataclass

from backend.database.models_sql import UserRole
from backend.errors import FieldProblem, ValidationFailed

STAFF = frozenset({UserRole.ADMIN, UserRole.ANALYST})  # the Startup Wellness team: every company


@dataclass(frozen=True)
class Viewer:
    """A signed-in user: role, and for VC users the companies granted to them."""

    user_id: int
    email: str
    role: UserRole
    granted: frozenset[int] = frozenset()
    session_id: str | None = None  # the stored session (the token's hash); None outside a request

    @property
    def companies(self) -> frozenset[int] | None:
        """The companies whose data this viewer may see; None means every company."""
        return None if self.role in STAFF else self.granted

    @property
    def actor(self) -> str:
        """How the audit log names this viewer."""
        return f"user:{self.user_id}"

    def sees(self, company_id: int | None) -> bool:
        companies = self.companies
        return companies is None or (company_id is not None and company_id in companies)


def not_visible(field: str, value: object, what: str) -> ValidationFailed:
    """The answer when a body names a row the viewer cannot see, or one that does not exist (the same)."""
    return ValidationFailed([FieldProblem(field, f"there is no {what} with this id", value=value)])

"""The problems of one file: every one counted, the first thousand kept for the answer."""

from __future__ import annotations

from backend.errors import FieldProblem, ValidationFailed

MAX_PROBLEMS = 1_000


class Problems:
    """Every problem counted, the first ``limit`` kept: the answer lists those and gives the total."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.items: list[FieldProblem] = []
        self.total = 0

    def add(self, problem: FieldProblem) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self) -> ValidationFailed:
        """The 422 for these problems; ``details`` carries ``total`` next to the listed ``problems``."""
        shown = "; ".join(p.describe() for p in self.items[:3])
        listed = f" (the first {len(self.items):,} are listed)" if self.total > len(self.items) else ""
        error = ValidationFailed(
            self.items,
            message=f"The file has {self.total:,} problem{'s' * (self.total != 1)}{listed}; nothing was "
            f"stored. Fix them and upload the file again: {shown}",
        )
        error.details["total"] = self.total
        return error

    def raise_if_any(self) -> None:
        if self:
            raise self.error()

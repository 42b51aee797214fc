"""What an import answers, and what watching a job shows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.service.schemas import Public, TokyoTime


class Counts(BaseModel):
    rows: int = Field(description="Rows of the file that were imported.")
    inserted: int
    updated: int
    unchanged: int = Field(
        description="Rows already stored exactly so (uploading a file twice changes nothing)."
    )

    @property
    def changes(self) -> dict[str, int]:
        """The counts an import's event carries."""
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated}


class ImportReport(Counts):
    dataset: str
    format: Literal["csv", "tsv", "xlsx"]
    encoding: str | None = Field(
        description="The text encoding detected (CSV/TSV): utf-8, utf-8-sig or cp932."
    )
    sheet: str | None
    header_row: int
    ignored_columns: list[str] = Field(
        description="Columns of the file that no field of the dataset matched."
    )
    job_id: str | None = Field(description="The ingestion job of a document dataset (treatments, surveys).")


class JobPublic(Public):
    id: str
    dataset: str
    company_id: int | None
    filename: str | None
    sha256: str
    status: Literal["running", "done", "failed"]
    rows: int
    written: int = Field(description="Rows written so far, in file order; a resumed job continues from here.")
    inserted: int
    updated: int
    unchanged: int
    error: str | None
    created_by: int
    created_at: TokyoTime
    updated_at: TokyoTime

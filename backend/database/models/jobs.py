"""Work and its results: cached analyses, analysis and import jobs, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from backend.database.models.fields import (
    Count,
    DocumentModel,
    Id,
    Key,
    Label,
    LongText,
    Name,
    Parameters,
    ReportFormat,
    Result,
    StoragePath,
    Timestamp,
    check_later,
)


class AnalyticsCacheEntry(DocumentModel):
    """A cached analysis result (``analytics``); ``company_id`` None is portfolio-wide."""

    cache_key: Key
    analysis: Label
    parameters: Parameters = Field(default_factory=dict)
    company_id: Id | None = None
    data_version: Label
    result: Result
    computed_at: Timestamp
    expires_at: Timestamp | None = None
    stale: StrictBool = False  # set by the event workers when the company's data changed since
    scope: list[Id] | None = None  # the companies it covers; None: every company
    last_used_at: Timestamp | None = None  # computed or served last (the workers refresh entries in use)

    @field_validator("expires_at")
    @classmethod
    def _expires_after_computed(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        check_later(info, value, "computed_at")
        return value


class AnalysisJob(DocumentModel):
    """An analysis a worker computes because it is too large to answer inline (``analysis_jobs``):
    its result lands in the cache under ``cache_key``; only its requester may read it."""

    analysis: Label
    parameters: Parameters = Field(default_factory=dict)  # the analysis's own, as asked
    scope: list[Id] | None = None  # the companies; None: every company
    min_group: Annotated[int, Field(strict=True, ge=1, le=1000)]
    requested_by: Id
    status: Literal["requested", "done", "failed"] = "requested"
    cache_key: Key | None = None
    error: LongText | None = None
    created_at: Timestamp
    completed_at: Timestamp | None = None


class IngestJob(DocumentModel):
    """The import of one file into a document dataset (``ingest_jobs``): what is written so far.

    Its batches are written together with this record, so ``written`` is exactly the number of the
    file's rows (in file order) that are stored; an interrupted import resumes from there.
    """

    dataset: Label
    company_id: Id | None = None
    filename: Name | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    status: Literal["running", "done", "failed"]
    rows: Count
    written: Count
    inserted: Count
    updated: Count
    unchanged: Count
    error: LongText | None = None
    created_by: Id
    created_at: Timestamp
    updated_at: Timestamp

    @field_validator("written")
    @classmethod
    def _within_rows(cls, value: int, info: ValidationInfo) -> int:
        rows = info.data.get("rows")
        if rows is not None and value > rows:
            raise ValueError("cannot exceed rows")
        return value


class Report(DocumentModel):
    """A requested report and its files (``reports``)."""

    company_id: Id | None = None
    scope: list[Id] | None = None  # the companies it covers; None: every company
    kind: Label
    formats: Annotated[list[ReportFormat], Field(min_length=1, max_length=2)]
    status: Literal["requested", "running", "done", "failed"] = "requested"
    requested_by: Id
    storage_paths: dict[ReportFormat, StoragePath] = Field(default_factory=dict, validate_default=True)
    error: LongText | None = Field(default=None, validate_default=True)
    created_at: Timestamp
    completed_at: Timestamp | None = Field(default=None, validate_default=True)

    @field_validator("formats")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a format twice")
        return value

    @field_validator("storage_paths")
    @classmethod
    def _paths_match_formats(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        formats = info.data.get("formats")
        if formats is None:
            return value
        if extra := sorted(set(value) - set(formats)):
            raise ValueError(f"has a path for {', '.join(extra)}, which was not requested")
        if info.data.get("status") == "done" and (missing := [f for f in formats if f not in value]):
            raise ValueError(f"a done report needs a path for every format; missing {', '.join(missing)}")
        return value

    @field_validator("error")
    @classmethod
    def _failure_explained(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("status") == "failed" and not value:
            raise ValueError("a failed report needs the error that stopped it")
        return value

    @field_validator("completed_at")
    @classmethod
    def _completion(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None and info.data.get("status") in ("done", "failed"):
            raise ValueError("is required once the report is done or failed")
        check_later(info, value, "created_at", strictly=False)
        return value

"""Data input: file uploads (CSV, TSV, XLSX) and the import jobs of document datasets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from backend.api.answers import answer, answer_for
from backend.api.deps import AccessDep, ContextDep, SettingsDep, UnitDep
from backend.database.validation import INT64_MAX
from backend.service.ingest import importer, jobs, templates
from backend.service.ingest.schemas import ImportReport, JobPublic
from backend.service.ingest.templates import MEDIA_TYPES, Format

# The upload route has its own, larger body limit (WELLNESS_INGEST_MAX_BYTES): app.py includes it apart.
files_router = APIRouter(prefix="/ingest", tags=["ingest"])
router = APIRouter(prefix="/ingest", tags=["ingest"])

TemplateDataset = Literal[
    "companies", "employees", "financial_statements", "invoices", "payments", "treatments", "surveys"
]
DatasetName = Literal["auto", TemplateDataset]


@files_router.post(
    "/files",
    response_model=ImportReport,
    summary="Import a CSV, TSV or XLSX file: every row, or none with every problem listed",
)
async def upload(
    ctx: ContextDep,
    unit: UnitDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV or TSV (UTF-8, UTF-8 with BOM, Shift_JIS) or XLSX.")],
    dataset: Annotated[
        DatasetName, Form(description="What the file holds; auto: read it off the header.")
    ] = "auto",
    company_id: Annotated[
        int | None, Form(ge=1, le=INT64_MAX, description="The company, for a file without a company column.")
    ] = None,
    sheet: Annotated[
        str | None, Form(max_length=100, description="The XLSX sheet (default: the first).")
    ] = None,
) -> Response:
    def run() -> ImportReport:
        return importer.import_file(
            ctx,
            settings,
            source=file.file,
            filename=file.filename,
            dataset=dataset,
            company_id=company_id,
            sheet=sheet,
        )

    return await answer(run, unit)


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="Watch an import of treatments or surveys")
async def get_job(access: AccessDep, job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]) -> Response:
    return await answer_for(access, lambda ctx: jobs.get(ctx, job_id))


@router.get(
    "/templates/{dataset}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, MEDIA_TYPES["xlsx"]: {}}}},
    summary="An empty file to fill in: the dataset's Japanese headers and an example row",
)
async def get_template(
    dataset: Annotated[TemplateDataset, Path()], format: Annotated[Format, Query()] = "xlsx"
) -> Response:
    body, filename = templates.template(dataset, format)
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": disposition})

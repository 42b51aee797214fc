"""The analyses: ``GET /analyses`` lists them with their parameters; ``POST /analyses/{name}`` runs
one over a scope (``company_ids``; omitted: every company the caller may see) and answers inline
(from the analytics cache when the data has not changed), or, when the scope holds more survey
answers than ``WELLNESS_ANALYSIS_INLINE_MAX_ANSWERS``, answers ``202`` with a job that the workers
compute and ``GET /analyses/jobs/{id}`` reports. Methods and limits: docs/analyses.md.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations when they are
# defined, and each names the request model of its own analysis (a closure variable).

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from backend.api.answers import answer, answer_for
from backend.api.deps import AccessDep, ContextDep, SettingsDep, UnitDep
from backend.api.policy import PREFIX, RULES
from backend.database.validation import INT64_MAX
from backend.service.analysis import service

router = APIRouter(prefix="/analyses", tags=["analyses"])
CompanyId = Annotated[int, Field(ge=1, le=INT64_MAX)]


class AnalysisInfo(BaseModel):
    name: str
    summary: str
    roles: list[str] = Field(description="Who may run it.")
    parameters: dict[str, Any] = Field(description="The JSON schema of its parameters.")


class AnalysisList(BaseModel):
    analyses: list[AnalysisInfo]


def _roles(name: str) -> list[str]:
    path = f"{PREFIX}/analyses/{name}"
    return sorted(r.value for rule in RULES if rule.path == path for r in rule.roles)


@router.get("", response_model=AnalysisList, summary="The analyses and their parameters")
async def list_analyses() -> AnalysisList:
    return AnalysisList(
        analyses=[
            AnalysisInfo(
                name=a.name,
                summary=a.summary,
                roles=_roles(a.name),
                parameters=a.parameters.model_json_schema(),
            )
            for a in service.ANALYSES.values()
        ]
    )


def _status_of(result: BaseModel) -> tuple[int, dict[str, str]]:
    if isinstance(result, service.JobStatus):
        return 202, {"Location": f"{PREFIX}/analyses/jobs/{result.id}"}
    return 200, {}


@router.get(
    "/jobs/{job_id}",
    response_model=service.JobStatus,
    summary="An analysis job: its status and, once done, its answer",
)
async def get_job(
    job_id: Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
    access: AccessDep,
    settings: SettingsDep,
) -> Response:
    timeout = settings.analysis_job_timeout_s
    return await answer_for(access, lambda ctx: service.job_status(ctx, job_id, timeout_s=timeout))


def _add(analysis: service.Analysis) -> None:
    request = create_model(
        f"{analysis.name.title().replace('_', '')}Request",
        __config__=ConfigDict(extra="forbid"),
        company_ids=(
            list[CompanyId] | None,
            Field(
                default=None, min_length=1, max_length=500, description="Omitted: every company you may see."
            ),
        ),
        parameters=(analysis.parameters, Field(default_factory=analysis.parameters)),
    )

    async def run(
        ctx: ContextDep,
        unit: UnitDep,
        settings: SettingsDep,
        body: Annotated[request | None, Body()] = None,
    ) -> Response:
        asked: Any = body if body is not None else request()  # no body: every company, the defaults
        most = settings.analysis_inline_max_answers
        return await answer(
            lambda: service.ask(
                ctx, analysis.name, asked.parameters, asked.company_ids, inline_max_answers=most
            ),
            unit,
            status_of=_status_of,
        )

    router.add_api_route(
        f"/{analysis.name}",
        run,
        methods=["POST"],
        response_model=service.Answer,
        responses={202: {"model": service.JobStatus, "description": "Left to the workers: poll Location."}},
        summary=analysis.summary,
    )


for _analysis in service.ANALYSES.values():
    _add(_analysis)

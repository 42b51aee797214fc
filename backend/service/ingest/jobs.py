"""Writing a document dataset under an ingestion job, a batch at a time, resumable.

The job (``ingest_jobs``) is keyed by the file's SHA-256, its dataset and company, so uploading the
same file again finds it. Each batch writes up to 499 documents and the job's progress in one atomic
commit: ``written`` is always exactly the number of the file's rows (in file order) that are stored.
An import that stopped (a failed batch, a killed server) resumes from there when the same file is
uploaded again; document ids come from the natural key, so nothing is ever written twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, BinaryIO

from backend.config import Settings
from backend.database import audit, crud, events
from backend.database.documents import DocumentStore
from backend.database.documents.port import MAX_BATCH_WRITES
from backend.database.models import IngestJob
from backend.errors import WellnessError
from backend.service.context import Context
from backend.service.ingest.schemas import Counts, JobPublic
from backend.service.ingest.targets import DocumentTarget

BATCH_ROWS = MAX_BATCH_WRITES - 2  # two writes of each batch are the job's progress and (last) the event
Progress = Callable[[int, int], None]  # (rows written so far, rows in all)
Document = tuple[str, dict[str, Any]]  # (document id, the model_dump() of its validated model)


def write(
    ctx: Context,
    target: DocumentTarget,
    dataset: str,
    documents: Iterable[Document],
    *,
    rows: int,
    companies: Sequence[int],
    source: BinaryIO | bytes,
    filename: str | None = None,
    company_id: int | None,
    progress: Progress | None = None,
) -> tuple[str, Counts]:
    """Write every validated document, ``(id, data)`` in file order (``rows`` of them, of ``companies``);
    answers the job id and the counts of this run."""
    store, repo = ctx.store, target.repo
    digest = _sha256(source)
    job_id = job_id_for(digest, dataset, company_id)
    job = crud.ingest_jobs.find(store, job_id)
    now = datetime.now(UTC)
    if job is None or job.status == "done" or job.rows != rows:
        job = IngestJob(
            dataset=dataset, company_id=company_id, filename=filename[:200] if filename else None,
            sha256=digest, status="running", rows=rows, written=0, inserted=0, updated=0,
            unchanged=0, created_by=ctx.viewer.user_id, created_at=now, updated_at=now,
        )  # fmt: skip
    else:  # resume an import that stopped: its first ``written`` rows are stored
        job = job.model_copy(update={"status": "running", "error": None, "updated_at": now})
    audit.record(
        ctx.session,
        action="import",
        table=repo.collection,
        entity_id=job_id,
        changes={"rows": rows, "resumed_at_row": job.written},
    )
    crud.ingest_jobs.upsert(store, job_id, lambda _: job)
    # Where the collection holds nothing of the import's companies, every document is new (the file
    # gives each key once): the batches need not look their documents up.
    fresh = job.written == 0 and not any(repo.list(store, company_id=c, limit=1).items for c in companies)
    pending: Iterator[Document] = islice(
        documents, job.written, None
    )  # a resumed job's first rows are stored
    try:
        while batch := list(islice(pending, BATCH_ROWS)):
            job = _write_batch(ctx, target, job_id, job, batch, companies=companies, look_up=not fresh)
            if progress is not None:
                progress(job.written, job.rows)
    except WellnessError as exc:
        failed = job.model_copy(
            update={"status": "failed", "error": exc.message[:5000], "updated_at": _now()}
        )
        crud.ingest_jobs.upsert(store, job_id, lambda _: failed)
        raise
    done = job.model_copy(update={"status": "done", "updated_at": _now()})
    crud.ingest_jobs.upsert(store, job_id, lambda _: done)
    return job_id, Counts(
        rows=done.rows, inserted=done.inserted, updated=done.updated, unchanged=done.unchanged
    )


def _write_batch(
    ctx: Context,
    target: DocumentTarget,
    job_id: str,
    job: IngestJob,
    rows: Sequence[Document],
    *,
    companies: Sequence[int],
    look_up: bool = True,
) -> IngestJob:
    """One atomic commit: the new and changed documents of ``rows``, the job's progress, and with the
    last rows the import's one event (when it changed anything)."""
    repo = target.repo
    stored = repo.find_many(ctx.store, [doc_id for doc_id, _ in rows]) if look_up else [None] * len(rows)
    inserted = updated = unchanged = 0
    batch = ctx.store.batch()
    for (doc_id, data), before in zip(rows, stored, strict=True):
        if before is None:
            inserted += 1
        elif before.model_dump() == data:
            unchanged += 1
            continue
        else:
            updated += 1
        repo.set_dumped_in(batch, doc_id, data)
    progress = job.model_copy(
        update={
            "written": job.written + len(rows),
            "inserted": job.inserted + inserted,
            "updated": job.updated + updated,
            "unchanged": job.unchanged + unchanged,
            "updated_at": _now(),
        }
    )
    crud.ingest_jobs.set_in(batch, job_id, progress)
    if progress.written == progress.rows and (progress.inserted or progress.updated):
        # one event for the whole import, committed with its last rows
        counts = {"rows": progress.rows, "inserted": progress.inserted, "updated": progress.updated}
        event = events.import_event(
            None,
            repo.collection,
            companies=companies,
            counts=counts,
            actor=ctx.viewer.actor,
            entity_id=job_id,
        )
        events.emit_in(batch, event)
    batch.commit()
    return progress


def job_id_for(sha256: str, dataset: str, company_id: int | None) -> str:
    """The job of one file's content imported as one dataset for one company."""
    return hashlib.sha256(f"{sha256}|{dataset}|{company_id}".encode()).hexdigest()[:32]


def get(ctx: Context, job_id: str) -> JobPublic:
    """A job, for the user watching it; NotFound when there is none."""
    job = crud.ingest_jobs.get(ctx.store, job_id)
    return JobPublic.model_validate({"id": job_id, **job.model_dump()})


def _sha256(source: BinaryIO | bytes) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    source.seek(0)
    digest = hashlib.file_digest(source, "sha256").hexdigest()  # type: ignore[arg-type]
    source.seek(0)
    return digest


def _now() -> datetime:
    return datetime.now(UTC)


def prune(store: DocumentStore, settings: Settings, *, now: datetime | None = None) -> int:
    """Delete the jobs of imports that completed more than ``job_keep_days`` ago (their rows stay;
    the same file uploaded again starts a new job). A job that failed or stopped is kept: the same
    file resumes it. Returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.job_keep_days)
    older = [{"field": "updated_at", "operator": "<", "value": cutoff}]
    done: list[str] = []
    after = None
    while True:  # every page first: a page's last document is the next page's cursor
        page = crud.ingest_jobs.list(
            store, conditions=older, order_by="updated_at", limit=crud.MAX_PAGE, after=after
        )
        done += [doc_id for doc_id, job in page.items if job.status == "done"]
        if page.next_after is None:
            return crud.ingest_jobs.delete_many(store, done) if done else 0
        after = page.next_after

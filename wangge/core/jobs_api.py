"""``/api/v1/jobs``: start a background job and poll its progress (see ``wangge.core.jobs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from . import jobs, jobs_files
from .models import Job
from .schemas import ErrorOut

router = Router(tags=["jobs"])


class JobIn(Schema):
    kind: str
    params: dict[str, Any] = {}


class JobOut(Schema):
    id: int
    kind: str
    state: str
    done: int
    total: int | None
    percent: int | None
    message: str
    result: Any = None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_error(obj: Job) -> str:
        return obj.error_summary


@router.post("", response={202: JobOut, 403: ErrorOut, 422: ErrorOut})
def job_create(request: HttpRequest, payload: JobIn):  # type: ignore[no-untyped-def]
    job = jobs.job_start(kind=payload.kind, params=payload.params, by=request.user)
    job.refresh_from_db()
    return Status(202, job)


@router.get("/{int:job_id}", response={200: JobOut, 404: ErrorOut})
def job_detail(request: HttpRequest, job_id: int):  # type: ignore[no-untyped-def]
    return jobs.job_get(job_id=job_id, viewer=request.user)


@router.post("/{int:job_id}/retry", response={202: JobOut, 404: ErrorOut, 422: ErrorOut})
def job_retry(request: HttpRequest, job_id: int):  # type: ignore[no-untyped-def]
    return Status(202, jobs.job_retry(job_id=job_id, by=request.user))


@router.get("/{int:job_id}/download")
def job_download(request: HttpRequest, job_id: int):  # type: ignore[no-untyped-def]
    """The file of a finished export job: its starter only (404 for anyone else, and after it expired)."""
    return jobs_files.download(job_id=job_id, viewer=request.user)

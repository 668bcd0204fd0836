"""``POST /api/v1/exports/appeals``: start a cases export job (``appeals.exports``); poll
``GET /api/v1/jobs/{id}``, then download ``GET /api/v1/jobs/{id}/download`` (the starter only)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from wangge.core.models import Job
from wangge.core.schemas import ErrorOut

from . import exports

router = Router(tags=["exports"])


class AppealExportIn(Schema):
    fmt: Literal["xlsx", "csv"] = "xlsx"
    area: str = Field("", max_length=17, pattern=r"^[0-9]*$")
    state: str = Field("", max_length=200)
    category: str = Field("", max_length=32)
    channel: str = Field("", max_length=32)
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class ExportJobOut(Schema):
    id: int
    kind: str
    state: str
    status_url: str
    download_url: str
    page_url: str


def export_job_out(job: Job) -> dict[str, object]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "status_url": f"/api/v1/jobs/{job.pk}",
        "download_url": f"/api/v1/jobs/{job.pk}/download",
        "page_url": reverse("core:job", args=[job.pk]),
    }


@router.post("/appeals", response={202: ExportJobOut, 403: ErrorOut, 422: ErrorOut})
def appeal_export_start(request: HttpRequest, payload: AppealExportIn):  # type: ignore[no-untyped-def]
    data = payload.dict()
    fmt = data.pop("fmt")
    job = exports.export_start(filters=data, fmt=fmt, by=request.user)
    job.refresh_from_db()
    return Status(202, export_job_out(job))

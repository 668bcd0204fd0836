"""The progress page of a background job: htmx polls the partial every second until the job ends."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import jobs, jobs_files


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.job_get(job_id=pk, viewer=request.user)  # NotFound → 404 for someone else's job
    spec = jobs.KINDS.get(job.kind)
    context = {
        "job": job,
        "label": spec.label if spec else job.kind,
        "result_template": spec.result_template if spec and job.state == job.State.DONE else "",
    }
    template = "core/_job_progress.html" if getattr(request, "htmx", False) else "core/job.html"
    return render(request, template, context)


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file a finished job produced, for the user who started it (404 for anyone else or once expired)."""
    return jobs_files.download(job_id=pk, viewer=request.user)  # type: ignore[return-value]

"""Files a background job produces for its starter (an export): stored under ``MEDIA_ROOT/job_results``,
downloadable by the job's starter only (anyone else, an administrator included, gets 404 as for a missing
job), kept ``WANGGE_JOB_RESULT_TTL_HOURS`` (default 24) and then removed by the periodic step ``job_files``.

A job target calls ``store(ctx, data, filename=..., content_type=...)`` and returns the dict it gives (plus
whatever else the result page shows); ``result.url`` is the download address, ``result.filename`` the Chinese
name the download keeps (``core.downloads``).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone

from .downloads import set_attachment
from .errors import NotFound
from .models import Job

_NAME = re.compile(r"job-(\d+)-[A-Za-z0-9_-]{16,64}\.(xlsx|csv)")


def result_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "job_results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ttl() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "WANGGE_JOB_RESULT_TTL_HOURS", 24)))


def new_path(job_id: int, ext: str) -> Path:
    """A fresh, unguessable file name for a job's result (write it, then ``stored``)."""
    if ext not in ("xlsx", "csv"):
        raise ValueError(ext)
    return result_dir() / f"job-{job_id}-{secrets.token_urlsafe(18)}.{ext}"


def stored(job_id: int, path: Path, *, filename: str, content_type: str, **extra: Any) -> dict[str, Any]:
    """The result dict of a job whose file is at ``path`` (written by the job)."""
    return {
        "file": path.name,
        "filename": filename,
        "content_type": content_type,
        "size": path.stat().st_size,
        "url": reverse("core:job_download", args=[job_id]),
        "api_url": f"/api/v1/jobs/{job_id}/download",
        "expires_at": (timezone.now() + ttl()).isoformat(),
        **extra,
    }


def _file_of(job: Job) -> Path | None:
    result = job.result if isinstance(job.result, dict) else {}
    name = str(result.get("file") or "")
    m = _NAME.fullmatch(name)
    if not m or int(m.group(1)) != job.pk:
        return None
    path = result_dir() / name
    return path if path.is_file() else None


def download(*, job_id: int, viewer: Any) -> FileResponse:
    """The job's file for the user who started it; 404 for anyone else, before the job is done, and after
    the file expired."""
    if not 0 < job_id < 2**63:
        raise NotFound("文件不存在或已过期")
    job = Job.objects.filter(pk=job_id, state=Job.State.DONE).first()
    if job is None or job.created_by_id is None or job.created_by_id != getattr(viewer, "pk", None):
        raise NotFound("文件不存在或已过期")
    path = _file_of(job)
    finished = job.finished_at or job.created_at
    if path is None or finished < timezone.now() - ttl():
        raise NotFound("文件不存在或已过期")
    result = dict(job.result or {})
    response = FileResponse(
        path.open("rb"), content_type=str(result.get("content_type") or "application/octet-stream")
    )
    set_attachment(response, str(result.get("filename") or path.name))
    response["Cache-Control"] = "private, no-store"
    return response


def cleanup(now: dt.datetime) -> dict[str, int] | None:
    """The periodic step: remove the result files older than the TTL (a file is written as its job ends; the
    download refuses an expired one by the job's end time even before this runs)."""
    cutoff = now - ttl()
    removed = 0
    for path in result_dir().glob("job-*"):
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return {"removed": removed} if removed else None

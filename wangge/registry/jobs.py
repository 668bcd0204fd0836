"""The registry import as a background job (``core.jobs`` kind ``registry_import``) for large files.

A file larger than ``WANGGE_REGISTRY_IMPORT_JOB_BYTES`` (default 256 KiB, about 5,000 rows of .xlsx) is stored
encrypted beside the annotated workbooks (it holds ID numbers) and imported by a job: the import page sends the
uploader to the job's progress page (``/jobs/<id>/``), which shows the rows validated and written and, at the
end, the same result as the synchronous path (rows imported, or the errors and the annotated workbook).
Smaller files keep the synchronous path. The import itself is unchanged (``excel.import_registry``: validate
every row, then write all or nothing, one transaction).

Progress is written from a side thread with its own connection: the write stage runs inside the import's
transaction, and a progress row written there would be invisible (and hold the job row's lock) until commit.
On SQLite that side thread waits for the import's write lock, so the bar moves during validation and jumps at
the end of the write.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import secrets
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from wangge.core import pii
from wangge.core.jobs import JobContext, JobFenced, job_start
from wangge.core.models import Job

from . import excel

log = logging.getLogger("wangge.registry.jobs")

STAGES = {"validate": "校验", "write": "写入"}


def job_bytes() -> int:
    return int(getattr(settings, "WANGGE_REGISTRY_IMPORT_JOB_BYTES", 256 * 1024))


def _upload_path(token: str, user_id: int) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise FileNotFoundError(token)
    # The ``.xlsx.enc`` suffix: ``excel.annotated_cleanup`` removes uploads a job never picked up after 24 h.
    return excel.annotated_dir() / f"upload-{user_id}-{token}.xlsx.enc"


def import_start(data: bytes, filename: str, *, by: Any) -> Job:
    """Store the upload (encrypted) and start the import job. Returns the job (202 + its progress page)."""
    token = secrets.token_urlsafe(18)
    path = _upload_path(token, by.pk)
    path.write_text(pii.encrypt(base64.b64encode(data).decode()))
    try:
        return job_start(
            kind="registry_import", params={"token": token, "name": filename[:200], "by": by.pk}, by=by
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise


def _reporter(ctx: JobContext, latest: dict[str, Any], stop: threading.Event) -> None:
    shown: tuple[Any, ...] = ()
    try:
        while True:
            finished = stop.wait(1.0)
            now = (latest.get("stage"), latest.get("done", 0), latest.get("total", 0))
            if now != shown and now[0] is not None:
                with contextlib.suppress(JobFenced):
                    ctx.progress(int(now[1] or 0), int(now[2] or 0), STAGES.get(str(now[0]), str(now[0])))
                shown = now
            if finished:
                return
    except Exception:  # a progress row that could not be written only delays the bar
        log.warning("registry import progress not written", exc_info=True)
    finally:
        connection.close()


def import_run(ctx: JobContext) -> dict[str, Any]:
    """The job's target: the import of the stored upload as its uploader (their scope and permission)."""
    from wangge.accounts.models import User

    params = ctx.params
    path = _upload_path(str(params["token"]), int(params["by"]))
    user = User.objects.get(pk=params["by"])
    data = base64.b64decode(pii.decrypt(path.read_text()))
    latest: dict[str, Any] = {}
    stop = threading.Event()
    reporter = threading.Thread(target=_reporter, args=(ctx, latest, stop), name=f"job-{ctx.job_id}-progress")
    reporter.start()
    try:
        result = excel.import_registry(
            data,
            str(params["name"]),
            by=user,
            progress=lambda stage, done, total: latest.update(stage=stage, done=done, total=total),
        )
    except excel.ImportFileError as exc:
        path.unlink(missing_ok=True)
        return {"ok": False, "rows": 0, "created": {}, "errors": [], "file_error": str(exc)}
    finally:
        stop.set()
        reporter.join()
    path.unlink(missing_ok=True)
    ctx.progress(result.rows, result.rows, "完成")
    return result.as_dict()

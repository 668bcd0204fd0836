"""The resident export as a background job (``core.jobs`` kind ``registry_export``) with progress.

The resident list's export button starts the job (``export_start``) and sends the requester to the job's
progress page; the file is the same masked workbook as the synchronous ``GET …/residents/export``
(``selectors.export_rows`` → ``xlsx``: ID numbers and phones masked, only the tags the requester may see),
written to disk in chunks, downloadable by the requester only (``core.jobs_files``). The filters are stored
encrypted in the job's parameters: they may hold an ID number or a phone typed into the search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import QuerySet

from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.jobs import JobContext, job_start
from wangge.core.jobs_files import new_path, stored
from wangge.core.models import Job
from wangge.core.roles import user_can

from .models import Resident

FILTERS = ("q", "id_number", "phone", "tag", "area", "residence_type", "political_status")
FILENAME = "居民名单.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _clean(filters: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in FILTERS:
        value = str(filters.get(key) or "").strip()
        if "\x00" in value or len(value) > 64:
            raise InvalidInput.field(key, "最多 64 个字符")
        if value:
            out[key] = value
    return out


def export_start(*, filters: Mapping[str, Any], by: Any) -> Job:
    """Start the export of the filtered resident list (as ``by``: their scope and tags)."""
    if not user_can(by, "registry.export"):
        raise Forbidden("无权导出人房信息")
    clean = _clean(filters)
    return job_start(kind="registry_export", params={"filters": pii.encrypt(json.dumps(clean))}, by=by)


def _queryset(user: Any, filters: dict[str, str]) -> QuerySet[Resident]:
    from . import selectors

    return selectors.resident_list(viewer=user, **filters)  # type: ignore[arg-type]


def export_run(ctx: JobContext) -> dict[str, Any]:
    """The job's target: the masked workbook of the starter's filtered list, written to the job's file."""
    from . import excel, selectors, xlsx

    user = Job.objects.select_related("created_by").get(pk=ctx.job_id).created_by
    if user is None or not user.is_active or not user_can(user, "registry.export"):
        raise Forbidden("无权导出人房信息")
    filters = _clean(json.loads(pii.decrypt(str(ctx.params.get("filters") or ""))))
    qs = _queryset(user, filters)
    total = qs.count()
    ctx.progress(0, total, "导出中")

    def cells() -> Iterator[list[Any]]:
        yield excel.EXPORT_HEADERS
        for n, row in enumerate(selectors.export_rows(qs, user), start=1):
            yield [excel._safe(v) for v in row]
            if n % 2000 == 0:
                ctx.progress(n, total, "导出中")

    path = new_path(ctx.job_id, "xlsx")
    try:
        with path.open("wb") as f:
            rows = xlsx.write_to(f, "居民", cells()) - 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    audit(
        "export",
        None,
        by=user,
        object_type="registry.resident",
        changes={k: v for k, v in filters.items() if k not in ("id_number", "phone")},
        note="导出居民名单（已脱敏，后台任务）",
    )
    ctx.progress(rows, max(total, rows), "完成")
    return stored(ctx.job_id, path, filename=FILENAME, content_type=XLSX, rows=rows)

"""Cases export (.xlsx or .csv) as a background job (``core.jobs`` kind ``appeals_export``) with progress.

``export_start(filters=..., fmt=..., by=...)`` checks the filters (area, state, category, channel, report
dates: the case list's filters plus the channel and a date range) and starts the job; the page sends the
requester to the job's progress page, which shows a download link when done (``core.jobs_files``: the file is
the starter's only, kept ``WANGGE_JOB_RESULT_TTL_HOURS``). The job reads as the requester: only the cases
``visible_to`` them, and the reporter's personal data as the case pages show it to them — in full on the cases
they reported themselves, "匿名" for an anonymous reporter, masked (张*, 138****5678) for staff in scope and
handlers, blank for anyone else; the export never reveals a full phone (the lead's reveal is a per-case,
audited action). The export itself is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.core.audit import audit
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.jobs import JobContext, job_start
from wangge.core.jobs_files import new_path, stored
from wangge.core.models import Job
from wangge.core.pii import mask_name, mask_phone
from wangge.core.scoping import scope_for

from .models import Appeal, State

KIND = "appeals_export"
FORMATS = {"xlsx": "Excel（.xlsx）", "csv": "CSV（.csv）"}
MAX_DAYS = 3 * 366  # one export spans at most three years of report dates
EARLIEST = dt.date(2000, 1, 1)
CHUNK = 2000
HEADERS = [
    "编号",
    "大类",
    "小类",
    "描述",
    "地址",
    "区域编码",
    "网格",
    "状态",
    "渠道",
    "反映人",
    "反映人电话",
    "上报时间",
    "派遣时间",
    "办理期限",
    "办结时间",
    "结案时间",
    "超期",
    "督办",
    "返工次数",
    "评价",
    "主办单位",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _date(data: Mapping[str, Any], key: str) -> dt.date | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        value = raw
    else:
        try:
            value = dt.date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            raise InvalidInput.field(key, "日期格式应为 YYYY-MM-DD") from None
    if not EARLIEST <= value <= timezone.localdate() + dt.timedelta(days=1):
        raise InvalidInput.field(key, "日期超出范围（2000-01-01 至今天）")
    return value


def _text(data: Mapping[str, Any], key: str, limit: int) -> str:
    value = str(data.get(key) or "").strip()
    if "\x00" in value or len(value) > limit:
        raise InvalidInput.field(key, f"最多 {limit} 个字符")
    return value


def clean_filters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The export's filters, checked: each bad one raises ``InvalidInput`` naming its field."""
    area = _text(data, "area", 17)
    if area and not area.isdigit():
        raise InvalidInput.field("area", "区域编码只能是数字")
    state = _text(data, "state", 200)
    states = [s.strip() for s in state.split(",") if s.strip()]
    if set(states) - set(State.values):
        raise InvalidInput.field("state", "无效的状态")
    category = _text(data, "category", 32)
    channel = _text(data, "channel", 32)
    if channel and channel not in Appeal.Channel.values:
        raise InvalidInput.field("channel", "无效的渠道")
    date_from, date_to = _date(data, "date_from"), _date(data, "date_to")
    if date_from and date_to:
        if date_to < date_from:
            raise InvalidInput.field("date_to", "结束日期不能早于开始日期")
        if (date_to - date_from).days > MAX_DAYS:
            raise InvalidInput.field("date_to", "一次最多导出三年内上报的诉求")
    return {
        "area": area,
        "state": ",".join(states),
        "category": category,
        "channel": channel,
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
    }


def export_queryset(viewer: Any, filters: Mapping[str, Any]) -> QuerySet[Appeal]:
    """The cases of the export: visible to ``viewer``, filtered, in report order."""
    qs = Appeal.objects.visible_to(viewer)
    if filters.get("area"):
        qs = qs.filter(area_code__startswith=filters["area"])
    if filters.get("state"):
        qs = qs.filter(state__in=str(filters["state"]).split(","))
    if filters.get("category"):
        qs = qs.filter(Q(category__code=filters["category"]) | Q(category__parent__code=filters["category"]))
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        start = dt.datetime.combine(dt.date.fromisoformat(filters["date_from"]), dt.time(0), tzinfo=tz)
        qs = qs.filter(reported_at__gte=start)
    if filters.get("date_to"):
        stop = dt.date.fromisoformat(filters["date_to"]) + dt.timedelta(days=1)
        qs = qs.filter(reported_at__lt=dt.datetime.combine(stop, dt.time(0), tzinfo=tz))
    return qs.order_by("reported_at", "id")


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_rows(viewer: Any, filters: Mapping[str, Any], progress: Any = None) -> Iterator[list[Any]]:
    """The header, then one row per case (keyset chunks of ``CHUNK``: a constant number of queries per
    chunk). ``progress(done)`` is called after each chunk."""
    scope = scope_for(viewer)
    reads = user_can(viewer, "appeals.read")
    channels = {k: str(v) for k, v in Appeal.Channel.choices}
    states = {k: str(v) for k, v in State.choices}
    ratings = {k: str(v) for k, v in Appeal.Rating.choices}
    supervision = {k: str(v) for k, v in Appeal._meta.get_field("supervision_level").flatchoices}
    base = (
        export_queryset(viewer, filters)
        .select_related("category", "category__parent", "grid", "lead_unit")
        .annotate(
            handling=Case(
                When(Appeal.handling_q(viewer), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    yield list(HEADERS)
    done = 0
    last: tuple[dt.datetime, int] | None = None
    while True:
        part = base
        if last is not None:
            part = base.filter(Q(reported_at__gt=last[0]) | Q(reported_at=last[0], id__gt=last[1]))
        batch = list(part[:CHUNK])
        if not batch:
            return
        for a in batch:
            name, phone = _reporter(viewer, a, scope.contains(a.area_code) and reads)
            cat = a.category
            yield [
                a.pk,
                cat.parent.name if cat.parent_id and cat.parent else cat.name,
                cat.name if cat.parent_id else "",
                a.description,
                a.address,
                a.area_code,
                a.grid.name if a.grid_id and a.grid else "",
                states.get(a.state, a.state),
                channels.get(a.channel, a.channel),
                name,
                phone,
                _local(a.reported_at),
                _local(a.dispatched_at),
                _local(a.resolve_due_at),
                _local(a.resolved_at),
                _local(a.closed_at),
                "是" if a.overdue else "否",
                supervision.get(a.supervision_level, a.supervision_level),
                a.rework_count,
                ratings.get(a.rating, a.rating) if a.rating else "",
                a.lead_unit.name if a.lead_unit_id and a.lead_unit else "",
            ]
        done += len(batch)
        last = (batch[-1].reported_at, batch[-1].pk)
        if progress is not None:
            progress(done)


def _reporter(viewer: Any, a: Appeal, staff: bool) -> tuple[str, str]:
    """The reporter as ``selectors.reporter_view`` shows them to this viewer, never revealed in full to staff."""
    if viewer.pk in (a.reporter_id, a.submitted_by_id):
        return a.reporter_name, a.reporter_phone
    if a.anonymous:
        return "匿名", ""
    if not staff and not getattr(a, "handling", False):
        return "", ""
    return mask_name(a.reporter_name), mask_phone(a.reporter_phone)


def _safe(v: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with ' (both formats); XML-illegal characters
    are dropped by the .xlsx writer's caller."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def filename(fmt: str, now: dt.datetime | None = None) -> str:
    return f"诉求导出_{timezone.localtime(now or timezone.now()):%Y%m%d_%H%M}.{fmt}"


def export_start(*, filters: Mapping[str, Any], fmt: str, by: Any) -> Job:
    """Check the filters and the format and start the export job (as ``by``)."""
    if not user_can(by, "appeals.read"):
        raise Forbidden("无权导出诉求")
    if fmt not in FORMATS:
        raise InvalidInput.field("fmt", "格式须为 xlsx 或 csv", label="格式")
    clean = clean_filters(filters)
    return job_start(kind=KIND, params={"filters": clean, "fmt": fmt}, by=by)


def write(viewer: Any, filters: Mapping[str, Any], fmt: str, target: Any, progress: Any = None) -> int:
    """Write the export into ``target`` (a binary file); returns the number of cases."""
    from wangge.registry import text, xlsx

    rows = export_rows(viewer, filters, progress)
    if fmt == "csv":
        wrapper = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=False)
        writer = csv.writer(wrapper)
        written = 0
        for row in rows:
            writer.writerow([_safe(v) for v in row])
            written += 1
        wrapper.flush()
        wrapper.detach()
        return written - 1  # the header
    return xlsx.write_to(target, "诉求", ([text.xlsx_safe(v) for v in row] for row in rows)) - 1


def export_run(ctx: JobContext) -> dict[str, Any]:
    """The job's target: the export as its requester (their scope), written to the job's result file."""
    params = ctx.params
    # As the job's starter (not a user named in the params: ``POST /api/v1/jobs`` takes any params).
    user = Job.objects.select_related("created_by").get(pk=ctx.job_id).created_by
    if user is None or not user.is_active or not user_can(user, "appeals.read"):
        raise Forbidden("无权导出诉求")
    fmt = str(params.get("fmt") or "")
    if fmt not in FORMATS:
        raise InvalidInput.field("fmt", "格式须为 xlsx 或 csv", label="格式")
    filters = clean_filters(params.get("filters") or {})
    total = export_queryset(user, filters).count()
    ctx.progress(0, total, "导出中")
    path = new_path(ctx.job_id, fmt)
    try:
        with path.open("wb") as f:
            rows = write(user, filters, fmt, f, lambda done: ctx.progress(done, total, "导出中"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    audit(
        "export",
        None,
        by=user,
        object_type="appeals.appeal",
        changes={k: v for k, v in filters.items() if v},
        note=f"导出诉求（{rows} 件，个人信息已脱敏）",
    )
    ctx.progress(rows, max(total, rows), "完成")
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return stored(ctx.job_id, path, filename=filename(fmt), content_type=content_type, rows=rows)

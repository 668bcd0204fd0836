"""Background jobs with progress: heavy work (a rollup rebuild, a key rotation, an outbox flush) that a page
starts and then polls.

* ``job_start(kind=..., params=..., by=...)`` records a ``Job`` and, once the transaction commits, hands it
  to a Celery worker when ``WANGGE_BROKER_URL`` is set; without a broker (``make run``) it runs in a thread
  of this process (or inline when ``WANGGE_JOBS_INLINE`` is set, as management commands do).
* ``execute(job_id)`` claims the job with a conditional UPDATE (queued → running, or a running job whose
  heartbeat stopped: a worker that died), so a task delivered twice runs it once. The target gets a
  ``JobContext``: ``progress(done, total, message)`` writes the row the page polls, ``cursor`` / ``save_cursor``
  let a long job resume where it stopped, and raising ``JobFenced`` from ``heartbeat`` stops a job someone
  else took over.

Kinds are ``module:function`` strings (core imports no app): a *plain* target is called with no arguments.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.core.roles import user_can

from .models import Job

log = logging.getLogger("wangge.jobs")

# A running job whose heartbeat is older than this is presumed dead and may be taken over; a running job
# beats every HEARTBEAT seconds from a side thread, so a long step with no progress report still looks alive.
STALE = dt.timedelta(minutes=5)
HEARTBEAT = 30.0


@dataclass(frozen=True)
class JobKind:
    target: str
    label: str
    plain: bool = False
    perm: str = "config.write"
    result_template: str = ""  # shown on the progress page when the job is done (given ``result``)


KINDS: dict[str, JobKind] = {
    "rollup_rebuild": JobKind("wangge.appeals.rollup:rebuild", "重建案件统计汇总", plain=True),
    "outbox_deliver": JobKind(
        "wangge.notifications.services:deliver_pending", "发送待发短信/微信", plain=True
    ),
    "rotate_pii_key": JobKind("wangge.core.rotation:run", "更换个人信息密钥并重新加密"),
    "registry_import": JobKind(
        "wangge.registry.jobs:import_run",
        "导入人房信息",
        perm="registry.import",
        result_template="registry/_import_job_result.html",
    ),
    # Exports: the file goes to the starter only (``jobs_files``: download, expiry, the ``job_files`` step).
    "appeals_export": JobKind(
        "wangge.appeals.exports:export_run",
        "导出诉求",
        perm="appeals.read",
        result_template="core/_job_file.html",
    ),
    "registry_export": JobKind(
        "wangge.registry.export_jobs:export_run",
        "导出居民名单",
        perm="registry.export",
        result_template="core/_job_file.html",
    ),
}


class JobFenced(Exception):
    """Another worker took this job over: stop without writing more."""


class JobContext:
    def __init__(self, job: Job, token: int) -> None:
        self.job_id = job.pk
        self.params: dict[str, Any] = dict(job.params)
        self.cursor: dict[str, Any] = dict(job.cursor)
        # ``attempts`` at the claim: a later claim (a take-over) bumps it, which fences this context out.
        self._token = token

    def _update(self, **fields: Any) -> None:
        fields["heartbeat_at"] = timezone.now()
        if not Job.objects.filter(pk=self.job_id, attempts=self._token, state=Job.State.RUNNING).update(
            **fields
        ):
            raise JobFenced(f"job {self.job_id} was taken over")

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        fields: dict[str, Any] = {"done": done, "message": message[:200]}
        if total is not None:
            fields["total"] = total
        self._update(**fields)

    def heartbeat(self) -> None:
        self._update()

    def save_cursor(self, **cursor: Any) -> None:
        """Record where to resume (commit it with the batch it follows, or right after)."""
        self.cursor.update(cursor)
        self._update(cursor=json.loads(json.dumps(self.cursor, cls=DjangoJSONEncoder)))


def _broker() -> str:
    return str(getattr(settings, "WANGGE_BROKER_URL", "") or "")


def job_start(*, kind: str, params: dict[str, Any] | None = None, by: Any) -> Job:
    """Record a job and start it after commit (Celery, a thread, or inline)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput.field("kind", f"未知的任务类型：{kind}")
    if by is not None and not user_can(by, spec.perm):
        raise Forbidden("无权启动该后台任务")
    with transaction.atomic():
        job = Job.objects.create(kind=kind, params=params or {}, created_by=by if by is not None else None)
        transaction.on_commit(lambda: dispatch(job.pk))
    return job


def job_retry(*, job_id: int, by: Any) -> Job:
    """Queue a failed job again; it resumes from its cursor."""
    job = job_get(job_id=job_id, viewer=by)
    if by is not None and not user_can(by, KINDS[job.kind].perm):
        raise Forbidden("无权重新运行该后台任务")
    with transaction.atomic():
        if not Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(state=Job.State.QUEUED, error=""):
            raise InvalidInput.field("state", "只有失败的任务可以重新运行")
        transaction.on_commit(lambda: dispatch(job.pk))
    job.refresh_from_db()
    return job


def dispatch(job_id: int) -> None:
    if _broker():
        # Loaded by name, like the periodic steps: the Celery app (wangge.celery) is a composition root that
        # imports core, not a layer below it.
        importlib.import_module("wangge.celery").run_job.delay(job_id)
    elif getattr(settings, "WANGGE_JOBS_INLINE", False):
        execute(job_id)
    else:
        threading.Thread(target=_execute_in_thread, args=(job_id,), name=f"job-{job_id}", daemon=True).start()


def _execute_in_thread(job_id: int) -> None:
    try:
        execute(job_id)
    finally:
        connection.close()


def _claim(job_id: int) -> int | None:
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, heartbeat_at__lt=now - STALE)
    if not Job.objects.filter(claimable, pk=job_id).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    ):
        return None
    return Job.objects.filter(pk=job_id).values_list("attempts", flat=True).get()


def execute(job_id: int) -> bool:
    """Run the job if this caller wins the claim. True when it ran (whatever the outcome)."""
    token = _claim(job_id)
    if token is None:
        return False
    job = Job.objects.get(pk=job_id)
    ctx = JobContext(job, token)
    spec = KINDS[job.kind]
    fenced = Q(pk=job_id, attempts=token, state=Job.State.RUNNING)
    stop = threading.Event()
    threading.Thread(target=_beat, args=(fenced, stop), name=f"job-{job_id}-heartbeat", daemon=True).start()
    try:
        return _run(job, ctx, spec, fenced)
    finally:
        stop.set()


def _beat(fenced: Q, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT):
            Job.objects.filter(fenced).update(heartbeat_at=timezone.now())
    except Exception:  # a missed beat only risks a take-over, which the fencing makes safe
        log.warning("job heartbeat failed", exc_info=True)
    finally:
        connection.close()


def _run(job: Job, ctx: JobContext, spec: JobKind, fenced: Q) -> bool:
    job_id = job.pk
    module, _, name = spec.target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
        if spec.plain:
            ctx.progress(0, 1, spec.label)
            result = fn()
            ctx.progress(1, 1, spec.label)
        else:
            result = fn(ctx)
    except JobFenced:
        log.warning("job %s was taken over; this run stops", job_id)
        return True
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        Job.objects.filter(fenced).update(
            state=Job.State.FAILED,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000],
            finished_at=timezone.now(),
        )
        return True
    try:
        stored = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        stored = repr(result)
    Job.objects.filter(fenced).update(
        state=Job.State.DONE,
        result=stored,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return True


def reap(now: dt.datetime) -> dict[str, int] | None:
    """The periodic step for jobs whose process vanished (no heartbeat for ``STALE``). With a broker Celery
    delivers them again (late acks) and the next claim takes over; without one nobody would, so they are
    marked failed: a retry resumes from the cursor."""
    if _broker():
        return None
    lost = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=timezone.now() - STALE).update(
        state=Job.State.FAILED, error="进程已中断（无心跳），可重新运行以继续", finished_at=timezone.now()
    )
    return {"lost": lost} if lost else None


def job_get(*, job_id: int, viewer: Any) -> Job:
    """A job its starter (or an administrator) may see; 404 otherwise, as for a missing one."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not (
        (job.created_by_id is not None and job.created_by_id == getattr(viewer, "pk", None))
        or user_can(viewer, "config.write")
    ):
        raise NotFound("后台任务不存在")
    return job

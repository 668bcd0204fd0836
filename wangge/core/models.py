"""Shared building blocks: the timestamped base model, the append-only audit log, the leases that let a
periodic run happen once per period, and background jobs with progress."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    """Rows are written once: saving an existing row or deleting one raises."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditLog(AppendOnlyModel):
    """Who did what to which record, when and from where. Never edited, never deleted."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        IMPORT = "import", _("导入")
        EXPORT = "export", _("导出")
        REVEAL = "reveal", _("查看完整信息")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKOUT = "lockout", _("登录锁定")
        LOGIN_REFUSED = "login_refused", _("锁定期间拒绝登录")
        OTHER = "other", _("其他")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # Field names (and masked values where personal) that changed; never plaintext personal data.
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"


class Lease(models.Model):
    """One claim on one run of a periodic job. The unique ``(job, period)`` row decides who runs that period:
    the first insert wins, everyone else sees the row and skips. A holder that dies leaves a ``running`` row
    whose ``expires_at`` passes; another may then take it over with a higher ``fencing`` number, and the old
    holder's late writes are refused by the fencing check (``wangge.core.leases``)."""

    class State(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    job = models.CharField(_("任务"), max_length=100)
    period = models.CharField(_("周期"), max_length=40)
    holder = models.CharField(_("持有者"), max_length=200)
    # Monotonic per job (from LeaseFence): a larger number always means a later grant.
    fencing = models.PositiveBigIntegerField(_("栅栏号"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RUNNING)
    acquired_at = models.DateTimeField(_("取得时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("定时任务租约")
        verbose_name_plural = _("定时任务租约")
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="lease_unique_job_period")]
        indexes = [models.Index(fields=["acquired_at"], name="lease_acquired_idx")]

    def __str__(self) -> str:
        return f"{self.job}@{self.period} #{self.fencing} {self.state}"


class LeaseFence(models.Model):
    """The last fencing number handed out for a job (one row per job, incremented under its row lock)."""

    job = models.CharField(max_length=100, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.job}: {self.last}"


class Job(models.Model):
    """A background job (a rollup rebuild, a key rotation, an export) whose state and progress a page polls
    (``GET /api/v1/jobs/{id}``). It runs on a Celery worker when a broker is configured, else in a thread of
    the process that started it (``wangge.core.jobs``). ``cursor`` is where a resumable job goes on from."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    params = models.JSONField(_("参数"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveBigIntegerField(_("已完成"), default=0)
    total = models.PositiveBigIntegerField(_("总数"), null=True, blank=True)
    message = models.CharField(_("进度说明"), max_length=200, blank=True)
    cursor = models.JSONField(_("续跑位置"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    result = models.JSONField(_("结果"), null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.state}"

    @property
    def error_summary(self) -> str:
        """The first line of the error: the traceback stays in the log and the admin."""
        return self.error.splitlines()[0] if self.error else ""

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == self.State.DONE else None
        return min(100, int(self.done * 100 / self.total))


class CacheVersion(models.Model):
    """A change stamp per cached table family (``category``, ``area``, ``post``, ``user``, ``token``).

    Database triggers (installed by each owning app's migration, see ``wangge.core.cache.trigger_sql``)
    replace the stamp on every change of the rows a per-process cache holds, also for bulk updates and raw
    SQL. Every process compares the stamps once per request (one query for all of them), so several app
    servers stay correct. The stamp is random, never a counter: a rolled-back change cannot make an
    older stamp come back and match a cache that was filled inside the rolled-back transaction."""

    key = models.CharField(max_length=32, primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

"""Shared building blocks: the timestamped base model and the append-only audit log."""

from __future__ import annotations

from django.conf import settings
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

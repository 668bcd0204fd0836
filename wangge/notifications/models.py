"""In-app notifications and the outbox for the SMS/WeChat adapters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.pii import EncryptedTextField


class Notification(models.Model):
    """One message shown to one user inside the app (the bell). Written by ``notify``; only ``read_at``
    ever changes afterwards."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("事件"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The record the notification is about ("appeals.appeal", "123"): a plain reference, no generic FK, so
    # deleting or archiving a record never touches the notifications.
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created"),
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notif_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(models.Model):
    """A message waiting for an external channel (SMS gateway, WeChat template message). Delivered by
    ``deliver_pending`` with a pluggable sender; the phone is encrypted at rest (PIPL)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        WECHAT = "wechat", _("微信")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    event = models.CharField(_("事件"), max_length=64, blank=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最后错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [
            models.Index(fields=["id"], condition=models.Q(status="pending"), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.status}"

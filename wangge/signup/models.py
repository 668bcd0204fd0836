"""Residents who get in by themselves: one-time phone codes, privacy consents (PIPL), community invitations
and a resident's request to be linked to their household (confirmed by the grid worker)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.scoping import ScopedModel


class PhoneCode(models.Model):
    """A one-time code sent by SMS. Only its keyed hash is stored (with the phone's keyed hash, never the
    number): a leaked table reveals neither. Used once (``used_at``), valid until ``expires_at``, refused after
    ``MAX_ATTEMPTS`` wrong tries (``attempts`` only ever grows, by a conditional UPDATE)."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("注册")
        RESET = "reset", _("找回密码")

    phone_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("请求地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone_hash", "purpose", "-created_at"], name="phonecode_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class Consent(models.Model):
    """A user's consent to the privacy notice (PIPL art. 14/17): which version, when, from where. Appended,
    never edited; a new version of the notice needs a new consent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="consents"
    )
    notice_version = models.CharField(_("隐私政策版本"), max_length=20)
    consented_at = models.DateTimeField(_("同意时间"))
    ip = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)

    class Meta:
        ordering = ["-consented_at", "-id"]
        verbose_name = _("隐私政策同意记录")
        verbose_name_plural = _("隐私政策同意记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "notice_version"], name="consent_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.notice_version}"


class SelfSignup(models.Model):
    """An account a resident made by themselves (not staff): when, and the community whose invitation they
    followed (if any)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="self_signup"
    )
    community = models.ForeignKey(
        "areas.Area",
        verbose_name=_("社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("注册时间"))

    class Meta:
        verbose_name = _("自助注册")
        verbose_name_plural = _("自助注册")

    def __str__(self) -> str:
        return str(self.user_id)


def _invite_code() -> str:
    return secrets.token_urlsafe(9)


class Invitation(ScopedModel):
    """A community's QR invitation: ``/signup/?invite=<code>`` signs a resident up into that community."""

    scope_path = "area__code"

    area = models.OneToOneField(
        "areas.Area", verbose_name=_("社区"), on_delete=models.CASCADE, related_name="signup_invitation"
    )
    code = models.CharField(_("邀请码"), max_length=32, unique=True, default=_invite_code)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("注册邀请")
        verbose_name_plural = _("注册邀请")

    def __str__(self) -> str:
        return f"{self.area_id}: {self.code}"


class LinkRequest(ScopedModel):
    """A signed-up resident asks to be linked to their household; the grid worker of the household's grid
    confirms or rejects. Until then the resident can do everything but what needs the household."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已驳回")

    scope_path = "area_code"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.CASCADE, related_name="+"
    )
    area_code = models.CharField(_("区域编码"), max_length=17, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("关联户申请")
        verbose_name_plural = _("关联户申请")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="linkrequest_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.household_id} ({self.status})"

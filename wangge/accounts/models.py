"""Users, their roles and posts in areas, organisations (units) and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.pii import EncryptedTextField
from wangge.core.scoping import ScopedModel

from .roles import Role


class Unit(TimeStampedModel):
    """An organisation that handles cases or is mobilised: a department, a property company,
    a co-building unit (共建单位), a social organisation."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("职能部门")
        PROPERTY_COMPANY = "property_company", _("物业公司")
        CO_BUILDING = "co_building", _("共建单位")
        SOCIAL_ORG = "social_org", _("社会组织")
        OTHER = "other", _("其他")

    name = models.CharField(_("名称"), max_length=120, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, db_index=True)
    code = models.CharField(_("统一社会信用代码/编号"), max_length=32, blank=True)
    # The area whose cases the unit serves (a district department, a company's communities).
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("服务区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units",
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An account. ``role`` says what it may do; its ``posts`` say where (the area scope)."""

    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, default=Role.RESIDENT, db_index=True
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.display_name or self.username


class Post(TimeStampedModel, ScopedModel):
    """A person's post in an area (grid worker of grid X, secretary of community Y). Posts give area scope;
    ``Post.objects.visible_to(viewer)`` are the posts held inside the viewer's own areas."""

    scope_path = "area__code"

    class Kind(models.TextChoices):
        GRID_WORKER = "grid_worker", _("专职网格员")
        GRID_HEAD = "grid_head", _("网格长")
        MICROGRID_HEAD = "microgrid_head", _("微网格长")
        BUILDING_HEAD = "building_head", _("楼栋长")
        COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
        COMMUNITY_STAFF = "community_staff", _("社区工作人员")
        STREET_STAFF = "street_staff", _("街道工作人员")
        DISTRICT_STAFF = "district_staff", _("区指挥中心人员")

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="posts")
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("区域"), on_delete=models.CASCADE, related_name="posts"
    )
    kind = models.CharField(_("岗位"), max_length=24, choices=Kind.choices)
    active = models.BooleanField(_("在岗"), default=True)
    # The post's public work phone (printed on the 便民服务卡), not the person's own mobile (``User.phone``).
    work_phone = models.CharField(_("工作电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.UniqueConstraint(fields=["user", "area", "kind"], name="post_unique_user_area_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.area}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

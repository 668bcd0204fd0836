"""The registry (人、房): buildings, houses, owners, households, residents and their tags.

Personal data (ID numbers, phones) is encrypted at rest with a keyed hash beside it for exact look-ups.
Tag assignments store a keyed token instead of the tag, so the database never says who is 残疾 or 低保.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import user_can
from wangge.core.models import TimeStampedModel
from wangge.core.pii import EncryptedTextField
from wangge.core.scoping import NEVER, ScopedModel, scope_for

# The permission each action needs over the area scope: reading the registry, maintaining it, or seeing
# a resident's full ID number or phone. Unknown actions need the strictest (maintaining).
_ACTION_PERM = {"view": "registry.read", "change": "registry.write", "reveal": "pii.reveal"}


def _area_q(viewer: Any, action: str, path: str, ranged: bool = False) -> Q:
    """Records under the viewer's areas, for a role that may ``action`` the registry at all. ``ranged``:
    the path is a denormalised code column, filtered as index ranges (``Scope.range_q``)."""
    if not user_can(viewer, _ACTION_PERM.get(action, "registry.write")):
        return NEVER
    scope = scope_for(viewer)
    return scope.range_q(path) if ranged else scope.q(path)


def own_household_ids(viewer: Any) -> list[int] | None:
    """The household(s) the viewer lives in (through ``Resident.account``), or None when there are none.
    Everyone may see their own household — this is how residents and volunteers see theirs.

    Evaluated to a list (cached on the viewer for the request), not left as a subquery: an OR with a
    subquery keeps PostgreSQL from using the scope column's index range, and most staff live elsewhere
    (None: no OR at all)."""
    if not getattr(viewer, "is_authenticated", False) or viewer.pk is None:
        return None
    cached = getattr(viewer, "_wangge_own_households", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return,return-value]
    ids = list(Resident.objects.filter(account_id=viewer.pk).values_list("household_id", flat=True))
    out = ids or None
    with contextlib.suppress(AttributeError):  # AnonymousUser and friends
        viewer._wangge_own_households = out
    return out


class RegistryScoped(ScopedModel):
    """Registry records: staff with ``registry.read`` see their area scope; everyone sees their own
    household (``own_q``, only for viewing). Writes (``action="change"``) need ``registry.write``."""

    class Meta:
        abstract = True

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return NEVER

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = _area_q(viewer, action, cls.scope_path, cls.scope_ranged)
        if action != "view" or scope_for(viewer).everything:
            return q
        own = own_household_ids(viewer)
        return q if own is None else q | cls.own_q(own)


class Tag(TimeStampedModel):
    """A plate of the configurable catalogue (七色信息牌): colour, visit frequency, sensitivity."""

    class AppliesTo(models.TextChoices):
        HOUSEHOLD = "household", _("户")
        RESIDENT = "resident", _("人")
        BOTH = "both", _("户和人")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    colour = models.CharField(_("颜色"), max_length=7, default="#888888", help_text="#RRGGBB")
    visit_every_days = models.PositiveSmallIntegerField(_("走访频次（天）"), null=True, blank=True)
    sensitive = models.BooleanField(
        _("敏感信息"), default=False, help_text=_("健康、残疾、低保、未成年人等，按个人信息保护法从严管理")
    )
    applies_to = models.CharField(
        _("适用对象"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.BOTH
    )
    needs_care = models.BooleanField(_("重点关爱"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name


class Building(TimeStampedModel, RegistryScoped):
    scope_path = "area__code"

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("楼栋"), max_length=60)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    entrances = models.PositiveSmallIntegerField(_("单元数"), default=1)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    property_company = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("物业公司"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )
    party_group = models.ForeignKey(
        "areas.PartyOrg",
        verbose_name=_("楼栋党小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )

    class Meta:
        ordering = ["area__code", "name"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["area", "address"], name="building_unique_address_in_area")
        ]

    def __str__(self) -> str:
        return self.address

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return Q(pk__in=Household.objects.filter(pk__in=households).values("house__building_id"))


class House(TimeStampedModel, RegistryScoped):
    scope_path = "building__area__code"

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        COMMERCIAL = "commercial", _("商业")
        OFFICE = "office", _("办公")
        OTHER = "other", _("其他")

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="houses"
    )
    entrance = models.PositiveSmallIntegerField(_("单元"), default=1)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    room = models.CharField(_("房号"), max_length=20)
    exclusive_area = models.DecimalField(
        _("专有面积（㎡）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("用途"), max_length=12, choices=Use.choices, default=Use.RESIDENTIAL)

    class Meta:
        ordering = ["building_id", "entrance", "room"]
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "room"], name="house_unique_room"),
            models.CheckConstraint(
                condition=models.Q(exclusive_area__gte=0) | models.Q(exclusive_area__isnull=True),
                name="house_area_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building.name}{self.entrance}单元{self.room}"

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return Q(pk__in=Household.objects.filter(pk__in=households).values("house_id"))


class HouseOwner(TimeStampedModel, RegistryScoped):
    """An owner of a house (a person or an organisation) with a share; used by owners' votes. Only staff
    see owners (no own-household link: a resident's household is not always the owner)."""

    scope_path = "house__building__area__code"

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        ORGANISATION = "organisation", _("单位")

    house = models.ForeignKey(House, verbose_name=_("房屋"), on_delete=models.CASCADE, related_name="owners")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("名称/姓名"), max_length=100)
    id_number = EncryptedTextField(_("证件号"), blank=True, default="")
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.SET_NULL
    )
    resident = models.ForeignKey(
        "Resident",
        verbose_name=_("对应居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_houses",
    )
    share = models.DecimalField(_("份额"), max_digits=5, decimal_places=4, default=1)

    class Meta:
        verbose_name = _("产权人")
        verbose_name_plural = _("产权人")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=1), name="owner_share_in_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Household(TimeStampedModel, RegistryScoped):
    # The grid's code, copied from house → building → area by database triggers (migration 0003): the
    # scope filter and the list order are one index range instead of a four-table join.
    scope_path = "area_code"
    scope_ranged = True

    house = models.ForeignKey(
        House, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("户编号"), max_length=40, blank=True)
    # 党员中心户: a party-member household that serves its neighbours, attached to a party group.
    is_party_center = models.BooleanField(_("党员中心户"), default=False)
    party_org = models.ForeignKey(
        "areas.PartyOrg",
        verbose_name=_("所属党组织"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    notes = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(_("在住"), default=True)
    # Bumped by every applied change (pages, API, corrections): an offline edit based on an older version
    # lands as a conflict instead of overwriting (see ``change_services``).
    version = models.PositiveIntegerField(_("版本"), default=1)
    area_code = models.CharField(_("网格编码"), max_length=24, default="", editable=False)

    class Meta:
        ordering = ["house_id", "id"]
        verbose_name = _("户")
        verbose_name_plural = _("户")
        indexes = [models.Index(fields=["area_code", "id"], name="household_scope_idx")]

    def __str__(self) -> str:
        return self.number or f"户{self.pk}"

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return Q(pk__in=households)


class Resident(TimeStampedModel, RegistryScoped):
    # The grid's code, copied from the household by database triggers (migration 0003).
    scope_path = "area_code"
    scope_ranged = True

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Political(models.TextChoices):
        PARTY_MEMBER = "party_member", _("中共党员")
        PROBATIONARY = "probationary", _("中共预备党员")
        LEAGUE_MEMBER = "league_member", _("共青团员")
        OTHER_PARTY = "other_party", _("民主党派")
        MASSES = "masses", _("群众")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")
        TENANT = "tenant", _("租户")

    class ResidenceType(models.TextChoices):
        HUKOU = "hukou", _("户籍")
        PERMANENT = "permanent", _("常住")
        FLOATING = "floating", _("流动")
        RENTING = "renting", _("租住")

    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    political_status = models.CharField(
        _("政治面貌"), max_length=16, choices=Political.choices, default=Political.MASSES
    )
    relation = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, default=Relation.HEAD
    )
    residence_type = models.CharField(
        _("居住类型"), max_length=10, choices=ResidenceType.choices, default=ResidenceType.PERMANENT
    )
    account = models.OneToOneField(
        "accounts.User",
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    active = models.BooleanField(_("在册"), default=True)
    # Why and when the residence ended (moved out, died); the row and its history stay.
    left_on = models.DateField(_("离开日期"), null=True, blank=True)
    left_reason = models.CharField(
        _("离开原因"), max_length=10, blank=True, choices=[("moved_out", _("迁出")), ("deceased", _("死亡"))]
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    area_code = models.CharField(_("网格编码"), max_length=24, default="", editable=False)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        indexes = [
            models.Index(fields=["name"], name="resident_name_idx"),
            models.Index(fields=["area_code", "id"], name="resident_scope_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return Q(household_id__in=households)


class Tagging(RegistryScoped):
    """A tag on a household or a resident. ``token`` is a keyed hash of the tag code (see module docstring).
    Its scope is its target's: a household's, or a resident's household's."""

    scope_path = "household__area_code"
    scope_ranged = True

    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="taggings"
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="taggings"
    )
    token = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(household__isnull=False, resident__isnull=True)
                    | models.Q(household__isnull=True, resident__isnull=False)
                ),
                name="tagging_exactly_one_target",
            ),
            models.UniqueConstraint(fields=["household", "token"], name="tagging_unique_household_tag"),
            models.UniqueConstraint(fields=["resident", "token"], name="tagging_unique_resident_tag"),
        ]

    def __str__(self) -> str:
        return f"tagging {self.pk}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        q = super().visible_q(viewer, action) | _area_q(viewer, action, "resident__area_code", ranged=True)
        own = own_household_ids(viewer) if action == "view" else None
        return q if own is None else q | Q(resident__household_id__in=own)

    @classmethod
    def own_q(cls, households: Any) -> Q:
        return Q(household_id__in=households)


class RegistryChange(RegistryScoped):
    """One change to the registry, as proposed and as decided: the audit with before/after and the queue of
    corrections awaiting approval or settling (see ``change_services``). Nothing here is ever deleted.

    ``before`` / ``after`` hold masked values (ID ``320621********1234``, phone ``138****5678``; tags as codes,
    shown by name only to roles that may see sensitive tags) and are encrypted at rest with the proposed
    ``payload``, which alone holds full values and is cleared once the change is decided. ``client_id`` makes
    an offline phone's re-send land once (unique per author). ``area_code`` is the target's grid when
    proposed: the scope, without the joins."""

    scope_path = "area_code"

    class Target(models.TextChoices):
        RESIDENT = "resident", _("居民")
        HOUSEHOLD = "household", _("户")

    class Status(models.TextChoices):
        APPLIED = "applied", _("已生效")
        PENDING = "pending", _("待审核")
        REJECTED = "rejected", _("已驳回")
        CONFLICT = "conflict", _("有冲突")
        DISCARDED = "discarded", _("已放弃")

    class Kind(models.TextChoices):
        PHONE = "phone", _("联系电话")
        ID_NUMBER = "id_number", _("身份证号")
        NAME = "name", _("姓名")
        TAGS = "tags", _("标签")
        MOVE_IN = "move_in", _("迁入")
        MOVE_OUT = "move_out", _("迁出")
        DEATH = "death", _("死亡")
        ADD_RESIDENT = "add_resident", _("新增居民")
        ADD_HOUSEHOLD = "add_household", _("新增户")
        EDIT = "edit", _("修改")

    author = models.ForeignKey(
        "accounts.User", verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("客户端编号"), max_length=64, null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    target = models.CharField(_("对象"), max_length=10, choices=Target.choices)
    household = models.ForeignKey(
        Household,
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    area_code = models.CharField(_("网格编码"), max_length=17)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    base_version = models.PositiveIntegerField(_("基于版本"), null=True, blank=True)
    version_after = models.PositiveIntegerField(_("生效后版本"), null=True, blank=True)
    payload = EncryptedTextField(_("提交内容"), blank=True, default="")
    before = EncryptedTextField(_("修改前"), blank=True, default="")
    after = EncryptedTextField(_("修改后"), blank=True, default="")
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人房信息变更")
        verbose_name_plural = _("人房信息变更")
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="registry_change_unique_client_id"),
        ]
        indexes = [
            models.Index(fields=["status", "area_code"], name="registry_change_status_idx"),
        ]

    def __str__(self) -> str:
        return f"变更#{self.pk}"

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        # Staff in scope only: a resident's own household is no reason to see its change log.
        return _area_q(viewer, action, "area_code")

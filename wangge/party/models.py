"""The party organisation as people: who belongs to a branch (and in which role), the 党员中心户 and the
households each serves, and the 党建联盟 of branches and co-building units around a 小区.

A ``Membership`` is either a resident party member (``registry.Resident`` whose political status is 中共党员
or 预备党员) or an in-service party member reported to the community through 双报到
(``volunteers.Member`` with an active ``CommunityReport``). ``areas.PartyOrg.member_count`` is derived from the
active memberships (``services.party_org_recount``) whenever they change.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel

PARTY_STATUSES = ("party_member", "probationary")


class Membership(TimeStampedModel, ScopedModel):
    """One person's place in a party organisation, from ``since`` until ``until`` (open: still serving)."""

    scope_path = "org__area__code"

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("书记")
        DEPUTY = "deputy", _("副书记")
        COMMITTEE = "committee", _("委员")
        MEMBER = "member", _("党员")

    org = models.ForeignKey(
        "areas.PartyOrg", verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="memberships"
    )
    resident = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("党员居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_memberships",
    )
    member = models.ForeignKey(
        "volunteers.Member",
        verbose_name=_("报到党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_memberships",
    )
    role = models.CharField(_("职务"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["org_id", "id"]
        verbose_name = _("党组织成员")
        verbose_name_plural = _("党组织成员")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(resident__isnull=False, member__isnull=True)
                    | Q(resident__isnull=True, member__isnull=False)
                ),
                name="party_membership_one_person",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")), name="party_membership_dates"
            ),
            models.UniqueConstraint(
                fields=["org", "resident"],
                condition=Q(until__isnull=True),
                name="party_membership_resident_once",
            ),
            models.UniqueConstraint(
                fields=["org", "member"], condition=Q(until__isnull=True), name="party_membership_member_once"
            ),
            models.UniqueConstraint(
                fields=["org"],
                condition=Q(until__isnull=True, role="secretary"),
                name="party_membership_one_secretary",
            ),
        ]
        indexes = [models.Index(fields=["org", "until"], name="party_membership_org_idx")]

    def __str__(self) -> str:
        return f"{self.person_name} · {self.org_id}"

    @property
    def active(self) -> bool:
        return self.until is None

    @property
    def person_name(self) -> str:
        if self.resident_id:
            return self.resident.name
        user = self.member.user
        return user.display_name or user.username

    @property
    def source(self) -> str:
        return "resident" if self.resident_id else "reported"


class CentreHousehold(TimeStampedModel, ScopedModel):
    """党员中心户: a party member's household that looks after nearby households for its branch."""

    scope_path = "org__area__code"

    org = models.ForeignKey(
        "areas.PartyOrg", verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="centre_households"
    )
    household = models.OneToOneField(
        "registry.Household", verbose_name=_("中心户"), on_delete=models.PROTECT, related_name="party_centre"
    )
    keeper = models.ForeignKey(
        Membership, verbose_name=_("中心户户长"), on_delete=models.PROTECT, related_name="centres"
    )
    since = models.DateField(_("设立日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["org_id", "id"]
        verbose_name = _("党员中心户")
        verbose_name_plural = _("党员中心户")

    def __str__(self) -> str:
        return f"中心户 {self.household_id}"


class ServedHousehold(TimeStampedModel, ScopedModel):
    """A household a 党员中心户 serves. A household is served by one centre at a time (the constraint)."""

    scope_path = "centre__org__area__code"

    centre = models.ForeignKey(
        CentreHousehold, verbose_name=_("党员中心户"), on_delete=models.CASCADE, related_name="served"
    )
    household = models.OneToOneField(
        "registry.Household",
        verbose_name=_("联系户"),
        on_delete=models.PROTECT,
        related_name="party_served_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["centre_id", "id"]
        verbose_name = _("联系户")
        verbose_name_plural = _("联系户")

    def __str__(self) -> str:
        return f"{self.centre_id} → {self.household_id}"


class Alliance(TimeStampedModel, ScopedModel):
    """党建联盟: party organisations and co-building units working together around a 小区 (in ``area``)."""

    scope_path = "area__code"

    name = models.CharField(_("联盟名称"), max_length=100)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    estate = models.CharField(_("小区"), max_length=100, blank=True)
    focus = models.CharField(_("共建事项"), max_length=300, blank=True)
    orgs: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "areas.PartyOrg", verbose_name=_("成员党组织"), through="AllianceOrg", related_name="alliances"
    )
    units: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "accounts.Unit", verbose_name=_("共建单位"), through="AllianceUnit", related_name="party_alliances"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__code", "id"]
        verbose_name = _("党建联盟")
        verbose_name_plural = _("党建联盟")
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="party_alliance_name_once")]

    def __str__(self) -> str:
        return self.name


class AllianceOrg(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="org_links")
    org = models.ForeignKey(
        "areas.PartyOrg", verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="+"
    )
    lead = models.BooleanField(_("牵头"), default=False)

    class Meta:
        ordering = ["-lead", "id"]
        constraints = [models.UniqueConstraint(fields=["alliance", "org"], name="party_alliance_org_once")]

    def __str__(self) -> str:
        return f"{self.alliance_id} · {self.org_id}"


class AllianceUnit(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("共建单位"), on_delete=models.PROTECT, related_name="+"
    )
    offer = models.CharField(_("共建内容"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["alliance", "unit"], name="party_alliance_unit_once")]

    def __str__(self) -> str:
        return f"{self.alliance_id} · {self.unit_id}"

"""The area tree (district → street → community → grid → micro-grid) and the party organisations in it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel


class Level(models.TextChoices):
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    MICROGRID = "microgrid", _("微网格")


# Code length per level (GB/T 30428.1: 6 county + 3 street + 3 community + 3 grid; micro-grid appends 2).
CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15, Level.MICROGRID: 17}
CHILD_LEVEL = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: Level.MICROGRID,
}


class Area(TimeStampedModel, ScopedModel):
    """A node of the tree. ``code`` is the official hierarchical code: a subtree is a code prefix.
    ``Area.objects.visible_to(viewer)``: the subtrees of the viewer's posts (all of it for an admin)."""

    scope_path = "code"

    scope_path = "code"  # an area's scope is its own code (the scoped admin's area pickers read this)

    class GridType(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("综合网格")
        DEDICATED = "dedicated", _("专属网格")

    code = models.CharField(_("编码"), max_length=17, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    grid_type = models.CharField(_("网格类型"), max_length=16, choices=GridType.choices, blank=True)
    dedicated_kind = models.CharField(
        _("专属网格对象"), max_length=50, blank=True, help_text=_("如：农贸市场、物流园、货车司机")
    )
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS84/CGCS2000, [lng, lat] order.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    center_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    center_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    # A community's public service line, printed on the 便民服务卡 (e.g. 0513-88812345).
    hotline = models.CharField(_("服务热线"), max_length=30, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level="district", code__regex=r"^\d{6}$")
                    | models.Q(level="street", code__regex=r"^\d{9}$")
                    | models.Q(level="community", code__regex=r"^\d{12}$")
                    | models.Q(level="grid", code__regex=r"^\d{15}$")
                    | models.Q(level="microgrid", code__regex=r"^\d{17}$")
                ),
                name="area_code_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_grid(self) -> bool:
        return self.level in (Level.GRID, Level.MICROGRID)


class AreaIndexState(models.Model):
    """A single row whose version goes up whenever a boundary changes, so every process rebuilds its
    point-in-grid index."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"grid index v{self.version}"


class PartyOrg(TimeStampedModel, ScopedModel):
    """A party organisation attached to an area: grid party branch, micro-grid party group, building group."""

    scope_path = "area__code"

    class Kind(models.TextChoices):
        COMMUNITY_COMMITTEE = "community_committee", _("社区大党委")
        GRID_BRANCH = "grid_branch", _("网格党支部")
        MICROGRID_GROUP = "microgrid_group", _("微网格党小组")
        BUILDING_GROUP = "building_group", _("楼栋党小组")

    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), on_delete=models.CASCADE, related_name="party_orgs"
    )
    secretary_name = models.CharField(_("书记/组长"), max_length=50, blank=True)
    member_count = models.PositiveIntegerField(_("党员数"), default=0)

    class Meta:
        ordering = ["area__code", "kind"]
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")

    def __str__(self) -> str:
        return self.name


class BaseFeature(TimeStampedModel, ScopedModel):
    """A line of the base map drawn when no tile server is configured: a road between blocks (public
    geography, read by bounding box; ``area`` is the smallest area that holds it, for editing and scope)."""

    scope_path = "area__code"

    class Kind(models.TextChoices):
        ROAD = "road", _("道路")
        LANE = "lane", _("支路")
        RIVER = "river", _("河道")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ROAD)
    name = models.CharField(_("名称"), max_length=60, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), on_delete=models.CASCADE, related_name="base_features"
    )
    # GeoJSON LineString in WGS84/CGCS2000, [lng, lat] order; the bounding box below is kept in step by save().
    geometry = models.JSONField(_("线形"))
    west = models.FloatField(editable=False, default=0)
    south = models.FloatField(editable=False, default=0)
    east = models.FloatField(editable=False, default=0)
    north = models.FloatField(editable=False, default=0)

    class Meta:
        ordering = ["area__code", "kind", "name"]
        verbose_name = _("底图要素")
        verbose_name_plural = _("底图要素")
        indexes = [models.Index(fields=["west", "east", "south", "north"], name="basefeature_bbox")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(west__lte=models.F("east"), south__lte=models.F("north")),
                name="basefeature_bbox_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    def set_bbox(self) -> None:
        coords = self.geometry.get("coordinates") or []
        if coords:
            lngs = [float(p[0]) for p in coords]
            lats = [float(p[1]) for p in coords]
            self.west, self.east, self.south, self.north = min(lngs), max(lngs), min(lats), max(lats)

    def save(self, *args: object, **kwargs: object) -> None:
        self.set_bbox()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

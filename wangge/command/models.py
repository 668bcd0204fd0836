"""The one map's tables: cases pre-aggregated per map cell, and layers of other networks (三网融合)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.roles import user_can
from wangge.core.scoping import NEVER, ScopedModel, scope_for


class CaseCell(ScopedModel):
    """Cases counted per map cell: one row per (level, cell, area code, supervision level) with a count per
    state (``s_<state>``), so a filter by states adds up columns and one by supervision level picks rows.

    A cell of ``level`` L is a square of ``360 / 2**(L + 2)`` degrees (64 px wide at zoom L), indexed from
    (−180°, −180°): ``cx = floor((lng + 180) * 2**(L+2) / 360)``, likewise ``cy`` from the latitude. The map at
    zoom z reads the finest stored level ≤ z, so a box at district zoom adds up a few thousand rows instead
    of grouping a million cases. Rebuilt from the cases by ``wangge.command.cells`` (the periodic step and
    ``wangge map_cells``); ``CaseCellState`` says when. Scope: the case's area code, like the cases."""

    scope_path = "area_code"
    scope_ranged = True

    level = models.PositiveSmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    area_code = models.CharField(max_length=17)
    supervision = models.CharField(max_length=8)
    n = models.PositiveIntegerField()
    s_submitted = models.PositiveIntegerField(default=0)
    s_opened = models.PositiveIntegerField(default=0)
    s_dispatched = models.PositiveIntegerField(default=0)
    s_acknowledged = models.PositiveIntegerField(default=0)
    s_in_progress = models.PositiveIntegerField(default=0)
    s_resolved = models.PositiveIntegerField(default=0)
    s_closed = models.PositiveIntegerField(default=0)
    s_cancelled = models.PositiveIntegerField(default=0)
    s_merged = models.PositiveIntegerField(default=0)
    # Sums of the coordinates of all the row's cases: the cluster is drawn at their centroid.
    sum_lat = models.FloatField()
    sum_lng = models.FloatField()

    class Meta:
        verbose_name = _("地图网格汇总")
        verbose_name_plural = _("地图网格汇总")
        indexes = [models.Index(fields=["level", "cx", "cy"], name="command_casecell_box")]
        constraints = [models.CheckConstraint(condition=Q(n__gt=0), name="command_casecell_n_positive")]

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
            return NEVER
        if not user_can(viewer, "appeals.read"):
            return NEVER
        return scope_for(viewer).range_q(cls.scope_path)

    def __str__(self) -> str:
        return f"L{self.level} {self.cx},{self.cy} {self.area_code} {self.supervision} = {self.n}"


class CaseCellState(models.Model):
    """One row (pk=1): when the cell table was last rebuilt (the map's case counts hold at that time)."""

    built_at = models.DateTimeField(null=True, blank=True)
    cases = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    # The area boundary version (``AreaIndexState``) the grid ↔ layer links were last computed for.
    links_version = models.IntegerField(default=-1)

    class Meta:
        verbose_name = _("地图汇总状态")
        verbose_name_plural = _("地图汇总状态")

    def __str__(self) -> str:
        return f"cells @ {self.built_at:%Y-%m-%d %H:%M}"


class MapLayer(TimeStampedModel):
    """A layer of another network imported from GeoJSON (公安警格, 城管网格…): its features keep their own codes.
    Layers are reference data for the command centre: every staff member with map access sees them."""

    class Kind(models.TextChoices):
        POLICE = "police", _("警格")
        URBAN = "urban", _("城管网格")
        OTHER = "other", _("其他")

    key = models.SlugField(_("图层标识"), max_length=40, unique=True)
    name = models.CharField(_("图层名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.POLICE)
    source = models.CharField(_("来源"), max_length=120, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("外部图层")
        verbose_name_plural = _("外部图层")

    def __str__(self) -> str:
        return self.name


class LayerFeature(models.Model):
    """One polygon of a layer (a police grid) with its own code and name; ``geometry`` is GeoJSON (WGS84)."""

    layer = models.ForeignKey(MapLayer, on_delete=models.CASCADE, related_name="features")
    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=80, blank=True)
    geometry = models.JSONField(_("边界"))
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        ordering = ["layer", "code"]
        verbose_name = _("图层要素")
        verbose_name_plural = _("图层要素")
        constraints = [models.UniqueConstraint(fields=["layer", "code"], name="command_feature_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GridLayerLink(models.Model):
    """Our grid ↔ a feature of another layer it overlaps, with the overlap's share of our grid's area.
    Rebuilt on every import and when grid boundaries change (``layer_links_rebuild``)."""

    feature = models.ForeignKey(LayerFeature, on_delete=models.CASCADE, related_name="links")
    grid_code = models.CharField(max_length=17, db_index=True)
    share = models.FloatField(help_text="overlap area / our grid's area, 0–1")

    class Meta:
        verbose_name = _("网格与外部图层对应")
        verbose_name_plural = _("网格与外部图层对应")
        constraints = [
            models.UniqueConstraint(fields=["feature", "grid_code"], name="command_link_unique"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1.0001), name="command_link_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} ↔ {self.feature_id} ({self.share:.0%})"

"""Service places (服务阵地): 党群服务站, 驿站, 红色物业服务站, 骑手暖"新"驿站.

A ``Place`` stands at a point, serves an area (a community or a grid), keeps opening hours by weekday with
separate holiday hours (the working calendar with 调休 decides which apply), offers services from a catalogue
(``PlaceService``: water, charging, rest, first aid, and 代办 services such as 低保证明) and may take service
requests, which are cases of kind service with the place attached (``PlaceRequest``).

Scope: a place's address and hours are public information, so every signed-in user may read active places
(residents and riders look for the nearest open one anywhere); managing them and reading inactive ones is
limited to the staff of the served area's subtree (action ``manage``).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStampedModel
from wangge.core.scoping import ScopedModel, scope_for


class PlaceService(models.Model):
    """One entry of the service catalogue."""

    class Kind(models.TextChoices):
        AMENITY = "amenity", _("便民服务")
        ERRAND = "errand", _("代办服务")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.AMENITY)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")

    def __str__(self) -> str:
        return self.name


class Place(TimeStampedModel, ScopedModel):
    scope_path = "area__code"

    class Kind(models.TextChoices):
        PARTY_STATION = "party_station", _("党群服务站")
        POST = "post", _("驿站")
        PROPERTY_STATION = "property_station", _("红色物业服务站")
        RIDER_POST = "rider_post", _("骑手暖“新”驿站")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="places"
    )
    lat = models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    capacity = models.PositiveIntegerField(_("容纳人数"), default=0)
    # {"0": [["08:30", "17:30"]], … "6": []}: Monday is "0"; a day missing or empty is closed.
    hours = models.JSONField(_("开放时间"), default=dict, blank=True)
    # Intervals on statutory holidays (rest days of the working calendar that are not plain weekends).
    holiday_hours = models.JSONField(_("节假日开放时间"), default=list, blank=True)
    services = models.ManyToManyField(
        PlaceService, verbose_name=_("服务项目"), blank=True, related_name="places"
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["area__code", "id"]
        verbose_name = _("服务阵地")
        verbose_name_plural = _("服务阵地")
        indexes = [models.Index(fields=["lat", "lng"], name="places_place_latlng_idx")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visible_q(cls, viewer: Any, action: str = "view") -> Q:
        own = scope_for(viewer).q(cls.scope_path)
        if action == "view" and getattr(viewer, "is_authenticated", False):
            return own | Q(active=True)
        return own


class PlaceRequest(TimeStampedModel, ScopedModel):
    """A service request (代办/陪办/上门办) made at a place: the case it became."""

    scope_path = "place__area__code"

    place = models.ForeignKey(
        Place, verbose_name=_("服务阵地"), on_delete=models.PROTECT, related_name="requests"
    )
    service = models.ForeignKey(
        PlaceService, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="requests"
    )
    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="place_request"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("阵地服务申请")
        verbose_name_plural = _("阵地服务申请")


class DutyShift(models.Model):
    """One person on duty at a place for one shift of one day (值班表). Kept in places, not attendance: the roster
    belongs to the place (its page and API show it) and places must not depend on the apps above it.

    Shifts are fixed, non-overlapping slots of the day, so "the same person twice at the same time" is exactly
    "the same person, day and shift": a unique constraint across all places rejects it in the database, whoever
    wins a race. Names only leave the app: never the person's phone."""

    class Shift(models.TextChoices):
        MORNING = "morning", _("上午 08:30–12:00")
        AFTERNOON = "afternoon", _("下午 14:00–17:30")
        EVENING = "evening", _("晚上 18:00–21:00")

    place = models.ForeignKey(
        Place, verbose_name=_("服务阵地"), on_delete=models.CASCADE, related_name="duties"
    )
    user = models.ForeignKey(
        "accounts.User", verbose_name=_("值班人员"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    date = models.DateField(_("值班日期"))
    shift = models.CharField(_("班次"), max_length=10, choices=Shift.choices)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "shift", "id"]
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        constraints = [
            models.UniqueConstraint(fields=["user", "date", "shift"], name="places_duty_one_place_per_shift"),
            models.CheckConstraint(
                condition=Q(shift__in=["morning", "afternoon", "evening"]), name="places_duty_shift_known"
            ),
        ]
        indexes = [models.Index(fields=["place", "date"], name="places_duty_place_date_idx")]

    def __str__(self) -> str:
        return f"{self.place_id} · {self.date} · {self.shift} · {self.user_id}"

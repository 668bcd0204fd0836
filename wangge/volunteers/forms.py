from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Area, Level
from wangge.areas.widgets import AreaChoiceField, MapPointPicker, area_center
from wangge.core.scoping import scope_for

from .models import Activity, Member


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("任务名称"), max_length=100)
    description = forms.CharField(
        label=_("任务内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    area = AreaChoiceField(label=_("社区/网格"))
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    skills = forms.CharField(label=_("所需技能（逗号分隔）"), required=False)
    eligible_kinds = forms.MultipleChoiceField(
        label=_("参与对象（不选为所有人）"),
        choices=Member.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visibility = forms.ChoiceField(label=_("可见范围"), choices=Activity.Visibility.choices)
    # The place on a map (tap, or "use my location"), never typed: hidden WGS84 latitude/longitude.
    lat = forms.FloatField(
        label=_("活动位置"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=MapPointPicker(lng_name="lng"),
    )
    lng = forms.FloatField(
        label=_("经度"), required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    checkin_radius_m = forms.IntegerField(label=_("签到距离限制（米，可空）"), required=False, min_value=10)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.filter(
            scope_for(user).q("code"), level__in=[Level.COMMUNITY, Level.GRID, Level.MICROGRID]
        ).order_by("code")
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["lat"].widget.center = area_center(areas)  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    kind = forms.ChoiceField(label=_("身份"), choices=Member.Kind.choices)
    skills = forms.CharField(label=_("技能（逗号分隔）"), required=False)
    availability = forms.CharField(label=_("可服务时间"), required=False, max_length=120)
    home_community = forms.ModelChoiceField(
        label=_("居住社区（双报到）"),
        queryset=Area.objects.filter(level=Level.COMMUNITY).order_by("code"),
        required=False,
        to_field_name="code",
    )


SCORE_CHOICES = [(str(n), f"{'★' * n} {n}") for n in range(1, 6)]


class BookingRateForm(forms.Form):
    """The resident served rates a finished micro-project booking: 1–5 stars and a comment."""

    score = forms.TypedChoiceField(
        label=_("评分"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择评分"), "invalid_choice": _("评分须为 1 到 5 分")},
    )
    comment = forms.CharField(
        label=_("评价"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("评价不能超过 300 字")},
    )

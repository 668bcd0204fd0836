"""Page forms for the case loop. They only parse input; every rule lives in the services, whose
InvalidInput errors are put back next to the field (see ``views._apply_errors``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Appeal

COORD_SYSTEMS = [("wgs84", "WGS84"), ("gcj02", "GCJ-02")]
YES_NO = [("1", _("已解决")), ("0", _("未解决"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; type and size are checked by the attachment service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=80)
    kind = forms.ChoiceField(label=_("类型"), choices=Appeal.Kind.choices, initial=Appeal.Kind.PROBLEM)
    parent = forms.CharField(label=_("大类"), required=False)
    category = forms.CharField(label=_("小类"), max_length=16)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    address = forms.CharField(label=_("地址（选填）"), max_length=200, required=False)
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    coord_system = forms.ChoiceField(choices=COORD_SYSTEMS, initial="wgs84", widget=forms.HiddenInput)
    anonymous = forms.BooleanField(label=_("对处置人员匿名"), required=False)
    photos = MultipleImageField(label=_("照片"))
    # Staff only: what was said on the phone, in a WeChat group, on patrol or handed over by 12345.
    channel = forms.ChoiceField(
        label=_("来源"),
        required=False,
        choices=[
            ("staff_entry", _("工作人员代录（微信群/电话）")),
            ("patrol", _("网格员巡查")),
            ("hotline_12345", _("12345热线转办")),
        ],
    )
    reporter_name = forms.CharField(label=_("反映人姓名"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("反映人电话"), max_length=20, required=False)
    external_ref = forms.CharField(label=_("热线工单号"), max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lat", _("请同时提供纬度和经度"))
        return data


class NoteForm(forms.Form):
    """acknowledge, start, accept, urge, report-in, close: an optional note."""

    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class ReasonForm(forms.Form):
    """cancel, return: a reason is required."""

    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DispatchForm(forms.Form):
    lead = forms.CharField(label=_("主办"), help_text=_("单位或人员"))
    co_units = forms.MultipleChoiceField(label=_("协办单位"), required=False, choices=[])
    note = forms.CharField(label=_("派遣说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self,
        *args: Any,
        lead_choices: Sequence[tuple[str, str]] = (),
        unit_choices: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"] = forms.ChoiceField(label=_("主办"), choices=list(lead_choices))
        self.fields["co_units"].choices = list(unit_choices)  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    photos = MultipleImageField(label=_("办结照片"))


class CheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("核查结果"),
        choices=[("1", _("通过")), ("0", _("不通过（返工）"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("核查说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    photos = MultipleImageField(label=_("核查照片"))


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Appeal.Rating.choices, widget=forms.RadioSelect
    )
    solved = forms.TypedChoiceField(
        label=_("问题是否解决"), choices=YES_NO, coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("评价内容"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )


class WhistleForm(forms.Form):
    reason = forms.CharField(label=_("吹哨事由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    units = forms.MultipleChoiceField(label=_("召集部门"), required=False, choices=[])
    up_level = forms.BooleanField(label=_("同时召集上一级"), required=False)

    def __init__(self, *args: Any, unit_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = list(unit_choices)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("units") and not data.get("up_level"):
            self.add_error("units", _("请选择至少一个召集对象"))
        return data


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("合并到诉求编号"), min_value=1)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class UrgeForm(forms.Form):
    note = forms.CharField(label=_("督办意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    level = forms.ChoiceField(
        label=_("督办等级"),
        required=False,
        choices=[("", _("不变")), ("yellow", _("黄牌督办")), ("red", _("红牌督办"))],
    )


class ExtendForm(forms.Form):
    amount = forms.FloatField(label=_("延期时长"), min_value=0.5)
    unit = forms.ChoiceField(
        label=_("单位"),
        choices=[
            ("working_days", _("工作日")),
            ("working_hours", _("工作小时")),
            ("clock_hours", _("自然小时")),
        ],
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DecideForm(forms.Form):
    """A supervisor approves or rejects a pending extension/hold."""

    decision = forms.ChoiceField(
        label=_("审批"), choices=[("approve", _("批准")), ("reject", _("驳回"))], widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

"""Page forms. They only parse; the services validate and decide. ``apply`` turns a service error into
errors on the named fields, so every message shows next to its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.errors import ServiceError

from .models import Attendance, Dispute, FollowUp, Mediator, Party

T = TypeVar("T")

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply(form: forms.Form, fn: Callable[[], T], aliases: dict[str, str] | None = None) -> T | None:
    """Run ``fn`` (one service call); on a service error put each message on its field and return None."""
    try:
        return fn()
    except ServiceError as exc:
        for e in exc.errors or [{"field": "", "message": exc.detail}]:
            field = (aliases or {}).get(e["field"], e["field"])
            form.add_error(field if field in form.fields else None, e["message"])
        return None


class ProposalForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("范围"),
        choices=[("grid", _("本网格（小事网格议）")), ("community", _("全社区（大事社区议）"))],
    )
    title = forms.CharField(label=_("标题"), max_length=80, required=False)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class SignInForm(forms.Form):
    mode = forms.ChoiceField(label=_("方式"), choices=Attendance.Mode.choices, initial="in_person")
    code = forms.CharField(
        label=_("签到码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CouncilForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, required=False)
    area = forms.ChoiceField(label=_("区域"))
    proposal_threshold = forms.IntegerField(label=_("提议列入议程所需支持数"), min_value=1, initial=20)


class MemberForm(forms.Form):
    user = forms.ChoiceField(label=_("成员"))
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[("member", _("成员")), ("convenor", _("召集人")), ("secretary", _("记录员"))],
    )
    note = forms.CharField(label=_("身份说明"), max_length=60, required=False)


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议名称"), max_length=120, required=False)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    online_url = forms.CharField(label=_("线上会议链接"), max_length=300, required=False)


class AgendaForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=120, required=False)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    appeal_id = forms.IntegerField(label=_("关联诉求编号"), required=False)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 5}), required=False)


class ResolutionForm(forms.Form):
    agenda_item = forms.ChoiceField(label=_("议题"), required=False)
    text = forms.CharField(label=_("决议内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    votes_for = forms.IntegerField(label=_("赞成"), required=False, min_value=0)
    votes_against = forms.IntegerField(label=_("反对"), required=False, min_value=0)
    votes_abstain = forms.IntegerField(label=_("弃权"), required=False, min_value=0)


class ToCaseForm(forms.Form):
    category = forms.ChoiceField(label=_("诉求小类"))
    description = forms.CharField(
        label=_("诉求描述"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FollowUpForm(forms.Form):
    owner = forms.ChoiceField(label=_("责任人"))
    due_on = forms.DateField(label=_("完成期限"), widget=DATE, required=False)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class FollowUpUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("进度"), choices=FollowUp.State.choices)
    note = forms.CharField(label=_("进展说明"), max_length=500, required=False)


class ConventionForm(forms.Form):
    council = forms.ChoiceField(label=_("提出议事会"))
    title = forms.CharField(label=_("公约名称"), max_length=100, required=False)
    text = forms.CharField(label=_("条文"), widget=forms.Textarea(attrs={"rows": 8}), required=False)


class ReviseForm(forms.Form):
    text = forms.CharField(label=_("条文"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)


class AdoptForm(forms.Form):
    resolution = forms.ChoiceField(label=_("通过决议"), required=False)


class DisputeForm(forms.Form):
    area = forms.ChoiceField(label=_("网格"))
    kind = forms.ChoiceField(label=_("纠纷类型"), choices=Dispute.Kind.choices)
    matter = forms.CharField(label=_("纠纷事项"), max_length=120, required=False)
    description = forms.CharField(label=_("情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    applicant_name = forms.CharField(label=_("申请方姓名"), max_length=100, required=False)
    applicant_phone = forms.CharField(label=_("申请方电话"), max_length=20, required=False)
    respondent_kind = forms.ChoiceField(label=_("被申请方类型"), choices=Party.Kind.choices)
    respondent_name = forms.CharField(label=_("被申请方姓名/名称"), max_length=100, required=False)
    respondent_phone = forms.CharField(label=_("被申请方电话"), max_length=20, required=False)

    ALIASES = {
        "parties.0.name": "applicant_name",
        "parties.0.phone": "applicant_phone",
        "parties.1.name": "respondent_name",
        "parties.1.phone": "respondent_phone",
    }


class MediatorForm(forms.Form):
    kind = forms.ChoiceField(label=_("调解力量"), choices=Mediator.Kind.choices)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    lead = forms.BooleanField(label=_("主调解人"), required=False)


class SessionForm(forms.Form):
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    notes = forms.CharField(label=_("调解记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("调解结果"), choices=[c for c in Dispute.Outcome.choices if c[0]])
    terms = forms.CharField(label=_("协议内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    referred_to = forms.CharField(label=_("转交单位"), max_length=100, required=False)


class VisitForm(forms.Form):
    note = forms.CharField(label=_("回访情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    kept = forms.BooleanField(label=_("协议履行/关系稳定"), required=False, initial=True)


def bound(form_class: type[forms.Form], request: Any, action: str, **kwargs: Any) -> forms.Form:
    """The form bound to this POST when it is the one submitted (``action``), else unbound."""
    if request.method == "POST" and request.POST.get("action") == action:
        return form_class(request.POST, **kwargs)
    return form_class(**kwargs)

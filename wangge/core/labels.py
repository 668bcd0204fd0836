"""The user's words for a field: ``field_label("code")`` → "签到码".

Services name a bad field by its machine name (``InvalidInput.field("hours", ...)``) because API clients match
on it; people read its label. The label comes from, in order:

1. ``FIELD_LABELS`` below (names shared by several apps, and names that are not model fields);
2. the ``verbose_name`` of a model field of that name (``foo_id`` → ``foo``), when every model that has such a
   field agrees on it (looked up through Django's app registry, so core imports no app);
3. the name itself (a test keeps every literal name used in ``InvalidInput.field`` out of this case).

A dotted path (``parties.0.name``) reads as its label parts: "当事人 第1项 姓名".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELD_LABELS: dict[str, Any] = {
    # Shared names, and names of inputs that are not model fields.
    "accuracy_m": gettext_lazy("定位精度"),
    # the one map and the exports
    "bbox": gettext_lazy("地图范围"),
    "zoom": gettext_lazy("缩放级别"),
    "geojson": gettext_lazy("图层文件"),
    "date_from": gettext_lazy("开始日期"),
    "date_to": gettext_lazy("结束日期"),
    "fmt": gettext_lazy("格式"),
    # attendance and duty rosters
    "date": gettext_lazy("日期"),
    "starts_on": gettext_lazy("开始日期"),
    "ends_on": gettext_lazy("结束日期"),
    "location": gettext_lazy("位置"),
    "month": gettext_lazy("月份"),
    "limit": gettext_lazy("每页条数"),
    "area_code": gettext_lazy("区域编码"),
    "consent": gettext_lazy("隐私告知同意"),
    "invite": gettext_lazy("邀请码"),
    "member_id": gettext_lazy("报到党员"),
    "milestone_id": gettext_lazy("项目节点"),
    "milestones": gettext_lazy("项目节点"),
    "since": gettext_lazy("起始日期"),
    "notes": gettext_lazy("备注"),
    "to": gettext_lazy("结束日期"),
    "period": gettext_lazy("周期"),
    "items": gettext_lazy("考评项"),
    "floor": gettext_lazy("零分值"),
    "action": gettext_lazy("操作"),
    "add": gettext_lazy("补充数量"),
    "address": gettext_lazy("地址"),
    "agenda_item": gettext_lazy("议题"),
    "amount": gettext_lazy("金额"),
    "answers": gettext_lazy("答案"),
    "appeal": gettext_lazy("诉求"),
    "area": gettext_lazy("区域"),
    "by": gettext_lazy("统计维度"),
    "attachment_ids": gettext_lazy("照片"),
    "backup": gettext_lazy("备岗志愿者"),
    "beneficiary": gettext_lazy("心愿人"),
    "body": gettext_lazy("内容"),
    "boundary": gettext_lazy("边界"),
    "building": gettext_lazy("楼栋"),
    "capacity": gettext_lazy("人数上限"),
    "care_kind": gettext_lazy("帮扶类别"),
    "categories": gettext_lazy("类别"),
    "category": gettext_lazy("类别"),
    "channel": gettext_lazy("渠道"),
    "channels": gettext_lazy("通知渠道"),
    "checklist": gettext_lazy("检查项"),
    "choice": gettext_lazy("选项"),
    "client_id": gettext_lazy("客户端编号"),
    "closes_at": gettext_lazy("截止时间"),
    "code": gettext_lazy("签到码"),
    "comment": gettext_lazy("评价"),
    "community": gettext_lazy("社区"),
    "company": gettext_lazy("物业公司"),
    "coord_system": gettext_lazy("坐标系"),
    "council": gettext_lazy("议事会"),
    "deadline": gettext_lazy("期限"),
    "description": gettext_lazy("描述"),
    "due_on": gettext_lazy("到期日"),
    "duration_minutes": gettext_lazy("时长"),
    "eligible_kinds": gettext_lazy("可报名对象"),
    "ends_at": gettext_lazy("结束时间"),
    "entrance": gettext_lazy("单元"),
    "estimated_value": gettext_lazy("估值"),
    "external_ref": gettext_lazy("外部编号"),
    "field": gettext_lazy("字段"),
    "file": gettext_lazy("文件"),
    "from": gettext_lazy("开始日期"),
    "group": gettext_lazy("分组"),
    "held_at": gettext_lazy("召开时间"),
    "home_community": gettext_lazy("所在社区"),
    "hours": gettext_lazy("核定时长"),
    "household": gettext_lazy("户"),
    "id_number": gettext_lazy("身份证号"),
    "into": gettext_lazy("并入的诉求编号"),
    "kind": gettext_lazy("类型"),
    "lat": gettext_lazy("位置"),
    "lead": gettext_lazy("主办"),
    "lead_user": gettext_lazy("处置人"),
    "lead_unit": gettext_lazy("主办单位"),
    "level": gettext_lazy("层级"),
    "levels": gettext_lazy("层级"),
    "lng": gettext_lazy("位置"),
    "matter": gettext_lazy("事项"),
    "members": gettext_lazy("成员"),
    "minutes": gettext_lazy("时长（分钟）"),
    "mode": gettext_lazy("方式"),
    "months": gettext_lazy("月份"),
    "rate": gettext_lazy("指标"),
    "must_consent": gettext_lazy("须征得同意"),
    "name": gettext_lazy("名称"),
    "next_level": gettext_lazy("上一级"),
    "note": gettext_lazy("备注"),
    "organiser_unit": gettext_lazy("组织单位"),
    "outcome": gettext_lazy("结果"),
    "overlap_days": gettext_lazy("共同帮扶天数"),
    "owner": gettext_lazy("业主"),
    "parent": gettext_lazy("上级"),
    "parties": gettext_lazy("当事人"),
    "per": gettext_lazy("单位"),
    "phone": gettext_lazy("电话"),
    "photo": gettext_lazy("照片"),
    "photos": gettext_lazy("照片"),
    "place": gettext_lazy("地点"),
    "points": gettext_lazy("积分"),
    "project": gettext_lazy("项目"),
    "proposal_threshold": gettext_lazy("联名门槛"),
    "public_category": gettext_lazy("公开类别"),
    "public_title": gettext_lazy("公开标题"),
    "purpose": gettext_lazy("用途"),
    "quantity": gettext_lazy("数量"),
    "questions": gettext_lazy("题目"),
    "reason": gettext_lazy("原因"),
    "reply": gettext_lazy("回复"),
    "reporter_phone": gettext_lazy("联系电话"),
    "resident": gettext_lazy("居民"),
    "resolution": gettext_lazy("决议"),
    "role": gettext_lazy("角色"),
    "rule_set": gettext_lazy("表决规则"),
    "satisfaction": gettext_lazy("满意度"),
    "scope": gettext_lazy("范围"),
    "score": gettext_lazy("评分"),
    "scores": gettext_lazy("评分"),
    "season": gettext_lazy("心愿季"),
    "side": gettext_lazy("立场"),
    "source": gettext_lazy("来源"),
    "source_key": gettext_lazy("积分来源"),
    "starts_at": gettext_lazy("开始时间"),
    "state": gettext_lazy("状态"),
    "status": gettext_lazy("状态"),
    "stock": gettext_lazy("库存"),
    "tags": gettext_lazy("标签"),
    "target": gettext_lazy("对象"),
    "text": gettext_lazy("内容"),
    "thresholds": gettext_lazy("通过门槛"),
    "time_limit_hours": gettext_lazy("时限（小时）"),
    "title": gettext_lazy("标题"),
    "to_volunteer": gettext_lazy("接任志愿者"),
    "unit": gettext_lazy("单位"),
    "units": gettext_lazy("单位"),
    "user": gettext_lazy("账号"),
    "visibility": gettext_lazy("公开范围"),
    "visit_every_days": gettext_lazy("走访频次（天）"),
    "visited_at": gettext_lazy("走访时间"),
    "volunteer": gettext_lazy("志愿者"),
    "voter": gettext_lazy("投票人"),
}

_CJK = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _model_labels() -> dict[str, str]:
    """Field name → verbose_name over every installed model, keeping only the names all models agree on and
    whose verbose_name is a real label (Chinese), not Django's default made from the name."""
    from django.apps import apps

    seen: dict[str, set[str]] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            verbose = getattr(f, "verbose_name", None)
            if not verbose or not _CJK.search(str(verbose)):
                continue
            seen.setdefault(f.name, set()).add(str(verbose))
    return {name: next(iter(v)) for name, v in seen.items() if len(v) == 1}


def _one(name: str) -> str | None:
    for candidate in (name, name.removesuffix("_id"), name.removesuffix("_ids")):
        if candidate in FIELD_LABELS:
            return str(FIELD_LABELS[candidate])
        label = _model_labels().get(candidate)
        if label:
            return _(label)
    return None


def field_label(name: str) -> str:
    """The label people know the field by; "" for the whole request."""
    if not name:
        return ""
    whole = _one(name)
    if whole:
        return whole
    parts = []
    for part in name.split("."):
        if part.isdigit():
            parts.append(_("第%(n)s项") % {"n": int(part) + 1})
        else:
            parts.append(_one(part) or part)
    return " ".join(parts)


def has_label(name: str) -> bool:
    """True when ``field_label(name)`` is a word people read (a test checks every literal name has one)."""
    return bool(_CJK.search(field_label(name)))

"""Corrections to the registry made where it changes (a phone page, an offline phone, the API): one use case
per function, each recording a ``RegistryChange`` with masked before/after.

A change names its target (a resident or a household), a ``kind`` with its ``data`` and the ``base_version``
of the target it was made against:

- ``base_version`` differs from the target's ``version`` → stored as ``conflict``, nothing applied, until the
  author or the community settles it (apply anyway / discard). Never a silent overwrite.
- it touches a field listed in ``WANGGE_REGISTRY_APPROVAL_FIELDS`` (default: the ID number and every tag
  flagged sensitive) and the author may not approve (a grid worker) → ``pending`` until the community
  approves (applied) or rejects it; the pattern of ODK's approval-required entities.
- otherwise it is ``applied`` at once through the registry's own services (same validation as the API and
  the import) and the target's version goes up by one.

The same ``client_id`` from the same author is taken once (a unique constraint decides, also under
concurrent re-sends). Kinds and their data are documented in ``docs/registry-changes.md`` (``KINDS`` below).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.core.scoping import get_visible_or_404
from wangge.core.transactions import batch, use_case

from . import services
from .models import Household, RegistryChange, Resident, Tag, Tagging

Kind = RegistryChange.Kind
Status = RegistryChange.Status

# Which kinds each target takes.
KINDS: dict[str, set[str]] = {
    "resident": {Kind.PHONE, Kind.ID_NUMBER, Kind.NAME, Kind.TAGS, Kind.MOVE_IN, Kind.MOVE_OUT, Kind.DEATH},
    "household": {Kind.TAGS, Kind.MOVE_OUT, Kind.ADD_RESIDENT},
}
RESIDENT_CREATE_FIELDS = (
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "relation",
    "residence_type",
    "political_status",
)

# The Chinese label of each field an error may name (the API and the pages show it).
LABELS = {
    "client_id": "客户端编号",
    "target": "对象",
    "target_id": "对象编号",
    "kind": "变更类型",
    "base_version": "基于版本",
    "action": "处理方式",
    "reason": "说明",
    "name": "姓名",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "relation": "与户主关系",
    "residence_type": "居住类型",
    "political_status": "政治面貌",
    "tags": "标签",
    "date": "日期",
    "note": "说明",
    "household_id": "迁入户",
    "number": "户编号",
    "house": "房屋",
}
TOP_LEVEL = frozenset({"client_id", "target", "target_id", "kind", "base_version", "action", "reason"})


def approval_fields() -> set[str]:
    """What needs the community's approval when a grid worker changes it: field names, ``tag:<code>``, and
    ``sensitive_tags`` standing for every tag flagged sensitive in the catalogue."""
    conf = set(getattr(settings, "WANGGE_REGISTRY_APPROVAL_FIELDS", ["id_number", "sensitive_tags"]))
    if "sensitive_tags" in conf:
        conf |= {f"tag:{c}" for c in Tag.objects.filter(sensitive=True).values_list("code", flat=True)}
    return conf


def needs_approval(by: Any, touched: set[str]) -> bool:
    return not user_can(by, "registry.approve") and bool(touched & approval_fields())


def labelled(exc: InvalidInput, *, data_prefix: bool = True) -> InvalidInput:
    """The same error with each field's Chinese label in the message and the detail (``data.`` prefixed
    for the fields of a change's ``data``)."""
    errors = []
    for e in exc.errors or [{"field": "", "message": exc.detail}]:
        field = str(e.get("field") or "")
        label = LABELS.get(field, field)
        path = f"data.{field}" if data_prefix and field and field not in TOP_LEVEL else field
        errors.append({"field": path, "label": label, "message": e["message"]})
    detail = "；".join(f"{e['label']}：{e['message']}" if e["label"] else e["message"] for e in errors)
    return InvalidInput(detail, errors)


# --- reading the target -------------------------------------------------------------------------------


def tag_codes(obj: Household | Resident) -> list[str]:
    tokens = set(Tagging.objects.filter(**{type(obj).__name__.lower(): obj}).values_list("token", flat=True))
    return sorted(c for c in Tag.objects.values_list("code", flat=True) if pii.tag_token(c) in tokens)


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def values_of(obj: Household | Resident, code_of: dict[str, str] | None = None) -> dict[str, Any]:
    """The target's current values, masked (the before/current of a change). With ``code_of`` (token →
    tag code) the tags come from prefetched ``taggings`` and a household's count from ``active_residents``."""
    if code_of is not None:
        tags = sorted(code_of[t.token] for t in obj.taggings.all() if t.token in code_of)
    else:
        tags = tag_codes(obj)
    if isinstance(obj, Resident):
        return {
            "name": obj.name,
            "id_number": pii.mask_id_number(obj.id_number),
            "phone": pii.mask_phone(obj.phone),
            "gender": obj.gender,
            "birth_date": _iso(obj.birth_date),
            "relation": obj.relation,
            "household": obj.household_id,
            "active": obj.active,
            "left_on": _iso(obj.left_on),
            "left_reason": obj.left_reason,
            "tags": tags,
            "version": obj.version,
        }
    return {
        "number": obj.number,
        "house": obj.house_id,
        "active": obj.active,
        "residents": getattr(obj, "active_residents", None)
        if code_of is not None
        else obj.residents.filter(active=True).count(),
        "tags": tags,
        "version": obj.version,
    }


# The fields of ``values_of`` each kind shows in before/after.
SHOWN: dict[str, list[str]] = {
    Kind.PHONE: ["phone"],
    Kind.ID_NUMBER: ["id_number", "gender", "birth_date"],
    Kind.NAME: ["name"],
    Kind.TAGS: ["tags"],
    Kind.MOVE_IN: ["household", "relation", "active", "left_on", "left_reason"],
    Kind.MOVE_OUT: ["active", "left_on", "left_reason", "residents"],
    Kind.DEATH: ["active", "left_on", "left_reason"],
    Kind.ADD_RESIDENT: ["residents"],
}


def shown(kind: str, values: dict[str, Any], payload: dict[str, Any] | None = None) -> dict[str, Any]:
    keys = SHOWN.get(kind) or [k for k in (payload or {}) if not k.startswith("_")]
    return {k: values[k] for k in keys if k in values}


def _proposed(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the change would make the target look like, masked."""
    out: dict[str, Any] = {}
    for k, v in payload.items():
        if k.startswith("_") or k == "note":
            continue
        if k == "id_number":
            out[k] = pii.mask_id_number(v)
        elif k == "phone":
            out[k] = pii.mask_phone(v)
        elif k == "household_id":
            out["household"] = v
        elif k == "date":
            out["left_on" if kind in (Kind.MOVE_OUT, Kind.DEATH) else "date"] = v
        else:
            out[k] = v
    if kind in (Kind.MOVE_OUT, Kind.DEATH):
        out.update(active=False, left_reason="deceased" if kind == Kind.DEATH else "moved_out")
    if kind == Kind.MOVE_IN:
        out["active"] = True
    return out


# --- validation ---------------------------------------------------------------------------------------


def _date(raw: Any, *, required: bool = False) -> str:
    if raw in (None, ""):
        if required:
            raise InvalidInput.field("date", "请填写日期")
        return timezone.localdate().isoformat()
    try:
        day = dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise InvalidInput.field("date", "日期格式须为 YYYY-MM-DD") from None
    if day > timezone.localdate():
        raise InvalidInput.field("date", "日期不能晚于今天")
    if day.year < 1900:
        raise InvalidInput.field("date", "日期须在1900年以后")
    return day.isoformat()


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput.field(key, "须为文字")
    value = value.strip()
    if required and not value:
        raise InvalidInput.field(key, "必填")
    if len(value) > limit:
        raise InvalidInput.field(key, f"不能超过{limit}个字")
    from .text import control_char_problem

    problem = control_char_problem(value, one_line=key != "note")
    if problem:
        raise InvalidInput.field(key, problem)
    return value


def _codes(data: dict[str, Any], target: str) -> list[str]:
    raw = data.get("tags")
    if not isinstance(raw, list) or not all(isinstance(c, str) and len(c) <= 40 for c in raw):
        raise InvalidInput.field("tags", "须为标签代码的列表")
    if len(raw) > 50:
        raise InvalidInput.field("tags", "标签过多")
    services._resolve_tags(raw, target=target)  # unknown codes, tags for the other target: named
    return sorted(set(raw))


def validate(
    kind: str, obj: Household | Resident, data: dict[str, Any], by: Any, *, now: bool = True
) -> dict[str, Any]:
    """The normalised payload of a change, checked with the registry's own validators; InvalidInput names
    the field. Nothing is written. ``now``: it is to be applied now (a stale one is checked for its form only:
    whether it still makes sense is for whoever settles the conflict)."""
    if not isinstance(data, dict):
        raise InvalidInput.field("data", "须为对象")
    if kind == Kind.PHONE:
        phone = pii.normalise(_text(data, "phone", 20))
        if phone and (reason := pii.validate_phone(phone)):
            raise InvalidInput.field("phone", reason)
        return {"phone": phone}
    if kind == Kind.ID_NUMBER:
        raw = _text(data, "id_number", 30, required=True)
        number, _, _, problems = services.check_identity(id_number=raw, gender=None, birth_date=None)
        services._raise(problems)
        return {"id_number": number}
    if kind == Kind.NAME:
        return {"name": _text(data, "name", 50, required=True)}
    if kind == Kind.TAGS:
        codes = _codes(data, "resident" if isinstance(obj, Resident) else "household")
        return {"tags": codes, "_base_tags": tag_codes(obj)}
    if kind in (Kind.MOVE_OUT, Kind.DEATH):
        if now and not obj.active:
            raise InvalidInput.field("kind", "已不在册（在住），无需再登记")
        return {
            "date": _date(data.get("date"), required=kind == Kind.DEATH),
            "note": _text(data, "note", 200),
        }
    if kind == Kind.MOVE_IN:
        assert isinstance(obj, Resident)
        hid = data.get("household_id")
        if not isinstance(hid, int) or isinstance(hid, bool) or not 0 < hid < 2**63:
            raise InvalidInput.field("household_id", "请选择迁入的户")
        household = Household.objects.visible_to(by, "change").filter(pk=hid, active=True).first()
        if household is None:
            raise InvalidInput.field("household_id", "该户不存在、已迁出或不在您的管辖范围内")
        if now and obj.active and obj.household_id == hid:
            raise InvalidInput.field("household_id", "该居民已在此户")
        relation = _text(data, "relation", 12) or Resident.Relation.OTHER
        if relation not in Resident.Relation.values:
            raise InvalidInput.field("relation", "与户主关系无效")
        return {"household_id": hid, "relation": relation, "date": _date(data.get("date"))}
    if kind == Kind.ADD_RESIDENT:
        if now and not obj.active:
            raise InvalidInput.field("kind", "该户已迁出")
        out: dict[str, Any] = {}
        limits = {"name": 50, "id_number": 30, "phone": 20, "birth_date": 10}
        for key in RESIDENT_CREATE_FIELDS:
            out[key] = _text(data, key, limits.get(key, 16), required=key == "name")
        number, gender, birth, problems = services.check_identity(
            id_number=out["id_number"], gender=out["gender"] or None, birth_date=_birth(out["birth_date"])
        )
        if out["phone"]:
            out["phone"] = pii.normalise(out["phone"])
            if reason := pii.validate_phone(out["phone"]):
                problems.append(("phone", reason))
        for key, choices in (
            ("gender", Resident.Gender),
            ("relation", Resident.Relation),
            ("residence_type", Resident.ResidenceType),
            ("political_status", Resident.Political),
        ):
            if out[key] and out[key] not in choices.values:
                problems.append((key, "可选值：" + "/".join(str(c.label) for c in choices)))
        if not (gender or out["gender"]):
            problems.append(("gender", "请选择性别（或填写身份证号）"))
        services._raise(problems)
        if number and Resident.objects.filter(id_hash=pii.id_hash(number)).exists():
            raise InvalidInput.field("id_number", "该身份证号已登记")
        out.update(id_number=number, gender=gender or out["gender"], birth_date=_iso(birth) or "")
        out["tags"] = _codes(data, "resident") if data.get("tags") else []
        return {k: v for k, v in out.items() if v not in ("", None) or k == "tags"}
    raise InvalidInput.field("kind", "变更类型无效")


def _birth(raw: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.field("birth_date", "日期格式须为 YYYY-MM-DD") from None


def touched(kind: str, payload: dict[str, Any]) -> set[str]:
    """What a change touches, in the terms of ``approval_fields``."""
    if kind == Kind.TAGS:
        return {f"tag:{c}" for c in set(payload["tags"]) ^ set(payload.get("_base_tags", []))}
    if kind == Kind.ADD_RESIDENT:
        return {f"tag:{c}" for c in payload.get("tags", [])}
    if kind in (Kind.MOVE_IN, Kind.MOVE_OUT, Kind.DEATH):
        return {str(kind)}
    return {k for k in payload if not k.startswith("_")}


# --- applying -----------------------------------------------------------------------------------------


def _lock(target: str, pk: int, by: Any, action: str = "change") -> Household | Resident:
    model = Resident if target == "resident" else Household
    related = "household__house__building__area" if target == "resident" else "house__building__area"
    qs = model.objects.select_for_update().select_related(related)  # type: ignore[attr-defined]
    return get_visible_or_404(qs, by, action, pk=pk)  # type: ignore[no-any-return]


def _leave(resident: Resident, *, reason: str, day: str, by: Any) -> None:
    """The residence ends: the resident stays on record (inactive, with when and why); the household too
    when nobody is left in it."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if not resident.active:
        raise Conflict("该居民已不在册", state="inactive")
    services.check_write(by, resident.household.house.building.area)
    Resident.objects.filter(pk=resident.pk).update(active=False, left_on=day, left_reason=reason)
    services.bump_version(resident)
    audit("update", resident, by=by, changes={"active": [True, False], "left_reason": reason, "left_on": day})
    household = resident.household
    if household.active and not household.residents.filter(active=True).exists():
        Household.objects.filter(pk=household.pk).update(active=False)
        services.bump_version(household)
        audit("update", household, by=by, changes={"active": [True, False]}, note="户内已无在册居民")
    services.household_changed(household, reason)


def _household_leave(household: Household, *, day: str, by: Any) -> None:
    if not Household.objects.filter(pk=household.pk, active=True).exists():
        raise Conflict("该户已迁出", state="inactive")
    services.check_write(by, household.house.building.area)
    for resident in household.residents.filter(active=True):
        Resident.objects.filter(pk=resident.pk).update(active=False, left_on=day, left_reason="moved_out")
        services.bump_version(resident)
    Household.objects.filter(pk=household.pk).update(active=False)
    services.bump_version(household)
    audit("update", household, by=by, changes={"active": [True, False], "left_on": day})
    services.household_changed(household, "moved_out")


def _move_in(resident: Resident, payload: dict[str, Any], by: Any) -> None:
    target = (
        Household.objects.visible_to(by, "change").filter(pk=payload["household_id"], active=True).first()
    )
    if target is None:
        raise InvalidInput.field("household_id", "该户不存在、已迁出或不在您的管辖范围内")
    old = resident.household
    services.check_write(by, target.house.building.area)
    Resident.objects.filter(pk=resident.pk).update(
        household=target, active=True, left_on=None, left_reason="", relation=payload["relation"]
    )
    services.bump_version(resident)
    audit("update", resident, by=by, changes={"household_id": [old.pk, target.pk], "active": True})
    if old.pk != target.pk:
        services.household_changed(old, "moved_out")
    services.household_changed(target, "moved_in")


def _apply(change: RegistryChange, obj: Any, payload: dict[str, Any], by: Any, *, merge_tags: bool) -> Any:
    """Apply ``payload`` to ``obj`` through the registry's services; returns the object whose values are
    the change's ``after`` (a new resident for ``add_resident``)."""
    kind = change.kind
    with batch():
        if kind in (Kind.PHONE, Kind.NAME):
            services.resident_update(resident=obj, by=by, **{kind: payload[kind]})
        elif kind == Kind.ID_NUMBER:
            # The ID number decides gender and birth date (GB 11643): they follow the corrected number.
            services.resident_update(
                resident=obj, by=by, id_number=payload["id_number"], gender="", birth_date=None
            )
        elif kind == Kind.TAGS:
            codes = set(payload["tags"])
            if merge_tags:  # approving later: the proposed difference, on top of what is there now
                base = set(payload.get("_base_tags", []))
                codes = (set(tag_codes(obj)) - (base - codes)) | (codes - base)
            if isinstance(obj, Resident):
                services.resident_update(resident=obj, by=by, tags=sorted(codes))
            else:
                services.household_update(household=obj, by=by, tags=sorted(codes))
        elif kind == Kind.MOVE_OUT and isinstance(obj, Household):
            _household_leave(obj, day=payload["date"], by=by)
        elif kind in (Kind.MOVE_OUT, Kind.DEATH):
            reason = "deceased" if kind == Kind.DEATH else "moved_out"
            _leave(obj, reason=reason, day=payload["date"], by=by)
        elif kind == Kind.MOVE_IN:
            _move_in(obj, payload, by)
        elif kind == Kind.ADD_RESIDENT:
            fields = {k: v for k, v in payload.items() if k in RESIDENT_CREATE_FIELDS}
            if fields.get("birth_date"):
                fields["birth_date"] = dt.date.fromisoformat(fields["birth_date"])
            resident = services.resident_create(
                household=obj, by=by, tags=payload.get("tags") or [], **fields
            )
            change.resident = resident
            return resident
        elif kind == Kind.EDIT:
            fields = {k: v for k, v in payload.items() if not k.startswith("_")}
            if isinstance(obj, Resident):
                hid = fields.pop("household", None)
                move = Household.objects.get(pk=hid) if hid else None
                services.resident_update(resident=obj, by=by, household=move, **fields)
            else:
                services.household_update(household=obj, by=by, **fields)
        else:  # pragma: no cover - kinds are checked on the way in
            raise InvalidInput.field("kind", "变更类型无效")
    obj.refresh_from_db()
    return obj


def _finish_applied(change: RegistryChange, obj: Any, payload: dict[str, Any], by: Any, merge: bool) -> None:
    result = _apply(change, obj, payload, by, merge_tags=merge)
    if change.kind == Kind.ADD_RESIDENT:
        obj.refresh_from_db()
        change.after = _dump(
            {**shown(change.kind, values_of(obj)), "resident": result.pk, "name": result.name}
        )
        change.version_after = obj.version
    else:
        change.after = _dump(shown(change.kind, values_of(result), payload))
        change.version_after = result.version
    change.status = Status.APPLIED
    change.payload = ""  # full values are not kept once applied


def _dump(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)


def load(text: str) -> dict[str, Any]:
    return json.loads(text) if text else {}


# --- use cases ----------------------------------------------------------------------------------------


def _check_client_id(client_id: Any) -> str:
    client_id = (client_id or "").strip() if isinstance(client_id, str) else ""
    if not client_id or len(client_id) > 64:
        raise labelled(InvalidInput.field("client_id", "须为1到64个字符"))
    return client_id


def change_submit(
    *,
    by: Any,
    client_id: str,
    target: str,
    target_id: int,
    kind: str,
    base_version: int,
    data: dict[str, Any],
) -> tuple[RegistryChange, bool]:
    """Take one change; returns ``(change, created)``. The same ``client_id`` from the same author returns
    the stored change (created False), also when re-sent concurrently: the unique constraint decides."""
    if not user_can(by, "registry.write"):
        raise Forbidden("无权维护人房信息")
    client_id = _check_client_id(client_id)
    existing = RegistryChange.objects.filter(author=by, client_id=client_id).first()
    if existing is not None:
        return existing, False
    if target not in KINDS:
        raise labelled(InvalidInput.field("target", "须为 resident 或 household"))
    if kind not in KINDS[target]:
        raise labelled(InvalidInput.field("kind", "可选值：" + "、".join(sorted(KINDS[target]))))
    try:
        change = _submit(
            by=by,
            client_id=client_id,
            target=target,
            target_id=target_id,
            kind=kind,
            base_version=base_version,
            data=data,
        )
    except IntegrityError:
        existing = RegistryChange.objects.filter(author=by, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return change, True


@use_case
def _submit(
    *,
    by: Any,
    client_id: str | None,
    target: str,
    target_id: int,
    kind: str,
    base_version: int | None,
    data: dict[str, Any],
) -> RegistryChange:
    obj = _lock(target, target_id, by)
    stale = base_version is not None and base_version != obj.version
    try:
        payload = validate(kind, obj, data, by, now=not stale)
    except InvalidInput as exc:
        raise labelled(exc) from exc
    household = obj if isinstance(obj, Household) else obj.household
    # The row first: a concurrent re-send of the same client id stops here on the unique constraint.
    change = RegistryChange.objects.create(
        author=by,
        client_id=client_id,
        kind=kind,
        target=target,
        household=household,
        resident=obj if isinstance(obj, Resident) else None,
        area_code=household.house.building.area.code,
        status=Status.APPLIED,
        base_version=base_version,
    )
    current = values_of(obj)
    before = shown(kind, current, payload)
    if stale and base_version is not None:
        before = _as_of(obj, target, base_version, before)
    change.before = _dump(before)
    sensitive_tags: list[str] = []
    if kind == Kind.ADD_RESIDENT and needs_approval(by, touched(kind, payload)):
        # The person is registered now; their sensitive tags wait for approval as a change of their own.
        approval = approval_fields()
        sensitive_tags = list(payload["tags"])
        payload["tags"] = [c for c in payload["tags"] if f"tag:{c}" not in approval]
    if stale:
        change.status = Status.CONFLICT
    elif kind != Kind.ADD_RESIDENT and needs_approval(by, touched(kind, payload)):
        change.status = Status.PENDING
    if change.status != Status.APPLIED:
        change.payload = _dump(payload)
        change.after = _dump(_proposed(kind, payload))
    else:
        try:
            _finish_applied(change, obj, payload, by, merge=False)
        except InvalidInput as exc:
            raise labelled(exc) from exc
    change.save()
    if sensitive_tags and change.resident is not None:
        new = change.resident
        RegistryChange.objects.create(
            author=by,
            kind=Kind.TAGS,
            target="resident",
            household=household,
            resident=new,
            area_code=change.area_code,
            status=Status.PENDING,
            base_version=new.version,
            payload=_dump({"tags": sensitive_tags, "_base_tags": tag_codes(new)}),
            before=_dump({"tags": tag_codes(new)}),
            after=_dump({"tags": sensitive_tags}),
        )
    return change


def _as_of(obj: Any, target: str, version: int, now: dict[str, Any]) -> dict[str, Any]:
    """The values the author saw (at ``version``): for each field, the ``before`` of the first applied change
    after that version which touched it; the current value where none did."""
    later = RegistryChange.objects.filter(
        target=target, status=Status.APPLIED, version_after__gt=version, **{target: obj}
    ).order_by("version_after", "id")
    seen: dict[str, Any] = {}
    for change in later:
        for key, value in load(change.before).items():
            seen.setdefault(key, value)
    return {key: seen.get(key, value) for key, value in now.items()}


def record_edit(
    *, by: Any, target: Household | Resident, payload: dict[str, Any], household: Household | None = None
) -> RegistryChange:
    """An API PATCH: applied at once and recorded, or — when it touches what needs approval and ``by`` may
    not approve — stored as ``pending`` (nothing applied). The payload is what ``resident_update`` /
    ``household_update`` take (the target's version is not checked: the API edits the current record)."""
    if not user_can(by, "registry.write"):
        raise Forbidden("无权维护人房信息")
    return _edit(by=by, target=target, payload=payload, move_to=household)


@use_case
def _edit(
    *, by: Any, target: Household | Resident, payload: dict[str, Any], move_to: Household | None
) -> RegistryChange:
    name = "resident" if isinstance(target, Resident) else "household"
    obj = _lock(name, target.pk, by)
    household = obj if isinstance(obj, Household) else obj.household
    services.check_write(by, household.house.building.area)
    clean = {k: _iso(v) for k, v in payload.items()}
    if "tags" in clean and clean["tags"] is not None:
        clean["_base_tags"] = tag_codes(obj)
    marks = {k for k in clean if not k.startswith("_") and k != "tags"}
    if "tags" in clean and clean["tags"] is not None:
        marks |= {f"tag:{c}" for c in set(clean["tags"]) ^ set(clean["_base_tags"])}
    current = values_of(obj)
    change = RegistryChange(
        author=by,
        kind=Kind.EDIT,
        target=name,
        household=household,
        resident=obj if isinstance(obj, Resident) else None,
        area_code=household.house.building.area.code,
        status=Status.APPLIED,
        base_version=obj.version,
        before=_dump(shown(Kind.EDIT, current, clean)),
    )
    if move_to is not None:
        clean["household"] = move_to.pk
    if needs_approval(by, marks):
        change.status = Status.PENDING
        change.payload = _dump(clean)
        change.after = _dump(_proposed(Kind.EDIT, clean))
        change.save()
    else:
        change.save()
        with batch():
            if isinstance(obj, Resident):
                services.resident_update(resident=obj, by=by, household=move_to, **payload)
            else:
                services.household_update(household=obj, by=by, **payload)
        obj.refresh_from_db()
        change.after = _dump(shown(Kind.EDIT, values_of(obj), clean))
        change.version_after = obj.version
        change.save()
    return change


def _decidable(change: RegistryChange, by: Any) -> RegistryChange:
    return get_visible_or_404(  # type: ignore[no-any-return]
        RegistryChange.objects.select_for_update(), by, "change", pk=change.pk
    )


def _target_of(change: RegistryChange, by: Any) -> Any:
    if change.target == "resident":
        assert change.resident_id is not None
        return _lock("resident", change.resident_id, by)
    assert change.household_id is not None
    return _lock("household", change.household_id, by)


@use_case
def change_approve(*, change: RegistryChange, by: Any, reason: str = "") -> RegistryChange:
    """The community approves a pending change: it is applied now, on top of the current record."""
    if not user_can(by, "registry.approve"):
        raise Forbidden("只有社区工作人员可以审核")
    change = _decidable(change, by)
    if change.status != Status.PENDING:
        raise Conflict("该变更不在待审核状态", state=change.status)
    reason = _reason(reason, required=False)
    obj = _target_of(change, by)
    try:
        _finish_applied(change, obj, load(change.payload), by, merge=True)
    except InvalidInput as exc:
        raise labelled(exc) from exc
    _decide(change, by, reason)
    return change


@use_case
def change_reject(*, change: RegistryChange, by: Any, reason: str) -> RegistryChange:
    """The community rejects a pending change: nothing is applied; the reason is kept."""
    if not user_can(by, "registry.approve"):
        raise Forbidden("只有社区工作人员可以审核")
    change = _decidable(change, by)
    if change.status != Status.PENDING:
        raise Conflict("该变更不在待审核状态", state=change.status)
    reason = _reason(reason, required=True)
    change.status = Status.REJECTED
    change.payload = ""
    _decide(change, by, reason)
    return change


@use_case
def change_settle(*, change: RegistryChange, by: Any, action: str, reason: str = "") -> RegistryChange:
    """Settle a conflict: ``apply`` the proposed values over the current record (pending instead when it
    needs approval and ``by`` may not approve) or ``discard`` it. By its author or the community."""
    change = _decidable(change, by)
    if change.author_id != by.pk and not user_can(by, "registry.approve"):
        raise Forbidden("只有提交人或社区工作人员可以处理冲突")
    if change.status != Status.CONFLICT:
        raise Conflict("该变更不在冲突状态", state=change.status)
    if action not in ("apply", "discard"):
        raise labelled(InvalidInput.field("action", "须为 apply 或 discard"))
    reason = _reason(reason, required=False)
    if action == "discard":
        change.status = Status.DISCARDED
        change.payload = ""
        _decide(change, by, reason)
        return change
    obj = _target_of(change, by)
    payload = load(change.payload)
    if "_base_tags" in payload:  # apply anyway: the proposed set, against the tags there now
        payload["_base_tags"] = tag_codes(obj)
    if needs_approval(by, touched(change.kind, payload)):
        change.status = Status.PENDING
        change.base_version = obj.version
        change.payload = _dump(payload)
        change.save()
        audit("update", change, by=by, changes={"status": Status.PENDING}, note="冲突已确认，等待审核")
        return change
    try:
        _finish_applied(change, obj, payload, by, merge=False)
    except InvalidInput as exc:
        raise labelled(exc) from exc
    _decide(change, by, reason)
    return change


def _reason(reason: Any, *, required: bool) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if required and not reason:
        raise labelled(InvalidInput.field("reason", "请填写驳回理由"))
    if len(reason) > 200:
        raise labelled(InvalidInput.field("reason", "不能超过200个字"))
    return reason


def _decide(change: RegistryChange, by: Any, reason: str) -> None:
    change.decided_by = by
    change.decided_at = timezone.now()
    change.reason = reason
    change.save()
    audit("update", change, by=by, changes={"status": change.status}, note=reason)


def household_add(
    *, by: Any, house: Any, client_id: str, number: str = "", tags: list[str] | None = None
) -> tuple[RegistryChange, bool]:
    """A household moves into a house (the page's 新增户): created through ``household_create`` and
    recorded; its sensitive tags wait for approval when ``by`` may not approve. Once per client id."""
    client_id = _check_client_id(client_id)
    existing = RegistryChange.objects.filter(author=by, client_id=client_id).first()
    if existing is not None:
        return existing, False
    try:
        return _household_add(by=by, house=house, client_id=client_id, number=number, tags=tags or []), True
    except IntegrityError:
        existing = RegistryChange.objects.filter(author=by, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False


@use_case
def _household_add(*, by: Any, house: Any, client_id: str, number: str, tags: list[str]) -> RegistryChange:
    try:
        wanted = services._resolve_tags(tags, target="household") or []
    except InvalidInput as exc:
        raise labelled(exc, data_prefix=False) from exc
    approval = approval_fields() if not user_can(by, "registry.approve") else set()
    now_tags = [t.code for t in wanted if f"tag:{t.code}" not in approval]
    later = [t.code for t in wanted if f"tag:{t.code}" in approval]
    try:
        with batch():
            household = services.household_create(house=house, by=by, number=number.strip(), tags=now_tags)
    except InvalidInput as exc:
        raise labelled(exc, data_prefix=False) from exc
    change = RegistryChange.objects.create(
        author=by,
        client_id=client_id,
        kind=Kind.ADD_HOUSEHOLD,
        target="household",
        household=household,
        area_code=house.building.area.code,
        status=Status.APPLIED,
        base_version=None,
        version_after=household.version,
        after=_dump({"number": household.number, "house": house.pk, "tags": now_tags}),
    )
    if later:
        RegistryChange.objects.create(
            author=by,
            kind=Kind.TAGS,
            target="household",
            household=household,
            area_code=change.area_code,
            status=Status.PENDING,
            base_version=household.version,
            payload=_dump({"tags": sorted(now_tags + later), "_base_tags": now_tags}),
            before=_dump({"tags": now_tags}),
            after=_dump({"tags": sorted(now_tags + later)}),
        )
    return change

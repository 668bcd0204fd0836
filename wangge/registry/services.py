"""Every write to the registry: buildings, houses, owners, households, residents, tags, reveals.

Each service is keyword-only, takes the acting user as ``by``, checks the permission and the area scope,
runs ``full_clean`` and writes an audit entry. Personal data never reaches the audit log in plaintext.

One use case is one service: "create a household with its tags" is ``household_create(..., tags=[...])``,
which validates everything (tags included) before it writes anything, inside one durable transaction
(``use_case``). The steps it is made of (``_tags_set``, ``_tag_assign`` …) are private and never open a
transaction of their own, so a use case cannot be half-done by a caller that forgot to wrap two calls.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core import pii
from wangge.core.audit import audit, changed_fields
from wangge.core.errors import Conflict, Forbidden, InvalidInput, from_django_validation
from wangge.core.scoping import get_visible_or_404, scope_for
from wangge.core.transactions import use_case

from .models import Building, House, Household, HouseOwner, Resident, Tag, Tagging
from .text import control_char_problem

_SECRET = frozenset({"id_number", "phone"})


# Text that must be one line of printable characters (names, numbers, rooms); notes may hold line breaks.
_ONE_LINE = frozenset({"name", "number", "room", "address"})


def _check_text(obj: Any, fields: set[str] | frozenset[str]) -> None:
    for field in sorted(fields):
        reason = control_char_problem(getattr(obj, field, None), one_line=field in _ONE_LINE)
        if reason:
            raise InvalidInput.field(field, reason)


# --- listeners and versions -------------------------------------------------------------------------

# Called, in the same transaction, when a household's tags or residence change: ``(household, event)`` with
# event ``tags``, ``moved_out``, ``deceased`` or ``moved_in``. The visits app registers its schedule refresh
# here (``VisitsConfig.ready``): the registry must not import the apps above it.
HOUSEHOLD_LISTENERS: list[Callable[[Household, str], None]] = []


def household_changed(household: Household, event: str) -> None:
    for listener in HOUSEHOLD_LISTENERS:
        listener(household, event)


def bump_version(obj: Household | Resident) -> None:
    """One more applied change to ``obj``: offline edits based on an older version become conflicts."""
    type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)
    obj.version = type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


# --- checks ----------------------------------------------------------------------------------------


def check_write(by: Any, area: Area | None) -> None:
    """``by`` may write registry records in ``area`` (a grid worker only in their own grids)."""
    if not user_can(by, "registry.write"):
        raise Forbidden("无权维护人房信息")
    if area is None or not scope_for(by).contains(area.code):
        raise Forbidden("该区域不在您的管辖范围内")


_TEXT_FIELDS = frozenset({"name", "address", "room", "number", "notes"})


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    _check_text(obj, {f for f in _TEXT_FIELDS if hasattr(obj, f)} - set(exclude or []))
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _apply(obj: Any, changes: dict[str, Any], allowed: set[str]) -> None:
    for key, value in changes.items():
        if key not in allowed:
            raise InvalidInput.field(key, "该字段不可修改")
        setattr(obj, key, value)


# --- buildings and houses ---------------------------------------------------------------------------

BUILDING_FIELDS = {"name", "address", "lat", "lng", "entrances", "floors", "property_company", "party_group"}
HOUSE_FIELDS = {"entrance", "floor", "room", "exclusive_area", "use"}
HOUSEHOLD_FIELDS = {"number", "is_party_center", "party_org", "notes", "active"}
RESIDENT_FIELDS = {
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "political_status",
    "relation",
    "residence_type",
    "active",
    "account",
}


def _grid_check(area: Area) -> None:
    if not area.is_grid:
        raise InvalidInput.field("area", "楼栋须登记在网格或微网格下")


@use_case
def building_create(*, area: Area, name: str, address: str, by: Any, **fields: Any) -> Building:
    check_write(by, area)
    _grid_check(area)
    building = Building(area=area, name=name, address=address)
    _apply(building, fields, BUILDING_FIELDS)
    _clean(building)
    building.save()
    audit("create", building, by=by)
    return building


@use_case
def building_update(*, building: Building, by: Any, area: Area | None = None, **changes: Any) -> Building:
    building = Building.objects.select_for_update().select_related("area").get(pk=building.pk)
    check_write(by, building.area)
    before = _snapshot(building, [*changes, "area_id"])
    if area is not None and area.pk != building.area_id:
        check_write(by, area)
        _grid_check(area)
        building.area = area
    _apply(building, changes, BUILDING_FIELDS)
    _clean(building)
    building.save()
    audit("update", building, by=by, changes=changed_fields(before, _snapshot(building, list(before))))
    return building


@use_case
def house_create(*, building: Building, room: str, by: Any, entrance: int = 1, **fields: Any) -> House:
    check_write(by, building.area)
    house = House(building=building, room=room, entrance=entrance)
    _apply(house, fields, HOUSE_FIELDS)
    if house.entrance > building.entrances:
        raise InvalidInput.field("entrance", f"该楼栋只有 {building.entrances} 个单元")
    _clean(house)
    house.save()
    audit("create", house, by=by)
    return house


@use_case
def house_update(*, house: House, by: Any, **changes: Any) -> House:
    house = House.objects.select_for_update().select_related("building__area").get(pk=house.pk)
    check_write(by, house.building.area)
    before = _snapshot(house, list(changes))
    _apply(house, changes, HOUSE_FIELDS)
    _clean(house)
    house.save()
    audit("update", house, by=by, changes=changed_fields(before, _snapshot(house, list(before))))
    return house


@use_case
def owner_create(
    *,
    house: House,
    name: str,
    by: Any,
    kind: str = HouseOwner.Kind.PERSON,
    id_number: str = "",
    share: Decimal | float | str = 1,
    resident: Resident | None = None,
    unit: Any = None,
) -> HouseOwner:
    check_write(by, house.building.area)
    id_number = pii.normalise(id_number) if id_number else ""
    if id_number and kind == HouseOwner.Kind.PERSON:
        reason = pii.validate_id_number(id_number)
        if reason:
            raise InvalidInput.field("id_number", reason)
    owner = HouseOwner(
        house=house,
        kind=kind,
        name=name,
        id_number=id_number,
        id_hash=pii.id_hash(id_number) if id_number else "",
        share=Decimal(str(share)),
        resident=resident,
        unit=unit,
    )
    _clean(owner)
    owner.save()
    audit("create", owner, by=by)
    return owner


# --- households -------------------------------------------------------------------------------------


@use_case
def household_create(
    *, house: House, by: Any, number: str = "", tags: list[str] | None = None, **fields: Any
) -> Household:
    """Register a household, with its tags: all of it or (on any error, tags included) nothing."""
    check_write(by, house.building.area)
    wanted = _resolve_tags(tags, target="household")
    household = Household(house=house, number=number)
    _apply(household, fields, HOUSEHOLD_FIELDS)
    _clean(household)
    household.save()
    audit("create", household, by=by)
    if wanted:
        _tags_set(tags=wanted, household=household, by=by)
    return household


@use_case
def household_update(
    *, household: Household, by: Any, tags: list[str] | None = None, **changes: Any
) -> Household:
    """Change a household and (when ``tags`` is given) make its tags exactly those; all or nothing."""
    household = (
        Household.objects.select_for_update().select_related("house__building__area").get(pk=household.pk)
    )
    check_write(by, household.house.building.area)
    wanted = _resolve_tags(tags, target="household")
    before = _snapshot(household, list(changes))
    _apply(household, changes, HOUSEHOLD_FIELDS)
    _clean(household)
    household.version += 1
    household.save()
    audit("update", household, by=by, changes=changed_fields(before, _snapshot(household, list(before))))
    if wanted is not None and _tags_set(tags=wanted, household=household, by=by):
        household_changed(household, "tags")
    return household


# --- residents --------------------------------------------------------------------------------------


def check_identity(
    *, id_number: str, gender: str | None, birth_date: Any
) -> tuple[str, str, Any, list[tuple[str, str]]]:
    """Validate an ID number and derive/check gender and birth date from it (GB 11643: digit 17 odd =
    male). Returns the normalised ID, gender, birth date and a list of (field, reason) problems."""
    problems: list[tuple[str, str]] = []
    if not id_number:
        return "", gender or "", birth_date, problems
    id_number = pii.normalise(id_number)
    reason = pii.validate_id_number(id_number)
    if reason:
        return id_number, gender or "", birth_date, [("id_number", reason)]
    id_gender = Resident.Gender.MALE if int(id_number[16]) % 2 else Resident.Gender.FEMALE
    id_birth = pii.birth_date_from_id(id_number)
    if gender and gender != id_gender:
        problems.append(("gender", f"性别与身份证号不符（身份证号为{Resident.Gender(id_gender).label}）"))
    if birth_date and birth_date != id_birth:
        problems.append(("birth_date", f"出生日期与身份证号不符（身份证号为 {id_birth:%Y-%m-%d}）"))
    return id_number, gender or id_gender, birth_date or id_birth, problems


def _raise(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise InvalidInput.fields([{"field": f, "message": m} for f, m in problems])


def _set_identity(resident: Resident) -> None:
    id_number, gender, birth, problems = check_identity(
        id_number=resident.id_number or "", gender=resident.gender, birth_date=resident.birth_date
    )
    if resident.phone:
        resident.phone = pii.normalise(resident.phone)
        reason = pii.validate_phone(resident.phone)
        if reason:
            problems.append(("phone", reason))
    _raise(problems)
    resident.id_number, resident.gender, resident.birth_date = id_number, gender, birth
    resident.id_hash = pii.id_hash(id_number) if id_number else None
    resident.phone_hash = pii.phone_hash(resident.phone) if resident.phone else ""


def _save_resident(resident: Resident) -> None:
    _clean(resident, exclude=["id_hash"])  # uniqueness of the ID is the database's job (below)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        other = Resident.objects.filter(id_hash=resident.id_hash).exclude(pk=resident.pk).first()
        if other is not None:
            raise Conflict(
                "该身份证号已登记", errors=[{"field": "id_number", "message": "该身份证号已登记"}]
            ) from exc
        raise


@use_case
def resident_create(
    *,
    household: Household,
    name: str,
    by: Any,
    id_number: str = "",
    gender: str = "",
    tags: list[str] | None = None,
    **fields: Any,
) -> Resident:
    """Register a resident, with their tags (all or nothing). Gender and birth date are taken from the ID
    number when not given."""
    check_write(by, household.house.building.area)
    wanted = _resolve_tags(tags, target="resident")
    resident = Resident(household=household, name=name, id_number=id_number, gender=gender)
    _apply(resident, fields, RESIDENT_FIELDS)
    _set_identity(resident)
    _save_resident(resident)
    audit(
        "create",
        resident,
        by=by,
        changes={"id_number": pii.mask_id_number(resident.id_number)} if resident.id_number else {},
    )
    if wanted:
        _tags_set(tags=wanted, resident=resident, by=by)
    return resident


@use_case
def resident_update(
    *,
    resident: Resident,
    by: Any,
    household: Household | None = None,
    tags: list[str] | None = None,
    **changes: Any,
) -> Resident:
    """Change a resident (moving them to ``household`` when given) and, when ``tags`` is given, make their
    tags exactly those; all or nothing."""
    resident = (
        Resident.objects.select_for_update()
        .select_related("household__house__building__area")
        .get(pk=resident.pk)
    )
    check_write(by, resident.household.house.building.area)
    wanted = _resolve_tags(tags, target="resident")
    before = _snapshot(resident, [*changes, "household_id"])
    old_household = resident.household
    if household is not None and household.pk != resident.household_id:
        check_write(by, household.house.building.area)
        resident.household = household
    _apply(resident, changes, RESIDENT_FIELDS)
    _set_identity(resident)
    resident.version += 1
    _save_resident(resident)
    after = _snapshot(resident, list(before))
    audit("update", resident, by=by, changes=changed_fields(before, after, secret=_SECRET))
    tags_changed = wanted is not None and _tags_set(tags=wanted, resident=resident, by=by)
    # A resident's tags count towards their household's visits while they are active there.
    if resident.household_id != old_household.pk:
        household_changed(old_household, "moved_out")
        household_changed(resident.household, "moved_in")
    elif tags_changed or before.get("active", resident.active) != resident.active:
        household_changed(resident.household, "tags")
    return resident


def resident_reveal(*, resident: Resident, field: str, by: Any) -> str:
    """The full ID number or phone of one resident, for a permitted role in scope. Each reveal is audited."""
    if field not in _SECRET:
        raise InvalidInput.field("field", "只能查看身份证号或联系电话")
    if not user_can(by, "pii.reveal"):
        raise Forbidden("无权查看完整个人信息")
    # Out of the viewer's areas answers exactly as a missing resident (404); own household is no reason.
    resident = get_visible_or_404(
        Resident.objects.select_related("household__house__building__area"), by, "reveal", pk=resident.pk
    )
    value = getattr(resident, field) or ""
    audit(
        "reveal",
        resident,
        by=by,
        changes={"field": field},
        note=f"查看完整{'身份证号' if field == 'id_number' else '联系电话'}",
    )
    return value


# --- tags -------------------------------------------------------------------------------------------


def _tag_target(household: Household | None, resident: Resident | None) -> Area:
    if (household is None) == (resident is None):
        raise InvalidInput.field("target", "标签须指定户或居民之一")
    if resident is not None:
        return resident.household.house.building.area
    assert household is not None
    return household.house.building.area


def _check_applies(tag: Tag, target: str) -> None:
    if target == "household" and tag.applies_to == Tag.AppliesTo.RESIDENT:
        raise InvalidInput.field("tags", f"“{tag.name}”只能用于居民")
    if target == "resident" and tag.applies_to == Tag.AppliesTo.HOUSEHOLD:
        raise InvalidInput.field("tags", f"“{tag.name}”只能用于户")


def _resolve_tags(codes: list[str] | None, *, target: str) -> list[Tag] | None:
    """The active tags named by ``codes`` (None stays None: "leave the tags alone"), checked before any
    write: unknown codes and tags that do not apply to ``target`` name the field ``tags``."""
    if codes is None:
        return None
    tags = {t.code: t for t in Tag.objects.filter(active=True)}
    unknown = [c for c in dict.fromkeys(codes) if c not in tags]
    if unknown:
        raise InvalidInput.field("tags", "未知标签：" + "、".join(unknown))
    wanted = [tags[c] for c in dict.fromkeys(codes)]
    for tag in wanted:
        _check_applies(tag, target)
    return wanted


def _tag_assign(*, tag: Tag, by: Any, household: Household | None, resident: Resident | None) -> Tagging:
    check_write(by, _tag_target(household, resident))
    _check_applies(tag, "household" if household is not None else "resident")
    tagging, created = Tagging.objects.get_or_create(
        household=household, resident=resident, token=pii.tag_token(tag.code)
    )
    if created:
        target = household if household is not None else resident
        # The audit log names the tag only for non-sensitive tags.
        audit("update", target, by=by, changes={"tag_added": "(sensitive)" if tag.sensitive else tag.code})
    return tagging


def _tag_remove(*, tag: Tag, by: Any, household: Household | None, resident: Resident | None) -> bool:
    check_write(by, _tag_target(household, resident))
    deleted, _ = Tagging.objects.filter(
        household=household, resident=resident, token=pii.tag_token(tag.code)
    ).delete()
    if deleted:
        target = household if household is not None else resident
        audit("update", target, by=by, changes={"tag_removed": "(sensitive)" if tag.sensitive else tag.code})
    return bool(deleted)


def _tags_set(
    *, tags: list[Tag], by: Any, household: Household | None = None, resident: Resident | None = None
) -> bool:
    """Make the tags exactly ``tags``; True when anything changed."""
    check_write(by, _tag_target(household, resident))
    current = set(
        Tagging.objects.filter(household=household, resident=resident).values_list("token", flat=True)
    )
    wanted = {pii.tag_token(t.code): t for t in tags}
    for token, tag in wanted.items():
        if token not in current:
            _tag_assign(tag=tag, household=household, resident=resident, by=by)
    if current - set(wanted):
        for tag in Tag.objects.all():
            if pii.tag_token(tag.code) in current - set(wanted):
                _tag_remove(tag=tag, household=household, resident=resident, by=by)
    return set(wanted) != current


def _tags_touched(household: Household | None, resident: Resident | None) -> None:
    """After a tag use case changed something: the target's version and its household's visit schedule."""
    target: Household | Resident = household if household is not None else resident  # type: ignore[assignment]
    bump_version(target)
    household_changed(household if household is not None else target.household, "tags")  # type: ignore[union-attr]


@use_case
def tag_assign(
    *, tag: Tag, by: Any, household: Household | None = None, resident: Resident | None = None
) -> Tagging:
    """Put ``tag`` on a household or a resident. Idempotent: assigning twice keeps one tagging."""
    existed = Tagging.objects.filter(
        household=household, resident=resident, token=pii.tag_token(tag.code)
    ).exists()
    tagging = _tag_assign(tag=tag, by=by, household=household, resident=resident)
    if not existed:
        _tags_touched(household, resident)
    return tagging


@use_case
def tag_remove(
    *, tag: Tag, by: Any, household: Household | None = None, resident: Resident | None = None
) -> bool:
    removed = _tag_remove(tag=tag, by=by, household=household, resident=resident)
    if removed:
        _tags_touched(household, resident)
    return removed


@use_case
def tags_set(
    *, codes: list[str], by: Any, household: Household | None = None, resident: Resident | None = None
) -> None:
    """Make the tags of a household or resident exactly ``codes`` (unknown codes name the field)."""
    wanted = _resolve_tags(codes, target="household" if household is not None else "resident")
    assert wanted is not None
    if _tags_set(tags=wanted, household=household, resident=resident, by=by):
        _tags_touched(household, resident)


def resident_export(*, by: Any, filters: dict[str, Any]) -> bytes:
    """The filtered resident list as a masked .xlsx; the export itself is audited."""
    from . import excel, selectors

    if not user_can(by, "registry.export"):
        raise Forbidden("无权导出人房信息")
    qs = selectors.resident_list(viewer=by, **filters)
    content = excel.export_workbook(selectors.export_rows(qs, by))
    audit(
        "export",
        None,
        by=by,
        object_type="registry.resident",
        changes={k: v for k, v in filters.items() if v not in (None, "") and k not in ("id_number", "phone")},
        note="导出居民名单（已脱敏）",
    )
    return content


def tag_catalogue_ensure() -> int:
    """Seed the default tag catalogue if the table is empty (e.g. after a test flush); returns the count.
    The rows themselves live in the data migration ``0002_seed_tags`` (the one source)."""
    import importlib

    from django.apps import apps

    if not Tag.objects.exists():
        importlib.import_module("wangge.registry.migrations.0002_seed_tags").seed(apps, None)
    return Tag.objects.count()

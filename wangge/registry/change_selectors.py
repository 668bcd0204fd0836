"""Every read of the change log (``RegistryChange``): the queues (pending, conflicts), one change, and what a
resident's or a household's history page lists. Scoped by ``visible_to`` (staff in their areas only); a
change out of scope is "not found" (404) exactly as a missing one.

Values come out masked as they were stored; tags by code, sensitive ones only to roles that may see them
(``present`` turns them into labelled rows for the pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from wangge.accounts.roles import user_can
from wangge.core import pii
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.scoping import get_visible_or_404

from . import change_services, selectors
from .models import Household, RegistryChange, Resident, Tag

Status = RegistryChange.Status


def _require(viewer: Any) -> None:
    if not user_can(viewer, "registry.read"):
        raise Forbidden("无权查看人房信息变更")


def change_list(
    *,
    viewer: Any,
    status: str | None = None,
    area: str | None = None,
    resident: int | None = None,
    household: int | None = None,
) -> QuerySet[RegistryChange]:
    """Changes the viewer may see, newest first; ``status`` may list several, comma-separated."""
    _require(viewer)
    qs = RegistryChange.objects.visible_to(viewer).select_related("author", "decided_by")
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        bad = set(wanted) - set(Status.values)
        if bad:
            raise InvalidInput.field("status", "可选值：" + "、".join(Status.values))
        qs = qs.filter(status__in=wanted)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if resident:
        qs = qs.filter(resident_id=resident)
    if household:
        qs = qs.filter(Q(household_id=household) | Q(resident__household_id=household))
    return qs.order_by("-created_at", "-id")


def change_get(*, viewer: Any, pk: int) -> RegistryChange:
    _require(viewer)
    qs = RegistryChange.objects.select_related("author", "decided_by")
    return get_visible_or_404(qs, viewer, pk=pk)  # type: ignore[no-any-return]


def awaiting_count(*, viewer: Any) -> int:
    """Corrections waiting on someone in the viewer's areas: pending approval and unsettled conflicts."""
    if not user_can(viewer, "registry.read"):
        return 0
    return (
        RegistryChange.objects.visible_to(viewer).filter(status__in=[Status.PENDING, Status.CONFLICT]).count()
    )


def values_for(values: dict[str, Any], viewer: Any) -> dict[str, Any]:
    """Stored values as a viewer may see them: sensitive tag codes hidden from roles that may not see them."""
    if "tags" not in values:
        return values
    visible = {t.code for t in selectors.tag_map(viewer).values()}
    tags = values["tags"] or []
    shown = [c for c in tags if c in visible]
    return {**values, "tags": shown + (["(sensitive)"] if len(shown) < len(tags) else [])}


_CHOICES: dict[str, dict[str, Any]] = {
    "gender": dict(Resident.Gender.choices),
    "relation": dict(Resident.Relation.choices),
    "left_reason": {"moved_out": "迁出", "deceased": "死亡"},
}
_FIELD_LABELS = {
    **change_services.LABELS,
    "household": "所在户",
    "active": "在册/在住",
    "left_on": "离开日期",
    "left_reason": "离开原因",
    "residents": "在册人数",
    "resident": "居民",
    "house": "房屋",
    "version": "版本",
}


def present(values: dict[str, Any], viewer: Any) -> list[tuple[str, str]]:
    """(label, text) rows of stored values for the pages."""
    names = {t.code: t.name for t in selectors.tag_map(viewer).values()}
    rows = []
    for key, value in values.items():
        if key == "tags":
            text = "、".join(names.get(c, "（敏感标签）") for c in value or []) or "（无）"
        elif isinstance(value, bool):
            text = "是" if value else "否"
        elif key in _CHOICES:
            text = str(_CHOICES[key].get(value, value or "—"))
        else:
            text = "—" if value in (None, "") else str(value)
        rows.append((_FIELD_LABELS.get(key, key), text))
    return rows


def change_cards(
    changes: list[RegistryChange], viewer: Any, *, current: bool = False
) -> list[dict[str, Any]]:
    """What a change card shows: before / (current) / proposed or after, each as labelled rows."""
    targets: dict[tuple[str, int], Any] = {}
    if current:
        rids = [c.resident_id for c in changes if c.target == "resident" and c.resident_id]
        hids = [c.household_id for c in changes if c.target == "household" and c.household_id]
        code_of = {pii.tag_token(c): c for c in Tag.objects.values_list("code", flat=True)}
        for r in Resident.objects.filter(pk__in=rids).prefetch_related("taggings"):
            targets[("resident", r.pk)] = r
        active = Count("residents", filter=Q(residents__active=True))
        for h in (
            Household.objects.filter(pk__in=hids)
            .annotate(active_residents=active)
            .prefetch_related("taggings")
        ):
            targets[("household", h.pk)] = h
    cards = []
    for c in changes:
        before = change_services.load(c.before)
        after = change_services.load(c.after)
        card: dict[str, Any] = {
            "c": c,
            "before": present(before, viewer),
            "after": present(after, viewer),
        }
        obj = targets.get((c.target, c.resident_id if c.target == "resident" else c.household_id))  # type: ignore[arg-type]
        if obj is not None:
            keys = list(before) or list(after)
            now = change_services.values_of(obj, code_of)
            card["current"] = present({k: now[k] for k in keys if k in now}, viewer)
            card["version"] = obj.version
        cards.append(card)
    return cards


def history(
    *, viewer: Any, resident: Resident | None = None, household: Household | None = None
) -> dict[str, Any]:
    """A resident's or a household's history: the changes, the household's visits and the cases linked to it
    (found on its visits) or reported at its building. Read through the visits' and appeals' selectors."""
    from wangge.appeals.selectors import appeal_list
    from wangge.visits.selectors import visit_list

    home = household if household is not None else resident.household  # type: ignore[union-attr]
    changes = list(
        change_list(
            viewer=viewer,
            resident=resident.pk if resident else None,
            household=home.pk if household else None,
        )[:100]
    )
    visits = list(visit_list(viewer=viewer, household=home.pk)[:50])
    found = {a.pk: a for v in visits for a in v.findings.all()}
    cases: list[Any] = []
    if user_can(viewer, "appeals.read"):
        address = home.house.building.address
        at_building = appeal_list(viewer=viewer).filter(address__startswith=address)
        linked = appeal_list(viewer=viewer).filter(pk__in=list(found))
        cases = list(
            (at_building | linked).select_related("category").distinct().order_by("-created_at", "-id")[:30]
        )
    return {"changes": change_cards(changes, viewer), "visits": visits, "cases": cases}

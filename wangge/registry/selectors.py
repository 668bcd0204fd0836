"""Every read of the registry, scoped to the viewer through ``Model.objects.visible_to(viewer)`` (the
scope is declared once per model in ``models.py``):

- Staff roles with ``registry.read`` see the records under the areas they hold posts in.
- Everyone sees their own household (through ``Resident.account``): how residents and volunteers see theirs.
- A role with neither may not list the registry (403). A single record out of reach is "not found" (404)
  exactly as a missing one (``get_visible_or_404``), so ids cannot be probed.

Selectors return model instances; personal data is masked on the way out (``masked_*`` below, the schemas
and the templates use them), and sensitive tags are shown only to roles with ``pii.reveal``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from wangge.accounts.roles import Role, user_can
from wangge.core import pii
from wangge.core.errors import Forbidden
from wangge.core.scoping import get_visible_or_404, prefix_range

from .models import Building, House, Household, Resident, Tag, Tagging

SELF_SERVICE_ROLES = {Role.RESIDENT, Role.VOLUNTEER}


def _visible(viewer: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    """A list of registry records the viewer may see (each model declares its scope: ``visible_q``).
    A role that reaches the registry neither through posts nor through a household of its own may not
    list it at all (403); a single record out of reach is 404 (``get_visible_or_404``), like a missing one."""
    staff = user_can(viewer, "registry.read")
    self_service = getattr(viewer, "is_authenticated", False) and viewer.role in SELF_SERVICE_ROLES
    if not (staff or self_service):
        raise Forbidden("无权查看人房信息")
    return qs.visible_to(viewer)  # type: ignore[attr-defined]


def can_see_sensitive(viewer: Any) -> bool:
    return user_can(viewer, "pii.reveal")


# --- tags -------------------------------------------------------------------------------------------


def tag_catalogue() -> list[Tag]:
    return list(Tag.objects.filter(active=True))


def tag_map(viewer: Any) -> dict[str, Tag]:
    """token → tag, for the tags this viewer may see; cached on the viewer object for the request."""
    cached = getattr(viewer, "_wangge_tag_map", None)
    if cached is not None:
        return cached
    sensitive_ok = can_see_sensitive(viewer)
    out = {pii.tag_token(t.code): t for t in Tag.objects.all() if sensitive_ok or not t.sensitive}
    with contextlib.suppress(AttributeError):  # AnonymousUser and friends
        viewer._wangge_tag_map = out
    return out


def tags_of(obj: Household | Resident, viewer: Any) -> list[Tag]:
    """The visible tags of a household or resident (uses prefetched ``taggings`` when present)."""
    m = tag_map(viewer)
    tags = [m[t.token] for t in obj.taggings.all() if t.token in m]
    return sorted(tags, key=lambda t: (t.sort_order, t.code))


def tag_options(viewer: Any) -> list[Tag]:
    return sorted(tag_map(viewer).values(), key=lambda t: (t.sort_order, t.code))


# --- masking ----------------------------------------------------------------------------------------


def masked_resident(r: Resident) -> dict[str, Any]:
    return {
        "id_number": pii.mask_id_number(r.id_number),
        "phone": pii.mask_phone(r.phone),
    }


# --- buildings, houses ------------------------------------------------------------------------------


def building_list(*, viewer: Any, q: str | None = None, area: str | None = None) -> QuerySet[Building]:
    qs = _visible(viewer, Building.objects.select_related("area"))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if area:
        qs = qs.filter(area__code__startswith=area)
    # No house count here: grouped over the whole scope before the LIMIT it cost a district 700 ms. The
    # page that shows counts adds them to its own rows (``with_house_counts``).
    return qs.order_by("area__code", "name", "id")


def with_house_counts(buildings: Any) -> list[Building]:
    """The buildings of one page with ``house_count`` set (one grouped query over their ids)."""
    rows = list(buildings)
    counts = dict(
        House.objects.filter(building_id__in=[b.pk for b in rows])
        .values_list("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    for b in rows:
        b.house_count = counts.get(b.pk, 0)
    return rows


def building_get(*, viewer: Any, pk: int) -> Building:
    return get_visible_or_404(Building.objects.select_related("area"), viewer, pk=pk)


def house_list(
    *, viewer: Any, building: int | None = None, area: str | None = None, q: str | None = None
) -> QuerySet[House]:
    qs = _visible(viewer, House.objects.select_related("building__area"))
    if building:
        qs = qs.filter(building_id=building)
    if area:
        qs = qs.filter(building__area__code__startswith=area)
    if q:
        qs = qs.filter(Q(room__icontains=q) | Q(building__address__icontains=q))
    return qs.order_by("building_id", "entrance", "room", "id")


def house_get(*, viewer: Any, pk: int) -> House:
    return get_visible_or_404(House.objects.select_related("building__area"), viewer, pk=pk)


# --- households -------------------------------------------------------------------------------------


def household_list(
    *,
    viewer: Any,
    q: str | None = None,
    area: str | None = None,
    tag: str | None = None,
    house: int | None = None,
    party_center: bool | None = None,
) -> QuerySet[Household]:
    """Households in the list order ``(area_code, id)`` — one b-tree range for the scope and the order
    (``household_scope_idx``). Member counts are not annotated here (a GROUP BY before the LIMIT would count
    every household of the scope): ``with_member_counts`` adds them to the rows of one page."""
    qs = _visible(viewer, Household.objects.select_related("house__building__area"))
    if q:
        # One UNION of three index-served searches (trigram indexes on PostgreSQL), not an OR across
        # three tables: an OR makes the database test every household of the scope.
        like = _like(q)
        qs = qs.filter(
            pk__in=RawSQL(
                "SELECT id FROM registry_household WHERE UPPER(number) LIKE UPPER(%s) ESCAPE '\\' "
                "UNION SELECT h.id FROM registry_household h JOIN registry_house ho ON ho.id = h.house_id "
                "JOIN registry_building b ON b.id = ho.building_id WHERE UPPER(b.address) LIKE UPPER(%s) "
                "ESCAPE '\\' UNION SELECT household_id FROM registry_resident WHERE UPPER(name) LIKE UPPER(%s) "
                "ESCAPE '\\'",
                [like, like, like],
            )
        )
    if area:
        qs = qs.filter(prefix_range("area_code", area))
    if house:
        qs = qs.filter(house_id=house)
    if party_center is not None:
        qs = qs.filter(is_party_center=party_center)
    if tag:
        token = _tag_token_for(viewer, tag)
        # Households tagged themselves or through a member: one UNION from the taggings' token index.
        qs = _filter_tagged(
            qs,
            "SELECT household_id FROM registry_tagging WHERE token = %s AND household_id IS NOT NULL "
            "UNION SELECT r.household_id FROM registry_tagging t JOIN registry_resident r "
            "ON r.id = t.resident_id WHERE t.token = %s",
            [token, token],
            Q(pk__in=Tagging.objects.filter(token=token, household__isnull=False).values("household_id"))
            | Q(
                pk__in=Tagging.objects.filter(token=token, resident__isnull=False).values(
                    "resident__household_id"
                )
            ),
        )
    return qs.prefetch_related("taggings").order_by("area_code", "id")


def with_member_counts(households: Any) -> list[Household]:
    """The households of one page with ``member_count`` set (one grouped query over their ids)."""
    rows = list(households)
    counts = dict(
        Resident.objects.filter(household_id__in=[h.pk for h in rows])
        .values_list("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    for h in rows:
        h.member_count = counts.get(h.pk, 0)
    return rows


def household_get(*, viewer: Any, pk: int) -> Household:
    qs = Household.objects.select_related("house__building__area", "party_org").prefetch_related(
        "taggings",
        Prefetch("residents", queryset=Resident.objects.prefetch_related("taggings").order_by("id")),
    )
    return get_visible_or_404(qs, viewer, pk=pk)


# --- residents --------------------------------------------------------------------------------------


TAGGED_IDS_INLINE = 20_000


def _filter_tagged(qs: QuerySet[Any], ids_sql: str, params: list[Any], common: Q) -> QuerySet[Any]:
    """Rows whose id is in ``ids_sql`` (a UNION over the taggings' token index). A tag of up to
    ``TAGGED_IDS_INLINE`` rows (district-wide) is read first and inlined as a list — the page and the count
    are then primary-key look-ups, whatever the planner thinks of the subquery; a larger (common) tag is
    ``common``: IN subqueries the planner hashes and tests while it walks the scope index in list order (a
    page stops early because the tag is common)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM ({ids_sql}) tagged LIMIT %s", [*params, TAGGED_IDS_INLINE + 1])
        ids = [row[0] for row in cur.fetchall()]
    if len(ids) <= TAGGED_IDS_INLINE:
        if connection.vendor == "postgresql":  # one array parameter: 10,000 bound ints cost Django 0.5 s
            return qs.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))
        return qs.filter(pk__in=ids)
    return qs.filter(common)


def _like(q: str) -> str:
    """``%q%`` for LIKE … ESCAPE '\\', with the user's own % and _ taken literally."""
    q = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"


def _tag_token_for(viewer: Any, code: str) -> str:
    m = {t.code: tok for tok, t in tag_map(viewer).items()}
    # An unknown or not-visible tag matches nothing (and does not say whether it exists).
    return m.get(code, "-")


def resident_list(
    *,
    viewer: Any,
    q: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    tag: str | None = None,
    area: str | None = None,
    residence_type: str | None = None,
    political_status: str | None = None,
    household: int | None = None,
    active: bool | None = None,
) -> QuerySet[Resident]:
    qs = _visible(viewer, Resident.objects.select_related("household__house__building__area"))
    if q:
        qs = qs.filter(name__icontains=q.strip())  # served by the trigram index on PostgreSQL (≥ 3 chars)
    if id_number:
        qs = qs.filter(id_hash__in=pii.id_hashes(id_number))
    if phone:
        qs = qs.filter(phone_hash__in=pii.phone_hashes(phone))
    if tag:
        token = _tag_token_for(viewer, tag)
        # Residents tagged themselves or through their household: one UNION read from the taggings' token
        # index (a semi-join the planner can drive from either side), not an OR of two IN subqueries that
        # tests every resident of the scope.
        qs = _filter_tagged(
            qs,
            "SELECT resident_id FROM registry_tagging WHERE token = %s AND resident_id IS NOT NULL "
            "UNION SELECT r.id FROM registry_tagging t JOIN registry_resident r "
            "ON r.household_id = t.household_id WHERE t.token = %s",
            [token, token],
            Q(pk__in=Tagging.objects.filter(token=token, resident__isnull=False).values("resident_id"))
            | Q(
                household_id__in=Tagging.objects.filter(token=token, household__isnull=False).values(
                    "household_id"
                )
            ),
        )
    if area:
        qs = qs.filter(prefix_range("area_code", area))
    if residence_type:
        qs = qs.filter(residence_type=residence_type)
    if political_status:
        if political_status == "party":  # 党员 = full and probationary members
            qs = qs.filter(
                political_status__in=[Resident.Political.PARTY_MEMBER, Resident.Political.PROBATIONARY]
            )
        else:
            qs = qs.filter(political_status=political_status)
    if household:
        qs = qs.filter(household_id=household)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.prefetch_related("taggings").order_by("area_code", "id")


EXPORT_FIELDS = (
    "area_code",
    "id",
    "household__house__building__area__name",
    "household__house__building__address",
    "household__house__entrance",
    "household__house__room",
    "household__number",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "political_status",
    "relation",
    "residence_type",
)
_LABELLED = ("gender", "political_status", "relation", "residence_type")


def export_rows(qs: QuerySet[Resident], viewer: Any, chunk: int = 2000) -> Any:
    """The rows of the masked export of a resident list, streamed in key order (``(area_code, id)``) in
    chunks of ``chunk`` (keyset, so every chunk is an index range), as plain values: choice labels from a
    dict built once (not ``get_*_display()`` per row), the visible tags of a chunk in one query."""
    from .paging import KEY

    labels = {f: {k: str(v) for k, v in Resident._meta.get_field(f).flatchoices} for f in _LABELLED}
    visible = tag_map(viewer)
    base = qs.select_related(None).prefetch_related(None).order_by(*KEY).values_list(*EXPORT_FIELDS)
    key: tuple[str, int] | None = None
    while True:
        part = (
            base.filter(Q(area_code__gte=key[0]) & (Q(area_code__gt=key[0]) | Q(id__gt=key[1])))
            if key
            else base
        )
        batch = list(part[:chunk])
        if not batch:
            return
        tags: dict[int, list[Tag]] = {}
        for rid, token in Tagging.objects.filter(resident_id__in=[r[1] for r in batch]).values_list(
            "resident_id", "token"
        ):
            if token in visible:
                tags.setdefault(rid, []).append(visible[token])
        for (
            code,
            rid,
            grid,
            address,
            entrance,
            room,
            number,
            name,
            gender,
            born,
            idn,
            phone,
            pol,
            rel,
            res,
        ) in batch:
            yield [
                code,
                grid,
                address,
                entrance,
                room,
                number,
                name,
                labels["gender"].get(gender, gender),
                born.isoformat() if born else "",
                pii.mask_id_number(idn),
                pii.mask_phone(phone),
                labels["political_status"].get(pol, pol),
                labels["relation"].get(rel, rel),
                labels["residence_type"].get(res, res),
                "、".join(t.name for t in sorted(tags.get(rid, []), key=lambda t: (t.sort_order, t.code))),
            ]
        if len(batch) < chunk:
            return
        key = (batch[-1][0], batch[-1][1])


def resident_get(*, viewer: Any, pk: int) -> Resident:
    qs = Resident.objects.select_related("household__house__building__area").prefetch_related(
        "taggings", "household__taggings"
    )
    return get_visible_or_404(qs, viewer, pk=pk)


def area_registry_counts(area_ids: list[int]) -> dict[str, int]:
    """Buildings, households, residents and party members inside the given areas (the area page's counts;
    registered with ``wangge.areas.selectors.AREA_COUNTERS`` in ``RegistryConfig.ready``)."""
    people = Resident.objects.filter(household__house__building__area_id__in=area_ids, active=True).aggregate(
        residents=Count("id"),
        party_members=Count("id", filter=Q(political_status__in=["party_member", "probationary"])),
    )
    return {
        "buildings": Building.objects.filter(area_id__in=area_ids).count(),
        "households": Household.objects.filter(house__building__area_id__in=area_ids, active=True).count(),
        "residents": people["residents"],
        "party_members": people["party_members"],
    }


def basemap_buildings(viewer: Any, code: str, limit: int) -> list[dict[str, Any]]:
    """Buildings with a point under area ``code`` that the viewer may see, as base-map points (name and
    position only; registered with ``wangge.areas.basemap.BASEMAP_POINTS`` in ``RegistryConfig.ready``)."""
    if limit <= 0:
        return []
    rows = (
        Building.objects.visible_to(viewer)
        .filter(area__code__startswith=code, lat__isnull=False, lng__isnull=False)
        .order_by("area__code", "pk")
        .values_list("name", "lat", "lng", "area__name")[:limit]
    )
    return [
        {"name": f"{grid} {name}", "lat": lat, "lng": lng, "kind": "building"}
        for name, lat, lng, grid in rows
    ]

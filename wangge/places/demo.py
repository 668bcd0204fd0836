"""Demo places: a 党群服务站 in every community, 驿站 and 红色物业服务站 in some grids, 骑手暖“新”驿站 along the
busier grids — 58 across the district demo (Hai'an's seed counts 58 stations), fewer in the small demo.
Each stands at one of its area's buildings, keeps hours of its kind, and offers the services of its kind."""

from __future__ import annotations

from typing import Any

from wangge.registry.models import Building

from .models import Place, PlaceService

OFFICE = {str(d): [["08:30", "12:00"], ["13:30", "17:30"]] for d in range(5)} | {"5": [["09:00", "12:00"]]}
DAILY = {str(d): [["07:00", "21:00"]] for d in range(7)}
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}

KINDS: dict[str, tuple[str, dict[str, Any], list[list[str]], list[str], int]] = {
    # kind: (name suffix, hours, holiday hours, services, capacity)
    Place.Kind.PARTY_STATION: (
        "党群服务站", OFFICE, [["09:00", "11:30"]],
        ["water", "rest", "reading", "legal_aid", "first_aid", "dibao_cert", "party_transfer", "pension_cert",
         "medical_insurance", "home_service"], 40,
    ),
    Place.Kind.POST: ("网格驿站", DAILY, [["08:00", "18:00"]], ["water", "charging", "rest", "microwave", "toilet",
                                                            "escort"], 12),
    Place.Kind.PROPERTY_STATION: ("红色物业服务站", OFFICE, [], ["water", "repair_kit", "first_aid", "home_service"], 8),
    Place.Kind.RIDER_POST: ("骑手暖“新”驿站", ALWAYS, ALWAYS["0"], ["water", "charging", "rest", "microwave",
                                                              "toilet", "repair_kit", "first_aid"], 10),
}  # fmt: skip


def populate_demo(ctx: Any) -> None:
    services = {s.code: s for s in PlaceService.objects.all()}
    if not services:
        ctx.log("places: 服务项目目录为空，跳过")
        return
    target = 58 if ctx.size == "district" else 18
    plan: list[tuple[Any, str]] = [(c, Place.Kind.PARTY_STATION) for c in ctx.communities]
    grids = list(ctx.grids)
    ctx.rng.shuffle(grids)
    cycle = [Place.Kind.POST, Place.Kind.PROPERTY_STATION, Place.Kind.POST, Place.Kind.RIDER_POST]
    for i, grid in enumerate(grids):
        if len(plan) >= target:
            break
        plan.append((grid, cycle[i % len(cycle)]))
    made = 0
    phone = 88_000_000
    for area, kind in plan:
        building = (
            Building.objects.filter(area__code__startswith=area.code, lat__isnull=False)
            .order_by("id")
            .only("name", "lat", "lng", "address")
            .first()
        )
        if building is None:
            continue
        suffix, hours, holiday, offered, capacity = KINDS[kind]
        phone += 137
        place = Place.objects.create(
            name=f"{area.name}{suffix}",
            kind=kind,
            area=area,
            lat=building.lat + ctx.rng.uniform(-0.0004, 0.0004),
            lng=building.lng + ctx.rng.uniform(-0.0004, 0.0004),
            address=f"{building.address or building.name}旁",
            phone=f"0513-{phone}",
            capacity=capacity,
            hours=hours,
            holiday_hours=holiday,
        )
        place.services.set([services[c] for c in offered if c in services])
        made += 1
    ctx.log(f"places: {made} 个服务阵地")
    populate_rosters(ctx)


def populate_rosters(ctx: Any) -> None:
    """Duty rosters for the next two weeks: the community's staff and grid workers take the morning and
    afternoon shifts of their community's places, nobody at two places in the same shift."""
    import datetime as dt

    from django.utils import timezone

    from wangge.accounts.models import Post

    from .models import DutyShift

    people: dict[str, list[Any]] = {}
    for post in Post.objects.filter(active=True).select_related("user", "area").order_by("id"):
        people.setdefault(post.area.code[:12], []).append(post.user)
    today = timezone.localdate(ctx.now)
    taken: set[tuple[int, dt.date, str]] = set()
    rows = []
    for place in Place.objects.filter(active=True).select_related("area").order_by("id"):
        staff = people.get(place.area.code[:12], [])
        if not staff:
            continue
        for d in range(14):
            day = today + dt.timedelta(days=d)
            for shift in ("morning", "afternoon"):
                for user in ctx.rng.sample(staff, len(staff)):
                    if (user.pk, day, shift) not in taken:
                        taken.add((user.pk, day, shift))
                        rows.append(DutyShift(place=place, user=user, date=day, shift=shift))
                        break
    DutyShift.objects.bulk_create(rows, batch_size=1000)
    ctx.log(f"places: {len(rows)} 个值班班次（未来两周）")

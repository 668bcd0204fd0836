"""Every write of household visits: the schedule (plan, refresh, miss, cancel) and recording a visit.

The schedule is a pure function of the records (``_plans``): a household's next visit is due ``every_days``
after its anchor — the later of its last visit and the due date of its last missed or cancelled period —
where ``every_days`` is the shortest frequency among its tags (its own and its active residents'), or
``WANGGE_VISIT_DEFAULT_DAYS`` when none has one. A household never visited is due on the day it entered the
registry. A period that would already be closed when planned (a household far behind) is due today instead,
so the clock never produces a cascade of missed flags. Inactive households (moved out) and those whose last
period was cancelled as moved out / deceased have no schedule until they are visited again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from wangge.accounts.models import Post, User
from wangge.accounts.roles import user_can
from wangge.areas import geo
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, ServiceError
from wangge.core.scoping import scope_for
from wangge.notifications.services import notify
from wangge.registry.models import Household, Tag, Tagging

from . import rollup
from .models import ChecklistItem, ScheduledVisit, Visit

log = logging.getLogger(__name__)

State = ScheduledVisit.State
Reason = ScheduledVisit.CancelReason
TERMINAL_REASONS = {Reason.MOVED_OUT, Reason.DECEASED}
CHECK_VALUES = ("ok", "concern", "na")
ROLLUP_FIELDS = ("area_code", "due_on", "state", "special", "completed_on")
FINDING_CHANNEL = "patrol"  # 网格员巡查: a staff channel whose cases open at once


# --- settings -----------------------------------------------------------------------------------------


def default_days() -> int:
    return int(getattr(settings, "WANGGE_VISIT_DEFAULT_DAYS", 90))


def window_days() -> int:
    """Days after the due date before a period closes as missed."""
    return int(getattr(settings, "WANGGE_VISIT_WINDOW_DAYS", 3))


def verify_distance_m() -> float:
    return float(getattr(settings, "WANGGE_VISIT_VERIFY_DISTANCE_M", 100))


def daily_target() -> int:
    return int(getattr(settings, "WANGGE_VISIT_DAILY_TARGET", 10))


def max_backdate_days() -> int:
    """How old a visit an offline phone may still send."""
    return int(getattr(settings, "WANGGE_VISIT_MAX_BACKDATE_DAYS", 30))


# --- the plan -----------------------------------------------------------------------------------------


class BadRow(Exception):
    pass


@dataclass(frozen=True)
class Plan:
    household_id: int
    area_code: str
    due_on: dt.date
    every_days: int
    special: bool


def _tag_rules() -> dict[str, tuple[int | None, bool]]:
    """token → (visit every days, needs care) for the active tags."""
    return {
        pii.tag_token(t.code): (t.visit_every_days, t.needs_care)
        for t in Tag.objects.filter(active=True).only("code", "visit_every_days", "needs_care")
    }


def household_tokens(household_ids: Iterable[int]) -> dict[int, set[str]]:
    """The tag tokens of each household: its own tags and those of its active residents."""
    ids = list(household_ids)
    out: dict[int, set[str]] = defaultdict(set)
    for hid, token in Tagging.objects.filter(household_id__in=ids).values_list("household_id", "token"):
        out[hid].add(token)
    for hid, token in Tagging.objects.filter(
        resident__household_id__in=ids, resident__active=True
    ).values_list("resident__household_id", "token"):
        out[hid].add(token)
    return out


def _plans(household_ids: list[int], today: dt.date) -> tuple[dict[int, Plan | None], list[dict[str, Any]]]:
    """The plan of each household (None: no schedule) and the rows that could not be planned."""
    if not household_ids:
        return {}, []
    closed = ScheduledVisit.objects.filter(household=OuterRef("pk")).exclude(state=State.READY)
    closed = closed.order_by("-due_on", "-id")
    rows: Any = Household.objects.filter(pk__in=household_ids).annotate(
        last_visit=Subquery(
            Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_at").values("visited_at")[:1]
        ),
        closed_due=Subquery(closed.values("due_on")[:1]),
        closed_state=Subquery(closed.values("state")[:1]),
        closed_reason=Subquery(closed.values("cancel_reason")[:1]),
        closed_at=Subquery(closed.values("closed_at")[:1]),
    )
    rows = rows.values(
        "pk",
        "active",
        "created_at",
        "house__building__area__code",
        "last_visit",
        "closed_due",
        "closed_state",
        "closed_reason",
        "closed_at",
    )
    rules = _tag_rules()
    tokens = household_tokens(household_ids)
    default, window = default_days(), window_days()
    plans: dict[int, Plan | None] = {}
    bad: list[dict[str, Any]] = []
    for r in rows:
        hid = r["pk"]
        try:
            if not r["active"]:
                plans[hid] = None
                continue
            last_visit = r["last_visit"]
            if (
                r["closed_state"] == State.CANCELLED
                and r["closed_reason"] in TERMINAL_REASONS
                and (last_visit is None or (r["closed_at"] and last_visit <= r["closed_at"]))
            ):
                plans[hid] = None
                continue
            freqs = [rules[t][0] for t in tokens.get(hid, ()) if t in rules and rules[t][0] is not None]
            if any(f is not None and f < 1 for f in freqs):
                raise BadRow("标签走访频次须至少为1天")
            every = min((f for f in freqs if f is not None), default=default)
            special = any(rules[t][1] for t in tokens.get(hid, ()) if t in rules)
            anchors = []
            if last_visit is not None:
                anchors.append(timezone.localdate(last_visit))
            if r["closed_state"] in (State.MISSED, State.CANCELLED) and r["closed_due"] is not None:
                anchors.append(r["closed_due"])
            due = (
                (max(anchors) + dt.timedelta(days=every)) if anchors else timezone.localdate(r["created_at"])
            )
            if due + dt.timedelta(days=window) < today:
                due = today
            plans[hid] = Plan(hid, r["house__building__area__code"], due, every, special)
        except Exception as exc:  # a bad row is skipped and reported; the others are planned
            bad.append({"household": hid, "reason": str(exc)})
    return plans, bad


def _apply(plan: Plan | None, ready: ScheduledVisit | None, now: dt.datetime) -> ScheduledVisit | None:
    """Make the household's ready period match its plan."""
    if plan is None:
        if ready is not None:
            _cancel_rows(ScheduledVisit.objects.filter(pk=ready.pk), Reason.MOVED_OUT, "", now)
        return None
    window = dt.timedelta(days=window_days())
    values = {
        "area_code": plan.area_code,
        "due_on": plan.due_on,
        "closes_on": plan.due_on + window,
        "every_days": plan.every_days,
        "special": plan.special,
    }
    if ready is None:
        try:
            with transaction.atomic():
                return ScheduledVisit.objects.create(household_id=plan.household_id, **values)
        except IntegrityError:  # the clock made it first: one ready row per household, so update that one
            ready = ScheduledVisit.objects.filter(household_id=plan.household_id, state=State.READY).first()
            if ready is None:
                raise
    if any(getattr(ready, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(ready, k, v)
        ready.save(update_fields=[*values, "updated_at"])
    return ready


def _cancel_rows(qs: Any, reason: str, note: str, now: dt.datetime) -> int:
    return int(
        qs.filter(state=State.READY).update(
            state=State.CANCELLED, cancel_reason=reason, cancel_note=note[:200], closed_at=now, updated_at=now
        )
    )


@transaction.atomic
def visit_schedule_refresh(household: Household, now: dt.datetime | None = None) -> ScheduledVisit | None:
    """Recompute one household's schedule (after its tags change, it moves, or a visit is recorded).
    Returns its ready period, or None when it has no schedule. Registry services may call this."""
    now = now or timezone.now()
    # The household row is the lock: two refreshes of one household never interleave.
    Household.objects.select_for_update().filter(pk=household.pk).first()
    plans, bad = _plans([household.pk], timezone.localdate(now))
    if bad:
        raise InvalidInput.field("tags", bad[0]["reason"])
    ready = ScheduledVisit.objects.filter(household_id=household.pk, state=State.READY).first()
    return _apply(plans.get(household.pk), ready, now)


@transaction.atomic
def visit_cancel_pending(
    household: Household, reason: str, note: str = "", now: dt.datetime | None = None
) -> ScheduledVisit | None:
    """Cancel the household's ready period with a coded reason (moved out, in hospital, deceased, other).
    A moved-out or deceased household then has no schedule until it is visited again; the others get their
    next period. Returns the cancelled period, or None if none was ready."""
    if reason not in Reason.values:
        raise InvalidInput.field("reason", "取消原因无效")
    if reason == Reason.OTHER and not note.strip():
        raise InvalidInput.field("note", "请说明取消原因")
    now = now or timezone.now()
    ready = (
        ScheduledVisit.objects.select_for_update()
        .filter(household_id=household.pk, state=State.READY)
        .first()
    )
    if ready is None:
        return None
    _cancel_rows(ScheduledVisit.objects.filter(pk=ready.pk), reason, note.strip(), now)
    ready.refresh_from_db()
    visit_schedule_refresh(household, now)
    return ready


def registry_household_changed(household: Household, event: str) -> None:
    """The registry's listener (``wangge.registry.services.HOUSEHOLD_LISTENERS``), run inside the registry's
    transaction: a household that moved out or whose last resident died has its pending visit cancelled with
    that reason; any other change of tags or residents re-plans it at once."""
    gone = not Household.objects.filter(pk=household.pk, active=True).exists()
    if gone and event in ("moved_out", "deceased"):
        visit_cancel_pending(household, Reason.DECEASED if event == "deceased" else Reason.MOVED_OUT)
    else:
        visit_schedule_refresh(household)


def check_access(by: Any, area_code: str) -> None:
    if not user_can(by, "registry.write"):
        raise Forbidden("无权登记入户走访")
    if not scope_for(by).contains(area_code):
        raise Forbidden("该户不在您的管辖范围内")


@transaction.atomic(durable=True)
def visit_cancel(*, scheduled: ScheduledVisit, reason: str, by: Any, note: str = "") -> ScheduledVisit:
    """A grid worker cancels a household's pending visit with a coded reason."""
    check_access(by, scheduled.area_code)
    if scheduled.state != State.READY:
        raise Conflict("该走访计划已关闭", state=scheduled.state)
    household = Household.objects.get(pk=scheduled.household_id)
    cancelled = visit_cancel_pending(household, reason, note)
    if cancelled is None or cancelled.pk != scheduled.pk:
        raise Conflict("该走访计划已关闭", state=State.CANCELLED)
    audit("update", cancelled, by=by, changes={"state": State.CANCELLED, "reason": reason}, note=note)
    return cancelled


# --- the clock ----------------------------------------------------------------------------------------


def grid_heads(area_code: str) -> list[User]:
    """Who a missed visit is flagged to: the grid's 网格长, or the community's secretary and staff when the
    grid has none."""
    grid, community = area_code[:15], area_code[:12]
    posts = Post.objects.filter(active=True, user__is_active=True).select_related("user")
    heads = [p.user for p in posts.filter(area__code=grid, kind=Post.Kind.GRID_HEAD)]
    if heads:
        return heads
    kinds = (Post.Kind.COMMUNITY_SECRETARY, Post.Kind.COMMUNITY_STAFF)
    return [p.user for p in posts.filter(area__code=community, kind__in=kinds)]


def _flag(grid: str, count: int) -> None:
    users = grid_heads(grid)
    if not users:
        return
    try:
        notify(
            users=users,
            event="visits.missed",
            title="入户走访漏访",
            body=f"网格{grid}有{count}户超过走访期限未走访。",
            link="/visits/missed/",
            channels=("inapp",),
        )
    except Exception:  # a notification failure must not stop the clock
        log.exception("notify failed for missed visits in %s", grid)


def _replan(household_ids: list[int], now: dt.datetime) -> tuple[int, list[dict[str, Any]]]:
    """Create or update the ready period of each household in bulk; returns (created, bad rows)."""
    today = timezone.localdate(now)
    created = 0
    bad_rows: list[dict[str, Any]] = []
    window = dt.timedelta(days=window_days())
    for start in range(0, len(household_ids), 1000):
        chunk = household_ids[start : start + 1000]
        plans, bad = _plans(chunk, today)
        bad_rows += bad
        ready = {
            r.household_id: r
            for r in ScheduledVisit.objects.filter(household_id__in=chunk, state=State.READY)
        }
        new: list[ScheduledVisit] = []
        for hid, plan in plans.items():
            if hid in ready or plan is None:
                _apply(plan, ready.get(hid), now)
                continue
            new.append(
                ScheduledVisit(
                    household_id=hid,
                    area_code=plan.area_code,
                    due_on=plan.due_on,
                    closes_on=plan.due_on + window,
                    every_days=plan.every_days,
                    special=plan.special,
                )
            )
        # A concurrent refresh may have made one first: the partial unique constraint keeps one ready.
        ScheduledVisit.objects.bulk_create(new, ignore_conflicts=True)
        created += len(new)
    return created, bad_rows


def schedule_tick(now: dt.datetime) -> dict[str, Any]:
    """Close the periods whose window has passed as missed (flagging the grid heads once per grid), cancel
    the pending visits of households that moved out, and give every active household its ready period."""
    today = timezone.localdate(now)
    late = list(
        ScheduledVisit.objects.filter(state=State.READY, closes_on__lt=today).values_list(
            "pk", "household_id", "area_code"
        )
    )
    missed = 0
    per_grid: dict[str, int] = defaultdict(int)
    for start in range(0, len(late), 1000):
        chunk = late[start : start + 1000]
        with transaction.atomic():
            # Locked, so a visit recorded meanwhile either closed a period first (it is no longer ready here)
            # or waits: each period closes once and enters the rollup once.
            closing = list(
                ScheduledVisit.objects.select_for_update()
                .filter(pk__in=[r[0] for r in chunk], state=State.READY)
                .values("pk", *ROLLUP_FIELDS)
            )
            missed += ScheduledVisit.objects.filter(pk__in=[r["pk"] for r in closing]).update(
                state=State.MISSED, closed_at=now, updated_at=now
            )
            rollup.add_closed({**r, "state": State.MISSED} for r in closing)
        for r in closing:
            per_grid[r["area_code"][:15]] += 1
    moved = _cancel_rows(ScheduledVisit.objects.filter(household__active=False), Reason.MOVED_OUT, "", now)
    needing = list(
        Household.objects.filter(active=True)
        .exclude(pk__in=ScheduledVisit.objects.filter(state=State.READY).values("household_id"))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    created, bad = _replan(needing, now)
    for grid, count in sorted(per_grid.items()):
        _flag(grid, count)
    for row in bad:
        log.warning("visit schedule: household %s skipped: %s", row["household"], row["reason"])
    return {"missed": missed, "cancelled_moved_out": moved, "scheduled": created, "skipped": bad}


# --- recording a visit ----------------------------------------------------------------------------------


def checklist_for(household_id: int) -> list[ChecklistItem]:
    """The questions for a household: those of every tag it carries, then the general ones."""
    tokens = household_tokens([household_id]).get(household_id, set())
    codes = [t.code for t in Tag.objects.filter(active=True) if pii.tag_token(t.code) in tokens]
    items = ChecklistItem.objects.filter(active=True).filter(Q(tag__code__in=codes) | Q(tag__isnull=True))
    return sorted(
        items.select_related("tag"),
        key=lambda i: (i.tag is None, i.tag.sort_order if i.tag else 0, i.sort_order, i.pk),
    )


def _findings(findings: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for i, f in enumerate(findings or []):
        category = str(f.get("category") or "").strip()
        description = str(f.get("description") or "").strip()
        if not description:
            raise InvalidInput.field(f"findings.{i}.description", "请描述发现的问题")
        if not category:
            raise InvalidInput.field(f"findings.{i}.category", "请选择问题分类")
        out.append({"category": category, "description": description})
    return out


@transaction.atomic(durable=True)
def _record(
    *,
    by: Any,
    household: Household,
    client_id: str,
    visited_at: dt.datetime,
    kind: str,
    duration_minutes: int,
    lat: float | None,
    lng: float | None,
    accuracy_m: float | None,
    coord_system: str,
    checklist: dict[str, str],
    notes: str,
    findings: list[dict[str, str]],
    appeal: Any,
) -> Visit:
    building = household.house.building
    area_code = building.area.code
    distance = None
    if lat is not None and lng is not None:
        try:
            lat, lng = geo.to_wgs84(float(lat), float(lng), coord_system)
        except ValueError as exc:
            raise InvalidInput.field("coord_system", str(exc)) from exc
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise InvalidInput.field("lat", "坐标超出范围")
        if building.lat is not None and building.lng is not None:
            distance = round(geo.distance_m(lat, lng, building.lat, building.lng), 1)
    elif lat is not None or lng is not None:
        raise InvalidInput.field("lng" if lat is not None else "lat", "经纬度须同时填写")
    visit = Visit.objects.create(
        household=household,
        area_code=area_code,
        visitor=by,
        client_id=client_id,
        kind=kind,
        visited_at=visited_at,
        duration_minutes=duration_minutes,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy_m,
        distance_m=distance,
        verified=distance is not None and distance <= verify_distance_m(),
        checklist=checklist,
        notes=notes,
        appeal=appeal,
    )
    if findings:
        from wangge.appeals.services import appeal_submit

        made = []
        for i, f in enumerate(findings):
            try:
                appeal_case, _ = appeal_submit(
                    by=by,
                    category=f["category"],
                    description=f["description"],
                    channel=FINDING_CHANNEL,
                    address=f"{building.address} {household.house.entrance}单元 {household.house.room}",
                    area_code=area_code,
                    idempotency_key=f"visit:{client_id}:{i}",
                )
            except InvalidInput as exc:
                errors = [{**e, "field": f"findings.{i}.{e['field']}"} for e in exc.errors]
                raise InvalidInput(exc.detail, errors) from exc
            made.append(appeal_case)
        visit.findings.add(*made)
    now = timezone.now()
    day = timezone.localdate(visited_at)
    ScheduledVisit.objects.filter(household=household, state=State.READY).update(
        state=State.COMPLETED, visit=visit, completed_on=day, closed_at=now, updated_at=now
    )
    # The figures rollup, in this transaction: the period this visit closed (read back under its row lock,
    # so its values are final) and the visit itself.
    rollup.add_closed(
        ScheduledVisit.objects.filter(visit=visit, state=State.COMPLETED).values(*ROLLUP_FIELDS)
    )
    rollup.add_visits([(by.pk, visited_at)])
    ScheduledVisit.objects.filter(household=household, state=State.MISSED, resolved_at__isnull=True).update(
        resolved_at=now, updated_at=now
    )
    visit_schedule_refresh(household, now)
    audit(
        "create", visit, by=by, changes={"household": household.pk, "kind": kind, "verified": visit.verified}
    )
    return visit


def visit_record(
    *,
    by: Any,
    household: Household,
    client_id: str,
    visited_at: dt.datetime | None = None,
    kind: str = Visit.Kind.ROUTINE,
    duration_minutes: int = 15,
    lat: float | None = None,
    lng: float | None = None,
    accuracy_m: float | None = None,
    coord_system: str = "wgs84",
    checklist: dict[str, str] | None = None,
    notes: str = "",
    findings: list[dict[str, Any]] | None = None,
    appeal_id: int | None = None,
) -> tuple[Visit, bool]:
    """Record a visit; returns ``(visit, created)``. The same ``client_id`` from the same visitor lands once,
    also when an offline phone re-sends concurrently (the unique constraint decides, no look-up first).
    The visit completes the household's ready period, resolves its missed flags and plans the next one;
    each finding becomes a case (channel 网格员巡查) in the same transaction."""
    household = Household.objects.select_related("house__building__area").get(pk=household.pk)
    check_access(by, household.house.building.area.code)
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 64:
        raise InvalidInput.field("client_id", "客户端编号须为1到64个字符")
    now = timezone.now()
    visited_at = visited_at or now
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > now + dt.timedelta(minutes=5):
        raise InvalidInput.field("visited_at", "走访时间不能晚于现在")
    if visited_at < now - dt.timedelta(days=max_backdate_days()):
        raise InvalidInput.field("visited_at", f"只能补录{max_backdate_days()}天内的走访")
    if kind not in Visit.Kind.values:
        raise InvalidInput.field("kind", "走访类型无效")
    try:
        duration_minutes = int(duration_minutes)
    except (TypeError, ValueError):
        raise InvalidInput.field("duration_minutes", "时长须为整数（分钟）") from None
    if not 1 <= duration_minutes <= 24 * 60:
        raise InvalidInput.field("duration_minutes", "时长须在1到1440分钟之间")
    if accuracy_m is not None and accuracy_m < 0:
        raise InvalidInput.field("accuracy_m", "定位精度不能为负")
    checklist = {str(k): str(v) for k, v in (checklist or {}).items()}
    allowed = {i.code for i in checklist_for(household.pk)}
    for code, value in checklist.items():
        if code not in allowed:
            raise InvalidInput.field("checklist", f"该户没有检查项“{code}”")
        if value not in CHECK_VALUES:
            raise InvalidInput.field("checklist", f"检查项“{code}”的结果须为 ok、concern 或 na")
    appeal = None
    if kind == Visit.Kind.CASE:
        if appeal_id is None:
            raise InvalidInput.field("appeal_id", "事项走访须选择关联诉求")
        from wangge.appeals.selectors import appeal_get

        try:
            appeal = appeal_get(viewer=by, pk=appeal_id)
        except ServiceError:
            raise InvalidInput.field("appeal_id", "诉求不存在或不在您的管辖范围内") from None
    clean_findings = _findings(findings or [])
    try:
        visit = _record(
            by=by,
            household=household,
            client_id=client_id,
            visited_at=visited_at,
            kind=kind,
            duration_minutes=duration_minutes,
            lat=lat,
            lng=lng,
            accuracy_m=accuracy_m,
            coord_system=coord_system,
            checklist=checklist,
            notes=(notes or "").strip()[:2000],
            findings=clean_findings,
            appeal=appeal,
        )
    except IntegrityError:
        existing = Visit.objects.filter(visitor=by, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return visit, True

"""Pairing API: pairings, their visits and hand-overs, missed visits, a resident's care history."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from wangge.accounts.models import User
from wangge.core.errors import InvalidInput
from wangge.core.pii import mask_name

from . import selectors, services
from .models import Handover, MissedVisit, Pairing, Visit
from .schemas import (
    BackupIn,
    EndIn,
    HandoverIn,
    HandoverOut,
    HistoryOut,
    MissedOut,
    PairingIn,
    PairingOut,
    VisitIn,
    VisitOut,
)

router = Router(tags=["pairing"])


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise InvalidInput.field(field, "账号不存在")
    return user


def pairing_out(p: Pairing, *, full_name: bool = True) -> dict[str, Any]:
    return {
        "id": p.pk,
        "resident_id": p.resident_id,
        "resident": p.resident.name if full_name else mask_name(p.resident.name),
        "area_code": p.area.code,
        "care_kind": p.care_kind,
        "volunteer_id": p.volunteer_id,
        "volunteer": str(p.volunteer),
        "backup": str(p.backup) if p.backup_id else "",
        "visit_every_days": p.visit_every_days,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "status": p.status,
        "notes": p.notes,
        "last_visit_at": p.last_visit_at,
        "next_due": selectors.next_due(p),
        "volunteers": selectors.volunteer_names(p),
    }


def visit_out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "pairing_id": v.pairing_id,
        "volunteer": str(v.volunteer),
        "visited_at": v.visited_at,
        "duration_minutes": v.duration_minutes,
        "mode": v.mode,
        "note": v.note,
    }


def handover_out(h: Handover) -> dict[str, Any]:
    return {
        "id": h.pk,
        "pairing_id": h.pairing_id,
        "from_volunteer": str(h.from_volunteer),
        "to_volunteer": str(h.to_volunteer),
        "handed_on": h.handed_on,
        "overlap_until": h.overlap_until,
        "reason": h.reason,
        "notes": h.notes,
    }


def missed_out(m: MissedVisit) -> dict[str, Any]:
    return {
        "id": m.pk,
        "pairing_id": m.pairing_id,
        "due_on": m.due_on,
        "flagged_at": m.flagged_at,
        "resolved_at": m.resolved_at,
        "volunteer": str(m.pairing.volunteer),
    }


@router.get("/pairings", response=list[PairingOut])
def pairings_list(request: HttpRequest, status: str | None = None, mine: bool = False) -> Any:
    """Pairings in the viewer's scope, or the ones they serve today (a constant number of queries)."""
    return [
        pairing_out(p) for p in selectors.pairing_list(viewer=request.user, status=status, mine=mine)[:500]
    ]


@router.post("/pairings", response={201: PairingOut})
def pairings_create(request: HttpRequest, payload: PairingIn) -> Any:
    # Missing and out of scope are the same 404, before anything else is looked at.
    resident = services.resident_for_pairing(by=request.user, resident_id=payload.resident_id)
    p = services.pairing_create(
        resident=resident,
        volunteer=_user(payload.volunteer_id, "volunteer_id"),  # type: ignore[arg-type]
        backup=_user(payload.backup_id, "backup_id"),
        care_kind=payload.care_kind,
        visit_every_days=payload.visit_every_days,
        starts_on=payload.starts_on,
        notes=payload.notes,
        by=request.user,
    )
    return Status(201, pairing_out(selectors.pairing_get(viewer=request.user, pk=p.pk)))


@router.get("/pairings/missed", response=list[MissedOut])
def pairings_missed(request: HttpRequest, all: bool = False) -> Any:
    return [missed_out(m) for m in selectors.missed_list(viewer=request.user, open_only=not all)[:500]]


@router.get("/pairings/residents/{int:resident_id}/history", response=HistoryOut)
def pairings_history(request: HttpRequest, resident_id: int) -> Any:
    h = selectors.resident_history(viewer=request.user, resident_id=resident_id)
    return {
        "resident_id": resident_id,
        "volunteers": [str(v) for v in h["volunteers"]],
        "pairings": [pairing_out(p) for p in h["pairings"]],
        "visits": [visit_out(v) for v in h["visits"]],
    }


@router.get("/pairings/{int:pairing_id}", response=PairingOut)
def pairings_get(request: HttpRequest, pairing_id: int) -> Any:
    return pairing_out(selectors.pairing_get(viewer=request.user, pk=pairing_id))


@router.get("/pairings/{int:pairing_id}/visits", response=list[VisitOut])
def pairings_visits(request: HttpRequest, pairing_id: int) -> Any:
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    return [visit_out(v) for v in selectors.visit_list(viewer=request.user, pairing=p)[:500]]


@router.post("/pairings/{int:pairing_id}/visits", response={201: VisitOut})
def pairings_visit_create(request: HttpRequest, pairing_id: int, payload: VisitIn) -> Any:
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    v = services.visit_log(
        pairing=p,
        by=request.user,
        visited_at=payload.visited_at,
        duration_minutes=payload.duration_minutes,
        mode=payload.mode,
        note=payload.note,
        volunteer=_user(payload.volunteer_id, "volunteer_id"),
    )
    return Status(201, visit_out(v))


@router.get("/pairings/{int:pairing_id}/handovers", response=list[HandoverOut])
def pairings_handovers(request: HttpRequest, pairing_id: int) -> Any:
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    return [handover_out(h) for h in selectors.handover_list(viewer=request.user, pairing=p)]


@router.post("/pairings/{int:pairing_id}/handover", response={201: HandoverOut})
def pairings_handover(request: HttpRequest, pairing_id: int, payload: HandoverIn) -> Any:
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    h = services.pairing_handover(
        pairing=p,
        to_volunteer=_user(payload.to_volunteer_id, "to_volunteer_id"),  # type: ignore[arg-type]
        by=request.user,
        reason=payload.reason,
        notes=payload.notes,
        overlap_days=payload.overlap_days,
        handed_on=payload.handed_on,
    )
    return Status(201, handover_out(h))


@router.post("/pairings/{int:pairing_id}/backup", response=PairingOut)
def pairings_backup(request: HttpRequest, pairing_id: int, payload: BackupIn) -> Any:
    """Set (``backup_id``) or remove (``null``) the backup volunteer; a removed backup loses access."""
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    services.pairing_set_backup(pairing=p, backup=_user(payload.backup_id, "backup_id"), by=request.user)
    return pairing_out(selectors.pairing_get(viewer=request.user, pk=pairing_id))


@router.post("/pairings/{int:pairing_id}/end", response=PairingOut)
def pairings_end(request: HttpRequest, pairing_id: int, payload: EndIn) -> Any:
    p = selectors.pairing_get(viewer=request.user, pk=pairing_id)
    services.pairing_end(pairing=p, by=request.user, reason=payload.reason)
    return pairing_out(selectors.pairing_get(viewer=request.user, pk=pairing_id))

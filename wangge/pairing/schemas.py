from datetime import date, datetime

from ninja import Schema


class PairingIn(Schema):
    resident_id: int
    volunteer_id: int
    care_kind: str
    backup_id: int | None = None
    visit_every_days: int | None = None
    starts_on: date | None = None
    notes: str = ""


class PairingOut(Schema):
    id: int
    resident_id: int
    resident: str
    area_code: str
    care_kind: str
    volunteer_id: int
    volunteer: str
    backup: str
    visit_every_days: int
    starts_on: date
    ends_on: date | None
    status: str
    notes: str
    last_visit_at: datetime | None
    next_due: date
    volunteers: list[str]


class VisitIn(Schema):
    visited_at: datetime | None = None
    duration_minutes: int = 30
    mode: str = "home"
    note: str = ""
    volunteer_id: int | None = None


class VisitOut(Schema):
    id: int
    pairing_id: int
    volunteer: str
    visited_at: datetime
    duration_minutes: int
    mode: str
    note: str


class HandoverIn(Schema):
    to_volunteer_id: int
    reason: str = ""
    notes: str = ""
    overlap_days: int | None = None
    handed_on: date | None = None


class HandoverOut(Schema):
    id: int
    pairing_id: int
    from_volunteer: str
    to_volunteer: str
    handed_on: date
    overlap_until: date
    reason: str
    notes: str


class EndIn(Schema):
    reason: str


class MissedOut(Schema):
    id: int
    pairing_id: int
    due_on: date
    flagged_at: datetime
    resolved_at: datetime | None
    volunteer: str


class HistoryOut(Schema):
    resident_id: int
    volunteers: list[str]
    pairings: list[PairingOut]
    visits: list[VisitOut]

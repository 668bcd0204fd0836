from datetime import date, datetime

from ninja import Field, Schema

from wangge.core.bounded import Code, Day, Id, Line, Moment, Note, Text

from .models import VISIT_EVERY_DAYS_MAX


class PairingIn(Schema):
    resident_id: Id
    volunteer_id: Id
    care_kind: Code
    backup_id: Id | None = None
    visit_every_days: int | None = Field(None, ge=1, le=VISIT_EVERY_DAYS_MAX)
    starts_on: Day | None = None
    notes: Text = ""


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
    next_due: date | None
    volunteers: list[str]


class VisitIn(Schema):
    visited_at: Moment | None = None
    duration_minutes: int = Field(30, ge=1, le=24 * 60)
    mode: Code = "home"
    note: Note = ""
    volunteer_id: Id | None = None


class VisitOut(Schema):
    id: int
    pairing_id: int
    volunteer: str
    visited_at: datetime
    duration_minutes: int
    mode: str
    note: str


class HandoverIn(Schema):
    to_volunteer_id: Id
    reason: Line = ""
    notes: Text = ""
    overlap_days: int | None = Field(None, ge=0, le=90)
    handed_on: Day | None = None


class BackupIn(Schema):
    backup_id: Id | None = None


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
    reason: Line


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

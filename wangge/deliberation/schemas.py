from datetime import date, datetime

from ninja import Schema


class AreaBrief(Schema):
    code: str
    name: str


class CouncilMemberOut(Schema):
    user_id: int
    name: str
    role: str
    note: str


class CouncilOut(Schema):
    id: int
    name: str
    kind: str
    area: AreaBrief
    building_id: int | None = None
    proposal_threshold: int
    active: bool


class CouncilDetailOut(CouncilOut):
    members: list[CouncilMemberOut]


class CouncilIn(Schema):
    name: str
    area: str
    kind: str = "party_masses"
    building_id: int | None = None
    proposal_threshold: int | None = None


class CouncilMemberIn(Schema):
    user_id: int
    role: str = "member"
    note: str = ""


class ThresholdIn(Schema):
    proposal_threshold: int


class AgendaItemOut(Schema):
    id: int
    position: int
    title: str
    description: str
    source: str
    appeal_id: int | None = None
    proposal_id: int | None = None


class ProgressOut(Schema):
    kind: str
    label: str
    state: str
    state_display: str
    done: bool
    overdue: bool
    link: str
    due: date | None = None
    owner: str


class ResolutionOut(Schema):
    id: int
    meeting_id: int
    agenda_item_id: int | None = None
    text: str
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    outcome: str
    appeal_id: int | None = None
    activity_id: int | None = None
    progress: ProgressOut


class MeetingOut(Schema):
    id: int
    council_id: int
    council: str
    area_code: str
    title: str
    starts_at: datetime
    place: str
    online: bool
    status: str
    noticed_at: datetime | None = None
    held_at: datetime | None = None


class MeetingDetailOut(MeetingOut):
    minutes: str
    agenda: list[AgendaItemOut]
    resolutions: list[ResolutionOut]
    attendance_count: int
    # Shown only to those who run the meeting (the convenor's page shows it to the room).
    signin_code: str | None = None


class MeetingIn(Schema):
    council_id: int
    title: str
    starts_at: datetime
    place: str = ""
    online_url: str = ""


class AgendaIn(Schema):
    title: str = ""
    description: str = ""
    appeal_id: int | None = None


class SignInIn(Schema):
    mode: str = "in_person"
    code: str = ""


class AttendanceOut(Schema):
    meeting_id: int
    user_id: int
    mode: str
    signed_at: datetime


class MinutesIn(Schema):
    minutes: str


class MeetingCancelIn(Schema):
    reason: str


class NoticeOut(Schema):
    notified: int


class ResolutionIn(Schema):
    text: str
    agenda_item_id: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None


class ToCaseIn(Schema):
    category: str
    description: str = ""


class ToTaskIn(Schema):
    starts_at: datetime
    ends_at: datetime
    capacity: int
    title: str = ""
    place: str = ""


class FollowUpIn(Schema):
    owner_id: int
    due_on: date
    note: str = ""


class FollowUpOut(Schema):
    id: int
    resolution_id: int
    owner: str
    due_on: date
    state: str
    note: str


class FollowUpUpdateIn(Schema):
    state: str
    note: str = ""


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    area: AreaBrief
    council_id: int
    council: str
    author: str
    status: str
    support_count: int
    threshold: int
    reached_at: datetime | None = None
    supported: bool
    created_at: datetime
    meeting_id: int | None = None


class ProposalIn(Schema):
    title: str
    body: str
    scope: str = "grid"


class SupportOut(Schema):
    proposal: ProposalOut
    crossed: bool


class ConventionVersionOut(Schema):
    number: int
    text: str
    note: str
    created_at: datetime


class ConventionOut(Schema):
    id: int
    title: str
    area: AreaBrief
    council_id: int
    council: str
    status: str
    text: str
    version: int | None = None
    adopted_by_resolution_id: int | None = None
    adopted_ref: str
    adopted_at: datetime | None = None
    adopted_by: str
    published_at: datetime | None = None
    acknowledged: bool
    ack_count: int


class ConventionDetailOut(ConventionOut):
    versions: list[ConventionVersionOut]


class ConventionIn(Schema):
    council_id: int
    title: str
    text: str
    area: str | None = None
    note: str = ""


class ReviseIn(Schema):
    text: str
    note: str = ""


class AdoptIn(Schema):
    resolution_id: int | None = None
    adopted_ref: str = ""


class AckOut(Schema):
    convention_id: int
    version: int
    created_at: datetime


class PartyOut(Schema):
    id: int
    kind: str
    side: str
    name: str
    phone: str


class PartyIn(Schema):
    name: str
    phone: str = ""
    side: str = ""
    kind: str = "person"


class MediatorOut(Schema):
    id: int
    kind: str
    name: str
    user_id: int | None = None
    lead: bool


class SessionOut(Schema):
    id: int
    held_at: datetime
    place: str
    notes: str


class FollowUpVisitOut(Schema):
    id: int
    visited_at: datetime
    note: str
    kept: bool


class DisputeOut(Schema):
    id: int
    area: AreaBrief
    kind: str
    matter: str
    status: str
    outcome: str
    opened_at: datetime
    closed_at: datetime | None = None
    parties: list[PartyOut]
    mediators: list[MediatorOut]


class DisputeDetailOut(DisputeOut):
    description: str
    terms: str
    referred_to: str
    appeal_id: int | None = None
    sessions: list[SessionOut]
    visits: list[FollowUpVisitOut]


class DisputeIn(Schema):
    area: str
    kind: str
    matter: str
    description: str = ""
    parties: list[PartyIn]
    appeal_id: int | None = None


class MediatorIn(Schema):
    kind: str
    user_id: int | None = None
    name: str = ""
    lead: bool = False


class SessionIn(Schema):
    notes: str
    held_at: datetime | None = None
    place: str = ""


class MediationCloseIn(Schema):
    outcome: str
    terms: str = ""
    referred_to: str = ""


class FollowUpVisitIn(Schema):
    note: str
    kept: bool = True
    visited_at: datetime | None = None


class AreaCountOut(Schema):
    area_code: str
    area_name: str
    total: int
    by_kind: dict[str, int]
    by_outcome: dict[str, int]


class MediationStatsOut(Schema):
    level: str
    total: int
    by_kind: dict[str, int]
    by_outcome: dict[str, int]
    agreement_rate: float | None = None
    areas: list[AreaCountOut]

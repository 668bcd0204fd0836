import datetime as dt

from ninja import Field, Schema

from wangge.core.bounded import Code, Day, Id, Line, Name


class PartyBranchOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area_code: str
    area_name: str
    secretary: str
    member_count: int


class PartyMemberOut(Schema):
    id: int
    org_id: int
    name: str
    source: str
    source_label: str
    unit: str
    role: str
    role_label: str
    since: dt.date
    until: dt.date | None


class PartyServedOut(Schema):
    id: int
    household_id: int
    household: str


class PartyCentreOut(Schema):
    id: int
    org_id: int
    household_id: int
    household: str
    keeper: str
    since: dt.date
    served: list[PartyServedOut]


class PartyAllianceOrgOut(Schema):
    id: int
    name: str
    lead: bool


class PartyAllianceUnitOut(Schema):
    id: int
    name: str
    offer: str


class PartyAllianceOut(Schema):
    id: int
    name: str
    area_code: str
    area_name: str
    estate: str
    focus: str
    orgs: list[PartyAllianceOrgOut]
    units: list[PartyAllianceUnitOut]


class PartyOrgDetailOut(PartyBranchOut):
    members: list[PartyMemberOut]
    centres: list[PartyCentreOut]
    alliances: list[PartyAllianceOut]


class PartyMemberIn(Schema):
    resident_id: Id | None = None
    member_id: Id | None = None
    role: Code = "member"
    since: Day | None = None


class PartyRoleIn(Schema):
    role: Code


class PartyEndIn(Schema):
    until: Day | None = None


class PartyCentreIn(Schema):
    household_id: Id
    keeper_id: Id


class PartyServeIn(Schema):
    household_id: Id


class PartyAllianceUnitIn(Schema):
    unit_id: Id
    offer: Line = ""


class PartyAllianceIn(Schema):
    area_code: str = Field(..., min_length=6, max_length=17, pattern=r"^\d+$")
    name: Name
    estate: Name = ""
    focus: Line = ""
    org_ids: list[Id] = Field(..., min_length=2, max_length=50)
    lead_id: Id | None = None
    units: list[PartyAllianceUnitIn] = Field(default_factory=list, max_length=50)

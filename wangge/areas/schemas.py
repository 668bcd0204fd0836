from typing import Any

from ninja import Schema


class AreaRef(Schema):
    code: str
    name: str
    level: str


class AreaNode(Schema):
    code: str
    name: str
    level: str
    grid_type: str = ""
    children: list["AreaNode"] = []


class PartyOrgOut(Schema):
    kind: str
    kind_label: str
    name: str
    secretary_name: str
    member_count: int


class AreaPostOut(Schema):
    kind: str
    kind_label: str
    name: str
    username: str


class AreaDetailOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    grid_type: str
    dedicated_kind: str
    center_lat: float | None
    center_lng: float | None
    boundary: dict[str, Any] | None
    parents: list[AreaRef]
    children: list[AreaRef]
    party_orgs: list[PartyOrgOut]
    posts: list[AreaPostOut]
    counts: dict[str, int]


class LocatedArea(Schema):
    code: str
    name: str


class LocateOut(Schema):
    grid: LocatedArea | None
    microgrid: LocatedArea | None
    lat: float
    lng: float
    coord_system: str


class BasemapAreaOut(Schema):
    code: str
    name: str
    level: str
    label: list[float] | None  # [lat, lng] where the name is written
    outline: dict[str, Any] | None  # simplified GeoJSON geometry, [lng, lat]


class BasemapLineOut(Schema):
    kind: str
    name: str
    coordinates: list[list[float]]  # [[lng, lat], ...]


class BasemapPointOut(Schema):
    name: str
    kind: str
    lat: float
    lng: float


class BasemapOut(Schema):
    code: str
    bbox: list[float] | None  # west, south, east, north
    areas: list[BasemapAreaOut]
    lines: list[BasemapLineOut]
    points: list[BasemapPointOut]
    truncated: bool

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class MapClusterOut(Schema):
    lat: float
    lng: float
    cell: list[int]
    n: int
    by_state: dict[str, int]
    by_supervision: dict[str, int]


class MapCasePointOut(Schema):
    id: int
    lat: float
    lng: float
    state: str
    supervision: str


class MapClustersOut(Schema):
    zoom: int
    level: int
    mode: str = Field(..., description="clusters (cells added up) or cases (each case, at high zoom)")
    as_of: str | None = Field(None, description="When the cell table was last rebuilt")
    box: list[float] = Field(..., description="[west, south, east, north] the counts are exact for")
    total: int
    truncated: bool = False
    clusters: list[MapClusterOut]
    cases: list[MapCasePointOut] = []


class MapOtherGridOut(Schema):
    layer: str
    layer_name: str
    code: str
    name: str


class MapCaseOut(Schema):
    id: int
    title: str
    category: str
    state: str
    state_label: str
    supervision: str
    supervision_label: str
    reported_at: datetime
    lat: float | None
    lng: float | None
    grid_code: str
    grid_name: str
    other_grids: list[MapOtherGridOut]
    url: str


class MapLayerOut(Schema):
    key: str
    name: str
    kind: str
    features: int | None = None


class MapLayerIn(Schema):
    key: str = Field(..., min_length=1, max_length=40, description="a-z 0-9 - _")
    name: str = Field(..., min_length=1, max_length=60)
    kind: str = Field("police", max_length=10)
    source: str = Field("", max_length=120)
    code_field: str = Field("code", min_length=1, max_length=40)
    name_field: str = Field("name", min_length=1, max_length=40)
    geojson: dict[str, Any] = Field(..., description="a GeoJSON FeatureCollection of Polygon/MultiPolygon")


class MapLayerImportedOut(Schema):
    key: str
    name: str
    kind: str
    features: int
    links: int


class MapGridLinkOut(Schema):
    layer: str
    code: str
    name: str
    share: float


class MapPlaceOut(Schema):
    id: int
    name: str
    kind: str
    lat: float
    lng: float


class MapPlacesOut(Schema):
    circle_radius_m: float
    places: list[MapPlaceOut]


class MapDutyOut(Schema):
    id: int
    title: str
    place: str
    lat: float
    lng: float
    on_duty: int


class MapVolunteersOut(Schema):
    tasks: list[MapDutyOut]


class MapLegendOut(Schema):
    class_: int | None = Field(None, alias="class")
    min: float | None
    max: float | None
    label: str
    colour: str


class MapAreaNodeOut(Schema):
    code: str
    name: str
    level: str


class MapFigureOut(Schema):
    key: str
    label: str


class MapAreasOut(Schema):
    area: MapAreaNodeOut
    breadcrumb: list[MapAreaNodeOut]
    figure: str
    figure_label: str
    figures: list[MapFigureOut]
    legend: list[dict[str, Any]]
    suppress_below: int
    type: str
    features: list[dict[str, Any]]

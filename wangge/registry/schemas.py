from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema

from wangge.core import pii
from wangge.core.schemas import PatchSchema

from . import selectors


def _viewer(context: Any) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "user", None)


class TagOut(Schema):
    code: str
    name: str
    colour: str
    visit_every_days: int | None = None
    sensitive: bool


def _tags(obj: Any, context: Any) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "name": t.name,
            "colour": t.colour,
            "visit_every_days": t.visit_every_days,
            "sensitive": t.sensitive,
        }
        for t in selectors.tags_of(obj, _viewer(context))
    ]


class GridRef(Schema):
    code: str
    name: str


class BuildingOut(Schema):
    id: int
    area: GridRef
    name: str
    address: str
    lat: float | None = None
    lng: float | None = None
    entrances: int
    floors: int | None = None


class BuildingIn(Schema):
    area: str  # grid or micro-grid code
    name: str
    address: str
    lat: float | None = None
    lng: float | None = None
    entrances: int = 1
    floors: int | None = None


class BuildingPatch(PatchSchema):
    nullable = frozenset({"lat", "lng", "floors"})

    area: str | None = None
    name: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    entrances: int | None = None
    floors: int | None = None


class HouseOut(Schema):
    id: int
    building_id: int
    building_address: str
    area_code: str
    entrance: int
    floor: int | None = None
    room: str
    exclusive_area: Decimal | None = None
    use: str

    @staticmethod
    def resolve_building_address(obj: Any) -> str:
        return obj.building.address

    @staticmethod
    def resolve_area_code(obj: Any) -> str:
        return obj.building.area.code


class HouseIn(Schema):
    building_id: int
    room: str
    entrance: int = 1
    floor: int | None = None
    exclusive_area: Decimal | None = None
    use: str = "residential"


class HousePatch(PatchSchema):
    nullable = frozenset({"floor", "exclusive_area"})

    room: str | None = None
    entrance: int | None = None
    floor: int | None = None
    exclusive_area: Decimal | None = None
    use: str | None = None


class HouseholdOut(Schema):
    id: int
    house_id: int
    address: str
    area_code: str
    number: str
    is_party_center: bool
    active: bool
    tags: list[TagOut]
    version: int

    @staticmethod
    def resolve_address(obj: Any) -> str:
        h = obj.house
        return f"{h.building.address} {h.entrance}单元 {h.room}"

    @staticmethod
    def resolve_area_code(obj: Any) -> str:
        return obj.house.building.area.code

    @staticmethod
    def resolve_tags(obj: Any, context: Any) -> list[dict[str, Any]]:
        return _tags(obj, context)


class HouseholdIn(Schema):
    house_id: int
    number: str = ""
    is_party_center: bool = False
    notes: str = ""
    tags: list[str] = []


class HouseholdPatch(PatchSchema):
    number: str | None = None
    is_party_center: bool | None = None
    notes: str | None = None
    active: bool | None = None
    tags: list[str] | None = None


class ResidentOut(Schema):
    """A resident with ID number and phone masked (320621********1234, 138****5678)."""

    id: int
    household_id: int
    area_code: str
    name: str
    gender: str
    birth_date: date | None = None
    id_number: str
    phone: str
    political_status: str
    relation: str
    residence_type: str
    active: bool
    tags: list[TagOut]
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_area_code(obj: Any) -> str:
        return obj.household.house.building.area.code

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return pii.mask_id_number(obj.id_number)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return pii.mask_phone(obj.phone)

    @staticmethod
    def resolve_tags(obj: Any, context: Any) -> list[dict[str, Any]]:
        return _tags(obj, context)


class ResidentIn(Schema):
    household_id: int
    name: str
    id_number: str = ""
    gender: str = ""
    birth_date: date | None = None
    phone: str = ""
    political_status: str = "masses"
    relation: str = "head"
    residence_type: str = "permanent"
    tags: list[str] = []


class ResidentPatch(PatchSchema):
    nullable = frozenset({"birth_date"})

    household_id: int | None = None
    name: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    political_status: str | None = None
    relation: str | None = None
    residence_type: str | None = None
    active: bool | None = None
    tags: list[str] | None = None


class RevealIn(Schema):
    field: str  # id_number | phone


class RevealOut(Schema):
    id: int
    field: str
    value: str


class ResidentFilter(Schema):
    q: str | None = None
    id_number: str | None = None
    phone: str | None = None
    tag: str | None = None
    area: str | None = None
    residence_type: str | None = None
    political_status: str | None = None
    household: int | None = None
    active: bool | None = None


class HouseholdFilter(Schema):
    q: str | None = None
    area: str | None = None
    tag: str | None = None
    house: int | None = None
    party_center: bool | None = None


class ImportErrorOut(Schema):
    row: int
    column: str
    value: str
    message: str


class ImportOut(Schema):
    ok: bool
    rows: int
    created: dict[str, int]
    errors: list[ImportErrorOut]
    annotated_url: str | None = None

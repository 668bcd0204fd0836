"""Excel in and out: the one flat sheet community secretaries keep (one row per resident), the import
engine that turns it into buildings, houses, households and residents, and the masked export.

Import is all-or-nothing: every row is validated first and every problem is collected (row, column, value,
reason); if there is any, nothing is written and an annotated workbook marks the bad cells. Otherwise
everything is written in one transaction with ``bulk_create`` (100,000 residents well under a minute on
SQLite: see ``bench/import.py``). Encrypting the ID numbers and phones is the main cost.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineWorkbook

from wangge.accounts.roles import user_can
from wangge.areas.models import Area, Level
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.errors import Forbidden
from wangge.core.scoping import Scope, scope_for
from wangge.core.uploads import zip_bomb_problem

from .models import Building, House, Household, Resident, Tag, Tagging
from .text import control_char_problem, xlsx_safe

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    example: str = ""


COLUMNS: list[Column] = [
    Column("grid", "网格编码", True, "15位网格编码或17位微网格编码", "320621001001001"),
    Column("address", "楼栋地址", True, "同一网格内唯一", "海安市城东街道东园路1号"),
    Column("building", "楼栋名称", False, "缺省取楼栋地址", "东园小区1幢"),
    Column("entrance", "单元", False, "数字，缺省为1", "1"),
    Column("room", "房号", True, "", "101"),
    Column("exclusive_area", "专有面积", False, "平方米", "89.5"),
    Column("household", "户编号", False, "同一房屋多户时区分", "H0001"),
    Column("name", "姓名", True, "", "张三"),
    Column("gender", "性别", False, "男/女，缺省按身份证号", "男"),
    Column("id_number", "身份证号", True, "18位，校验位须正确", ""),
    Column("phone", "联系电话", False, "手机11位或带区号固话", "13800001234"),
    Column("political_status", "政治面貌", False, "中共党员/中共预备党员/共青团员/民主党派/群众", "群众"),
    Column("relation", "与户主关系", False, "户主/配偶/子女/父母/孙子女/兄弟姐妹/租户/其他", "户主"),
    Column("residence_type", "居住类型", False, "户籍/常住/流动/租住", "常住"),
    Column("tags", "标签", False, "多个用、分隔，如：空巢、独居老人", ""),
    Column("party_center", "党员中心户", False, "是/否", "否"),
]
BY_HEADER = {c.header: c for c in COLUMNS}
BY_KEY = {c.key: c for c in COLUMNS}
ERROR_HEADER = "错误说明"

_ALIASES: dict[str, dict[str, str]] = {
    "political_status": {
        "党员": Resident.Political.PARTY_MEMBER,
        "预备党员": Resident.Political.PROBATIONARY,
        "团员": Resident.Political.LEAGUE_MEMBER,
    },
    "relation": {
        "本人": Resident.Relation.HEAD,
        "子": Resident.Relation.CHILD,
        "女": Resident.Relation.CHILD,
    },
}


def _choice_map(choices: Any, key: str) -> dict[str, str]:
    m = {str(label): value for value, label in choices.choices}
    m.update({value: value for value, _ in choices.choices})
    m.update(_ALIASES.get(key, {}))
    return m


CHOICES = {
    "gender": _choice_map(Resident.Gender, "gender"),
    "political_status": _choice_map(Resident.Political, "political_status"),
    "relation": _choice_map(Resident.Relation, "relation"),
    "residence_type": _choice_map(Resident.ResidenceType, "residence_type"),
}
_TAG_SPLIT = re.compile(r"[、,，;；/\s]+")
_YES = {"是", "Y", "YES", "TRUE", "1", "√"}
_NO = {"", "否", "N", "NO", "FALSE", "0"}


@dataclass
class RowError:
    row: int  # the sheet row (the header is row 1)
    column: str  # the Chinese header
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        # The error list is shown on pages and returned by the API: mask personal data even here.
        if self.column == BY_KEY["id_number"].header:
            value = pii.mask_id_number(value)
        elif self.column == BY_KEY["phone"].header:
            value = pii.mask_phone(value)
        return {"row": self.row, "column": self.column, "value": value, "message": self.message}


@dataclass
class ImportResult:
    ok: bool
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    annotated: str | None = None  # a token for ``annotated_path`` when there are errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "created": self.created,
            "errors": [e.as_dict() for e in self.errors],
            "annotated": self.annotated,
        }


class ImportFileError(Exception):
    """The file itself cannot be read (not .xlsx/.csv, no header row, a required column missing)."""


# --- reading ----------------------------------------------------------------------------------------


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (date,)):
        return v.isoformat()
    return str(v).strip()


def read_rows(data: bytes, filename: str) -> tuple[list[str], Iterator[list[str]], int]:
    """(headers, rows of strings, approximate row count) of the first sheet of an .xlsx or of a .csv."""
    name = filename.lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError("CSV 文件编码无法识别（请用 UTF-8 或 GBK）")
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            raise ImportFileError("文件为空")
        return (
            [h.strip() for h in lines[0]],
            iter([[c.strip() for c in r] for r in lines[1:]]),
            len(lines) - 1,
        )
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        return _read_workbook(data)
    raise ImportFileError("只支持 .xlsx 或 .csv 文件")


def _read_workbook(data: bytes) -> tuple[list[str], Iterator[list[str]], int]:
    """The first sheet through python-calamine (Rust): a 100,000-row sheet reads in about a second, where
    openpyxl's read-only mode takes minutes and dominated the import."""
    if problem := zip_bomb_problem(data):  # before calamine inflates anything
        raise ImportFileError(problem)
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        first_row = sheet.start[0] if sheet.start else 0
        rows = sheet.iter_rows()
        headers = [_cell(h) for h in next(rows)] if first_row == 0 else []
    except StopIteration:
        raise ImportFileError("文件为空") from None
    except Exception as exc:  # calamine raises its own error types for corrupt or foreign files
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc
    if not headers:
        raise ImportFileError("第1行须为表头（请使用导入模板）")
    total = max((sheet.height or 1) - 1, 0)
    return headers, ([_cell(v) for v in r] for r in rows), total


# --- validation -------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    grid_id: int
    address: str
    building: str
    entrance: int
    room: str
    exclusive_area: Decimal | None
    household: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    id_hash: str
    phone: str
    political_status: str
    relation: str
    residence_type: str
    tags: list[Tag]
    party_center: bool


def _grids() -> dict[str, tuple[int, str]]:
    return {
        code: (pk, code)
        for pk, code in Area.objects.filter(level__in=[Level.GRID, Level.MICROGRID]).values_list("id", "code")
    }


def validate(
    headers: list[str],
    rows: Iterable[list[str]],
    *,
    scope: Scope,
    total: int = 0,
    progress: Progress | None = None,
) -> tuple[list[_Row], list[RowError], list[tuple[int, list[str]]]]:
    """Check every row; return the parsed rows, every error, and the raw rows (for the annotated copy)."""
    missing = [c.header for c in COLUMNS if c.required and c.header not in headers]
    if missing:
        raise ImportFileError("缺少必填列：" + "、".join(missing))
    index = {BY_HEADER[h].key: i for i, h in enumerate(headers) if h in BY_HEADER}
    grids = _grids()
    tags_by_name = {t.name: t for t in Tag.objects.filter(active=True)}
    tags_by_name.update({t.code: t for t in tags_by_name.values()})
    errors: list[RowError] = []
    parsed: list[_Row] = []
    raw: list[tuple[int, list[str]]] = []
    seen_ids: dict[str, int] = {}
    step = max(total // 100, 1000)
    width = len(headers)

    for n, values in enumerate(rows):
        line = n + 2
        if len(values) < width:
            values = values + [""] * (width - len(values))
        if not any(values):
            continue  # blank lines at the end of a sheet
        raw.append((line, values))
        get = {k: values[i] for k, i in index.items()}
        errs: list[RowError] = []

        def err(
            key: str, message: str, _line: int = line, _get: dict[str, str] = get, _errs: list = errs
        ) -> None:
            _errs.append(RowError(_line, BY_KEY[key].header, _get.get(key, ""), message))

        for c in COLUMNS:
            if c.required and not get.get(c.key):
                err(c.key, "必填")
        grid = grids.get(get.get("grid", ""))
        if get.get("grid") and grid is None:
            err("grid", "网格编码不存在")
        elif grid is not None and not scope.contains(grid[1]):
            err("grid", "该网格不在您的管辖范围内")
        entrance = 1
        if get.get("entrance"):
            try:
                entrance = int(get["entrance"].removesuffix("单元"))
                if entrance < 1:
                    raise ValueError
            except ValueError:
                err("entrance", "单元须为正整数")
        area_m2: Decimal | None = None
        if get.get("exclusive_area"):
            try:
                area_m2 = Decimal(get["exclusive_area"]).quantize(Decimal("0.01"))
                if area_m2 < 0 or area_m2 >= Decimal("10000000"):
                    raise InvalidOperation
            except InvalidOperation:
                err("exclusive_area", "面积须为非负数（平方米）")
        for key, limit in (("address", 200), ("building", 60), ("room", 20), ("household", 40), ("name", 50)):
            if len(get.get(key, "")) > limit:
                err(key, f"不能超过{limit}个字")
            else:
                bad = control_char_problem(get.get(key, ""), one_line=True)
                if bad:
                    err(key, bad)
        choice: dict[str, str] = {}
        for key in ("gender", "political_status", "relation", "residence_type"):
            v = get.get(key, "")
            if v:
                if v not in CHOICES[key]:
                    err(key, "可选值：" + "/".join(str(x.label) for x in _enum(key)))
                else:
                    choice[key] = CHOICES[key][v]
        id_number = pii.normalise(get.get("id_number", ""))
        birth = date(1900, 1, 1)
        gender = choice.get("gender", "")
        h = ""
        if id_number:
            reason = pii.validate_id_number(id_number)
            if reason:
                err("id_number", reason)
            else:
                id_gender = Resident.Gender.MALE if int(id_number[16]) % 2 else Resident.Gender.FEMALE
                birth = pii.birth_date_from_id(id_number)
                if gender and gender != id_gender:
                    err("gender", f"性别与身份证号不符（身份证号为{Resident.Gender(id_gender).label}）")
                gender = id_gender
                h = pii.id_hash(id_number)
                first = seen_ids.get(h)
                if first is not None:
                    err("id_number", f"与第{first}行身份证号重复")
                else:
                    seen_ids[h] = line
        phone = pii.normalise(get.get("phone", ""))
        if phone:
            reason = pii.validate_phone(phone)
            if reason:
                err("phone", reason)
        tags: list[Tag] = []
        for name in _TAG_SPLIT.split(get.get("tags", "")):
            if name:
                tag = tags_by_name.get(name)
                if tag is None:
                    err("tags", f"未知标签：{name}")
                else:
                    tags.append(tag)
        pc = get.get("party_center", "").upper()
        if pc not in _YES and pc not in _NO:
            err("party_center", "请填“是”或“否”")

        if errs:
            errors.extend(errs)
        else:
            assert grid is not None
            parsed.append(
                _Row(
                    line=line,
                    grid_id=grid[0],
                    address=get["address"],
                    building=get.get("building") or get["address"][:60],
                    entrance=entrance,
                    room=get["room"],
                    exclusive_area=area_m2,
                    household=get.get("household", ""),
                    name=get["name"],
                    gender=gender,
                    birth_date=birth,
                    id_number=id_number,
                    id_hash=h,
                    phone=phone,
                    political_status=choice.get("political_status", Resident.Political.MASSES),
                    relation=choice.get("relation", Resident.Relation.HEAD),
                    residence_type=choice.get("residence_type", Resident.ResidenceType.PERMANENT),
                    tags=tags,
                    party_center=pc in _YES and pc != "",
                )
            )
        if progress and n % step == 0:
            progress("validate", n, total)

    # Duplicates against the database, in chunks (SQLite limits the number of query parameters).
    hashes = list(seen_ids)
    for i in range(0, len(hashes), 5000):
        for taken in Resident.objects.filter(id_hash__in=hashes[i : i + 5000]).values_list(
            "id_hash", flat=True
        ):
            line = seen_ids[str(taken)]
            id_value = next((r.id_number for r in parsed if r.line == line), "")
            parsed = [r for r in parsed if r.line != line]
            errors.append(RowError(line, BY_KEY["id_number"].header, id_value, "该身份证号已登记"))
    errors.sort(key=lambda e: (e.row, headers.index(e.column) if e.column in headers else 99))
    if progress:
        progress("validate", total, total)
    return parsed, errors, raw


def _enum(key: str) -> Any:
    return {
        "gender": Resident.Gender,
        "political_status": Resident.Political,
        "relation": Resident.Relation,
        "residence_type": Resident.ResidenceType,
    }[key]


# --- writing ----------------------------------------------------------------------------------------


def _chunks(items: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Inserter:
    """Plain ``INSERT … VALUES`` with ``executemany`` for one model: several times faster than
    ``bulk_create`` for 100,000 rows because values are prepared once per column kind, not per field
    per object. Callers pass database-ready values for the columns they set; the rest get their defaults.
    """

    def __init__(self, model: Any, columns: list[str]) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.given = columns
        self.fixed: dict[str, Any] = {}
        for f in self.fields:
            if f.attname in columns:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.fixed[f.attname] = now
            else:
                self.fixed[f.attname] = f.get_db_prep_save(f.get_default(), connection)
        q = connection.ops.quote_name
        cols = ", ".join(q(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES ({marks})"
        self.order = [(f.attname, f.attname in self.fixed) for f in self.fields]
        self.index = {c: i for i, c in enumerate(columns)}

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        fixed, index = self.fixed, self.index
        params = [tuple(fixed[a] if is_fixed else r[index[a]] for a, is_fixed in self.order) for r in rows]
        with connection.cursor() as cur:
            for chunk in _chunks(params, 5000):
                cur.executemany(self.sql, chunk)


@transaction.atomic
def write(rows: list[_Row], *, progress: Progress | None = None) -> dict[str, int]:
    """Create the buildings, houses, households, residents and taggings of validated rows."""
    total = len(rows)
    created = {"buildings": 0, "houses": 0, "households": 0, "residents": 0, "taggings": 0}
    if connection.vendor == "sqlite":
        # One big transaction: a larger page cache keeps SQLite from spilling the index pages of the
        # keyed hashes (random order) to the WAL again and again before the commit.
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size = -262144")  # KiB: 256 MiB for this connection

    # Buildings: (grid id, address) → id. Few, so the ORM is fine.
    grid_ids = sorted({r.grid_id for r in rows})

    def load_buildings() -> dict[tuple[int, str], int]:
        out = {}
        for chunk in _chunks(grid_ids, 500):
            for pk, area_id, address in Building.objects.filter(area_id__in=chunk).values_list(
                "id", "area_id", "address"
            ):
                out[(area_id, address)] = pk
        return out

    buildings = load_buildings()
    new_b: dict[tuple[int, str], Building] = {}
    max_entrance: dict[tuple[int, str], int] = {}
    for r in rows:
        k = (r.grid_id, r.address)
        max_entrance[k] = max(max_entrance.get(k, 1), r.entrance)
        if k not in buildings and k not in new_b:
            new_b[k] = Building(area_id=r.grid_id, address=r.address, name=r.building)
    for k, b in new_b.items():
        b.entrances = max_entrance[k]
    Building.objects.bulk_create(list(new_b.values()), batch_size=1000)
    buildings = load_buildings()
    created["buildings"] = len(new_b)
    if progress:
        progress("write", 0, total)

    # Houses: (building id, entrance, room) → id
    building_ids = sorted(set(buildings.values()))

    def load_houses() -> dict[tuple[int, int, str], int]:
        out = {}
        for chunk in _chunks(building_ids, 500):
            for pk, b_id, entrance, room in House.objects.filter(building_id__in=chunk).values_list(
                "id", "building_id", "entrance", "room"
            ):
                out[(b_id, entrance, room)] = pk
        return out

    houses = load_houses()
    area_field = House._meta.get_field("exclusive_area")
    new_h: dict[tuple[int, int, str], tuple[Any, ...]] = {}
    for r in rows:
        k3 = (buildings[(r.grid_id, r.address)], r.entrance, r.room)
        if k3 not in houses and k3 not in new_h:
            new_h[k3] = (*k3, area_field.get_db_prep_save(r.exclusive_area, connection))
    _Inserter(House, ["building_id", "entrance", "room", "exclusive_area"]).insert(list(new_h.values()))
    houses = load_houses()
    created["houses"] = len(new_h)

    # Households: (house id, number) → id
    house_ids = sorted(set(houses.values()))

    def load_households() -> dict[tuple[int, str], int]:
        out: dict[tuple[int, str], int] = {}
        for chunk in _chunks(house_ids, 500):
            for pk, house_id, number in (
                Household.objects.filter(house_id__in=chunk)
                .order_by("id")
                .values_list("id", "house_id", "number")
            ):
                out.setdefault((house_id, number), pk)
        return out

    households = load_households()
    new_hh: set[tuple[int, str]] = set()
    party_center: set[tuple[int, str]] = set()
    row_hh: list[tuple[int, str]] = []
    for r in rows:
        hk = (houses[(buildings[(r.grid_id, r.address)], r.entrance, r.room)], r.household)
        row_hh.append(hk)
        if r.party_center or any(t.code == "party_center" for t in r.tags):
            party_center.add(hk)
        if hk not in households:
            new_hh.add(hk)
    _Inserter(Household, ["house_id", "number", "is_party_center"]).insert(
        [(h, n, (h, n) in party_center) for h, n in sorted(new_hh)]
    )
    existing_pc = [households[k] for k in party_center if k in households]
    if existing_pc:
        Household.objects.filter(pk__in=existing_pc).update(is_party_center=True)
    households = load_households()
    created["households"] = len(new_hh)

    # Residents (the encryption of ID numbers and phones happens here).
    adapt_date = connection.ops.adapt_datefield_value
    ins = _Inserter(
        Resident,
        [
            "household_id",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "id_hash",
            "phone",
            "phone_hash",
            "political_status",
            "relation",
            "residence_type",
        ],
    )
    done = 0
    step = 10_000
    for start in range(0, total, step):
        chunk = rows[start : start + step]
        ins.insert(
            [
                (
                    households[row_hh[start + i]],
                    r.name,
                    r.gender,
                    adapt_date(r.birth_date),
                    pii.encrypt(r.id_number),
                    r.id_hash,
                    pii.encrypt(r.phone) if r.phone else "",
                    pii.phone_hash(r.phone) if r.phone else "",
                    r.political_status,
                    r.relation,
                    r.residence_type,
                )
                for i, r in enumerate(chunk)
            ]
        )
        done += len(chunk)
        if progress:
            progress("write", done, total)
    created["residents"] = done

    # Tags: residents are found again by their ID hash (every imported resident has one).
    token = {t.code: pii.tag_token(t.code) for t in Tag.objects.all()}
    hh_tags: set[tuple[int, str]] = set()
    res_tags: list[tuple[str, str]] = []
    for r, hk in zip(rows, row_hh, strict=True):
        for t in r.tags:
            if t.applies_to == Tag.AppliesTo.HOUSEHOLD:
                hh_tags.add((households[hk], token[t.code]))
            else:
                res_tags.append((r.id_hash, token[t.code]))
    ids: dict[str, int] = {}
    wanted = sorted({h for h, _ in res_tags})
    for chunk in _chunks(wanted, 5000):
        for h, pk in Resident.objects.filter(id_hash__in=chunk).values_list("id_hash", "id"):
            ids[str(h)] = pk
    existing_hh_tags: set[tuple[int, str]] = set()
    hh_with_tags = sorted({h for h, _ in hh_tags})
    for chunk in _chunks(hh_with_tags, 5000):
        existing_hh_tags.update(
            Tagging.objects.filter(household_id__in=chunk).values_list("household_id", "token")
        )
    tag_rows: list[tuple[int | None, int | None, str]] = [(None, ids[h], tok) for h, tok in res_tags]
    tag_rows += [(h, None, tok) for h, tok in sorted(hh_tags - existing_hh_tags)]
    _Inserter(Tagging, ["household_id", "resident_id", "token"]).insert(tag_rows)
    created["taggings"] = len(tag_rows)
    return created


# --- the engine -------------------------------------------------------------------------------------


def annotated_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "registry_imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


ANNOTATED_MAX_AGE = 24 * 3600  # seconds an annotated workbook is kept for its uploader


def annotated_cleanup() -> None:
    cutoff = time.time() - ANNOTATED_MAX_AGE
    for p in annotated_dir().glob("*.xlsx.enc"):
        with contextlib.suppress(OSError):
            if p.stat().st_mtime < cutoff:
                p.unlink()


def annotated_path(token: str, user_id: int | None) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise FileNotFoundError(token)
    return annotated_dir() / f"{user_id or 0}-{token}.xlsx.enc"


def annotated_load(token: str, user_id: int | None) -> bytes:
    """The annotated workbook of an import by ``user_id`` (stored encrypted: it holds the uploaded IDs)."""
    return base64.b64decode(pii.decrypt(annotated_path(token, user_id).read_text()))


def annotate(headers: list[str], raw: list[tuple[int, list[str]]], errors: list[RowError]) -> bytes:
    """A copy of the uploaded sheet: bad cells filled red with the reason as a comment, plus an error column."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入结果")
    red = PatternFill("solid", fgColor="FFC7CE")
    bold = Font(bold=True)
    header_cells = []
    for h in [*headers, ERROR_HEADER]:
        c = WriteOnlyCell(ws, value=_safe(h))  # an uploaded header may be a formula: never write it back live
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)
    by_row: dict[int, list[RowError]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(e)
    col_of = {h: i for i, h in enumerate(headers)}
    for line, values in raw:
        errs = by_row.get(line, [])
        cells = [WriteOnlyCell(ws, value=_safe(v)) for v in values[: len(headers)]]
        for e in errs:
            i = col_of.get(e.column)
            if i is not None:
                cells[i].fill = red
                cells[i].comment = Comment(_safe(e.message), "Wangge")
        msg = WriteOnlyCell(ws, value=_safe("；".join(f"{e.column}：{e.message}" for e in errs)))
        if errs:
            msg.fill = red
        ws.append([*cells, msg])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_registry(
    data: bytes,
    filename: str,
    *,
    by: Any,
    progress: Progress | None = None,
    annotate_errors: bool = True,
) -> ImportResult:
    """Validate every row, then write all or nothing. ``by=None`` is the command line (the whole tree)."""
    if by is not None and not user_can(by, "registry.import"):
        raise Forbidden("无权导入人房信息")
    scope = scope_for(by) if by is not None else Scope(everything=True)
    if by is not None and scope.empty:
        raise Forbidden("您没有管辖区域，无法导入")
    headers, rows, total = read_rows(data, filename)
    parsed, errors, raw = validate(headers, rows, scope=scope, total=total, progress=progress)
    if errors:
        token = None
        if annotate_errors:
            content = annotate(headers, raw, errors)
            annotated_cleanup()
            token = secrets.token_urlsafe(18)
            path = annotated_path(token, getattr(by, "pk", None))
            path.write_text(pii.encrypt(base64.b64encode(content).decode()))
        return ImportResult(ok=False, rows=len(raw), errors=errors, annotated=token)
    with transaction.atomic():
        created = write(parsed, progress=progress)
        audit(
            "import",
            None,
            by=by,
            object_type="registry.resident",
            changes={"file": filename[:100], **created},
            note=f"导入 {len(parsed)} 行",
        )
    from .maintenance import analyze

    analyze()  # planner statistics for what was loaded
    return ImportResult(ok=True, rows=len(parsed), created=created)


# --- template and export ----------------------------------------------------------------------------


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "居民信息"
    bold = Font(bold=True)
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=c.header)
        cell.font = bold
        if c.required:
            cell.fill = PatternFill("solid", fgColor="FFE699")
        if c.help:
            cell.comment = Comment(c.help, "Wangge")
        ws.column_dimensions[cell.column_letter].width = max(10, len(c.header) * 2 + 4)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "必填", "说明", "示例"])
    for c in COLUMNS:
        notes.append([c.header, "是" if c.required else "", c.help, c.example])
    notes.append([])
    notes.append(["标签可选值", "、".join(Tag.objects.filter(active=True).values_list("name", flat=True))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


EXPORT_HEADERS = [
    "网格编码",
    "网格",
    "楼栋地址",
    "单元",
    "房号",
    "户编号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "联系电话",
    "政治面貌",
    "与户主关系",
    "居住类型",
    "标签",
]


_safe = xlsx_safe  # every value written into a workbook goes through it: export, annotated copy, headers


def export_workbook(rows: Iterable[list[Any]]) -> bytes:
    """The masked export of a resident list: ``rows`` are ready values (``selectors.export_rows``: ID numbers
    and phones masked, only the tags the viewer may see), streamed into one sheet (``xlsx.write``)."""
    from . import xlsx

    def cells() -> Iterator[list[Any]]:
        yield EXPORT_HEADERS
        for row in rows:
            yield [_safe(v) for v in row]

    return xlsx.write("居民", cells())

"""The flat-sheet import: all-or-nothing, every error reported, annotated workbook, template, CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.core.models import AuditLog
from wangge.registry import excel
from wangge.registry.models import Building, House, Household, Resident, Tagging
from wangge.testing import PASSWORD, api_client, make_id_number, make_user

from .factories import make_resident

HEADERS = [c.header for c in excel.COLUMNS]


def row(grid: str, n: int, **over: str) -> list[str]:
    values = {
        "网格编码": grid,
        "楼栋地址": f"海安市城东街道东园路{n // 3 + 1}号",
        "楼栋名称": f"东园{n // 3 + 1}幢",
        "单元": "1",
        "房号": f"{100 + n % 3}",
        "专有面积": "88.5",
        "户编号": f"H{n:04d}",
        "姓名": f"测试{n}",
        "性别": "",
        "身份证号": make_id_number("19700101", n),
        "联系电话": f"1380000{n:04d}",
        "政治面貌": "中共党员" if n % 4 == 0 else "群众",
        "与户主关系": "户主",
        "居住类型": "常住",
        "标签": "空巢、低保" if n % 5 == 0 else "",
        "党员中心户": "是" if n == 0 else "",
    }
    values.update(over)
    return [values[h] for h in HEADERS]


def xlsx(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def upload(client: Client, data: bytes, name: str = "居民.xlsx") -> Any:
    return client.post("/api/v1/residents/import", {"file": SimpleUploadedFile(name, data)})


def counts() -> tuple[int, int, int, int, int]:
    return (
        Building.objects.count(),
        House.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        Tagging.objects.count(),
    )


@pytest.mark.django_db
def test_good_import_writes_everything(tree: Any) -> None:
    user = make_user(Role.COMMUNITY_STAFF, tree.community)
    rows = [row(tree.grid_a.code, n) for n in range(9)] + [row(tree.grid_b.code, 100)]
    resp = upload(api_client(user), xlsx(rows))
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["ok"] and body["rows"] == 10 and body["errors"] == []
    assert body["created"]["residents"] == 10
    assert counts()[:4] == (4, 10, 10, 10)
    r0 = Resident.objects.get(name="测试0")
    assert r0.id_number == make_id_number("19700101", 0)
    assert r0.id_hash == pii.id_hash(r0.id_number) and r0.phone_hash == pii.phone_hash("13800000000")
    assert r0.gender == "female" and str(r0.birth_date) == "1970-01-01"  # derived from the ID number
    assert r0.political_status == "party_member" and r0.household.is_party_center
    assert r0.household.house.exclusive_area == pytest.approx(88.5)
    # 空巢/低保 are household tags: stored as keyed tokens, not names.
    tokens = set(Tagging.objects.filter(household=r0.household).values_list("token", flat=True))
    assert tokens == {pii.tag_token("empty_nest"), pii.tag_token("low_income")}
    entry = AuditLog.objects.get(action="import")
    assert entry.actor == user and entry.changes["residents"] == 10


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_returns_every_error_and_writes_nothing(tree: Any) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    existing = make_resident(tree.grid_a)
    before = counts()
    good = [row(tree.grid_a.code, n) for n in range(6)]
    bad_id = make_id_number("19700101", 50)
    bad_id = bad_id[:-1] + ("0" if bad_id[-1] != "0" else "1")  # wrong check digit
    rows = [
        *good[:3],
        row(tree.grid_a.code, 50, 身份证号=bad_id, 联系电话="12345", 居住类型="暂住", 标签="不存在"),
        *good[3:],
        row(tree.grid_a.code, 51, 身份证号=good[0][HEADERS.index("身份证号")]),  # duplicate inside the file
        row(tree.grid_a.code, 52, 身份证号=existing.id_number),  # already registered
        row("320621001001999", 53),  # no such grid
        row(tree.grid_b.code, 54),  # a grid outside the worker's scope
        row(tree.grid_a.code, 55, 姓名="", 性别="男", 身份证号=make_id_number("19700101", 56)),
    ]
    resp = upload(api_client(user), xlsx(rows))
    assert resp.status_code == 422
    body = resp.json()
    assert not body["ok"]
    got = {(e["row"], e["column"], e["message"]) for e in body["errors"]}
    assert got == {
        (5, "身份证号", "身份证号校验位错误"),
        (5, "联系电话", pii.validate_phone("12345")),
        (5, "居住类型", "可选值：户籍/常住/流动/租住"),
        (5, "标签", "未知标签：不存在"),
        (9, "身份证号", "与第2行身份证号重复"),
        (10, "身份证号", "该身份证号已登记"),
        (11, "网格编码", "网格编码不存在"),
        (12, "网格编码", "该网格不在您的管辖范围内"),
        (13, "姓名", "必填"),
        (13, "性别", "性别与身份证号不符（身份证号为女）"),
    }
    # Personal data is masked even in the error list.
    id_errors = [e for e in body["errors"] if e["column"] == "身份证号"]
    assert all("*" in e["value"] for e in id_errors)
    assert counts() == before
    assert not AuditLog.objects.filter(action="import").exists()
    # The annotated workbook: every row, bad cells filled, an error column; only for the uploader.
    url = body["annotated_url"]
    assert url.startswith("/api/v1/")
    assert api_client(make_user(Role.GRID_WORKER, tree.grid_a)).get(url).status_code == 404
    api_copy = api_client(user).get(url)
    assert api_copy.status_code == 200 and api_copy.content[:2] == b"PK"
    url = "/registry/import/annotated/" + url.rstrip("/").rsplit("/", 1)[-1] + "/"
    other = make_user(Role.GRID_WORKER, tree.grid_a)
    c = Client()
    c.login(username=other.username, password=PASSWORD)
    assert c.get(url).status_code == 404
    c.login(username=user.username, password=PASSWORD)
    resp = c.get(url)
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    assert ws.cell(1, len(HEADERS) + 1).value == excel.ERROR_HEADER
    assert ws.max_row == len(rows) + 1
    bad_cell = ws.cell(5, HEADERS.index("身份证号") + 1)
    assert bad_cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "校验位" in ws.cell(5, len(HEADERS) + 1).value
    assert ws.cell(2, len(HEADERS) + 1).value in (None, "")


@pytest.mark.django_db
def test_csv_import_and_missing_columns(tree: Any) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(user)
    resp = upload(client, as_csv([row(tree.grid_a.code, n) for n in range(4)]), "居民.csv")
    assert resp.status_code == 200 and resp.json()["created"]["residents"] == 4
    resp = upload(client, xlsx([["x"]], headers=["姓名"]), "bad.xlsx")
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "file"
    assert "网格编码" in resp.json()["errors"][0]["message"]
    resp = upload(client, b"hello", "bad.txt")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "file"


@pytest.mark.django_db
def test_import_needs_the_permission(tree: Any) -> None:
    for role in (Role.RESIDENT, Role.DEPARTMENT_STAFF):
        resp = upload(api_client(make_user(role)), xlsx([row(tree.grid_a.code, 1)]))
        assert resp.status_code == 403
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_template_has_the_chinese_headers(tree: Any) -> None:
    resp = api_client(make_user(Role.GRID_WORKER, tree.grid_a)).get("/api/v1/residents/import-template")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS


@pytest.mark.django_db
def test_import_page_shows_every_error_and_imports(tree: Any) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    c = Client()
    c.login(username=user.username, password=PASSWORD)
    assert c.get("/registry/import/").status_code == 200
    bad = [row(tree.grid_a.code, 1), row(tree.grid_a.code, 2, 房号=""), row(tree.grid_c.code, 3)]
    resp = c.post(
        "/registry/import/", {"file": SimpleUploadedFile("a.xlsx", xlsx(bad))}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "房号" in html and "必填" in html and "该网格不在您的管辖范围内" in html
    assert "/registry/import/annotated/" in html
    assert Resident.objects.count() == 0
    good = [row(tree.grid_a.code, n) for n in range(3)]
    resp = c.post(
        "/registry/import/", {"file": SimpleUploadedFile("a.xlsx", xlsx(good))}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 200 and 'id="import-ok"' in resp.content.decode()
    assert Resident.objects.count() == 3


@pytest.mark.django_db
def test_import_command_with_progress(tree: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(as_csv([row(tree.grid_a.code, n) for n in range(5)]))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_registry", str(good), stdout=out, stderr=err)
    assert "导入 5 行" in out.getvalue()
    assert Resident.objects.count() == 5
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([row(tree.grid_a.code, 10), row(tree.grid_a.code, 11, 单元="零")]))
    annotated = tmp_path / "bad-annotated.xlsx"
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_registry", str(bad), "--annotated", str(annotated), stdout=out, stderr=err)
    assert "单元须为正整数" in err.getvalue()
    assert annotated.exists()
    assert Resident.objects.count() == 5


def test_workbook_reader_keeps_text_numbers_and_empty_rows() -> None:
    rows = [["a&b", "1", "", "x"], [], ["", "", "3.5", "<y>"]]
    wb = Workbook()
    ws = wb.active
    ws.append(["h1", "h2", "h3", "h4"])
    for r in rows:
        ws.append([v if v == "" or not v.replace(".", "").isdigit() else float(v) for v in r] or [None])
    out = io.BytesIO()
    wb.save(out)
    headers, it, total = excel.read_rows(out.getvalue(), "people.xlsx")
    got = [r + [""] * (4 - len(r)) for r in it]
    assert headers == ["h1", "h2", "h3", "h4"] and total == 3
    # Row numbers in error reports rely on empty rows being kept in place.
    assert got == [["a&b", "1", "", "x"], ["", "", "", ""], ["", "", "3.5", "<y>"]]


def test_unreadable_workbook_is_a_clear_error() -> None:
    with pytest.raises(excel.ImportFileError, match="无法读取"):
        excel.read_rows(b"not a zip file", "people.xlsx")
